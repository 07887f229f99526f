/**
 * The workload: N client processes issuing a mix of operations on a key space at a rate, for a
 * duration, each on its own client host; plus watcher processes that watch the whole key space.
 *
 *   hosts.start(100 + k, workloadClientFactory(env, endpoints, options, k, root.fork(`client/c${k}`)));
 *   hosts.start(200 + w, watcherFactory(env, endpoints, options, w));
 *
 * Each client runs one operation at a time (a Jepsen process): it waits an exponential think time
 * (mean = clients / ratePerS, so the offered total is `ratePerS` when calls are fast; or 1 / ratePerS
 * with `ratePerClient`; or `thinkUsMean`, where 0 is back to back), issues the next operation
 * (`op-generator.ts`), and waits for its outcome. A client pinned to some members (a scenario's
 * `workload.pinned`) is the same driver with its own endpoints, mix, `startUs` and `durationUs`. Every call is recorded in the
 * history by the client (ok / fail / unknown). Draws come from the streams `client/c<k>/ops` (which
 * operation, key, serializable or not) and `client/c<k>/timing` (think times), so changing the mix
 * never shifts the timing, and one client's draws never shift another's.
 *
 * Compaction (client 0, when `compactEveryUs` > 0): compacts to (latest revision seen −
 * `compactKeepRevisions`), not recorded in the history. Watchers open one watch over the `k`
 * prefix from revision 1 with prevKv and progress notifications, kept until `stop()`; the client
 * resumes it across member failures and records it in the watch log.
 */
import { prefixEnd } from '../api.js';
import { assert } from '../../sim/assert.js';
import type { Factory, HostContext, HostId, TimerId } from '../../sim/host.js';
import type { Random } from '../../sim/random.js';
import type { Micros } from '../../sim/time.js';
import { createKvClient, type ClientEnv, type KvClient } from '../client/client.js';
import type { WatchHandle } from '../client/watch-client.js';
import type { LeaseGrantResponse } from '../api.js';
import type { KvCall } from '../wire.js';
import type { KeepAliveGrant } from '../check/lease-keepalive.js';
import { createKeyChooser, KEY_PREFIX, type KeyDistribution } from './key-chooser.js';
import { checkLeaseWorkloadOptions, LEASE_WORKLOAD_DEFAULTS, LeaseHolder, type LeaseStats, type LeaseWorkloadOptions } from './lease-load.js';
import { OP_KINDS, OpGenerator, type OpKind, type OpMix } from './op-generator.js';

export interface WorkloadOptions {
  /** Client processes. */
  readonly clients: number;
  /** Size of the key space. */
  readonly keys: number;
  readonly distribution: KeyDistribution;
  readonly zipfExponent: number;
  /** Relative weights; a kind left out weighs 0. */
  readonly mix: Partial<OpMix>;
  /** Operations per second offered over all clients (or by each client, with `ratePerClient`). */
  readonly ratePerS: number;
  /** `ratePerS` is per client rather than the total. Default false. */
  readonly ratePerClient: boolean;
  /** Fraction of gets sent serializable. */
  readonly serializableReadRatio: number;
  /**
   * Fraction of txns whose success branch also reads the key at a past revision (latest revision
   * this client saw minus 1..200): a read that compaction may have made impossible, which fails the
   * whole txn Compacted (etcd #18667's shape). Default 0.
   */
  readonly txnPastRangeShare: number;
  /** Watcher processes. */
  readonly watchers: number;
  /** A call's deadline on the client. */
  readonly requestTimeoutUs: Micros;
  /** How long clients issue operations (from their start). */
  readonly durationUs: Micros;
  /** The first operation waits at least this long (from the client's start). Default 0. */
  readonly startUs: Micros;
  /**
   * Mean think time between the end of one call and the next; 0 = back to back; null = from the
   * rate (`clients / ratePerS`, or `1 / ratePerS` with `ratePerClient`). Default null.
   */
  readonly thinkUsMean: Micros | null;
  /** How long a `watch` operation keeps its watch open. */
  readonly watchHoldUs: Micros;
  /** Compaction period (client 0); 0 = never. */
  readonly compactEveryUs: Micros;
  readonly compactKeepRevisions: number;
  /** Leases (lease-load.ts): off unless `leases.clients` > 0. */
  readonly leases: LeaseWorkloadOptions;
}

