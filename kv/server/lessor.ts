/**
 * The server's lessor (etcd server/lease/lessor.go), as the server uses it: the replicated lease
 * table (grant, revoke, which keys each lease holds) plus the primary-only expiry clock.
 *
 * Replicated part — changed only by applied entries, identical on every member, in the snapshot:
 * leases {id, ttlS} and their attached keys (followed from the MVCC store's write events: a put
 * with a lease attaches, an overwrite with another lease or a delete detaches). Revoke deletes the
 * attached keys in one revision (`MvccStore.deleteKeys`) and removes the lease.
 *
 * Primary part — local to the leader, never replicated (etcd keeps it in memory): each lease's
 * expiry on the leader's *local* clock. A follower's leases never expire (etcd: "forever");
 * `promote(now, extend)` gives every lease a full TTL + `extend` (etcd refreshes on leader change,
 * so leader churn extends leases, etcd #9395); `demote()` forgets expiries. Leases granted while
 * primary start their clock at the grant's apply. `expired(now)` lists leases past their expiry,
 * earliest first, for the server to propose revokes through raft. Checkpoints (etcd's
 * LeaseCheckpoint) are not modelled: a new leader always refreshes to the full TTL.
 */
import type { KvResult, LeaseGrantResponse, LeaseTimeToLiveResponse } from '../api.js';
import { assert } from '../../sim/assert.js';
import type { Micros } from '../../sim/time.js';
import { fail, ok } from '../mvcc/errors.js';
import type { MvccStore } from '../mvcc/store.js';
import type { LeaseKeepAliveResponse } from '../wire.js';

export interface ServerLessor {
  /** Follows `mvcc`'s writes (attachments) and deletes through it on revoke. Once, before use. */
  bind(mvcc: MvccStore): void;
  exists(id: number): boolean;
  count(): number;
  /** Ids of live leases, ascending. */
  leases(): number[];
  /** Applies a grant; TTL raised to the minimum; LeaseExist if the id is taken. */
  grant(id: number, ttlS: number, nowUs: Micros): KvResult<LeaseGrantResponse>;
  /** Applies a revoke: attached keys deleted in one revision. LeaseNotFound if absent. */
  revoke(id: number): KvResult<void>;
  /** Primary only: back to a full TTL. LeaseNotFound if absent or already past its expiry. */
  renew(id: number, nowUs: Micros): KvResult<LeaseKeepAliveResponse>;
  timeToLive(id: number, nowUs: Micros, withKeys: boolean): KvResult<LeaseTimeToLiveResponse>;
  isPrimary(): boolean;
  promote(nowUs: Micros, extendUs: Micros): void;
  demote(): void;
  /** Primary only: up to `max` leases past their expiry at `nowUs`, earliest expiry first. */
  expired(nowUs: Micros, max: number): number[];
  snapshot(): Uint8Array;
  restore(bytes: Uint8Array): KvResult<void>;
}

interface Lease {
  readonly id: number;
  readonly ttlS: number;
  readonly keys: Set<string>;
  /** Local µs on the primary; +∞ on a follower. */
  expiryUs: number;
}

/** A bound on live leases: far beyond any workload, a guard against a runaway grant loop. */
const LEASES_MAX = 1_000_000;

export function createServerLessor(minTtlS: number): ServerLessor {
  assert(Number.isInteger(minTtlS) && minTtlS > 0, () => `lessor: minimum TTL must be a positive integer, got ${minTtlS}`);
  return new Lessor(minTtlS);
}

class Lessor implements ServerLessor {
  private readonly table = new Map<number, Lease>();
  private mvcc: MvccStore | null = null;
  private primary = false;

  constructor(private readonly minTtlS: number) {}

  bind(mvcc: MvccStore): void {
    assert(this.mvcc === null, 'lessor: bound twice');
    this.mvcc = mvcc;
    mvcc.observe({
      onWrite: (_rev, events) => {
        for (const e of events) {
          const before = e.prevKv?.lease ?? 0;
          const after = e.type === 'PUT' ? e.kv.lease : 0;
          if (before === after) continue;
          if (before !== 0) this.table.get(before)?.keys.delete(e.kv.key);
          if (after !== 0) this.table.get(after)?.keys.add(e.kv.key);
        }
      },
      onRestore: () => this.reattach(),
    });
  }

  exists(id: number): boolean {
    return this.table.has(id);
  }

  count(): number {
    return this.table.size;
  }

