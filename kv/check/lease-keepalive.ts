/**
 * The lease keepalive check (etcd #12528 / #15247, fixed by PR #16822): a lease that the cluster
 * promised to keep must not be revoked by expiry before the promise runs out.
 *
 * Inputs, all in true virtual µs (observers' time, never a host's clock):
 * - every *successful* keepalive a workload client made: the lease, the client, when it was sent
 *   (`sentUs`) and the TTL its response carried (`ttlS` > 0);
 * - every expiry: the first apply, on any member, of a revoke the leader's lessor proposed
 *   (kv/workload/lease-expiry.ts), at `atUs`.
 *
 * The rule: an expiry of lease L at A is a violation if some successful keepalive of L, sent at s
 * with TTL t, has A < s + t·(1 − driftMax).
 *
 * Why a correct cluster never breaks it. A keepalive that succeeded was renewed by a leader R
 * after it arrived there, so at a virtual time r ≥ s, and R set the lease's expiry to its local
 * clock at r plus t (kv/lease/lessor.ts `renew`; etcd's lessor, which measures TTLs on the
 * leader's clock). The revoke of an expiry is proposed only by a leader whose lessor saw the
 * expiry pass on *its* clock, then committed, then applied (A later still):
 * - R itself: its clock had to advance t local seconds past r, which at a clock rate ≤ 1 + driftMax
 *   takes ≥ t / (1 + driftMax) ≥ t·(1 − driftMax) of virtual time;
 * - a leader L2 of a later term: it promoted its lessor after R's renewal round (R confirmed its
 *   leadership with a quorum after the keepalive arrived, and L2's voters had not voted yet), and
 *   promotion refreshes every lease to its full TTL plus an election timeout — later still;
 * - a revoke an earlier leader had proposed before the renewal: a keepalive sent to the leader
 *   renews after a ReadIndex round and the apply of what is committed (PR #13690/#13932), and a
 *   revoke that commits only under a later leader commits with that leader's first entry, before
 *   its ReadIndex can complete — a renewal waiting on a lease past expiry answers LeaseNotFound.
 *   A keepalive *forwarded* by a follower is served as etcd's leasehttp handler does, after the
 *   apply of what is committed *now*, with no ReadIndex round; but a re-elected leader promotes its
 *   lessor only when it applies its term's empty entry (etcd applyEntryNormal), so the revokes of
 *   its previous term are applied before it can renew anything (raftsim promoted at the election
 *   until docs/findings/lease-renewed-before-old-revoke.json seed 57 and swarm seed 630 showed it);
 * - a leader R deposed without knowing it (its raft loop blocked): with PR #16822 it asks raft
 *   whether it still leads before proposing, and a revoke it appended at its old term is truncated.
 *   Without PR #16822 its revoke is forwarded to the new leader and commits: this check's catch.
 *
 * Clock faults. A clock that drifts (`clocks.driftMax` > 0) legitimately shortens a TTL in virtual
 * time, by at most the factor above. A clock fault (a rate change or a step) can shorten it by
 * anything: a pair (keepalive, expiry) is not judged when any clock fault was active at any instant
 * between the send and the expiry — on any member, since the renewing and revoking leaders are not
 * known here.
 */
import type { Micros } from '../../sim/time.js';
import { US_PER_S } from '../../sim/time.js';
import { assert } from '../../sim/assert.js';

/** One keepalive that returned ok with a positive TTL. */
export interface KeepAliveGrant {
  readonly lease: number;
  /** The history process of the client that sent it. */
  readonly client: number;
  readonly sentUs: Micros;
  /** When its answer arrived (for the lease expiry check's late bound). */
  readonly returnUs?: Micros;
  readonly ttlS: number;
}

/** The first apply anywhere of a lease's expiry revoke. */
export interface LeaseExpiry {
  readonly lease: number;
  readonly atUs: Micros;
}

/** A window of virtual time in which some clock fault was active; `toUs` may be Infinity. */
export interface ClockFaultWindow {
  readonly fromUs: Micros;
  readonly toUs: Micros;
}

export interface KeepAliveCheckOptions {
  /** The scenario's `clocks.driftMax`: every clock's rate is within 1 ± driftMax. */
  readonly driftMax: number;
  readonly clockFaults: readonly ClockFaultWindow[];
}

export interface KeepAliveViolation {
  readonly lease: number;
  readonly client: number;
  readonly sentUs: Micros;
  readonly ttlS: number;
  /** Until when the keepalive promised the lease would live (scaled for drift). */
  readonly untilUs: Micros;
  readonly expiredUs: Micros;
}

export interface KeepAliveCheckResult {
  readonly violations: readonly KeepAliveViolation[];
  /** Expiries of a lease some client kept alive, judged against at least one keepalive. */
  readonly judged: number;
  /** Pairs not judged because a clock fault overlapped them. */
  readonly skippedClockFault: number;
}

export function checkLeaseKeepalives(grants: readonly KeepAliveGrant[], expiries: readonly LeaseExpiry[], o: KeepAliveCheckOptions): KeepAliveCheckResult {
  assert(o.driftMax >= 0 && o.driftMax < 1, () => `lease keepalive check: driftMax ${o.driftMax} outside [0, 1)`);
  const byLease = new Map<number, KeepAliveGrant[]>();
  for (const g of grants) {
    assert(g.ttlS > 0, () => `lease keepalive check: a keepalive of lease ${g.lease} with TTL ${g.ttlS} is not a grant`);
    const list = byLease.get(g.lease) ?? [];
    list.push(g);
    byLease.set(g.lease, list);
  }
  const violations: KeepAliveViolation[] = [];
  let judged = 0;
  let skippedClockFault = 0;
  for (const e of expiries) {
    let counted = false;
    for (const g of byLease.get(e.lease) ?? []) {
      const lo = Math.min(g.sentUs, e.atUs);
      const hi = Math.max(g.sentUs, e.atUs);
      if (o.clockFaults.some((w) => w.fromUs <= hi && w.toUs >= lo)) {
        skippedClockFault++;
        continue;
      }
      if (!counted) judged++;
      counted = true;
      const untilUs = g.sentUs + Math.floor(g.ttlS * US_PER_S * (1 - o.driftMax));
      if (e.atUs < untilUs) violations.push({ lease: e.lease, client: g.client, sentUs: g.sentUs, ttlS: g.ttlS, untilUs, expiredUs: e.atUs });
    }
  }
  violations.sort((a, b) => a.expiredUs - b.expiredUs || a.lease - b.lease || a.sentUs - b.sentUs);
  return { violations, judged, skippedClockFault };
}

/** "lease 7 of c1 was revoked by expiry at 6.120 s, but a keepalive sent at 5.900 s had granted it 2 s (until 7.900 s)". */
export function describeKeepAliveViolation(v: KeepAliveViolation): string {
  const s = (us: Micros): string => `${(us / US_PER_S).toFixed(3)} s`;
  return `lease ${v.lease} of c${v.client} was revoked by expiry at ${s(v.expiredUs)}, but a keepalive sent at ${s(v.sentUs)} had granted it ${v.ttlS} s (until ${s(v.untilUs)})`;
}
