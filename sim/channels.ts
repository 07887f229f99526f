/**
 * Connections, as etcd's rafthttp has them, built on sim/network's links and partitions.
 *
 * **Stream** (rafthttp `stream.go`): a long-lived connection from one host to another for small,
 * frequent messages. It is FIFO even though each message draws its own network delay: a message
 * is never delivered before an earlier one on the same connection (arrival = max(now + delay,
 * previous arrival)), which is head-of-line blocking, as TCP has it. It does not lose or duplicate
 * (TCP retransmits); instead it *breaks*:
 * - when a message would arrive while either direction of the link is cut (TCP needs both: data
 *   one way, acknowledgements the other), or
 * - when the peer crashes (its kernel resets the connection);
 * breaking loses everything in flight (each lost message is a `net.drop` with reason
 * `conn-broken`). While broken, `send` returns false — the caller reports the peer unreachable,
 * as etcd's transport does — and the connection redials with exponential backoff on the sender's
 * clock (`chan.dial-fail`, `chan.connect`). A dial succeeds when the peer is up (paused is up: its
 * kernel accepts) and neither direction is cut. A full buffer (`streamBufferMax` in flight,
 * rafthttp's 4096) makes `send` return false too. When the *sender* crashes its connections close
 * for good: the next incarnation opens new ones.
 *
 * **Pipeline** (rafthttp `pipeline.go`, `snapshot_sender.go`): a separate connection for large
 * messages (snapshots) whose delay grows with size. Transfers are serialised: each occupies the
 * connection for size / `pipelineBandwidthBytesPerS`, then travels one network delay. At most
 * `pipelineQueueMax` transfers (rafthttp's 64) are queued or in flight; more return false. Each
 * transfer ends with `onDone(ok)` on the sender: true when it reached the peer *and* the reply got
 * back (one delay the other way, and that direction must not be cut then), false when the link was
 * cut or the peer down at arrival (reported then) — so a sender can call ReportSnapshot(Finish or
 * Failure). A peer may receive a transfer whose sender still hears "failed", as in real life.
 *
 * Callbacks to the sender (`onDone`, `onState`) run through its gate: they wait while it is paused
 * and vanish if it crashed. Delays come from per-connection streams
 * (`chan/<label>/<from>-<to>/<incarnation>`), so one connection's traffic never shifts another's.
 */
import { assert } from './assert.js';
import type { HostContext, HostId, Kernel, LifecycleEvent, TimerId } from './host.js';
import type { DropReason, Envelope, HostView, Network } from './network.js';
import { drawLatencyUs, type Random } from './random.js';
import type { Micros } from './time.js';

export interface ChannelOptions {
  /** Most messages in flight on one stream; more make `send` return false. Default 4096. */
  readonly streamBufferMax: number;
  /** First redial delay after a stream breaks (sender's local µs). Default 100 ms. */
  readonly reconnectBackoffMinUs: Micros;
  /** Largest redial delay (the backoff doubles up to it). Default 1.6 s. */
  readonly reconnectBackoffMaxUs: Micros;
  /** Most transfers queued or in flight on one pipeline. Default 64. */
  readonly pipelineQueueMax: number;
  /** Pipeline throughput. Default 100,000,000 bytes/s (a 10 MB snapshot takes 100 ms). */
  readonly pipelineBandwidthBytesPerS: number;
}

export const CHANNEL_DEFAULTS: ChannelOptions = {
  streamBufferMax: 4096,
  reconnectBackoffMinUs: 100_000,
  reconnectBackoffMaxUs: 1_600_000,
  pipelineQueueMax: 64,
  pipelineBandwidthBytesPerS: 100_000_000,
};

export type StreamState = 'connected' | 'broken' | 'closed';

export interface StreamOptions {
  /** Names the stream (rafthttp has `message` and `msgappv2` per peer). Default `message`. */
  readonly label: string;
  /** Told, on the sender, each time the state changes after `openStream` returned (connected after a redial, broken, closed). */
  readonly onState: ((state: StreamState) => void) | null;
}

