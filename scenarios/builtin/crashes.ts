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
    'invariants see terms go backwards). With --set cluster.unsafeNoFsync=false the same power cut ' +
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