  leases(): number[] {
    return [...this.table.keys()].sort((a, b) => a - b);
  }

  grant(id: number, ttlS: number, nowUs: Micros): KvResult<LeaseGrantResponse> {
    assert(Number.isSafeInteger(id) && id > 0, () => `lessor: grant of bad id ${id}`);
    if (this.table.has(id)) return fail('LeaseExist');
    assert(this.table.size < LEASES_MAX, () => `lessor: more than ${LEASES_MAX} leases`);
    const ttl = Math.max(ttlS, this.minTtlS);
    this.table.set(id, { id, ttlS: ttl, keys: new Set(), expiryUs: this.primary ? nowUs + ttl * 1_000_000 : Infinity });
    return ok({ id, ttlS: ttl });
  }

  revoke(id: number): KvResult<void> {
    const l = this.table.get(id);
    if (l === undefined) return fail('LeaseNotFound');
    const keys = [...l.keys].sort();
    // Remove first: the deletes' events then find no lease to detach from.
    this.table.delete(id);
    if (keys.length > 0) {
      const deleted = this.store().deleteKeys(keys);
      assert(deleted === keys.length, () => `lessor: lease ${id} held ${keys.length} live keys but ${deleted} were deleted`);
    }
    return ok(undefined);
  }

  renew(id: number, nowUs: Micros): KvResult<LeaseKeepAliveResponse> {
    assert(this.primary, 'lessor: renew on a non-primary');
    const l = this.table.get(id);
    // Past its expiry, the lease is as good as revoked (etcd waits for the revoke, then says not found).
    if (l === undefined || l.expiryUs <= nowUs) return fail('LeaseNotFound');
    l.expiryUs = nowUs + l.ttlS * 1_000_000;
    return ok({ id, ttlS: l.ttlS });
  }

  timeToLive(id: number, nowUs: Micros, withKeys: boolean): KvResult<LeaseTimeToLiveResponse> {
    const l = this.table.get(id);
    if (l === undefined) return ok({ id, ttlS: -1, grantedTtlS: 0, keys: [] });
    const remainingS = l.expiryUs === Infinity ? l.ttlS : Math.max(0, Math.ceil((l.expiryUs - nowUs) / 1_000_000));
    return ok({ id, ttlS: remainingS, grantedTtlS: l.ttlS, keys: withKeys ? [...l.keys].sort() : [] });
  }

  isPrimary(): boolean {
    return this.primary;
  }

  promote(nowUs: Micros, extendUs: Micros): void {
    this.primary = true;
    for (const l of this.table.values()) l.expiryUs = nowUs + l.ttlS * 1_000_000 + extendUs;
  }

  demote(): void {
    this.primary = false;
    for (const l of this.table.values()) l.expiryUs = Infinity;
  }

  expired(nowUs: Micros, max: number): number[] {
    if (!this.primary) return [];
    const due = [...this.table.values()].filter((l) => l.expiryUs <= nowUs);
    due.sort((a, b) => a.expiryUs - b.expiryUs || a.id - b.id);
    return due.slice(0, max).map((l) => l.id);
  }

  snapshot(): Uint8Array {
    const rows = this.leases().map((id) => [id, (this.table.get(id) as Lease).ttlS]);
    return new TextEncoder().encode(JSON.stringify(rows));
  }

  restore(bytes: Uint8Array): KvResult<void> {
    let rows: unknown;
    try {
      rows = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      return fail('Corrupt', 'lessor: snapshot does not decode');
    }
    if (!Array.isArray(rows)) return fail('Corrupt', 'lessor: snapshot is not a list');
    this.table.clear();
    for (const row of rows as [number, number][]) this.table.set(row[0], { id: row[0], ttlS: row[1], keys: new Set(), expiryUs: Infinity });
    this.reattach();
    return ok(undefined);
  }

  /** Rebuilds attachments from the live keys (after either store was restored). */
  private reattach(): void {
    if (this.mvcc === null) return;
    for (const l of this.table.values()) l.keys.clear();
    const all = this.mvcc.range({ key: '\0', rangeEnd: '\0' });
    assert(all.ok, 'lessor: full range failed');
    for (const kv of all.value.kvs) if (kv.lease !== 0) this.table.get(kv.lease)?.keys.add(kv.key);
  }

  private store(): MvccStore {
    assert(this.mvcc !== null, 'lessor: used before bind');
    return this.mvcc;
  }
}
