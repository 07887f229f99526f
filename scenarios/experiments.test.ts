/**
 * Acceptance of the headline experiments, on a few seeds (the benchmark README reports more):
 * - prevote: with PreVote the isolated node's term rise is 0 and no leader changes on heal, in
 *   every seed; without it both are > 0;
 * - readindex: readindex has no violation; leader-local and lease with clock drift have some;
 *   serializable reads are never flagged by the linearizability check;
 * - fsync: acknowledged writes are lost only with unsafeNoFsync.
 * Plus the pure parts: aggregation, the --json shape and the table.
 */
import { describe, expect, it } from 'vitest';
import { armScenario, EXPERIMENTS, experimentJson, formatExperimentTable, summarizeArm, summarizeExperiment, type ExperimentName } from './experiments.js';
import { runJob } from './run-job.js';
import type { RunRecord } from '../record/run-record.js';

const SEEDS = [1, 2];

function runArms(name: ExperimentName, only?: readonly string[]) {
  const spec = EXPERIMENTS[name];
  const arms = spec.arms.filter((a) => only === undefined || only.includes(a.name));
  const results = arms.map((a) => {
    const records = SEEDS.map((seed) => {
      const r = runJob({ id: 0, source: { kind: 'builtin', name: armScenario(spec, a) }, seed, overrides: a.overrides, trace: 'hash-only', full: false });
      if (!r.ok) throw new Error(r.error);
      return r.record;
    });
    return { arm: a, records, result: summarizeArm(spec, a, records) };
  });
  return { spec, results, experiment: summarizeExperiment(spec, SEEDS, results.map((r) => r.result)) };
}

const metricsOf = (x: ReturnType<typeof runArms>, arm: string): Readonly<Record<string, number>> => x.experiment.arms.find((a) => a.name === arm)?.metrics ?? {};
const recordsOf = (x: ReturnType<typeof runArms>, arm: string): readonly RunRecord[] => x.results.find((r) => r.arm.name === arm)?.records ?? [];

describe('experiment prevote', () => {
  const x = runArms('prevote');

  it('with PreVote the isolated follower keeps its term and the leader keeps leading, in every seed', () => {
    const on = metricsOf(x, 'prevote-on');
    expect(on.isolatedTermRiseMax).toBe(0);
    expect(on.leaderChangesAfterHealMax).toBe(0);
  });

  it('without PreVote its term climbs and the leader is deposed on heal', () => {
    const off = metricsOf(x, 'prevote-off');
    expect(off.seedsWithTermRise).toBe(SEEDS.length);
    expect(off.isolatedTermRiseMedian).toBeGreaterThan(2);
    expect(off.seedsWithLeaderChangeAfterHeal).toBeGreaterThanOrEqual(1);
    for (const r of recordsOf(x, 'prevote-off')) expect(r.checks.invariants.status).toBe('pass');
  });

  it('--json carries the arm and metric names scripts read', () => {
    const json = experimentJson(x.experiment) as { experiment: string; seeds: number; arms: { name: string; settings: unknown; metrics: Record<string, number> }[] };
    expect(json.experiment).toBe('prevote');
    expect(json.seeds).toBe(SEEDS.length);
    expect(json.arms.map((a) => a.name)).toEqual(['prevote-on', 'prevote-off']);
    for (const a of json.arms) expect(Object.keys(a.metrics)).toEqual(expect.arrayContaining(['isolatedTermRiseMax', 'isolatedTermRiseMedian', 'leaderChangesAfterHealMax', 'unavailableMsMedian']));
    expect(formatExperimentTable(x.experiment).split('\n')[3]).toMatch(/^prevote-on\s+0\s+0\s+0\s+0\s+0/);
  });
});

