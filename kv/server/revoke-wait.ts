/**
 * Renewals waiting for an expired lease's revoke (etcd lessor.Renew on an expired lease): the
 * lease is past its expiry on the leader but its revoke has not been applied yet, so the renewal
 * may neither succeed (PR #20616: a renewal must never succeed on a revoked lease) nor answer
 * LeaseNotFound while the lease still exists for everyone else. It waits:
 * - the revoke is applied here (or a snapshot without the lease replaced the state): LeaseNotFound;
 * - this member stops being primary first: `notPrimary` (etcd ErrNotPrimary — the direct path then
 *   forwards to the new leader, the forwarded one answers the follower, which retries);
 * - the member stops: `stopped`.
 * A waiter whose call ended meanwhile (its request timeout) is dropped with `drop`.
 */
import { assert } from '../../sim/assert.js';
import type { PendingCall } from './pending.js';

export interface RevokeWaiter {
  readonly p: PendingCall;
  readonly leaseId: number;
  /** The revoke was applied: the lease is gone. */
  readonly revoked: () => void;
  readonly notPrimary: () => void;
  readonly stopped: () => void;
}

export class RevokeWaits {
  private readonly byLease = new Map<number, RevokeWaiter[]>();
  private count = 0;

  constructor(private readonly max: number) {
    assert(Number.isInteger(max) && max > 0, 'revoke waits: max must be a positive integer');
  }

  get size(): number {
    return this.count;
  }

  /** Queues `w`; false when full (nothing queued). */
  add(w: RevokeWaiter): boolean {
    if (this.count >= this.max) return false;
    const list = this.byLease.get(w.leaseId) ?? [];
    list.push(w);
    this.byLease.set(w.leaseId, list);
    this.count++;
    return true;
  }

  /** Lease `id` was revoked (its revoke applied, or it vanished with a snapshot). */
  revoked(id: number): void {
    const list = this.byLease.get(id);
    if (list === undefined) return;
    this.byLease.delete(id);
    this.count -= list.length;
    for (const w of list) if (!w.p.done) w.revoked();
  }

  /** Leases no longer known after a restore: their waiters hear LeaseNotFound. */
  revokedUnless(exists: (id: number) => boolean): void {
    for (const id of [...this.byLease.keys()]) if (!exists(id)) this.revoked(id);
  }

  /** This member stopped being primary. */
  demoted(): void {
    for (const w of this.takeAll()) if (!w.p.done) w.notPrimary();
  }

  stop(): void {
    for (const w of this.takeAll()) if (!w.p.done) w.stopped();
  }

  /** Forgets `p`'s waiter (its call ended). */
  drop(p: PendingCall): void {
    for (const [id, list] of this.byLease) {
      const kept = list.filter((w) => w.p !== p);
      if (kept.length === list.length) continue;
      this.count -= list.length - kept.length;
      if (kept.length === 0) this.byLease.delete(id);
      else this.byLease.set(id, kept);
    }
    assert(this.count >= 0, 'revoke waits: count below zero');
  }

  private takeAll(): RevokeWaiter[] {
    const all = [...this.byLease.values()].flat();
    this.byLease.clear();
    this.count = 0;
    return all;
  }
}
