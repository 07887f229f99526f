/**
 * What the experiment runner hands the reports: the issue-8 `--json` shape (`{experiment, seeds,
 * arms: [{name, settings, metrics}]}`) plus, per arm, the per-seed values behind each aggregate
 * (for distributions over seeds) and one representative run's term-over-time series (for the
 * side-by-side chart).
 *
 * Per-seed value names the report draws, by experiment (other names are shown in a generic table):
 * - prevote:     `isolatedTermRise`, `leaderChangesAfterHeal`, `unavailableMs`
 * - readindex:   `staleReads`, `readLatencyMsP50`, `readLatencyMsP99` (+ `linearizable` per seed)
 * - checkquorum: `minorityLeaderMs`
 * - fsync:       `lostAckedWrites`
 *
 * The runner may import `representativeOf` and `seedResultOf` from here (imports point scenarios
 * → reports) to build these from its run records.
 */
import type { CheckStatus, FaultRecord, RunRecord } from '../scenarios/run-record.js';
import { buildTermSeries, type TermSeries } from './node-lanes.js';
import { runEndUs } from './run-view.js';

export interface ExperimentResult {
  /** `prevote`, `readindex`, `checkquorum`, `fsync`, or another name (drawn generically). */
  readonly experiment: string;
  /** The seeds every arm ran, in order. */
  readonly seeds: readonly number[];
  /** What was run, for the report's first paragraph (a default is written per experiment if absent). */
  readonly description?: string;
  /** The command that reruns the whole experiment, e.g. `npx raftsim experiment prevote --seeds 20`. */
  readonly command?: string;
  readonly arms: readonly ExperimentArm[];
}

export interface ExperimentArm {
  /** Issue 8's arm names: `prevote-on`, `prevote-off`; `readindex`, `lease`, `lease-clock-drift`, `leader-local`, `serializable`; `fsync-on`, `fsync-off`; … */
  readonly name: string;
  /** What this arm changed (e.g. `{preVote: true, checkQuorum: true}`), shown as given. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Aggregates over seeds, named as in issue 8 (`isolatedTermRiseMax`, `violationSeeds`, …). */
  readonly metrics: Readonly<Record<string, number>>;
  /** One entry per seed, in `seeds` order. */
  readonly perSeed: readonly SeedResult[];
  /** One run of this arm drawn in full (same seed in every arm, ideally), or null. */
  readonly representative: RepresentativeRun | null;
}

export interface SeedResult {
  readonly seed: number;
  /** Per-seed values by name (see the file comment). */
  readonly values: Readonly<Record<string, number>>;
  /** The linearizability verdict of this seed's run. */
  readonly linearizable: CheckStatus;
  /** The command that reproduces this seed's run of this arm. */
  readonly reproduce: string;
}

export interface RepresentativeRun {
  readonly seed: number;
  readonly reproduce: string;
  readonly endUs: number;
  readonly members: readonly number[];
  /** The member the experiment isolates (prevote), to name it in the chart; null if none. */
  readonly isolated: number | null;
  readonly faults: readonly FaultRecord[];
  /** Each member's term over time (node-lanes.ts `buildTermSeries`). */
  readonly terms: readonly TermSeries[];
  /** Link to this run's own report, relative to the experiment report, or null. */
  readonly reportHref: string | null;
}

/** A representative run from a full run record (its trace must hold the `raft.role` events). */
export function representativeOf(record: RunRecord, isolated: number | null = null, reportHref: string | null = null): RepresentativeRun {
  const endUs = runEndUs(record);
  return {
    seed: record.seed,
    reproduce: record.reproduce,
    endUs,
    members: record.members,
    isolated,
    faults: record.faults,
    terms: buildTermSeries(record.trace, record.members, endUs),
    reportHref,
  };
}

/** A seed's result from its run record and the values the experiment measured on it. */
export function seedResultOf(record: RunRecord, values: Readonly<Record<string, number>>): SeedResult {
  return { seed: record.seed, values, linearizable: record.checks.linearizable.status, reproduce: record.reproduce };
}
