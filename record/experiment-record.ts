/**
 * What an experiment concludes, as plain JSON-able data: `raftsim experiment` prints its table and
 * explanation, `--json` a subset (experiments.ts `experimentJson`), and `--out DIR` hands it to the
 * reports (reports/experiment-adapter.ts reads these types).
 *
 * An experiment runs every arm over the same seeds; an arm is one setting of the system (PreVote
 * on / off, a read mode, fsync on / off) applied to the same scenario with `--set` overrides.
 */
import type { Checks, CheckStatus, RunMetrics, RunRecord } from './run-record.js';

/** One seed of one arm: enough to list, sort and re-run it. */
export interface ArmSeed {
  readonly seed: number;
  readonly traceHash: string;
  /** `pass`, `fail` (a check failed: which, in `failed`) or `unknown` (checker budget). */
  readonly verdict: 'pass' | 'fail' | 'unknown';
  readonly failed: readonly string[];
  /**
   * Every check's own status in this run: `pass`, `fail`, `unknown`, or `skipped` (turned off for
   * the arm, or not run after a broken invariant) — a skipped check is not a pass.
   */
  readonly checks: Readonly<Record<keyof Checks, CheckStatus>>;
  readonly metrics: RunMetrics;
  /** The command that reproduces this run. */
  readonly reproduce: string;
}

export interface ArmResult {
  /** Stable names scripts read: prevote-on/off, readindex/lease/lease-clock-drift/leader-local/serializable/readindex-reused-id/readindex-new-id, checkquorum-on/off, fsync-on/off. */
  readonly name: string;
  /** The settings that distinguish this arm (e.g. `{ preVote: true, checkQuorum: true }`). */
  readonly settings: Readonly<Record<string, unknown>>;
  /** The built-in scenario the arm runs (most arms share the experiment's; see `ArmSpec.scenario`), and the overrides that make it this arm. */
  readonly scenario: string;
  readonly overrides: readonly string[];
  /** Aggregates over the seeds, by the names the issue fixes (`isolatedTermRiseMax`, `violationSeeds`, …). */
  readonly metrics: Readonly<Record<string, number>>;
  readonly seeds: readonly ArmSeed[];
  /** A representative run (the first seed) with its kept trace, for the report's charts; null when not kept (no --out). */
  readonly representative: RunRecord | null;
}

export interface ColumnSpec {
  /** A key of `ArmResult.metrics`. */
  readonly metric: string;
  /** Column header in the table. */
  readonly header: string;
}

export interface ExperimentResult {
  readonly version: 1;
  /** `prevote`, `readindex`, `checkquorum`, `fsync`. */
  readonly experiment: string;
  readonly title: string;
  /** The question the experiment answers, in one sentence. */
  readonly question: string;
  /** Number of seeds per arm. */
  readonly seeds: number;
  readonly seedList: readonly number[];
  readonly arms: readonly ArmResult[];
  /** The columns of the comparison table, in order. */
  readonly columns: readonly ColumnSpec[];
  /** The result in plain words, for a person, computed from the figures. */
  readonly explanation: readonly string[];
  /** The command that reproduces the whole experiment. */
  readonly reproduce: string;
}
