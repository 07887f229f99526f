/**
 * One unit of work for the fuzzer and the experiments: a scenario source, a seed, overrides. Run
 * in-process or on a worker thread (scenarios/cli/run-worker.ts); the answer is plain data that
 * crosses a thread boundary.
 */
import { runScenario } from './runner.js';
import type { InputIssue } from './errors.js';
import type { RunRecord } from '../record/run-record.js';
import { scenarioFor, sourceDescription, sourceName, type ScenarioSource } from './scenario-source.js';
import type { TraceMode } from '../sim/trace.js';
import type { Scenario } from './schema.js';

export interface RunJob {
  readonly id: number;
  readonly source: ScenarioSource;
  readonly seed: number;
  readonly overrides: readonly string[];
  readonly trace: TraceMode;
  /** Keep the history and the kept trace in the answer (a representative run); else both are dropped. */
  readonly full: boolean;
}

export type JobResult =
  | { readonly id: number; readonly ok: true; readonly record: RunRecord }
  /** `input`: the scenario did not resolve (exit 2); `crash`: the run threw something that is not a failed check. */
  | { readonly id: number; readonly ok: false; readonly kind: 'input' | 'crash'; readonly error: string; readonly issue?: InputIssue };

export function runJob(job: RunJob): JobResult {
  const resolved = scenarioFor(job.source, job.seed, job.overrides);
  if (!resolved.ok) return { id: job.id, ok: false, kind: 'input', error: resolved.error, issue: resolved.issue };
  try {
    const record = runScenario({
      name: sourceName(job.source),
      description: sourceDescription(job.source),
      scenario: resolved.scenario,
      seed: job.seed,
      overrides: job.overrides,
      trace: job.trace,
      keepHistory: job.full,
    });
    return { id: job.id, ok: true, record: job.full ? record : { ...record, trace: [] } };
  } catch (err) {
    const text = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err);
    return { id: job.id, ok: false, kind: 'crash', error: text };
  }
}

/** The shrinking of one failure (scenarios/fuzz.ts shrinkFailure), as plain data for a worker thread. */
export interface ShrinkJob {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly failed: readonly string[];
  readonly runsMax: number;
}
