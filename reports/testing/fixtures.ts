/**
 * Hand-built run records for the reports' tests and benchmark, until (and besides) real ones from
 * the runner: a small builder for traces and histories, and one story told in full — a leader
 * isolated by a partition keeps serving reads while the majority elects a new leader and accepts a
 * write, so a read returns the old value (a stale read); meanwhile a follower crashes and restarts,
 * another is paused, a disk reports an error, and the partition heals.
 */
import type { Checks, CheckStatus, FaultRecord, RunMetrics, RunRecord, ViolationView } from '../../record/run-record.js';
import type { Operation, OpStatus } from '../../sim/history.js';
import type { FieldValue, TraceEvent } from '../../sim/trace.js';
import type { ArmResult, ArmSeed, ExperimentResult } from '../../record/experiment-record.js';
import { experimentDataOf } from '../experiment-adapter.js';
import type { ExperimentData } from '../experiment-data.js';
import { quantile } from '../format.js';

export class TraceBuilder {
  private readonly list: TraceEvent[] = [];

  emit(timeUs: number, host: number | null, kind: string, fields: Readonly<Record<string, FieldValue>> = {}): this {
    this.list.push({ index: this.list.length, timeUs, host, kind, fields });
    return this;
  }

  role(timeUs: number, host: number, role: string, term: number, lead = 0): this {
    return this.emit(timeUs, host, 'raft.role', { role, term, lead });
  }

  /** A message from → to, sent at `sentUs` and received at `recvUs` (null: lost). */
  message(sentUs: number, from: number, to: number, type: string, term: number, recvUs: number | null): this {
    this.emit(sentUs, from, 'raft.send', { type, to, term });
    if (recvUs !== null) this.emit(recvUs, to, 'raft.recv', { type, from, term });
    return this;
  }

  partition(timeUs: number, verb: string, args: string, cut: string): this {
    return this.emit(timeUs, null, 'net.partition', { verb, args, cut });
  }

  host(timeUs: number, host: number, what: 'start' | 'crash' | 'restart' | 'pause' | 'resume', incarnation = 1): this {
    return this.emit(timeUs, host, `host.${what}`, { incarnation });
  }

  /** Events sorted by time (stable), re-indexed: traces are emitted in time order. */
  events(): TraceEvent[] {
    return [...this.list].sort((a, b) => a.timeUs - b.timeUs || a.index - b.index).map((e, index) => ({ ...e, index }));
  }
}

export function makeOp(id: number, client: number, op: string, key: string, input: unknown, callUs: number, returnUs: number | null, status: OpStatus, output?: unknown): Operation {
  const o: { -readonly [K in keyof Operation]: Operation[K] } = { id, client, op, key, call: callUs, return: returnUs, status };
  if (input !== undefined) o.input = input;
  if (output !== undefined) o.output = output;
  return o;
}

export const PASSING_CHECKS: Checks = {
  invariants: { status: 'pass', summary: 'all online invariants held' },
  linearizable: { status: 'pass', summary: 'linearizable' },
  serializable: { status: 'pass', summary: 'serializable reads consistent' },
  watch: { status: 'skipped', summary: 'no watchers in this workload' },
  liveness: { status: 'pass', summary: 'converged 412 ms after heal' },
};

export const ZERO_METRICS: RunMetrics = {
  maxTerm: 0,
  termRise: {},
  leaderChanges: 0,
  leaderChangesAfterHeal: 0,
  elections: 0,
  unavailableMs: 0,
  staleReads: 0,
  readLatencyMsP50: 0,
  readLatencyMsP99: 0,
  writeLatencyMsP50: 0,
  writeLatencyMsP99: 0,
  lostAckedWrites: 0,
  extra: {},
};

export function makeRecord(fields: Partial<RunRecord> = {}): RunRecord {
  return {
    version: 1,
    scenario: 'test',
    description: 'a hand-built record',
    seed: 1,
    overrides: [],
    settings: {},
    traceHash: '0123456789abcdef',
    virtualMs: 1_000,
    events: 0,
    members: [1, 2, 3],
    clients: [101],
    ops: { ok: 0, fail: 0, unknown: 0 },
    checks: PASSING_CHECKS,
    metrics: ZERO_METRICS,
    faults: [],
    violation: null,
    reproduce: 'npx raftsim run test --seed 1',
    history: [],
    trace: [],
    ...fields,
  };
}

