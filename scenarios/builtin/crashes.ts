/**
 * Built-ins about crashes: of the leader, of everyone in turn, at etcd's failpoints, and without fsync.
 */
import type { BuiltinScenario } from './builtin.js';

export const leaderCrash: BuiltinScenario = {
  name: 'leader-crash',
  summary: 'the leader crashes under writes and restarts from its disk',
  description:
    'The leader crashes under write load and restarts 2 s later from its disk. Writes in flight at the ' +
    'crash end unknown — they may or may not have committed — and the linearizability check must find ' +
    'an order that explains whichever happened. The others elect a new leader after an election ' +
    'timeout; the old one rejoins as a follower and catches up. Look at the unavailability window in ' +
    'the metrics and the unknown (grey) operations on the timeline.',
  expect: 'pass',
  scenario: () => ({
    durationMs: 10_000,
    faults: [{ type: 'crash', at: 3_000, node: 'leader', for: 2_000 }],
  }),
};

export const rollingRestarts: BuiltinScenario = {
  name: 'rolling-restarts',
  summary: 'every member crashes and restarts in turn',
  description:
    'Every member is crashed and restarted in turn, one every 2 s, as an upgrade would do. A quorum ' +
    'is up throughout, so the cluster stays available apart from the elections when the leader goes; ' +
    'each restarted member recovers from its snapshot and WAL and catches up.',
  expect: 'pass',
  scenario: () => ({
    durationMs: 12_000,
    faults: [
      { type: 'crash', at: 2_000, node: 1, for: 1_000 },
      { type: 'crash', at: 4_000, node: 2, for: 1_000 },
      { type: 'crash', at: 6_000, node: 3, for: 1_000 },
      { type: 'crash', at: 8_000, node: 'leader', for: 1_000 },
    ],
  }),
};

export const noFsyncCrash: BuiltinScenario = {
  name: 'no-fsync-crash',
  summary: 'without fsync, a power cut of the whole cluster loses acknowledged writes',
  description:
    'With etcd\'s --unsafe-no-fsync the WAL is never fsynced: a write is acknowledged once a quorum ' +
    'has it in the page cache. Here the power fails on every member at the same instant, 3 s into ' +
    'the run: what no member had flushed is gone — entries, terms and votes — and the cluster that ' +
    'comes back has forgotten writes it acknowledged (the lostAckedWrites metric; the online ' +
    'invariants see the forgotten votes and entries: two leaders of one term, or one index applied twice). With --set cluster.unsafeNoFsync=false the same power cut ' +
    'loses nothing that was acknowledged: every member fsyncs before it answers.',
  expect: 'fail',
  scenario: () => ({
    durationMs: 8_000,
    cluster: { unsafeNoFsync: true },
    faults: [
      { type: 'crash', at: 3_000, node: 1, for: 1_000 },
      { type: 'crash', at: 3_000, node: 2, for: 1_000 },
      { type: 'crash', at: 3_000, node: 3, for: 1_000 },
    ],
  }),
};

export const singleNodeRestartStaleRead: BuiltinScenario = {
  name: 'single-node-restart-stale-read',
  summary: 'a one-member cluster restarts and answers a linearizable read from before the crash',
  description:
    'Found by `raftsim fuzz swarm` (every failing seed was a one-member cluster that crashed). A lone ' +
    'member acknowledges a write once it has applied it; the hard state that records the new commit ' +
    'index is written in the same step but not fsynced (a commit-only change need not be). Killed right ' +
    'after applying, it restarts with the older commit index. etcd-raft answers a lone leader\'s ' +
    'ReadIndex at once with its commit index — without first committing an entry of its own term, as ' +
    'a leader of several members must — so a read served between the restart and that first commit ' +
    'sees the state before writes it had acknowledged. The same crashes in a 3-member cluster pass ' +
    '(--set cluster.size=3). The fix proposed upstream, etcd-io/raft pull request #105 (open), answers ' +
    'with the highest index the leader knows to be committed — for one voter, the end of the log it ' +
    'recovered, which holds every write it acknowledged — so the read waits until the new term\'s first ' +
    'entry is applied: --set cluster.singletonReadIndexActuallyCommitted=true makes the run pass.',
  expect: 'fail',
  scenario: () => ({
    durationMs: 10_000,
    cluster: { size: 1 },
    workload: { clients: 4, keys: 2, ratePerS: 200, mix: { get: 50, put: 50, delete: 0, txn: 0, range: 0, watch: 0 } },
    faults: [
      { type: 'crash-point', at: 2_000, node: 1, point: 'raftAfterApply', for: 300 },
      { type: 'crash-point', at: 4_500, node: 1, point: 'raftAfterApply', for: 300 },
      { type: 'crash-point', at: 7_000, node: 1, point: 'raftAfterApply', for: 300 },
    ],
  }),
};