export const WORKLOAD_DEFAULTS: WorkloadOptions = {
  clients: 3,
  keys: 5,
  distribution: 'uniform',
  zipfExponent: 1.1,
  mix: { get: 45, put: 40, delete: 5, txn: 10 },
  ratePerS: 100,
  ratePerClient: false,
  serializableReadRatio: 0,
  txnPastRangeShare: 0,
  watchers: 1,
  requestTimeoutUs: 3_000_000,
  durationUs: 10_000_000,
  startUs: 0,
  thinkUsMean: null,
  watchHoldUs: 1_000_000,
  compactEveryUs: 0,
  compactKeepRevisions: 100,
  leases: LEASE_WORKLOAD_DEFAULTS,
};

/** Options as callers give them: any subset, `leases` too. */
export type WorkloadOptionsInput = Partial<Omit<WorkloadOptions, 'leases'>> & { readonly leases?: Partial<LeaseWorkloadOptions> };

export function resolveWorkloadOptions(partial: WorkloadOptionsInput = {}): WorkloadOptions {
  const o: WorkloadOptions = { ...WORKLOAD_DEFAULTS, ...partial, leases: { ...LEASE_WORKLOAD_DEFAULTS, ...partial.leases } };
  const posInt = (x: number): boolean => Number.isSafeInteger(x) && x > 0;
  const check = (cond: boolean, field: keyof WorkloadOptions, what: string): void =>
    assert(cond, () => `workload options: ${field} must be ${what}, got ${JSON.stringify(o[field])}`);
  check(Number.isSafeInteger(o.clients) && o.clients >= 0, 'clients', 'an integer ≥ 0');
  check(posInt(o.keys), 'keys', 'a positive integer');
  check(o.ratePerS > 0 && Number.isFinite(o.ratePerS), 'ratePerS', 'a positive number');
  check(o.serializableReadRatio >= 0 && o.serializableReadRatio <= 1, 'serializableReadRatio', 'in [0, 1]');
  check(Number.isSafeInteger(o.watchers) && o.watchers >= 0, 'watchers', 'an integer ≥ 0');
  check(posInt(o.requestTimeoutUs) && posInt(o.durationUs) && posInt(o.watchHoldUs), 'requestTimeoutUs', 'positive integers (with durationUs, watchHoldUs)');
  check(Number.isSafeInteger(o.compactEveryUs) && o.compactEveryUs >= 0, 'compactEveryUs', 'an integer ≥ 0');
  check(Number.isSafeInteger(o.startUs) && o.startUs >= 0 && o.startUs < o.durationUs, 'startUs', 'an integer ≥ 0 below durationUs');
  check(o.thinkUsMean === null || (Number.isSafeInteger(o.thinkUsMean) && o.thinkUsMean >= 0), 'thinkUsMean', 'null or an integer ≥ 0');
  check(Number.isSafeInteger(o.compactKeepRevisions) && o.compactKeepRevisions >= 0, 'compactKeepRevisions', 'an integer ≥ 0');
  checkLeaseWorkloadOptions(o.leases);
  for (const k of Object.keys(o.mix)) check((OP_KINDS as readonly string[]).includes(k), 'mix', `weights of ${OP_KINDS.join(', ')}`);
  return o;
}

export interface WorkloadClientStats {
  readonly issued: Readonly<Record<OpKind, number>>;
  readonly ok: number;
  readonly fail: number;
  readonly unknown: number;
  readonly compactions: number;
  /** Lease calls made (all zero for a client without leases). */
  readonly leases: LeaseStats;
}

/** A workload client host's program. */
export interface WorkloadClient {
  readonly process: number;
  readonly client: KvClient;
  /** True once the duration is over and the last operation finished. */
  readonly finished: boolean;
  /** Stops issuing operations (the one in flight finishes). */
  stop(): void;
  stats(): WorkloadClientStats;
  /** Every keepalive that returned ok with a TTL, with when it was sent (virtual time): the lease keepalive check's input. */
  keepAlivesGranted(): readonly KeepAliveGrant[];
  /** Leases this client sent a keepalive for, and those with a keepalive whose outcome is unknown (the lease expiry check's input). */
  keepAliveLeases(): { readonly sent: ReadonlySet<number>; readonly unknown: ReadonlySet<number> };
}

