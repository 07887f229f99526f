/**
 * Watch over the MVCC store (etcd mvcc/watchable_store.go with the per-stream parts of
 * v3rpc/watch.go), driven by the simulated server's event loop — no goroutines, no channels, no
 * clock:
 *
 *   const hub = createWatchHub({ store, header: () => ({ clusterId, memberId, raftTerm }) });
 *   const stream = hub.openStream((resp) => network.send(client, resp));   // one per Watch RPC
 *   stream.watch({ key: 'a', rangeEnd: prefixEnd('a'), startRevision: 0, prevKv: true });
 *   // every 100 ms:  hub.syncWatchers();     every 10 ms:  hub.syncVictims();
 *   // every progress interval:  hub.progressTick();
 *   // when the consumer has taken responses off the stream:  stream.ack(n);
 *
 * Writes reach synced watchers synchronously (the hub observes the store), so a response with the
 * events of revision R is in the sink before the write call returns.
 *
 * Flow control: each stream has a buffer of `streamBufferResponses` responses (etcd's chanBufLen,
 * one channel per stream shared by its watchers). A response carrying events, a progress
 * notification or a compaction cancel takes a slot until the consumer acks it; created and
 * cancel-on-request answers are control messages and take none. When the buffer is full, a synced
 * watcher becomes a victim holding its batch, and later catches up from history: nothing is lost or
 * sent twice, and a revision's events always travel in one response.
 *
 * prevKv travels with the event from the store (the key's value before the txn, which is what etcd
 * reads at mod_revision − 1) and is dropped when the event is sent, where etcd's sendLoop leaves it
 * out: for a create event (a PUT whose create revision is its mod revision, also after a range
 * delete of the key in the same txn), and when revision − 1 is compacted by then (a watch from the
 * compaction revision gets its first event without prevKv). Found against etcd 3.4 by the
 * conformance harness; the same code stands at etcd's main branch.
 *
 * Deviations from etcd, on purpose: a stream-wide progress request that
 * finds the buffer full is kept pending instead of dropped; a response that replays history only
 * part way carries the last replayed revision in its header, not the current one.
 */
import type { ResponseHeader, WatchCreateRequest, WatchEvent, WatchResponse } from '../api.js';
import { assert } from '../../sim/assert.js';
import type { MvccStore, StoreObserver } from '../mvcc/store.js';
import { SyncedGroup, Watcher, type EventBatch } from './watcher.js';

export type WatchSink = (response: WatchResponse) => void;

/**
 * Known etcd watch bugs that can be switched back on, each in the code path etcd had it
 * (scenarios/bugs.ts names the issues, fixes and checks):
 * - `etcd-8411`: a restore (raft snapshot) leaves synced watchers where they were: they never
 *   replay the revisions the snapshot brought (etcd 3.1; fixed by PR #8427, watchableStore.Restore);
 * - `etcd-15271`: a synced watcher's next revision is not moved as events are sent, so a restore
 *   sends it back to replay from where it last became synced — events it already had, "back in
 *   time" (fixed by PR #15515, from #15439/#15492);
 * - `etcd-15220`: a requested progress notification is answered at once at the current revision,
 *   even while a watcher of the stream is still catching up, and on a stream with no watcher at
 *   all (fixed by PR #15237);
 * - `etcd-20221`: a watcher that starts at a future revision gets progress notifications below
 *   its start, and a restore lowers its next revision to the store's (fixed by PR #20229 and PR #20281/#20290).
 */
export const WATCH_BUGS = ['etcd-8411', 'etcd-15271', 'etcd-15220', 'etcd-20221'] as const;
export type WatchBug = (typeof WATCH_BUGS)[number];

export interface WatchHubOptions {
  readonly store: MvccStore;
  /** Responses a stream may hold unacknowledged (etcd chanBufLen). Default 128. */
  readonly streamBufferResponses?: number;
  /** Unsynced watchers handled per `syncWatchers` (etcd maxWatchersPerSync). Default 512. */
  readonly maxWatchersPerSync?: number;
  /** Revisions with events in one catch-up response (etcd watchBatchMaxRevs). Default 1000. */
  readonly batchMaxRevs?: number;
  /** History revisions one watcher may scan per `syncWatchers`: a bound on work. Default 10_000. */
  readonly scanMaxRevs?: number;
  /** Watchers over all streams. Default 100_000. */
  readonly watchersMax?: number;
  /** Open streams. Default 10_000. */
  readonly streamsMax?: number;
  /** Header fields the store does not know, read when a response is made. Default zeros. */
  readonly header?: () => Omit<ResponseHeader, 'revision'>;
  /** Known bugs switched back on (WATCH_BUGS). Default none. */
  readonly bugs?: readonly WatchBug[];
}

