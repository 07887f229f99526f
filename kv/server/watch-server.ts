/**
 * The member's side of watch streams (etcd v3rpc/watch.go): it maps each client's watch stream
 * onto a stream of the watch hub (kv/watch, etcd's watchable store: synced / unsynced / victim
 * groups, bounded per-stream buffer, progress bookmarks, compaction cancels), and drives the hub
 * from the host's timers.
 *
 * - A client numbers each watch stream it opens to this member; a newer number from the same
 *   client replaces the older stream and its watchers (a new gRPC stream after the old one died).
 *   Messages of an older stream are ignored.
 * - Flow control is the client's: a response carrying events, a progress notification or a
 *   compaction cancel takes a slot of the hub stream's buffer until the client acks it (gRPC's
 *   window); a slow or cut-off client makes its watchers victims, which catch up later from
 *   history — nothing lost, nothing sent twice.
 * - A response the connection refuses (it broke) closes the hub stream: the client will notice
 *   the break and resume its watches elsewhere from the last revision it knows.
 * - Timers: `syncWatchers` every `watchSyncIntervalUs` (etcd 100 ms), `syncVictims` every 10 ms
 *   (etcd's victim loop), `progressTick` every `watchProgressIntervalUs`.
 */
import type { ResponseHeader, WatchResponse } from '../api.js';
import type { HostContext, HostId } from '../../sim/host.js';
import type { MvccStore } from '../mvcc/store.js';
import { bugsOf } from './options.js';
import { WATCH_BUGS, createWatchHub, type WatchHub, type WatchStats, type WatchStream } from '../watch/watchable-store.js';
import type { WatchStreamRequest } from '../wire.js';

export type WatchSend = (response: WatchResponse) => boolean;

/** etcd's victim loop period. */
const VICTIM_SYNC_US = 10_000;

interface Session {
  readonly client: HostId;
  readonly streamId: number;
  readonly stream: WatchStream;
  send: WatchSend;
  dead: boolean;
}

export interface WatchServerStats extends WatchStats {
  readonly sessions: number;
  /** Responses the connection refused (each closed its stream). */
  readonly refused: number;
  /** Acks for more responses than were outstanding (clamped; should stay 0). */
  readonly ackOverruns: number;
}

export class WatchServer {
  private readonly hub: WatchHub;
  private readonly sessions = new Map<HostId, Session>();
  private refused = 0;
  private ackOverruns = 0;

  constructor(
    private readonly ctx: HostContext,
    mvcc: MvccStore,
    header: () => Omit<ResponseHeader, 'revision'>,
    options: { readonly watchSyncIntervalUs: number; readonly watchProgressIntervalUs: number; readonly bugs?: readonly string[] },
  ) {
    this.hub = createWatchHub({ store: mvcc, header, bugs: bugsOf(options.bugs ?? [], WATCH_BUGS) });
    this.every(options.watchSyncIntervalUs, () => this.hub.syncWatchers());
    this.every(VICTIM_SYNC_US, () => this.hub.syncVictims());
    this.every(options.watchProgressIntervalUs, () => this.hub.progressTick());
  }

  /** One message of `client`'s watch stream `streamId`. */
  request(client: HostId, streamId: number, r: WatchStreamRequest, send: WatchSend): void {
    const s = this.session(client, streamId, send);
    if (s === undefined) return;
    switch (r.type) {
      case 'create':
        s.stream.watch(r.request);
        return;
      case 'cancel':
        s.stream.cancel(r.watchId);
        return;
      case 'progress':
        s.stream.requestProgress();
        return;
      case 'ack': {
        const n = Math.min(r.count, s.stream.pending());
        if (n < r.count) this.ackOverruns++;
        s.stream.ack(n);
        return;
      }
    }
  }

  /** The connection to `client` broke: its stream and watchers are gone. */
  clientGone(client: HostId): void {
    const s = this.sessions.get(client);
    if (s === undefined) return;
    this.sessions.delete(client);
    s.dead = true;
    s.stream.close();
  }

  stats(): WatchServerStats {
    return { ...this.hub.stats(), sessions: this.sessions.size, refused: this.refused, ackOverruns: this.ackOverruns };
  }

  private session(client: HostId, streamId: number, send: WatchSend): Session | undefined {
    const old = this.sessions.get(client);
    if (old !== undefined && old.streamId > streamId) return undefined;
    if (old !== undefined && old.streamId === streamId) {
      old.send = send;
      return old;
    }
    if (old !== undefined) this.clientGone(client);
    const s: Session = { client, streamId, stream: undefined as unknown as WatchStream, send, dead: false };
    (s as { stream: WatchStream }).stream = this.hub.openStream((resp) => this.deliver(s, resp));
    this.sessions.set(client, s);
    return s;
  }

  private deliver(s: Session, resp: WatchResponse): void {
    if (s.dead) return;
    if (s.send(resp)) return;
    // Refused: the connection is broken. Close the stream after the hub's current step.
    this.refused++;
    s.dead = true;
    this.ctx.setTimer(0, () => {
      if (this.sessions.get(s.client) === s) this.clientGone(s.client);
      else s.stream.close();
    });
  }

  private every(periodUs: number, fn: () => void): void {
    const tick = (): void => {
      fn();
      this.ctx.setTimer(periodUs, tick);
    };
    this.ctx.setTimer(periodUs, tick);
  }
}
