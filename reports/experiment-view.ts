/**
 * The experiment report's view model: distributions over seeds, and the explanation in plain words
 * (Maelstrom's way: what was run, what happened, why, the fix). Every sentence about a result is
 * computed from the numbers — when the numbers are not what the mechanism predicts, the report says
 * so and names a seed to look at, rather than repeating the textbook.
 */
import type { ArmData, ExperimentData, SeedData } from './experiment-data.js';
import { formatNumber, quantile } from './format.js';

export interface Distribution {
  readonly n: number;
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly mean: number;
  /** Seeds with a value > 0. */
  readonly positive: number;
  readonly values: readonly number[];
}

export function distributionOf(values: readonly number[]): Distribution {
  const n = values.length;
  const sum = values.reduce((s, v) => s + v, 0);
  return {
    n,
    min: n === 0 ? Number.NaN : Math.min(...values),
    median: quantile(values, 0.5),
    max: n === 0 ? Number.NaN : Math.max(...values),
    mean: n === 0 ? Number.NaN : sum / n,
    positive: values.filter((v) => v > 0).length,
    values,
  };
}

/** The per-seed values of `key` in `arm` (seeds that lack it are left out). */
export function armValues(arm: ArmData, key: string): number[] {
  return arm.perSeed.map((s) => s.values[key]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

export function armDistribution(arm: ArmData, key: string): Distribution {
  return distributionOf(armValues(arm, key));
}

/** Seeds whose linearizability check failed (from the per-seed failed checks, else the `violationSeeds` aggregate). */
export function violationSeeds(arm: ArmData): number {
  if (arm.perSeed.length > 0) return arm.perSeed.filter((s) => s.failed.includes('linearizable')).length;
  return arm.metrics.violationSeeds ?? 0;
}

/** Seeds of `arm` in which `check` ran: a skipped check (turned off, or after a broken invariant) is no pass. */
export function checkedSeeds(arm: ArmData, check: string): number {
  return arm.perSeed.filter((s) => !(s.skipped ?? []).includes(check)).length;
}

/** `pass`, `fail: linearizable`, … and the checks that did not run: `pass; not checked: liveness`. */
export function seedVerdictText(s: SeedData): string {
  const verdict = s.failed.length === 0 ? s.verdict : `${s.verdict}: ${s.failed.join(', ')}`;
  const skipped = s.skipped ?? [];
  return skipped.length === 0 ? verdict : `${verdict}; not checked: ${skipped.join(', ')}`;
}

/** Whether `arm` ran a built-in other than the experiment's: its figures belong to that schedule. */
export function runsOtherScenario(result: ExperimentData, arm: ArmData): boolean {
  return arm.scenario !== undefined && result.scenario !== undefined && arm.scenario !== result.scenario;
}

export interface MetricSpec {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
}

export interface ExperimentSpec {
  readonly title: string;
  /** Per-seed metrics drawn as distributions, in order. */
  readonly metrics: readonly MetricSpec[];
  readonly defaultDescription: string;
}

const SPECS: Readonly<Record<string, ExperimentSpec>> = {
  prevote: {
    title: 'PreVote and term inflation',
    metrics: [
      { key: 'isolatedTermRise', label: "isolated member's term rise", unit: '' },
      { key: 'leaderChangesAfterHeal', label: 'leader changes after the heal', unit: '' },
      { key: 'unavailableMs', label: 'longest write unavailability', unit: 'ms' },
    ],
    defaultDescription:
      'Each seed runs the same scenario once per arm: a member is cut off from the rest of the cluster by a partition, stays isolated for a while, then the partition heals. CheckQuorum is on in both arms, as etcd runs it; only PreVote differs.',
  },
  readindex: {
    title: 'Read modes: ReadIndex, lease, leader-local, serializable',
    metrics: [
      { key: 'staleReads', label: 'stale reads', unit: '' },
      { key: 'readLatencyMsP50', label: 'read latency p50', unit: 'ms' },
      { key: 'readLatencyMsP99', label: 'read latency p99', unit: 'ms' },
    ],
    defaultDescription:
      'Each seed runs the same workload and faults once per read mode: the leader is isolated (or paused, or its clock drifts) while clients keep reading and writing, then the cluster heals. Only the way reads are served differs.',
  },
  checkquorum: {
    title: 'CheckQuorum: how long a leader in a minority keeps leading',
    metrics: [{ key: 'minorityLeaderMs', label: 'time the cut-off leader kept leading', unit: 'ms' }],
    defaultDescription: 'Each seed cuts the leader off into a minority, once with CheckQuorum and once without, and measures how long it goes on believing it is the leader.',
  },
  fsync: {
    title: 'fsync: acknowledged writes lost after crashes',
    metrics: [{ key: 'lostAckedWrites', label: 'acknowledged writes lost', unit: '' }],
    defaultDescription: 'Each seed crashes members under a write load, once with fsync before acknowledging and once with `unsafeNoFsync`, and then counts the writes that clients saw acknowledged but the cluster no longer has.',
  },
};

/** The spec of a known experiment, or one built from whatever per-seed values the arms carry. */
export function specOf(result: ExperimentData): ExperimentSpec {
  const known = SPECS[result.experiment];
  if (known !== undefined) return known;
  const keys = [...new Set(result.arms.flatMap((a) => a.perSeed.flatMap((s) => Object.keys(s.values))))].sort();
  return { title: `Experiment ${result.experiment}`, metrics: keys.map((key) => ({ key, label: key, unit: key.endsWith('Ms') ? 'ms' : '' })), defaultDescription: 'Each seed runs once per arm.' };
}

export interface ExplanationSection {
  readonly heading: string;
  readonly paragraphs: readonly string[];
}

function arm(result: ExperimentData, name: string): ArmData | undefined {
  return result.arms.find((a) => a.name === name);
}

function n(x: number): string {
  return formatNumber(x, 1);
}

function times(k: number): string {
  return k === 1 ? 'once' : k === 2 ? 'twice' : `${n(k)} times`;
}

/** The seed with the largest value of `key` (for "look at seed S"), or null. */
function worstSeed(a: ArmData, key: string): { seed: number; value: number; reproduce: string } | null {
  let best: { seed: number; value: number; reproduce: string } | null = null;
  for (const s of a.perSeed) {
    const v = s.values[key];
    if (typeof v === 'number' && v > 0 && (best === null || v > best.value)) best = { seed: s.seed, value: v, reproduce: s.reproduce };
  }
  return best;
}

/** The report's title: the data's own, else the one for this experiment. */
export function titleOf(result: ExperimentData): string {
  return result.title ?? specOf(result).title;
}

function whatWasRun(result: ExperimentData): string[] {
  const paragraphs: string[] = [];
  if (result.question !== undefined) paragraphs.push(result.question);
  paragraphs.push(result.description ?? specOf(result).defaultDescription);
  const onOther = (a: ArmData): string => (runsOtherScenario(result, a) ? ` on \`${a.scenario ?? ''}\`` : '');
  const arms = result.arms.map((a) => `\`${a.name}\`${a.overrides === undefined || a.overrides.length === 0 ? '' : ` (${a.overrides.map((o) => `\`--set ${o}\``).join(' ')})`}${onOther(a)}`);
  const scenario = result.scenario === undefined ? '' : ` of the built-in scenario \`${result.scenario}\``;
  paragraphs.push(`${result.seeds.length} seeds${scenario}, each run once per arm: ${arms.join(', ')}.`);
  const others = result.arms.filter((a) => runsOtherScenario(result, a));
  if (others.length > 0) {
    paragraphs.push(
      `${others.map((a) => `\`${a.name}\``).join(', ')} ${others.length === 1 ? 'runs' : 'run'} a built-in other than \`${result.scenario ?? ''}\` (${[...new Set(others.map((a) => `\`${a.scenario ?? ''}\``))].join(', ')}), with its own cluster, faults and workload: ` +
        'compare their figures — latencies above all — with each other, not with the other rows.',
    );
  }
  return paragraphs;
}

export function explainExperiment(result: ExperimentData): ExplanationSection[] {
  const what: ExplanationSection = { heading: 'What was run', paragraphs: whatWasRun(result) };
  switch (result.experiment) {
    case 'prevote':
      return [what, ...explainPrevote(result)];
    case 'readindex':
      return [what, ...explainReadIndex(result)];
    case 'checkquorum':
      return [what, ...explainCheckQuorum(result)];
    case 'fsync':
      return [what, ...explainFsync(result)];
    default:
      return [what, { heading: 'What happened', paragraphs: result.arms.map((a) => `\`${a.name}\`: ${Object.entries(a.metrics).map(([k, v]) => `${k} = ${n(v)}`).join(', ') || 'no metrics'}.`) }];
  }
}

