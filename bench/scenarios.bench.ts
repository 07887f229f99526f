/**
 * Whole-run figures: how much virtual time a run simulates per wall second, checks included.
 *
 * - `run.prevote-rejoin.virtual_per_wall`, `run.swarm.virtual_per_wall`: virtual seconds per wall
 *   second over several seeds (after warm-up runs, so the JIT has compiled the hot paths).
 * - `run.swarm.events_per_s`: trace events per wall second over those swarm runs.
 * - `fuzz.swarm.seeds_per_s`: swarm seeds run per second by one worker (in this thread: a fuzz
 *   worker does exactly this), shrinking excluded.
 * - `run.5-members-100ops.virtual_per_wall`: the target case — 5 members, 100 client operations
 *   per second, no faults, every check on; and `…_no_checks` with the checks off, to show their cost;
 *   `…wall_us_per_op`: wall microseconds per client operation, everything included (500x at 100
 *   ops/s leaves 20).
 *
 * Each also in CPU time (`process.cpuUsage`), which holds on a busy machine where wall time swings
 * with the neighbours: `…cpu_ms` (the measured runs together), `…virtual_per_cpu`, and
 * `run.5-members-100ops.cpu_us_per_op` (`…_no_checks`); and each CPU figure divided by the
 * baseline measured in the same run (`run.baseline_cpu_ms`, bench/measure.ts) as `…vs_baseline`.
 *
 * This file measures wall time on purpose; it is not part of the simulation.
 */
import type { Benchmark, Figure } from './run.js';
import { resolveScenario } from '../scenarios/resolve.js';
import { runScenario } from '../scenarios/runner.js';
import { scenarioFor } from '../scenarios/scenario-source.js';
import type { RunRecord } from '../record/run-record.js';
import { baselineCpuMs } from './measure.js';

interface Measured {
  readonly virtualMs: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly events: number;
  readonly ops: number;
  readonly runs: number;
}

function measure(name: string, seeds: readonly number[], overrides: readonly string[] = [], warmup = 2): Measured {
  const runOne = (seed: number): RunRecord => {
    const r = scenarioFor({ kind: 'builtin', name }, seed, overrides);
    if (!r.ok) throw new Error(r.error);
    return runScenario({ name, scenario: r.scenario, seed, overrides, trace: 'hash-only', keepHistory: false });
  };
  for (let i = 0; i < warmup; i++) runOne(1_000_000 + i);
  let virtualMs = 0;
  let events = 0;
  let ops = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const seed of seeds) {
    const rec = runOne(seed);
    virtualMs += rec.virtualMs;
    events += rec.events;
    ops += opsOf(rec);
  }
  return { virtualMs, wallMs: performance.now() - t0, cpuMs: cpuSince(c0), events, ops, runs: seeds.length };
}

function measureFile(input: unknown, seeds: readonly number[], warmup = 2): Measured {
  const r = resolveScenario(input, { source: 'bench' });
  if (!r.ok) throw new Error(r.error);
  const scenario = r.scenario;
  for (let i = 0; i < warmup; i++) runScenario({ name: 'bench', scenario, seed: 1_000_000 + i, overrides: [], trace: 'hash-only', keepHistory: false });
  let virtualMs = 0;
  let events = 0;
  let ops = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const seed of seeds) {
    const rec = runScenario({ name: 'bench', scenario, seed, overrides: [], trace: 'hash-only', keepHistory: false });
    virtualMs += rec.virtualMs;
    events += rec.events;
    ops += opsOf(rec);
  }
  return { virtualMs, wallMs: performance.now() - t0, cpuMs: cpuSince(c0), events, ops, runs: seeds.length };
}

function cpuSince(c0: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(c0);
  return (used.user + used.system) / 1000;
}

/** The baseline of this run, measured once, before the first run.* figure that needs it. */
let baseline: number | undefined;
function baselineMs(): number {
  baseline ??= baselineCpuMs();
  return baseline;
}

/** The CPU figures of one measurement, and each against the baseline. */
function cpuFigures(name: string, m: Measured): Figure[] {
  const b = baselineMs();
  return [
    { bench: `${name}.cpu_ms`, value: Math.round(m.cpuMs), unit: `ms CPU (${m.runs} runs)` },
    { bench: `${name}.virtual_per_cpu`, value: round(m.virtualMs / m.cpuMs), unit: 'virtual s / CPU s' },
    { bench: `${name}.cpu_ms.vs_baseline`, value: round(m.cpuMs / b), unit: `x run.baseline_cpu_ms (${round(b)} ms in this run)` },
  ];
}

const opsOf = (rec: RunRecord): number => rec.ops.ok + rec.ops.fail + rec.ops.unknown;
const seeds = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
const round = (x: number): number => Math.round(x * 10) / 10;

