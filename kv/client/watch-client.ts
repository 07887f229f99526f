/**
 * The client side of watches (clientv3 watch.go), with resumption.
 *
 * A watch lives on one member at a time, on a watch *stream* to that member (numbered per member:
 * each time the client starts a stream to a member it takes a new stream id, and the member drops
 * the watchers of older streams of this client). When the connection to that member breaks, the
 * watch is re-created on the next connected member (round robin) from the last revision it
 * knows complete + 1 — the last event's revision, or the header revision of its creation (for a
 * watch from "now") or of a progress notification — or from its original start revision if it
 * knows nothing yet, as clientv3 does after a stream error. The watch ends when the member cancels it (e.g. its start revision
 * was compacted: `compactRevision` is set) or when the caller cancels it.
 *
 * Every response that takes a slot of the member's stream buffer is acknowledged (coalesced on the
 * next turn), as gRPC flow control returns window to the sender.
 *
 * Partitions are noticed like gRPC keepalive pings notice them: every `keepaliveUs` the client
 * sends a progress request on each stream with active watches; a message that meets a cut link
 * breaks the connection (sim/channels), which triggers the resumption.
 *
 * Everything seen is recorded in a `WatchLog` (when given) for the watch checker: per watch, the
 * request, each placement (member, stream, start revision), and every response in arrival order.
 */
import type { WatchCreateRequest, WatchResponse } from '../api.js';
import { assert } from '../../sim/assert.js';
import type { Stream, StreamState } from '../../sim/channels.js';
import type { HostContext, HostId } from '../../sim/host.js';
import type { Micros } from '../../sim/time.js';
import { takesWatchSlot, type Wire } from '../wire.js';

export interface WatchPlacement {
  readonly member: HostId;
  readonly streamId: number;
  /** The start revision asked of that member (0 = from its next revision). */
  readonly startRevision: number;
  readonly atUs: Micros;
}

export interface WatchRecord {
  /** The history process of the client. */
  readonly client: number;
  /** The client's id for this watch (also the watch id it asks members for). */
  readonly watchId: number;
  readonly request: WatchCreateRequest;
  readonly placements: WatchPlacement[];
  readonly responses: { readonly atUs: Micros; readonly member: HostId; readonly response: WatchResponse }[];
  /** Why it ended, if it did: canceled by the caller, or by a member (compacted, …). */
  end: { readonly atUs: Micros; readonly reason: string } | null;
}

/** Every watch of a run, for the watch checker. */
export class WatchLog {
  readonly records: WatchRecord[] = [];
  /** A bound on recorded responses, so a runaway watch cannot exhaust memory. */
  constructor(readonly responsesMax = 1_000_000) {}
  private responses = 0;
  dropped = 0;

  add(r: WatchRecord): void {
    this.records.push(r);
  }

  response(r: WatchRecord, atUs: Micros, member: HostId, response: WatchResponse): void {
    if (this.responses >= this.responsesMax) {
      this.dropped++;
      return;
    }
    this.responses++;
    r.responses.push({ atUs, member, response });
  }
}

export type WatchListener = (response: WatchResponse, member: HostId) => void;

export interface WatchHandle {
  readonly watchId: number;
  /** The highest revision of an event received (0 if none). */
  readonly lastRevision: number;
  readonly ended: boolean;
  cancel(): void;
}

interface Watch {
  readonly watchId: number;
  readonly request: WatchCreateRequest;
  readonly listener: WatchListener | undefined;
  readonly record: WatchRecord;
  member: HostId | null;
  streamId: number;
  lastRevision: number;
  /** Where a re-created watch starts: after the last event, or after a bookmark (created / progress). */
  resumeFrom: number;
  ended: boolean;
}

/** Largest number of concurrent watches per client. */
const WATCHES_MAX = 1024;

export class WatchClient {
  private readonly watches = new Map<number, Watch>();
  private nextWatchId = 1;
  private cursor = 0;
  /** The current stream id per member (0 = none yet). */
  private readonly streams = new Map<HostId, number>();
  private keepaliveArmed = false;
  /** Responses taken but not acknowledged yet, per `<member>/<stream>`. */
  private readonly unacked = new Map<string, number>();

  constructor(
    private readonly ctx: HostContext,
    private readonly endpoints: readonly HostId[],
    private readonly conn: (ep: HostId) => Stream<Wire> | undefined,
    private readonly log: WatchLog | null,
    private readonly process: number,
    private readonly keepaliveUs: Micros = 2_000_000,
  ) {}

  open(request: WatchCreateRequest, listener?: WatchListener): WatchHandle {
    assert(this.watches.size < WATCHES_MAX, () => `watch client: more than ${WATCHES_MAX} watches`);
    const watchId = this.nextWatchId++;
    const record: WatchRecord = { client: this.process, watchId, request, placements: [], responses: [], end: null };
    this.log?.add(record);
    const w: Watch = { watchId, request, listener, record, member: null, streamId: 0, lastRevision: 0, resumeFrom: request.startRevision ?? 0, ended: false };
    this.watches.set(watchId, w);
    this.place(w);
    this.armKeepalive();
    const self = this;
    return {
      watchId,
      get lastRevision() {
        return w.lastRevision;
      },
      get ended() {
        return w.ended;
      },
      cancel: () => self.cancel(w),
    };
  }

