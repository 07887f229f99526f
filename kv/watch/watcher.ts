/**
 * A watcher (etcd mvcc/watcher.go) and the group of synced watchers, indexed for `notify`.
 *
 * A watcher is always in exactly one place:
 * - `synced`: it has been handed every matching event up to the store's current revision; new
 *   writes reach it directly from the store.
 * - `unsynced`: it is behind (a past start revision, a restore, a slow consumer catching up) and
 *   replays the store's history in `syncWatchers`.
 * - `victim`: its stream's buffer was full when a batch was ready; it holds that one batch until
 *   `syncVictims` can hand it over.
 * `minRev` is the next revision it accepts: every matching event below it was delivered.
 */
import type { WatchEvent } from '../api.js';
import { inRange } from '../api.js';
import { assert } from '../../sim/assert.js';

export type WatcherGroup = 'synced' | 'unsynced' | 'victim' | 'gone';

/** Events ready to send, whole revisions only, and what the response header says. */
export interface EventBatch {
  readonly events: readonly WatchEvent[];
  /** The header revision of the response carrying this batch. */
  readonly revision: number;
}

export interface WatcherSpec {
  readonly id: number;
  readonly streamId: number;
  readonly key: string;
  /** undefined = the one key; '\0' = every key ≥ key; else [key, end). */
  readonly end: string | undefined;
  /** The first revision the client asked for (a start of 0 is resolved to current + 1). */
  readonly startRev: number;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly progressNotify: boolean;
}

export class Watcher implements WatcherSpec {
  readonly id: number;
  readonly streamId: number;
  readonly key: string;
  readonly end: string | undefined;
  readonly startRev: number;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly progressNotify: boolean;
  minRev: number;
  group: WatcherGroup = 'unsynced';
  victimBatch: EventBatch | undefined;
  /** No events were sent since the last progress tick (etcd sws.progress[id]). */
  quiet = true;

  constructor(spec: WatcherSpec, minRev: number) {
    this.id = spec.id;
    this.streamId = spec.streamId;
    this.key = spec.key;
    this.end = spec.end;
    this.startRev = spec.startRev;
    this.prevKv = spec.prevKv;
    this.noPut = spec.noPut;
    this.noDelete = spec.noDelete;
    this.progressNotify = spec.progressNotify;
    this.minRev = minRev;
  }

  isRange(): boolean {
    return this.end !== undefined;
  }

  contains(key: string): boolean {
    return inRange(key, this.key, this.end);
  }

  /** The event as this watcher sees it, or undefined when its filters drop it. */
  view(ev: WatchEvent): WatchEvent | undefined {
    if (ev.type === 'PUT' ? this.noPut : this.noDelete) return undefined;
    if (this.prevKv || ev.prevKv === undefined) return ev;
    return { type: ev.type, kv: ev.kv };
  }
}

/** Synced watchers: single-key watchers by key, range watchers in a list (etcd uses an interval tree). */
export class SyncedGroup {
  private readonly byKey = new Map<string, Set<Watcher>>();
  private readonly ranges = new Set<Watcher>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(w: Watcher): void {
    assert(w.group !== 'synced', () => `watch ${w.streamId}/${w.id}: added to synced twice`);
    w.group = 'synced';
    this.count++;
    if (w.isRange()) {
      this.ranges.add(w);
      return;
    }
    let set = this.byKey.get(w.key);
    if (set === undefined) {
      set = new Set();
      this.byKey.set(w.key, set);
    }
    set.add(w);
  }

  delete(w: Watcher): void {
    assert(w.group === 'synced', () => `watch ${w.streamId}/${w.id}: not synced`);
    this.count--;
    if (w.isRange()) {
      this.ranges.delete(w);
      return;
    }
    const set = this.byKey.get(w.key);
    set?.delete(w);
    if (set?.size === 0) this.byKey.delete(w.key);
  }

  /** Calls `fn` for each synced watcher whose range holds `key`, in a deterministic order. */
  forEachMatching(key: string, fn: (w: Watcher) => void): void {
    const set = this.byKey.get(key);
    if (set !== undefined) for (const w of set) fn(w);
    for (const w of this.ranges) if (w.contains(key)) fn(w);
  }

  /** Every synced watcher (restore moves them all to unsynced). */
  all(): Watcher[] {
    const out: Watcher[] = [];
    for (const set of this.byKey.values()) out.push(...set);
    out.push(...this.ranges);
    return out;
  }
}