export interface Stream<M> {
  readonly from: HostId;
  readonly to: HostId;
  readonly label: string;
  readonly state: StreamState;
  /** Messages sent and not yet delivered or lost. */
  readonly inFlight: number;
  /** When the current connection was made, on the sender's local clock; null while not connected (rafthttp's ActiveSince). */
  readonly activeSinceUs: Micros | null;
  /** Queues `msg`; false (and a traced drop) when broken, closed or full. */
  send(msg: M): boolean;
  /** Closes for good, losing what is in flight. */
  close(): void;
}

export interface Pipeline<M> {
  readonly from: HostId;
  readonly to: HostId;
  readonly label: string;
  readonly closed: boolean;
  /** Transfers queued or in flight. */
  readonly queued: number;
  /** Queues a transfer of `sizeBytes`; false (and a traced drop) when closed or full. */
  send(msg: M, sizeBytes: number, onDone?: (ok: boolean) => void): boolean;
  /** Closes for good: transfers in flight are lost and their `onDone` never runs. */
  close(): void;
}

export interface Channels<M> {
  /** Opens a stream from `from` (which must be up) to `to`; it is connected at once if it can be, else it starts dialling. */
  openStream(from: HostId, to: HostId, options?: Partial<StreamOptions>): Stream<M>;
  openPipeline(from: HostId, to: HostId, label?: string): Pipeline<M>;
}

interface StreamEnvelope<M> extends Envelope<M> {
  readonly conn: StreamConn<M>;
  readonly epoch: number;
}

interface Transfer<M> extends Envelope<M> {
  readonly pipe: PipelineConn<M>;
  readonly sizeBytes: number;
  readonly onDone: ((ok: boolean) => void) | undefined;
}

/** What a channel needs from its owner (one per channels instance). */
interface Env<M> {
  readonly kernel: Kernel;
  readonly hosts: HostView;
  readonly network: Network<M>;
  readonly options: ChannelOptions;
}

class StreamConn<M> implements Stream<M> {
  state: StreamState = 'broken';
  inFlight = 0;
  connectedAtUs: Micros = 0;
  /** Bumped at every break and close: envelopes of an older epoch are lost. */
  epoch = 0;
  lastArrivalUs: Micros = 0;
  peerIncarnation = 0;
  backoffUs: Micros;
  timer: TimerId = -1;
  readonly ctx: HostContext;
  readonly random: Random;
  private readonly arrive = (e: StreamEnvelope<M>): void => this.onArrive(e);
  private readonly dial = (): void => this.onDial();

  constructor(
    private readonly env: Env<M>,
    readonly from: HostId,
    readonly to: HostId,
    readonly label: string,
    private readonly onState: ((state: StreamState) => void) | null,
    private readonly unregister: (c: StreamConn<M>) => void,
  ) {
    this.ctx = env.hosts.context(from);
    this.random = env.kernel.random.fork(`chan/${label}/${from}-${to}/${this.ctx.incarnation}`);
    this.backoffUs = env.options.reconnectBackoffMinUs;
  }

  get activeSinceUs(): Micros | null {
    return this.state === 'connected' ? this.connectedAtUs : null;
  }

  send(msg: M): boolean {
    assert(this.ctx.alive, () => `channels: stream ${this.from}->${this.to} used by a crashed incarnation`);
    const { kernel, network, options } = this.env;
    const nowUs = kernel.scheduler.now;
    if (this.state !== 'connected' || this.inFlight >= options.streamBufferMax) {
      const e: Envelope<M> = { id: network.nextMessageId(), from: this.from, to: this.to, msg, via: 'stream', sentUs: nowUs, incarnation: this.peerIncarnation };
      network.drop(e, this.state === 'connected' ? 'buffer-full' : 'not-connected');
      return false;
    }
    const delayUs = drawLatencyUs(this.random, network.delayModel(this.from, this.to));
    const arrivalUs = Math.max(nowUs + delayUs, this.lastArrivalUs);
    this.lastArrivalUs = arrivalUs;
    this.inFlight++;
    const e: StreamEnvelope<M> = { id: network.nextMessageId(), from: this.from, to: this.to, msg, via: 'stream', sentUs: nowUs, incarnation: this.peerIncarnation, conn: this, epoch: this.epoch };
    kernel.scheduler.scheduleAt(arrivalUs, this.arrive, e);
    return true;
  }

