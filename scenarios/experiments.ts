/**
 * The headline experiments: each runs a built-in scenario under two or more settings ("arms") over
 * the same seeds and compares what happened.
 *
 * - **prevote** (prevote-rejoin): an isolated follower rejoins. Arms `prevote-on`/`prevote-off`,
 *   CheckQuorum on in both, as etcd runs. Does its term rise, does the leader change on heal,
 *   how long are writes unavailable?
 * - **readindex** (read-modes): the leader is cut off while clients read. Arms by read mode
 *   (`readindex`, `lease`, `lease-clock-drift`, `leader-local`, `serializable`): in how many seeds
 *   is a linearizable read violated, how many stale reads, what latency? Two more arms run the
 *   etcd-20418 scenario: ReadIndex with the bug (`readindex-reused-id`) and with its fix
 *   (`readindex-new-id`).
 * - **checkquorum** (leader-minority): how long a leader cut off in a minority keeps leading,
 *   `checkquorum-on`/`checkquorum-off`.
 * - **fsync** (no-fsync-crash): acknowledged writes lost after a majority loses power,
 *   `fsync-on`/`fsync-off`.
 *
 * This module is pure: it says what to run and how to sum it up. The CLI runs the arms (on worker
 * threads) and hands the records to `summarizeArm` and `summarizeExperiment`.
 */
import type { ArmResult, ArmSeed, ColumnSpec, ExperimentResult } from '../record/experiment-record.js';
import { verdictOf } from './fuzz.js';
import { percentile } from './history-metrics.js';
import type { Checks, CheckStatus, RunRecord } from '../record/run-record.js';
import { shellQuote } from './runner.js';

export const EXPERIMENT_NAMES = ['prevote', 'readindex', 'checkquorum', 'fsync'] as const;
export type ExperimentName = (typeof EXPERIMENT_NAMES)[number];

export interface ArmSpec {
  readonly name: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly overrides: readonly string[];
  /** A built-in other than the experiment's, for an arm whose anomaly needs its own schedule. */
  readonly scenario?: string;
}

/** The built-in an arm runs. */
export function armScenario(spec: ExperimentSpec, a: ArmSpec): string {
  return a.scenario ?? spec.scenario;
}

export interface ExperimentSpec {
  readonly name: ExperimentName;
  readonly title: string;
  readonly question: string;
  /** The built-in scenario every arm runs. */
  readonly scenario: string;
  readonly arms: readonly ArmSpec[];
  readonly columns: readonly ColumnSpec[];
  /** The arm's figures over its seeds' records. */
  aggregate(records: readonly RunRecord[]): Record<string, number>;
  /** The figures of one seed that the experiment report draws as distributions. */
  perSeed(record: RunRecord): Record<string, number>;
  /** The result in plain words. */
  explain(arms: readonly ArmResult[]): string[];
}

const median = (xs: readonly number[]): number => percentile(xs, 50);
const max = (xs: readonly number[]): number => xs.reduce((m, x) => Math.max(m, x), 0);
const sum = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0);
const count = <T>(xs: readonly T[], p: (x: T) => boolean): number => xs.reduce((n, x) => n + (p(x) ? 1 : 0), 0);
const extra = (r: RunRecord, k: string): number => r.metrics.extra[k] ?? 0;
const arm = (arms: readonly ArmResult[], name: string): Readonly<Record<string, number>> => arms.find((a) => a.name === name)?.metrics ?? {};