export function workloadClientFactory(env: ClientEnv, endpoints: readonly HostId[], options: WorkloadOptions, process: number, random: Random): Factory<WorkloadClient> {
  return (ctx) => new Driver(ctx, env, endpoints, options, process, random);
}

class Driver implements WorkloadClient {
  readonly client: KvClient;
  private readonly gen: OpGenerator;
  private readonly ops: Random;
  private readonly timing: Random;
  private readonly endUs: Micros;
  private busy = false;
  private stopped = false;
  private timer: TimerId = -1;
  private keepAliveTimer: TimerId = -1;
  private latestRevision = 0;
  private readonly watches = new Set<WatchHandle>();
  private readonly issued: Record<OpKind, number> = { get: 0, range: 0, put: 0, delete: 0, txn: 0, watch: 0 };
  private counts = { ok: 0, fail: 0, unknown: 0, compactions: 0 };
  /** This client's leases: only for c0 … c<leases.clients−1>, with its own stream. */
  private readonly leases: LeaseHolder | null;
  /** Successful keepalives, observed for the checker only (virtual time, nothing drawn). */
  private readonly keepAliveGrants: KeepAliveGrant[] = [];
  private readonly keepAliveSent = new Set<number>();
  private readonly keepAliveUnknown = new Set<number>();
  private readonly keepAliveInFlight = new Map<number, number>();

  constructor(
    private readonly ctx: HostContext,
    env: ClientEnv,
    endpoints: readonly HostId[],
    private readonly o: WorkloadOptions,
    readonly process: number,
    random: Random,
  ) {
    this.client = createKvClient(ctx, env, { endpoints, callTimeoutUs: o.requestTimeoutUs, process });
    this.ops = random.fork('ops');
    this.timing = random.fork('timing');
    const mix: OpMix = { get: 0, range: 0, put: 0, delete: 0, txn: 0, watch: 0, ...o.mix };
    this.gen = new OpGenerator(process, createKeyChooser(o.keys, o.distribution, o.zipfExponent), mix, o.serializableReadRatio, { share: o.txnPastRangeShare, latest: () => this.latestRevision });
    this.endUs = ctx.localNow() + o.durationUs;
    if (o.startUs > 0) this.timer = ctx.setTimer(o.startUs, () => this.scheduleNext());
    else this.scheduleNext();
    if (process === 0 && o.compactEveryUs > 0) ctx.setTimer(o.compactEveryUs, () => this.compact());
    // Forking is pure: a client without leases draws exactly what it drew before leases existed.
    this.leases = process < o.leases.clients ? new LeaseHolder(o.leases, random.fork('leases')) : null;
    if (this.leases !== null) this.keepAliveTimer = ctx.setTimer(o.leases.keepAliveEveryUs, () => this.keepAlive());
  }

