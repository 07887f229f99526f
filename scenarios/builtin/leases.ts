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