export interface WatchStream {
  readonly id: number;
  /**
   * A WatchCreateRequest. The answer (created, or created + canceled with a reason) goes to the sink
   * first; returns the watch id, or -1 when refused.
   */
  watch(req: WatchCreateRequest): number;
  /** A WatchCancelRequest: answered with `canceled`; no response of that watcher follows. */
  cancel(watchId: number): boolean;
  /**
   * A WatchProgressRequest: a response with watch id -1 and no events at the current revision, sent
   * once every watcher of the stream is synced (a bookmark: every event ≤ that revision was sent).
   * Like etcd, a stream without watchers gets no answer.
   */
  requestProgress(): void;
  /** The consumer took `n` responses off the stream (frees buffer slots). */
  ack(n?: number): void;
  /** Responses in the buffer, not yet acknowledged. */
  pending(): number;
  /** Ends the stream and its watchers, without responses. */
  close(): void;
}

export interface WatchStats {
  readonly streams: number;
  readonly watchers: number;
  readonly synced: number;
  readonly unsynced: number;
  readonly victims: number;
  /** Responses with events, progress notifications, compaction cancels sent. */
  readonly eventResponses: number;
  readonly events: number;
  readonly progressSent: number;
  /** Periodic progress notifications skipped because the stream's buffer was full (etcd drops them too). */
  readonly progressDropped: number;
  readonly compactedCanceled: number;
  /** Times a synced or catching-up watcher found its stream full and became a victim. */
  readonly victimized: number;
}

export interface WatchHub {
  openStream(sink: WatchSink): WatchStream;
  /** Catches up to `maxWatchersPerSync` unsynced watchers from history; returns how many remain unsynced. */
  syncWatchers(): number;
  /** Hands pending batches of victims whose streams have room; returns how many moved on. */
  syncVictims(): number;
  /** The progress-notify ticker: a progress response to each progress_notify watcher that is synced and got no events since the last tick. */
  progressTick(): number;
  stats(): WatchStats;
  /** Structural invariants (tests): each watcher in one group, buffers within bounds. */
  checkInvariants(): void;
}

export function createWatchHub(options: WatchHubOptions): WatchHub {
  const config = {
    bufferMax: options.streamBufferResponses ?? 128,
    maxWatchersPerSync: options.maxWatchersPerSync ?? 512,
    batchMaxRevs: options.batchMaxRevs ?? 1000,
    scanMaxRevs: options.scanMaxRevs ?? 10_000,
    watchersMax: options.watchersMax ?? 100_000,
    streamsMax: options.streamsMax ?? 10_000,
  };
  for (const [name, v] of Object.entries(config)) {
    assert(Number.isSafeInteger(v) && v > 0, () => `watch: option ${name} must be a positive integer, got ${v}`);
  }
  return new Hub(options.store, config, options.header ?? (() => ({ clusterId: 0, memberId: 0, raftTerm: 0 })), new Set(options.bugs ?? []));
}

interface Config {
  readonly bufferMax: number;
  readonly maxWatchersPerSync: number;
  readonly batchMaxRevs: number;
  readonly scanMaxRevs: number;
  readonly watchersMax: number;
  readonly streamsMax: number;
}

type MutableStats = { -readonly [K in keyof WatchStats]: WatchStats[K] };

class Hub implements WatchHub {
  readonly synced = new SyncedGroup();
  readonly unsynced = new Set<Watcher>();
  readonly victims = new Set<Watcher>();
  readonly streams = new Map<number, Stream>();
  /** Streams whose progress request waits for every watcher to be synced. */
  readonly deferredProgress = new Set<Stream>();
  private nextStreamId = 1;
  /** The store revision the hub last saw (writes and restores move it). */
  private lastRev: number;
  watcherCount = 0;
  readonly counters: MutableStats = {
    streams: 0, watchers: 0, synced: 0, unsynced: 0, victims: 0, eventResponses: 0, events: 0,
    progressSent: 0, progressDropped: 0, compactedCanceled: 0, victimized: 0,
  };

