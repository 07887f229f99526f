/**
 * Watch streams served by a member (etcd v3rpc/watch.go over mvcc/watchable_store.go), reading
 * the MVCC store's per-revision event history (`MvccStore.eventsAt`).
 *
 * A client opens a stream (numbered by the client; a newer number from the same client replaces
 * the older stream and its watchers, as a new gRPC stream would) and creates watchers on it. Each
 * watcher has the next revision it must deliver (`next`):
 * - start 0 ⇒ the store's revision + 1 ("now", etcd #11496); a future start waits for it; a past
 *   start replays history; a start below the compaction revision is canceled at once with
 *   `compactRevision` (reading exactly at the compaction revision is allowed); negative ⇒ canceled;
 * - a watcher is *synced* when `next` = revision + 1: each applied write is sent to it at once;
 *   an *unsynced* one (replaying, or behind after a failed send) catches up on the sync timer,
 *   `WATCH_BATCH_REVS_MAX` revisions per response — a revision is never split across responses;
 * - a send the connection refuses (buffer full, broken) does not advance `next`: the same events
 *   are sent again later, so nothing is lost or duplicated (etcd's victim path);
 * - filters (NOPUT, NODELETE) and prevKv are applied per watcher; a batch left empty by filters
 *   is not sent, but `next` advances;
 * - a response's header revision is the last revision its events cover, so it is a bookmark too;
 * - progress: a `progress` request is answered (watch id -1, header = current revision) once every
 *   watcher of the stream is synced (etcd progressIfSync); watchers created with progressNotify get
 *   a notification every `watchProgressIntervalUs` while synced;
 * - compaction overtaking an unsynced watcher cancels it with `compactRevision`.
 */
import type { ResponseHeader, WatchCreateRequest, WatchEvent, WatchResponse } from '../api.js';
import { inRange } from '../api.js';
import { assert } from '../../sim/assert.js';
import type { HostContext, HostId } from '../../sim/host.js';
import type { MvccStore } from '../mvcc/store.js';
import type { WatchStreamRequest } from '../wire.js';

/** etcd watchBatchMaxRevs. */
export const WATCH_BATCH_REVS_MAX = 1000;
/** Watchers on one member across all streams (etcd has no bound; we need one). */
const WATCHERS_MAX = 100_000;

export type WatchSend = (response: WatchResponse) => boolean;

interface Watcher {
  readonly id: number;
  readonly key: string;
  readonly rangeEnd: string | undefined;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly prevKv: boolean;
  readonly progressNotify: boolean;
  next: number;
}

interface Session {
  readonly client: HostId;
  readonly streamId: number;
  readonly watchers: Map<number, Watcher>;
  send: WatchSend;
  progressPending: boolean;
  nextAutoId: number;
}

export interface WatchServerStats {
  readonly sessions: number;
  readonly watchers: number;
  readonly responses: number;
  readonly events: number;
  readonly resends: number;
  readonly compactedCancels: number;
}

export class WatchServer {
  private readonly sessions = new Map<HostId, Session>();
  private watcherCount = 0;
  private counts = { responses: 0, events: 0, resends: 0, compactedCancels: 0 };

  constructor(
    private readonly ctx: HostContext,
    private readonly mvcc: MvccStore,
    private readonly header: (revision: number) => ResponseHeader,
    options: { readonly watchSyncIntervalUs: number; readonly watchProgressIntervalUs: number },
  ) {
    mvcc.observe({
      onWrite: (revision) => this.onWrite(revision),
      onCompact: () => this.syncAll(),
      onRestore: () => this.syncAll(),
    });
    const sync = (): void => {
      this.syncAll();
      ctx.setTimer(options.watchSyncIntervalUs, sync);
    };
    ctx.setTimer(options.watchSyncIntervalUs, sync);
    const progress = (): void => {
      this.notifyProgress();
      ctx.setTimer(options.watchProgressIntervalUs, progress);
    };
    ctx.setTimer(options.watchProgressIntervalUs, progress);
  }

  /** One message of a client's watch stream. */
  request(client: HostId, streamId: number, r: WatchStreamRequest, send: WatchSend): void {
    const s = this.session(client, streamId, send);
    if (s === undefined) return; // a message of a stream older than the client's current one
    switch (r.type) {
      case 'create':
        return this.create(s, r.request);
      case 'cancel':
        return this.cancel(s, r.watchId);
      case 'progress':
        s.progressPending = true;
        return this.maybeProgress(s);
    }
  }

  /** The connection to `client` broke: its stream and watchers are gone (etcd closes the gRPC stream). */
  clientGone(client: HostId): void {
    const s = this.sessions.get(client);
    if (s === undefined) return;
    this.watcherCount -= s.watchers.size;
    this.sessions.delete(client);
  }

  stats(): WatchServerStats {
    return { sessions: this.sessions.size, watchers: this.watcherCount, ...this.counts };
  }

  private session(client: HostId, streamId: number, send: WatchSend): Session | undefined {
    const s = this.sessions.get(client);
    if (s !== undefined && s.streamId > streamId) return undefined;
    if (s !== undefined && s.streamId === streamId) {
      s.send = send;
      return s;
    }
    if (s !== undefined) this.clientGone(client);
    const fresh: Session = { client, streamId, watchers: new Map(), send, progressPending: false, nextAutoId: 1 };
    this.sessions.set(client, fresh);
    return fresh;
  }

