/**
 * Built-ins about reads: what each read mode promises when the leader is cut off, paused, or its
 * clock lies. Their defaults use the unsafe mode, so a run shows the anomaly; the description says
 * which setting makes the same run pass.
 */
import type { BuiltinScenario } from './builtin.js';

/** Read-heavy traffic on few keys, so that a stale read has a recent write to miss. */
const READ_HEAVY = { clients: 4, keys: 3, mix: { get: 60, put: 35, delete: 0, txn: 5, range: 0, watch: 0 }, ratePerS: 100 } as const;

export const leaderIsolationStaleRead: BuiltinScenario = {
  name: 'leader-isolation-stale-read',
  summary: 'an isolated leader without CheckQuorum serves stale leader-local reads',
  description:
    'The leader is cut off from the other members (clients still reach it) while it serves reads ' +
    'leader-local: from its own state, without asking a quorum whether it still leads. The majority ' +
    'elects a new leader and acknowledges new writes; the old leader, not knowing, answers reads with ' +
    'values those writes replaced — a stale read, which the linearizability check reports with the ' +
    'write it missed. CheckQuorum is off here, as in a raft without it, so the old leader never steps ' +
    'down by itself. --set readMode=readindex makes the same run pass: a ReadIndex read needs a ' +
    'quorum\'s heartbeat answers, which the isolated leader cannot get.',
  expect: 'fail',
  scenario: () => ({
    durationMs: 10_000,
    readMode: 'leader-local',
    cluster: { checkQuorum: false },
    workload: READ_HEAVY,
    faults: [{ type: 'isolate', at: 2_000, node: 'leader', for: 5_000 }],
  }),
};

export const leaderPauseStaleRead: BuiltinScenario = {
  name: 'leader-pause-stale-read',
  summary: 'a paused leader wakes up still leading and serves stale reads',
  description:
    'The leader process is paused (SIGSTOP) for 3 s — a GC pause, a stalled VM — and its network to ' +
    'the other members stays cut for 1.5 s after it resumes (clients still reach it). The others elect ' +
    'a new leader and acknowledge writes meanwhile. The old leader wakes up believing it still leads: ' +
    'while paused it counted nothing, so CheckQuorum gives it a whole election timeout more before it ' +
    'steps down, and leader-local reads served in that time return values the new writes replaced. The ' +
    'class of etcd #20418 (stale reads after a process pause); --set readMode=readindex passes — a ' +
    'ReadIndex read must first hear from a quorum at the current term.',
  expect: 'fail',
  scenario: () => ({
    durationMs: 10_000,
    readMode: 'leader-local',
    workload: READ_HEAVY,
    faults: [
      { type: 'pause', at: 2_000, node: 'leader', for: 3_000 },
      { type: 'isolate', at: 2_000, node: 'leader', for: 4_500 },
    ],
  }),
};

export const leaseReadClockDrift: BuiltinScenario = {
  name: 'lease-read-clock-drift',
  summary: 'lease reads on a leader whose clock runs slow go stale',
  description:
    'Lease-based reads trust time: a leader that heard a quorum less than an election timeout ago ' +
    'answers reads without a round trip, because no other leader can have been elected since. That ' +
    'holds only if clocks run at the same rate. Here the leader\'s clock runs at half speed and then ' +
    'the leader is cut off: by its slow clock its lease is still valid, while the others\' clocks have ' +
    'long passed the election timeout and a new leader has acknowledged writes. The old leader serves ' +
    'stale reads. --set readMode=readindex passes.',
  expect: 'fail',
  scenario: () => ({
    durationMs: 10_000,
    readMode: 'lease',
    workload: READ_HEAVY,
    faults: [
      { type: 'clock', at: 1_500, node: 'leader', rate: 0.4 },
      { type: 'isolate', at: 2_000, node: 'leader', for: 5_000 },
    ],
  }),
};

export const readModes: BuiltinScenario = {
  name: 'read-modes',
  summary: 'the leader is cut off, later paused, under read load (the readindex experiment)',
  description:
    'The scenario of `raftsim experiment readindex`, under read-heavy traffic and with CheckQuorum on ' +
    'as etcd runs it. First the leader is cut off from the other members for 4 s (clients still reach ' +
    'it); later the leader of the moment is paused for 3 s and stays cut off 1.5 s after it resumes. ' +
    'The first fault sets the first leader\'s clock rate — 1, a correct clock, unless an experiment arm ' +
    'sets `faults[0].rate` lower. Run it with each --set readMode=…: readindex stays linearizable; a ' +
    'leader-local or lease read can be answered by a deposed leader that has not noticed yet — briefly ' +
    'after the cut (CheckQuorum), longer when its clock runs slow (lease), and a whole election timeout ' +
    'after a pause, which no clock check can see.',
  expect: 'pass',
  scenario: () => ({
    durationMs: 14_000,
    readMode: 'readindex',
    workload: READ_HEAVY,
    faults: [
      { type: 'clock', at: 1_500, node: 'leader', rate: 1 },
      { type: 'isolate', at: 2_000, node: 'leader', for: 4_000 },
      { type: 'pause', at: 8_000, node: 'leader', for: 3_000 },
      { type: 'isolate', at: 8_000, node: 'leader', for: 4_500 },
    ],
  }),
};