/** The 500× target case: 5 members, 100 ops/s, 30 s, no faults. */
const TARGET = { durationMs: 30_000, cluster: { size: 5 }, workload: { clients: 5, ratePerS: 100 } };

export const benchmarks: Benchmark[] = [
  {
    name: 'run.prevote-rejoin',
    run(): Figure[] {
      const m = measure('prevote-rejoin', seeds(10));
      return [{ bench: 'run.baseline_cpu_ms', value: round(baselineMs()), unit: 'ms CPU (bench/measure.ts baselineCpuMs)' }, { bench: 'run.prevote-rejoin.virtual_per_wall', value: round(m.virtualMs / m.wallMs), unit: 'virtual s / wall s' }, ...cpuFigures('run.prevote-rejoin', m)];
    },
  },
  {
    name: 'run.swarm',
    run(): Figure[] {
      const m = measure('swarm', seeds(30));
      return [
        { bench: 'run.swarm.virtual_per_wall', value: round(m.virtualMs / m.wallMs), unit: 'virtual s / wall s' },
        { bench: 'run.swarm.events_per_s', value: Math.round(m.events / (m.wallMs / 1000)), unit: 'events/s' },
        { bench: 'fuzz.swarm.seeds_per_s', value: round(m.runs / (m.wallMs / 1000)), unit: 'seeds/s per worker' },
        ...cpuFigures('run.swarm', m),
        { bench: 'run.swarm.events_per_cpu_s', value: Math.round(m.events / (m.cpuMs / 1000)), unit: 'events / CPU s' },
      ];
    },
  },
  {
    name: 'run.5-members-100ops',
    run(): Figure[] {
      const on = measureFile(TARGET, seeds(5));
      const off = measureFile({ ...TARGET, checks: { invariants: false, linearizable: false, serializable: false, watch: false, liveness: false } }, seeds(5));
      return [
        { bench: 'run.5-members-100ops.virtual_per_wall', value: round(on.virtualMs / on.wallMs), unit: 'virtual s / wall s (checks on)' },
        { bench: 'run.5-members-100ops.virtual_per_wall_no_checks', value: round(off.virtualMs / off.wallMs), unit: 'virtual s / wall s (checks off)' },
        { bench: 'run.5-members-100ops.events_per_s', value: Math.round(on.events / (on.wallMs / 1000)), unit: 'events/s' },
        // The target's budget in these units: at 500x and 100 ops/s, 20 us of wall per client operation.
        { bench: 'run.5-members-100ops.wall_us_per_op', value: Math.round((on.wallMs * 1000) / on.ops), unit: 'us of wall per client operation (checks on; 500x needs <= 20)' },
        { bench: 'run.5-members-100ops.cpu_us_per_op', value: Math.round((on.cpuMs * 1000) / on.ops), unit: 'us of CPU per client operation (checks on)' },
        { bench: 'run.5-members-100ops.cpu_us_per_op_no_checks', value: Math.round((off.cpuMs * 1000) / off.ops), unit: 'us of CPU per client operation (checks off)' },
        { bench: 'run.5-members-100ops.cpu_us_per_op.vs_baseline', value: Math.round((100 * (on.cpuMs * 1000)) / on.ops / baselineMs()) / 100, unit: `us per op per ms of run.baseline_cpu_ms (${round(baselineMs())} ms in this run)` },
        ...cpuFigures('run.5-members-100ops', on),
      ];
    },
  },
  {
    // The backend's cost: the same target with every member keeping its state in the backend file
    // (server.backend), beside the backend-off run measured here, in this process, as its baseline.
    name: 'run.5-members-100ops-backend',
    run(): Figure[] {
      const off = measureFile(TARGET, seeds(5));
      const on = measureFile({ ...TARGET, server: { backend: true } }, seeds(5));
      const perOp = (m: Measured): number => (m.cpuMs * 1000) / m.ops;
      return [
        { bench: 'run.5-members-100ops-backend.cpu_us_per_op', value: Math.round(perOp(on)), unit: 'us of CPU per client operation (backend on, checks on)' },
        { bench: 'run.5-members-100ops-backend.baseline_cpu_us_per_op', value: Math.round(perOp(off)), unit: 'us of CPU per client operation (backend off, same run)' },
        { bench: 'run.5-members-100ops-backend.cpu_us_per_op.vs_off', value: Math.round((100 * perOp(on)) / perOp(off)) / 100, unit: 'x the backend-off run (CPU)' },
        { bench: 'run.5-members-100ops-backend.wall_us_per_op', value: Math.round((on.wallMs * 1000) / on.ops), unit: `us of wall per client operation (backend on; off: ${Math.round((off.wallMs * 1000) / off.ops)})` },
        ...cpuFigures('run.5-members-100ops-backend', on),
      ];
    },
  },
];
