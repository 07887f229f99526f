/**
 * Built-ins about the cluster's own operations: snapshots for a lagging member, moving leadership,
 * changing membership, and crashing at each of etcd's failpoints.
 */
import { CRASH_POINTS, type CrashPoint } from '../../raft/node/crash-points.js';
import { SNAPSHOT_RECEIPT_POINTS } from '../../raft/node/crash-scenario.js';
import type { Fault } from '../schema.js';
import type { BuiltinScenario } from './builtin.js';

export const snapshotCatchUp: BuiltinScenario = {
  name: 'snapshot-catch-up',
  summary: 'a lagging follower catches up by snapshot after log compaction',
  description:
    'A follower is cut off for 5 s under steady writes (eight clients, so those stuck on the cut-off ' +
    'member do not stop the others) while the others snapshot every 30 entries and keep only 10 ' +
    'behind it: they snapshot during the partition, so the log the follower would need is gone. On ' +
    'heal the leader sends a snapshot (MsgSnap) over the pipeline channel instead; the follower ' +
    'installs it, then follows the log. Watchers are spread over the members: the one on that member ' +
    'must see no event twice and none missing across the restore (etcd #15271, #8411).',
  expect: 'pass',
  scenario: () => ({
    durationMs: 12_000,
    cluster: { snapshotCount: 30, snapshotCatchUpEntries: 10 },
    workload: { clients: 8, ratePerS: 150, watchers: 3, watchersSpread: true },
    faults: [{ type: 'isolate', at: 2_000, node: 'follower', for: 5_000 }],
  }),
};

export const leaderTransfer: BuiltinScenario = {
  name: 'leader-transfer',
  summary: 'leadership is handed over on purpose',
  description:
    'Leadership is handed over on purpose twice (etcd\'s MoveLeader): the leader brings the target up ' +
    'to date, tells it to campaign at once (MsgTimeoutNow, skipping PreVote and the lease), and ' +
    'refuses proposals meanwhile. The switch costs a round trip, not an election timeout; compare the ' +
    'unavailability window with leader-crash.',
  expect: 'pass',
  scenario: () => ({
    durationMs: 10_000,
    faults: [
      { type: 'transfer-leader', at: 3_000, to: 'follower' },
      { type: 'transfer-leader', at: 6_000, to: 'follower' },
    ],
  }),
};

export const membershipChange: BuiltinScenario = {
  name: 'membership-change',
  summary: 'a member is added, then the leader removes itself',
  description:
    'The cluster changes shape under load through etcd\'s Cluster API, one member at a time as etcd ' +
    'does (ConfChange V1). At 2 s MemberAdd is refused ErrUnhealthy: etcd\'s strict reconfiguration ' +
    'check counts a peer only once it has been connected for 5 s. At 6 s member 4 is added, starts ' +
    'empty and catches up from the leader by snapshot (the log it would need is compacted); at 9 s ' +
    'the current leader removes itself and steps down, and the four-member cluster elects a new ' +
    'leader among the rest. Quorum sizes change with the configuration, which is applied when the ' +
    'entry is applied, not when it is appended.',
  expect: 'pass',
  scenario: () => ({
    durationMs: 14_000,
    cluster: { spares: 1, snapshotCount: 100, snapshotCatchUpEntries: 20 },
    workload: { ratePerS: 150 },
    faults: [
      { type: 'add-member', at: 2_000, node: 4 },
      { type: 'add-member', at: 6_000, node: 4 },
      { type: 'remove-member', at: 9_000, node: 'leader' },
    ],
  }),
};

export const learnerPromote: BuiltinScenario = {
  name: 'learner-promote',
  summary: 'a learner is added, promoted once it has caught up, then a member is removed',
  description:
    'The safe way to grow a cluster (etcd ≥ 3.4): MemberAddAsLearner adds member 4 as a learner, which ' +
    'receives the log but does not vote, so it cannot cost the cluster its quorum while it is behind. ' +
    'It starts empty and catches up by snapshot. A MemberPromote 20 ms after the add is refused ' +
    '(ErrLearnerNotReady: etcd promotes only a learner whose match index is 90 % of the leader\'s); ' +
    'the one at 7 s succeeds and member 4 votes from then on. At 8 s member 1 is removed (MemberRemove; ' +
    'if it leads it steps down), and re-adding it at 11 s is refused: a removed id never comes back ' +
    '(ErrIDRemoved).',
  expect: 'pass',
  scenario: () => ({
    durationMs: 13_000,
    cluster: { spares: 1, snapshotCount: 100, snapshotCatchUpEntries: 20 },
    workload: { ratePerS: 150 },
    faults: [
      { type: 'add-member', at: 5_500, node: 4, learner: true },
      { type: 'promote-member', at: 5_520, node: 4 },
      { type: 'promote-member', at: 7_000, node: 4 },
      { type: 'remove-member', at: 8_000, node: 1 },
      { type: 'add-member', at: 11_000, node: 1 },
    ],
  }),
};

export const crashPoints: BuiltinScenario = {
  name: 'crash-points',
  summary: 'a member is killed at every crash point of the raft node',
  description:
    'A member is killed at each of the raft node\'s named crash points in turn — the failpoints etcd\'s ' +
    'robustness suite uses (raftBeforeSave, raftAfterSave, raftAfterWALRelease, …) — and restarted ' +
    '500 ms later, while writes go on. Each point is armed on a member in the role that passes it ' +
    '(raftBeforeLeaderSend on the leader, raftBeforeFollowerSend and the snapshot-receipt points on a ' +
    'follower, the rest alternately); the five snapshot-receipt points fire only if that follower is ' +
    'sent a snapshot, which this schedule does not force (raft/node\'s crash-point tests do, and the ' +
    'swarm draws them). Whatever the point, a restart must lose only work that was never ' +
    'acknowledged: the online invariants and the linearizability check hold across all of them. ' +
    'Snapshots are taken every 50 entries so that the snapshot points are reached.',
  expect: 'pass',
  scenario: () => ({
    durationMs: 2_500 + CRASH_POINTS.reduce((t, p) => t + gapAfter(p), 0),
    cluster: { snapshotCount: 50, snapshotCatchUpEntries: 10 },
    faults: CRASH_POINTS.map((point, i): Fault => ({ type: 'crash-point', at: 2_000 + CRASH_POINTS.slice(0, i).reduce((t, p) => t + gapAfter(p), 0), node: roleFor(point, i), point, for: 500 })),
  }),
};

/** Time to the next arming: 1 s, or 3 s after a point that waits for the member's next snapshot. */
function gapAfter(point: CrashPoint): number {
  return point.startsWith('snapshot') ? 3_000 : 1_000;
}

/**
 * Who is armed for `point`: the leader's and the follower's own points by role; the points of a
 * member snapshotting itself (any member does, every 50 entries) on members 1, 2, 3, 1 in turn, so
 * that no arming replaces one still waiting for the next snapshot; the rest alternately.
 */
function roleFor(point: CrashPoint, i: number): 'leader' | 'follower' | number {
  if (point === 'raftBeforeLeaderSend') return 'leader';
  if (point.startsWith('snapshot')) return 1 + ((CRASH_POINTS as readonly string[]).filter((p) => p.startsWith('snapshot')).indexOf(point) % 3);
  if (point === 'raftBeforeFollowerSend' || SNAPSHOT_RECEIPT_POINTS.includes(point)) return 'follower';
  return i % 2 === 0 ? 'leader' : 'follower';
}
