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
import type { LeaseCheckpoint } from '../lease/lessor.js';
import type { AuthRequest } from '../auth/store.js';

/** The write requests that go through raft. */
export type InternalRequest =
  | { readonly kind: 'put'; readonly request: PutRequest }
  | { readonly kind: 'delete'; readonly request: DeleteRangeRequest }
  | { readonly kind: 'txn'; readonly request: TxnRequest }
  | { readonly kind: 'compact'; readonly request: CompactionRequest }
  /** `request.id` is always set (non-zero) by the proposer: every member must pick the same id. */
  | { readonly kind: 'lease-grant'; readonly request: Required<LeaseGrantRequest> }
  | { readonly kind: 'lease-revoke'; readonly request: LeaseIdRequest }
  | { readonly kind: 'alarm'; readonly request: AlarmRequest }
  /** etcd LeaseCheckpoint: remaining TTLs the leader's lessor saw (0 clears one, after a renew). */
  | { readonly kind: 'lease-checkpoint'; readonly request: { readonly checkpoints: readonly LeaseCheckpoint[] } }
  /** etcd ClusterMemberAttrSet (publishV3): a member publishes its name and client URLs once it runs. */
  | { readonly kind: 'member-attr'; readonly request: MemberAttrRequest }
  /** etcd's auth requests (AuthEnable, UserAdd, Authenticate, …): applied to the auth store. */
  | { readonly kind: 'auth'; readonly request: AuthRequest };

export interface MemberAttrRequest {
  readonly memberId: number;
  readonly name: string;
  readonly clientURLs: readonly string[];
}

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
  /**
   * etcd's RequestHeader.Username / AuthRevision: who sent it and the proposer's auth revision when
   * it arrived, from the caller's token; absent when auth was off or no token came. Checked at apply.
   */
  readonly username?: string;
  readonly authRevision?: number;
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
  const data = encoder.encode(JSON.stringify(r));
  rememberProposed(data, r);
  return data;
}

/**
 * The bytes a proposer encodes reach every member's log as this very array, so their decoding is
 * remembered now (see `decodeRaftRequest`), made from the request itself: a frozen copy built the
 * way `JSON.parse` builds it from these bytes, which costs a third of parsing them. A request that
 * is not plain JSON data, or would not pass the decoder's checks, is left to be parsed on apply, so
 * it fails there as it always did.
 */
function rememberProposed(data: Uint8Array, r: RaftRequest): void {
  const copy = jsonCopy(r, 0);
  if (copy === NOT_PLAIN || requestProblem(copy) !== undefined) return;
  decodedCache.remember(data, copy as RaftRequest);
}

/**
 * Decodes an entry's data. Entries are written only by servers of this cluster, so bytes that do
 * not decode are a broken invariant (a corrupted log), not an expected outcome.
 *
 * Every member applies the same entry, and in a simulation their logs hold the very same byte
 * array (messages travel by reference; only a restart reads fresh copies from its WAL), so the
 * decoded request is remembered per byte array (the `DECODED_MAX` most recent): decoded once, not
 * once per member. That is safe because an entry's bytes are never written after the proposal
 * (raft and the disk copy them, never modify them), the decoding depends on the bytes alone, and
 * the request handed out is deeply frozen, so no member can change what another applies.
 */
export function decodeRaftRequest(data: Uint8Array): RaftRequest {
  return decodedCache.get(data) ?? decodedCache.remember(data, parseRaftRequest(data));
}

function parseRaftRequest(data: Uint8Array): RaftRequest {
  const parsed: unknown = JSON.parse(decoder.decode(data));
  const problem = requestProblem(parsed);
  assert(problem === undefined, () => `raft request: ${problem}`);
  return deepFreeze(parsed as RaftRequest, 0);
}

/** What makes a decoded value no request of this cluster, or undefined when it is one. */
function requestProblem(value: unknown): string | undefined {
  const r = value as RaftRequest | null;
  if (typeof r !== 'object' || r === null) return 'not an object';
  if (!Number.isSafeInteger(r.header?.id)) return 'header.id missing';
  if (!Number.isSafeInteger(r.header.memberId)) return 'header.memberId missing';
  if (!isInternalKind(r.body?.kind)) return `unknown kind ${String(r.body?.kind)}`;
  return undefined;
}