  constructor(
    readonly store: MvccStore,
    readonly config: Config,
    private readonly headerBase: () => Omit<ResponseHeader, 'revision'>,
    readonly bugs: ReadonlySet<WatchBug> = new Set(),
  ) {
    const observer: StoreObserver = {
      onWrite: (rev, events) => this.notify(rev, events),
      onRestore: () => this.onRestore(),
    };
    store.observe(observer);
    this.lastRev = store.rev();
  }

  header(revision: number): ResponseHeader {
    // Fields named, not spread: a spread copies through a slow generic path, once per response.
    const base = this.headerBase();
    return { clusterId: base.clusterId, memberId: base.memberId, raftTerm: base.raftTerm, revision };
  }

  openStream(sink: WatchSink): WatchStream {
    assert(this.streams.size < this.config.streamsMax, () => `watch: more than ${this.config.streamsMax} streams`);
    const stream = new Stream(this, this.nextStreamId++, sink);
    this.streams.set(stream.id, stream);
    return stream;
  }

  /** A new watcher goes to synced when it starts after the current revision, else to unsynced. */
  place(w: Watcher): void {
    if (w.minRev > this.store.rev()) this.synced.add(w);
    else this.addUnsynced(w);
  }

  /** Removes a watcher from whichever group holds it (its pending batch, if a victim, is dropped). */
  remove(w: Watcher): void {
    switch (w.group) {
      case 'synced': this.synced.delete(w); break;
      case 'unsynced': this.unsynced.delete(w); break;
      case 'victim': this.victims.delete(w); w.victimBatch = undefined; break;
      case 'gone': return;
    }
    w.group = 'gone';
    this.watcherCount--;
  }

  /** The store committed `events` at `rev`: hand each synced watcher its share, in one response. */
  private notify(rev: number, events: readonly WatchEvent[]): void {
    this.lastRev = rev;
    // Most members of a cluster have no synced watcher at all: nothing to match, nothing to allocate.
    if (this.synced.size > 0) this.sendToSynced(rev, events);
    this.flushDeferredProgress();
  }

  private sendToSynced(rev: number, events: readonly WatchEvent[]): void {
    const batches = new Map<Watcher, WatchEvent[]>();
    for (const ev of events) {
      this.synced.forEachMatching(ev.kv.key, (w) => {
        if (rev < w.minRev) return; // a watcher that starts at a future revision
        let list = batches.get(w);
        if (list === undefined) batches.set(w, (list = []));
        const seen = w.view(ev);
        if (seen !== undefined) list.push(seen);
      });
    }
    for (const [w, list] of batches) {
      // etcd-15271 switched on: etcd's notify leaves minRev of a watcher that stays synced alone
      // (only a watcher that becomes a victim moves on).
      if (!this.bugs.has('etcd-15271')) w.minRev = rev + 1;
      if (list.length === 0) continue; // every event filtered out: nothing to send
      const stream = this.streamOf(w);
      if (stream.trySendEvents(w, list, rev)) continue;
      w.minRev = rev + 1;
      this.synced.delete(w);
      this.makeVictim(w, { events: list, revision: rev });
    }
  }

  syncWatchers(): number {
    const cur = this.store.rev();
    let handled = 0;
    for (const w of [...this.unsynced]) {
      if (handled++ >= this.config.maxWatchersPerSync) break;
      this.syncOne(w, cur);
    }
    this.flushDeferredProgress();
    return this.unsynced.size;
  }

  private syncOne(w: Watcher, cur: number): void {
    const stream = this.streamOf(w);
    if (w.minRev > cur) { // moved from synced by a restore to an older state: wait in synced
      this.unsynced.delete(w);
      this.synced.add(w);
      return;
    }
    const compactRev = this.store.compactRevision();
    if (w.minRev < compactRev) {
      // The events it still needs are gone: cancel it with the compaction revision (retry when full).
      if (stream.trySendCompacted(w, compactRev)) {
        this.remove(w);
        stream.retire(w);
        this.counters.compactedCanceled++;
      }
      return;
    }
    const { events, nextRev } = this.collect(w, cur);
    w.minRev = nextRev;
    const caughtUp = nextRev > cur;
    if (events.length > 0) {
      const revision = caughtUp ? cur : nextRev - 1;
      if (!stream.trySendEvents(w, events, revision)) {
        this.unsynced.delete(w);
        this.makeVictim(w, { events, revision });
        return;
      }
    }
    this.unsynced.delete(w);
    if (caughtUp) this.synced.add(w);
    else this.addUnsynced(w); // back of the line: fairness between slow watchers
  }