  close(): void {
    if (this.state === 'closed') return;
    this.shut('closed');
    this.env.kernel.trace.emit(this.env.kernel.scheduler.now, this.from, 'chan.close', { to: this.to, label: this.label });
  }

  /** Tries to connect now; on failure, schedules a redial. `onState` is not told of the first try (read `state`). */
  connectOrRetry(first = false): void {
    const reason = this.dialBlocker();
    if (reason === null) {
      this.state = 'connected';
      this.connectedAtUs = this.ctx.localNow();
      this.peerIncarnation = this.env.hosts.incarnation(this.to);
      this.backoffUs = this.env.options.reconnectBackoffMinUs;
      this.env.kernel.trace.emit(this.env.kernel.scheduler.now, this.from, 'chan.connect', { to: this.to, label: this.label, epoch: this.epoch });
      if (!first) this.tell();
      return;
    }
    this.env.kernel.trace.emit(this.env.kernel.scheduler.now, this.from, 'chan.dial-fail', { to: this.to, label: this.label, reason, retryUs: this.backoffUs });
    this.timer = this.ctx.setTimer(this.backoffUs, this.dial);
    this.backoffUs = Math.min(this.backoffUs * 2, this.env.options.reconnectBackoffMaxUs);
  }

  /** Breaks the connection (the sender lives on): in-flight messages are lost, a redial follows. */
  breakOff(reason: 'cut' | 'peer-crash'): void {
    assert(this.state === 'connected', 'channels: break of a stream that is not connected');
    const lost = this.inFlight;
    this.shut('broken');
    this.env.kernel.trace.emit(this.env.kernel.scheduler.now, this.from, 'chan.break', { to: this.to, label: this.label, reason, lost });
    this.tell();
    this.connectOrRetry();
  }

  /** The sender crashed: the connection is gone with it (its timers went with the host). */
  senderCrashed(): void {
    this.state = 'closed';
    this.epoch++;
    this.inFlight = 0;
    this.unregister(this);
  }

  private shut(state: 'broken' | 'closed'): void {
    this.state = state;
    this.epoch++;
    this.inFlight = 0;
    this.lastArrivalUs = 0;
    if (this.timer >= 0 && this.ctx.alive) this.ctx.clearTimer(this.timer);
    this.timer = -1;
    if (state === 'closed') {
      this.unregister(this);
      this.tell();
    }
  }

  private dialBlocker(): string | null {
    const { hosts, network } = this.env;
    if (!hosts.isUp(this.to)) return 'peer-down';
    if (network.isCut(this.from, this.to) || network.isCut(this.to, this.from)) return 'cut';
    return null;
  }

  private onDial(): void {
    this.timer = -1;
    if (this.state === 'broken') this.connectOrRetry();
  }

  private onArrive(e: StreamEnvelope<M>): void {
    const network = this.env.network;
    if (e.epoch !== this.epoch) {
      network.drop(e, this.state === 'closed' && !this.ctx.alive ? 'sender-gone' : 'conn-broken');
      return;
    }
    if (network.isCut(this.from, this.to) || network.isCut(this.to, this.from)) {
      network.drop(e, 'cut');
      this.breakOff('cut'); // `lost` counts this message too
      return;
    }
    this.inFlight--;
    network.deliver(e);
  }

