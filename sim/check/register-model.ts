/**
 * The register model, as Porcupine's tests define it for the Jepsen etcd histories
 * (sim/check/testdata/porcupine/README.md): one value per key, initially none.
 * - `read` must return the current value (`null` when there is none);
 * - `write v` sets it;
 * - `cas a b` sets it to b and answers `ok: true` when it is a, otherwise answers `ok: false` and
 *   leaves it (a definite answer: it took no effect).
 * Keys are independent, so histories partition per key.
 */
import { z } from 'zod';
import type { Operation } from '../history.js';
import type { OperationSchemas } from './history-file.js';
import { ILLEGAL, partitionByKey } from './model.js';
import type { Model } from './model.js';

export type RegisterState = number | null;

export type RegisterOperation = Operation &
  (
    | { readonly op: 'read'; readonly output?: { readonly value: number | null } }
    | { readonly op: 'write'; readonly input: { readonly value: number } }
    | { readonly op: 'cas'; readonly input: { readonly from: number; readonly to: number }; readonly output?: { readonly ok: boolean } }
  );

export const registerSchemas: OperationSchemas = {
  read: { input: z.undefined(), output: z.strictObject({ value: z.number().nullable() }) },
  write: { input: z.strictObject({ value: z.number() }), output: z.unknown() },
  cas: { input: z.strictObject({ from: z.number(), to: z.number() }), output: z.strictObject({ ok: z.boolean() }) },
};

function step(state: RegisterState, op: RegisterOperation): RegisterState | typeof ILLEGAL {
  switch (op.op) {
    case 'read':
      if (op.status === 'unknown') return state;
      return op.output !== undefined && op.output.value === state ? state : ILLEGAL;
    case 'write':
      return op.input.value;
    case 'cas': {
      const swaps = state === op.input.from;
      if (op.status !== 'unknown' && (op.output === undefined || op.output.ok !== swaps)) return ILLEGAL;
      return swaps ? op.input.to : state;
    }
  }
}

function describeOperation(op: RegisterOperation): string {
  const key = op.key ?? 'x';
  const unknown = op.status === 'unknown';
  switch (op.op) {
    case 'read':
      return `read ${key} -> ${unknown || op.output === undefined ? '?' : String(op.output.value)}`;
    case 'write':
      return `write ${key}=${op.input.value}${unknown ? ' (unknown outcome)' : ''}`;
    case 'cas':
      return `cas ${key} ${op.input.from}->${op.input.to} ${unknown || op.output === undefined ? '?' : op.output.ok ? 'ok' : 'not swapped'}`;
  }
}

/**
 * An unknown write (or cas) of v that no read returned and no cas compared with v: between it and
 * the next write the register holds v, and nothing there can have looked (a read would return v, a
 * cas from v would compare equal), so taking it out changes no outcome — provided no cas answered
 * "not swapped" (that answer depends on the value, which taking the write out changes; an unknown
 * cas there did not swap and can be left out too).
 */
function needless(ops: readonly RegisterOperation[]): boolean[] {
  const seen = new Set<number | null>();
  let unswapped = false;
  for (const op of ops) {
    if (op.op === 'read' && op.status === 'ok' && op.output !== undefined) seen.add(op.output.value);
    if (op.op === 'cas') {
      seen.add(op.input.from);
      if (op.status === 'ok' && op.output?.ok === false) unswapped = true;
    }
  }
  return ops.map((op) => {
    if (unswapped || op.status !== 'unknown') return false;
    if (op.op === 'write') return !seen.has(op.input.value);
    if (op.op === 'cas') return !seen.has(op.input.to);
    return false;
  });
}

export const registerModel: Model<RegisterState, RegisterOperation> = {
  name: 'register',
  init: () => null,
  step,
  equal: (a, b) => a === b,
  partition: (ops) => partitionByKey(ops),
  // A cas that answered "no swap" left the value as it was.
  readOnly: (op) => op.op === 'read' || (op.op === 'cas' && op.status === 'ok' && op.output?.ok === false),
  hash: (s) => (s === null ? 0x5bd1e995 : s | 0),
  needless,
  blind: (op) => op.op === 'write',
  describeOperation,
  describeState: (s) => (s === null ? 'no value' : String(s)),
  initialValue: null,
  readOf: (op) => (op.op === 'read' && op.status === 'ok' && op.output !== undefined ? { key: op.key ?? '', value: op.output.value } : undefined),
  writeOf: (op) => {
    switch (op.op) {
      case 'read':
        return null;
      case 'write':
        return { key: op.key ?? '', value: op.input.value, certain: op.status === 'ok' };
      case 'cas':
        if (op.status === 'ok' && op.output?.ok === false) return null;
        return { key: op.key ?? '', value: op.input.to, certain: op.status === 'ok' };
    }
  },
};
