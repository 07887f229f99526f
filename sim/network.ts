/**
 * The network: datagrams between hosts, with delay, loss, duplication, reordering, bounded links
 * and partitions. sim/channels builds etcd's two connection kinds (stream, pipeline) on top.
 *
 * A datagram from `from` to `to` is decided at send: lost with `lossRatio`, dropped if the
 * directed link already holds `linkQueueMax` messages in flight, else delivered after a delay
 * drawn from the link's latency model (the network's, or a per-link override); with
 * `duplicateRatio` a second copy travels with its own delay. Reordering is what independent delays
 * give. Draws come from per-link streams (`net/<from>-<to>/delay`, `/loss`, `/dup`), so traffic on
 * one link never shifts another link's draws.
 *
 * At delivery time the message is dropped if its link is cut *then* (a partition that starts
 * while it is in flight catches it), or if the destination crashed since it was sent (it is
 * stamped with the destination's incarnation at send; a message to a down host is lost even if
 * the host restarts before it lands). A message to a paused host waits in the host's gate and
 * arrives at resume. Every drop is a `net.drop` trace event with a reason; deliveries are
 * `net.deliver` events (unless `traceDeliveries` is off).
 *
 * Partitions are a set of cut *directed* links. Verbs add cuts (they compose); `heal` removes all:
 * - `isolate(n)`: cut n from every other registered host (or from `others`), both ways;
 * - `split(groups)`: cut every link between hosts of different groups, both ways; links of hosts
 *   named in no group (clients, say) are untouched;
 * - `bridge(node, a, b)`: cut between a and b (both ways), except links of `node`, which sees both;
 * - `cutOneWay(from, to)`: only from → to (asymmetric: to still reaches from).
 * Verbs name the hosts registered when they are called: a host added later is not cut.
 *
 * Receivers: `listen(host, fn)` binds `fn` to the host's current incarnation; after a crash the
 * restarted program must listen again (its old receiver died with it).
 */
import { assert } from './assert.js';
import type { HostId, HostRegistry, Kernel } from './host.js';
import { drawLatencyUs, validateLatency, type LatencyModel, type Random } from './random.js';
import type { Micros } from './time.js';

/** How a message travelled: a datagram, or one of sim/channels' connection kinds. */
export type Via = 'datagram' | 'stream' | 'pipeline';

export type Receiver<M> = (from: HostId, msg: M, via: Via) => void;

/** Why a message did not arrive. */
export type DropReason =
  | 'loss' // the network lost it (lossRatio)
  | 'queue-full' // its link already held linkQueueMax messages
  | 'cut' // its link was cut when it would have been delivered
  | 'host-down' // the destination crashed after it was sent, or was down
  | 'held-full' // the destination is paused and its waiting queue is full
  | 'no-listener' // the destination runs but its program listens to nothing
  | 'conn-broken' // (channels) its connection broke while it was in flight
  | 'not-connected' // (channels) sent on a broken or closed connection
  | 'buffer-full' // (channels) the connection's buffer was full
  | 'sender-gone'; // (channels) the sending incarnation crashed

/** The parts of the host registry the network and channels use. */
export type HostView = Pick<HostRegistry<unknown>, 'ids' | 'state' | 'isUp' | 'incarnation' | 'gate' | 'onLifecycle' | 'context'>;

/** A message on its way. Channels build these for their own kinds. */
export interface Envelope<M> {
  /** Unique per network (copies of a duplicated datagram share it). */
  readonly id: number;
  readonly from: HostId;
  readonly to: HostId;
  readonly msg: M;
  readonly via: Via;
  readonly sentUs: Micros;
  /** The destination's incarnation when it was sent: it is lost if that incarnation crashed. */
  readonly incarnation: number;
}

export interface NetworkOptions {
  /** One-way delay. Default log-normal, median 1 ms, sigma 0.5, within [200 µs, 50 ms]. */
  readonly delay: LatencyModel;
  /** Fraction of datagrams lost, in [0, 1]. Default 0. */
  readonly lossRatio: number;
  /** Fraction of datagrams delivered twice, in [0, 1]. Default 0. */
  readonly duplicateRatio: number;
  /** Most datagrams in flight on one directed link; more are dropped (`queue-full`). Default 4096. */
  readonly linkQueueMax: number;
  /** Emit a `net.deliver` event per delivered message. Default true. */
  readonly traceDeliveries: boolean;
}