  private tell(): void {
    if (this.onState !== null && this.ctx.alive) this.env.hosts.gate(this.from, this.ctx.incarnation, this.onState, this.state);
  }
}

class PipelineConn<M> implements Pipeline<M> {
  closed = false;
  queued = 0;
  private busyUntilUs: Micros = 0;
  private readonly ctx: HostContext;
  private readonly random: Random;
  private readonly arrive = (t: Transfer<M>): void => this.onArrive(t);
  private readonly replied = (t: Transfer<M>): void => this.onReply(t);

  constructor(
    private readonly env: Env<M>,
    readonly from: HostId,
    readonly to: HostId,
    readonly label: string,
    private readonly unregister: (p: PipelineConn<M>) => void,
  ) {
    this.ctx = env.hosts.context(from);
    this.random = env.kernel.random.fork(`chan/${label}/${from}-${to}/${this.ctx.incarnation}`);
  }

  send(msg: M, sizeBytes: number, onDone?: (ok: boolean) => void): boolean {
    assert(this.ctx.alive, () => `channels: pipeline ${this.from}->${this.to} used by a crashed incarnation`);
    assert(Number.isInteger(sizeBytes) && sizeBytes >= 0, () => `channels: transfer size must be whole bytes ≥ 0, got ${sizeBytes}`);
    const { kernel, network, hosts, options } = this.env;
    const nowUs = kernel.scheduler.now;
    const t: Transfer<M> = { id: network.nextMessageId(), from: this.from, to: this.to, msg, via: 'pipeline', sentUs: nowUs, incarnation: hosts.incarnation(this.to), pipe: this, sizeBytes, onDone };
    if (this.closed || this.queued >= options.pipelineQueueMax) {
      network.drop(t, this.closed ? 'not-connected' : 'buffer-full');
      return false;
    }
    const transmitUs = Math.ceil((sizeBytes * 1_000_000) / options.pipelineBandwidthBytesPerS);
    this.busyUntilUs = Math.max(nowUs, this.busyUntilUs) + transmitUs;
    const arrivalUs = this.busyUntilUs + drawLatencyUs(this.random, network.delayModel(this.from, this.to));
    this.queued++;
    kernel.scheduler.scheduleAt(arrivalUs, this.arrive, t);
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queued = 0;
    this.unregister(this);
    if (this.ctx.alive) this.env.kernel.trace.emit(this.env.kernel.scheduler.now, this.from, 'chan.close', { to: this.to, label: this.label });
  }

  private onArrive(t: Transfer<M>): void {
    const { network, hosts } = this.env;
    if (this.closed) {
      network.drop(t, this.ctx.alive ? 'conn-broken' : 'sender-gone');
      return;
    }
    this.queued--;
    let failure: DropReason | null = null;
    if (network.isCut(this.from, this.to)) failure = 'cut';
    else if (!hosts.isUp(this.to) || hosts.incarnation(this.to) !== t.incarnation) failure = 'host-down';
    if (failure !== null) network.drop(t, failure);
    const ok = failure === null && network.deliver(t);
    if (!ok) {
      this.finish(t, false);
      return;
    }
    // The reply (HTTP 204) travels back; it is lost if that direction is cut when it lands.
    const backUs = drawLatencyUs(this.random, network.delayModel(this.to, this.from));
    this.env.kernel.scheduler.schedule(backUs, this.replied, t);
  }

  private onReply(t: Transfer<M>): void {
    if (this.closed) return;
    this.finish(t, !this.env.network.isCut(this.to, this.from));
  }

  private finish(t: Transfer<M>, ok: boolean): void {
    const { kernel, hosts } = this.env;
    if (!this.ctx.alive) return;
    kernel.trace.emit(kernel.scheduler.now, this.from, 'chan.transfer', { to: this.to, label: this.label, id: t.id, bytes: t.sizeBytes, ok });
    if (t.onDone !== undefined) hosts.gate(this.from, this.ctx.incarnation, t.onDone, ok);
  }
}

