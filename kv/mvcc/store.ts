/**
 * The MVCC key-value store (etcd server/storage/mvcc + the apply functions of etcdserver/txn), pure:
 * no raft, no clock, no randomness. The server applies committed requests to it in log order; every
 * member applying the same log reaches the same revisions and the same `hashKV`.
 *
 * Usage:
 *   const store = createMvccStore({ leaseExists: (id) => lessor.exists(id) });
 *   store.observe(watchHub.observer);             // events of every write txn, in order
 *   const res = store.put({ key: 'a', value: '1' });  // { ok: true, value: PutResponse }
 *   header.revision = store.rev();                 // after any call: the response header revision
 *
 * Every operation returns a `KvResult`: expected failures (Compacted, FutureRev, DuplicateKey …) are
 * values; only a broken invariant throws. Requests are validated here as etcd's gRPC layer would
 * (`validate.ts` exposes the same checks for the server to run before proposing).
 */
import type {
  DeleteRangeRequest, DeleteRangeResponse, HashKVResponse, KeyValue, KvResult, PutRequest, PutResponse,
  RangeRequest, RangeResponse, TxnRequest, TxnResponse, WatchEvent,
} from '../api.js';
import { assert } from '../../sim/assert.js';
import { fail, ok } from './errors.js';
import { rowHash, rowSetHash } from './hash.js';
import { finishRange, rangeFetchLimit } from './range.js';
import { INITIAL_REVISION } from './revision.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot.js';
import { revisionKey, rowsOfState, stateFromRows } from './backend-records.js';
import { StoreState, type RevisionEvents } from './store-state.js';
import { checkPlainPut, checkTxn, compareToPath, executeTxn, type TxnReader, type TxnWriter } from './txn.js';
import { MAX_TXN_OPS_DEFAULT, validateDeleteRange, validatePut, validateRange, validateTxn } from './validate.js';
import { WriteTxn } from './write-txn.js';

/** Told, synchronously and in order, about every change of the store. */
export interface StoreObserver {
  /** A write txn committed `events` (sub-revision order) at main revision `revision`. */
  onWrite(revision: number, events: readonly WatchEvent[]): void;
  /** History below `revision` was dropped. */
  onCompact?(revision: number): void;
  /** The whole store was replaced by a snapshot. */
  onRestore?(): void;
}

/**
 * Known etcd bugs of the MVCC store that can be switched back on (scenarios/bugs.ts):
 * - `etcd-18089`: compaction at R drops a tombstone at exactly R, and the backend with it the
 *   DELETE event of revision R, so a watch from R misses it (fixed in etcd PR #18474).
 */
export const MVCC_BUGS = ['etcd-18089'] as const;
export type MvccBug = (typeof MVCC_BUGS)[number];

export interface MvccStoreOptions {
  /** Known bugs switched back on (MVCC_BUGS). Default none. */
  readonly bugs?: readonly MvccBug[];
  /** Lease lookup for puts with a lease (etcd lessor.Lookup); without it every lease id is accepted. */
  readonly leaseExists?: (id: number) => boolean;
  /** Most ops per txn branch (etcd --max-txn-ops). Default 128. */
  readonly maxTxnOps?: number;
  /** Run the full O(n) consistency check after every write (tests). Default false. */
  readonly paranoid?: boolean;
}