const MS = 1_000;

/** The stale-read story (see the file's comment). Times in µs; the run lasts 4 s. */
export function staleReadRecord(): RunRecord {
  const t = new TraceBuilder();
  for (const n of [1, 2, 3]) t.host(0, n, 'start').role(0, n, 'follower', 1);
  // n1 wins the first election (pre-vote, then vote).
  t.role(150 * MS, 1, 'pre-candidate', 1).message(150 * MS, 1, 2, 'MsgPreVote', 2, 151 * MS).message(150 * MS, 1, 3, 'MsgPreVote', 2, 152 * MS);
  t.role(155 * MS, 1, 'candidate', 2).message(155 * MS, 1, 2, 'MsgVote', 2, 156 * MS).message(155 * MS, 1, 3, 'MsgVote', 2, 157 * MS);
  t.role(160 * MS, 1, 'leader', 2, 1).role(161 * MS, 2, 'follower', 2, 1).role(161 * MS, 3, 'follower', 2, 1);
  for (const n of [1, 2, 3]) t.emit(170 * MS, n, 'raft.commit', { commit: 1 }).emit(171 * MS, n, 'raft.apply', { applied: 1 });
  // Heartbeats; one to n3 is lost at 900 ms.
  t.message(500 * MS, 1, 2, 'MsgHeartbeat', 2, 501 * MS).message(900 * MS, 1, 3, 'MsgHeartbeat', 2, null);
  // The partition isolates n1 (and its client link).
  t.partition(1_000 * MS, 'isolate', '1', '1<->2,1<->3,1<->101');
  t.emit(1_100 * MS, null, 'net.drop', { from: 1, to: 2, id: 7, via: 'stream', reason: 'cut' });
  t.role(1_500 * MS, 2, 'pre-candidate', 2).role(1_505 * MS, 2, 'candidate', 3).role(1_510 * MS, 2, 'leader', 3, 2).role(1_511 * MS, 3, 'follower', 3, 2);
  t.emit(1_720 * MS, 2, 'raft.commit', { commit: 3 }).emit(1_721 * MS, 2, 'raft.apply', { applied: 3 });
  // n3 crashes and restarts; its disk reports an error after.
  t.host(2_000 * MS, 3, 'crash').host(2_500 * MS, 3, 'restart', 2).role(2_501 * MS, 3, 'follower', 3, 0);
  t.emit(2_700 * MS, 3, 'disk.fault', { op: 'fsync', path: 'wal/0001.wal', error: 'EIO' });
  // n2 (the new leader) is paused for 200 ms.
  t.host(3_000 * MS, 2, 'pause').host(3_200 * MS, 2, 'resume');
  t.partition(3_500 * MS, 'heal', '', 'none');
  t.role(3_600 * MS, 1, 'follower', 3, 2);
  const history = [
    makeOp(0, 101, 'put', 'k', { value: '1' }, 100 * MS, 180 * MS, 'ok', {}),
    makeOp(1, 102, 'put', 'k', { value: '2' }, 1_600 * MS, 1_700 * MS, 'ok', {}),
    makeOp(2, 101, 'range', 'k', { key: 'k' }, 1_800 * MS, 1_850 * MS, 'ok', { kvs: [{ key: 'k', value: '1' }] }),
    makeOp(3, 101, 'put', 'x', { value: '9' }, 2_100 * MS, 2_150 * MS, 'fail', 'ProposalDropped'),
    makeOp(4, 102, 'put', 'k', { value: '3' }, 3_000 * MS, null, 'unknown'),
  ];
  const faults: FaultRecord[] = [
    { atUs: 1_000 * MS, untilUs: 3_500 * MS, kind: 'partition', hosts: [1], groups: [[1], [2, 3]], label: 'isolate 1 (the leader)' },
    { atUs: 2_000 * MS, untilUs: 2_500 * MS, kind: 'crash', hosts: [3], label: 'crash 3' },
    { atUs: 3_000 * MS, untilUs: 3_200 * MS, kind: 'pause', hosts: [2], label: 'pause 2 (the leader)' },
  ];
  const violation: ViolationView = { partition: 'k', linearizedPrefix: [0, 1], failedOp: 2, relatedOps: [], explanation: [] };
  const trace = t.events();
  return makeRecord({
    scenario: 'leader-isolation-stale-read',
    description: 'An isolated leader serves a read from its own state while the majority moves on.',
    seed: 42,
    settings: { cluster: { size: 3 }, readMode: 'leader-local' },
    virtualMs: 4_000,
    events: trace.length,
    clients: [101, 102],
    ops: { ok: 3, fail: 1, unknown: 1 },
    checks: { ...PASSING_CHECKS, linearizable: { status: 'fail', summary: 'not linearizable: key k', details: ['1 partition of 2 failed'] } },
    metrics: { ...ZERO_METRICS, maxTerm: 3, termRise: { '1': 1, '2': 1, '3': 1 }, leaderChanges: 2, staleReads: 1 },
    faults,
    violation,
    reproduce: 'npx raftsim run leader-isolation-stale-read --seed 42',
    history,
    trace,
  });
}

