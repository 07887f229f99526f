/**
 * The lease part of a workload client (opt-in: `WorkloadOptions.leases.clients` > 0 gives leases
 * to clients c0 … c<clients−1>; 0, the default, leaves every client exactly as it was).
 *
 * A client with leases, at each operation, first asks its own stream `client/c<k>/leases`
 * (forked only for such a client, so no other stream's draws move):
 * - with probability `opShare` it makes a lease call instead of a kv operation: a revoke of one of
 *   its leases destined to be revoked (when it has one, and either holds `maxLive` leases or a coin
 *   says so), else a grant (below `maxLive`), else the kv operation after all;
 * - a put of the op mix is attached, with probability `putShare`, to one of its live leases.
 * A granted lease's fate is drawn when the grant returns: kept alive with `keepAliveShare`
 * (a keepalive every `keepAliveEveryUs`, below the TTL, until it is revoked or the workload stops),
 * revoked by the client with `revokeShare` (which may come too late: then LeaseNotFound), and
 * otherwise left to expire. Expiries are revokes no client issued: the runner records them
 * (lease-expiry.ts) so that the checker does not see phantom deletes.
 *
 * Recorded in the history (kv/client): grants, revokes and puts (with `lease` in the input).
 * Keepalives are sent unrecorded, beside the one recorded call in flight (they change no key, and
 * the etcd model leaves them out anyway), like the compactions of client 0.
 */
import { assert } from '../../sim/assert.js';
import type { Random } from '../../sim/random.js';
import type { Micros } from '../../sim/time.js';
import type { KvCall } from '../wire.js';

export interface LeaseWorkloadOptions {
  /** Workload clients c0 … c<clients−1> that use leases; 0 = off (the default). */
  readonly clients: number;
  /** The TTL a grant asks for (the server raises it to its minimum, etcd's minLeaseTTL). */
  readonly ttlS: number;
  /** Fraction of a leased client's operations that are lease calls (grant or revoke). */
  readonly opShare: number;
  /** Fraction of its puts attached to one of its live leases. */
  readonly putShare: number;
  /** Fraction of granted leases kept alive until revoked or the workload stops. */
  readonly keepAliveShare: number;
  /** Fraction of granted leases the client revokes itself; the rest not kept alive expire. */
  readonly revokeShare: number;
  /** Keepalive period of a kept lease: must be below the TTL. */
  readonly keepAliveEveryUs: Micros;
  /** Most leases a client holds at once. */
  readonly maxLive: number;
}

export const LEASE_WORKLOAD_DEFAULTS: LeaseWorkloadOptions = {
  clients: 0,
  ttlS: 3,
  opShare: 0.15,
  putShare: 0.5,
  keepAliveShare: 0.4,
  revokeShare: 0.4,
  keepAliveEveryUs: 1_000_000,
  maxLive: 3,
};

/** Throws (assert) with the field's name when an option is out of range. */
export function checkLeaseWorkloadOptions(o: LeaseWorkloadOptions): void {
  const check = (cond: boolean, field: keyof LeaseWorkloadOptions, what: string): void =>
    assert(cond, () => `workload options: leases.${field} must be ${what}, got ${JSON.stringify(o[field])}`);
  const share = (x: number): boolean => x >= 0 && x <= 1;
  check(Number.isSafeInteger(o.clients) && o.clients >= 0, 'clients', 'an integer ≥ 0');
  check(Number.isSafeInteger(o.ttlS) && o.ttlS > 0, 'ttlS', 'a positive integer');
  check(share(o.opShare), 'opShare', 'in [0, 1]');
  check(share(o.putShare), 'putShare', 'in [0, 1]');
  check(share(o.keepAliveShare), 'keepAliveShare', 'in [0, 1]');
  check(share(o.revokeShare), 'revokeShare', 'in [0, 1]');
  check(Number.isSafeInteger(o.keepAliveEveryUs) && o.keepAliveEveryUs > 0 && o.keepAliveEveryUs < o.ttlS * 1_000_000, 'keepAliveEveryUs', 'a positive integer below ttlS');
  check(Number.isSafeInteger(o.maxLive) && o.maxLive > 0, 'maxLive', 'a positive integer');
}

