/**
 * Hunting one known bug with the generic swarm (the engine of `raftsim hunt` and `npm run bench:hunt`):
 *
 * 1. run seeds from, from+1, … of the scenario (default `swarm`, which knows nothing of the bug)
 *    with the bug's switch on, on worker threads, until the first failure (a failed check or a
 *    run that panics);
 * 2. shrink the lowest failing seed's scenario (shrink.ts) while one of the same checks still
 *    fails, and write it as a scenario file;
 * 3. with the switch off, re-run every seed up to the failing one, and the shrunk file: all must
 *    pass (else the "bug" was a false alarm of the swarm, or needs more than the switch).
 *
 * CPU time is the process's (process.cpuUsage covers the main thread and every worker thread),
 * measured around each phase: the machine is shared, wall time says little.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBug } from '../bugs.js';
import { failsLike, outcomeOf, shrinkFailure, type SeedOutcome } from '../fuzz.js';
import type { JobResult, RunJob } from '../run-job.js';
import { reproduceCommand } from '../runner.js';
import { scenarioFor, sourceName, type ScenarioSource } from '../scenario-source.js';
import type { Scenario } from '../schema.js';
import { runPool } from './worker-pool.js';

export interface HuntOptions {
  readonly source: ScenarioSource;
  readonly from: number;
  readonly seeds: number;
  readonly workers: number;
  /** Extra `--set` overrides for every run (after the bug's). */
  readonly overrides: readonly string[];
  /** Where the shrunk file goes; null: do not write it. */
  readonly outDir: string | null;
  readonly shrinkRuns: number;
  /** Start no new seed after this many wall seconds (undefined: no bound). */
  readonly timeBudgetS?: number;
  /** Skip the re-run with the switch off (the bench measures time-to-find only). */
  readonly skipFixCheck?: boolean;
  /** Called with progress lines (stderr in the CLI). */
  readonly log?: (line: string) => void;
}

export interface HuntResult {
  readonly bug: string;
  readonly found: boolean;
  /** The lowest failing seed, or null. */
  readonly seed: number | null;
  /** Seeds that ran with the switch on (every dispatched seed finishes). */
  readonly seedsRun: number;
  /** The failing seed's position in the campaign (seed − from + 1): seeds to find. */
  readonly seedsToFind: number | null;
  /** CPU seconds of the search (all threads), not counting the shrink and the fix check. */
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
  /** The first failed check of the failing seed (`run`: the run panicked). */
  readonly check: string | null;
  readonly summary: string | null;
  readonly faultsBefore: number | null;
  readonly faultsAfterShrink: number | null;
  /** With the switch off, every seed up to the failing one and the shrunk file pass; null when not found or skipped. */
  readonly fixPasses: boolean | null;
  /** Why the fix check failed (a seed or the shrunk file that still fails). */
  readonly fixProblem?: string;
  readonly shrunkFile: string | null;
  readonly shrinkCpuSeconds: number | null;
  readonly fixCheckCpuSeconds: number | null;
  readonly reproduce: string | null;
}

const cpuS = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

function outcome(result: JobResult, seedOf: (id: number) => number, name: string, overrides: readonly string[], wallMs: number): SeedOutcome {
  if (result.ok) return outcomeOf(result.record, wallMs);
  const seed = seedOf(result.id);
  const reproduce = reproduceCommand(name, seed, overrides);
  const line = result.error.split('\n')[0] ?? '';
  return { seed, status: 'error', failed: ['run'], summary: `the run crashed: ${line}`, traceHash: '', virtualMs: 0, events: 0, wallMs, reproduce };
}

/** Runs `seeds` with `overrides`; stops at the first failure when `stopAtFailure`. */
async function campaign(o: HuntOptions, seeds: readonly number[], overrides: readonly string[], stopAtFailure: boolean, deadline: number): Promise<SeedOutcome[]> {
  const jobs = seeds.map((seed, id): RunJob => ({ id, source: o.source, seed, overrides, trace: 'hash-only', full: false }));
  const outcomes: SeedOutcome[] = [];
  let failed = false;
  await runPool(jobs, {
    workers: o.workers,
    shouldStop: () => performance.now() > deadline || (stopAtFailure && failed),
    onResult: (result, wallMs) => {
      const out = outcome(result, (id) => jobs[id]?.seed ?? -1, sourceName(o.source), overrides, wallMs);
      if (result.ok === false && result.kind === 'input') throw new Error(`seed ${out.seed}: ${result.error}`);
      outcomes.push(out);
      if (out.status === 'fail' || out.status === 'error') failed = true;
    },
  });
  return outcomes.sort((a, b) => a.seed - b.seed);
}