const prevote: ExperimentSpec = {
  name: 'prevote',
  title: 'PreVote and term inflation',
  question: 'When a follower that was cut off rejoins, does it disrupt the healthy leader?',
  scenario: 'prevote-rejoin',
  arms: [
    { name: 'prevote-on', settings: { preVote: true, checkQuorum: true }, overrides: ['cluster.preVote=true', 'cluster.checkQuorum=true'] },
    { name: 'prevote-off', settings: { preVote: false, checkQuorum: true }, overrides: ['cluster.preVote=false', 'cluster.checkQuorum=true'] },
  ],
  columns: [
    { metric: 'isolatedTermRiseMedian', header: 'term rise (median)' },
    { metric: 'isolatedTermRiseMax', header: 'term rise (max)' },
    { metric: 'seedsWithTermRise', header: 'seeds with rise' },
    { metric: 'leaderChangesAfterHealMax', header: 'leader changes after heal (max)' },
    { metric: 'seedsWithLeaderChangeAfterHeal', header: 'seeds with a change' },
    { metric: 'unavailableMsMedian', header: 'write outage ms (median)' },
  ],
  aggregate: (rs) => {
    const rise = rs.map((r) => extra(r, 'isolatedTermRise'));
    const changes = rs.map((r) => r.metrics.leaderChangesAfterHeal);
    const outage = rs.map((r) => r.metrics.unavailableMs);
    return {
      isolatedTermRiseMax: max(rise),
      isolatedTermRiseMedian: median(rise),
      seedsWithTermRise: count(rise, (x) => x > 0),
      leaderChangesAfterHealMax: max(changes),
      leaderChangesAfterHealMedian: median(changes),
      seedsWithLeaderChangeAfterHeal: count(changes, (x) => x > 0),
      unavailableMsMedian: median(outage),
      unavailableMsMax: max(outage),
    };
  },
  perSeed: (r) => ({ isolatedTermRise: extra(r, 'isolatedTermRise'), leaderChangesAfterHeal: r.metrics.leaderChangesAfterHeal, unavailableMs: r.metrics.unavailableMs }),
  explain: (arms) => {
    const on = arm(arms, 'prevote-on');
    const off = arm(arms, 'prevote-off');
    return [
      `With PreVote the isolated follower's term rose by at most ${on.isolatedTermRiseMax ?? 0} and the leader changed after the heal in ${on.seedsWithLeaderChangeAfterHeal ?? 0} seeds: ` +
        'its pre-votes were refused while the leader was alive, so it never started a real election.',
      `Without PreVote its term rose by ${off.isolatedTermRiseMedian ?? 0} (median, up to ${off.isolatedTermRiseMax ?? 0}) while it was cut off, each election timeout one more term, ` +
        `and on return its higher term deposed the leader in ${off.seedsWithLeaderChangeAfterHeal ?? 0} seeds — an election nobody needed, ` +
        `with writes unavailable for ${Math.round(off.unavailableMsMedian ?? 0)} ms (median) against ${Math.round(on.unavailableMsMedian ?? 0)} ms with PreVote.`,
    ];
  },
};

const readArm = (name: string, readMode: string, more: readonly string[] = [], settings: Record<string, unknown> = {}): ArmSpec => ({
  name,
  settings: { readMode, ...settings },
  overrides: [`readMode=${readMode}`, ...more],
});

