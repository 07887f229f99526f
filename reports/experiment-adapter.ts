/**
 * From the runner's experiment result (record/experiment-record.ts) to the report's input
 * (experiment-data.ts). Per-seed values are the seed's RunMetrics figures and its `extra` entries
 * (`isolatedTermRise`, `minorityLeaderMs` live there); each check the seed skipped is named, so
 * the report does not count it as a pass; the representative run record becomes its term series.
 */
import type { ArmResult, ArmSeed, ExperimentResult } from '../record/experiment-record.js';
import type { RunMetrics } from '../record/run-record.js';
import { representativeOf, type ArmData, type ExperimentData, type SeedData } from './experiment-data.js';
import { assert } from './invariant.js';

/** The numeric RunMetrics fields that become per-seed values (termRise is per member: left out). */
const SEED_FIELDS: readonly (keyof RunMetrics)[] = [
  'maxTerm',
  'leaderChanges',
  'leaderChangesAfterHeal',
  'elections',
  'unavailableMs',
  'staleReads',
  'readLatencyMsP50',
  'readLatencyMsP99',
  'writeLatencyMsP50',
  'writeLatencyMsP99',
  'lostAckedWrites',
];

export function seedValues(m: RunMetrics): Record<string, number> {
  const values: Record<string, number> = {};
  for (const k of SEED_FIELDS) values[k] = m[k] as number;
  for (const [k, v] of Object.entries(m.extra)) values[k] = v;
  return values;
}

function seedData(s: ArmSeed): SeedData {
  const skipped = Object.entries(s.checks).flatMap(([name, status]) => (status === 'skipped' ? [name] : []));
  return { seed: s.seed, values: seedValues(s.metrics), verdict: s.verdict, failed: s.failed, skipped, reproduce: s.reproduce };
}

/** The built-in most arms run (the first arm's on a tie): the experiment's own; other arms name theirs. */
function sharedScenario(arms: readonly ArmResult[]): string | undefined {
  const counts = new Map<string, number>();
  for (const a of arms) counts.set(a.scenario, (counts.get(a.scenario) ?? 0) + 1);
  let best: string | undefined;
  for (const [name, k] of counts) if (best === undefined || k > (counts.get(best) ?? 0)) best = name;
  return best;
}

/** `reportHrefOf(arm)`: where the writer put the arm's representative run report (null: none). */
export function experimentDataOf(result: ExperimentResult, reportHrefOf: (arm: ArmResult) => string | null = () => null): ExperimentData {
  assert(result.seedList.length === result.seeds, () => `experiment ${result.experiment}: seeds ${result.seeds} but ${result.seedList.length} in seedList`);
  const arms = result.arms.map(
    (a): ArmData => ({
      name: a.name,
      settings: a.settings,
      overrides: a.overrides,
      scenario: a.scenario,
      metrics: a.metrics,
      perSeed: a.seeds.map(seedData),
      representative: a.representative === null ? null : representativeOf(a.representative, reportHrefOf(a)),
    }),
  );
  const scenario = sharedScenario(result.arms);
  return {
    experiment: result.experiment,
    seeds: result.seedList,
    title: result.title,
    question: result.question,
    ...(scenario === undefined ? {} : { scenario }),
    summary: result.explanation,
    command: result.reproduce,
    columns: result.columns,
    arms,
  };
}