export interface MvccStore {
  /** The current main revision (1 for an empty store): the revision of response headers. */
  rev(): number;
  /** etcd's compactMainRev: reads below it fail with Compacted; -1 when never compacted. */
  compactRevision(): number;
  range(r: RangeRequest): KvResult<RangeResponse>;
  put(r: PutRequest): KvResult<PutResponse>;
  deleteRange(r: DeleteRangeRequest): KvResult<DeleteRangeResponse>;
  txn(r: TxnRequest): KvResult<TxnResponse>;
  /** Drops history below `revision`: Compacted if ≤ the compaction revision, FutureRev if > current. */
  compact(revision: number): KvResult<{ readonly revision: number }>;
  /**
   * Deletes the listed keys that are live, in one revision, without txn limits: the lease revoke path
   * (etcd lessor's RangeDeleter). Returns how many were deleted.
   */
  deleteKeys(keys: readonly string[]): number;
  /** Maintenance.HashKV at `revision` (0 = current). */
  hashKV(revision?: number): KvResult<HashKVResponse>;
  /** Events of main revision `revision`, or undefined when compacted away or not yet written. */
  eventsAt(revision: number): RevisionEvents | undefined;
  /** The oldest revision whose events are kept (watchers from below it are compacted). */
  firstEventRevision(): number;
  /** The whole store (index, history, revisions) as bytes for a raft snapshot. */
  snapshot(): Uint8Array;
  /** Replaces the whole store by a snapshot; Corrupt if the bytes do not decode. Observers get onRestore. */
  restore(bytes: Uint8Array): KvResult<void>;
  /**
   * Replaces the whole store by one rebuilt from the backend's `key` bucket rows (backend-records.ts)
   * and its finished compaction revision; Corrupt if a row does not decode. Observers get onRestore.
   */
  restoreFromRows(rows: Iterable<readonly [string, string]>, compactRev: number, atLeastRev?: number): KvResult<void>;
  /** Every version the store holds as backend rows, in key order, and its compaction revision. */
  snapshotRows(): { readonly rows: [string, string][]; readonly compactRev: number };
  /**
   * The backend row keys (revisionKey) of the versions at or below `revision` that the key index
   * still holds: what a compaction at `revision` must keep in the backend (etcd's kvindex.Compact
   * answer, `keep`).
   */
  keptRowKeys(revision: number): Set<string>;
  /** Registers an observer; returns a function that removes it. */
  observe(observer: StoreObserver): () => void;
  /** Full O(n) consistency check; throws InvariantViolation. */
  checkInvariants(): void;
  /** Number of keys in the index (live or with retained history). */
  indexedKeys(): number;
}

export function createMvccStore(options: MvccStoreOptions = {}): MvccStore {
  const maxTxnOps = options.maxTxnOps ?? MAX_TXN_OPS_DEFAULT;
  assert(Number.isInteger(maxTxnOps) && maxTxnOps > 0, () => `mvcc: maxTxnOps must be a positive integer, got ${maxTxnOps}`);
  return new Store(options.leaseExists ?? (() => true), maxTxnOps, options.paranoid ?? false, (options.bugs ?? []).includes('etcd-18089'));
}

/** A bound on observers: a store has a handful (watch hub, lessor, checkers). */
const OBSERVERS_MAX = 64;

class Store implements MvccStore {
  private state = new StoreState();
  private readonly observers: StoreObserver[] = [];
  /** Set while a write txn or its notification runs: no re-entrant writes. */
  private busy = false;
  private readonly reader: TxnReader;
  /** Where the last hashKV stopped (see hashAt). */
  private hashMemo: HashMemo | null = null;

  constructor(
    private readonly leaseExists: (id: number) => boolean,
    private readonly maxTxnOps: number,
    private readonly paranoid: boolean,
    private readonly dropTombstoneAtCompactRev = false,
  ) {
    this.reader = {
      liveRange: (key, end) => this.state.indexRange(key, end, this.state.currentRev, 0, false).kvs,
      currentRev: () => this.state.currentRev,
      compactRev: () => this.state.compactRev,
      leaseExists: (id) => this.leaseExists(id),
    };
  }

  rev(): number {
    return this.state.currentRev;
  }

  compactRevision(): number {
    return this.state.compactRev;
  }

  range(r: RangeRequest): KvResult<RangeResponse> {
    const err = validateRange(r);
    if (err !== undefined) return { ok: false, error: err };
    return this.rangeAt(r, this.state.currentRev);
  }

  put(r: PutRequest): KvResult<PutResponse> {
    const err = validatePut(r) ?? checkPlainPut(this.reader, r);
    if (err !== undefined) return { ok: false, error: err };
    return this.write((w) => this.putIn(w, r));
  }

  deleteRange(r: DeleteRangeRequest): KvResult<DeleteRangeResponse> {
    const err = validateDeleteRange(r);
    if (err !== undefined) return { ok: false, error: err };
    return this.write((w) => ok(this.deleteIn(w, r)));
  }