const readindex: ExperimentSpec = {
  name: 'readindex',
  title: 'Read modes and stale reads',
  question: 'When the leader is cut off or paused, which read modes still return the latest acknowledged write?',
  scenario: 'read-modes',
  arms: [
    readArm('readindex', 'readindex'),
    readArm('lease', 'lease'),
    readArm('lease-clock-drift', 'lease', ['faults[0].rate=0.4'], { leaderClockRate: 0.4 }),
    readArm('leader-local', 'leader-local'),
    // Reads sent with serializable=true: checked by their own rule, not for linearizability.
    readArm('serializable', 'readindex', ['workload.serializableReadRatio=1'], { serializableReadRatio: 1 }),
    // ReadIndex with etcd #20418, and with its fix, on that bug's own schedule: read-modes cannot show it
    // (it needs a retried ReadIndex open at a paused leader and one acknowledgement 4 s late; 0 of 20 seeds there).
    { ...readArm('readindex-reused-id', 'readindex', ['server.readIndexReuseIdOnRetry=true'], { readIndexReuseIdOnRetry: true }), scenario: 'etcd-20418' },
    { ...readArm('readindex-new-id', 'readindex', ['server.readIndexReuseIdOnRetry=false'], { readIndexReuseIdOnRetry: false }), scenario: 'etcd-20418' },
  ],
  columns: [
    { metric: 'violationSeeds', header: 'seeds not linearizable' },
    { metric: 'staleReads', header: 'stale reads' },
    { metric: 'serializableViolationSeeds', header: 'serializable rule broken' },
    { metric: 'readLatencyMsP50', header: 'read ms p50' },
    { metric: 'readLatencyMsP99', header: 'read ms p99' },
  ],
  aggregate: (rs) => ({
    violationSeeds: count(rs, (r) => r.checks.linearizable.status === 'fail'),
    staleReads: sum(rs.map((r) => r.metrics.staleReads)),
    seedsWithStaleReads: count(rs, (r) => r.metrics.staleReads > 0),
    serializableViolationSeeds: count(rs, (r) => r.checks.serializable.status === 'fail'),
    // What the member that served the check's stale read was going through (runner.ts staleReadCause).
    staleAfterPauseSeeds: count(rs, (r) => extra(r, 'staleReadAfterPause') > 0),
    staleSlowClockSeeds: count(rs, (r) => extra(r, 'staleReadSlowClock') > 0),
    staleCutOffSeeds: count(rs, (r) => extra(r, 'staleReadCutOff') > 0),
    readLatencyMsP50: median(rs.map((r) => r.metrics.readLatencyMsP50)),
    readLatencyMsP99: median(rs.map((r) => r.metrics.readLatencyMsP99)),
  }),
  perSeed: (r) => ({ staleReads: r.metrics.staleReads, readLatencyMsP50: r.metrics.readLatencyMsP50, readLatencyMsP99: r.metrics.readLatencyMsP99 }),
  explain: (arms) => {
    const ri = arm(arms, 'readindex');
    const lease = arm(arms, 'lease');
    const ll = arm(arms, 'leader-local');
    const drift = arm(arms, 'lease-clock-drift');
    const ser = arm(arms, 'serializable');
    const reused = arm(arms, 'readindex-reused-id');
    const fresh = arm(arms, 'readindex-new-id');
    const n = (x: number | undefined): string => (x ?? 0).toFixed(1);
    return [
      `ReadIndex reads broke linearizability in ${ri.violationSeeds ?? 0} seeds: before answering, the leader confirms with a quorum that it still leads, which a cut-off or paused leader cannot do. The price is a quorum round trip: ${n(ri.readLatencyMsP50)} ms at the median, against ${n(ser.readLatencyMsP50)} ms for a local serializable read.`,
      `Leader-local reads broke it in ${ll.violationSeeds ?? 0} seeds (${ll.staleReads ?? 0} stale reads): a deposed leader answered from its own state after a new leader had acknowledged newer writes.`,
      `Lease reads broke it in ${lease.violationSeeds ?? 0} seeds with correct clocks, so the clock is not what breaks them here: in ${lease.staleAfterPauseSeeds ?? 0} the stale read came from the leader just after its pause (its clock stood still while paused, so on waking it still counted itself inside its lease, though the others had elected a new leader), ` +
        `in ${lease.staleCutOffSeeds ?? 0} from the cut-off leader before it stepped down (CheckQuorum looks once per election timeout, so a leader may go on for nearly two timeouts after it last heard a quorum, while a follower may win an election after one). ` +
        `With the leader's clock at 0.4× they broke it in ${drift.violationSeeds ?? 0} seeds (${drift.staleReads ?? 0} stale reads; ${drift.staleSlowClockSeeds ?? 0} served while that slow clock ran, ${drift.staleAfterPauseSeeds ?? 0} after the pause): the slow clock stretches the lease further.`,
      `Serializable reads returned ${ser.staleReads ?? 0} stale values, as they may; they are not judged for linearizability (${ser.violationSeeds ?? 0} seeds flagged) but by their own rule — a state the member really had, already committed — which failed in ${ser.serializableViolationSeeds ?? 0} seeds.`,
      `ReadIndex itself can be got wrong: on etcd #20418's schedule (the etcd-20418 scenario, not read-modes), re-sending a retried ReadIndex with the same id broke linearizability in ${reused.violationSeeds ?? 0} seeds — a paused leader counted a late acknowledgement of the id's first round for the second and released a read queued before it — and a new id per retry (etcd's fix, PR #21399) in ${fresh.violationSeeds ?? 0}. (Their latencies are that schedule's, with 30 ms acknowledgements: not comparable with the rows above.)`,
    ];
  },
};

const checkquorum: ExperimentSpec = {
  name: 'checkquorum',
  title: 'CheckQuorum and a leader in a minority',
  question: 'How long does a leader cut off in a minority go on believing it leads?',
  scenario: 'leader-minority',
  arms: [
    { name: 'checkquorum-on', settings: { checkQuorum: true }, overrides: ['cluster.checkQuorum=true'] },
    { name: 'checkquorum-off', settings: { checkQuorum: false }, overrides: ['cluster.checkQuorum=false'] },
  ],
  columns: [
    { metric: 'minorityLeaderMsMedian', header: 'minority leader ms (median)' },
    { metric: 'minorityLeaderMsMax', header: 'minority leader ms (max)' },
    { metric: 'leaderChangesMedian', header: 'leader changes (median)' },
  ],
  aggregate: (rs) => {
    const ms = rs.map((r) => extra(r, 'minorityLeaderMs'));
    return { minorityLeaderMsMedian: median(ms), minorityLeaderMsMax: max(ms), leaderChangesMedian: median(rs.map((r) => r.metrics.leaderChanges)) };
  },
  perSeed: (r) => ({ minorityLeaderMs: extra(r, 'minorityLeaderMs'), leaderChanges: r.metrics.leaderChanges }),
  explain: (arms) => {
    const on = arm(arms, 'checkquorum-on');
    const off = arm(arms, 'checkquorum-off');
    return [
      `With CheckQuorum the cut-off leader stepped down after ${Math.round(on.minorityLeaderMsMedian ?? 0)} ms (median): every election timeout it checks that a quorum was heard from, and steps down when not.`,
      `Without it, it kept leading for ${Math.round(off.minorityLeaderMsMedian ?? 0)} ms (median) — until the partition healed — while the majority had elected another leader: two nodes believing they lead, which is safe for writes (the old one cannot commit) but not for reads served on that belief.`,
    ];
  },
};

