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

export const kvModel: Model<KvState, KvOperation> = {
  name: 'kv',
  init: () => EMPTY,
  step,
  equal: (a, b) => a === b || (a.hash === b.hash && a.value === b.value),
  hash: (s) => s.hash,
  partition: (ops) => partitionByKey(ops),
  readOnly: (op) => op.op === 'get',
  describeOperation,
  describeState: (s) => JSON.stringify(s.value),
  initialValue: '',
  witness: kvWitness,
  readOf: (op) => (op.op === 'get' && op.status === 'ok' && op.output !== undefined ? { key: op.key ?? '', value: op.output.value } : undefined),
  // An append's result depends on the state, so it is not a plain write: undefined.
  writeOf: (op) => (op.op === 'get' ? null : op.op === 'put' ? { key: op.key ?? '', value: op.input.value, certain: op.status === 'ok' } : undefined),
};