export const NETWORK_DEFAULTS: NetworkOptions = {
  delay: { kind: 'log-normal', medianUs: 1_000, sigma: 0.5, minUs: 200, maxUs: 50_000 },
  lossRatio: 0,
  duplicateRatio: 0,
  linkQueueMax: 4096,
  traceDeliveries: true,
};

export interface NetworkStats {
  readonly sent: number;
  readonly delivered: number;
  readonly duplicated: number;
  readonly dropped: Readonly<Partial<Record<DropReason, number>>>;
}

export interface Network<M> {
  /** Delivers messages for `host`'s current incarnation to `receiver`. */
  listen(host: HostId, receiver: Receiver<M>): void;
  /** Sends a datagram. False if it was dropped at once (loss or a full link); true does not promise delivery. */
  send(from: HostId, to: HostId, msg: M): boolean;
  isCut(from: HostId, to: HostId): boolean;
  isolate(host: HostId, others?: readonly HostId[]): void;
  split(groups: readonly (readonly HostId[])[]): void;
  bridge(node: HostId, groupA: readonly HostId[], groupB: readonly HostId[]): void;
  cutOneWay(from: HostId, to: HostId): void;
  /** Removes every cut. */
  heal(): void;
  /** Removes the cut from → to, if any. */
  healLink(from: HostId, to: HostId): void;
  /** The cut directed links, sorted by (from, to). */
  cutLinks(): readonly (readonly [HostId, HostId])[];
  /** `none`, or the cuts as `1<->3,2->3` (both ways / one way), for traces and reports. */
  describePartition(): string;
  /** Overrides the delay of one directed link (null: back to the network's). */
  setLinkDelay(from: HostId, to: HostId, model: LatencyModel | null): void;
  /** Changes delay, loss or duplication from now on (a nemesis degrading the network). */
  update(patch: Partial<Pick<NetworkOptions, 'delay' | 'lossRatio' | 'duplicateRatio'>>): void;
  readonly options: NetworkOptions;
  stats(): NetworkStats;
  /** The delay model of a directed link (for sim/channels, which draws from its own streams). */
  delayModel(from: HostId, to: HostId): LatencyModel;
  /** A fresh message id (for sim/channels). */
  nextMessageId(): number;
  /**
   * Hands an envelope to its destination now: through the host's gate to its receiver, traced.
   * True if it reached the host (received now, or waiting while the host is paused); a loss is
   * traced as a drop.
   */
  deliver(env: Envelope<M>): boolean;
  /** Records a drop: a `net.drop` trace event and the stats. */
  drop(env: Envelope<M>, reason: DropReason): void;
}

interface LinkState {
  readonly key: number;
  inFlight: number;
  delay: LatencyModel | null;
  readonly delayRandom: Random;
  readonly lossRandom: Random;
  readonly dupRandom: Random;
}

interface Datagram<M> extends Envelope<M> {
  readonly link: LinkState;
}

interface Listener<M> {
  readonly incarnation: number;
  readonly fn: Receiver<M>;
}

const LINK_KEY_BASE = 65536;
/** The fields of `net.deliver`, in order (one event per delivered message, hashed by position). */
const DELIVER_FIELDS: readonly string[] = ['from', 'id', 'via', 'sentUs'];

class SimNetwork<M> implements Network<M> {
  private opts: NetworkOptions;
  private readonly links = new Map<number, LinkState>();
  private readonly cut = new Set<number>();
  private readonly listeners: (Listener<M> | undefined)[] = [];
  private readonly random: Random;
  private messageSeq = 0;
  private sentCount = 0;
  private deliveredCount = 0;
  private duplicatedCount = 0;
  private readonly dropped: Partial<Record<DropReason, number>> = {};
  private readonly arrive = (d: Datagram<M>): void => this.onArrive(d);
  private readonly receive = (env: Envelope<M>): void => this.onReceive(env);

  constructor(
    private readonly kernel: Kernel,
    private readonly hosts: HostView,
    options: NetworkOptions,
  ) {
    this.opts = options;
    this.random = kernel.random.fork('net');
  }

  get options(): NetworkOptions {
    return this.opts;
  }

