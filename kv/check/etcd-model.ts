/**
 * The etcd KV model for the linearizability checker (sim/check), in the manner of etcd's
 * robustness suite (tests/robustness/model/deterministic.go), written for raftsim.
 *
 * ## The history operations the kv client records (kv/client/history-op.ts)
 * | `op` | `input` (kv/api) | `output` when status ok |
 * | --- | --- | --- |
 * | `range` | RangeRequest | `{ revision, kvs, more, count }` |
 * | `put` | PutRequest | `{ revision, prevKv? }` |
 * | `delete` | DeleteRangeRequest | `{ revision, deleted, prevKvs }` |
 * | `txn` | TxnRequest | `{ revision, succeeded, responses }` |
 * | `compact` | CompactionRequest | `{ revision }` |
 * | `lease-grant` | `{ ttlS, id? }` | `{ revision, id, ttlS }` |
 * | `lease-revoke` | `{ id, revision? }` (`revision`: only on a recorded expiry) | `{ revision }` |
 * `revision` is the response header's revision. `key` is the request's key where it has one. A
 * `fail` operation's output is the KvError (the checker drops it: it certainly took no effect); an
 * `unknown` one has none. Other methods the client may record (`lease-keepalive`, `lease-ttl`,
 * `status`, …) do not touch the KV state and are left out of the check, as are serializable
 * ranges, which have their own rule (serializable-reads.ts).
 *
 * ## The model
 * State: the revision, the live keys (key → value, createRevision, modRevision, version, lease),
 * the compaction revision, and a link to the state at the previous revision (for ranges at a past
 * revision). Like etcd's store it starts empty at revision 1.
 * - A put, a delete that deletes something, a txn whose chosen branch changes something, and a
 *   lease revoke that deletes keys bump the revision by one; the response's revision must be it.
 * - Everything else leaves the revision, and the response's revision must equal it.
 * - Reads must return exactly the state: values, revisions, versions, leases, count and more.
 * - An unknown write may take effect at any time after its call, or never; any output is accepted.
 * - Since revisions never go back, an operation whose response revision is r can only be placed
 *   while the state's revision is ≤ r (r − 1 for one that wrote): `progress`/`deadline` let the
 *   search abandon a branch as soon as a pending operation can no longer fit. This is what keeps
 *   histories of thousands of operations in one partition fast.
 *
 * Leases: the state holds the live lease ids (and the ids it has seen granted or revoked; both
 * take part in its equality and hash). A grant adds its id (it makes no revision); a revoke, by a
 * client or by expiry, ends the lease and deletes the keys attached to it. A put, or a put in a
 * txn, with lease L ≠ 0 needs L to exist: where L certainly does not, etcd refuses it with
 * LeaseNotFound, so an ok one cannot be placed there (a failed one is dropped anyway); so does an
 * ok revoke. Whether L certainly does not exist: when it is not live and either the state saw it
 * granted or revoked, or the lease scope of the history (`leaseScope`, used by `prepare`) knows
 * it. The scope knows every id when the history has grants and each names its id (an ok grant's
 * output, or an unknown grant's input: placed or not, the search tries both); the store starts
 * empty, so every lease was made by one of them. An unknown grant whose server-chosen id nobody
 * heard may have made any id, so with one, the scope knows only the ids other grants make
 * (server ids are unique and never reused) and treats the others permissively: a put on such a
 * lease is accepted wherever the state has not seen it end. A history with no grant at all (the
 * MVCC store alone) leaves leases unchecked, and so does the plain model, unprepared, for ids it
 * has not seen.
 *
 * A lease expiring by TTL is a revoke no client issued: histories of workloads whose leases can
 * expire must carry those revocations (as unknown `lease-revoke` operations; the runner records
 * them, kv/workload/lease-expiry.ts) or they will look like phantom deletes. An unknown revoke is
 * placed only where it deletes something, and, when its input carries the revision the runner saw
 * it make, only where it makes that revision: without that pin, a few expiries at one instant
 * beside a few unknown puts leave the search to try which of them fills each revision (lease-churn
 * seed 887: 20 million steps and no verdict for 280 operations). Leaving out an unknown revoke
 * that deletes nothing keeps its lease live, which accepts everything a dead lease would (grants
 * are not checked for LeaseExists): never a false alarm, and it keeps such expiries from doubling
 * the search (lease-churn seed 9: 276 k steps instead of 10 k); the cost is that a put attached to
 * a lease after an expiry that deleted nothing is not caught.
 */
import type {
  CompactionRequest, Compare, DeleteRangeRequest, DeleteRangeResponse, KeyValue, PutRequest, PutResponse, RangeRequest,
  RangeResponse, RequestOp, ResponseOp, TxnRequest, TxnResponse,
} from '../api.js';
import { inRange } from '../api.js';
import { InvariantViolation, assert, unreachable } from '../../sim/assert.js';
import type { Operation } from '../../sim/history.js';
import { ILLEGAL } from '../../sim/check/model.js';
import type { Illegal, Model, Partition, ReadFact, Witness, WriteFact } from '../../sim/check/model.js';

// ---------------------------------------------------------------------------------------------
// History operation shapes

export interface RangeOutput extends RangeResponse {
  readonly revision: number;
}
export interface PutOutput extends PutResponse {
  readonly revision: number;
}
export interface DeleteOutput extends DeleteRangeResponse {
  readonly revision: number;
}
export interface TxnOutput extends TxnResponse {
  readonly revision: number;
}
export interface RevisionOutput {
  readonly revision: number;
}
export interface LeaseGrantInput {
  readonly ttlS: number;
  readonly id?: number;
}
export interface LeaseGrantOutput {
  readonly revision: number;
  readonly id: number;
  readonly ttlS: number;
}
export interface LeaseRevokeInput {
  readonly id: number;
  /**
   * Only on an expiry the runner recorded (kv/workload/lease-expiry.ts): the revision the revoke
   * made, as the simulation saw it applied (every member applies the same log). Such an unknown
   * revoke is placed only where it makes that revision.
   */
  readonly revision?: number;
}

