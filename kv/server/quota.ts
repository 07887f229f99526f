/**
 * The space quota (etcd storage/quota.go) over a modelled backend size.
 *
 * etcd measures its bbolt file; we model it: every change a write txn makes adds its bytes plus
 * etcd's per-key overhead (256 B), every lease grant etcd's per-lease overhead (64 B). Like a bolt
 * file, the size never shrinks on compaction — only `defragment` (per member, not replicated, as
 * in etcd) brings it down to the live data. The size is part of the state machine snapshot, so a
 * member restored from a snapshot starts from the size the snapshot had.
 *
 * A request's cost is etcd's: a put costs 256 + key + value bytes; a txn the larger of its two
 * branches' put costs; a lease grant 64; anything else 0 (always allowed).
 */
import type { PutRequest, RequestOp, TxnRequest, WatchEvent } from '../api.js';
import type { InternalRequest } from './internal-request.js';

export const KV_OVERHEAD_BYTES = 256;
export const LEASE_OVERHEAD_BYTES = 64;

export function costPut(r: PutRequest): number {
  return KV_OVERHEAD_BYTES + r.key.length + r.value.length;
}

function costOp(op: RequestOp): number {
  return op.type === 'put' ? costPut(op.request) : 0;
}

/** etcd counts only the top level of a txn's branches. */
export function costTxn(r: TxnRequest): number {
  let success = 0;
  for (const op of r.success) success += costOp(op);
  let failure = 0;
  for (const op of r.failure) failure += costOp(op);
  return Math.max(success, failure);
}

export function requestCost(body: InternalRequest): number {
  switch (body.kind) {
    case 'put':
      return costPut(body.request);
    case 'txn':
      return costTxn(body.request);
    case 'lease-grant':
      return LEASE_OVERHEAD_BYTES;
    default:
      return 0;
  }
}

/** The bytes a committed write txn adds to the modelled backend. */
export function eventsBytes(events: readonly WatchEvent[]): number {
  let n = 0;
  for (const e of events) n += KV_OVERHEAD_BYTES + e.kv.key.length + (e.type === 'PUT' ? e.kv.value.length : 0);
  return n;
}

/** etcd BackendQuota.Available: a request with cost 0 always passes; negative quota disables. */
export function quotaAvailable(dbSizeBytes: number, cost: number, quotaBytes: number): boolean {
  if (quotaBytes < 0 || cost === 0) return true;
  return dbSizeBytes + cost < quotaBytes;
}
