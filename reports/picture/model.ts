/**
 * The picture of a cluster at one instant, as the playground draws it live and the run report's
 * step-through draws it frame by frame (reports/picture/draw.ts draws it; both pages bundle that).
 *
 * Plain data, no behaviour: the playground fills it from its session's view of the live run, the
 * report from the frames embedded in the page (run-page-data.ts), whose logs and clients come from
 * a replay of the run (scenarios/report-pictures.ts) when the run can be replayed.
 */

export interface PictureEntry {
  readonly index: number;
  readonly term: number;
}

export interface PictureMember {
  readonly id: number;
  /** up, paused, down (crashed), or stopped (its node refused to go on: a disk fault). */
  readonly state: 'up' | 'paused' | 'down' | 'stopped';
  readonly role: string;
  readonly term: number;
  /** Whom it voted for in its term (0: nobody, or not known). */
  readonly vote: number;
  readonly lead: number;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly snapshotIndex: number;
  /** The newest entries, oldest first (null: the log is not known at this instant). */
  readonly log: readonly PictureEntry[] | null;
  /** Election timer: ticks elapsed of the count at which it fires (0 of 0: not shown). */
  readonly electionElapsed: number;
  readonly electionTimeout: number;
  /** Clock drift: local µs per virtual µs. */
  readonly clockRate: number;
  readonly diskFault: boolean;
}

export interface PictureMessage {
  /** Stable while the message is in flight (a dot is reused for it). */
  readonly id: string;
  readonly from: number;
  readonly to: number;
  readonly type: string;
  readonly term: number | null;
  readonly index: number | null;
  /** How far along its link it is drawn, 0 (just sent) to 1 (arriving). */
  readonly progress: number;
  /** It never arrives (a cut link, a broken stream). */
  readonly lost: boolean;
}

export interface PictureClient {
  /** History client index (c0, c1, …). */
  readonly client: number;
  /** The member it talks to now (0: none yet). */
  readonly member: number;
  /** The call in progress, if any. */
  readonly pending: string | null;
  /** Its last answer: `range ok`, `put fail: ProposalDropped`. */
  readonly last: string | null;
}

export interface PictureLink {
  readonly from: number;
  readonly to: number;
}

export interface PictureSlowLink extends PictureLink {
  readonly delayMs: number;
}

export interface Picture {
  readonly members: readonly PictureMember[];
  readonly messages: readonly PictureMessage[];
  /** null: the clients are not known at this instant. */
  readonly clients: readonly PictureClient[] | null;
  /** Directed links that are cut. */
  readonly cut: readonly PictureLink[];
  /** Directed links slower than the network's usual delay. */
  readonly slow: readonly PictureSlowLink[];
}

/**
 * What a replay of the run read from the live cluster at one step-through instant (the trace does
 * not carry logs or clients): scenarios/report-pictures.ts captures it, the run report embeds it.
 */
export interface FrameDetail {
  readonly members: readonly PictureMember[];
  readonly clients: readonly PictureClient[];
  readonly slow: readonly PictureSlowLink[];
}
