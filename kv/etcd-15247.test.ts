/**
 * etcd #12528 / #15247 ("All leases are revoked when the leader is stuck in handling raft Ready"),
 * fixed by PR #16822, on real members, as the server option `leaseRevokeIgnoresOldLeader`.
 *
 * The mechanism. The leader L1's disk stalls: its Ready loop waits in an fsync for longer than an
 * election timeout. Raft's own loop keeps receiving (raft/node: between the steps of a Ready the
 * node still steps messages and proposals), so when the others elect L2, L1's raft hears of the
 * new term and follows L2 — but the server learns its role only from the next Ready, so its
 * lessor still believes it is primary. Clients keep their lease alive through the followers, which
 * forward to L2; L1's lessor, which renewed nothing since the stall, finds the lease expired and
 * proposes a revoke. Without PR #16822 the server trusts its cached role: its raft, a follower now,
 * forwards the proposal to L2 when the stall ends, and L2 commits it — the lease dies while the
 * keepalives say it lives. With the fix the server asks raft, which says follower: no revoke.
 *
 * The stall is sim/disk's `stall` on L1's disk (every fsync issued before its end returns then),
 * the same as the scenario layer's `disk-stall` fault that the etcd-15247 built-in uses.
 */
import { describe, expect, it } from 'vitest';
import type { CallOutcome } from './client/client.js';
import { createTestCluster } from './testing/cluster-harness.js';
import { raftNodeBuilder } from './member.js';
import type { HostId } from '../sim/host.js';
import { checkLeaseKeepalives, describeKeepAliveViolation, type KeepAliveGrant, type LeaseExpiry } from './check/lease-keepalive.js';

const TTL_S = 5;
const STALL_US = 8_000_000;
const KEEPALIVE_EVERY_US = 500_000;

interface Outcome {
  readonly grants: readonly KeepAliveGrant[];
  readonly expiry: LeaseExpiry | null;
  /** Who proposed the applied revoke (null: none applied). */
  readonly proposer: number | null;
  readonly l1: HostId;
}

function runSchedule(guard: boolean, seed: string): Outcome {
  const c = createTestCluster({
    members: 3,
    node: (env) => raftNodeBuilder(env, 'readindex', { peers: env.memberIds }),
    server: { leaseRevokeIgnoresOldLeader: guard },
    seed,
    keepTrace: false,
  });
  expect(c.runUntil(() => c.leader() !== undefined, 10_000_000)).toBe(true);
  c.run(500_000);
  const l1 = (c.leader() as { id: HostId }).id;
  const followers = c.memberIds.filter((id) => id !== l1);
  // Clients keep their lease alive through the followers (which forward to the leader).
  const client = c.addClient({ endpoints: followers, callTimeoutUs: 3_000_000 });
  let grant: CallOutcome<'lease-grant'> | undefined;
  client.call('lease-grant', { ttlS: TTL_S }, (o) => (grant = o));
  expect(c.runUntil(() => grant !== undefined, 5_000_000)).toBe(true);
  expect(grant?.status).toBe('ok');
  const id = grant?.status === 'ok' ? grant.response.id : 0;
  const grants: KeepAliveGrant[] = [];
  const keepAlive = (): void => {
    const sentUs = c.scheduler.now;
    client.call('lease-keepalive', { id }, (o) => {
      if (o.status === 'ok' && o.response.ttlS > 0) grants.push({ lease: id, client: 0, sentUs, ttlS: o.response.ttlS });
    }, { record: false });
  };
  for (let i = 0; i < 4; i++) {
    keepAlive();
    c.run(KEEPALIVE_EVERY_US);
  }
  // L1's disk stalls for longer than an election timeout and the lease's TTL.
  c.disks.of(l1).stall(c.scheduler.now + STALL_US);
  // A write, so that L1 has something to fsync (an idle leader's heartbeats write nothing).
  c.addClient({ endpoints: [l1], callTimeoutUs: 3_000_000 }).call('put', { key: 'k', value: 'v' }, () => undefined);
  for (let i = 0; i < 30; i++) {
    keepAlive();
    c.run(KEEPALIVE_EVERY_US);
  }
  let expiry: LeaseExpiry | null = null;
  let proposer: number | null = null;
  for (const m of c.liveMembers()) {
    for (const w of m.appliedWrites()) {
      if (w.kind !== 'lease-revoke' || !w.ok) continue;
      if (expiry === null || w.atUs < expiry.atUs) {
        expiry = { lease: id, atUs: w.atUs };
        proposer = w.proposer;
      }
    }
  }
  return { grants, expiry, proposer, l1 };
}

function violations(o: Outcome): string[] {
  return checkLeaseKeepalives(o.grants, o.expiry === null ? [] : [o.expiry], { driftMax: 0, clockFaults: [] }).violations.map(describeKeepAliveViolation);
}

describe('etcd #15247 on real members (leaseRevokeIgnoresOldLeader)', () => {
  for (const seed of ['15247', '12528']) {
    it(`seed ${seed}: without PR #16822 the stalled old leader's revoke commits while the lease is kept alive; with it, no revoke`, () => {
      const bug = runSchedule(false, seed);
      expect(bug.grants.length).toBeGreaterThan(10);
      expect(bug.proposer).toBe(bug.l1);
      expect(violations(bug).length, JSON.stringify(bug.expiry)).toBeGreaterThan(0);
      const fixed = runSchedule(true, seed);
      expect(fixed.grants.length).toBeGreaterThan(10);
      expect(fixed.expiry).toBeNull();
      expect(violations(fixed)).toEqual([]);
    });
  }
});