/** A tiny deterministic generator for fixture numbers (not the simulator's PRNG: fixtures only). */
function lcg(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/** A prevote-rejoin run's term series by hand: n3 isolated 2 s–6 s; `inflate` makes its term climb and depose the leader at the heal. */
function prevoteTerms(inflate: boolean): TraceEvent[] {
  const t = new TraceBuilder();
  for (const n of [1, 2, 3]) t.role(0, n, 'follower', 1);
  t.role(300 * MS, 1, 'leader', 2, 1).role(301 * MS, 2, 'follower', 2, 1).role(301 * MS, 3, 'follower', 2, 1);
  t.partition(2_000 * MS, 'isolate', '3', '1<->3,2<->3');
  let term = 2;
  for (let at = 3_100 * MS; at < 6_000 * MS; at += 1_150 * MS) {
    if (inflate) {
      term++;
      t.role(at, 3, 'candidate', term);
    } else t.role(at, 3, 'pre-candidate', 2).role(at + 40 * MS, 3, 'follower', 2);
  }
  t.partition(6_000 * MS, 'heal', '', 'none');
  if (inflate) {
    t.role(6_010 * MS, 1, 'follower', term).role(6_010 * MS, 2, 'follower', term);
    t.role(6_400 * MS, 2, 'candidate', term + 1).role(6_410 * MS, 2, 'leader', term + 1, 2).role(6_411 * MS, 1, 'follower', term + 1, 2).role(6_411 * MS, 3, 'follower', term + 1, 2);
  } else t.role(6_050 * MS, 3, 'follower', 2, 1);
  return t.events();
}

const CHECK_NAMES: readonly (keyof Checks)[] = ['invariants', 'linearizable', 'serializable', 'watch', 'liveness'];

/**
 * One seed of one arm as the runner summarizes it (record/experiment-record.ts ArmSeed): the
 * checks in `failed` failed, those in `skipped` did not run, every other one passed.
 */
export function armSeed(seed: number, metrics: Partial<RunMetrics>, failed: readonly (keyof Checks)[], reproduce: string, skipped: readonly (keyof Checks)[] = []): ArmSeed {
  const checks = Object.fromEntries(CHECK_NAMES.map((c) => [c, failed.includes(c) ? 'fail' : skipped.includes(c) ? 'skipped' : 'pass'])) as Record<keyof Checks, CheckStatus>;
  return { seed, traceHash: '0000000000000000', verdict: failed.length > 0 ? 'fail' : 'pass', failed, checks, metrics: { ...ZERO_METRICS, ...metrics }, reproduce };
}

const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/** A prevote experiment as the runner hands it over (scenarios' ExperimentResult), representative runs included. */
export function prevoteExperimentRecord(seedCount = 20): ExperimentResult {
  const seedList = Array.from({ length: seedCount }, (_, i) => i + 1);
  const arm = (name: string, preVote: boolean): ArmResult => {
    const rnd = lcg(preVote ? 7 : 11);
    const overrides = [`cluster.preVote=${preVote}`, 'cluster.checkQuorum=true'];
    const seeds = seedList.map((seed) => {
      const rise = preVote ? 0 : 1 + Math.floor(rnd() * 5);
      const changes = preVote ? 0 : rnd() < 0.85 ? 1 : 0;
      const unavailableMs = preVote ? 0 : Math.round(900 + rnd() * 1_400);
      return armSeed(seed, { leaderChangesAfterHeal: changes, unavailableMs, extra: { isolatedTermRise: rise } }, [], `npx raftsim run prevote-rejoin --seed ${seed} --set ${overrides.join(' --set ')}`);
    });
    const faults: FaultRecord[] = [{ atUs: 2_000 * MS, untilUs: 6_000 * MS, kind: 'partition', hosts: [3], groups: [[1, 2], [3]], label: 'isolate 3' }];
    const representative = makeRecord({ scenario: 'prevote-rejoin', seed: 1, trace: prevoteTerms(!preVote), virtualMs: 8_000, reproduce: seeds[0]?.reproduce ?? '', faults });
    const rise = seeds.map((s) => s.metrics.extra.isolatedTermRise ?? 0);
    const changes = seeds.map((s) => s.metrics.leaderChangesAfterHeal);
    return {
      name,
      settings: { preVote, checkQuorum: true },
      scenario: 'prevote-rejoin',
      overrides,
      metrics: {
        isolatedTermRiseMedian: median(rise),
        isolatedTermRiseMax: Math.max(...rise),
        seedsWithTermRise: rise.filter((x) => x > 0).length,
        leaderChangesAfterHealMax: Math.max(...changes),
        seedsWithLeaderChangeAfterHeal: changes.filter((x) => x > 0).length,
        unavailableMsMedian: median(seeds.map((s) => s.metrics.unavailableMs)),
      },
      seeds,
      representative,
    };
  };
  return {
    version: 1,
    experiment: 'prevote',
    title: 'PreVote and term inflation',
    question: 'When a follower that was cut off rejoins, does it disrupt the healthy leader?',
    seeds: seedCount,
    seedList,
    arms: [arm('prevote-on', true), arm('prevote-off', false)],
    columns: [
      { metric: 'isolatedTermRiseMedian', header: 'term rise (median)' },
      { metric: 'isolatedTermRiseMax', header: 'term rise (max)' },
      { metric: 'leaderChangesAfterHealMax', header: 'leader changes after heal (max)' },
      { metric: 'unavailableMsMedian', header: 'write outage ms (median)' },
    ],
    explanation: ['(the runner\'s own summary would be here)'],
    reproduce: `npx raftsim experiment prevote --seeds ${seedCount}`,
  };
}

export function prevoteExperiment(seedCount = 20): ExperimentData {
  return experimentDataOf(prevoteExperimentRecord(seedCount));
}

/**
 * A readindex experiment by hand (no representative runs): violations only where the read mode
 * allows them. The last two arms run etcd #20418's own schedule (`etcd-20418`), as the runner's do:
 * the id reused on a retry goes stale in most seeds, a new id per retry never does.
 */
export function readIndexExperimentRecord(seedCount = 20): ExperimentResult {
  const seedList = Array.from({ length: seedCount }, (_, i) => i + 1);
  const modes: [string, string, number, number, string][] = [
    ['readindex', 'readindex', 0, 2.4, 'read-modes'],
    ['lease', 'lease', 0.05, 1.1, 'read-modes'],
    ['lease-clock-drift', 'lease', 0.6, 1.1, 'read-modes'],
    ['leader-local', 'leader-local', 0.8, 0.9, 'read-modes'],
    ['serializable', 'readindex', 0, 0.7, 'read-modes'],
    ['readindex-reused-id', 'readindex', 0.9, 30, 'etcd-20418'],
    ['readindex-new-id', 'readindex', 0, 30, 'etcd-20418'],
  ];
  const arms = modes.map(([name, readMode, staleShare, latencyMs, scenario], i): ArmResult => {
    const rnd = lcg(100 + i);
    const reuse = scenario === 'etcd-20418' ? { readIndexReuseIdOnRetry: name === 'readindex-reused-id' } : {};
    const overrides = [`readMode=${readMode}`, ...Object.entries(reuse).map(([k, v]) => `server.${k}=${v}`)];
    const seeds = seedList.map((seed) => {
      const stale = rnd() < staleShare ? 1 + Math.floor(rnd() * 4) : 0;
      const failed: (keyof Checks)[] = stale > 0 && name !== 'serializable' ? ['linearizable'] : [];
      return armSeed(seed, { staleReads: stale, readLatencyMsP50: latencyMs + rnd() * 0.3, readLatencyMsP99: latencyMs * 3 + rnd() }, failed, `npx raftsim run ${scenario} --seed ${seed} ${overrides.map((o) => `--set ${o}`).join(' ')}`);
    });
    return {
      name,
      settings: { readMode, ...reuse },
      scenario,
      overrides,
      metrics: { violationSeeds: seeds.filter((s) => s.failed.length > 0).length, staleReads: seeds.reduce((n, s) => n + s.metrics.staleReads, 0), readLatencyMsP50: latencyMs, readLatencyMsP99: latencyMs * 3 },
      seeds,
      representative: null,
    };
  });
  return { version: 1, experiment: 'readindex', title: 'Read modes and stale reads', question: 'When the leader is cut off, which read modes still return the latest acknowledged write?', seeds: seedCount, seedList, arms, columns: [], explanation: [], reproduce: `npx raftsim experiment readindex --seeds ${seedCount}` };
}

export function readIndexExperiment(seedCount = 20): ExperimentData {
  return experimentDataOf(readIndexExperimentRecord(seedCount));
}

/**
 * A large run for the size tests and the benchmark: `ops` operations over `clients` clients and
 * `durationS` seconds, 5 members with an election every ~20 s, a partition every ~30 s, and
 * heartbeats traced as raft messages (so the step-through has plenty to thin out).
 */
export function largeRecord(ops = 100_000, clients = 10, durationS = 300): RunRecord {
  const rnd = lcg(ops + clients);
  const endUs = durationS * 1_000_000;
  const members = [1, 2, 3, 4, 5];
  const t = new TraceBuilder();
  for (const n of members) t.host(0, n, 'start').role(0, n, 'follower', 1);
  let term = 1;
  for (let at = 200 * MS, k = 0; at < endUs; at += 20_000 * MS, k++) {
    term++;
    const leader = members[k % members.length] as number;
    t.role(at, leader, 'candidate', term).role(at + 5 * MS, leader, 'leader', term, leader);
    for (const n of members) if (n !== leader) t.role(at + 6 * MS, n, 'follower', term, leader);
    for (let hb = at + 100 * MS; hb < Math.min(endUs, at + 20_000 * MS); hb += 100 * MS) {
      for (const n of members) if (n !== leader) t.message(hb, leader, n, 'MsgHeartbeat', term, hb + 500 + Math.floor(rnd() * 1_500));
    }
  }
  for (let at = 15_000 * MS; at + 5_000 * MS < endUs; at += 30_000 * MS) t.partition(at, 'isolate', '3', '1<->3,2<->3,3<->4,3<->5').partition(at + 5_000 * MS, 'heal', '', 'none');
  const history: Operation[] = [];
  const perClient = Math.ceil(ops / clients);
  const slotUs = endUs / perClient;
  for (let c = 0; c < clients; c++) {
    for (let i = 0; i < perClient && history.length < ops; i++) {
      const call = Math.floor(i * slotUs + rnd() * slotUs * 0.3);
      const r = rnd();
      const status: OpStatus = r < 0.01 ? 'unknown' : r < 0.03 ? 'fail' : 'ok';
      const ret = status === 'unknown' ? null : call + Math.floor(slotUs * (0.2 + rnd() * 0.4));
      const key = `k${Math.floor(rnd() * 8)}`;
      const id = history.length;
      history.push(rnd() < 0.5 ? makeOp(id, 100 + c, 'put', key, { value: String(id) }, call, ret, status, status === 'ok' ? {} : status === 'fail' ? 'timeout' : undefined) : makeOp(id, 100 + c, 'range', key, { key }, call, ret, status, status === 'ok' ? { kvs: [{ key, value: String(id - 1) }] } : status === 'fail' ? 'timeout' : undefined));
    }
  }
  history.sort((a, b) => a.call - b.call || a.client - b.client);
  const renumbered = history.map((o, id) => ({ ...o, id }));
  const trace = t.events();
  return makeRecord({ scenario: 'large', seed: 7, members, clients: Array.from({ length: clients }, (_, c) => 100 + c), virtualMs: durationS * 1_000, events: trace.length, history: renumbered, trace, ops: { ok: renumbered.filter((o) => o.status === 'ok').length, fail: renumbered.filter((o) => o.status === 'fail').length, unknown: renumbered.filter((o) => o.status === 'unknown').length } });
}