export function bugOverride(bug: string): string {
  return `bugs=${JSON.stringify([bug])}`;
}

export async function huntBug(bug: string, o: HuntOptions): Promise<HuntResult> {
  if (findBug(bug) === undefined) throw new Error(`hunt: unknown bug ${bug}`);
  const log = o.log ?? (() => {});
  const on = [bugOverride(bug), ...o.overrides];
  const seeds = Array.from({ length: o.seeds }, (_, i) => o.from + i);
  const t0 = performance.now();
  const c0 = cpuS();
  const deadline = o.timeBudgetS === undefined ? Infinity : t0 + o.timeBudgetS * 1000;
  const outcomes = await campaign(o, seeds, on, true, deadline);
  const cpuSeconds = cpuS() - c0;
  const wallSeconds = (performance.now() - t0) / 1000;
  const first = outcomes.find((x) => x.status === 'fail' || x.status === 'error');
  const base = { bug, seedsRun: outcomes.length, cpuSeconds: round(cpuSeconds), wallSeconds: round(wallSeconds) };
  if (first === undefined) {
    log(`hunt ${bug}: not found in ${outcomes.length} seeds (${round(cpuSeconds)} CPU s)`);
    return { ...base, found: false, seed: null, seedsToFind: null, check: null, summary: null, faultsBefore: null, faultsAfterShrink: null, fixPasses: null, shrunkFile: null, shrinkCpuSeconds: null, fixCheckCpuSeconds: null, reproduce: null };
  }
  const check = first.failed[0] ?? 'run';
  log(`hunt ${bug}: seed ${first.seed} fails ${check} after ${outcomes.length} seeds (${round(cpuSeconds)} CPU s): ${first.summary}`);
  // Shrink in this thread.
  const c1 = cpuS();
  const resolved = scenarioFor(o.source, first.seed, on);
  let shrunk: Scenario | null = null;
  let faultsBefore: number | null = null;
  let faultsAfter: number | null = null;
  let shrunkFile: string | null = null;
  if (resolved.ok && o.shrinkRuns > 0 && first.failed[0] !== undefined) {
    const r = shrinkFailure(resolved.scenario, first.seed, first.failed, o.shrinkRuns);
    shrunk = r.scenario;
    faultsBefore = r.faultsBefore;
    faultsAfter = r.faultsAfter;
    if (o.outDir !== null) {
      mkdirSync(o.outDir, { recursive: true });
      shrunkFile = join(o.outDir, `hunt-${bug}-seed${first.seed}.shrunk.json`);
      const description = `Bug ${bug} found by \`${first.reproduce}\` and shrunk: ${first.summary}`;
      writeFileSync(shrunkFile, `${JSON.stringify({ ...r.scenario, description }, null, 1)}\n`);
    }
  }
  const shrinkCpuSeconds = round(cpuS() - c1);
  if (o.skipFixCheck === true) {
    return { ...base, found: true, seed: first.seed, seedsToFind: first.seed - o.from + 1, check, summary: first.summary, faultsBefore, faultsAfterShrink: faultsAfter, fixPasses: null, shrunkFile, shrinkCpuSeconds, fixCheckCpuSeconds: null, reproduce: first.reproduce };
  }
  // The same seeds, switch off: every one must pass; so must the shrunk scenario.
  const c2 = cpuS();
  const off = seeds.filter((s) => s <= first.seed);
  const offOutcomes = await campaign(o, off, o.overrides, true, Infinity);
  const stillFailing = offOutcomes.find((x) => x.status !== 'pass');
  let fixProblem: string | undefined;
  if (stillFailing !== undefined) fixProblem = `seed ${stillFailing.seed} fails without the switch: ${stillFailing.summary} (${stillFailing.reproduce})`;
  else if (shrunk !== null && failsLike({ ...shrunk, bugs: [] }, first.seed, new Set([...first.failed, 'run']))) fixProblem = 'the shrunk scenario fails without the switch too';
  const fixCheckCpuSeconds = round(cpuS() - c2);
  log(`hunt ${bug}: switch off: ${fixProblem ?? `${off.length} seeds and the shrunk file pass`}`);
  return {
    ...base,
    found: true,
    seed: first.seed,
    seedsToFind: first.seed - o.from + 1,
    check,
    summary: first.summary,
    faultsBefore,
    faultsAfterShrink: faultsAfter,
    fixPasses: fixProblem === undefined,
    ...(fixProblem === undefined ? {} : { fixProblem }),
    shrunkFile,
    shrinkCpuSeconds,
    fixCheckCpuSeconds,
    reproduce: first.reproduce,
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