  get finished(): boolean {
    return (this.stopped || this.ctx.localNow() >= this.endUs) && !this.busy;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer >= 0) this.ctx.clearTimer(this.timer);
    this.timer = -1;
    // Kept leases are let go: they expire once the workload is over.
    if (this.keepAliveTimer >= 0) this.ctx.clearTimer(this.keepAliveTimer);
    this.keepAliveTimer = -1;
    for (const w of this.watches) w.cancel();
    this.watches.clear();
  }

  stats(): WorkloadClientStats {
    return { issued: { ...this.issued }, ...this.counts, leases: this.leases?.stats() ?? { grants: 0, revokes: 0, leasedPuts: 0, keepAlives: 0 } };
  }

  keepAlivesGranted(): readonly KeepAliveGrant[] {
    return this.keepAliveGrants;
  }

  keepAliveLeases(): { readonly sent: ReadonlySet<number>; readonly unknown: ReadonlySet<number> } {
    // A keepalive still unanswered is as unknown as one that timed out.
    const unknown = new Set(this.keepAliveUnknown);
    for (const [id, n] of this.keepAliveInFlight) if (n > 0) unknown.add(id);
    return { sent: this.keepAliveSent, unknown };
  }

  private scheduleNext(): void {
    this.timer = -1;
    if (this.stopped) return;
    const meanUs = this.o.thinkUsMean ?? ((this.o.ratePerClient ? 1 : this.o.clients) / this.o.ratePerS) * 1_000_000;
    // Back to back draws nothing: the timing stream is left as it was.
    const thinkUs = meanUs === 0 ? 0 : Math.round(this.timing.exponential(meanUs, { min: 0, max: meanUs * 20 }));
    if (this.ctx.localNow() + thinkUs >= this.endUs) return;
    this.timer = this.ctx.setTimer(thinkUs, () => this.issue());
  }

  private issue(): void {
    this.timer = -1;
    if (this.stopped) return;
    const choice = this.leases?.choose(this.ctx.localNow());
    if (choice?.kind === 'lease') return this.send(choice.call);
    const op = this.gen.next(this.ops);
    this.issued[op.kind]++;
    if (op.kind === 'watch') {
      const w = this.client.watch({ key: op.key });
      this.watches.add(w);
      this.ctx.setTimer(this.o.watchHoldUs, () => {
        w.cancel();
        this.watches.delete(w);
      });
      return this.scheduleNext();
    }
    this.send(this.leases === null ? op.call : this.leases.attach(op.call, this.ctx.localNow()));
  }

  private send(call: KvCall): void {
    this.busy = true;
    this.client.call(call.method, call.request as never, (outcome) => {
      this.busy = false;
      this.counts[outcome.status]++;
      if (outcome.status === 'ok') {
        if (call.method === 'lease-grant') {
          const granted = outcome.response as LeaseGrantResponse;
          this.leases?.granted(granted.id, granted.ttlS, this.ctx.localNow());
        } else this.gen.observe(call, outcome.response);
        this.latestRevision = Math.max(this.latestRevision, outcome.header.revision);
      }
      this.scheduleNext();
    });
  }

  /** Keepalives of the kept leases, unrecorded (they change no key), beside the call in flight. */
  private keepAlive(): void {
    this.keepAliveTimer = -1;
    if (this.stopped || this.leases === null) return;
    this.keepAliveTimer = this.ctx.setTimer(this.o.leases.keepAliveEveryUs, () => this.keepAlive());
    const leases = this.leases;
    for (const id of leases.keptAlive()) {
      // True time, not the client's clock: the check compares it with when expiries are applied.
      const sentUs = this.ctx.simNow();
      this.keepAliveSent.add(id);
      this.keepAliveInFlight.set(id, (this.keepAliveInFlight.get(id) ?? 0) + 1);
      this.client.call('lease-keepalive', { id }, (outcome) => {
        this.keepAliveInFlight.set(id, (this.keepAliveInFlight.get(id) ?? 1) - 1);
        if (outcome.status === 'ok' && outcome.response.ttlS > 0) this.keepAliveGrants.push({ lease: id, client: this.process, sentUs, returnUs: this.ctx.simNow(), ttlS: outcome.response.ttlS });
        if (outcome.status === 'unknown') this.keepAliveUnknown.add(id);
        if (outcome.status === 'ok' ? outcome.response.ttlS <= 0 : outcome.error.code === 'LeaseNotFound') leases.gone(id);
      }, { record: false });
    }
  }

  private compact(): void {
    if (this.stopped) return;
    this.ctx.setTimer(this.o.compactEveryUs, () => this.compact());
    const target = this.latestRevision - this.o.compactKeepRevisions;
    if (target <= 1) return;
    this.counts.compactions++;
    this.client.call('compact', { revision: target }, undefined, { record: false });
  }
}

/** A watcher host's program: one watch over the whole key space, resumed across failures. */
export interface Watcher {
  readonly client: KvClient;
  readonly watch: WatchHandle;
  stop(): void;
}

export function watcherFactory(env: ClientEnv, endpoints: readonly HostId[], options: WorkloadOptions, process: number): Factory<Watcher> {
  return (ctx) => {
    const client = createKvClient(ctx, env, { endpoints, callTimeoutUs: options.requestTimeoutUs, process });
    const watch = client.watch({ key: KEY_PREFIX, rangeEnd: prefixEnd(KEY_PREFIX), startRevision: 1, prevKv: true, progressNotify: true });
    return { client, watch, stop: () => watch.cancel() };
  };
}