function prevoteSentence(label: string, a: ArmData): string {
  const rise = armDistribution(a, 'isolatedTermRise');
  const changes = armDistribution(a, 'leaderChangesAfterHeal');
  const unavailable = armDistribution(a, 'unavailableMs');
  return `${label}, the isolated member's term rose in ${rise.positive} of ${rise.n} seeds (median +${n(rise.median)}, max +${n(rise.max)}); after the heal the cluster changed leader in ${changes.positive} of ${changes.n} seeds${changes.positive > 0 ? ` (at most ${times(changes.max)} in one seed)` : ''}, and writes stalled for ${n(unavailable.median)} ms at the median (max ${n(unavailable.max)} ms).`;
}

function explainPrevote(result: ExperimentData): ExplanationSection[] {
  const on = arm(result, 'prevote-on');
  const off = arm(result, 'prevote-off');
  if (on === undefined || off === undefined) return [{ heading: 'What happened', paragraphs: ['The arms `prevote-on` and `prevote-off` were expected; this result has neither pair, so only the tables below tell what happened.'] }];
  const happened = [prevoteSentence('Without PreVote', off), prevoteSentence('With PreVote', on)];
  const onRise = armDistribution(on, 'isolatedTermRise');
  const onChanges = armDistribution(on, 'leaderChangesAfterHeal');
  const offRise = armDistribution(off, 'isolatedTermRise');
  const verdict: string[] = [];
  if (onRise.positive === 0 && onChanges.positive === 0) verdict.push('With PreVote the term stayed flat and the leader stayed put in every seed: the expected result.');
  else {
    const bad = worstSeed(on, 'isolatedTermRise') ?? worstSeed(on, 'leaderChangesAfterHeal');
    verdict.push(`Unexpected: with PreVote the isolated member still disturbed the cluster in ${Math.max(onRise.positive, onChanges.positive)} seeds${bad === null ? '' : ` — look at seed ${bad.seed}: \`${bad.reproduce}\``}.`);
  }
  if (offRise.positive < Math.ceil(offRise.n / 2)) verdict.push(`Without PreVote the term rose in only ${offRise.positive} of ${offRise.n} seeds: the isolation was probably too short for an election timeout to fire; a longer partition shows the effect more clearly.`);
  return [
    { heading: 'What happened', paragraphs: [...happened, ...verdict] },
    {
      heading: 'Why',
      paragraphs: [
        'An isolated member hears from no leader, so its election timer keeps firing. Without PreVote every firing is a real election: the member increments its term and asks for votes nobody receives. Raft lets a higher term win every encounter, so when the partition heals, the first message the member sends carries a term above the leader\'s and forces the leader to step down (CheckQuorum makes the leader answer such messages with its own term, which frees the cluster, but an election still happens). Writes stall until a new leader is elected — an election the healthy majority never needed.',
        'With PreVote a member first asks "would you vote for me in the next term?" without changing its own term. The others are still hearing from their leader, so they refuse; the pre-candidate goes back to being a follower at its old term, and at the heal it simply rejoins.',
      ],
    },
    { heading: 'The fix', paragraphs: ['Turn PreVote on (etcd: `--pre-vote`, on by default; etcd always runs CheckQuorum). The cost is one extra round of messages before a real election.'] },
  ];
}

const READ_MODE_WHY: Readonly<Record<string, string>> = {
  readindex: '`readindex`: the leader first confirms it is still the leader with a round of heartbeats to a quorum, then answers once it has applied everything committed when the read arrived. A leader that has been replaced cannot gather that quorum, so it cannot answer with old data.',
  lease: "`lease`: the leader answers from its own state while its lease — an election timeout since it last heard from a quorum — has not run out. Safe only while the leader's process and clock keep pace with the others': raft counts the lease in ticks, and no tick fires while a leader is paused (a long GC, SIGSTOP): it resumes believing its lease still holds, after the others have already elected a new leader; a clock running slow stretches the ticks the same way.",
  'lease-clock-drift': "`lease-clock-drift`: the same lease read with the old leader's clock running slow: it believes its lease still holds after the others have already elected a new leader and accepted writes, and answers with the old value.",
  'leader-local': '`leader-local`: whoever believes it is the leader answers from its own state, with no check. An isolated old leader goes on believing it, and goes on answering with values the majority has since overwritten.',
  serializable: "`serializable`: any member answers from its own state (etcd's `serializable: true`). Stale by design and documented as such; the linearizability check leaves these reads out and a separate rule checks them (each returns a value that was once current).",
  'readindex-reused-id':
    "`readindex-reused-id`: ReadIndex as etcd served it before PR #21399 (etcd #20418), on that bug's own schedule. A member whose ReadIndex request went unanswered re-sends it with the same request id. The leader is paused with a round for that id open, wakes up still believing it leads, and counts a late heartbeat acknowledgement from the id's first round towards the re-sent request — which also releases a read queued behind it, at the leader's old commit index, after the other members have elected a new leader and acknowledged writes: a stale read. The id named the request, not the attempt, so an answer to an old attempt completed a new one.",
  'readindex-new-id':
    "`readindex-new-id`: etcd's fix (PR #21399): every retry of a ReadIndex gets a new request id, so only acknowledgements of the current attempt count towards it; a late answer to an earlier attempt completes nothing, and the same schedule stays linearizable.",
};

function explainReadIndex(result: ExperimentData): ExplanationSection[] {
  const seeds = result.seeds.length;
  const happened = result.arms.map((a) => {
    const stale = armValues(a, 'staleReads').reduce((s, v) => s + v, 0);
    const p50 = a.metrics.readLatencyMsP50 ?? armDistribution(a, 'readLatencyMsP50').median;
    const p99 = a.metrics.readLatencyMsP99 ?? armDistribution(a, 'readLatencyMsP99').median;
    const label = runsOtherScenario(result, a) ? `\`${a.name}\` (on \`${a.scenario ?? ''}\`: its latencies belong to that schedule)` : `\`${a.name}\``;
    return `${label}: a linearizability violation in ${violationSeeds(a)} of ${checkedText(a, seeds)}, ${n(stale)} stale reads in all; reads took ${n(p50)} ms at the median, ${n(p99)} ms at p99.`;
  });
  const notes: string[] = [];
  const ri = arm(result, 'readindex');
  if (ri !== undefined) notes.push(noViolationNote(ri, 'ReadIndex', seeds) ?? `Unexpected: ReadIndex had a violation in ${violationSeeds(ri)} seeds — look at seed ${firstViolation(ri)}.`);
  const ser = arm(result, 'serializable');
  if (ser !== undefined && violationSeeds(ser) > 0) notes.push(`Unexpected: serializable reads were flagged by the linearizability check in ${violationSeeds(ser)} seeds; they should be left out of it.`);
  const local = arm(result, 'leader-local');
  if (ri !== undefined && local !== undefined) {
    const riP50 = ri.metrics.readLatencyMsP50 ?? armDistribution(ri, 'readLatencyMsP50').median;
    const localP50 = local.metrics.readLatencyMsP50 ?? armDistribution(local, 'readLatencyMsP50').median;
    notes.push(
      riP50 > localP50
        ? `Safety has a price: a ReadIndex read took ${n(riP50)} ms at the median against ${n(localP50)} ms for a leader-local one — the heartbeat round trip to a quorum.`
        : `ReadIndex reads were not slower here: ${n(riP50)} ms at the median against ${n(localP50)} ms for leader-local ones. Its extra heartbeat round trip costs little next to the other delays in this scenario.`,
    );
  }
  notes.push(...etcd20418Notes(result, seeds));
  const why = result.arms.map((a) => READ_MODE_WHY[a.name]).filter((s): s is string => s !== undefined);
  return [
    { heading: 'What happened', paragraphs: [...happened, ...notes] },
    { heading: 'Why', paragraphs: why.length > 0 ? why : ['(No read mode of this experiment has a stored explanation.)'] },
    { heading: 'The fix', paragraphs: [READ_FIX, ...(arm(result, 'readindex-reused-id') === undefined ? [] : [READ_ID_FIX])] },
  ];
}

