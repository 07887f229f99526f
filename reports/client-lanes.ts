/**
 * Client lanes: one lane per client, each operation a bar from its call to its return.
 *
 * An `unknown` operation may take effect at any time after its call, or never (Porcupine gives it
 * a return of +∞), so its bar runs to the end of the run: `drawUntilUs` is the end. Very many
 * operations in a lane are drawn as density buckets (`bucketOps`) instead of one bar each, so a
 * 100,000-operation run draws a bounded number of shapes.
 */
import type { Operation, OpStatus } from '../sim/history.js';
import { describeOp } from './describe-op.js';
import { assert } from './invariant.js';

/** How an op is highlighted: the op a violation could not place, an op its explanation names. */
export type OpMark = 'none' | 'failed' | 'related';

export interface OpBar {
  readonly id: number;
  readonly client: number;
  readonly callUs: number;
  /** null: it never returned. */
  readonly returnUs: number | null;
  /** Where the bar ends: the return, or the end of the run for an unknown outcome. */
  readonly drawUntilUs: number;
  readonly status: OpStatus;
  readonly mark: OpMark;
  /** `c3 put k="4"`: the op in words (escaped only when rendered). */
  readonly label: string;
  /** The history's free-form note (the member that served it, the error), or ''. */
  readonly note: string;
}

export interface ClientLane {
  /** The client shown, or the first of several merged into one lane when there are too many. */
  readonly client: number;
  readonly label: string;
  readonly ops: readonly OpBar[];
  readonly counts: Readonly<Record<OpStatus, number>>;
}

/** More clients than this share the last lane: a page of a thousand lanes helps nobody. */
export const CLIENT_LANES_MAX = 64;

export function buildClientLanes(
  history: readonly Operation[],
  clients: readonly number[],
  endUs: number,
  marks: ReadonlyMap<number, OpMark>,
): ClientLane[] {
  // Lanes are the clients the history names; `clients` (the record's list) only when there is no history.
  const ids = [...new Set(history.length > 0 ? history.map((o) => o.client) : clients)].sort((a, b) => a - b);
  const laneOf = new Map<number, number>();
  ids.forEach((c, i) => laneOf.set(c, Math.min(i, CLIENT_LANES_MAX - 1)));
  const laneCount = Math.min(ids.length, CLIENT_LANES_MAX);
  const bars: OpBar[][] = Array.from({ length: laneCount }, () => []);
  for (const op of history) {
    assert(op.return === null || op.return >= op.call, () => `lanes: op ${op.id} returns before its call`);
    const lane = bars[laneOf.get(op.client) as number] as OpBar[];
    lane.push(toBar(op, endUs, marks.get(op.id) ?? 'none'));
  }
  return bars.map((ops, i) => {
    ops.sort((a, b) => a.callUs - b.callUs || a.id - b.id);
    const client = ids[i] as number;
    const merged = i === CLIENT_LANES_MAX - 1 && ids.length > CLIENT_LANES_MAX;
    const label = merged ? `c${client}… (+${ids.length - CLIENT_LANES_MAX})` : `c${client}`;
    return { client, label, ops, counts: countStatuses(ops) };
  });
}

function toBar(op: Operation, endUs: number, mark: OpMark): OpBar {
  const drawUntilUs = op.status === 'unknown' ? Math.max(endUs, op.call) : (op.return ?? Math.max(endUs, op.call));
  return { id: op.id, client: op.client, callUs: op.call, returnUs: op.return, drawUntilUs, status: op.status, mark, label: describeOp(op), note: op.note ?? '' };
}

function countStatuses(ops: readonly OpBar[]): Record<OpStatus, number> {
  const counts: Record<OpStatus, number> = { ok: 0, fail: 0, unknown: 0 };
  for (const o of ops) counts[o.status]++;
  return counts;
}

/** Operations overlapping [fromUs, untilUs), counted per status. */
export interface DensityBucket {
  readonly fromUs: number;
  readonly untilUs: number;
  readonly ok: number;
  readonly fail: number;
  readonly unknown: number;
}

/**
 * Counts, per bucket of equal width, the operations whose *own* span (call to return; call only
 * for an unknown outcome) overlaps it. The open tails of unknown operations are left out: one
 * early timeout would otherwise fill every later bucket.
 */
export function bucketOps(ops: readonly OpBar[], fromUs: number, untilUs: number, bucketCount: number): DensityBucket[] {
  assert(untilUs > fromUs, 'bucketOps: empty range');
  assert(Number.isInteger(bucketCount) && bucketCount >= 1 && bucketCount <= 100_000, 'bucketOps: bucketCount in [1, 100000]');
  const width = (untilUs - fromUs) / bucketCount;
  const counts = Array.from({ length: bucketCount }, () => ({ ok: 0, fail: 0, unknown: 0 }));
  for (const o of ops) {
    const end = o.returnUs ?? o.callUs;
    if (end < fromUs || o.callUs >= untilUs) continue;
    const first = Math.max(0, Math.floor((o.callUs - fromUs) / width));
    const last = Math.min(bucketCount - 1, Math.floor((end - fromUs) / width));
    for (let b = first; b <= last; b++) (counts[b] as { ok: number; fail: number; unknown: number })[o.status]++;
  }
  return counts.map((c, b) => ({ fromUs: fromUs + b * width, untilUs: fromUs + (b + 1) * width, ...c }));
}
