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
  summary: 'a cut-off leader serves stale lease reads; its slow clock stretches the lease',
  description:
    'Lease-based reads trust time: the leader answers reads without a round trip, counting on ' +
    'CheckQuorum to depose it before anyone else can be elected. Here the leader\'s clock runs at ' +
    '0.4× from 1.5 s and at 2 s the leader is cut off. Two things make its reads stale, and the ' +
    'run\'s metrics say which (staleReadSlowClock, staleReadCutOff): the slow clock counts the ' +
    'election timeout 2.5× too slowly, so the old leader goes on serving reads seconds after the ' +
    'others elected a new leader and acknowledged writes (the stale reads around 5 s); and even with ' +
    'a correct clock CheckQuorum looks only once per election timeout, so a cut-off leader may lead ' +
    'for nearly two timeouts after it last heard a quorum while a follower may win after one — ' +
    'stale reads about 1 s after the cut (seed 2, whose clock fault finds no leader yet and is ' +
    'skipped; --set faults[0].rate=1 shows this cause alone). --set readMode=readindex passes.',
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

/**
 * etcd #20418's fault schedule as kv/etcd-20418.test.ts found it, at fixed times. Members: 1 is
 * the leader L1 (handed leadership at the start), 2 is M (the member whose ReadIndex is retried),
 * 3 is F (its acknowledgements reach L1 late), 4 and 5 are G and H (they elect the new leader).
 * Times from `T0_MS`, 500 ms after leadership has settled on member 1.
 */
const T0_MS = 3_000;
const at = (ms: number): number => T0_MS + ms;
/** F's acknowledgements reach L1 this late; the stale read comes back about this long after the pause. */
const SLOW_MS = 4_000;
const PAUSE_MS = 4_500;
/**
 * G's and H's acknowledgements reach L1 this late — the one change to the kv test's schedule. The
 * pause must land while M's ReadIndex round is open at L1: its heartbeats sent, a quorum of answers
 * not yet counted. On a LAN that is ~2 ms of each ~7 ms read (1 seed in 4); waiting 30 ms for G or
 * H makes it most of the read. `--set faults[3].delay.us=0 --set faults[4].delay.us=0` gives back
 * the original timing.
 */
const ACK_DELAY_MS = 30;
/** The one-way cuts wait until G's and H's answers to the open round have reached L1 (a cut drops what is in flight). */
const CUT_AFTER_MS = ACK_DELAY_MS + 10;
const RESUME_L1_AFTER_MS = 2_505;
const RESUME_M_AFTER_MS = 2_525;

export const etcd20418: BuiltinScenario = {
  name: 'etcd-20418',
  summary: 'etcd #20418: a retried ReadIndex reuses its id, and a paused leader serves a stale read',
  description:
    'A bug found in etcd by Antithesis and fixed in PR #21399 ("Don\'t reuse same ReadIndex in retries"); ' +
    'here `server.readIndexReuseIdOnRetry` is on, as etcd was before the fix. Five members: 1 leads, the ' +
    'link 3 → 1 is slow (4 s), member 2 sends linearizable reads back to back, a client reads on 1 and ' +
    'another writes through 4 and 5. Members 1 and 2 are paused (SIGSTOP) while a ReadIndex of 2 is open at ' +
    '1, and cut off so that neither hears of the new term when 3, 4 and 5 elect a leader and new writes ' +
    'succeed. Resumed, 1 still believes it leads and queues its client\'s read; 2\'s retry timer re-sends its ' +
    'ReadIndex with the same id, and 1 counts the late acknowledgement from 3 of that id\'s first heartbeat ' +
    'round towards the re-sent one — which releases the queued read with it, at 1\'s old commit index: a ' +
    'stale read about 4 s after the pause, reported with the write it missed. The lesson: a request id must ' +
    'name one attempt, or an answer to an old attempt completes a new one. Whether the pause lands while the ' +
    'round is open depends on the seed (most do); --set server.readIndexReuseIdOnRetry=false (etcd\'s fix: a ' +
    'new id per retry) passes in every seed. Acknowledgements from 4 and 5 to 1 take 30 ms here, to widen ' +
    'that window.',
  expect: 'fail',
  scenario: () => ({
    durationMs: at(PAUSE_MS + RESUME_M_AFTER_MS + 6_000),
    cluster: { size: 5 },
    // The kv test's LAN: a narrow delay, so that the round trips the schedule relies on are alike in every seed.
    network: { delay: { kind: 'uniform', minUs: 300, maxUs: 1_500 } },
    server: { readIndexReuseIdOnRetry: true },
    workload: {
      clients: 0,
      keys: 1,
      watchers: 0,
      pinned: [
        // On M: reads back to back for 210 ms, so that one is open when M is paused.
        { endpoints: [2], mix: { get: 1 }, startMs: at(4_300), endMs: at(4_510), requestTimeoutMs: 20_000 },
        // On L1: the read it will answer stale.
        { endpoints: [1], mix: { get: 1 }, startMs: at(4_300), endMs: at(7_300), requestTimeoutMs: 20_000 },
        // Writes through G and H: what the stale read misses.
        { endpoints: [4, 5], mix: { put: 1 }, startMs: at(4_300), endMs: at(7_300), requestTimeoutMs: 2_000 },
      ],
    },
    faults: [
      // The first election is over by 2 s (election timeouts are 1–2 s); a second try if the first found none.
      { type: 'transfer-leader', at: 2_000, to: 1 },
      { type: 'transfer-leader', at: 2_500, to: 1 },
      // At least SLOW_MS before the pause: until F's late answers flow, L1's CheckQuorum counts F out.
      { type: 'link-delay', at: at(0), from: 3, to: 1, delay: { kind: 'fixed', us: SLOW_MS * 1_000 } },
      { type: 'link-delay', at: at(0), from: 4, to: 1, delay: { kind: 'fixed', us: ACK_DELAY_MS * 1_000 } },
      { type: 'link-delay', at: at(0), from: 5, to: 1, delay: { kind: 'fixed', us: ACK_DELAY_MS * 1_000 } },
      { type: 'pause', at: at(PAUSE_MS), node: 1, for: RESUME_L1_AFTER_MS },
      { type: 'pause', at: at(PAUSE_MS), node: 2, for: RESUME_M_AFTER_MS },
      // Neither L1 nor M may hear of the new term: only F's slow link to L1 stays.
      { type: 'cut-one-way', at: at(PAUSE_MS + CUT_AFTER_MS), from: 4, to: 1 },
      { type: 'cut-one-way', at: at(PAUSE_MS + CUT_AFTER_MS), from: 5, to: 1 },
      { type: 'cut-one-way', at: at(PAUSE_MS + CUT_AFTER_MS), from: 3, to: 2 },
      { type: 'cut-one-way', at: at(PAUSE_MS + CUT_AFTER_MS), from: 4, to: 2 },
      { type: 'cut-one-way', at: at(PAUSE_MS + CUT_AFTER_MS), from: 5, to: 2 },
    ],
  }),
};