const READ_FIX =
  "Serve linearizable reads through ReadIndex (etcd's default for `Range` without `serializable`). Lease-based reads trade that safety for latency and depend on bounded clock drift; leader-local reads are never safe under partitions.";
const READ_ID_FIX = 'And give every attempt of a ReadIndex its own request id (etcd PR #21399): an id that names the request rather than the attempt lets an answer to an earlier attempt complete a later one.';

/** `20 seeds`, or `18 seeds checked (2 not: …)` when the linearizability check did not run in some. */
function checkedText(a: ArmData, seeds: number): string {
  if (a.perSeed.length === 0) return `${seeds} seeds`;
  const checked = checkedSeeds(a, 'linearizable');
  return checked === a.perSeed.length ? `${checked} seeds` : `${checked} seeds checked (not in ${a.perSeed.length - checked}: the check was off, or the run stopped at a broken invariant)`;
}

/** `<who> had no violation in any seed: the expected result` — said only of seeds that were checked; null if one failed. */
function noViolationNote(a: ArmData, who: string, seeds: number): string | null {
  if (violationSeeds(a) > 0) return null;
  const checked = a.perSeed.length === 0 ? seeds : checkedSeeds(a, 'linearizable');
  if (checked === seeds) return `${who} had no violation in any seed: the expected result.`;
  return `${who} had no violation in the ${checked} seeds where linearizability was checked; ${seeds - checked} were not checked, so they say nothing either way.`;
}

