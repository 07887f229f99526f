/**
 * The conformance harness's vocabulary: a sequence of client requests (the RPCs of `kv/wire` plus
 * watch-stream messages) and the normalised answers two targets give, the real etcd and raftsim's
 * server path, so the two can be compared field by field (`compare.ts`).
 *
 * Lease ids chosen by the server (LeaseGrant with ID 0) differ between targets by nature: etcd draws
 * them from its request-id generator, raftsim from its own. A sequence therefore names such a lease
 * by *slot*: `SLOT_BASE + i` is "the id the i-th server-chosen grant of this sequence returned"; each
 * target substitutes its own id before sending, and maps its ids back to slots in its answers.
 */
import type { KeyValue, KvErrorCode, WatchCreateRequest, WatchEvent } from '../api.js';
import type { KvCall } from '../wire.js';

/** Lease ids ≥ this in a sequence are slots of server-chosen leases (far above any literal id used). */
export const SLOT_BASE = 2 ** 50;

/** The RPC methods the harness exercises (both targets serve them the same way). */
export type ConformanceMethod =
  | 'range' | 'put' | 'delete' | 'txn' | 'compact' | 'lease-grant' | 'lease-revoke' | 'lease-keepalive' | 'lease-ttl' | 'lease-leases'
  // What a single-member etcd answers of the Cluster and Maintenance services (issue 18).
  | 'member-list' | 'status' | 'hash-kv' | 'alarm';

/**
 * A member id in a sequence's Alarm request meaning "the answering member itself": the two targets'
 * member ids differ by nature (etcd derives its id from its name, URLs and the time it starts), so
 * each target substitutes its own id before sending, and names its own id `SELF` in its answers.
 */
export const SELF_MEMBER = 2 ** 51;
/** How the canonical answers name the answering member. */
export const SELF = 'self';

export type RpcOp = Extract<KvCall, { method: ConformanceMethod }>;

/** One step of a sequence: an RPC, or a message on the sequence's one watch stream. */
export type SeqOp =
  | RpcOp
  | { readonly method: 'watch'; readonly request: WatchCreateRequest }
  | { readonly method: 'watch-cancel'; readonly watchId: number }
  /** A WatchProgressRequest on the stream: answered with watch id −1 at a revision (or not at all). */
  | { readonly method: 'watch-progress' };

export interface Sequence {
  /** Where it came from (`seed/index`), for the report. */
  readonly name: string;
  readonly ops: readonly SeqOp[];
}

/** A normalised answer to one RPC. Watch ops answer `null` here; their responses are in `WatchLog`. */
export type Answer =
  | { readonly ok: true; readonly rev: number; readonly res: unknown }
  | { readonly ok: false; readonly code: KvErrorCode | `grpc:${string}` | 'crash' | 'target-down' }
  | null;

/** What the one watch stream of a sequence carried, per watcher, once the sequence settled. */
export interface WatchRecord {
  readonly watchId: number;
  /** The answer to the create request (its header revision, and the cancel when refused or compacted). */
  readonly created: { readonly rev: number; readonly canceled: boolean; readonly compactRevision: number; readonly cancelReason: string };
  /** Every event sent, in order (responses are batched differently by each target; see compare.ts). */
  readonly events: readonly WatchEvent[];
  /** A later cancel: by request, or by compaction (with its compact revision). */
  readonly canceled?: { readonly compactRevision: number; readonly cancelReason: string };
}

export interface Outcome {
  readonly answers: readonly Answer[];
  /** Watchers in the order their create requests were answered. */
  readonly watches: readonly WatchRecord[];
  /** The header revisions of the stream's progress responses (watch id −1), in order. */
  readonly progress: readonly number[];
  /** Set when the target failed as a whole (crashed, refused to start); the answers stop there. */
  readonly targetError?: string;
}

/** A KeyValue with every field present (etcd omits zero fields on the wire). */
export function fullKv(kv: Partial<KeyValue> & { key: string }): KeyValue {
  return { key: kv.key, createRevision: kv.createRevision ?? 0, modRevision: kv.modRevision ?? 0, version: kv.version ?? 0, value: kv.value ?? '', lease: kv.lease ?? 0 };
}

/** Every lease id a request carries, rewritten by `f` (slots → a target's ids, or the other way). */
export function mapRequestLeases(op: SeqOp, f: (id: number) => number): SeqOp {
  switch (op.method) {
    case 'put': return { method: 'put', request: mapPut(op.request, f) };
    case 'txn': return { method: 'txn', request: mapTxn(op.request, f) };
    case 'lease-revoke': return { method: op.method, request: { ...op.request, id: f(op.request.id) } };
    case 'lease-keepalive': return { method: op.method, request: { ...op.request, id: f(op.request.id) } };
    case 'lease-ttl': return { method: op.method, request: { ...op.request, id: f(op.request.id) } };
    default: return op;
  }
}

/** An Alarm request's member id `SELF_MEMBER` rewritten to the answering member's own id. */
export function mapRequestMember(op: SeqOp, self: number): SeqOp {
  if (op.method !== 'alarm' || op.request.memberId !== SELF_MEMBER) return op;
  return { method: 'alarm', request: { ...op.request, memberId: self } };
}

type Txn = Extract<RpcOp, { method: 'txn' }>['request'];
type Put = Extract<RpcOp, { method: 'put' }>['request'];

function mapPut(r: Put, f: (id: number) => number): Put {
  return r.lease === undefined ? r : { ...r, lease: f(r.lease) };
}

function mapTxn(r: Txn, f: (id: number) => number): Txn {
  type Op = Txn['success'][number];
  const op = (o: Op): Op => (o.type === 'put' ? { type: 'put', request: mapPut(o.request, f) } : o.type === 'txn' ? { type: 'txn', request: mapTxn(o.request, f) } : o);
  return {
    compare: r.compare.map((c) => (c.target === 'LEASE' ? { ...c, lease: f(c.lease) } : c)),
    success: r.success.map(op),
    failure: r.failure.map(op),
  };
}

/** Rewrites lease ids inside a normalised response value (kvs' leases, grant/ttl/keepalive ids, lease lists). */
export function mapResponseLeases(res: unknown, f: (id: number) => number): unknown {
  if (Array.isArray(res)) return res.map((x) => mapResponseLeases(x, f));
  if (res === null || typeof res !== 'object') return res;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(res as Record<string, unknown>)) {
    if ((k === 'lease' || k === 'id') && typeof v === 'number') out[k] = v === 0 ? 0 : f(v);
    else if (k === 'leases' && Array.isArray(v)) out[k] = v.map((x) => (typeof x === 'number' ? f(x) : x));
    else out[k] = mapResponseLeases(v, f);
  }
  return out;
}

/** The end of the prefix range of `p` over bytes (each char of these latin1 strings is one byte). */
export function bytePrefixEnd(p: string): string {
  for (let i = p.length - 1; i >= 0; i--) {
    const c = p.charCodeAt(i);
    if (c < 0xff) return p.slice(0, i) + String.fromCharCode(c + 1);
  }
  return '\0';
}