  /** Whether a live watch is placed on `ep` (an active gRPC stream on that connection). */
  hasWatchesOn(ep: HostId): boolean {
    for (const w of this.watches.values()) if (w.member === ep && !w.ended) return true;
    return false;
  }

  onResponse(from: HostId, streamId: number, response: WatchResponse): void {
    if (takesWatchSlot(response)) this.ack(from, streamId);
    const w = this.watches.get(response.watchId);
    // Progress answers to a whole stream carry watch id -1: deliver to every watch on that stream.
    if (response.watchId === -1) {
      for (const x of this.watches.values()) if (x.member === from && x.streamId === streamId) this.deliver(x, from, response);
      return;
    }
    if (w === undefined || w.member !== from || w.streamId !== streamId) return; // an old placement's
    this.deliver(w, from, response);
  }

  onConnState(ep: HostId, state: StreamState): void {
    if (state === 'connected') {
      for (const w of this.watches.values()) if (w.member === null && !w.ended) this.place(w);
      return;
    }
    // The stream to `ep` died with the connection: every watch on it moves.
    this.streams.delete(ep);
    for (const w of this.watches.values()) {
      if (w.member !== ep || w.ended) continue;
      w.member = null;
      this.place(w);
    }
  }

  /** Acknowledges a response (gRPC flow control): coalesced per stream, sent on the next turn. */
  private ack(ep: HostId, streamId: number): void {
    const k = `${ep}/${streamId}`;
    const n = this.unacked.get(k) ?? 0;
    this.unacked.set(k, n + 1);
    if (n > 0) return;
    this.ctx.setTimer(0, () => {
      const count = this.unacked.get(k) ?? 0;
      this.unacked.delete(k);
      if (this.streams.get(ep) === streamId) this.conn(ep)?.send({ kind: 'watch', streamId, request: { type: 'ack', count } });
    });
  }

  private deliver(w: Watch, from: HostId, response: WatchResponse): void {
    if (w.ended) return;
    this.log?.response(w.record, this.ctx.simNow(), from, response);
    for (const e of response.events) if (e.kv.modRevision > w.lastRevision) w.lastRevision = e.kv.modRevision;
    this.advanceResume(w, response);
    w.listener?.(response, from);
    if (response.canceled === true) this.end(w, response.cancelReason ?? (response.compactRevision !== undefined ? `compacted at ${response.compactRevision}` : 'canceled by member'));
  }

  /** Events, the creation of a watch from "now" and a progress bookmark each say: every event ≤ R was delivered. */
  private advanceResume(w: Watch, response: WatchResponse): void {
    if (response.canceled === true) return;
    let complete = 0;
    if (response.events.length > 0) complete = w.lastRevision;
    else if (response.created === true) complete = w.resumeFrom === 0 ? response.header.revision : 0;
    else complete = response.header.revision; // a progress notification
    if (complete + 1 > w.resumeFrom) w.resumeFrom = complete + 1;
  }

  /** Creates the watch on the next connected member, from where it left off. */
  private place(w: Watch): void {
    const ep = this.pick();
    if (ep === undefined) return; // placed when a connection comes up
    const streamId = this.streamFor(ep);
    const startRevision = w.resumeFrom;
    const sent = (this.conn(ep) as Stream<Wire>).send({ kind: 'watch', streamId, request: { type: 'create', request: { ...w.request, watchId: w.watchId, startRevision } } });
    if (!sent) return;
    w.member = ep;
    w.streamId = streamId;
    w.record.placements.push({ member: ep, streamId, startRevision, atUs: this.ctx.simNow() });
  }

  private streamFor(ep: HostId): number {
    let id = this.streams.get(ep);
    if (id === undefined) {
      // A fresh stream: ids only grow, so the member can tell it from any older one.
      id = this.ctx.incarnation * 1_000_000 + (this.maxStreamId++);
      this.streams.set(ep, id);
    }
    return id;
  }

  private maxStreamId = 1;

  private pick(): HostId | undefined {
    for (let i = 0; i < this.endpoints.length; i++) {
      const at = (this.cursor + i) % this.endpoints.length;
      const ep = this.endpoints[at] as HostId;
      if (this.conn(ep)?.state === 'connected') {
        this.cursor = at + 1;
        return ep;
      }
    }
    return undefined;
  }

  private cancel(w: Watch): void {
    if (w.ended) return;
    if (w.member !== null) this.conn(w.member)?.send({ kind: 'watch', streamId: w.streamId, request: { type: 'cancel', watchId: w.watchId } });
    this.end(w, 'canceled by client');
  }

  private end(w: Watch, reason: string): void {
    w.ended = true;
    w.member = null;
    w.record.end = { atUs: this.ctx.simNow(), reason };
    this.watches.delete(w.watchId);
  }

  private armKeepalive(): void {
    if (this.keepaliveArmed) return;
    this.keepaliveArmed = true;
    this.ctx.setTimer(this.keepaliveUs, () => this.keepalive());
  }

  /** gRPC keepalive, modelled: a small message on every stream in use, so a cut link breaks it. */
  private keepalive(): void {
    this.keepaliveArmed = false;
    if (this.watches.size === 0) return;
    for (const [ep, streamId] of this.streams) {
      const inUse = [...this.watches.values()].some((w) => w.member === ep);
      if (inUse) this.conn(ep)?.send({ kind: 'watch', streamId, request: { type: 'progress' } });
    }
    this.armKeepalive();
  }
}
