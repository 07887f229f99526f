/**
 * Lock clients: processes that take turns holding one clientv3 Mutex (kv/client/concurrency) and
 * write a protected resource while they hold it — the workload of Jepsen's etcd lock tests.
 *
 *   hosts.start(300 + i, lockClientFactory(env, endpoints, options, process, log, root.fork(`client/l${i}`)));
 *
 * Each lock client, in a loop: opens a session (a lease of `ttlS`, kept alive every TTL/3) if it has
 * no live one; locks the mutex `lock/resource`; on acquiring, writes the resource key `resource`
 * at once and again after `holdUs`, then unlocks; waits a think time (exponential, mean
 * `thinkUs`), and goes on, until `stop()`. A lock that fails (a call failed, the session expired
 * while waiting) is tried again after the think time, with a new session when the old one ended.
 *
 * Writes are plain puts (`fenced: false`: the code most users write — lock, work, unlock) or Txns
 * guarded by the mutex's isOwner() (`fenced: true`: the resource itself refuses a holder whose key
 * is gone). A client does not look at its session in the middle of a hold: like that common code,
 * it acts on its belief that it holds the lock.
 *
 * The lock log (`LockLog`) keeps what the mutual-exclusion check needs: each acquisition (the
 * process, its fencing token = its key's create revision, and the revision at which it was found
 * holding), and each resource write the store accepted (its header revision and the writer's
 * token). Every call is also recorded in the history, so the linearizability check covers the lock
 * keys, the resource and the leases too. Draws come from the client's own stream `client/l<i>`.
 */
import { assert } from '../../sim/assert.js';
import type { Factory, HostContext, HostId, TimerId } from '../../sim/host.js';
import type { Random } from '../../sim/random.js';
import type { Micros } from '../../sim/time.js';
import { createKvClient, type ClientEnv, type KvClient } from '../client/client.js';
import { Mutex } from '../client/concurrency/mutex.js';
import { Session } from '../client/concurrency/session.js';

export interface LockWorkloadOptions {
  /** Lock clients; 0 = none (the default). */
  readonly clients: number;
  /** Their sessions' lease TTL. */
  readonly ttlS: number;
  /** How long a holder keeps the lock between its two writes. */
  readonly holdUs: Micros;
  /** Mean think time between an unlock (or a failed lock) and the next lock. */
  readonly thinkUs: Micros;
  /** Resource writes guarded by the holder's isOwner() (fencing), or plain puts. */
  readonly fenced: boolean;
}

export const LOCK_WORKLOAD_DEFAULTS: LockWorkloadOptions = { clients: 0, ttlS: 2, holdUs: 1_000_000, thinkUs: 200_000, fenced: true };

export const LOCK_PREFIX = 'lock/resource';
export const RESOURCE_KEY = 'resource';

/** Throws (assert) with the field's name when an option is out of range. */
export function checkLockWorkloadOptions(o: LockWorkloadOptions): void {
  const check = (cond: boolean, field: keyof LockWorkloadOptions, what: string): void =>
    assert(cond, () => `workload options: locks.${field} must be ${what}, got ${JSON.stringify(o[field])}`);
  check(Number.isSafeInteger(o.clients) && o.clients >= 0, 'clients', 'an integer ≥ 0');
  check(Number.isSafeInteger(o.ttlS) && o.ttlS > 0, 'ttlS', 'a positive integer');
  check(Number.isSafeInteger(o.holdUs) && o.holdUs >= 0, 'holdUs', 'an integer ≥ 0');
  check(Number.isSafeInteger(o.thinkUs) && o.thinkUs >= 0, 'thinkUs', 'an integer ≥ 0');
}

export interface LockAcquisition {
  readonly process: number;
  /** The holder's key's create revision. */
  readonly token: number;
  /** A revision at which the holder's key was the oldest under the prefix. */
  readonly revision: number;
  /** Virtual time the client learned it holds the lock. */
  readonly atUs: Micros;
}

export interface ResourceWrite {
  readonly process: number;
  readonly token: number;
  /** The store revision the write made (its response header). */
  readonly revision: number;
  /** Virtual time of the write's call. */
  readonly atUs: Micros;
}

