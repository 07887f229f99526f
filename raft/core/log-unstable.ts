/**
 * The not-yet-durable tail of the log (etcd's `unstable`): new entries and possibly an incoming
 * snapshot, held until a Ready hands them out for persistence, and then kept (as "in progress")
 * until `advance` says they are durable, so the log's view stays complete meanwhile.
 *
 * entries[i] has log index offset + i. `offset` may be ≤ the storage's last index: the next write
 * to storage then truncates the stored suffix first.
 */
import { assert } from '../../sim/assert.js';
import type { Entry, LogIndex, Snapshot, Term } from './types.js';

export class Unstable {
  /** The incoming snapshot, if any. */
  snapshot: Snapshot | null = null;
  /** Entries not yet durable; entries[i] is at index offset + i. */
  entries: Entry[] = [];
  offset: LogIndex;
  /** The snapshot has been handed out in a Ready and is being written. */
  snapshotInProgress = false;
  /** entries[.. offsetInProgress − offset) have been handed out and are being written. */
  offsetInProgress: LogIndex;

  constructor(offset: LogIndex) {
    this.offset = offset;
    this.offsetInProgress = offset;
  }

  /** First index of the log if a snapshot is pending (the snapshot decides it). */
  maybeFirstIndex(): LogIndex | null {
    return this.snapshot === null ? null : ((this.snapshot.metadata.index + 1) as LogIndex);
  }

  maybeLastIndex(): LogIndex | null {
    if (this.entries.length > 0) return (this.offset + this.entries.length - 1) as LogIndex;
    if (this.snapshot !== null) return this.snapshot.metadata.index;
    return null;
  }

  maybeTerm(i: LogIndex): Term | null {
    if (i < this.offset) {
      if (this.snapshot !== null && this.snapshot.metadata.index === i) return this.snapshot.metadata.term;
      return null;
    }
    const last = this.maybeLastIndex();
    if (last === null || i > last) return null;
    return (this.entries[i - this.offset] as Entry).term;
  }

  /** Entries not yet handed out for persistence. */
  nextEntries(): readonly Entry[] {
    const inProgress = this.inProgressCount();
    return inProgress === this.entries.length ? [] : this.entries.slice(inProgress);
  }

  /** Whether nextEntries() is not empty (without copying them out). */
  hasNextEntries(): boolean {
    return this.inProgressCount() < this.entries.length;
  }

  /** How many of `entries` have been handed out. */
  private inProgressCount(): number {
    const inProgress = this.offsetInProgress - this.offset;
    assert(inProgress >= 0 && inProgress <= this.entries.length, 'unstable: offsetInProgress out of range');
    return inProgress;
  }

  /** The snapshot if it has not been handed out yet. */
  nextSnapshot(): Snapshot | null {
    return this.snapshot === null || this.snapshotInProgress ? null : this.snapshot;
  }

  /** Everything currently unstable is now being written (a Ready was accepted). */
  acceptInProgress(): void {
    // Length first: reading index -1 of an empty array is a slow property lookup in V8.
    if (this.entries.length > 0) this.offsetInProgress = ((this.entries[this.entries.length - 1] as Entry).index + 1) as LogIndex;
    if (this.snapshot !== null) this.snapshotInProgress = true;
  }

  /**
   * Entries up to (index, term) are durable and may leave the unstable log. Ignored when that
   * entry is no longer here, or was replaced (different term) while it was being written.
   */
  stableTo(index: LogIndex, t: Term): void {
    const gt = this.maybeTerm(index);
    if (gt === null || index < this.offset || gt !== t) return;
    const num = index + 1 - this.offset;
    this.entries = this.entries.slice(num);
    this.offset = (index + 1) as LogIndex;
    this.offsetInProgress = Math.max(this.offsetInProgress, this.offset) as LogIndex;
  }

  stableSnapTo(index: LogIndex): void {
    if (this.snapshot !== null && this.snapshot.metadata.index === index) {
      this.snapshot = null;
      this.snapshotInProgress = false;
    }
  }

  restore(s: Snapshot): void {
    this.offset = (s.metadata.index + 1) as LogIndex;
    this.offsetInProgress = this.offset;
    this.entries = [];
    this.snapshot = s;
    this.snapshotInProgress = false;
  }

  truncateAndAppend(ents: readonly Entry[]): void {
    const first = ents[0];
    assert(first !== undefined, 'unstable: empty append');
    const fromIndex = first.index;
    if (fromIndex === this.offset + this.entries.length) {
      // The next index: append directly.
      for (const e of ents) this.entries.push(e);
    } else if (fromIndex <= this.offset) {
      // Replaces everything unstable (and the stored suffix from fromIndex on, at next write).
      this.entries = [...ents];
      this.offset = fromIndex;
      this.offsetInProgress = this.offset;
    } else {
      // Keep [offset, fromIndex), then append; only in-progress entries before fromIndex stay so.
      this.entries = [...this.slice(this.offset, fromIndex), ...ents];
      this.offsetInProgress = Math.min(this.offsetInProgress, fromIndex) as LogIndex;
    }
  }

  /** Entries [lo, hi), which must all be in the unstable log. */
  slice(lo: LogIndex, hi: LogIndex): Entry[] {
    const upper = this.offset + this.entries.length;
    if (lo > hi || lo < this.offset || hi > upper) assert(false, `unstable.slice[${lo},${hi}) out of bound [${this.offset},${upper}]`);
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