  /** Matching events from w.minRev on: at most batchMaxRevs revisions with events, scanMaxRevs scanned. */
  private collect(w: Watcher, cur: number): { events: WatchEvent[]; nextRev: number } {
    const events: WatchEvent[] = [];
    let revs = 0;
    let rev = w.minRev;
    const scanEnd = Math.min(cur, w.minRev + this.config.scanMaxRevs - 1);
    for (; rev <= scanEnd; rev++) {
      const all = this.store.eventsAt(rev);
      if (all === undefined) {
        // Only revision 1 (the empty store) has no history entry; anything else is a lost revision.
        assert(rev < this.store.firstEventRevision() && rev <= 1, () => `watch: history of revision ${rev} is missing`);
        continue;
      }
      const mine: WatchEvent[] = [];
      for (const ev of all) {
        if (!w.contains(ev.kv.key)) continue;
        const seen = w.view(ev);
        if (seen !== undefined) mine.push(seen);
      }
      if (mine.length === 0) continue;
      if (revs === this.config.batchMaxRevs) break;
      events.push(...mine);
      revs++;
    }
    return { events, nextRev: rev };
  }

  syncVictims(): number {
    const cur = this.store.rev();
    let moved = 0;
    for (const w of [...this.victims]) {
      const batch = w.victimBatch;
      assert(batch !== undefined, () => `watch ${w.streamId}/${w.id}: victim without a batch`);
      if (!this.streamOf(w).trySendEvents(w, batch.events, batch.revision)) continue;
      this.victims.delete(w);
      w.victimBatch = undefined;
      w.group = 'gone'; // in transit between groups for the two lines below
      if (w.minRev <= cur) this.addUnsynced(w);
      else this.synced.add(w);
      moved++;
    }
    this.flushDeferredProgress();
    return moved;
  }

  progressTick(): number {
    let sent = 0;
    const cur = this.store.rev();
    for (const stream of this.streams.values()) {
      for (const w of stream.watchers.values()) {
        if (!w.progressNotify) continue;
        if (!w.quiet) {
          w.quiet = true; // it got events since the last tick: that was progress enough
          continue;
        }
        if (!this.canBookmark(w, cur)) continue;
        if (stream.trySendProgress(w.id, cur)) sent++;
        else this.counters.progressDropped++;
      }
    }
    return sent;
  }

  /** A bookmark at `cur` is true and useful for `w`: it is synced and `cur` is not before its start (etcd #20221). */
  canBookmark(w: Watcher, cur: number): boolean {
    // etcd-20221 switched on: etcd before PR #20229 sent a future watcher progress below its start.
    return w.group === 'synced' && (cur >= w.startRev - 1 || this.bugs.has('etcd-20221'));
  }

  /**
   * A requested (stream-wide) progress may be sent for `w`. etcd-15220 switched on: etcd before
   * PR #15237 answered at once, whether the watcher was synced or still catching up.
   */
  canAnswerRequestedProgress(w: Watcher, cur: number): boolean {
    if (!this.bugs.has('etcd-15220')) return this.canBookmark(w, cur);
    return cur >= w.startRev - 1 || this.bugs.has('etcd-20221');
  }

  private flushDeferredProgress(): void {
    if (this.deferredProgress.size === 0) return;
    for (const stream of [...this.deferredProgress]) stream.tryProgressAll();
  }

  private onRestore(): void {
    // etcd-8411 switched on: etcd 3.1's watchable store had no Restore; synced watchers stay synced.
    if (this.bugs.has('etcd-8411')) {
      this.lastRev = this.store.rev();
      return;
    }
    // The store jumped (a raft snapshot): synced watchers may have missed revisions, so they replay
    // history (etcd watchableStore.Restore). Being synced, they had every event up to the revision
    // before the jump; starting there (not at a stale minRev) spares them a false compaction cancel.
    for (const w of this.synced.all()) {
      this.synced.delete(w);
      // etcd-15271 switched on: the watcher replays from its stale minRev (etcd before PR #15515);
      // etcd-20221 switched on: a future watcher's minRev is lowered to the store's (before PR #20281).
      if (this.bugs.has('etcd-20221')) w.minRev = this.lastRev + 1;
      else if (!this.bugs.has('etcd-15271')) w.minRev = Math.max(w.minRev, this.lastRev + 1);
      this.addUnsynced(w);
    }
    this.lastRev = this.store.rev();
  }

  private addUnsynced(w: Watcher): void {
    w.group = 'unsynced';
    this.unsynced.add(w);
  }