  txn(r: TxnRequest): KvResult<TxnResponse> {
    const invalid = validateTxn(r, this.maxTxnOps);
    if (invalid !== undefined) return { ok: false, error: invalid };
    const path = compareToPath(this.reader, r);
    const err = checkTxn(this.reader, r, path);
    if (err !== undefined) return { ok: false, error: err };
    return this.write((w) => ok(executeTxn(this.writerFor(w), r, path)));
  }

  compact(revision: number): KvResult<{ readonly revision: number }> {
    const s = this.state;
    if (revision <= s.compactRev) return fail('Compacted');
    if (revision > s.currentRev) return fail('FutureRev');
    assert(!this.busy, 'mvcc: compact during a write');
    s.compactRev = revision;
    const droppedTombstones = new Set<string>();
    s.index.editAll((key, ki) => {
      if (ki.compact(revision, this.dropTombstoneAtCompactRev)) droppedTombstones.add(key);
      return ki.isEmpty() ? { delete: true } : undefined;
    });
    // Keep every event at or after the compaction revision: a watch may start exactly there.
    if (revision > s.historyStart) {
      s.history.splice(0, revision - s.historyStart);
      s.historyStart = revision;
    }
    // etcd-18089 switched on: etcd deletes from the backend every revision the key index no longer
    // keeps, so the DELETE at the compaction revision goes with its tombstone.
    if (droppedTombstones.size > 0 && revision >= s.historyStart) {
      const at = revision - s.historyStart;
      s.history[at] = (s.history[at] ?? []).filter((ev) => !(ev.type === 'DELETE' && droppedTombstones.has(ev.kv.key)));
    }
    if (this.paranoid) s.checkInvariants();
    for (const o of this.observers) o.onCompact?.(revision);
    return ok({ revision: s.currentRev });
  }

  deleteKeys(keys: readonly string[]): number {
    let deleted = 0;
    this.write((w) => {
      deleted = w.deleteKeys(keys);
      return ok(undefined);
    });
    return deleted;
  }

  hashKV(revision = 0): KvResult<HashKVResponse> {
    const s = this.state;
    if (revision > 0 && revision < s.compactRev) return fail('Compacted');
    if (revision > s.currentRev) return fail('FutureRev');
    // etcd maps only revision 0 to "now": a negative revision hashes the rows below it, which are
    // none, so every member and every state answers the hash of the empty key bucket.
    if (revision < 0) return ok({ hash: rowSetHash(0, 0), compactRevision: s.compactRev, hashRevision: revision });
    const at = revision === 0 ? s.currentRev : revision;
    const { hash, memo } = hashAt(s, at, this.hashMemo);
    this.hashMemo = memo;
    return ok({ hash, compactRevision: s.compactRev, hashRevision: at });
  }

  eventsAt(revision: number): RevisionEvents | undefined {
    return this.state.eventsAt(revision);
  }

  firstEventRevision(): number {
    return this.state.historyStart;
  }

  snapshot(): Uint8Array {
    assert(!this.busy, 'mvcc: snapshot during a write');
    return encodeSnapshot(this.state);
  }

  restore(bytes: Uint8Array): KvResult<void> {
    assert(!this.busy, 'mvcc: restore during a write');
    const decoded = decodeSnapshot(bytes);
    if (!decoded.ok) return decoded;
    decoded.value.checkInvariants();
    this.state = decoded.value;
    for (const o of this.observers) o.onRestore?.();
    return ok(undefined);
  }

  snapshotRows(): { readonly rows: [string, string][]; readonly compactRev: number } {
    return { rows: rowsOfState(this.state), compactRev: this.state.compactRev };
  }

  restoreFromRows(rows: Iterable<readonly [string, string]>, compactRev: number, atLeastRev = 0): KvResult<void> {
    assert(!this.busy, 'mvcc: restore during a write');
    const built = stateFromRows(rows, compactRev, this.dropTombstoneAtCompactRev, atLeastRev);
    if (!built.ok) return built;
    built.value.checkInvariants();
    this.state = built.value;
    this.hashMemo = null;
    for (const o of this.observers) o.onRestore?.();
    return ok(undefined);
  }

