/**
 * Txn semantics (etcd server/etcdserver/txn/txn.go), in three steps on one store state:
 *
 * 1. `compareToPath`: evaluate the guards of the txn *and of every nested txn on the chosen branch*
 *    against the state before the txn (nested guards do not see the txn's own writes).
 * 2. `checkTxn`: refuse the whole txn, with no effect, when an op of the chosen path would fail:
 *    a range at a future or compacted revision, a put with ignore_value/ignore_lease on a missing
 *    key, a put with an unknown lease.
 * 3. `executeTxn`: run the chosen ops in order in one write txn (one main revision); reads see the
 *    txn's earlier writes.
 *
 * Guards (etcd applyCompare): every key of [key, rangeEnd) must satisfy the comparison. With no key
 * in the range, a VALUE guard is false whatever the operator, and the other targets compare 0
 * (a missing key has version, create and mod revision 0 and lease 0).
 */
import type { Compare, KeyValue, PutRequest, RangeRequest, RequestOp, ResponseOp, TxnRequest, TxnResponse, PutResponse, DeleteRangeResponse, DeleteRangeRequest, KvError, RangeResponse, KvResult } from '../api.js';
import { assert, unreachable } from '../../sim/assert.js';
import { kvError } from './errors.js';

/** The branch taken by a txn and, in order, by each nested txn on that branch. */
export interface TxnPath {
  readonly succeeded: boolean;
  readonly nested: readonly TxnPath[];
}

/** What the three steps need from the store, all at the state before the txn unless noted. */
export interface TxnReader {
  /** Live pairs of [key, rangeEnd) now, in key order. */
  liveRange(key: string, rangeEnd: string | undefined): readonly KeyValue[];
  currentRev(): number;
  compactRev(): number;
  /** False when the lease does not exist (always true without a lessor). */
  leaseExists(id: number): boolean;
}

/** The write side, seeing the txn's own changes. */
export interface TxnWriter {
  range(r: RangeRequest): KvResult<RangeResponse>;
  put(r: PutRequest): KvResult<PutResponse>;
  deleteRange(r: DeleteRangeRequest): DeleteRangeResponse;
}

const ZERO_KV: KeyValue = Object.freeze({ key: '', createRevision: 0, modRevision: 0, version: 0, value: '', lease: 0 });

export function compareToPath(reader: TxnReader, r: TxnRequest): TxnPath {
  const succeeded = r.compare.every((c) => applyCompare(reader, c));
  const nested: TxnPath[] = [];
  for (const op of succeeded ? r.success : r.failure) {
    if (op.type === 'txn') nested.push(compareToPath(reader, op.request));
  }
  return { succeeded, nested };
}

export function applyCompare(reader: TxnReader, c: Compare): boolean {
  const kvs = reader.liveRange(c.key, c.rangeEnd);
  if (kvs.length === 0) return c.target === 'VALUE' ? false : compareKv(c, ZERO_KV);
  return kvs.every((kv) => compareKv(c, kv));
}

function compareKv(c: Compare, kv: KeyValue): boolean {
  const order = targetOrder(c, kv);
  switch (c.result) {
    case 'EQUAL': return order === 0;
    case 'NOT_EQUAL': return order !== 0;
    case 'GREATER': return order > 0;
    case 'LESS': return order < 0;
    default: return unreachable(c.result, 'compare result');
  }
}

/** Sign of (the key's target) − (the guard's value). */
function targetOrder(c: Compare, kv: KeyValue): number {
  switch (c.target) {
    case 'VALUE': return kv.value < c.value ? -1 : kv.value > c.value ? 1 : 0;
    case 'VERSION': return Math.sign(kv.version - c.version);
    case 'CREATE': return Math.sign(kv.createRevision - c.createRevision);
    case 'MOD': return Math.sign(kv.modRevision - c.modRevision);
    case 'LEASE': return Math.sign(kv.lease - c.lease);
    default: return unreachable(c, 'compare target');
  }
}

