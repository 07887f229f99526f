/**
 * Explanations of a linearizability violation in concrete values, for people (Maelstrom's
 * "a write of 2 followed by a read of 4").
 *
 * For each illegal partition, first the model's own witness if it has one (the etcd model: a
 * revision that goes back in real time), then a witness that needs no search, when the model
 * states plain reads and writes (`readOf`/`writeOf`):
 * - a *stale read*: a read returned v, but a write of w ≠ v completed before the read began, and
 *   no write of v could have taken effect between that write and the read;
 * - a *read of an unwritten value*: a read returned v, no write completed before it began, v is not
 *   the initial value, and no write of v began before the read returned.
 * Both are sound: when one is found the history is certainly not linearizable. Otherwise, the
 * search's own evidence: the longest linearizable prefix it found, the state after it, and the
 * operation that could not be placed.
 */
import type { Operation } from '../history.js';
import { effectiveReturn } from './times.js';
import { valueWitness } from './value-witness.js';
import type { LinearizabilityResult, PartitionResult } from './linearizability.js';
import { ILLEGAL } from './model.js';
import type { ExplanationKind, Model } from './model.js';

export type { ExplanationKind } from './model.js';

export interface Explanation {
  readonly partition: string;
  readonly kind: ExplanationKind;
  /** The operation to point at. */
  readonly op: number;
  /** Other operations the explanation names (the write that made the read stale). */
  readonly related: readonly number[];
  readonly message: string;
}

export interface ExplainOptions {
  /**
   * How a time of the history is written (default `t=N`, in the history's own unit: a file given
   * to `raftsim check` may count in any unit). A run's explanations pass seconds (`5.129 s`).
   */
  readonly formatTime?: (t: number) => string;
}

/** One explanation per illegal partition, in partition order. */
export function explainViolations<S, Op extends Operation>(model: Model<S, Op>, history: readonly Op[], result: LinearizabilityResult, options: ExplainOptions = {}): Explanation[] {
  const fmtTime = options.formatTime;
  const time = (t: number): string => (fmtTime === undefined ? rawTime(t) : Number.isFinite(t) ? fmtTime(t) : '∞');
  const byId = new Map<number, Op>();
  for (const op of history) byId.set(op.id, op);
  const out: Explanation[] = [];
  for (const part of result.partitions) {
    if (part.verdict !== 'illegal') continue;
    const ops = part.opIds.map((id) => byId.get(id)).filter((op): op is Op => op !== undefined);
    const w = model.witness?.(ops, fmtTime);
    // The search ran on the model prepared for the partition, which may know more than the plain
    // one (the etcd model: which lease ids the history's grants can have made); replay with it.
    out.push(w !== undefined ? { partition: part.label, ...w } : (valueWitness(model, part.label, part.stuck, ops, time) ?? explainBySearch(model.prepare?.(ops) ?? model, part, byId, time)));
  }
  return out;
}

function rawTime(t: number): string {
  return Number.isFinite(t) ? `t=${t}` : 't=∞';
}

function explainBySearch<S, Op extends Operation>(model: Model<S, Op>, part: PartitionResult, byId: ReadonlyMap<number, Op>, time: (t: number) => string): Explanation {
  let state = model.init();
  for (const id of part.linearized) {
    const next = model.step(state, byId.get(id) as Op);
    if (next === ILLEGAL) break; // cannot happen for a prefix the search accepted; keep the last good state
    state = next;
  }
  const stuck = part.stuck === undefined ? undefined : byId.get(part.stuck);
  const where = part.label === '' ? '' : ` in partition ${part.label}`;
  if (stuck === undefined) {
    return { partition: part.label, kind: 'unplaceable', op: -1, related: [], message: `no linearization exists${where}` };
  }
  const fits = model.step(state, stuck) !== ILLEGAL;
  const reason = fits
    ? 'it fits that state, but every order of the operations pending before it returned leads to a dead end'
    : 'applied to that state it could not have returned what it did, and no other order of the operations pending before it returned works';
  return {
    partition: part.label,
    kind: 'unplaceable',
    op: stuck.id,
    related: [...part.linearized],
    message: `after the longest linearizable prefix found${where} (${part.linearized.length} of ${part.opIds.length} operations; state ${model.describeState(state)}), ${model.describeOperation(stuck)} [client ${stuck.client}, ${time(stuck.call)}..${time(effectiveReturn(stuck))}] cannot be placed: ${reason}`,
  };
}