  private create(s: Session, r: WatchCreateRequest): void {
    const id = r.watchId !== undefined && r.watchId > 0 ? r.watchId : this.autoId(s);
    const rev = this.mvcc.rev();
    const start = r.startRevision ?? 0;
    if (s.watchers.has(id) || start < 0) {
      this.emit(s, { header: this.header(rev), watchId: id, created: true, canceled: true, cancelReason: start < 0 ? 'etcdserver: negative start revision' : 'etcdserver: watch id already exists', events: [] });
      return;
    }
    assert(this.watcherCount < WATCHERS_MAX, () => `watch: more than ${WATCHERS_MAX} watchers on member ${this.ctx.id}`);
    const filters = r.filters ?? [];
    // etcd: an empty key watches from "\0"; a range end of "\0" means every key ≥ key.
    const w: Watcher = {
      id,
      key: r.key === '' ? '\0' : r.key,
      rangeEnd: r.rangeEnd,
      noPut: filters.includes('NOPUT'),
      noDelete: filters.includes('NODELETE'),
      prevKv: r.prevKv === true,
      progressNotify: r.progressNotify === true,
      next: start === 0 ? rev + 1 : start,
    };
    s.watchers.set(id, w);
    this.watcherCount++;
    this.emit(s, { header: this.header(rev), watchId: id, created: true, events: [] });
    this.pump(s, w);
  }

  private autoId(s: Session): number {
    while (s.watchers.has(s.nextAutoId)) s.nextAutoId++;
    return s.nextAutoId++;
  }

  private cancel(s: Session, watchId: number): void {
    if (!s.watchers.delete(watchId)) return;
    this.watcherCount--;
    this.emit(s, { header: this.header(this.mvcc.rev()), watchId, canceled: true, events: [] });
  }

  private onWrite(revision: number): void {
    for (const s of this.sessions.values()) {
      for (const w of s.watchers.values()) if (w.next === revision) this.pump(s, w);
    }
  }

  private syncAll(): void {
    for (const s of [...this.sessions.values()]) {
      for (const w of [...s.watchers.values()]) this.pump(s, w);
      this.maybeProgress(s);
    }
  }

  /** Sends what `w` has not received yet, in batches of whole revisions, until synced or refused. */
  private pump(s: Session, w: Watcher): void {
    const rev = this.mvcc.rev();
    for (let batches = 0; w.next <= rev && batches < 16; batches++) {
      if (w.next < this.mvcc.compactRevision()) return this.compacted(s, w);
      // Below the first kept revision but not compacted: revisions before any write have no events.
      if (w.next < this.mvcc.firstEventRevision()) w.next = this.mvcc.firstEventRevision();
      if (w.next > rev) return;
      assert(this.mvcc.eventsAt(w.next) !== undefined, () => `watch: events of revision ${w.next} missing (compacted at ${this.mvcc.compactRevision()})`);
      const last = Math.min(rev, w.next + WATCH_BATCH_REVS_MAX - 1);
      const events = this.collect(w, w.next, last);
      if (events.length > 0 && !this.emit(s, { header: this.header(last), watchId: w.id, events })) {
        this.counts.resends++;
        return; // refused: the same revisions go again on the next sync
      }
      this.counts.events += events.length;
      w.next = last + 1;
    }
  }

  private collect(w: Watcher, from: number, to: number): WatchEvent[] {
    const out: WatchEvent[] = [];
    for (let r = from; r <= to; r++) {
      const evs = this.mvcc.eventsAt(r);
      assert(evs !== undefined, () => `watch: events of revision ${r} missing`);
      for (const e of evs) {
        if (!inRange(e.kv.key, w.key, w.rangeEnd)) continue;
        if ((e.type === 'PUT' && w.noPut) || (e.type === 'DELETE' && w.noDelete)) continue;
        out.push(w.prevKv || e.prevKv === undefined ? e : { type: e.type, kv: e.kv });
      }
    }
    return out;
  }

  private compacted(s: Session, w: Watcher): void {
    s.watchers.delete(w.id);
    this.watcherCount--;
    this.counts.compactedCancels++;
    const compactRevision = this.mvcc.compactRevision();
    this.emit(s, { header: this.header(this.mvcc.rev()), watchId: w.id, canceled: true, compactRevision, cancelReason: 'mvcc: required revision has been compacted', events: [] });
  }

  private maybeProgress(s: Session): void {
    if (!s.progressPending) return;
    const rev = this.mvcc.rev();
    for (const w of s.watchers.values()) if (w.next <= rev) return;
    if (this.emit(s, { header: this.header(rev), watchId: -1, events: [] })) s.progressPending = false;
  }

  private notifyProgress(): void {
    const rev = this.mvcc.rev();
    for (const s of this.sessions.values()) {
      for (const w of s.watchers.values()) if (w.progressNotify && w.next > rev) this.emit(s, { header: this.header(rev), watchId: w.id, events: [] });
    }
  }

  private emit(s: Session, response: WatchResponse): boolean {
    const ok = s.send(response);
    if (ok) this.counts.responses++;
    return ok;
  }
}