class SimChannels<M> implements Channels<M> {
  private readonly streams = new Set<StreamConn<M>>();
  private readonly pipelines = new Set<PipelineConn<M>>();
  private readonly env: Env<M>;
  private readonly dropStream = (c: StreamConn<M>): void => void this.streams.delete(c);
  private readonly dropPipeline = (p: PipelineConn<M>): void => void this.pipelines.delete(p);

  constructor(kernel: Kernel, hosts: HostView, network: Network<M>, options: ChannelOptions) {
    this.env = { kernel, hosts, network, options };
    hosts.onLifecycle((e) => this.onLifecycle(e));
  }

  openStream(from: HostId, to: HostId, options: Partial<StreamOptions> = {}): Stream<M> {
    assert(from !== to, () => `channels: stream from ${from} to itself`);
    assert(this.env.hosts.state(from) === 'up', () => `channels: host ${from} opens a stream while ${this.env.hosts.state(from)}`);
    const label = options.label ?? 'message';
    for (const s of this.streams) assert(!(s.from === from && s.to === to && s.label === label), () => `channels: stream ${label} ${from}->${to} is already open`);
    const c = new StreamConn<M>(this.env, from, to, label, options.onState ?? null, this.dropStream);
    this.streams.add(c);
    c.connectOrRetry(true);
    return c;
  }

  openPipeline(from: HostId, to: HostId, label = 'pipeline'): Pipeline<M> {
    assert(from !== to, () => `channels: pipeline from ${from} to itself`);
    assert(this.env.hosts.state(from) === 'up', () => `channels: host ${from} opens a pipeline while ${this.env.hosts.state(from)}`);
    for (const p of this.pipelines) assert(!(p.from === from && p.to === to && p.label === label), () => `channels: pipeline ${label} ${from}->${to} is already open`);
    const p = new PipelineConn<M>(this.env, from, to, label, this.dropPipeline);
    this.pipelines.add(p);
    return p;
  }

  private onLifecycle(e: LifecycleEvent): void {
    if (e.kind !== 'crash') return;
    for (const c of [...this.streams]) {
      if (c.from === e.host) c.senderCrashed();
      else if (c.to === e.host && c.state === 'connected') c.breakOff('peer-crash');
    }
    for (const p of [...this.pipelines]) if (p.from === e.host) p.close();
  }
}

function validateChannelOptions(o: ChannelOptions): ChannelOptions {
  const posInt = (x: number): boolean => Number.isInteger(x) && x > 0;
  assert(posInt(o.streamBufferMax), () => `channels.streamBufferMax must be a positive integer, got ${o.streamBufferMax}`);
  assert(posInt(o.pipelineQueueMax), () => `channels.pipelineQueueMax must be a positive integer, got ${o.pipelineQueueMax}`);
  assert(posInt(o.reconnectBackoffMinUs) && posInt(o.reconnectBackoffMaxUs) && o.reconnectBackoffMinUs <= o.reconnectBackoffMaxUs, () => `channels: need integers 0 < reconnectBackoffMinUs ≤ reconnectBackoffMaxUs, got ${o.reconnectBackoffMinUs}, ${o.reconnectBackoffMaxUs}`);
  assert(Number.isFinite(o.pipelineBandwidthBytesPerS) && o.pipelineBandwidthBytesPerS > 0, () => `channels.pipelineBandwidthBytesPerS must be > 0, got ${o.pipelineBandwidthBytesPerS}`);
  return o;
}

/** Streams and pipelines over `network`, with `options` filled in from CHANNEL_DEFAULTS and validated. */
export function createChannels<M>(kernel: Kernel, hosts: HostView, network: Network<M>, options: Partial<ChannelOptions> = {}): Channels<M> {
  return new SimChannels<M>(kernel, hosts, network, validateChannelOptions({ ...CHANNEL_DEFAULTS, ...options }));
}
