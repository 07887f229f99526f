/**
 * The raft log (etcd's `raftLog`): stable entries in Storage followed by the unstable tail, plus
 * the commit and apply cursors.
 *
 * Invariants (asserted): applied ≤ applying ≤ committed ≤ lastIndex; committed never decreases;
 * a committed entry is never overwritten.
 */
import { assert } from '../../sim/assert.js';
import { entriesEncodingSizeBytes, limitSize } from './entry-size.js';
import { Unstable } from './log-unstable.js';
import type { Storage, StorageError, StorageResult } from './storage.js';
import { err, ok } from './storage.js';
import type { Entry, LogIndex, Snapshot, Term } from './types.js';

/** (index, term) of an entry. */
export interface EntryId {
  readonly index: LogIndex;
  readonly term: Term;
}

/** The result of a read below the first index, shared (results are read-only). */
const COMPACTED: StorageResult<never> = err<never>('compacted');

export class RaftLog {
  readonly storage: Storage;
  readonly unstable: Unstable;
  /** Highest index known durable on a quorum. */
  committed: LogIndex;
  /** Highest index handed to the application to apply (in a Ready). */
  applying: LogIndex;
  /** Highest index the application has applied (acknowledged by advance). */
  applied: LogIndex;
  /** Bound on encoded bytes of committed entries handed out and not yet applied. */
  readonly maxApplyingEntsSizeBytes: number;
  applyingEntsSizeBytes = 0;
  /** Application of entries paused until enough of the handed-out ones are applied. */
  applyingEntsPaused = false;

  constructor(storage: Storage, maxApplyingEntsSizeBytes: number) {
    assert(maxApplyingEntsSizeBytes > 0, 'log: maxApplyingEntsSizeBytes must be > 0');
    this.storage = storage;
    this.maxApplyingEntsSizeBytes = maxApplyingEntsSizeBytes;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable((last + 1) as LogIndex);
    // Committed and applied start at the last compaction (the snapshot).
    this.committed = (first - 1) as LogIndex;
    this.applying = this.committed;
    this.applied = this.committed;
  }