const fsync: ExperimentSpec = {
  name: 'fsync',
  title: 'fsync and acknowledged writes',
  question: 'Can a write the cluster acknowledged disappear after a crash?',
  scenario: 'no-fsync-crash',
  arms: [
    // The online invariants are off in both arms: without fsync they break at the restart (terms and
    // votes forgotten), which would stop the run before the lost writes can be counted at its end.
    { name: 'fsync-on', settings: { unsafeNoFsync: false }, overrides: ['cluster.unsafeNoFsync=false', 'checks.invariants=false'] },
    { name: 'fsync-off', settings: { unsafeNoFsync: true }, overrides: ['cluster.unsafeNoFsync=true', 'checks.invariants=false'] },
  ],
  columns: [
    { metric: 'lostAckedWrites', header: 'lost acknowledged writes' },
    { metric: 'seedsWithLoss', header: 'seeds with loss' },
    { metric: 'failedSeeds', header: 'seeds failing a check' },
  ],
  aggregate: (rs) => ({
    lostAckedWrites: sum(rs.map((r) => r.metrics.lostAckedWrites)),
    lostAckedWritesMax: max(rs.map((r) => r.metrics.lostAckedWrites)),
    seedsWithLoss: count(rs, (r) => r.metrics.lostAckedWrites > 0),
    failedSeeds: count(rs, (r) => verdictOf(r.checks).status === 'fail'),
  }),
  perSeed: (r) => ({ lostAckedWrites: r.metrics.lostAckedWrites }),
  explain: (arms) => {
    const on = arm(arms, 'fsync-on');
    const off = arm(arms, 'fsync-off');
    return [
      `With fsync, ${on.lostAckedWrites ?? 0} acknowledged writes were lost: a member acknowledges only what its WAL made durable, so a crash loses only unacknowledged work.`,
      `With cluster.unsafeNoFsync=true (the WAL never fsynced, as etcd's --unsafe-no-fsync does), ${off.lostAckedWrites ?? 0} acknowledged writes were lost in ${off.seedsWithLoss ?? 0} seeds: members that lose power together forget entries they had acknowledged, and their terms and votes with them.`,
    ];
  },
};

export const EXPERIMENTS: Readonly<Record<ExperimentName, ExperimentSpec>> = { prevote, readindex, checkquorum, fsync };

/** One arm's result from its seeds' records (in seed order); `representative`: a full record (kept trace) of one seed, or null. */
export function summarizeArm(spec: ExperimentSpec, a: ArmSpec, records: readonly RunRecord[], representative: RunRecord | null = null): ArmResult {
  const seeds: ArmSeed[] = records.map((r) => {
    const v = verdictOf(r.checks);
    return { seed: r.seed, traceHash: r.traceHash, verdict: v.status, failed: v.failed, checks: checkStatuses(r.checks), metrics: r.metrics, reproduce: r.reproduce };
  });
  return { name: a.name, settings: a.settings, scenario: armScenario(spec, a), overrides: a.overrides, metrics: spec.aggregate(records), seeds, representative };
}

function checkStatuses(c: Checks): Record<keyof Checks, CheckStatus> {
  return { invariants: c.invariants.status, linearizable: c.linearizable.status, serializable: c.serializable.status, watch: c.watch.status, liveness: c.liveness.status };
}

/** `overrides`: the user's `--set`, applied to every arm (they go into the reproduce command). */
export function summarizeExperiment(spec: ExperimentSpec, seedList: readonly number[], arms: readonly ArmResult[], overrides: readonly string[] = []): ExperimentResult {
  return {
    version: 1,
    experiment: spec.name,
    title: spec.title,
    question: spec.question,
    seeds: seedList.length,
    seedList,
    arms,
    columns: spec.columns,
    explanation: spec.explain(arms),
    reproduce: `npx raftsim experiment ${spec.name} --seeds ${seedList.length}${seedList[0] === 1 ? '' : ` --from ${seedList[0]}`}${overrides.map((o) => ` --set ${shellQuote(o)}`).join('')}`,
  };
}

/** The `--json` shape: `{experiment, seeds, arms: [{name, settings, metrics}]}`. */
export function experimentJson(r: ExperimentResult): unknown {
  return { experiment: r.experiment, seeds: r.seeds, arms: r.arms.map((a) => ({ name: a.name, settings: a.settings, metrics: a.metrics })) };
}

/** The comparison table, as fixed-width text: one row per arm, one column per metric. */
export function formatExperimentTable(r: ExperimentResult): string {
  const headers = ['arm', ...r.columns.map((c) => c.header)];
  const rows = r.arms.map((a) => [a.name, ...r.columns.map((c) => formatNumber(a.metrics[c.metric] ?? 0))]);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [`${r.title} — ${r.seeds} seeds per arm`, line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function formatNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}