  keptRowKeys(revision: number): Set<string> {
    const keep = new Set<string>();
    this.state.index.forEachPair((_key, ki) => {
      ki.forEachVersion((v) => {
        if (v.main <= revision) keep.add(revisionKey(v.main, v.sub));
      });
    });
    return keep;
  }

  observe(observer: StoreObserver): () => void {
    assert(this.observers.length < OBSERVERS_MAX, () => `mvcc: more than ${OBSERVERS_MAX} observers`);
    assert(!this.observers.includes(observer), 'mvcc: observer registered twice');
    this.observers.push(observer);
    return () => {
      const i = this.observers.indexOf(observer);
      if (i >= 0) this.observers.splice(i, 1);
    };
  }

  checkInvariants(): void {
    this.state.checkInvariants();
  }

  indexedKeys(): number {
    return this.state.index.size;
  }

  /** Range at a revision as seen by a txn whose current revision is `curRev`. */
  private rangeAt(r: RangeRequest, curRev: number): KvResult<RangeResponse> {
    const s = this.state;
    const requested = r.revision ?? 0;
    if (requested > curRev) return fail('FutureRev');
    const at = requested <= 0 ? curRev : requested;
    if (at < s.compactRev) return fail('Compacted');
    const raw = s.indexRange(r.key, r.rangeEnd, at, rangeFetchLimit(r), r.countOnly === true);
    return ok(finishRange(raw, r));
  }

  private putIn(w: WriteTxn, r: PutRequest): KvResult<PutResponse> {
    const prev = r.ignoreValue === true || r.ignoreLease === true || r.prevKv === true ? w.get(r.key) : undefined;
    if ((r.ignoreValue === true || r.ignoreLease === true) && prev === undefined) return fail('KeyNotFound');
    const value = r.ignoreValue === true ? (prev as KeyValue).value : r.value;
    const lease = r.ignoreLease === true ? (prev as KeyValue).lease : (r.lease ?? 0);
    w.put(r.key, value, lease);
    return ok(r.prevKv === true && prev !== undefined ? { prevKv: prev } : {});
  }

  private deleteIn(w: WriteTxn, r: DeleteRangeRequest): DeleteRangeResponse {
    const prevKvs = r.prevKv === true ? this.state.indexRange(r.key, r.rangeEnd, w.readRev(), 0, false).kvs : [];
    const deleted = w.deleteRange(r.key, r.rangeEnd);
    assert(r.prevKv !== true || prevKvs.length === deleted, () => `mvcc: deleted ${deleted} keys but saw ${prevKvs.length} before`);
    return { deleted, prevKvs };
  }

  private writerFor(w: WriteTxn): TxnWriter {
    // Methods, not arrow-function properties: tsx (esbuild's keepNames) gives each arrow stored in
    // a property its name with a defineProperty call, three per txn here, which cost ~2 % of a
    // cluster run.
    const store = this;
    return {
      range(r) { return store.rangeAt(r, w.readRev()); },
      put(r) { return store.putIn(w, r); },
      deleteRange(r) { return store.deleteIn(w, r); },
    };
  }

  /** Runs `body` in one write txn, commits it, then tells the observers. */
  private write<T>(body: (w: WriteTxn) => KvResult<T>): KvResult<T> {
    assert(!this.busy, 'mvcc: re-entrant write (an observer or a txn op wrote to the store)');
    this.busy = true;
    try {
      const w = new WriteTxn(this.state);
      const res = body(w);
      const events = w.end();
      assert(res.ok || events.length === 0, 'mvcc: a failed write changed the store');
      if (events.length > 0) {
        assert(this.state.currentRev === w.beginRev + 1, 'mvcc: revision did not advance by one');
        if (this.paranoid) this.state.checkInvariants();
        for (const o of this.observers) o.onWrite(this.state.currentRev, events);
      }
      return res;
    } finally {
      this.busy = false;
    }
  }
}

