/**
 * Built-ins about leases: grants, leased puts, keepalives, revokes and expiries under leader churn.
 */
import type { BuiltinScenario } from './builtin.js';

export const leaseChurn: BuiltinScenario = {
  name: 'lease-churn',
  summary: 'clients grant, use, keep alive, revoke and let leases expire while leaders crash and get cut off',
  description:
    'Every client grants 2 s leases, attaches half of its puts to them, keeps some alive, revokes some ' +
    'and lets the rest expire, while the nemesis crashes members, cuts them off and hands leadership ' +
    'over. Only the leader expires leases, by proposing a revoke through raft; a new leader first ' +
    'refreshes every lease to its full TTL (etcd #9395), so each leader change pushes expiries back — ' +
    'look at the unknown lease-revoke operations of the last process on the timeline: each is an ' +
    'expiry the runner saw applied, recorded so the linearizability check can explain the keys that ' +
    'vanished with it. Without those records the same history has phantom deletes.',
  expect: 'pass',
  scenario: () => ({
    durationMs: 12_000,
    workload: {
      clients: 3,
      keys: 16,
      ratePerS: 120,
      mix: { get: 30, range: 10, put: 45, delete: 5, txn: 10, watch: 0 },
      leases: { clients: 3, ttlS: 2, opShare: 0.2, putShare: 0.5, keepAliveShare: 0.4, revokeShare: 0.4, keepAliveEveryMs: 500, maxLive: 3 },
    },
    faults: [{ type: 'crash', at: 4_000, node: 'leader', for: 1_500 }],
    nemesis: { intervalMs: 1_500, faultMs: 1_200, startMs: 1_000, endMs: 11_000, kinds: { partition: 2, crash: 1, 'transfer-leader': 1, pause: 1 } },
  }),
};

/**
 * etcd #12528 / #15247 with PR #16822 off, at fixed times: 6 s in, the leader's disk stalls for
 * 8 s (a `disk-stall` fault: its fsyncs return only when the stall ends) — longer than an election
 * timeout and than a lease's 2 s TTL. kv/etcd-15247.test.ts replays the same mechanism on a bare
 * cluster; here it runs under the lease workload and the lease keepalive check.
 */
const STALL_AT_MS = 6_000;
const STALL_MS = 8_000;

export const etcd15247: BuiltinScenario = {
  name: 'etcd-15247',
  summary: 'etcd #15247: a leader stuck in a slow fsync revokes leases that clients keep alive on the new leader',
  description:
    'etcd #12528 and #15247 ("All leases are revoked when the leader is stuck in handling raft Ready"), ' +
    'fixed in PR #16822 ("Ignore old leader\'s leases revoking request"); here ' +
    '`server.leaseRevokeIgnoresOldLeader` is off, as etcd was before the fix. Three clients keep every ' +
    'lease they grant alive (2 s TTL, a keepalive every 500 ms) while writing. At 6 s the leader\'s disk ' +
    'stalls for 8 s (a disk-stall fault): its Ready loop waits in the fsync longer than an election ' +
    'timeout, the others elect a new leader, and the old one\'s raft hears of the new term and follows ' +
    'it, but its server learns its role only from the next Ready — so its lessor still believes it is ' +
    'primary. It renewed nothing since the stall began (the keepalives now reach the new leader), finds ' +
    'the leases expired and proposes revokes; its raft, a follower now, forwards them to the new leader ' +
    'when the fsync returns at 14 s, and they commit. The lease keepalive check (reported under ' +
    'invariants) names a lease revoked by expiry while a keepalive sent moments before had granted it ' +
    '2 s more: in every one of seeds 1–50. --set server.leaseRevokeIgnoresOldLeader=true (etcd\'s fix: ' +
    'ask raft itself whether this member still leads before revoking) passes in every one of seeds 1–200.',
  expect: 'fail',
  scenario: () => ({
    durationMs: 20_000,
    server: { leaseRevokeIgnoresOldLeader: false },
    workload: {
      clients: 3,
      keys: 8,
      ratePerS: 100,
      watchers: 0,
      leases: { clients: 3, ttlS: 2, opShare: 0.1, putShare: 0.5, keepAliveShare: 1, revokeShare: 0, keepAliveEveryMs: 500, maxLive: 2 },
    },
    faults: [{ type: 'disk-stall', at: STALL_AT_MS, node: 'leader', for: STALL_MS }],
  }),
};

/**
 * Lease checkpoints (etcd PR #9924, #13508): long leases nobody keeps alive, leadership moved
 * three times, and a member restarted from its backend before it leads.
 */
export const leaseCheckpoint: BuiltinScenario = {
  name: 'lease-checkpoint',
  summary: 'lease checkpoints: remaining TTLs survive leader changes (and reset with checkpointing off)',
  description:
    'Two clients grant 10 s leases and attach puts to them, keeping none alive, while leadership is ' +
    'moved at 4 s, 7 s and 10 s; member 3 is restarted at 9.2 s (it keeps its state in the backend) ' +
    'and leads from 10 s. With `server.leaseCheckpoint` on, the leader writes each lease\'s remaining ' +
    'TTL into the log every 2 s (a LeaseCheckpoint entry, etcd PR #9924), and a new leader ' +
    'refreshes a lease to that remaining TTL plus an election timeout: a lease granted at 1 s still ' +
    'expires by 20 s (17–19 s in seed 1), not 10 s after the last leader change. The lease expiry ' +
    'check (under invariants) holds each expiry to the window etcd promises from the grant, the ' +
    'checkpoints in the new leader\'s applied log and each promote. --set server.leaseCheckpoint=false ' +
    'is etcd\'s default and its older rule: each leader change renews every lease in full (#9888), so ' +
    'the same leases live until 10 s after the last change — the check accepts that, it is what etcd ' +
    'promises then. --set bugs=["etcd-17132"] keeps checkpointing on but leaves the remaining TTLs ' +
    'out of the persisted state (etcd before PR #13508): the restarted member forgets them, renews ' +
    'in full once it leads, and the check names the leases that expired late.',
  expect: 'pass',
  scenario: () => ({
    durationMs: 30_000,
    server: { leaseCheckpoint: true, leaseCheckpointIntervalMs: 2_000, backend: true },
    workload: {
      clients: 2,
      keys: 16,
      ratePerS: 40,
      watchers: 0,
      leases: { clients: 2, ttlS: 10, opShare: 0.15, putShare: 0.5, keepAliveShare: 0, revokeShare: 0, keepAliveEveryMs: 1_000, maxLive: 3 },
    },
    faults: [
      { type: 'transfer-leader', at: 4_000, to: 2 },
      { type: 'transfer-leader', at: 7_000, to: 1 },
      { type: 'crash', at: 9_200, node: 3, for: 300 },
      { type: 'transfer-leader', at: 10_000, to: 3 },
    ],
  }),
};