  private makeVictim(w: Watcher, batch: EventBatch): void {
    w.group = 'victim';
    w.victimBatch = batch;
    this.victims.add(w);
    this.counters.victimized++;
  }

  streamOf(w: Watcher): Stream {
    const s = this.streams.get(w.streamId);
    assert(s !== undefined, () => `watch ${w.streamId}/${w.id}: stream is gone`);
    return s;
  }

  stats(): WatchStats {
    return {
      ...this.counters,
      streams: this.streams.size,
      watchers: this.watcherCount,
      synced: this.synced.size,
      unsynced: this.unsynced.size,
      victims: this.victims.size,
    };
  }

  checkInvariants(): void {
    let watchers = 0;
    let synced = 0;
    for (const stream of this.streams.values()) {
      assert(stream.pending() >= 0 && stream.pending() <= this.config.bufferMax, () => `watch stream ${stream.id}: ${stream.pending()} pending`);
      for (const w of stream.watchers.values()) {
        watchers++;
        if (w.group === 'synced') synced++;
        assert(w.group !== 'gone', () => `watch ${stream.id}/${w.id}: listed but gone`);
        assert((w.group === 'unsynced') === this.unsynced.has(w), () => `watch ${stream.id}/${w.id}: unsynced group mismatch`);
        assert((w.group === 'victim') === this.victims.has(w), () => `watch ${stream.id}/${w.id}: victim group mismatch`);
        assert((w.group === 'victim') === (w.victimBatch !== undefined), () => `watch ${stream.id}/${w.id}: victim batch mismatch`);
        assert(w.minRev >= w.startRev, () => `watch ${stream.id}/${w.id}: next revision ${w.minRev} is before its start ${w.startRev}`);
      }
    }
    assert(watchers === this.watcherCount, () => `watch: ${watchers} watchers listed, ${this.watcherCount} counted`);
    assert(synced === this.synced.size, () => `watch: ${synced} synced listed, group holds ${this.synced.size}`);
  }
}

class Stream implements WatchStream {
  readonly watchers = new Map<number, Watcher>();
  /** Ids of watchers canceled for compaction, taken until the client cancels them (see `retire`). */
  private readonly retired = new Set<number>();
  private nextWatchId = 0;
  private inBuffer = 0;
  private closed = false;

  constructor(private readonly hub: Hub, readonly id: number, private readonly sink: WatchSink) {}

  watch(req: WatchCreateRequest): number {
    this.assertOpen();
    const cur = this.hub.store.rev();
    const refuse = (reason: string): number => {
      this.sink({ header: this.hub.header(cur), watchId: -1, created: true, canceled: true, cancelReason: reason, events: [] });
      return -1;
    };
    // v3rpc: an empty key means "\0"; a range end of "\0" means every key ≥ key.
    const key = req.key === '' ? '\0' : req.key;
    const end = req.rangeEnd === undefined || req.rangeEnd === '' ? undefined : req.rangeEnd;
    if (end !== undefined && end !== '\0' && key >= end) return refuse('mvcc: watcher range is empty');
    const start = req.startRevision ?? 0;
    if (start < 0) return refuse('mvcc: required revision has been compacted');
    if (this.hub.watcherCount >= this.hub.config.watchersMax) return refuse(`watch: more than ${this.hub.config.watchersMax} watchers`);
    const requested = req.watchId ?? 0;
    if (requested !== 0 && (this.watchers.has(requested) || this.retired.has(requested))) return refuse('mvcc: duplicate watch ID provided on the WatchStream');
    const id = requested !== 0 ? requested : this.nextFreeId();
    const filters = req.filters ?? [];
    const w = new Watcher({
      id, streamId: this.id, key, end,
      startRev: start === 0 ? cur + 1 : start,
      prevKv: req.prevKv === true, noPut: filters.includes('NOPUT'), noDelete: filters.includes('NODELETE'),
      progressNotify: req.progressNotify === true,
    }, start === 0 || start > cur ? Math.max(cur + 1, start) : start);
    this.watchers.set(id, w);
    this.hub.watcherCount++;
    this.sink({ header: this.hub.header(cur), watchId: id, created: true, events: [] });
    this.hub.place(w);
    return id;
  }

  cancel(watchId: number): boolean {
    this.assertOpen();
    const w = this.watchers.get(watchId);
    if (w === undefined) {
      // A watcher canceled for compaction is still known to the stream: the cancel frees its id.
      if (!this.retired.delete(watchId)) return false;
      this.sink({ header: this.hub.header(this.hub.store.rev()), watchId, canceled: true, events: [] });
      return true;
    }
    this.hub.remove(w);
    this.forget(w);
    this.sink({ header: this.hub.header(this.hub.store.rev()), watchId, canceled: true, events: [] });
    return true;
  }

