/**
 * The data of an MVCC store: the key index, the revisions, and the event history that watchers
 * replay. Shared by the store, its write transactions and the snapshot codec; not exported beyond
 * kv/mvcc (the public surface is `store.ts`).
 *
 * The key index is a B+ tree (sorted-btree) from key to KeyIndex: O(log n) insert and lookup and
 * O(log n + k) ordered scans from any start key, which is what Range over [key, end) needs. A sorted
 * array would make every new key an O(n) splice; a hash map cannot scan a range in order.
 */
import btree from 'sorted-btree';
import type { KeyValue, WatchEvent } from '../api.js';
import { assert } from '../../sim/assert.js';
import { KeyIndex } from './key-index.js';
import type { IndexRange } from './range.js';
import { INITIAL_REVISION } from './revision.js';

// sorted-btree is CommonJS with `exports.default`: Node's ESM loader hands us module.exports, while
// vitest's loader already unwraps the default. Accept both.
type BTreeClass = typeof btree.default;
const loaded = btree as unknown as BTreeClass | { default: BTreeClass };
const BTree: BTreeClass = typeof loaded === 'function' ? loaded : loaded.default;
type KeyTree = InstanceType<typeof BTree<string, KeyIndex>>;

/** Plain code-unit order, the order of `<` on strings (and of bytes for ASCII keys). */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function newKeyTree(): KeyTree {
  return new BTree<string, KeyIndex>(undefined, compareKeys);
}

/** The events of one main revision, in sub-revision order, each with the value before the txn. */
export type RevisionEvents = readonly WatchEvent[];

export class StoreState {
  index: KeyTree = newKeyTree();
  /** The last committed main revision (1 when empty). */
  currentRev = INITIAL_REVISION;
  /** etcd's compactMainRev: reads below it fail; -1 when never compacted. */
  compactRev = -1;
  /** Events of revisions historyStart … currentRev (history[i] is revision historyStart + i). */
  history: RevisionEvents[] = [];
  historyStart = INITIAL_REVISION + 1;

  /** The live pair of `key` at main revision `atRev`. */
  get(key: string, atRev: number): KeyValue | undefined {
    const ki = this.index.get(key);
    return ki === undefined ? undefined : visible(ki, atRev);
  }

  /**
   * Live pairs of [key, end) at `atRev` in key order (etcd's end conventions: undefined or '' = the
   * one key, '\0' = no upper bound). Collects at most `fetchLimit` pairs (0 = all) and none when
   * `countOnly`, but always counts every live key.
   */
  indexRange(key: string, end: string | undefined, atRev: number, fetchLimit: number, countOnly: boolean): IndexRange {
    if (end === undefined || end === '') {
      // One key: a literal array of its exact size (one filled by push reserves room for 17, and
      // clients keep what they read in the history).
      const ki = this.index.get(key);
      const kv = ki === undefined ? undefined : visible(ki, atRev);
      if (kv === undefined) return { kvs: [], count: 0 };
      return { kvs: countOnly ? [] : [kv], count: 1 };
    }
    const kvs: KeyValue[] = [];
    let count = 0;
    // An inline callback, not a named `const visit = …`: tsx (esbuild's keepNames) names such a
    // closure with a defineProperty call on every range, which cost ~1.5 % of a cluster run.
    this.forEachIndex(key, end, (ki) => {
      const kv = visible(ki, atRev);
      if (kv === undefined) return;
      count++;
      if (!countOnly && (fetchLimit === 0 || kvs.length < fetchLimit)) kvs.push(kv);
    });
    return { kvs, count };
  }

  /** Visits the key indexes of [key, end) in key order (tombstoned keys included). */
  forEachIndex(key: string, end: string | undefined, visit: (ki: KeyIndex) => void): void {
    if (end === undefined || end === '') {
      const ki = this.index.get(key);
      if (ki !== undefined) visit(ki);
      return;
    }
    const last = end === '\0' ? this.index.maxKey() : end;
    if (last === undefined || key > last) return;
    this.index.forRange(key, last, end === '\0', (_k, ki) => { visit(ki); });
  }

  /** The key index of `key`, created (empty) when missing. */
  indexFor(key: string): KeyIndex {
    let ki = this.index.get(key);
    if (ki === undefined) {
      ki = new KeyIndex(key);
      this.index.set(key, ki);
    }
    return ki;
  }

  /** Events of main revision `rev`, or undefined when compacted away or not yet written. */
  eventsAt(rev: number): RevisionEvents | undefined {
    return rev < this.historyStart ? undefined : this.history[rev - this.historyStart];
  }

  /** Full consistency check (tests, restore): O(size of the store). */
  checkInvariants(): void {
    assert(this.compactRev <= this.currentRev, () => `mvcc: compact revision ${this.compactRev} > current ${this.currentRev}`);
    assert(this.historyStart + this.history.length === this.currentRev + 1, () =>
      `mvcc: history covers ${this.historyStart}..${this.historyStart + this.history.length - 1}, current is ${this.currentRev}`);
    assert(this.historyStart <= Math.max(this.compactRev, INITIAL_REVISION + 1), () =>
      `mvcc: history starts at ${this.historyStart}, after the compaction revision ${this.compactRev}`);
    this.index.forEachPair((key, ki) => {
      assert(ki.key === key, () => `mvcc: index entry "${key}" holds key "${ki.key}"`);
      assert(!ki.isEmpty(), () => `mvcc: empty key index "${key}" left in the tree`);
      assert(ki.modified.main <= this.currentRev, () => `mvcc: "${key}" modified at ${ki.modified.main} > current ${this.currentRev}`);
      ki.checkInvariants();
    });
    this.history.forEach((events, i) => this.checkRevisionEvents(this.historyStart + i, events));
  }

  private checkRevisionEvents(rev: number, events: RevisionEvents): void {
    // Only the compaction revision may have lost its events (the etcd-18089 bug drops a DELETE there).
    assert(events.length > 0 || rev === this.compactRev, () => `mvcc: revision ${rev} has no events`);
    for (const ev of events) {
      assert(ev.kv.modRevision === rev, () => `mvcc: event of "${ev.kv.key}" at revision ${rev} has mod revision ${ev.kv.modRevision}`);
      assert(ev.prevKv === undefined || ev.prevKv.modRevision < rev, () => `mvcc: prevKv of "${ev.kv.key}" at ${rev} is not older`);
      // Compaction keeps every change after its revision, so a PUT after it still has its key indexed.
      if (ev.type === 'PUT' && rev > this.compactRev) {
        const ki = this.index.get(ev.kv.key);
        assert(ki !== undefined, () => `mvcc: PUT of "${ev.kv.key}" at ${rev} missing from the index`);
      }
    }
  }
}

/** The live value of a key index at `atRev`; O(1) when nothing changed after `atRev`. */
function visible(ki: KeyIndex, atRev: number): KeyValue | undefined {
  return ki.modified.main <= atRev ? ki.latest() : ki.get(atRev);
}