/**
 * HashKV at `at`, by etcd's rule (mvcc HashByRev, 3.4 and later): of the rows the compaction kept
 * (each key's version visible at the compaction revision C), those whose key is still at that
 * version at `at` — etcd filters the rows below C + 1 by `kvindex.Keep(at)` — or all of them when
 * no key is live at `at` (an empty Keep filters nothing); then every change in (C, at]. So after a
 * compaction, a key written again no longer counts its old version, and HashKV at a revision can
 * change when a compaction at or below it runs (the conformance run against etcd 3.4.23 showed
 * both). It depends only on C and `at`, not on when the compaction ran or how much history a
 * member kept.
 *
 * The rows are hashed as a set (hash.ts `rowSetHash`), which makes it incremental: `memo` holds
 * the sums after some revision `at` (for one state object and compaction revision), and a later
 * call continues over the new revisions only — the online checks hash every member every second,
 * and a full walk would cost O(history) each time.
 */
interface HashMemo {
  readonly state: StoreState;
  readonly compactRev: number;
  readonly at: number;
  /** Every kept row: sum of row hashes, count. */
  readonly keptAll: number;
  readonly keptAllN: number;
  /** The kept rows whose key did not change in (C, at]. */
  readonly keptLive: number;
  readonly keptLiveN: number;
  /** The rows of (C, at]. */
  readonly changes: number;
  readonly changesN: number;
  /** Keys live at `at`. */
  readonly live: number;
}

function hashAt(s: StoreState, at: number, memo: HashMemo | null): { hash: number; memo: HashMemo } {
  const resume = memo !== null && memo.state === s && memo.compactRev === s.compactRev && memo.at <= at;
  const m = resume ? { ...memo } : hashKept(s);
  const c = s.compactRev;
  // Bounded by at − from + 1 revisions, each of a bounded txn.
  for (let rev = m.at + 1; rev <= at; rev++) {
    const events = s.eventsAt(rev);
    assert(events !== undefined, () => `mvcc: hashKV(${at}) finds no events at revision ${rev} (history from ${s.historyStart})`);
    // A txn changes a key at most once, but stay exact if it did more: liveness within the revision.
    const touched = events.length > 1 ? new Map<string, boolean>() : null;
    for (let sub = 0; sub < events.length; sub++) {
      const ev = events[sub] as WatchEvent;
      const key = ev.kv.key;
      m.changes = (m.changes + rowHash(key, rev, sub, ev.type === 'PUT' ? ev.kv : null)) | 0;
      m.changesN++;
      const first = touched === null || !touched.has(key);
      const before = first ? ev.prevKv !== undefined : (touched.get(key) as boolean);
      const after = ev.type === 'PUT';
      m.live += (after ? 1 : 0) - (before ? 1 : 0);
      touched?.set(key, after);
      // The key's first change after C: the row the compaction kept for it stops counting.
      if (first && ev.prevKv !== undefined && ev.prevKv.modRevision <= c) {
        const v = s.index.get(key)?.visibleAt(c);
        assert(v !== undefined && v.kv !== null && v.main === ev.prevKv.modRevision, () => `mvcc: hashKV finds no kept row of "${key}" at ${c}`);
        m.keptLive = (m.keptLive - rowHash(key, v.main, v.sub, v.kv)) | 0;
        m.keptLiveN--;
      }
    }
  }
  m.at = at;
  const hash = m.live > 0 ? rowSetHash(m.keptLive + m.changes, m.keptLiveN + m.changesN) : rowSetHash(m.keptAll + m.changes, m.keptAllN + m.changesN);
  return { hash, memo: m };
}

type MutableMemo = { -readonly [K in keyof HashMemo]: HashMemo[K] };

/** The sums at the compaction revision: the kept rows (none if there was no compaction), no changes. */
function hashKept(s: StoreState): MutableMemo {
  const c = s.compactRev;
  let sum = 0;
  let n = 0;
  if (c > INITIAL_REVISION) {
    s.index.forEachPair((key, ki) => {
      const v = ki.visibleAt(c);
      if (v === undefined) return;
      sum = (sum + rowHash(key, v.main, v.sub, v.kv)) | 0;
      n++;
    });
  }
  return { state: s, compactRev: c, at: Math.max(c, INITIAL_REVISION), keptAll: sum, keptAllN: n, keptLive: sum, keptLiveN: n, changes: 0, changesN: 0, live: n };
}
