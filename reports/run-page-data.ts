/**
 * The data the run report's script draws from, embedded in the page as JSON: the step-through
 * frames and the client operations (for the zoomed timeline around the slider's instant), in a
 * compact positional form — a 100,000-operation run is a few megabytes, not tens.
 *
 * Everything else on the page (header, overview timeline, node lanes, term chart, violation) is
 * rendered on the server as HTML and SVG and needs no data here.
 */
import type { OpStatus } from '../sim/history.js';
import { ROLE_COLOR, STATUS_COLOR } from './colors.js';
import { ROLES, type HostState, type NodeRole } from './node-lanes.js';
import type { RunView } from './run-view.js';
import type { ClusterFrame } from './step-through.js';
import type { FrameDetail } from './picture/model.js';
import { LABEL_WIDTH, SVG_WIDTH, timeAxis } from './timeline-svg.js';

/** Op labels are embedded for every op up to this many ops; beyond, only for highlighted ops. */
export const LABELS_MAX = 20_000;

const STATUSES: readonly OpStatus[] = ['ok', 'fail', 'unknown'];
const HOSTS: readonly HostState[] = ['up', 'paused', 'down'];
const MARKS = ['none', 'failed', 'related'] as const;

/** [role index, term, lead, commit, applied, host index], in `members` order. */
export type EncodedNode = readonly [number, number, number, number, number, number];
/** [from, to, type index, sentUs, arriveUs, lost 0|1]. */
export type EncodedMessage = readonly [number, number, number, number, number, number];

/**
 * A member a replay read: [state index (up, paused, down, stopped), role, term, vote, lead, commit,
 * applied, firstIndex, lastIndex, snapshotIndex, election ticks elapsed, election timeout, clock
 * rate, disk fault 0|1, index of the first log entry drawn (-1: log not known), the entries' terms
 * as runs [term, count]].
 */
export type EncodedMember = readonly [number, string, number, number, number, number, number, number, number, number, number, number, number, number, number, readonly (readonly [number, number])[]];

/** What a replay read at the frame's instant (reports/picture/model.ts FrameDetail): members, clients [member, pending, last], slowed links [from, to, ms]. */
export interface EncodedDetail {
  readonly m: readonly EncodedMember[];
  readonly c: readonly (readonly [number, string | null, string | null])[];
  readonly s: readonly (readonly [number, number, number])[];
}

export interface EncodedFrame {
  readonly t: number;
  /** Present when the report was given the replay's detail for this instant. */
  readonly p?: EncodedDetail;
  readonly n: readonly EncodedNode[];
  readonly c: readonly (readonly [number, number])[];
  readonly m: readonly EncodedMessage[];
  readonly mt: number;
  readonly d: readonly (readonly [number, number, string])[];
  readonly e: readonly string[];
  readonly et: number;
}

/** [id, callUs, returnUs or -1, status index, mark index]. */
export type EncodedOp = readonly [number, number, number, number, number];

export interface RunPageData {
  readonly endUs: number;
  readonly members: readonly number[];
  readonly roles: readonly NodeRole[];
  readonly hosts: readonly HostState[];
  readonly types: readonly string[];
  readonly messageSource: string;
  readonly frames: readonly EncodedFrame[];
  readonly lanes: readonly { readonly label: string; readonly ops: readonly EncodedOp[] }[];
  readonly labels: Readonly<Record<string, string>>;
  readonly colors: { readonly status: readonly string[]; readonly roles: readonly string[] };
  readonly axis: { readonly width: number; readonly x0: number; readonly plotWidth: number };
}

export function encodeRunPageData(view: RunView, details: ReadonlyMap<number, FrameDetail> | null = null): RunPageData {
  const types: string[] = [];
  const typeIndex = new Map<string, number>();
  const typeOf = (t: string): number => {
    let i = typeIndex.get(t);
    if (i === undefined) {
      i = types.length;
      types.push(t);
      typeIndex.set(t, i);
    }
    return i;
  };
  const opCount = view.lanes.reduce((n, l) => n + l.ops.length, 0);
  const labels: Record<string, string> = {};
  for (const lane of view.lanes) for (const op of lane.ops) if (opCount <= LABELS_MAX || op.mark !== 'none') labels[String(op.id)] = op.note === '' ? op.label : `${op.label} (${op.note})`;
  return {
    endUs: view.endUs,
    members: view.step.members,
    roles: ROLES,
    hosts: HOSTS,
    types,
    messageSource: view.step.messageSource,
    frames: view.step.frames.map((f) => encodeFrame(f, typeOf, details?.get(f.tUs))),
    lanes: view.lanes.map((l) => ({
      label: l.label,
      ops: l.ops.map((o): EncodedOp => [o.id, o.callUs, o.returnUs ?? -1, STATUSES.indexOf(o.status), MARKS.indexOf(o.mark)]),
    })),
    labels,
    colors: { status: STATUSES.map((s) => STATUS_COLOR[s]), roles: ROLES.map((r) => ROLE_COLOR[r]) },
    axis: { width: SVG_WIDTH, x0: LABEL_WIDTH, plotWidth: timeAxis(view.endUs).width },
  };
}

const MEMBER_STATES = ['up', 'paused', 'down', 'stopped'] as const;

export function encodeDetail(d: FrameDetail): EncodedDetail {
  return {
    m: d.members.map((m): EncodedMember => {
      const runs: [number, number][] = [];
      for (const x of m.log ?? []) {
        const last = runs[runs.length - 1];
        if (last !== undefined && last[0] === x.term) last[1]++;
        else runs.push([x.term, 1]);
      }
      return [MEMBER_STATES.indexOf(m.state), m.role, m.term, m.vote, m.lead, m.commit, m.applied, m.firstIndex, m.lastIndex, m.snapshotIndex, m.electionElapsed, m.electionTimeout, m.clockRate, m.diskFault ? 1 : 0, m.log === null ? -1 : (m.log[0]?.index ?? m.lastIndex + 1), runs];
    }),
    c: d.clients.map((c) => [c.member, c.pending, c.last] as const),
    s: d.slow.map((l) => [l.from, l.to, l.delayMs] as const),
  };
}

function encodeFrame(f: ClusterFrame, typeOf: (t: string) => number, detail: FrameDetail | undefined): EncodedFrame {
  return {
    t: f.tUs,
    ...(detail === undefined ? {} : { p: encodeDetail(detail) }),
    n: f.nodes.map((n): EncodedNode => [ROLES.indexOf(n.role), n.term, n.lead, n.commit, n.applied, HOSTS.indexOf(n.host)]),
    c: f.cuts.map((c) => [c.from, c.to] as const),
    m: f.inFlight.map((m): EncodedMessage => [m.from, m.to, typeOf(m.type), m.sentUs, m.arriveUs, m.lost ? 1 : 0]),
    mt: f.inFlightTotal,
    d: f.drops.map((d) => [d.from, d.to, d.reason] as const),
    e: f.events,
    et: f.eventsTotal,
  };
}
