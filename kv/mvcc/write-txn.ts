/**
 * One write transaction (etcd storeTxnWrite): every change it makes gets main revision
 * `beginRev + 1` and the next sub-revision; the store's revision moves only when it ends with at
 * least one change. Reads through it see its own earlier changes.
 *
 * Each change is recorded as a watch event carrying `prevKv`, the key's value *before the
 * transaction* (etcd fetches it at mod_revision − 1), so watchers get it without another lookup and
 * it survives compaction.
 */
import type { KeyValue, WatchEvent } from '../api.js';
import { assert } from '../../sim/assert.js';
import type { KeyIndex } from './key-index.js';
import type { StoreState } from './store-state.js';

/** A bound on the changes of one transaction (a lease revoke may delete many keys). */
export const TXN_CHANGES_MAX = 1_000_000;

export class WriteTxn {
  readonly beginRev: number;
  private readonly events: WatchEvent[] = [];
  private ended = false;

  constructor(private readonly state: StoreState) {
    this.beginRev = state.currentRev;
  }

  /** The revision reads inside the txn see: its own changes once it made any. */
  readRev(): number {
    return this.events.length > 0 ? this.beginRev + 1 : this.beginRev;
  }

  /** The live value of `key` as this txn sees it. */
  get(key: string): KeyValue | undefined {
    return this.state.get(key, this.readRev());
  }

  put(key: string, value: string, lease: number): void {
    this.assertOpen();
    const ki = this.state.indexFor(key);
    const prevKv = this.beforeTxn(ki);
    const cur = ki.latest();
    const main = this.beginRev + 1;
    const kv: KeyValue = Object.freeze({
      key,
      createRevision: cur === undefined ? main : cur.createRevision,
      modRevision: main,
      version: cur === undefined ? 1 : cur.version + 1,
      value,
      lease,
    });
    ki.put({ main, sub: this.events.length, kv });
    this.record(prevKv === undefined ? { type: 'PUT', kv } : { type: 'PUT', kv, prevKv });
  }

  /** Deletes every live key of [key, end) (etcd conventions); returns how many. */
  deleteRange(key: string, end: string | undefined): number {
    const live: KeyIndex[] = [];
    this.state.forEachIndex(key, end, (ki) => {
      if (ki.latest() !== undefined) live.push(ki);
    });
    for (const ki of live) this.tombstone(ki);
    return live.length;
  }

  /** Deletes each listed key that is live (the lease revoke path); returns how many. */
  deleteKeys(keys: readonly string[]): number {
    let n = 0;
    for (const key of keys) n += this.deleteRange(key, undefined);
    return n;
  }

  /** Ends the txn: the events it produced (empty when nothing changed), committed to the state. */
  end(): readonly WatchEvent[] {
    this.assertOpen();
    this.ended = true;
    assert(this.state.currentRev === this.beginRev, () => `mvcc: store moved from ${this.beginRev} to ${this.state.currentRev} during a txn`);
    if (this.events.length === 0) return this.events;
    // A copy of the exact size (the one filled by push reserves room for 17): the store keeps every
    // revision's events for the whole run.
    const events = Object.freeze(this.events.slice());
    this.state.currentRev = this.beginRev + 1;
    this.state.history.push(events);
    return events;
  }

  private tombstone(ki: KeyIndex): void {
    this.assertOpen();
    const prevKv = this.beforeTxn(ki);
    const main = this.beginRev + 1;
    ki.tombstone({ main, sub: this.events.length });
    // etcd stores a tombstone as a KeyValue with only the key, and the watch layer patches in the
    // mod revision: create revision, version and lease are 0, the value empty.
    const kv: KeyValue = Object.freeze({ key: ki.key, createRevision: 0, modRevision: main, version: 0, value: '', lease: 0 });
    this.record(prevKv === undefined ? { type: 'DELETE', kv } : { type: 'DELETE', kv, prevKv });
  }

  /** The key's value at the revision before this txn, even if the txn already changed it. */
  private beforeTxn(ki: KeyIndex): KeyValue | undefined {
    return ki.modified.main <= this.beginRev ? ki.latest() : ki.get(this.beginRev);
  }

  private record(ev: WatchEvent): void {
    assert(this.events.length < TXN_CHANGES_MAX, () => `mvcc: more than ${TXN_CHANGES_MAX} changes in one txn`);
    this.events.push(Object.freeze(ev));
  }

  private assertOpen(): void {
    assert(!this.ended, 'mvcc: write txn used after end');
  }
}