function firstViolation(a: ArmData): string {
  const s = a.perSeed.find((x) => x.failed.includes('linearizable'));
  return s === undefined ? '?' : `${s.seed}: \`${s.reproduce}\``;
}

/** The etcd #20418 arms: the bug where the id is reused, none with a new id per retry (etcd's fix). */
function etcd20418Notes(result: ExperimentData, seeds: number): string[] {
  const notes: string[] = [];
  const reused = arm(result, 'readindex-reused-id');
  if (reused !== undefined) {
    const v = violationSeeds(reused);
    notes.push(
      v > 0
        ? `With the request id reused on a retry, etcd #20418's schedule broke linearizability in ${v} of ${checkedText(reused, seeds)}: a stale read served by a paused leader that counted an old acknowledgement (look at seed ${firstViolation(reused)}).`
        : `With the request id reused on a retry, etcd #20418's schedule broke nothing in these seeds: the bug needs the pause to land while the leader's ReadIndex round is open, which depends on the seed; more seeds show it.`,
    );
  }
  const fresh = arm(result, 'readindex-new-id');
  if (fresh !== undefined) notes.push(noViolationNote(fresh, 'With a new id per retry (etcd\'s fix), ReadIndex on the same schedule', seeds) ?? `Unexpected: with a new id per retry ReadIndex still had a violation in ${violationSeeds(fresh)} seeds — look at seed ${firstViolation(fresh)}.`);
  return notes;
}