  requestProgress(): void {
    this.assertOpen();
    this.hub.deferredProgress.add(this);
    this.tryProgressAll();
  }

  /** Sends the stream-wide bookmark if every watcher allows it and the buffer has room. */
  tryProgressAll(): void {
    // etcd answers nothing when the stream has no watcher; etcd-15220 switched on: before PR #15237
    // it answered every request at once, from its control channel (found against etcd 3.4).
    if (this.watchers.size === 0 && !this.hub.bugs.has('etcd-15220')) {
      this.hub.deferredProgress.delete(this);
      return;
    }
    const cur = this.hub.store.rev();
    for (const w of this.watchers.values()) if (!this.hub.canAnswerRequestedProgress(w, cur)) return;
    if (this.trySendProgress(-1, cur)) this.hub.deferredProgress.delete(this);
  }

  ack(n = 1): void {
    assert(Number.isInteger(n) && n >= 0 && n <= this.inBuffer, () => `watch stream ${this.id}: ack ${n} with ${this.inBuffer} pending`);
    this.inBuffer -= n;
  }

  pending(): number {
    return this.inBuffer;
  }

  close(): void {
    if (this.closed) return;
    for (const w of this.watchers.values()) this.hub.remove(w);
    this.watchers.clear();
    this.retired.clear();
    this.hub.deferredProgress.delete(this);
    this.hub.streams.delete(this.id);
    this.closed = true;
  }

  forget(w: Watcher): void {
    this.watchers.delete(w.id);
  }

  /**
   * A watcher canceled for compaction: gone from the hub, but its id stays taken on the stream until
   * the client cancels it, as in etcd (the compaction cancel does not remove the watcher from etcd's
   * watch stream; only a cancel request does). Found by the conformance harness against etcd 3.4:
   * the next watch without an id got the freed id here and a new one from etcd.
   */
  retire(w: Watcher): void {
    this.watchers.delete(w.id);
    this.retired.add(w.id);
  }

  trySendEvents(w: Watcher, events: readonly WatchEvent[], revision: number): boolean {
    assert(events.length > 0, 'watch: an event response without events');
    if (!this.trySend({ header: this.hub.header(revision), watchId: w.id, events: prevKvAsSent(events, this.hub.store.compactRevision()) })) return false;
    w.quiet = false;
    this.hub.counters.events += events.length;
    return true;
  }

  trySendCompacted(w: Watcher, compactRevision: number): boolean {
    return this.trySend({ header: this.hub.header(this.hub.store.rev()), watchId: w.id, canceled: true, compactRevision, events: [] });
  }

  trySendProgress(watchId: number, revision: number): boolean {
    const sent = this.trySend({ header: this.hub.header(revision), watchId, events: [] });
    if (sent) this.hub.counters.progressSent++;
    return sent;
  }

  /** A buffered send: refused when the buffer is full. */
  private trySend(resp: WatchResponse): boolean {
    if (this.inBuffer >= this.hub.config.bufferMax) return false;
    this.inBuffer++;
    this.hub.counters.eventResponses++;
    this.sink(resp);
    return true;
  }

  private nextFreeId(): number {
    // Bounded: at most watchersMax ids are taken.
    while (this.watchers.has(this.nextWatchId) || this.retired.has(this.nextWatchId)) this.nextWatchId++;
    return this.nextWatchId++;
  }

  private assertOpen(): void {
    assert(!this.closed, () => `watch stream ${this.id}: used after close`);
  }
}

/**
 * The events as etcd's sendLoop sends them (v3rpc/watch.go): prevKv is read at mod_revision − 1 at
 * send time, skipped for a create event and lost when that revision is compacted. Copies only when
 * some prevKv goes (the common case allocates nothing).
 */
function prevKvAsSent(events: readonly WatchEvent[], compactRev: number): readonly WatchEvent[] {
  const drop = (ev: WatchEvent): boolean => ev.prevKv !== undefined && ((ev.type === 'PUT' && ev.kv.createRevision === ev.kv.modRevision) || ev.kv.modRevision - 1 < compactRev);
  if (!events.some(drop)) return events;
  return events.map((ev) => (drop(ev) ? { type: ev.type, kv: ev.kv } : ev));
}
