/**
 * Stable storage as the core sees it (etcd's `Storage` interface), and `MemoryStorage`, the
 * in-memory implementation the node layer rebuilds from snapshot + WAL on restart.
 *
 * The core reads through this interface; the application writes (append, setHardState,
 * applySnapshot) after persisting a Ready. Expected failures are values (`StorageError`);
 * out-of-range requests are broken invariants.
 *
 * Layout of MemoryStorage: `ents[0]` is a dummy entry holding the (index, term) of the last
 * compacted entry (the snapshot's), so `term(firstIndex − 1)` stays answerable for the log
 * matching check of the next append.
 */
import { assert } from '../../sim/assert.js';
import { limitSize } from './entry-size.js';
import type { ConfState, Entry, HardState, LogIndex, Snapshot, Term } from './types.js';
import { EMPTY_HARD_STATE, EMPTY_SNAPSHOT } from './types.js';

/**
 * etcd's storage errors:
 * - `compacted`: the requested index is older than the first available entry;
 * - `unavailable`: the requested index is newer than the last entry;
 * - `snap-out-of-date`: a snapshot older than the current one was offered;
 * - `snapshot-temporarily-unavailable`: no snapshot can be produced right now (retry later).
 */
export type StorageError = 'compacted' | 'unavailable' | 'snap-out-of-date' | 'snapshot-temporarily-unavailable';

export type StorageResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: StorageError };

export function ok<T>(value: T): StorageResult<T> {
  return { ok: true, value };
}

export function err<T>(error: StorageError): StorageResult<T> {
  return { ok: false, error };
}

export interface InitialState {
  readonly hardState: HardState;
  readonly confState: ConfState;
}

export interface Storage {
  /** The persisted hard state and the membership as of the last snapshot. */
  initialState(): InitialState;
  /**
   * Entries [lo, hi), at most `maxSizeBytes` of them by encoded size but never none when the
   * range is not empty. `compacted` if lo ≤ the snapshot index.
   */
  entries(lo: LogIndex, hi: LogIndex, maxSizeBytes: number): StorageResult<readonly Entry[]>;
  /** Term of entry i, for i in [firstIndex − 1, lastIndex]. */
  term(i: LogIndex): StorageResult<Term>;
  /** Index of the first entry still available (snapshot index + 1). */
  firstIndex(): LogIndex;
  /** Index of the last entry. */
  lastIndex(): LogIndex;
  /** The most recent snapshot. */
  snapshot(): StorageResult<Snapshot>;
}

export class MemoryStorage implements Storage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot;
  /** ents[0] is the dummy entry at the snapshot index; ents[i] has index ents[0].index + i. */
  private ents: Entry[] = [{ term: 0 as Term, index: 0 as LogIndex, type: 'normal', data: new Uint8Array(0) }];

  /**
   * `confState`: the membership of a brand-new group whose log starts empty (what etcd's tests
   * set on a fresh MemoryStorage); a snapshot applied later replaces it.
   */
  constructor(confState?: ConfState) {
    this.snap = confState === undefined ? EMPTY_SNAPSHOT : { ...EMPTY_SNAPSHOT, metadata: { ...EMPTY_SNAPSHOT.metadata, confState } };
  }

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  entries(lo: LogIndex, hi: LogIndex, maxSizeBytes: number): StorageResult<readonly Entry[]> {
    const offset = this.offset();
    if (lo <= offset) return err('compacted');
    if (lo > hi) assert(false, `storage.entries: lo ${lo} > hi ${hi}`);
    if (hi > this.lastIndex() + 1) assert(false, `storage.entries: hi ${hi} out of bound, last index ${this.lastIndex()}`);
    // Only the dummy entry: nothing is stored.
    if (this.ents.length === 1) return err('unavailable');
    return ok(limitSize(this.ents.slice(lo - offset, hi - offset), maxSizeBytes));
  }

  term(i: LogIndex): StorageResult<Term> {
    const offset = this.offset();
    if (i < offset) return err('compacted');
    if (i - offset >= this.ents.length) return err('unavailable');
    return ok((this.ents[i - offset] as Entry).term);
  }

  firstIndex(): LogIndex {
    return (this.offset() + 1) as LogIndex;
  }

  lastIndex(): LogIndex {
    return (this.offset() + this.ents.length - 1) as LogIndex;
  }

  snapshot(): StorageResult<Snapshot> {
    return ok(this.snap);
  }

  /** The snapshot this storage holds (what a restart recovers the state machine from). */
  persistedSnapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole log by a snapshot (a follower installing one, or a restart). */
  applySnapshot(s: Snapshot): StorageResult<void> {
    if (this.snap.metadata.index >= s.metadata.index) return err('snap-out-of-date');
    this.snap = s;
    this.ents = [{ term: s.metadata.term, index: s.metadata.index, type: 'normal', data: new Uint8Array(0) }];
    return ok(undefined);
  }

  /**
   * Records a snapshot of the application state as of applied index i (≤ last index). The log is
   * left as is; call `compact` to drop the entries it covers.
   */
  createSnapshot(i: LogIndex, cs: ConfState, data: Uint8Array): StorageResult<Snapshot> {
    if (i <= this.snap.metadata.index) return err('snap-out-of-date');
    assert(i <= this.lastIndex(), () => `storage.createSnapshot: ${i} is beyond the last index ${this.lastIndex()}`);
    const t = (this.ents[i - this.offset()] as Entry).term;
    this.snap = { metadata: { index: i, term: t, confState: cs }, data };
    return ok(this.snap);
  }

  /** Drops the entries before index i; entry i becomes the new dummy. */
  compact(i: LogIndex): StorageResult<void> {
    const offset = this.offset();
    if (i <= offset) return err('compacted');
    assert(i <= this.lastIndex(), () => `storage.compact: ${i} is beyond the last index ${this.lastIndex()}`);
    const at = this.ents[i - offset] as Entry;
    this.ents = [{ term: at.term, index: at.index, type: 'normal', data: new Uint8Array(0) }, ...this.ents.slice(i - offset + 1)];
    return ok(undefined);
  }

  /**
   * Appends entries, truncating any conflicting suffix first (the entries must be contiguous and
   * start at most one past the last index). Entries already compacted are skipped.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    assertContiguous(entries);
    const first = this.firstIndex();
    const last = (entries[0] as Entry).index + entries.length - 1;
    if (last < first) return;
    const fresh = first > (entries[0] as Entry).index ? entries.slice(first - (entries[0] as Entry).index) : entries;
    const at = (fresh[0] as Entry).index - this.offset();
    if (at > this.ents.length) assert(false, `storage.append: missing log entry [last: ${this.lastIndex()}, append at: ${(fresh[0] as Entry).index}]`);
    // Truncate the conflicting suffix in place, then append: O(appended), not O(log).
    if (at < this.ents.length) this.ents.length = at;
    for (const e of fresh) this.ents.push(e);
  }

  private offset(): LogIndex {
    return (this.ents[0] as Entry).index;
  }
}

function assertContiguous(entries: readonly Entry[]): void {
  for (let i = 1; i < entries.length; i++) {
    assert((entries[i] as Entry).index === (entries[i - 1] as Entry).index + 1, 'storage.append: entries not contiguous');
  }
}
