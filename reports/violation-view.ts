/**
 * A linearizability violation for a person: the operation the explanation is about, the operations
 * the explanation names, the explanation in concrete values, and the longest linearizable prefix.
 *
 * The checker's explanation (`ViolationView.explanation`) is used as given. When it is empty, the
 * report writes one itself for the common case, a stale read, in Maelstrom's way: "read of `k`
 * returned 3 at 1.204 s, but write `k=4` completed at 1.150 s, before the read began, and no write
 * of 3 happened after it".
 */
import type { RunRecord } from '../record/run-record.js';
import type { Operation } from '../sim/history.js';
import type { OpMark } from './client-lanes.js';
import { describeOp, isReadOp, isWriteOp, readValue, writtenValue } from './describe-op.js';
import { formatSeconds, formatValue } from './format.js';

export interface OpRef {
  readonly id: number;
  readonly text: string;
  readonly callUs: number;
  readonly returnUs: number | null;
}

export interface ViolationPanel {
  readonly partition: string | null;
  readonly failed: OpRef;
  readonly related: readonly OpRef[];
  readonly explanation: readonly string[];
  /** True when the report wrote the explanation (the checker gave none). */
  readonly explanationGenerated: boolean;
  readonly prefixLength: number;
  /** The last operations of the prefix, in linearization order (at most PREFIX_SHOWN_MAX). */
  readonly prefixTail: readonly OpRef[];
  readonly marks: ReadonlyMap<number, OpMark>;
}

export const PREFIX_SHOWN_MAX = 20;

export function buildViolationPanel(record: Pick<RunRecord, 'violation' | 'history'>): ViolationPanel | null {
  const v = record.violation;
  if (v === null) return null;
  const byId = new Map(record.history.map((o) => [o.id, o]));
  const ref = (id: number): OpRef => {
    const op = byId.get(id);
    if (op === undefined) return { id, text: `op ${id} (not in the history)`, callUs: 0, returnUs: null };
    return { id, text: describeOp(op), callUs: op.call, returnUs: op.return };
  };
  const failedOp = byId.get(v.failedOp);
  const generated = v.explanation.length === 0 && failedOp !== undefined ? explainStaleRead(record.history, failedOp) : null;
  const explanation = v.explanation.length > 0 ? v.explanation : (generated?.lines ?? [`${ref(v.failedOp).text} cannot be placed after the longest linearizable prefix (${v.linearizedPrefix.length} operations).`]);
  const relatedIds = [...new Set([...v.relatedOps, ...(generated?.related ?? [])])].filter((id) => id !== v.failedOp);
  const marks = new Map<number, OpMark>(relatedIds.map((id) => [id, 'related']));
  marks.set(v.failedOp, 'failed');
  return {
    partition: v.partition,
    failed: ref(v.failedOp),
    related: relatedIds.map(ref),
    explanation,
    explanationGenerated: v.explanation.length === 0,
    prefixLength: v.linearizedPrefix.length,
    prefixTail: v.linearizedPrefix.slice(-PREFIX_SHOWN_MAX).map(ref),
    marks,
  };
}

/** `k=4` style naming of a write. */
function writeText(op: Operation): string {
  return `${op.op} \`${op.key ?? ''}=${formatValue(writtenValue(op), 24)}\``;
}

/**
 * Explains a read that returned a value older than a completed write: finds the latest write to
 * the same key that completed ok before the read began, wrote something else, and after which no
 * write of the value read could have taken effect (none was still possible: call before the read
 * returned, and return — +∞ when unknown — after that write completed). Null when the op is not
 * such a read. `time` writes a time of the history (a run's: seconds).
 */
export function explainStaleRead(history: readonly Operation[], read: Operation, time: (t: number) => string = formatSeconds): { lines: string[]; related: number[] } | null {
  if (!isReadOp(read) || read.status !== 'ok' || read.return === null) return null;
  const value = readValue(read);
  if (value === undefined) return null;
  const writes = history.filter((o) => isWriteOp(o) && o.op !== 'append' && o.key === read.key && o.status !== 'fail');
  const same = (w: Operation): boolean => value !== null && JSON.stringify(writtenValue(w)) === JSON.stringify(value);
  const completedBefore = writes.filter((w) => w.status === 'ok' && w.return !== null && w.return < read.call && !same(w)).sort((a, b) => (b.return as number) - (a.return as number));
  const readReturn = read.return;
  for (const w of completedBefore) {
    const wReturn = w.return as number;
    const couldFollow = (x: Operation): boolean => x.call < readReturn && (x.return ?? Number.POSITIVE_INFINITY) > wReturn;
    const laterSame = value === null ? history.some((x) => x.op === 'delete' && x.key === read.key && x.status !== 'fail' && couldFollow(x)) : writes.some((x) => same(x) && couldFollow(x));
    if (laterSame) continue;
    const shown = value === null ? 'nothing (no such key)' : formatValue(value, 24);
    const lines = [
      `Read of \`${read.key ?? ''}\` by c${read.client} returned ${shown} at ${time(readReturn)} (it began at ${time(read.call)}),`,
      `but ${writeText(w)} by c${w.client} completed at ${time(wReturn)}, before the read began,`,
      value === null ? 'and no delete of the key could have happened after it.' : `and no write of ${shown} happened after it: the read is stale.`,
    ];
    return { lines, related: [w.id] };
  }
  return null;
}