  listen(host: HostId, receiver: Receiver<M>): void {
    assert(this.hosts.isUp(host), () => `network: host ${host} listens while down`);
    this.listeners[host] = { incarnation: this.hosts.incarnation(host), fn: receiver };
  }

  send(from: HostId, to: HostId, msg: M): boolean {
    assert(this.hosts.state(from) === 'up', () => `network: host ${from} sends while ${this.hosts.state(from)}`);
    const link = this.link(from, to);
    const env: Datagram<M> = { id: this.messageSeq++, from, to, msg, via: 'datagram', sentUs: this.kernel.scheduler.now, incarnation: this.hosts.incarnation(to), link };
    this.sentCount++;
    if (link.lossRandom.chance(this.opts.lossRatio)) {
      this.drop(env, 'loss');
      return false;
    }
    if (link.inFlight >= this.opts.linkQueueMax) {
      this.drop(env, 'queue-full');
      return false;
    }
    this.launch(env);
    if (link.dupRandom.chance(this.opts.duplicateRatio) && link.inFlight < this.opts.linkQueueMax) {
      this.duplicatedCount++;
      this.kernel.trace.emit(env.sentUs, null, 'net.dup', { from, to, id: env.id });
      this.launch(env);
    }
    return true;
  }

  isCut(from: HostId, to: HostId): boolean {
    return this.cut.size > 0 && this.cut.has(from * LINK_KEY_BASE + to);
  }

  isolate(host: HostId, others: readonly HostId[] = this.hosts.ids()): void {
    for (const o of others) {
      if (o === host) continue;
      this.cutLink(host, o);
      this.cutLink(o, host);
    }
    this.traceCut('isolate', others === this.hosts.ids() ? `${host}` : `${host}|${others.join(',')}`);
  }

  split(groups: readonly (readonly HostId[])[]): void {
    const seen = new Set<HostId>();
    for (const g of groups) {
      for (const h of g) {
        assert(!seen.has(h), () => `network: split names host ${h} in two groups`);
        seen.add(h);
      }
    }
    groups.forEach((g, i) =>
      groups.forEach((other, j) => {
        if (i === j) return;
        for (const a of g) for (const b of other) this.cutLink(a, b);
      }),
    );
    this.traceCut('split', groups.map((g) => g.join(',')).join('|'));
  }

  bridge(node: HostId, groupA: readonly HostId[], groupB: readonly HostId[]): void {
    for (const a of groupA) {
      for (const b of groupB) {
        if (a === node || b === node || a === b) continue;
        this.cutLink(a, b);
        this.cutLink(b, a);
      }
    }
    this.traceCut('bridge', `${node}|${groupA.join(',')}|${groupB.join(',')}`);
  }

  cutOneWay(from: HostId, to: HostId): void {
    assert(from !== to, () => `network: cutOneWay(${from}, ${to}) is a self-link`);
    this.cutLink(from, to);
    this.traceCut('cut-one-way', `${from}->${to}`);
  }

  heal(): void {
    this.cut.clear();
    this.traceCut('heal', '');
  }

  healLink(from: HostId, to: HostId): void {
    this.cut.delete(from * LINK_KEY_BASE + to);
    this.traceCut('heal-link', `${from}->${to}`);
  }

  cutLinks(): readonly (readonly [HostId, HostId])[] {
    return [...this.cut].sort((a, b) => a - b).map((k) => [Math.floor(k / LINK_KEY_BASE), k % LINK_KEY_BASE] as const);
  }

  describePartition(): string {
    const parts: string[] = [];
    for (const [a, b] of this.cutLinks()) {
      const back = this.isCut(b, a);
      if (back && b < a) continue; // listed once, as a<->b with a < b
      parts.push(back ? `${a}<->${b}` : `${a}->${b}`);
    }
    return parts.length === 0 ? 'none' : parts.join(',');
  }

  setLinkDelay(from: HostId, to: HostId, model: LatencyModel | null): void {
    if (model !== null) validateLatency(model, `network link ${from}->${to} delay`);
    this.link(from, to).delay = model;
  }

