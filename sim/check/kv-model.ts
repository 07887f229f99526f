/**
 * The kv model of Porcupine's key-value tests (sim/check/testdata/porcupine/README.md): each key
 * holds a string, initially "". `get` returns it, `put v` sets it, `append v` concatenates v to
 * it. Keys are independent: the history is checked per key.
 */
import { z } from 'zod';
import type { Operation } from '../history.js';
import type { OperationSchemas } from './history-file.js';
import { ILLEGAL, partitionByKey } from './model.js';
import type { Model, Witness } from './model.js';

export type KvOperation = Operation &
  (
    | { readonly op: 'get'; readonly output?: { readonly value: string } }
    | { readonly op: 'put'; readonly input: { readonly value: string } }
    | { readonly op: 'append'; readonly input: { readonly value: string } }
  );

export const kvSchemas: OperationSchemas = {
  get: { input: z.undefined(), output: z.strictObject({ value: z.string() }) },
  put: { input: z.strictObject({ value: z.string() }), output: z.unknown() },
  append: { input: z.strictObject({ value: z.string() }), output: z.unknown() },
};

/**
 * A key's value with a polynomial hash of it kept alongside: appends extend the hash in O(|v|)
 * instead of rehashing the whole value, and the memo table never has to compare long strings
 * whose hashes differ.
 */
export interface KvState {
  readonly value: string;
  readonly hash: number;
}

const HASH_BASE = 0x01000193;

/** The hash of s·v given the hash of s: h(s)·B^|v| + h(v), modulo 2^32. */
function extendHash(h: number, v: string): number {
  let hv = 0;
  let pow = 1;
  for (let i = 0; i < v.length; i++) {
    hv = (Math.imul(hv, HASH_BASE) + v.charCodeAt(i)) | 0;
    pow = Math.imul(pow, HASH_BASE);
  }
  return (Math.imul(h, pow) + hv) | 0;
}

const EMPTY: KvState = { value: '', hash: 0 };

function step(state: KvState, op: KvOperation): KvState | typeof ILLEGAL {
  switch (op.op) {
    case 'get':
      if (op.status === 'unknown') return state;
      // Lengths first: a JS string comparison of an appended (rope) value may flatten it.
      return op.output !== undefined && op.output.value.length === state.value.length && op.output.value === state.value ? state : ILLEGAL;
    case 'put':
      return { value: op.input.value, hash: extendHash(0, op.input.value) };
    case 'append':
      return { value: state.value + op.input.value, hash: extendHash(state.hash, op.input.value) };
  }
}

function describeOperation(op: KvOperation): string {
  const key = op.key ?? '';
  const unknown = op.status === 'unknown';
  switch (op.op) {
    case 'get':
      return `get ${key} -> ${unknown || op.output === undefined ? '?' : JSON.stringify(op.output.value)}`;
    case 'put':
      return `put ${key}=${JSON.stringify(op.input.value)}${unknown ? ' (unknown outcome)' : ''}`;
    case 'append':
      return `append ${key} ${JSON.stringify(op.input.value)}${unknown ? ' (unknown outcome)' : ''}`;
  }
}

/**
 * A lost append, provable without search: an append that completed before a get began is in the
 * value the get returns — appends only extend the value, so only a put could have removed it, and
 * none could have taken effect between them (none called before the get returned and returned
 * after the append was called).
 */
export function kvWitness(ops: readonly KvOperation[]): Witness | undefined {
  const end = (op: KvOperation): number => (op.status === 'unknown' || op.return === null ? Infinity : op.return);
  const puts = ops.filter((op) => op.op === 'put');
  for (const get of ops) {
    if (get.op !== 'get' || get.status !== 'ok' || get.output === undefined) continue;
    const value = get.output.value;
    for (const app of ops) {
      if (app.op !== 'append' || app.status !== 'ok' || end(app) >= get.call || value.includes(app.input.value)) continue;
      if (puts.some((p) => p.call <= end(get) && end(p) >= app.call)) continue;
      return {
        kind: 'stale-read',
        op: get.id,
        related: [app.id],
        message: `get of \`${get.key ?? ''}\` returned ${JSON.stringify(value)} at t=${get.return}, but append ${JSON.stringify(app.input.value)} completed at t=${app.return} before the get began (t=${get.call}), and no put could have replaced the value in between: the append is missing`,
      };
    }
  }
  return undefined;
}

