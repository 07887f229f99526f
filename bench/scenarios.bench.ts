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
 * This file measures wall time on purpose; it is not part of the simulation.
 */
import type { Benchmark, Figure } from './run.js';
import { resolveScenario } from '../scenarios/resolve.js';
import { runScenario } from '../scenarios/runner.js';
import { scenarioFor } from '../scenarios/scenario-source.js';
import type { RunRecord } from '../record/run-record.js';

interface Measured {
  readonly virtualMs: number;
  readonly wallMs: number;
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
  const t0 = performance.now();
  for (const seed of seeds) {
    const rec = runOne(seed);
    virtualMs += rec.virtualMs;
    events += rec.events;
    ops += opsOf(rec);
  }
  return { virtualMs, wallMs: performance.now() - t0, events, ops, runs: seeds.length };
}

function measureFile(input: unknown, seeds: readonly number[], warmup = 2): Measured {
  const r = resolveScenario(input, { source: 'bench' });
  if (!r.ok) throw new Error(r.error);
  const scenario = r.scenario;
  for (let i = 0; i < warmup; i++) runScenario({ name: 'bench', scenario, seed: 1_000_000 + i, overrides: [], trace: 'hash-only', keepHistory: false });
  let virtualMs = 0;
  let events = 0;
  let ops = 0;
  const t0 = performance.now();
  for (const seed of seeds) {
    const rec = runScenario({ name: 'bench', scenario, seed, overrides: [], trace: 'hash-only', keepHistory: false });
    virtualMs += rec.virtualMs;
    events += rec.events;
    ops += opsOf(rec);
  }
  return { virtualMs, wallMs: performance.now() - t0, events, ops, runs: seeds.length };
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
      return [{ bench: 'run.prevote-rejoin.virtual_per_wall', value: round(m.virtualMs / m.wallMs), unit: 'virtual s / wall s' }];
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
      ];
    },
  },
];