describe('experiment readindex', () => {
  const x = runArms('readindex');

  it('readindex reads are linearizable in every seed; leader-local and lease with a slow clock are not', () => {
    expect(metricsOf(x, 'readindex').violationSeeds).toBe(0);
    expect(metricsOf(x, 'leader-local').violationSeeds).toBeGreaterThanOrEqual(1);
    expect(metricsOf(x, 'lease-clock-drift').violationSeeds).toBeGreaterThanOrEqual(1);
    expect(metricsOf(x, 'leader-local').staleReads).toBeGreaterThan(0);
  });

  it('serializable reads may be stale but are never flagged by the linearizability check', () => {
    const ser = metricsOf(x, 'serializable');
    expect(ser.staleReads).toBeGreaterThan(0);
    expect(ser.violationSeeds).toBe(0);
    expect(ser.serializableViolationSeeds).toBe(0);
    for (const r of recordsOf(x, 'serializable')) expect(r.checks.serializable.summary).toMatch(/serializable reads each saw a committed state/);
  });

  it('etcd #20418 next to its fix: a reused ReadIndex id breaks linearizability on that bug\'s schedule, a new id per retry does not', () => {
    expect(metricsOf(x, 'readindex-reused-id').violationSeeds).toBe(SEEDS.length);
    expect(metricsOf(x, 'readindex-new-id').violationSeeds).toBe(0);
    const arms = x.experiment.arms.filter((a) => a.name.startsWith('readindex-'));
    expect(arms.map((a) => [a.name, a.scenario])).toEqual([['readindex-reused-id', 'etcd-20418'], ['readindex-new-id', 'etcd-20418']]);
    expect(x.experiment.arms.find((a) => a.name === 'readindex')?.scenario).toBe('read-modes');
    expect(x.experiment.explanation.at(-1)).toMatch(/same id broke linearizability in 2 seeds .* in 0\. \(/);
  });

  it('names the arms by read mode, with the issue\'s metrics', () => {
    expect(x.experiment.arms.map((a) => a.name)).toEqual(['readindex', 'lease', 'lease-clock-drift', 'leader-local', 'serializable', 'readindex-reused-id', 'readindex-new-id']);
    for (const a of x.experiment.arms) expect(Object.keys(a.metrics)).toEqual(expect.arrayContaining(['violationSeeds', 'staleReads', 'readLatencyMsP50', 'readLatencyMsP99']));
  });
});

describe('experiment fsync', () => {
  it('acknowledged writes are lost only with unsafeNoFsync', () => {
    const x = runArms('fsync');
    expect(metricsOf(x, 'fsync-on').lostAckedWrites).toBe(0);
    expect(metricsOf(x, 'fsync-off').lostAckedWrites).toBeGreaterThan(0);
    expect(metricsOf(x, 'fsync-off').seedsWithLoss).toBe(SEEDS.length);
    // The text names the setting a user can pass (there is no --unsafe-no-fsync flag in raftsim).
    expect(x.experiment.explanation[1]).toMatch(/^With cluster\.unsafeNoFsync=true \(/);
  });

  it('the user\'s --set overrides go into the experiment\'s reproduce command', () => {
    const spec = EXPERIMENTS.fsync;
    expect(summarizeExperiment(spec, [3, 4], [], ['workload.ratePerS=50', 'description=a b']).reproduce).toBe("npx raftsim experiment fsync --seeds 2 --from 3 --set workload.ratePerS=50 --set 'description=a b'");
  });

  it('per seed, each check keeps its own status: the invariants both arms turn off are skipped, not passed', () => {
    const x = runArms('fsync', ['fsync-on']);
    const seeds = x.experiment.arms[0]?.seeds ?? [];
    expect(seeds.map((s) => s.checks?.invariants)).toEqual(SEEDS.map(() => 'skipped'));
    expect(seeds.map((s) => s.checks?.linearizable)).toEqual(SEEDS.map(() => 'pass'));
    expect(seeds.map((s) => s.verdict)).toEqual(SEEDS.map(() => 'pass'));
  });
});
