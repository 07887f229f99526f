/**
 * What the server puts in a raft entry (etcd's `InternalRaftRequest`): a header with the request
 * id that the proposing member waits on, and one write request. Every member applies the same
 * bytes in the same order, so everything an apply decides must come from these bytes and the
 * state machine — never from the member that applies it (its clock, its role, its id).
 *
 * Encoding is JSON as UTF-8: entries stay readable in traces and reports, and the size limit
 * (`maxRequestBytes`) is checked on exactly the bytes that enter the log.
 */
import type { CompactionRequest, DeleteRangeRequest, PutRequest, TxnRequest } from '../api.js';
import type { AlarmRequest, LeaseGrantRequest, LeaseIdRequest } from '../wire.js';
import { assert, unreachable } from '../../sim/assert.js';

/** The write requests that go through raft. */
export type InternalRequest =
  | { readonly kind: 'put'; readonly request: PutRequest }
  | { readonly kind: 'delete'; readonly request: DeleteRangeRequest }
  | { readonly kind: 'txn'; readonly request: TxnRequest }
  | { readonly kind: 'compact'; readonly request: CompactionRequest }
  /** `request.id` is always set (non-zero) by the proposer: every member must pick the same id. */
  | { readonly kind: 'lease-grant'; readonly request: Required<LeaseGrantRequest> }
  | { readonly kind: 'lease-revoke'; readonly request: LeaseIdRequest }
  | { readonly kind: 'alarm'; readonly request: AlarmRequest };

export type InternalKind = InternalRequest['kind'];

export interface RaftRequestHeader {
  /** Unique in the cluster's life: see `requestId`. */
  readonly id: number;
  /** The member that proposed it (and waits for it). */
  readonly memberId: number;
  /**
   * Lease revokes from the lessor: the term in which the proposer was leader. Set only on
   * expiry revokes; a client's LeaseRevoke has none.
   */
  readonly leaderTerm?: number;
}

export interface RaftRequest {
  readonly header: RaftRequestHeader;
  readonly body: InternalRequest;
}

const MEMBER_BITS = 2 ** 36;
const INCARNATION_BITS = 2 ** 24;
/** Largest member id, incarnation and per-incarnation sequence a request id can hold. */
export const REQUEST_ID_MEMBER_MAX = 2 ** 16 - 1;
export const REQUEST_ID_INCARNATION_MAX = 2 ** 12 - 1;
export const REQUEST_ID_SEQ_MAX = INCARNATION_BITS - 1;

/**
 * A request id unique across members and incarnations without any clock (etcd's reqIDGen mixes
 * the member id with the wall time; we mix it with the incarnation): member · 2^36 +
 * incarnation · 2^24 + seq, an exact integer below 2^53. Lease ids chosen by the server are
 * request ids too, as in etcd.
 */
export function requestId(memberId: number, incarnation: number, seq: number): number {
  assert(Number.isInteger(memberId) && memberId > 0 && memberId <= REQUEST_ID_MEMBER_MAX, () => `request id: member ${memberId} out of range`);
  assert(Number.isInteger(incarnation) && incarnation > 0 && incarnation <= REQUEST_ID_INCARNATION_MAX, () => `request id: incarnation ${incarnation} out of range`);
  assert(Number.isInteger(seq) && seq >= 0 && seq <= REQUEST_ID_SEQ_MAX, () => `request id: sequence ${seq} exhausted in one incarnation`);
  return memberId * MEMBER_BITS + incarnation * INCARNATION_BITS + seq;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeRaftRequest(r: RaftRequest): Uint8Array {
  return encoder.encode(JSON.stringify(r));
}

const KINDS: Readonly<Record<InternalKind, true>> = {
  put: true,
  delete: true,
  txn: true,
  compact: true,
  'lease-grant': true,
  'lease-revoke': true,
  alarm: true,
};

/**
 * Decodes an entry's data. Entries are written only by servers of this cluster, so bytes that do
 * not decode are a broken invariant (a corrupted log), not an expected outcome.
 */
export function decodeRaftRequest(data: Uint8Array): RaftRequest {
  const parsed = JSON.parse(decoder.decode(data)) as RaftRequest;
  assert(typeof parsed === 'object' && parsed !== null, 'raft request: not an object');
  assert(Number.isSafeInteger(parsed.header?.id), 'raft request: header.id missing');
  assert(Number.isSafeInteger(parsed.header.memberId), 'raft request: header.memberId missing');
  assert(KINDS[parsed.body?.kind] === true, () => `raft request: unknown kind ${String(parsed.body?.kind)}`);
  return parsed;
}

/** The key a request is about, for traces (a txn's first compared key). */
export function requestKey(body: InternalRequest): string {
  switch (body.kind) {
    case 'put':
    case 'delete':
      return body.request.key;
    case 'txn':
      return body.request.compare[0]?.key ?? '';
    case 'compact':
    case 'lease-grant':
    case 'lease-revoke':
    case 'alarm':
      return '';
    default:
      return unreachable(body, 'internal request');
  }
}
