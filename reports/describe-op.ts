/**
 * Operations in words: `c3 put k="4"`, `c1 range k → "3"`. The history's inputs and outputs are
 * opaque to the reports (each model has its own), so values are found by shape: the etcd
 * operations' `{value}` and `{kvs: [{value}]}`, Porcupine's `{value}`, or a bare value.
 */
import type { Operation } from '../sim/history.js';
import { formatUs, formatValue } from './format.js';
import { unreachable } from './invariant.js';

const READS: ReadonlySet<string> = new Set(['read', 'get', 'range']);
const WRITES: ReadonlySet<string> = new Set(['write', 'put', 'append']);

export function isReadOp(op: Operation): boolean {
  return READS.has(op.op);
}

export function isWriteOp(op: Operation): boolean {
  return WRITES.has(op.op);
}

/** What a read returned: the value, `null` for "no such key", or `undefined` when it cannot tell. */
export function readValue(op: Operation): unknown {
  if (op.status !== 'ok' || op.output === undefined) return undefined;
  const out = op.output;
  if (out === null || typeof out !== 'object') return out;
  if ('value' in out) return (out as { value: unknown }).value;
  if ('kvs' in out && Array.isArray((out as { kvs: unknown }).kvs)) {
    const kvs = (out as { kvs: readonly unknown[] }).kvs;
    const first = kvs[0];
    if (first === undefined) return null;
    if (first !== null && typeof first === 'object' && 'value' in first) return (first as { value: unknown }).value;
  }
  return undefined;
}

/** What a write wrote, or `undefined` when it cannot tell. */
export function writtenValue(op: Operation): unknown {
  const input = op.input;
  if (input === undefined) return undefined;
  if (input === null || typeof input !== 'object') return input;
  if ('value' in input) return (input as { value: unknown }).value;
  return undefined;
}

/** `c3 put k="4"`, `c1 range k → "3"`, `c2 txn k {…} ✗ timeout`: the op and its outcome. */
export function describeOp(op: Operation, charsMax = 96): string {
  const valueMax = Math.max(8, Math.floor(charsMax / 3));
  const key = op.key !== undefined ? ` ${formatValue(op.key, valueMax).replace(/^"(.*)"$/, '$1')}` : '';
  let text = `c${op.client} ${op.op}${key}`;
  const w = writtenValue(op);
  const txn = op.op === 'txn' ? describeTxn(op.input, valueMax) : null;
  if (txn !== null) text += ` ${txn}`;
  else if (isWriteOp(op) && w !== undefined) text += `${op.op === 'append' ? ' +' : '='}${formatValue(w, valueMax)}`;
  else if (op.input !== undefined && !isReadOp(op)) text += ` ${formatValue(op.input, valueMax)}`;
  text += outcome(op, valueMax);
  return text.length <= charsMax ? text : `${text.slice(0, charsMax - 1)}…`;
}

function outcome(op: Operation, valueMax: number): string {
  switch (op.status) {
    case 'ok': {
      if (op.op === 'txn' && isRecord(op.output) && typeof op.output.succeeded === 'boolean') return op.output.succeeded ? ' → then' : ' → else';
      if (!isReadOp(op)) return op.output === undefined ? '' : ` → ${formatValue(op.output, valueMax)}`;
      const v = readValue(op);
      if (v === null) return ' → (none)';
      return ` → ${formatValue(v === undefined ? op.output : v, valueMax)}`;
    }
    case 'fail':
      return ` ✗ ${failText(op.output, valueMax)}`;
    case 'unknown':
      return ' ? (unknown outcome)';
    default:
      return unreachable(op.status, 'op status');
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** An error as its code (`ProposalDropped`), a string as itself, anything else as short JSON. */
function failText(output: unknown, valueMax: number): string {
  if (output === undefined) return 'failed';
  if (typeof output === 'string') return output.length <= valueMax ? output : `${output.slice(0, valueMax - 1)}…`;
  if (isRecord(output) && typeof output.code === 'string') return output.code;
  return formatValue(output, valueMax);
}

const COMPARE_OP: Readonly<Record<string, string>> = { EQUAL: '=', NOT_EQUAL: '≠', GREATER: '>', LESS: '<' };
const COMPARE_FIELD: Readonly<Record<string, string>> = { VALUE: 'value', VERSION: 'version', CREATE: 'createRevision', MOD: 'modRevision', LEASE: 'lease' };

/** `if k1.version = 0 then put k1="a" else range k1` for an etcd Txn request; null when it is not one. */
export function describeTxn(input: unknown, valueMax = 24): string | null {
  if (!isRecord(input) || !Array.isArray(input.compare) || !Array.isArray(input.success) || !Array.isArray(input.failure)) return null;
  const compares = input.compare.map((c: unknown) => {
    if (!isRecord(c)) return '?';
    const field = COMPARE_FIELD[String(c.target)] ?? String(c.target).toLowerCase();
    return `${String(c.key)}.${field} ${COMPARE_OP[String(c.result)] ?? String(c.result)} ${formatValue(c[field], valueMax)}`;
  });
  const ops = (list: readonly unknown[]): string => list.map((o) => requestText(o, valueMax)).join(', ') || 'nothing';
  return `if ${compares.join(' and ') || 'true'} then ${ops(input.success)} else ${ops(input.failure)}`;
}

function requestText(o: unknown, valueMax: number): string {
  if (!isRecord(o) || !isRecord(o.request)) return '?';
  const r = o.request;
  if (o.type === 'put') return `put ${String(r.key)}=${formatValue(r.value, valueMax)}`;
  if (o.type === 'txn') return 'txn {…}';
  return `${String(o.type)} ${String(r.key)}`;
}

/** The op with its times: `c1 range k → "3" [1.204 s – 1.210 s]`. */
export function describeOpWithTimes(op: Operation): string {
  const ret = op.return === null ? 'never returned' : formatUs(op.return);
  return `${describeOp(op)} [${formatUs(op.call)} – ${ret}]`;
}