/** What the lock clients of a run saw: acquisitions and accepted resource writes, in the order they happened. */
export class LockLog {
  readonly acquisitions: LockAcquisition[] = [];
  readonly writes: ResourceWrite[] = [];
  /** Writes refused by the fence (a fenced write whose guard failed). */
  refused = 0;
}

export interface LockClient extends KvClient {
  stop(): void;
  /** Whether it believes it holds the lock now. */
  holding(): boolean;
}

export function lockClientFactory(env: ClientEnv, endpoints: readonly HostId[], o: LockWorkloadOptions, process: number, log: LockLog, random: Random, requestTimeoutUs: Micros): Factory<LockClient> {
  return (ctx) => new LockProgram(ctx, env, endpoints, o, process, log, random, requestTimeoutUs).client;
}

class LockProgram {
  readonly client: LockClient;
  private readonly kv: KvClient;
  private session: Session | null = null;
  private mutex: Mutex | null = null;
  private stopped = false;
  private held = false;
  private timer: TimerId | null = null;
  private readonly timing: Random;

  constructor(
    private readonly ctx: HostContext,
    env: ClientEnv,
    endpoints: readonly HostId[],
    private readonly o: LockWorkloadOptions,
    private readonly process: number,
    private readonly log: LockLog,
    random: Random,
    requestTimeoutUs: Micros,
  ) {
    this.timing = random.fork('timing');
    this.kv = createKvClient(ctx, env, { endpoints, process, callTimeoutUs: requestTimeoutUs });
    this.client = Object.assign(this.kv, { stop: () => this.stop(), holding: () => this.held });
    this.later(() => this.next());
  }

  private stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.ctx.clearTimer(this.timer);
    this.timer = null;
  }

  private later(fn: () => void): void {
    if (this.stopped) return;
    const us = this.o.thinkUs === 0 ? 0 : Math.round(this.timing.exponential(this.o.thinkUs, { min: 0, max: this.o.thinkUs * 20 }));
    this.timer = this.ctx.setTimer(us, () => {
      this.timer = null;
      if (!this.stopped) fn();
    });
  }

  /** Lock again, with a new session if the old one is gone. */
  private next(): void {
    if (this.session !== null && this.session.live && this.mutex !== null) return this.lock(this.mutex);
    const session = new Session(this.ctx, this.kv, { ttlS: this.o.ttlS }, {
      ready: (ok) => {
        if (this.stopped) return;
        if (!ok) return this.later(() => this.next());
        this.mutex = new Mutex(this.kv, session, LOCK_PREFIX);
        this.lock(this.mutex);
      },
    });
    this.session = session;
    session.start();
  }

  private lock(m: Mutex): void {
    m.lock((r) => {
      if (this.stopped) return;
      if (!r.ok) return this.later(() => this.next());
      this.held = true;
      this.log.acquisitions.push({ process: this.process, token: r.token, revision: r.acquiredRevision, atUs: this.ctx.simNow() });
      this.write(m, 1, () => {
        if (this.stopped) return;
        this.timer = this.ctx.setTimer(this.o.holdUs, () => {
          this.timer = null;
          if (!this.stopped) this.write(m, 2, () => this.unlock(m));
        });
      });
    });
  }

  private write(m: Mutex, n: number, then: () => void): void {
    const token = m.token;
    const value = `${this.process}:${token}:${n}`;
    const atUs = this.ctx.simNow();
    const accepted = (revision: number): void => {
      this.log.writes.push({ process: this.process, token, revision, atUs });
    };
    if (this.o.fenced) {
      this.kv.call('txn', { compare: [m.isOwner()], success: [{ type: 'put', request: { key: RESOURCE_KEY, value } }], failure: [] }, (o) => {
        if (o.status === 'ok' && o.response.succeeded) accepted(o.header.revision);
        else if (o.status === 'ok') this.log.refused++;
        then();
      });
    } else {
      this.kv.call('put', { key: RESOURCE_KEY, value }, (o) => {
        if (o.status === 'ok') accepted(o.header.revision);
        then();
      });
    }
  }

  private unlock(m: Mutex): void {
    this.held = false;
    if (this.stopped) return;
    m.unlock(() => this.later(() => this.next()));
  }
}