  update(patch: Partial<Pick<NetworkOptions, 'delay' | 'lossRatio' | 'duplicateRatio'>>): void {
    this.opts = validateNetworkOptions({ ...this.opts, ...patch });
    this.kernel.trace.emit(this.kernel.scheduler.now, null, 'net.update', { lossRatio: this.opts.lossRatio, duplicateRatio: this.opts.duplicateRatio, delay: this.opts.delay.kind });
  }

  stats(): NetworkStats {
    return { sent: this.sentCount, delivered: this.deliveredCount, duplicated: this.duplicatedCount, dropped: { ...this.dropped } };
  }

  delayModel(from: HostId, to: HostId): LatencyModel {
    return this.links.get(from * LINK_KEY_BASE + to)?.delay ?? this.opts.delay;
  }

  nextMessageId(): number {
    return this.messageSeq++;
  }

  deliver(env: Envelope<M>): boolean {
    const r = this.hosts.gate(env.to, env.incarnation, this.receive, env);
    if (r === 'lost') this.drop(env, 'host-down');
    else if (r === 'held-full') this.drop(env, 'held-full');
    return r === 'ran' || r === 'held';
  }

  drop(env: Envelope<M>, reason: DropReason): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
    this.kernel.trace.emit(this.kernel.scheduler.now, null, 'net.drop', { from: env.from, to: env.to, id: env.id, via: env.via, reason });
  }

  private launch(env: Datagram<M>): void {
    env.link.inFlight++;
    const delayUs = drawLatencyUs(env.link.delayRandom, env.link.delay ?? this.opts.delay);
    this.kernel.scheduler.schedule(delayUs, this.arrive, env);
  }

  private onArrive(env: Datagram<M>): void {
    env.link.inFlight--;
    if (this.cut.size > 0 && this.cut.has(env.link.key)) {
      this.drop(env, 'cut');
      return;
    }
    this.deliver(env);
  }

  private onReceive(env: Envelope<M>): void {
    const l = this.listeners[env.to];
    if (l === undefined || l.incarnation !== env.incarnation) {
      this.drop(env, 'no-listener');
      return;
    }
    this.deliveredCount++;
    if (this.opts.traceDeliveries) {
      this.kernel.trace.emitValues(this.kernel.scheduler.now, env.to, 'net.deliver', DELIVER_FIELDS, env.from, env.id, env.via, env.sentUs);
    }
    l.fn(env.from, env.msg, env.via);
  }

  private link(from: HostId, to: HostId): LinkState {
    const key = from * LINK_KEY_BASE + to;
    let l = this.links.get(key);
    if (l === undefined) {
      assert(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && to >= 0 && from < LINK_KEY_BASE && to < LINK_KEY_BASE, () => `network: bad link ${from}->${to}`);
      const r = this.random.fork(`${from}-${to}`);
      l = { key, inFlight: 0, delay: null, delayRandom: r.fork('delay'), lossRandom: r.fork('loss'), dupRandom: r.fork('dup') };
      this.links.set(key, l);
    }
    return l;
  }

  private cutLink(from: HostId, to: HostId): void {
    if (from !== to) this.cut.add(from * LINK_KEY_BASE + to);
  }

  private traceCut(verb: string, args: string): void {
    this.kernel.trace.emit(this.kernel.scheduler.now, null, 'net.partition', { verb, args, cut: this.describePartition() });
  }
}

function validateNetworkOptions(o: NetworkOptions): NetworkOptions {
  validateLatency(o.delay, 'network.delay');
  const ratio = (x: number): boolean => Number.isFinite(x) && x >= 0 && x <= 1;
  assert(ratio(o.lossRatio), () => `network.lossRatio must be in [0, 1], got ${o.lossRatio}`);
  assert(ratio(o.duplicateRatio), () => `network.duplicateRatio must be in [0, 1], got ${o.duplicateRatio}`);
  assert(Number.isInteger(o.linkQueueMax) && o.linkQueueMax > 0, () => `network.linkQueueMax must be a positive integer, got ${o.linkQueueMax}`);
  return o;
}

/** A network on `kernel` between the hosts of `hosts`, with `options` filled in from NETWORK_DEFAULTS and validated. */
export function createNetwork<M>(kernel: Kernel, hosts: HostView, options: Partial<NetworkOptions> = {}): Network<M> {
  return new SimNetwork<M>(kernel, hosts, validateNetworkOptions({ ...NETWORK_DEFAULTS, ...options }));
}