/** The operations the etcd model checks. `output` is the success shape; see the file comment. */
export type EtcdOperation = Operation &
  (
    | { readonly op: 'range'; readonly input: RangeRequest; readonly output?: RangeOutput }
    | { readonly op: 'put'; readonly input: PutRequest; readonly output?: PutOutput }
    | { readonly op: 'delete'; readonly input: DeleteRangeRequest; readonly output?: DeleteOutput }
    | { readonly op: 'txn'; readonly input: TxnRequest; readonly output?: TxnOutput }
    | { readonly op: 'compact'; readonly input: CompactionRequest; readonly output?: RevisionOutput }
    | { readonly op: 'lease-grant'; readonly input: LeaseGrantInput; readonly output?: LeaseGrantOutput }
    | { readonly op: 'lease-revoke'; readonly input: LeaseRevokeInput; readonly output?: RevisionOutput }
  );

export type EtcdOpName = EtcdOperation['op'];

export const ETCD_MODELLED_OPS: Readonly<Record<EtcdOpName, true>> = {
  range: true,
  put: true,
  delete: true,
  txn: true,
  compact: true,
  'lease-grant': true,
  'lease-revoke': true,
};

export function isModelledOp(op: Operation): op is EtcdOperation {
  return Object.hasOwn(ETCD_MODELLED_OPS, op.op);
}

/** A range served locally without ReadIndex: not checked for linearizability. */
export function isSerializableRange(op: Operation): boolean {
  return op.op === 'range' && (op.input as RangeRequest | undefined)?.serializable === true;
}

// ---------------------------------------------------------------------------------------------
// State

/**
 * Live pairs sorted by key: a write copies the array (a slice is a memory copy, far cheaper than
 * copying a Map), lookups bisect, and ranges are a contiguous run with no sorting.
 */
export type KvTable = readonly KeyValue[];

/** Index of `key` in the table, or -(insertion point) - 1. */
function findKey(t: KvTable, key: string): number {
  let lo = 0;
  let hi = t.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const k = (t[mid] as KeyValue).key;
    if (k < key) lo = mid + 1;
    else if (k > key) hi = mid - 1;
    else return mid;
  }
  return -lo - 1;
}

export function getKv(t: KvTable, key: string): KeyValue | undefined {
  const i = findKey(t, key);
  return i >= 0 ? t[i] : undefined;
}

/** A table from pairs in any order (tests, the serializable-read check). */
export function kvTable(kvs: Iterable<KeyValue>): KvTable {
  return [...kvs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The leases of a state: which exist now, and which ids the state has seen granted or revoked
 * (an id outside both may exist or not, unless the model's lease scope says its existence is
 * known). Sorted ids; never mutated once the state exists.
 */
export interface LeaseSet {
  readonly live: readonly number[];
  readonly seen: readonly number[];
  /** XOR of the ids' hashes (live and seen hashed apart). */
  readonly hash: number;
}

export const NO_LEASES: LeaseSet = { live: [], seen: [], hash: 0 };

export interface EtcdState {
  readonly revision: number;
  /** Reads below it fail with Compacted (0: never compacted). */
  readonly compactRevision: number;
  /** Live keys, sorted by key. Never mutated once the state exists. */
  readonly kvs: KvTable;
  /** XOR of the live pairs' hashes. */
  readonly contentHash: number;
  /** Hash of the keys at every revision (the chain of previous states), leases left out. */
  readonly chainHash: number;
  /** Hash of the whole state: the chain and the leases of this state. */
  readonly hash: number;
  /** The state at the previous revision (null for the initial state). */
  readonly prev: EtcdState | null;
  /** Only the current leases matter: no read sees a past revision's leases. */
  readonly leases: LeaseSet;
}

/** etcd's store starts at revision 1. */
export const INITIAL_REVISION = 1;

export function initialEtcdState(): EtcdState {
  return makeState(INITIAL_REVISION, 0, [], 0, null, NO_LEASES);
}

function makeState(revision: number, compactRevision: number, kvs: KvTable, contentHash: number, prev: EtcdState | null, leases: LeaseSet): EtcdState {
  let h = mix(contentHash ^ Math.imul(revision, 0x9e3779b1));
  h = mix(h ^ Math.imul(compactRevision + 1, 0x85ebca6b));
  h = mix(h ^ (prev === null ? 0 : prev.chainHash));
  return { revision, compactRevision, kvs, contentHash, chainHash: h, hash: leases.hash === 0 ? h : mix(h ^ leases.hash), prev, leases };
}

/** The same state with other leases (a grant, or a revoke that deleted no key). */
function withLeases(s: EtcdState, leases: LeaseSet): EtcdState {
  return makeState(s.revision, s.compactRevision, s.kvs, s.contentHash, s.prev, leases);
}

function hasId(ids: readonly number[], id: number): boolean {
  let lo = 0;
  let hi = ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const x = ids[mid] as number;
    if (x < id) lo = mid + 1;
    else if (x > id) hi = mid - 1;
    else return true;
  }
  return false;
}

function withId(ids: readonly number[], id: number): readonly number[] {
  return hasId(ids, id) ? ids : [...ids, id].sort((a, b) => a - b);
}

function withoutId(ids: readonly number[], id: number): readonly number[] {
  return hasId(ids, id) ? ids.filter((x) => x !== id) : ids;
}

function idHash(id: number, seed: number): number {
  return mix(Math.imul(id | 0, 0x9e3779b1) ^ Math.imul((id / 0x100000000) | 0, 0x85ebca6b) ^ seed);
}

function leaseHash(live: readonly number[], seen: readonly number[]): number {
  let h = 0;
  for (const id of live) h ^= idHash(id, 0x27d4eb2d);
  for (const id of seen) h ^= idHash(id, 0x165667b1);
  return h;
}

function leaseSet(live: readonly number[], seen: readonly number[]): LeaseSet {
  return { live, seen, hash: leaseHash(live, seen) };
}

/** After a grant of `id` took effect. */
function granted(l: LeaseSet, id: number): LeaseSet {
  return leaseSet(withId(l.live, id), withId(l.seen, id));
}

/** After a revoke of `id` took effect. */
function revoked(l: LeaseSet, id: number): LeaseSet {
  return leaseSet(withoutId(l.live, id), withId(l.seen, id));
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameLeases(a: LeaseSet, b: LeaseSet): boolean {
  return a === b || (a.hash === b.hash && sameIds(a.live, b.live) && sameIds(a.seen, b.seen));
}

/**
 * Which lease ids' existence is known whatever the state has seen: for such an id, not live means
 * not granted (a put with it fails with LeaseNotFound). The plain model knows none; a model
 * prepared for a history knows more (see `leaseScope`).
 */
export type LeaseScope = (id: number) => boolean;

const NO_LEASE_KNOWN: LeaseScope = () => false;

/** 'yes' live, 'no' certainly not (LeaseNotFound), 'maybe' its existence is not known. */
function leaseExists(s: EtcdState, id: number, scope: LeaseScope): 'yes' | 'no' | 'maybe' {
  if (hasId(s.leases.live, id)) return 'yes';
  return hasId(s.leases.seen, id) || scope(id) ? 'no' : 'maybe';
}

/**
 * The lease scope of a history. With grants and none of unknowable id (an `unknown` grant whose
 * input names no id: the server chose one and nobody heard it), every lease of the history was
 * made by one of its grants (the store starts empty), so every id's existence is known. With such
 * a grant, any id may be the one it made, except the ids other grants make: server-chosen ids are
 * unique (etcd's reqIDGen; raftsim's requestId of member, incarnation and sequence). A history
 * with no grant at all (the MVCC store alone, a client that records no lease calls) is taken to
 * leave leases out: no id is known.
 */
export function leaseScope(ops: readonly EtcdOperation[]): LeaseScope {
  const ids = new Set<number>();
  let unknowable = false;
  for (const op of ops) {
    if (op.op !== 'lease-grant' || op.status === 'fail') continue;
    const id = op.status === 'ok' ? op.output?.id : op.input.id;
    if (id === undefined || id === 0) unknowable = true;
    else ids.add(id);
  }
  return unknowable || ids.size === 0 ? (id) => ids.has(id) : () => true;
}

function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) | 0;
}