interface HeldLease {
  readonly id: number;
  readonly keep: boolean;
  readonly revoke: boolean;
  /** Past this (local µs) a lease nobody keeps alive is taken as expired; Infinity while kept. */
  readonly expiresUs: number;
}

export interface LeaseStats {
  readonly grants: number;
  readonly revokes: number;
  readonly leasedPuts: number;
  readonly keepAlives: number;
}

/** What a leased client does next instead of (or to) its drawn kv operation. */
export type LeaseChoice = { readonly kind: 'lease'; readonly call: KvCall } | { readonly kind: 'kv' };

/** One client's leases: which it holds, which call comes next, what to keep alive. */
export class LeaseHolder {
  private readonly held: HeldLease[] = [];
  private counts = { grants: 0, revokes: 0, leasedPuts: 0, keepAlives: 0 };

  constructor(
    private readonly o: LeaseWorkloadOptions,
    private readonly r: Random,
  ) {}

  /** Before a kv operation is drawn: a lease call, or the kv operation. */
  choose(nowUs: Micros): LeaseChoice {
    this.prune(nowUs);
    if (!this.r.chance(this.o.opShare)) return { kind: 'kv' };
    const revocable = this.held.find((l) => l.revoke);
    const full = this.held.length >= this.o.maxLive;
    if (revocable !== undefined && (full || this.r.chance(0.5))) {
      // Forget it now: no more puts or keepalives on a lease being revoked.
      this.held.splice(this.held.indexOf(revocable), 1);
      this.counts.revokes++;
      return { kind: 'lease', call: { method: 'lease-revoke', request: { id: revocable.id } } };
    }
    if (full) return { kind: 'kv' };
    this.counts.grants++;
    return { kind: 'lease', call: { method: 'lease-grant', request: { ttlS: this.o.ttlS } } };
  }

  /** A put of the mix, attached to a live lease with probability `putShare`. */
  attach(call: KvCall, nowUs: Micros): KvCall {
    if (call.method !== 'put') return call;
    this.prune(nowUs);
    if (this.held.length === 0 || !this.r.chance(this.o.putShare)) return call;
    const lease = this.r.pick(this.held);
    this.counts.leasedPuts++;
    return { method: 'put', request: { ...call.request, lease: lease.id } };
  }

  /** A grant returned ok with lease `id` of `ttlS` (as granted): draw its fate and hold it. */
  granted(id: number, ttlS: number, nowUs: Micros): void {
    assert(Number.isSafeInteger(id) && id !== 0, () => `lease workload: granted lease id ${id}`);
    const keep = this.r.chance(this.o.keepAliveShare);
    const revoke = this.r.chance(this.o.revokeShare);
    this.held.push({ id, keep, revoke, expiresUs: keep ? Infinity : nowUs + ttlS * 1_000_000 });
  }

  /** The leases to keep alive now. */
  keptAlive(): readonly number[] {
    const ids = this.held.filter((l) => l.keep).map((l) => l.id);
    this.counts.keepAlives += ids.length;
    return ids;
  }

  /** A keepalive said the lease is gone (TTL ≤ 0 or LeaseNotFound): stop using it. */
  gone(id: number): void {
    const i = this.held.findIndex((l) => l.id === id);
    if (i >= 0) this.held.splice(i, 1);
  }

  stats(): LeaseStats {
    return { ...this.counts };
  }

  /** Leases nobody keeps alive are dropped once their TTL has passed (locally: a guess, which is fine). */
  private prune(nowUs: Micros): void {
    for (let i = this.held.length - 1; i >= 0; i--) if ((this.held[i] as HeldLease).expiresUs <= nowUs) this.held.splice(i, 1);
  }
}