/** The first error an op of the chosen path would meet, checked before anything is written. */
export function checkTxn(reader: TxnReader, r: TxnRequest, path: TxnPath): KvError | undefined {
  let nestedAt = 0;
  for (const op of path.succeeded ? r.success : r.failure) {
    let err: KvError | undefined;
    switch (op.type) {
      case 'range': err = checkRange(reader, op.request); break;
      case 'put': err = checkPut(reader, op.request); break;
      case 'delete': break;
      case 'txn': err = checkTxn(reader, op.request, nthPath(path, nestedAt++)); break;
      default: return unreachable(op, 'request op');
    }
    if (err !== undefined) return err;
  }
  return undefined;
}

function checkRange(reader: TxnReader, r: RangeRequest): KvError | undefined {
  const rev = r.revision ?? 0;
  if (rev === 0) return undefined;
  if (rev > reader.currentRev()) return kvError('FutureRev');
  // etcd compares with FirstRev(), which is compactMainRev.
  if (rev < reader.compactRev()) return kvError('Compacted');
  return undefined;
}

/**
 * Checks for a put inside a txn, on the state before any write: the key first (ignore_value /
 * ignore_lease need it), then the lease (etcd checkRequestPut).
 */
export function checkPut(reader: TxnReader, r: PutRequest): KvError | undefined {
  if ((r.ignoreValue === true || r.ignoreLease === true) && reader.liveRange(r.key, undefined).length === 0) return kvError('KeyNotFound');
  const lease = r.lease ?? 0;
  if (lease !== 0 && !reader.leaseExists(lease)) return kvError('LeaseNotFound');
  return undefined;
}

/**
 * Checks for a put on its own: the lease first, then the key. etcd's applier looks the lease up
 * before it opens the write txn for a plain Put, and only then finds the key missing, so a put that
 * breaks both rules answers LeaseNotFound — the other way round from the same put inside a txn
 * (found by the conformance harness against etcd 3.4; kv/conformance/regressions.test.ts).
 */
export function checkPlainPut(reader: TxnReader, r: PutRequest): KvError | undefined {
  const lease = r.lease ?? 0;
  if (lease !== 0 && !reader.leaseExists(lease)) return kvError('LeaseNotFound');
  return checkPut(reader, r);
}

/** Runs the chosen ops. Anything failing here passed `checkTxn`, so it is a broken invariant (etcd panics). */
export function executeTxn(writer: TxnWriter, r: TxnRequest, path: TxnPath): TxnResponse {
  const responses: ResponseOp[] = [];
  let nestedAt = 0;
  for (const op of path.succeeded ? r.success : r.failure) {
    responses.push(executeOp(writer, op, () => nthPath(path, nestedAt++)));
  }
  return { succeeded: path.succeeded, responses };
}

function executeOp(writer: TxnWriter, op: RequestOp, nextPath: () => TxnPath): ResponseOp {
  switch (op.type) {
    case 'range': return { type: 'range', response: mustSucceed(writer.range(op.request), 'range') };
    case 'put': return { type: 'put', response: mustSucceed(writer.put(op.request), 'put') };
    case 'delete': return { type: 'delete', response: writer.deleteRange(op.request) };
    case 'txn': return { type: 'txn', response: executeTxn(writer, op.request, nextPath()) };
    default: return unreachable(op, 'request op');
  }
}

function nthPath(path: TxnPath, i: number): TxnPath {
  const p = path.nested[i];
  assert(p !== undefined, () => `txn: no path for nested txn ${i}`);
  return p;
}

function mustSucceed<T>(res: KvResult<T>, what: string): T {
  // etcd: "unexpected error during txn with writes" (lg.Panic). Reachable only through etcd's
  // duplicate-key rule letting a delete to "\0" precede a put with ignore_value on the same key.
  assert(res.ok, () => `txn: ${what} failed during execution (${res.ok ? '' : res.error.message}); etcd panics here`);
  return res.value;
}