function hashString(s: string, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

function kvHash(kv: KeyValue): number {
  let h = hashString(kv.key, 0x811c9dc5);
  h = hashString(kv.value, mix(h));
  h = mix(h ^ kv.createRevision);
  h = mix(h ^ Math.imul(kv.modRevision, 0x27d4eb2d));
  h = mix(h ^ Math.imul(kv.version, 0x165667b1));
  return mix(h ^ kv.lease);
}

function sameKv(a: KeyValue | undefined, b: KeyValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return a.key === b.key && a.value === b.value && a.createRevision === b.createRevision && a.modRevision === b.modRevision && a.version === b.version && (a.lease ?? 0) === (b.lease ?? 0);
}

function sameContent(a: EtcdState, b: EtcdState): boolean {
  if (a.kvs === b.kvs) return true;
  if (a.contentHash !== b.contentHash || a.kvs.length !== b.kvs.length) return false;
  for (let i = 0; i < a.kvs.length; i++) if (!sameKv(a.kvs[i], b.kvs[i])) return false;
  return true;
}

/** Equal revision, compaction, live keys, and the same states at every readable past revision. */
export function equalEtcdStates(a: EtcdState, b: EtcdState): boolean {
  if (a.revision !== b.revision || a.compactRevision !== b.compactRevision || !sameLeases(a.leases, b.leases)) return false;
  const floor = a.compactRevision;
  let x: EtcdState | null = a;
  let y: EtcdState | null = b;
  for (let guard = 0; guard <= a.revision + 1; guard++) {
    if (x === y) return true;
    if (x === null || y === null) return false;
    if (x.revision !== y.revision || !sameContent(x, y)) return false;
    if (x.revision <= floor) return true;
    x = x.prev;
    y = y.prev;
  }
  throw new InvariantViolation('etcd model: the state chain is longer than its revision');
}

/** The live keys at `revision` (≤ the state's): walks back the chain of previous states. */
export function stateAt(s: EtcdState, revision: number): EtcdState {
  let x = s;
  for (let guard = 0; x.revision > revision; guard++) {
    assert(guard <= s.revision, 'etcd model: state chain longer than its revision');
    if (x.prev === null) return x; // before the first recorded state: nothing newer than it
    x = x.prev;
  }
  return x;
}

// ---------------------------------------------------------------------------------------------
// Reads

/** Live pairs of [key, rangeEnd) in key order. */
export function liveRange(kvs: KvTable, key: string, rangeEnd: string | undefined): KeyValue[] {
  const at = findKey(kvs, key);
  if (rangeEnd === undefined || rangeEnd === '') return at >= 0 ? [kvs[at] as KeyValue] : [];
  const out: KeyValue[] = [];
  for (let i = at >= 0 ? at : -at - 1; i < kvs.length; i++) {
    const kv = kvs[i] as KeyValue;
    if (!inRange(kv.key, key, rangeEnd)) break; // sorted: past the end of the range
    out.push(kv);
  }
  return out;
}

/**
 * etcd's Range over a set of live pairs (server/etcdserver/txn/range.go): `count` is the number of
 * keys in range before the revision filters and limit; with order NONE, a non-KEY target and a
 * limit, only the first limit + 1 keys (in key order) are sorted; keysOnly blanks values;
 * countOnly returns no pairs. Ties in a sort keep key order.
 */
export function evaluateRange(kvs: KvTable, r: RangeRequest): RangeResponse {
  const all = liveRange(kvs, r.key, r.rangeEnd);
  if (r.countOnly === true) return { kvs: [], more: false, count: all.length };
  const limit = r.limit ?? 0;
  const minMod = r.minModRevision ?? 0;
  const maxMod = r.maxModRevision ?? 0;
  const minCreate = r.minCreateRevision ?? 0;
  const maxCreate = r.maxCreateRevision ?? 0;
  const filtered = minMod !== 0 || maxMod !== 0 || minCreate !== 0 || maxCreate !== 0;
  const target = r.sortTarget ?? 'KEY';
  const requested = r.sortOrder ?? 'NONE';
  const defaultOrder = requested === 'NONE' || (target === 'KEY' && requested === 'ASCEND');
  let pairs = limit > 0 && defaultOrder && !filtered ? all.slice(0, limit + 1) : all;
  if (filtered) {
    pairs = pairs.filter((kv) => !(maxMod !== 0 && kv.modRevision > maxMod) && !(minMod !== 0 && kv.modRevision < minMod) &&
      !(maxCreate !== 0 && kv.createRevision > maxCreate) && !(minCreate !== 0 && kv.createRevision < minCreate));
  }
  const order = target !== 'KEY' && requested === 'NONE' ? 'ASCEND' : requested;
  if (!(order === 'NONE' || (target === 'KEY' && order === 'ASCEND'))) {
    const sign = order === 'DESCEND' ? -1 : 1;
    const key = sortKey(target);
    pairs = [...pairs].sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      const c = ka < kb ? -1 : ka > kb ? 1 : 0;
      // KEY DESCEND reverses the key order; other targets break ties by key order (stable).
      return sign * c;
    });
  }
  let more = false;
  if (limit > 0 && pairs.length > limit) {
    pairs = pairs.slice(0, limit);
    more = true;
  }
  if (r.keysOnly === true) pairs = pairs.map((kv) => (kv.value === '' ? kv : { ...kv, value: '' }));
  return { kvs: pairs, more, count: all.length };
}

