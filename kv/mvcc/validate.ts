/**
 * Request validation that etcd does before proposing (api/v3rpc/key.go): pure functions, so the
 * server can refuse a bad request without a raft round trip, and the store can check again on apply.
 *
 * The duplicate-key rule for txns is etcd's `checkIntervals`, reproduced exactly, including two
 * consequences that surprise people:
 * - a put and a delete in *sibling* nested txns are refused only when the delete comes first;
 * - a delete whose range end is "\0" ("every key ≥ key") is an empty interval to etcd's interval
 *   tree, so it never conflicts with a put. Such a txn is accepted and applied in order.
 */
import type { DeleteRangeRequest, KvError, PutRequest, RangeRequest, RequestOp, TxnRequest } from '../api.js';
import { assert, unreachable } from '../../sim/assert.js';
import { kvError } from './errors.js';

/** etcd's default `--max-txn-ops`. */
export const MAX_TXN_OPS_DEFAULT = 128;

const SORT_ORDERS: ReadonlySet<string> = new Set(['NONE', 'ASCEND', 'DESCEND']);
const SORT_TARGETS: ReadonlySet<string> = new Set(['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE']);
/** Nesting depth we accept: far beyond any real txn, a guard against runaway recursion. */
const TXN_DEPTH_MAX = 64;

export function validateRange(r: RangeRequest): KvError | undefined {
  if (r.key === '') return kvError('EmptyKey');
  if (r.sortOrder !== undefined && !SORT_ORDERS.has(r.sortOrder)) return kvError('InvalidSortOption');
  if (r.sortTarget !== undefined && !SORT_TARGETS.has(r.sortTarget)) return kvError('InvalidSortOption');
  return undefined;
}

export function validatePut(r: PutRequest): KvError | undefined {
  if (r.key === '') return kvError('EmptyKey');
  if (r.ignoreValue === true && r.value !== '') return kvError('ValueProvided');
  if (r.ignoreLease === true && (r.lease ?? 0) !== 0) return kvError('LeaseProvided');
  return undefined;
}

export function validateDeleteRange(r: DeleteRangeRequest): KvError | undefined {
  return r.key === '' ? kvError('EmptyKey') : undefined;
}

/** etcd checkTxnRequest + checkIntervals on both branches. */
export function validateTxn(r: TxnRequest, maxTxnOps = MAX_TXN_OPS_DEFAULT): KvError | undefined {
  const err = checkTxnRequest(r, maxTxnOps, 0);
  if (err !== undefined) return err;
  if (checkIntervals(r.success, 0) === undefined) return kvError('DuplicateKey');
  if (checkIntervals(r.failure, 0) === undefined) return kvError('DuplicateKey');
  return undefined;
}

/** True when no op (at any depth) writes: etcd IsTxnReadonly looks only at the top level. */
export function isTxnReadOnly(r: TxnRequest): boolean {
  return r.success.every((op) => op.type === 'range') && r.failure.every((op) => op.type === 'range');
}

function checkTxnRequest(r: TxnRequest, maxTxnOps: number, depth: number): KvError | undefined {
  assert(depth <= TXN_DEPTH_MAX, () => `txn: nested deeper than ${TXN_DEPTH_MAX}`);
  // Each branch is bounded separately, and nested txns share what the parent did not use.
  const opc = Math.max(r.compare.length, r.success.length, r.failure.length);
  if (opc > maxTxnOps) return kvError('TooManyOps');
  for (const c of r.compare) if (c.key === '') return kvError('EmptyKey');
  for (const op of [...r.success, ...r.failure]) {
    const err = checkRequestOp(op, maxTxnOps - opc, depth);
    if (err !== undefined) return err;
  }
  return undefined;
}

function checkRequestOp(op: RequestOp, maxTxnOps: number, depth: number): KvError | undefined {
  switch (op.type) {
    case 'range': return validateRange(op.request);
    case 'put': return validatePut(op.request);
    case 'delete': return validateDeleteRange(op.request);
    case 'txn': return checkTxnRequest(op.request, maxTxnOps, depth + 1);
    default: return unreachable(op, 'request op');
  }
}

/**
 * An interval of etcd's "string affine" interval tree: [start, end), where end "" means +∞ and a
 * point p is [p, p + "\0"). "\0" as an end is an ordinary string here (see the file comment).
 */
interface Interval {
  readonly start: string;
  readonly end: string;
}

function pointInside(p: string, iv: Interval): boolean {
  return iv.start <= p && (iv.end === '' || p < iv.end);
}

/** A delete of `dels` covers key `k`. */
function conflicts(k: string, dels: readonly Interval[]): boolean {
  return dels.some((iv) => pointInside(k, iv));
}

function nonEmpty(iv: Interval): boolean {
  return iv.end === '' || iv.start < iv.end;
}

/** Puts and deletes of one list of ops, or undefined when a put overlaps another put or a delete. */
function checkIntervals(ops: readonly RequestOp[], depth: number): { puts: Set<string>; dels: Interval[] } | undefined {
  assert(depth <= TXN_DEPTH_MAX, () => `txn: nested deeper than ${TXN_DEPTH_MAX}`);
  // Deletes of this level first, so puts of nested txns are checked against them.
  const dels: Interval[] = [];
  for (const op of ops) {
    if (op.type !== 'delete') continue;
    const { key, rangeEnd } = op.request;
    const iv = rangeEnd === undefined || rangeEnd === '' ? { start: key, end: `${key}\0` } : { start: key, end: rangeEnd };
    if (nonEmpty(iv)) dels.push(iv);
  }
  const puts = new Set<string>();
  for (const op of ops) {
    if (op.type !== 'txn') continue;
    const then = checkIntervals(op.request.success, depth + 1);
    const other = then && checkIntervals(op.request.failure, depth + 1);
    if (then === undefined || other === undefined) return undefined;
    for (const k of then.puts) {
      if (puts.has(k) || conflicts(k, dels)) return undefined;
      puts.add(k);
    }
    for (const k of other.puts) {
      // The same key in both branches of one nested txn is fine: only one branch runs.
      if ((puts.has(k) && !then.puts.has(k)) || conflicts(k, dels)) return undefined;
      puts.add(k);
    }
    dels.push(...then.dels, ...other.dels);
  }
  for (const op of ops) {
    if (op.type !== 'put') continue;
    const k = op.request.key;
    if (puts.has(k) || conflicts(k, dels)) return undefined;
    puts.add(k);
  }
  return { puts, dels };
}
