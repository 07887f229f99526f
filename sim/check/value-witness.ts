/**
 * Proofs of non-linearizability in values that need no search (Maelstrom's "a write of 2 followed
 * by a read of 4"), for the explanations (explain.ts) and for the checker when its step budget runs
 * out (linearizability.ts): either proof makes the verdict certain.
 * - a *stale read*: a read returned v, but a write of w ≠ v completed before the read began, and
 *   no write of v could have taken effect between that write and the read;
 * - a *read of an unwritten value*: a read returned v, no write completed before it began, v is not
 *   the initial value, and no write of v began before the read returned.
 */
import type { Operation } from '../history.js';
import type { Explanation } from './explain.js';
import type { Model, ReadFact, WriteFact } from './model.js';
import { effectiveReturn } from './times.js';

function fmt(v: string | number | null): string {
  return v === null ? 'nothing' : typeof v === 'string' ? JSON.stringify(v) : String(v);
}

interface Writer<Op> {
  readonly op: Op;
  readonly fact: WriteFact;
}

/**
 * A stale read or a read of an unwritten value among `ops` (one partition), for models that state
 * plain reads and writes (`readOf`/`writeOf`); undefined when there is none (or the model has an
 * effect that is not a plain write). The read the search got stuck on (`stuck`) is tried first.
 */
export function valueWitness<S, Op extends Operation>(model: Model<S, Op>, label: string, stuck: number | undefined, ops: readonly Op[], time: (t: number) => string): Explanation | undefined {
  const { readOf, writeOf } = model;
  if (readOf === undefined || writeOf === undefined) return undefined;
  const writers: Writer<Op>[] = [];
  for (const op of ops) {
    const fact = writeOf.call(model, op);
    if (fact === undefined) return undefined; // an effect that is not a plain write: no value reasoning
    if (fact !== null) writers.push({ op, fact });
  }
  const reads = ops.map((op) => ({ op, fact: readOf.call(model, op) })).filter((r): r is { op: Op; fact: ReadFact } => r.fact !== undefined);
  // The operation the search got stuck on first, then the others in call order.
  reads.sort((a, b) => Number(b.op.id === stuck) - Number(a.op.id === stuck) || a.op.call - b.op.call);
  for (const r of reads) {
    const e = witness(model, label, r.op, r.fact, writers, time);
    if (e !== undefined) return e;
  }
  return undefined;
}

function witness<S, Op extends Operation>(model: Model<S, Op>, label: string, read: Op, fact: ReadFact, all: readonly Writer<Op>[], time: (t: number) => string): Explanation | undefined {
  const writers = all.filter((w) => w.fact.key === fact.key && w.op.id !== read.id);
  const readReturn = effectiveReturn(read);
  const before = writers.filter((w) => w.fact.certain && effectiveReturn(w.op) < read.call);
  const last = before.reduce<Writer<Op> | undefined>((m, w) => (m === undefined || effectiveReturn(w.op) > effectiveReturn(m.op) ? w : m), undefined);
  const ofValue = writers.filter((w) => w.fact.value === fact.value);
  const subject = `read of \`${fact.key}\` returned ${fmt(fact.value)} at ${time(readReturn)}`;
  if (last !== undefined) {
    if (last.fact.value === fact.value) return undefined;
    const between = ofValue.filter((w) => w.op.call <= readReturn && effectiveReturn(w.op) >= last.op.call && w.op.id !== last.op.id);
    if (between.length > 0) return undefined;
    const tail = ofValue.length === 0 ? `and nothing ever wrote ${fmt(fact.value)}` : `and no write of ${fmt(fact.value)} happened after it`;
    return {
      partition: label,
      kind: 'stale-read',
      op: read.id,
      related: [last.op.id],
      message: `${subject}, but ${model.describeOperation(last.op)} completed at ${time(effectiveReturn(last.op))} before the read began (${time(read.call)}), ${tail}`,
    };
  }
  if (fact.value === model.initialValue || model.initialValue === undefined) return undefined;
  if (ofValue.some((w) => w.op.call <= readReturn)) return undefined;
  return {
    partition: label,
    kind: 'unwritten-read',
    op: read.id,
    related: ofValue.map((w) => w.op.id),
    message: `${subject}, but no write of ${fmt(fact.value)} ${ofValue.length === 0 ? 'ever happened' : 'began before the read returned'}`,
  };
}
