/**
 * Quorum math as pure functions (etcd's `quorum` package): the committed index and the election
 * result of a majority configuration, and of a joint configuration (both majorities must agree).
 *
 * An empty majority config commits everything and wins every vote, so a joint config whose
 * outgoing half is empty behaves exactly like its incoming half.
 */
import type { LogIndex, NodeId } from './types.js';

export type MajorityConfig = ReadonlySet<NodeId>;

/** [incoming, outgoing]; outgoing is empty unless the group is in joint consensus. */
export interface JointConfig {
  readonly incoming: MajorityConfig;
  readonly outgoing: MajorityConfig;
}

export type VoteResult = 'pending' | 'lost' | 'won';

/** The committed index of an empty config: "everything" (etcd: math.MaxUint64). */
export const INDEX_MAX = Number.MAX_SAFE_INTEGER as LogIndex;

/** The acknowledged index of a voter, or undefined when unknown (counts as 0). */
export type AckedIndexer = (id: NodeId) => LogIndex | undefined;

/**
 * Scratch space of majorityCommittedIndex, reused by every call (etcd sorts on the stack): it is
 * asked on every acknowledgement, and is not re-entrant (`acked` only reads). Holds numbers only.
 */
const sortScratch: number[] = [];

/**
 * The largest index acknowledged by a majority: sort the voters' acknowledged indexes in
 * decreasing order and take the (n/2+1)-th.
 */
export function majorityCommittedIndex(c: MajorityConfig, acked: AckedIndexer): LogIndex {
  const n = c.size;
  if (n === 0) return INDEX_MAX;
  // Insertion sort, ascending, as etcd does for small configs: a handful of voters, where
  // Array.sort's comparator calls cost more than the sort. Slots past n are stale and unread.
  const srt = sortScratch;
  let len = 0;
  for (const id of c) {
    const v = acked(id) ?? 0;
    let i = len++;
    for (; i > 0 && (srt[i - 1] as number) > v; i--) srt[i] = srt[i - 1] as number;
    srt[i] = v;
  }
  return srt[n - (Math.floor(n / 2) + 1)] as LogIndex;
}

/** Won with a majority of yes, lost when a majority can no longer say yes, else pending. */
export function majorityVoteResult(c: MajorityConfig, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (c.size === 0) return 'won';
  let yes = 0;
  let missing = 0;
  for (const id of c) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) yes++;
  }
  const q = Math.floor(c.size / 2) + 1;
  if (yes >= q) return 'won';
  if (yes + missing >= q) return 'pending';
  return 'lost';
}

export function jointCommittedIndex(c: JointConfig, acked: AckedIndexer): LogIndex {
  return Math.min(majorityCommittedIndex(c.incoming, acked), majorityCommittedIndex(c.outgoing, acked)) as LogIndex;
}

export function jointVoteResult(c: JointConfig, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const r1 = majorityVoteResult(c.incoming, votes);
  const r2 = majorityVoteResult(c.outgoing, votes);
  if (r1 === r2) return r1;
  if (r1 === 'lost' || r2 === 'lost') return 'lost';
  // One side won, the other is pending.
  return 'pending';
}

/**
 * Whether both halves have a majority in `acks`: jointVoteResult(c, votes) === 'won' for the
 * votes "yes" of `acks` and no others, without building that map (a leader asks it for every
 * heartbeat answer of a ReadIndex round).
 */
export function jointQuorumAcked(c: JointConfig, acks: ReadonlySet<NodeId>): boolean {
  return majorityAcked(c.incoming, acks) && majorityAcked(c.outgoing, acks);
}

function majorityAcked(c: MajorityConfig, acks: ReadonlySet<NodeId>): boolean {
  if (c.size === 0) return true;
  let yes = 0;
  for (const id of c) if (acks.has(id)) yes++;
  return yes >= Math.floor(c.size / 2) + 1;
}

/** All voters of both halves. */
export function jointIds(c: JointConfig): Set<NodeId> {
  return new Set([...c.incoming, ...c.outgoing]);
}

/** `(1 2 3)&&(1 2)`, as etcd prints a joint config. */
export function describeJoint(c: JointConfig): string {
  const s = (m: MajorityConfig): string => `(${[...m].sort((a, b) => a - b).join(' ')})`;
  return c.outgoing.size === 0 ? s(c.incoming) : `${s(c.incoming)}&&${s(c.outgoing)}`;
}