function explainCheckQuorum(result: ExperimentData): ExplanationSection[] {
  const happened = result.arms.map((a) => {
    const d = armDistribution(a, 'minorityLeaderMs');
    return `\`${a.name}\`: the cut-off leader kept leading for ${n(d.median)} ms at the median (max ${n(d.max)} ms, over ${d.n} seeds).`;
  });
  return [
    { heading: 'What happened', paragraphs: happened },
    {
      heading: 'Why',
      paragraphs: [
        'A leader learns it has lost its followers only by not hearing from them. With CheckQuorum it counts, every election timeout, the members it heard from; short of a quorum, it steps down. Without CheckQuorum nothing tells it: it keeps accepting requests it can never commit, and (with leader-local reads) keeps answering reads with old data, until the partition heals and a higher term reaches it.',
      ],
    },
    { heading: 'The fix', paragraphs: ['Run with CheckQuorum (etcd always does). It also lets followers ignore vote requests while their leader is alive, which keeps a flapping member from deposing it.'] },
  ];
}

function explainFsync(result: ExperimentData): ExplanationSection[] {
  const happened = result.arms.map((a) => {
    const d = armDistribution(a, 'lostAckedWrites');
    const total = d.values.reduce((s, v) => s + v, 0);
    return `\`${a.name}\`: ${n(total)} acknowledged writes lost in all, in ${d.positive} of ${d.n} seeds.`;
  });
  const on = arm(result, 'fsync-on');
  const notes = on === undefined ? [] : [armDistribution(on, 'lostAckedWrites').positive === 0 ? 'With fsync no acknowledged write was ever lost: the expected result.' : 'Unexpected: writes were lost even with fsync — a durability bug; run the worst seed and read its trace.'];
  return [
    { heading: 'What happened', paragraphs: [...happened, ...notes] },
    {
      heading: 'Why',
      paragraphs: [
        "Raft counts a member's acknowledgement toward a quorum on the promise that the entry is on its disk. Without fsync the entry may be only in the page cache: a crash discards it, the member comes back with a shorter log and may vote for, or become, a leader that lacks a write the client was told had committed.",
      ],
    },
    { heading: 'The fix', paragraphs: ['fsync the WAL before acknowledging (etcd does; `unsafeNoFsync` exists for tests and benchmarks only).'] },
  ];
}