  /**
   * Appends `ents` after (prevIndex, prevTerm) if the log matches there (§5.3). Returns the index
   * of the last new entry, or null when the log does not match.
   */
  maybeAppend(prev: EntryId, committed: LogIndex, ents: readonly Entry[]): LogIndex | null {
    if (!this.matchTerm(prev)) return null;
    const lastNew = (prev.index + ents.length) as LogIndex;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      assert(ci > this.committed, () => `log: entry ${ci} conflicts with committed entry [committed(${this.committed})]`);
      const offset = prev.index + 1;
      assert(ci - offset <= ents.length, 'log: conflict index out of range');
      this.append(ents.slice(ci - offset));
    }
    this.commitTo(Math.min(committed, lastNew) as LogIndex);
    return lastNew;
  }

  append(ents: readonly Entry[]): LogIndex {
    const first = ents[0];
    if (first === undefined) return this.lastIndex();
    assert(first.index - 1 >= this.committed, () => `log: append after ${first.index - 1} is below committed ${this.committed}`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * The index of the first entry of `ents` that conflicts with the log (same index, other term)
   * or is new; 0 if the log already holds all of them.
   */
  findConflict(ents: readonly Entry[]): LogIndex {
    for (const e of ents) if (!this.matchTerm(e)) return e.index;
    return 0 as LogIndex;
  }

  /**
   * The best guess of where this log stops matching another one of which only the entry
   * (index, term) is known: the largest i ≤ index with term(i) ≤ term, or whose term is unknown
   * (compacted). Used by both sides of a rejected append to skip a whole term per round trip.
   */
  findConflictByTerm(index: LogIndex, t: Term): EntryId {
    // A bound on the loop: it walks down from index at most index times.
    for (let i = index; i > 0; i--) {
      const ours = this.term(i as LogIndex);
      if (!ours.ok) return { index: i as LogIndex, term: 0 as Term };
      if (ours.value <= t) return { index: i as LogIndex, term: ours.value };
    }
    return { index: 0 as LogIndex, term: 0 as Term };
  }

  nextUnstableEnts(): readonly Entry[] {
    return this.unstable.nextEntries();
  }

  hasNextUnstableEnts(): boolean {
    return this.unstable.hasNextEntries();
  }

  hasNextOrInProgressUnstableEnts(): boolean {
    return this.unstable.entries.length > 0;
  }

  /**
   * Committed entries ready to apply, bounded by the applying budget. With `allowUnstable`, they
   * may include entries not yet durable locally (safe: they are durable on a quorum).
   */
  nextCommittedEnts(allowUnstable: boolean): readonly Entry[] {
    if (!this.hasNextCommittedEnts(allowUnstable)) return [];
    const lo = (this.applying + 1) as LogIndex;
    const hi = (this.maxAppliableIndex(allowUnstable) + 1) as LogIndex;
    const maxSize = this.maxApplyingEntsSizeBytes - this.applyingEntsSizeBytes;
    assert(maxSize > 0, 'log: applying entry budget not positive');
    const ents = this.slice(lo, hi, maxSize);
    if (!ents.ok) assert(false, `log: unapplied entries [${lo}, ${hi}) are unavailable`);
    return ents.value;
  }

  hasNextCommittedEnts(allowUnstable: boolean): boolean {
    // With a snapshot pending, committed entries wait: which to apply first would be unclear.
    if (this.applyingEntsPaused || this.hasNextOrInProgressSnapshot()) return false;
    return this.applying + 1 <= this.maxAppliableIndex(allowUnstable);
  }

  maxAppliableIndex(allowUnstable: boolean): LogIndex {
    return (allowUnstable ? this.committed : Math.min(this.committed, this.unstable.offset - 1)) as LogIndex;
  }

  nextUnstableSnapshot(): Snapshot | null {
    return this.unstable.nextSnapshot();
  }

  hasNextOrInProgressSnapshot(): boolean {
    return this.unstable.snapshot !== null;
  }

  snapshot(): StorageResult<Snapshot> {
    return this.unstable.snapshot !== null ? ok(this.unstable.snapshot) : this.storage.snapshot();
  }

  firstIndex(): LogIndex {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): LogIndex {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  commitTo(toCommit: LogIndex): void {
    // Never decrease commit.
    if (this.committed >= toCommit) return;
    if (toCommit > this.lastIndex()) assert(false, `log: tocommit(${toCommit}) is out of range [lastIndex(${this.lastIndex()})]; was the log corrupted, truncated, or lost?`);
    this.committed = toCommit;
  }

  appliedTo(i: LogIndex, sizeBytes: number): void {
    if (i > this.committed || i < this.applied) assert(false, `log: applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`);
    this.applied = i;
    this.applying = Math.max(this.applying, i) as LogIndex;
    this.applyingEntsSizeBytes = Math.max(0, this.applyingEntsSizeBytes - sizeBytes);
    this.applyingEntsPaused = this.applyingEntsSizeBytes >= this.maxApplyingEntsSizeBytes;
  }

  /** Entries up to i were handed out to apply (a Ready was accepted). */
  acceptApplying(i: LogIndex, sizeBytes: number, allowUnstable: boolean): void {
    if (i > this.committed) assert(false, `log: applying(${i}) is out of range [committed(${this.committed})]`);
    this.applying = i;
    this.applyingEntsSizeBytes += sizeBytes;
    // Pause when the budget is used up, or when the batch was cut short by it.
    this.applyingEntsPaused = this.applyingEntsSizeBytes >= this.maxApplyingEntsSizeBytes || i < this.maxAppliableIndex(allowUnstable);
  }

  stableTo(id: EntryId): void {
    this.unstable.stableTo(id.index, id.term);
  }

  stableSnapTo(i: LogIndex): void {
    this.unstable.stableSnapTo(i);
  }

  acceptUnstable(): void {
    this.unstable.acceptInProgress();
  }

  lastEntryId(): EntryId {
    const index = this.lastIndex();
    const t = this.termOrError(index);
    if (typeof t !== 'number') assert(false, `log: unexpected error getting the last term (${t})`);
    return { index, term: t };
  }

  lastTerm(): Term {
    return this.lastEntryId().term;
  }

  /** Term of entry i; valid for i in [firstIndex − 1, lastIndex]. */
  term(i: LogIndex): StorageResult<Term> {
    const t = this.termOrError(i);
    return typeof t === 'number' ? ok(t) : err(t);
  }

  /**
   * term() without the result object, for the hot paths (every MsgApp sent or received asks
   * for one or more terms): the term, or why there is none.
   */
  termOrError(i: LogIndex): Term | StorageError {
    const u = this.unstable.maybeTerm(i);
    if (u !== null) return u;
    if (i + 1 < this.firstIndex()) return 'compacted';
    if (i > this.lastIndex()) return 'unavailable';
    const t = this.storage.term(i);
    if (t.ok) return t.value;
    assert(t.error === 'compacted' || t.error === 'unavailable', 'log: unexpected storage error');
    return t.error;
  }

  /** Term of entry i, or 0 if it is out of bounds (compacted or not yet there). */
  termOrZero(i: LogIndex): Term {
    const t = this.termOrError(i);
    return typeof t === 'number' ? t : (0 as Term);
  }

  /** Entries from i to the end, up to maxSizeBytes. */
  entries(i: LogIndex, maxSizeBytes: number): StorageResult<readonly Entry[]> {
    const last = this.lastIndex();
    if (i > last) return ok([]);
    return this.slice(i, (last + 1) as LogIndex, maxSizeBytes);
  }

  /** Is a log ending at `cand` at least as up to date as ours (§5.4.1)? */
  isUpToDate(cand: EntryId): boolean {
    const last = this.lastEntryId();
    return cand.term > last.term || (cand.term === last.term && cand.index >= last.index);
  }

  matchTerm(id: EntryId): boolean {
    // An error (a string) never equals a term.
    return this.termOrError(id.index) === id.term;
  }

  /**
   * Commits up to `index` only if that entry has the leader's current term `t` (§5.4.2: entries
   * of earlier terms are committed only indirectly, Figure 8).
   */
  maybeCommit(index: LogIndex, t: Term): boolean {
    if (index > this.committed && t !== 0 && this.termOrZero(index) === t) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** Entries [lo, hi) up to maxSizeBytes (at least one if the range is not empty). */
  slice(lo: LogIndex, hi: LogIndex, maxSizeBytes: number): StorageResult<readonly Entry[]> {
    if (this.isCompacted(lo, hi)) return COMPACTED;
    if (lo === hi) return ok([]);
    let ents: readonly Entry[] = [];
    const offset = this.unstable.offset;
    if (lo < offset) {
      const upto = Math.min(hi, offset) as LogIndex;
      const stored = this.storage.entries(lo, upto, maxSizeBytes);
      if (!stored.ok) {
        assert(stored.error === 'compacted', () => `log: entries[${lo}, ${upto}) are unavailable from storage`);
        return stored;
      }
      // The size limit cut the stored part short: that is all there is room for. Or the range is
      // all stored, and the storage kept it within the limit already (its contract): sizing it
      // again would find the same (etcd returns it too). This is every apply batch's read.
      if (hi <= offset || stored.value.length < upto - lo) return stored;
      ents = stored.value;
    }
    if (hi > offset) {
      const u = this.unstable.slice(Math.max(lo, offset) as LogIndex, hi);
      ents = ents.length > 0 ? ents.concat(u) : u;
    }
    return ok(limitSize(ents, maxSizeBytes));
  }

  /** Whether lo is compacted (etcd's mustCheckOutOfBounds: anything else out of range is a bug). */
  private isCompacted(lo: LogIndex, hi: LogIndex): boolean {
    if (lo > hi) assert(false, `log: invalid slice ${lo} > ${hi}`);
    const fi = this.firstIndex();
    if (lo < fi) return true;
    if (hi > this.lastIndex() + 1) assert(false, `log: slice[${lo},${hi}) out of bound [${fi},${this.lastIndex()}]`);
    return false;
  }

  /**
   * Calls fn with pages of entries [lo, hi), each at most pageSizeBytes (or one entry); fn returns
   * false to stop. Used to look for conf changes among committed but unapplied entries.
   */
  scan(lo: LogIndex, hi: LogIndex, pageSizeBytes: number, fn: (ents: readonly Entry[]) => boolean): void {
    let at = lo;
    // Each round consumes at least one entry, so at most hi − lo rounds.
    while (at < hi) {
      const page = this.slice(at, hi, pageSizeBytes);
      assert(page.ok && page.value.length > 0, () => `log: error scanning unapplied entries [${at}, ${hi})`);
      if (!fn(page.value)) return;
      at = (at + page.value.length) as LogIndex;
    }
  }

  /** Encoded size of entries, for the applying budget. */
  static sizeBytes(ents: readonly Entry[]): number {
    return entriesEncodingSizeBytes(ents);
  }
}