function sortKey(target: RangeRequest['sortTarget']): (kv: KeyValue) => string | number {
  switch (target ?? 'KEY') {
    case 'KEY': return (kv) => kv.key;
    case 'VERSION': return (kv) => kv.version;
    case 'CREATE': return (kv) => kv.createRevision;
    case 'MOD': return (kv) => kv.modRevision;
    case 'VALUE': return (kv) => kv.value;
    default: return unreachable(target as never, 'sort target');
  }
}

function sameRangeResponse(got: RangeResponse, want: RangeResponse): boolean {
  if (got.count !== want.count || got.more !== want.more || got.kvs.length !== want.kvs.length) return false;
  for (let i = 0; i < want.kvs.length; i++) if (!sameKv(got.kvs[i], want.kvs[i])) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Writes: a draft of the next state, shared by put, delete, txn and lease revoke

class Draft {
  private kvs: KeyValue[] | null = null;
  private contentHash: number;
  changed = false;
  /** The leases after this write (a revoke ends one). */
  leases: LeaseSet;

  constructor(
    readonly base: EtcdState,
    /** The revision every change of this write is stamped with. */
    readonly revision = base.revision + 1,
  ) {
    this.contentHash = base.contentHash;
    this.leases = base.leases;
  }

  view(): KvTable {
    return this.kvs ?? this.base.kvs;
  }

  get(key: string): KeyValue | undefined {
    return getKv(this.view(), key);
  }

  put(r: PutRequest): void {
    const old = this.get(r.key);
    this.set(r.key, old, putKv(r, old, this.revision));
  }

  delete(key: string): void {
    this.set(key, this.get(key), undefined);
  }

  private set(key: string, old: KeyValue | undefined, kv: KeyValue | undefined): void {
    if (old === undefined && kv === undefined) return;
    this.kvs ??= this.base.kvs.slice();
    const at = findKey(this.kvs, key);
    if (old !== undefined) this.contentHash ^= kvHash(old);
    if (kv !== undefined) this.contentHash ^= kvHash(kv);
    if (at >= 0) {
      if (kv === undefined) this.kvs.splice(at, 1);
      else this.kvs[at] = kv;
    } else if (kv !== undefined) {
      this.kvs.splice(-at - 1, 0, kv);
    }
    this.changed = true;
  }

  /** The next state, or the base itself when nothing changed (a new revision only if a key did). */
  finish(): EtcdState {
    if (!this.changed || this.kvs === null) return this.leases === this.base.leases ? this.base : withLeases(this.base, this.leases);
    return makeState(this.revision, this.base.compactRevision, this.kvs, this.contentHash, this.base, this.leases);
  }
}

/** The pair a put at `revision` leaves, given the pair it replaces (if any). */
function putKv(r: PutRequest, old: KeyValue | undefined, revision: number): KeyValue {
  return {
    key: r.key,
    value: r.ignoreValue === true ? (old?.value ?? '') : r.value,
    createRevision: old === undefined ? revision : old.createRevision,
    modRevision: revision,
    version: old === undefined ? 1 : old.version + 1,
    lease: r.ignoreLease === true ? (old?.lease ?? 0) : (r.lease ?? 0),
  };
}

/**
 * The state after a plain put (what a Draft with one put finishes as, without the draft: the
 * search steps a put for every one the history holds, and the check replays them once more).
 */
function putState(s: EtcdState, r: PutRequest, at: number): EtcdState {
  const old = at >= 0 ? s.kvs[at] : undefined;
  const revision = s.revision + 1;
  const kv = putKv(r, old, revision);
  const kvs = s.kvs.slice();
  let contentHash = s.contentHash;
  if (old !== undefined) contentHash ^= kvHash(old);
  contentHash ^= kvHash(kv);
  if (at >= 0) kvs[at] = kv;
  else kvs.splice(-at - 1, 0, kv);
  return makeState(revision, s.compactRevision, kvs, contentHash, s, s.leases);
}

// ---------------------------------------------------------------------------------------------
// Txn

interface TxnPlan {
  readonly succeeded: boolean;
  readonly nested: readonly TxnPlan[];
}

function compareTarget(c: Compare, kv: KeyValue | undefined): number {
  switch (c.target) {
    case 'VALUE': {
      const v = kv?.value ?? '';
      return v < c.value ? -1 : v > c.value ? 1 : 0;
    }
    case 'VERSION': return Math.sign((kv?.version ?? 0) - c.version);
    case 'CREATE': return Math.sign((kv?.createRevision ?? 0) - c.createRevision);
    case 'MOD': return Math.sign((kv?.modRevision ?? 0) - c.modRevision);
    case 'LEASE': return Math.sign((kv?.lease ?? 0) - c.lease);
    default: return unreachable(c, 'compare target');
  }
}

function holds(c: Compare, kv: KeyValue | undefined): boolean {
  const o = compareTarget(c, kv);
  switch (c.result) {
    case 'EQUAL': return o === 0;
    case 'NOT_EQUAL': return o !== 0;
    case 'GREATER': return o > 0;
    case 'LESS': return o < 0;
    default: return unreachable(c.result, 'compare result');
  }
}

/** etcd applyCompare: every key in range must satisfy it; no key: VALUE is false, others compare zero. */
function compareHolds(kvs: KvTable, c: Compare): boolean {
  const inRangeKvs = liveRange(kvs, c.key, c.rangeEnd);
  if (inRangeKvs.length === 0) return c.target !== 'VALUE' && holds(c, undefined);
  return inRangeKvs.every((kv) => holds(c, kv));
}

/** Guards of the txn and of the nested txns on the chosen branch, all on the state before it. */
function planTxn(kvs: KvTable, r: TxnRequest): TxnPlan {
  const succeeded = r.compare.every((c) => compareHolds(kvs, c));
  const nested: TxnPlan[] = [];
  for (const op of succeeded ? r.success : r.failure) if (op.type === 'txn') nested.push(planTxn(kvs, op.request));
  return { succeeded, nested };
}

/** True when an op of the chosen path would fail, which refuses the whole txn with no effect. */
function txnFails(s: EtcdState, r: TxnRequest, plan: TxnPlan, scope: LeaseScope): boolean {
  let nestedAt = 0;
  for (const op of plan.succeeded ? r.success : r.failure) {
    switch (op.type) {
      case 'range':
        if (rangeFails(s, op.request)) return true;
        break;
      case 'put':
        if (putFails(s, op.request, scope)) return true;
        break;
      case 'delete':
        break;
      case 'txn':
        if (txnFails(s, op.request, plan.nested[nestedAt++] as TxnPlan, scope)) return true;
        break;
      default:
        return unreachable(op, 'request op');
    }
  }
  return false;
}

function rangeFails(s: EtcdState, r: RangeRequest): boolean {
  const rev = r.revision ?? 0;
  return rev > 0 && (rev > s.revision || rev < s.compactRevision);
}

/** etcd: KeyNotFound (ignoreValue/ignoreLease on a missing key) or LeaseNotFound (a lease that certainly does not exist). */
function putFails(s: EtcdState, r: PutRequest, scope: LeaseScope): boolean {
  if ((r.ignoreValue === true || r.ignoreLease === true) && findKey(s.kvs, r.key) < 0) return true;
  const lease = r.lease ?? 0;
  return r.ignoreLease !== true && lease !== 0 && leaseExists(s, lease, scope) === 'no';
}

function executeTxn(d: Draft, r: TxnRequest, plan: TxnPlan): TxnResponse {
  const responses: ResponseOp[] = [];
  let nestedAt = 0;
  for (const op of plan.succeeded ? r.success : r.failure) {
    responses.push(executeOp(d, op, () => plan.nested[nestedAt++] as TxnPlan));
  }
  return { succeeded: plan.succeeded, responses };
}

function executeOp(d: Draft, op: RequestOp, nextPlan: () => TxnPlan): ResponseOp {
  switch (op.type) {
    case 'range': {
      const rev = op.request.revision ?? 0;
      // A read at a past revision sees that revision; otherwise it sees the txn's earlier writes.
      const kvs = rev > 0 ? stateAt(d.base, rev).kvs : d.view();
      return { type: 'range', response: evaluateRange(kvs, op.request) };
    }
    case 'put': {
      const old = d.get(op.request.key);
      d.put(op.request);
      return { type: 'put', response: op.request.prevKv === true && old !== undefined ? { prevKv: old } : {} };
    }
    case 'delete':
      return { type: 'delete', response: deleteRange(d, op.request) };
    case 'txn':
      return { type: 'txn', response: executeTxn(d, op.request, nextPlan()) };
    default:
      return unreachable(op, 'request op');
  }
}

function deleteRange(d: Draft, r: DeleteRangeRequest): DeleteRangeResponse {
  const gone = liveRange(d.view(), r.key, r.rangeEnd);
  for (const kv of gone) d.delete(kv.key);
  return { deleted: gone.length, prevKvs: r.prevKv === true ? gone : [] };
}

function samePrevKv(got: KeyValue | undefined, want: KeyValue | undefined): boolean {
  return sameKv(got, want);
}

function sameResponseOp(got: ResponseOp | undefined, want: ResponseOp): boolean {
  if (got === undefined || got.type !== want.type) return false;
  switch (want.type) {
    case 'range':
      return sameRangeResponse(got.response as RangeResponse, want.response);
    case 'put':
      return samePrevKv((got.response as PutResponse).prevKv, want.response.prevKv);
    case 'delete':
      return sameDeleteResponse(got.response as DeleteRangeResponse, want.response);
    case 'txn':
      return sameTxnResponse(got.response as TxnResponse, want.response);
    default:
      return unreachable(want, 'response op');
  }
}

function sameDeleteResponse(got: DeleteRangeResponse, want: DeleteRangeResponse): boolean {
  if (got.deleted !== want.deleted || (got.prevKvs ?? []).length !== want.prevKvs.length) return false;
  return want.prevKvs.every((kv, i) => sameKv((got.prevKvs ?? [])[i], kv));
}

function sameTxnResponse(got: TxnResponse, want: TxnResponse): boolean {
  if (got.succeeded !== want.succeeded || got.responses.length !== want.responses.length) return false;
  return want.responses.every((r, i) => sameResponseOp(got.responses[i], r));
}

/** Whether a txn's recorded response shows a change (a put, or a delete that deleted). */
function responseWrites(r: TxnResponse): boolean {
  // A loop, not some(): asked for every txn when the check is prepared, mostly on cold code.
  for (const op of r.responses) {
    if (op.type === 'put' || (op.type === 'delete' && op.response.deleted > 0) || (op.type === 'txn' && responseWrites(op.response))) return true;
  }
  return false;
}

function requestMayWrite(r: TxnRequest): boolean {
  return [...r.success, ...r.failure].some((op) => op.type === 'put' || op.type === 'delete' || (op.type === 'txn' && requestMayWrite(op.request)));
}

// ---------------------------------------------------------------------------------------------
// Step

function stepRange(s: EtcdState, op: Extract<EtcdOperation, { op: 'range' }>): EtcdState | Illegal {
  if (op.status === 'unknown') return s;
  const out = op.output;
  // The header revision first: it rules out almost every wrong placement without computing anything.
  if (out === undefined || out.revision !== s.revision) return ILLEGAL;
  if (rangeFails(s, op.input)) return ILLEGAL; // it would have failed (FutureRev / Compacted)
  const rev = op.input.revision ?? 0;
  const kvs = rev > 0 ? stateAt(s, rev).kvs : s.kvs;
  return sameRangeResponse(out, evaluateRange(kvs, op.input)) ? s : ILLEGAL;
}

function stepPut(s: EtcdState, op: Extract<EtcdOperation, { op: 'put' }>, scope: LeaseScope): EtcdState | Illegal {
  const known = op.status !== 'unknown';
  if (known && (op.output === undefined || op.output.revision !== s.revision + 1)) return ILLEGAL;
  if (putFails(s, op.input, scope)) return known ? ILLEGAL : s; // KeyNotFound or LeaseNotFound: no effect
  const at = findKey(s.kvs, op.input.key);
  if (known && op.input.prevKv === true && !samePrevKv(op.output?.prevKv, at >= 0 ? s.kvs[at] : undefined)) return ILLEGAL;
  return putState(s, op.input, at);
}

function stepDelete(s: EtcdState, op: Extract<EtcdOperation, { op: 'delete' }>): EtcdState | Illegal {
  const known = op.status !== 'unknown';
  if (known) {
    const out = op.output;
    if (out === undefined || out.revision !== (out.deleted > 0 ? s.revision + 1 : s.revision)) return ILLEGAL;
  }
  const d = new Draft(s);
  const resp = deleteRange(d, op.input);
  if (known && !sameDeleteResponse(op.output as DeleteOutput, resp)) return ILLEGAL;
  return d.finish();
}

function stepTxn(s: EtcdState, op: Extract<EtcdOperation, { op: 'txn' }>, scope: LeaseScope): EtcdState | Illegal {
  const known = op.status !== 'unknown';
  const out = op.output;
  if (known && (out === undefined || (out.revision !== s.revision && out.revision !== s.revision + 1))) return ILLEGAL;
  const plan = planTxn(s.kvs, op.input);
  if (known && out?.succeeded !== plan.succeeded) return ILLEGAL;
  if (txnFails(s, op.input, plan, scope)) return known ? ILLEGAL : s;
  const d = new Draft(s);
  const resp = executeTxn(d, op.input, plan);
  const next = d.finish();
  if (known && (out === undefined || out.revision !== next.revision || !sameTxnResponse(out, resp))) return ILLEGAL;
  return next;
}

function stepCompact(s: EtcdState, op: Extract<EtcdOperation, { op: 'compact' }>): EtcdState | Illegal {
  const known = op.status !== 'unknown';
  if (known && op.output?.revision !== s.revision) return ILLEGAL;
  const rev = op.input.revision;
  // etcd: Compacted if at or below the compaction revision, FutureRev if above the current one.
  const fails = rev <= s.compactRevision || rev > s.revision;
  if (fails) return known ? ILLEGAL : s;
  return makeState(s.revision, rev, s.kvs, s.contentHash, s.prev, s.leases);
}

function stepLeaseGrant(s: EtcdState, op: Extract<EtcdOperation, { op: 'lease-grant' }>): EtcdState | Illegal {
  if (op.status !== 'unknown') {
    const out = op.output;
    // A grant makes no revision. An id still live is not refused (etcd: LeaseExists): the model
    // may keep a lease live whose expiry deleted nothing (see stepLeaseRevoke).
    if (out === undefined || out.revision !== s.revision) return ILLEGAL;
    return withLeases(s, granted(s.leases, out.id));
  }
  const id = op.input.id ?? 0;
  // An id nobody heard (the server chose it) is covered by the lease scope: nothing to add here.
  if (id === 0 || hasId(s.leases.live, id)) return s;
  return withLeases(s, granted(s.leases, id));
}

function stepLeaseRevoke(s: EtcdState, op: Extract<EtcdOperation, { op: 'lease-revoke' }>, scope: LeaseScope): EtcdState | Illegal {
  const id = op.input.id;
  const exists = leaseExists(s, id, scope);
  // LeaseNotFound: an ok revoke cannot be here; an unknown one had no effect (the same as never).
  if (exists === 'no') return ILLEGAL;
  const d = new Draft(s);
  for (const kv of s.kvs) if (kv.lease === id) d.delete(kv.key);
  d.leases = revoked(s.leases, id);
  const next = d.finish();
  if (op.status === 'unknown') {
    // An unknown revoke that deletes no key is never placed. Leaving it out (which an unknown
    // operation may always be) keeps its lease live, and a live lease accepts everything a dead
    // one would (grants do not check LeaseExists): never a false alarm. Placing it would double
    // the branches of the search for each such revoke (a lease expiry whose keys were overwritten,
    // say): lease-churn seed 9 took 276 k steps instead of 8 k. The cost: a put attached to a
    // lease after an expiry that deleted nothing is not caught.
    if (next.revision === s.revision) return ILLEGAL;
    return op.input.revision !== undefined && op.input.revision !== next.revision ? ILLEGAL : next;
  }
  if (op.output?.revision !== next.revision) return ILLEGAL;
  return next;
}

/**
 * The state after `op`, or ILLEGAL. `scope` names the lease ids whose existence is known beyond
 * what the state has seen (default none: a put with a lease never seen granted is accepted).
 */
export function stepEtcd(s: EtcdState, op: EtcdOperation, scope: LeaseScope = NO_LEASE_KNOWN): EtcdState | Illegal {
  switch (op.op) {
    case 'range': return stepRange(s, op);
    case 'put': return stepPut(s, op, scope);
    case 'delete': return stepDelete(s, op);
    case 'txn': return stepTxn(s, op, scope);
    case 'compact': return stepCompact(s, op);
    case 'lease-grant': return stepLeaseGrant(s, op);
    case 'lease-revoke': return stepLeaseRevoke(s, op, scope);
    default: return unreachable(op, 'etcd operation');
  }
}

/** True when no accepted step of `op` (given its recorded output) changes the state. */
export function etcdReadOnly(op: EtcdOperation): boolean {
  const known = op.status !== 'unknown';
  switch (op.op) {
    case 'range':
      return true;
    case 'put':
    case 'compact':
    case 'lease-revoke':
    case 'lease-grant':
      // A grant adds its lease. An unknown grant of an id nobody heard changes no state, but it
      // must reach `prepare`: it widens the lease scope (an unknown read-only op is dropped first).
      return false;
    case 'delete':
      return known && op.output !== undefined && op.output.deleted === 0;
    case 'txn':
      return known ? op.output !== undefined && !responseWrites(op.output) : !requestMayWrite(op.input);
    default:
      return unreachable(op, 'etcd operation');
  }
}

/** The largest state revision at which an ok `op` can still be placed. */
export function etcdDeadline(op: EtcdOperation): number {
  const out = op.output;
  if (op.status !== 'ok' || out === undefined) return Infinity;
  switch (op.op) {
    case 'put': return out.revision - 1;
    case 'delete': return op.output !== undefined && op.output.deleted > 0 ? out.revision - 1 : out.revision;
    case 'txn': return op.output !== undefined && responseWrites(op.output) ? out.revision - 1 : out.revision;
    case 'range':
    case 'compact':
    case 'lease-grant':
    case 'lease-revoke':
      return out.revision;
    default:
      return unreachable(op, 'etcd operation');
  }
}

// ---------------------------------------------------------------------------------------------
// Descriptions and facts for explanations

function describeKv(kv: KeyValue): string {
  return `${kv.key}=${JSON.stringify(kv.value)}@${kv.modRevision}`;
}

function describeRequestOp(op: RequestOp): string {
  switch (op.type) {
    case 'range': return `range ${op.request.key}${op.request.rangeEnd ? `..${op.request.rangeEnd}` : ''}`;
    case 'put': return `put ${op.request.key}=${JSON.stringify(op.request.value)}${op.request.lease ? ` lease ${op.request.lease}` : ''}`;
    case 'delete': return `delete ${op.request.key}${op.request.rangeEnd ? `..${op.request.rangeEnd}` : ''}`;
    case 'txn': return `txn(…)`;
    default: return unreachable(op, 'request op');
  }
}

function describeCompare(c: Compare): string {
  const sym = { EQUAL: '=', NOT_EQUAL: '!=', GREATER: '>', LESS: '<' }[c.result];
  const rhs = c.target === 'VALUE' ? JSON.stringify(c.value) : c.target === 'VERSION' ? c.version : c.target === 'CREATE' ? c.createRevision : c.target === 'MOD' ? c.modRevision : c.lease;
  return `${c.target.toLowerCase()}(${c.key}) ${sym} ${rhs}`;
}

export function describeEtcdOperation(op: EtcdOperation): string {
  const unknown = op.status === 'unknown' || op.output === undefined;
  const rev = unknown ? '(unknown outcome)' : `@rev ${op.output?.revision}`;
  switch (op.op) {
    case 'range': {
      const r = op.input;
      const what = `range ${r.key}${r.rangeEnd ? `..${r.rangeEnd}` : ''}${r.revision ? ` at rev ${r.revision}` : ''}${r.serializable ? ' (serializable)' : ''}`;
      if (unknown || op.output === undefined) return `${what} ${rev}`;
      const kvs = op.output.kvs.length === 0 ? 'nothing' : op.output.kvs.map(describeKv).join(', ');
      return `${what} -> ${kvs} ${rev}`;
    }
    case 'put':
      return `put ${op.input.key}=${JSON.stringify(op.input.value)}${op.input.lease ? ` lease ${op.input.lease}` : ''} ${rev}`;
    case 'delete':
      return `delete ${op.input.key}${op.input.rangeEnd ? `..${op.input.rangeEnd}` : ''}${op.output !== undefined && !unknown ? ` -> deleted ${op.output.deleted}` : ''} ${rev}`;
    case 'txn': {
      const r = op.input;
      const body = `txn if ${r.compare.map(describeCompare).join(' && ') || 'true'} then [${r.success.map(describeRequestOp).join('; ')}] else [${r.failure.map(describeRequestOp).join('; ')}]`;
      return `${body}${op.output !== undefined && !unknown ? ` -> ${op.output.succeeded ? 'then' : 'else'}` : ''} ${rev}`;
    }
    case 'compact':
      return `compact ${op.input.revision} ${rev}`;
    case 'lease-grant':
      return `lease-grant ttl=${op.input.ttlS}s${op.output !== undefined && !unknown ? ` -> lease ${op.output.id}` : op.input.id ? ` id ${op.input.id}` : ''} ${rev}`;
    case 'lease-revoke':
      return `lease-revoke ${op.input.id} ${rev}`;
    default:
      return unreachable(op, 'etcd operation');
  }
}

export function describeEtcdState(s: EtcdState): string {
  const shown = s.kvs.slice(0, 8).map(describeKv);
  return `rev ${s.revision}: {${shown.join(', ')}${s.kvs.length > 8 ? `, … ${s.kvs.length - 8} more` : ''}}`;
}

function isPlainSingleKeyRange(r: RangeRequest): boolean {
  return (r.rangeEnd === undefined || r.rangeEnd === '') && !r.revision && !r.keysOnly && !r.countOnly &&
    !r.minModRevision && !r.maxModRevision && !r.minCreateRevision && !r.maxCreateRevision;
}

function etcdReadOf(op: EtcdOperation): ReadFact | undefined {
  if (op.op !== 'range' || op.status !== 'ok' || op.output === undefined || !isPlainSingleKeyRange(op.input)) return undefined;
  return { key: op.input.key, value: op.output.kvs[0]?.value ?? null };
}

function etcdWriteOf(op: EtcdOperation): WriteFact | null | undefined {
  switch (op.op) {
    case 'range':
    case 'lease-grant':
    case 'compact':
      return null;
    case 'put':
      return op.input.ignoreValue === true ? undefined : { key: op.input.key, value: op.input.value, certain: op.status === 'ok' };
    case 'delete':
      if (op.input.rangeEnd !== undefined && op.input.rangeEnd !== '') return undefined;
      if (op.status === 'ok' && op.output?.deleted === 0) return null;
      return { key: op.input.key, value: null, certain: op.status === 'ok' };
    case 'txn':
      return etcdReadOnly(op) ? null : undefined;
    case 'lease-revoke':
      return undefined;
    default:
      return unreachable(op, 'etcd operation');
  }
}

// ---------------------------------------------------------------------------------------------
// Evidence: what the history's reads saw of each revision

/**
 * Every pair a successful operation of the history observed, by the revision that wrote it (its
 * mod revision): range results (not keys-only), txn range results, put prevKv, delete prevKvs.
 * In any linearization that the plain model accepts, those reads are right, so the write that
 * made revision m set each such key to exactly what was seen at m. A branch whose revision m says
 * otherwise can never be completed — the prepared model rejects it at once, instead of finding
 * out reads later. This is what pins unknown writes to their revisions.
 */
export function collectEvidence(ops: readonly EtcdOperation[]): ReadonlyMap<number, readonly KeyValue[]> {
  const byRevision = new Map<number, KeyValue[]>();
  const add = (kv: KeyValue | undefined): void => {
    if (kv === undefined) return;
    let list = byRevision.get(kv.modRevision);
    if (list === undefined) byRevision.set(kv.modRevision, (list = []));
    for (const x of list) if (sameKv(x, kv)) return;
    list.push(kv);
  };
  const range = (r: RangeRequest, out: RangeResponse): void => {
    if (r.keysOnly !== true && r.countOnly !== true) for (const kv of out.kvs) add(kv);
  };
  // Inside a txn, a read may see the txn's own earlier writes: a state *within* its revision, which
  // a later op of the same txn may change again. Those observations are not evidence.
  const txn = (r: TxnRequest, out: TxnResponse, own: number): void => {
    const branch = out.succeeded ? r.success : r.failure;
    const addSettled = (kv: KeyValue | undefined): void => {
      if (kv !== undefined && kv.modRevision !== own) add(kv);
    };
    out.responses.forEach((resp, i) => {
      const req = branch[i];
      if (req === undefined || req.type !== resp.type) return;
      if (req.type === 'range' && resp.type === 'range') {
        if (req.request.keysOnly !== true && req.request.countOnly !== true) resp.response.kvs.forEach(addSettled);
      } else if (resp.type === 'put') addSettled(resp.response.prevKv);
      else if (resp.type === 'delete') resp.response.prevKvs.forEach(addSettled);
      else if (req.type === 'txn' && resp.type === 'txn') txn(req.request, resp.response, own);
    });
  };
  for (const op of ops) {
    if (op.status !== 'ok' || op.output === undefined) continue;
    switch (op.op) {
      case 'range': range(op.input, op.output); break;
      case 'put': add(op.output.prevKv); break;
      case 'delete': op.output.prevKvs.forEach(add); break;
      case 'txn': txn(op.input, op.output, op.output.revision); break;
      default: break;
    }
  }
  return byRevision;
}

function contradictsEvidence(evidence: ReadonlyMap<number, readonly KeyValue[]>, next: EtcdState): boolean {
  const seen = evidence.get(next.revision);
  if (seen === undefined) return false;
  for (const kv of seen) if (!sameKv(getKv(next.kvs, kv.key), kv)) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Witnesses in revisions: violations provable without search

/** For an ok operation: its response revision and whether it made that revision. */
function revisionOf(op: EtcdOperation): { revision: number; wrote: boolean } | undefined {
  if (op.status !== 'ok' || op.output === undefined) return undefined;
  const revision = op.output.revision;
  switch (op.op) {
    case 'put': return { revision, wrote: true };
    case 'delete': return { revision, wrote: op.output.deleted > 0 };
    case 'txn': return { revision, wrote: responseWrites(op.output) };
    case 'range':
    case 'compact':
    case 'lease-grant':
      return { revision, wrote: false };
    case 'lease-revoke':
      return undefined; // whether it deleted anything is not in its response
    default:
      return unreachable(op, 'etcd operation');
  }
}

/**
 * Revisions never go back: an operation that began after another returned revision r is served
 * at a revision ≥ r (and one that writes makes a revision > r); and each revision is made by one
 * write. The first operation to break either rule, in call order — certainly not linearizable.
 */
export function etcdWitness(ops: readonly EtcdOperation[], formatTime?: (t: number) => string): Witness | undefined {
  const time = formatTime ?? ((t: number): string => `t=${t}`);
  const known = ops.map((op) => ({ op, r: revisionOf(op) })).filter((x): x is { op: EtcdOperation; r: { revision: number; wrote: boolean } } => x.r !== undefined && x.op.return !== null);
  const makers = new Map<number, EtcdOperation>();
  for (const { op, r } of known) {
    if (!r.wrote) continue;
    const other = makers.get(r.revision);
    if (other !== undefined) {
      return { kind: 'duplicate-revision', op: op.id, related: [other.id], message: `${describeEtcdOperation(op)} and ${describeEtcdOperation(other)} both made revision ${r.revision}: each write makes its own revision` };
    }
    makers.set(r.revision, op);
  }
  const byReturn = [...known].sort((a, b) => (a.op.return as number) - (b.op.return as number));
  const byCall = [...known].sort((a, b) => a.op.call - b.op.call || a.op.id - b.op.id);
  let done = 0;
  let best: { op: EtcdOperation; revision: number } | undefined;
  for (const { op, r } of byCall) {
    while (done < byReturn.length && ((byReturn[done] as (typeof byReturn)[number]).op.return as number) < op.call) {
      const x = byReturn[done] as (typeof byReturn)[number];
      if (best === undefined || x.r.revision > best.revision) best = { op: x.op, revision: x.r.revision };
      done++;
    }
    if (best === undefined) continue;
    const stale = r.wrote ? r.revision <= best.revision : r.revision < best.revision;
    if (!stale) continue;
    const at = formatTime === undefined ? `t=${op.call}..${op.return}` : `${time(op.call)}..${time(op.return as number)}`;
    const before = `${describeEtcdOperation(best.op)} had returned revision ${best.revision} at ${time(best.op.return as number)}, before it began`;
    return {
      kind: r.wrote ? 'revision-order' : 'stale-read',
      op: op.id,
      related: [best.op.id],
      message: r.wrote
        ? `${describeEtcdOperation(op)} (${at}) made revision ${r.revision}, but ${before}: revisions never go back`
        : `${describeEtcdOperation(op)} (${at}) was served at revision ${r.revision}, but ${before}: a linearizable read must see revision ${best.revision} or later (a stale read)`,
    };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The model

export interface EtcdModelOptions {
  /** Where the store starts (default: empty at revision 1). */
  readonly init?: EtcdState;
}

/**
 * The etcd model. Its partition keeps the modelled, non-serializable operations in one part: the
 * revision is global, so the history cannot be split per key.
 */
export function createEtcdModel(options: EtcdModelOptions = {}): Model<EtcdState, EtcdOperation> {
  const init = options.init ?? initialEtcdState();
  const model: Model<EtcdState, EtcdOperation> = {
    name: 'etcd',
    init: () => init,
    step: stepEtcd,
    equal: equalEtcdStates,
    hash: (s) => s.hash,
    partition: (ops): Partition<EtcdOperation>[] => [{ label: 'etcd', ops: ops.filter((op) => isModelledOp(op) && !isSerializableRange(op)) }],
    readOnly: etcdReadOnly,
    progress: (s) => s.revision,
    deadline: etcdDeadline,
    // Every write that changes a key makes the next revision; compaction and grants keep the
    // revision, and so does an ok revoke that deletes no key (an unknown one is placed only where
    // it deletes).
    progressAfter: (s, op) => (op.op === 'compact' || op.op === 'lease-grant' || (op.op === 'lease-revoke' && op.status !== 'unknown') ? s.revision : s.revision + 1),
    describeOperation: describeEtcdOperation,
    describeState: describeEtcdState,
    readOf: etcdReadOf,
    writeOf: etcdWriteOf,
    initialValue: null,
    witness: etcdWitness,
    prepare: (ops) => {
      const evidence = collectEvidence(ops);
      const scope = leaseScope(ops);
      const step = (s: EtcdState, op: EtcdOperation): EtcdState | Illegal => {
        const next = stepEtcd(s, op, scope);
        if (next === ILLEGAL || next.revision === s.revision || evidence.size === 0) return next;
        return contradictsEvidence(evidence, next) ? ILLEGAL : next;
      };
      return { ...model, step };
    },
  };
  return model;
}

export const etcdModel: Model<EtcdState, EtcdOperation> = createEtcdModel();