/** The values the partition's answered gets returned, sorted and without repeats. */
function observedValues(ops: readonly KvOperation[]): string[] {
  const values = new Set<string>();
  for (const op of ops) if (op.op === 'get' && op.status === 'ok' && op.output !== undefined) values.add(op.output.value);
  return [...values].sort();
}

/** True when some value of `sorted` starts with `s`: they sit together, from the first one ≥ s. */
function prefixOfSome(sorted: readonly string[], s: string): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < s) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && (sorted[lo] as string).startsWith(s);
}

/**
 * An unknown append or put of v that no get's value contains: every get between it and the next
 * put would contain v, so there is none, and taking it out changes only values nobody read.
 */
function needless(ops: readonly KvOperation[]): boolean[] {
  const values = observedValues(ops);
  return ops.map((op) => op.status === 'unknown' && op.op !== 'get' && !values.some((v) => v.includes(op.input.value)));
}

/**
 * The one state that stands for every value no get of the partition can return, because it is not
 * the beginning of any value a get returned: until the next put no get fits it, whatever exactly it
 * is, and the next put forgets it. Merging them all lets the memo table see that the many orders
 * of appends nobody read lead to the same place.
 */
const UNSEEN: KvState = { value: '\u0000(a value no get returned)', hash: 0x2545f491 };

/**
 * The kv model for one partition, knowing what its gets returned:
 * - a value that begins no returned value is UNSEEN: appends leave it UNSEEN, a put replaces it,
 *   a get never fits it — exactly as for the value it stands for, so the model accepts the same
 *   linearizations as the plain one;
 * - an unknown append or put is not placed where it makes the value UNSEEN: no get is read
 *   before the next put then, so taking the operation out changes only values nobody read, and a
 *   linearization without it exists (repeating: one where no unknown operation does this);
 * - with no put at all, values only grow: the length is a progress no step decreases (UNSEEN's is
 *   infinite: no get fits any more), and a get cannot be placed once the value is longer than what
 *   it returned (its deadline).
 */
function prepare(ops: readonly KvOperation[]): Model<KvState, KvOperation> {
  const values = observedValues(ops);
  const seen = (next: KvState): KvState => (prefixOfSome(values, next.value) ? next : UNSEEN);
  const prepared: Model<KvState, KvOperation> = {
    ...kvModel,
    step: (state, op) => {
      if (state === UNSEEN) {
        if (op.op === 'get') return op.status === 'unknown' ? state : ILLEGAL;
        if (op.op === 'append') return op.status === 'unknown' ? ILLEGAL : state;
      }
      const next = step(state, op);
      if (next === ILLEGAL || op.op === 'get') return next;
      const merged = seen(next);
      return merged === UNSEEN && op.status === 'unknown' ? ILLEGAL : merged;
    },
    describeState: (state) => (state === UNSEEN ? 'a value no get returned' : JSON.stringify(state.value)),
  };
  delete prepared.prepare;
  if (!ops.some((op) => op.op === 'put')) {
    prepared.progress = (state) => (state === UNSEEN ? Infinity : state.value.length);
    prepared.deadline = (op) => (op.op === 'get' && op.output !== undefined ? op.output.value.length : Infinity);
    prepared.progressAfter = (state, op) => (state === UNSEEN ? Infinity : state.value.length + (op.op === 'get' ? 0 : op.input.value.length));
  }
  return prepared;
}

export const kvModel: Model<KvState, KvOperation> = {
  name: 'kv',
  init: () => EMPTY,
  step,
  equal: (a, b) => a === b || (a.hash === b.hash && a.value === b.value),
  hash: (s) => s.hash,
  partition: (ops) => partitionByKey(ops),
  readOnly: (op) => op.op === 'get',
  needless,
  blind: (op) => op.op === 'put',
  prepare,
  describeOperation,
  describeState: (s) => JSON.stringify(s.value),
  initialValue: '',
  witness: kvWitness,
  readOf: (op) => (op.op === 'get' && op.status === 'ok' && op.output !== undefined ? { key: op.key ?? '', value: op.output.value } : undefined),
  // An append's result depends on the state, so it is not a plain write: undefined.
  writeOf: (op) => (op.op === 'get' ? null : op.op === 'put' ? { key: op.key ?? '', value: op.input.value, certain: op.status === 'ok' } : undefined),
};
