/**
 * clientv3/concurrency's Session: a lease that the client keeps alive while it is up, and that
 * tells its owner when it is gone.
 *
 *   const s = new Session(ctx, client, { ttlS: 5 }, { ready: (ok) => …, done: (why) => … });
 *   s.start();            // LeaseGrant(ttl); then a keepalive every TTL/3
 *   s.leaseId;            // once ready
 *   s.close();            // LeaseRevoke, keepalives stop
 *
 * As clientv3 keeps a lease alive (client/v3/lease.go): after each keepalive response the next one
 * is due a third of the TTL later, and the lease counts as alive until the response's TTL has
 * passed on the client's clock. A response with TTL ≤ 0, a LeaseNotFound, or a deadline passed
 * with no response ends the session (`done`); a keepalive that fails otherwise is sent again
 * 500 ms later (clientv3's send loop ticks every 500 ms).
 *
 * The deadline is the client's belief, and only a belief: the server started counting the TTL
 * when it renewed, before the response left, and a client that is paused runs none of its timers
 * — it learns that its session ended only after it resumed, and perhaps after it acted on the
 * lock the session held. That gap is what a lock's fencing must close (mutex.ts).
 *
 * Calls: the grant and the revoke are recorded in the history (they change the lease state the
 * etcd model checks); keepalives are not (they change no key; the model leaves them out).
 */
import { assert } from '../../../sim/assert.js';
import type { HostContext, TimerId } from '../../../sim/host.js';
import type { KvClient } from '../client.js';

export interface SessionOptions {
  /** The TTL the grant asks for (clientv3's default is 60 s). */
  readonly ttlS: number;
}

export type SessionEnd = 'expired' | 'keepalive-timeout' | 'closed';

export interface SessionEvents {
  /** The grant returned: true with a lease, false if it failed (the session is then done). */
  readonly ready: (ok: boolean) => void;
  /** The session ended (not called for a failed grant). */
  readonly done?: (why: SessionEnd) => void;
}

/** clientv3's keepalive send loop period. */
const KEEPALIVE_RETRY_US = 500_000;

export class Session {
  private id = 0;
  private ttlUs = 0;
  private state: 'new' | 'granting' | 'live' | 'done' = 'new';
  private keepaliveTimer: TimerId | null = null;
  private deadlineTimer: TimerId | null = null;
  private endReason: SessionEnd | null = null;

  constructor(
    private readonly ctx: HostContext,
    private readonly client: KvClient,
    private readonly options: SessionOptions,
    private readonly events: SessionEvents,
  ) {
    assert(Number.isSafeInteger(options.ttlS) && options.ttlS > 0, () => `session: ttlS must be a positive integer, got ${options.ttlS}`);
  }

  /** The lease; 0 before the grant returned. */
  get leaseId(): number {
    return this.id;
  }

  /** Whether the client believes its lease is alive. */
  get live(): boolean {
    return this.state === 'live';
  }

  /** Why the session ended, if it has. */
  get ended(): SessionEnd | null {
    return this.endReason;
  }

  start(): void {
    assert(this.state === 'new', 'session: started twice');
    this.state = 'granting';
    this.client.call('lease-grant', { ttlS: this.options.ttlS }, (o) => {
      if (this.state !== 'granting') return;
      if (o.status !== 'ok') {
        this.state = 'done';
        this.events.ready(false);
        return;
      }
      this.id = o.response.id;
      this.ttlUs = o.response.ttlS * 1_000_000;
      this.state = 'live';
      this.renewed(o.response.ttlS);
      this.events.ready(true);
    });
  }

  /** clientv3 Session.Close: stop keeping the lease alive and revoke it. */
  close(then?: () => void): void {
    if (this.state !== 'live') {
      then?.();
      return;
    }
    const id = this.id;
    this.end('closed');
    this.client.call('lease-revoke', { id }, () => then?.());
  }

  private renewed(ttlS: number): void {
    this.clear();
    this.deadlineTimer = this.ctx.setTimer(ttlS * 1_000_000, () => this.end('keepalive-timeout'));
    this.keepaliveTimer = this.ctx.setTimer(Math.max(1, Math.floor(this.ttlUs / 3)), () => this.keepAlive());
  }

  private keepAlive(): void {
    this.keepaliveTimer = null;
    if (this.state !== 'live') return;
    const id = this.id;
    this.client.call('lease-keepalive', { id }, (o) => {
      if (this.state !== 'live' || this.id !== id) return;
      if (o.status === 'ok') {
        if (o.response.ttlS <= 0) this.end('expired');
        else this.renewed(o.response.ttlS);
        return;
      }
      if (o.error.code === 'LeaseNotFound') {
        this.end('expired');
        return;
      }
      if (this.keepaliveTimer === null) this.keepaliveTimer = this.ctx.setTimer(KEEPALIVE_RETRY_US, () => this.keepAlive());
    }, { record: false });
  }

  private end(why: SessionEnd): void {
    if (this.state === 'done') return;
    this.state = 'done';
    this.endReason = why;
    this.clear();
    this.events.done?.(why);
  }

  private clear(): void {
    if (this.keepaliveTimer !== null) this.ctx.clearTimer(this.keepaliveTimer);
    if (this.deadlineTimer !== null) this.ctx.clearTimer(this.deadlineTimer);
    this.keepaliveTimer = null;
    this.deadlineTimer = null;
  }
}