/** Whether `kind` names a write that goes through raft; exhaustive, so a new kind does not compile until listed. */
function isInternalKind(kind: InternalKind | undefined): boolean {
  switch (kind) {
    case 'put':
    case 'delete':
    case 'txn':
    case 'compact':
    case 'lease-grant':
    case 'lease-revoke':
    case 'alarm':
    case 'member-attr':
    case 'lease-checkpoint':
    case 'auth':
      return true;
    case undefined:
      return false;
    default:
      // Log bytes are untyped: an unknown kind lands here at run time (and fails the caller's assertion).
      kind satisfies never;
      return false;
  }
}

/** Deepest nesting of a decoded request (a txn's ops may hold txns); deeper is a corrupted entry. */
const DEPTH_MAX = 64;

/** Freezes a JSON value and everything in it (JSON holds no cycles: a tree, bounded by DEPTH_MAX). */
function deepFreeze<T>(value: T, depth: number): T {
  assert(depth <= DEPTH_MAX, () => `raft request: nested deeper than ${DEPTH_MAX}`);
  if (typeof value !== 'object' || value === null) return value;
  for (const v of Object.values(value)) deepFreeze(v, depth + 1);
  return Object.freeze(value);
}

/** `jsonCopy`'s answer for a value whose JSON round trip it does not reproduce. */
const NOT_PLAIN: unique symbol = Symbol('not plain JSON data');

/**
 * `JSON.parse(JSON.stringify(value))`, deeply frozen, without the text: for plain data (strings,
 * booleans, null, numbers, arrays, objects of Object.prototype or none), with JSON's rules —
 * properties in `Object.keys` order, those holding undefined, a function or a symbol left out (null
 * in an array), non-finite numbers as null, -0 as 0. Anything else (a toJSON method, another
 * prototype, a `__proto__` key, nesting past DEPTH_MAX) is NOT_PLAIN; undefined means "no JSON
 * value" (the property is left out).
 */
export function jsonCopy(value: unknown, depth: number): unknown {
  if (depth > DEPTH_MAX) return NOT_PLAIN;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : null;
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'bigint':
      return NOT_PLAIN;
    case 'object':
      return value === null ? null : jsonCopyObject(value, depth);
    default:
      return NOT_PLAIN;
  }
}

function jsonCopyObject(value: object, depth: number): unknown {
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return NOT_PLAIN;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return NOT_PLAIN;
    const out: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = jsonCopy(value[i], depth + 1);
      if (v === NOT_PLAIN) return NOT_PLAIN;
      out[i] = v === undefined ? null : v;
    }
    return Object.freeze(out);
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    // JSON.parse makes "__proto__" an own property; assigning it here would set the prototype.
    if (k === '__proto__') return NOT_PLAIN;
    const v = jsonCopy((value as Record<string, unknown>)[k], depth + 1);
    if (v === NOT_PLAIN) return NOT_PLAIN;
    if (v !== undefined) out[k] = v;
  }
  return Object.freeze(out);
}

/** Most decoded requests remembered: the members of a cluster apply an entry within moments of each other. */
export const DECODED_MAX = 256;

/** Decoded requests by the identity of their bytes; the oldest is forgotten first (a ring of keys). */
class DecodedCache {
  private readonly byBytes = new Map<Uint8Array, RaftRequest>();
  private readonly ring: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(DECODED_MAX).fill(undefined);
  private next = 0;

  get(data: Uint8Array): RaftRequest | undefined {
    return this.byBytes.get(data);
  }

  remember(data: Uint8Array, r: RaftRequest): RaftRequest {
    assert(!this.byBytes.has(data), 'raft request cache: remembered twice');
    const old = this.ring[this.next];
    if (old !== undefined) this.byBytes.delete(old);
    this.ring[this.next] = data;
    this.next = (this.next + 1) % DECODED_MAX;
    this.byBytes.set(data, r);
    assert(this.byBytes.size <= DECODED_MAX, 'raft request cache: over its bound');
    return r;
  }
}

/**
 * One cache for the process: the decoding is a pure function of the bytes, so simulations that
 * share it (a fuzz worker's seeds, the tests of one file) cannot change what any of them computes.
 */
const decodedCache = new DecodedCache();

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
    case 'member-attr':
    case 'lease-checkpoint':
    case 'auth':
      return '';
    default:
      return unreachable(body, 'internal request');
  }
}
