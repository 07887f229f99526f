/**
 * The permission checks etcd's authApplierV3 makes at apply (server/etcdserver/apply/auth.go),
 * against the auth store as it stands at this entry: Put (the key; the keys of the lease it
 * attaches; read too when it asks for the previous value), DeleteRange (the range; read too with
 * prevKv), Txn (every compare read, every op as itself, nested txns likewise), LeaseRevoke (every
 * key of the lease, unless root). Also used by the server for reads (Range and read-only Txn are
 * served locally, checked the same way before they are served).
 */
import type { DeleteRangeRequest, PutRequest, TxnRequest } from '../api.js';
import type { AuthInfo, AuthStore, Denied } from './store.js';

/** The keys attached to a lease (empty when it does not exist). */
export type LeaseKeys = (id: number) => readonly string[];

export function putDenied(s: AuthStore, ai: AuthInfo | undefined, r: PutRequest, leaseKeys: LeaseKeys): Denied | undefined {
  return s.putDenied(ai, r.key)
    ?? leasePutsDenied(s, ai, r.lease ?? 0, leaseKeys)
    ?? (r.prevKv === true ? s.rangeDenied(ai, r.key) : undefined);
}

export function deleteDenied(s: AuthStore, ai: AuthInfo | undefined, r: DeleteRangeRequest): Denied | undefined {
  return s.deleteDenied(ai, r.key, r.rangeEnd) ?? (r.prevKv === true ? s.rangeDenied(ai, r.key, r.rangeEnd) : undefined);
}

export function txnDenied(s: AuthStore, ai: AuthInfo | undefined, r: TxnRequest, leaseKeys: LeaseKeys): Denied | undefined {
  for (const c of r.compare) {
    const d = s.rangeDenied(ai, c.key, c.rangeEnd);
    if (d !== undefined) return d;
  }
  for (const op of [...r.success, ...r.failure]) {
    let d: Denied | undefined;
    switch (op.type) {
      case 'range':
        d = s.rangeDenied(ai, op.request.key, op.request.rangeEnd);
        break;
      case 'put':
        d = putDenied(s, ai, op.request, leaseKeys);
        break;
      case 'delete':
        // etcd checks the read first here (checkTxnReqsPermission), unlike a plain DeleteRange.
        d = (op.request.prevKv === true ? s.rangeDenied(ai, op.request.key, op.request.rangeEnd) : undefined) ?? s.deleteDenied(ai, op.request.key, op.request.rangeEnd);
        break;
      case 'txn':
        d = txnDenied(s, ai, op.request, leaseKeys);
        break;
      default:
        op satisfies never;
    }
    if (d !== undefined) return d;
  }
  return undefined;
}

/** etcd's checkLeasePuts: root may touch any lease; others need write permission on each of its keys. */
export function leasePutsDenied(s: AuthStore, ai: AuthInfo | undefined, leaseId: number, leaseKeys: LeaseKeys): Denied | undefined {
  if (leaseId === 0 || !s.isEnabled()) return undefined;
  const keys = leaseKeys(leaseId);
  if (keys.length === 0 || s.isAdmin(ai)) return undefined;
  for (const k of keys) {
    const d = s.putDenied(ai, k);
    if (d !== undefined) return d;
  }
  return undefined;
}
