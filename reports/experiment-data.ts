/**
 * The experiment report's input: what an experiment did, per arm and per seed, plus one
 * representative run per arm drawn in full. `experimentDataOf` (experiment-adapter.ts) builds it
 * from the runner's `ExperimentResult` (record/experiment-record.ts); the tests build it by hand.
 *
 * Per-seed value names the report draws, by experiment (other names are shown in a generic table):
 * - prevote:     `isolatedTermRise`, `leaderChangesAfterHeal`, `unavailableMs`
 * - readindex:   `staleReads`, `readLatencyMsP50`, `readLatencyMsP99` (+ `failed` per seed)
 * - checkquorum: `minorityLeaderMs`
 * - fsync:       `lostAckedWrites`
 */
import type { FaultRecord, RunRecord } from '../record/run-record.js';
import { buildTermSeries, type TermSeries } from './node-lanes.js';
import { runEndUs } from './run-view.js';

export interface ExperimentData {
  /** `prevote`, `readindex`, `checkquorum`, `fsync`, or another name (drawn generically). */
  readonly experiment: string;
  /** The seeds every arm ran, in order. */
  readonly seeds: readonly number[];
  /** A title (default: the report's own per experiment). */
  readonly title?: string;
  /** The question the experiment answers, in one sentence. */
  readonly question?: string;
  /** The built-in scenario the arms run (an arm may name its own: `ArmData.scenario`). */
  readonly scenario?: string;
  /** What was run, for the report's first paragraph (default: the report's own per experiment). */
  readonly description?: string;
  /** The runner's own summary of the result, in plain words ("In short"). */
  readonly summary?: readonly string[];
  /** The command that reruns the whole experiment, e.g. `npx raftsim experiment prevote --seeds 20`. */
  readonly command?: string;
  /** Columns of the arms table (metric key and header), in order; other metrics follow. */
  readonly columns?: readonly { readonly metric: string; readonly header: string }[];
  readonly arms: readonly ArmData[];
}

export interface ArmData {
  /** Issue 8's arm names: `prevote-on`, `prevote-off`; `readindex`, `lease`, `lease-clock-drift`, `leader-local`, `serializable`, `readindex-reused-id`, `readindex-new-id`; `checkquorum-on/off`; `fsync-on`, `fsync-off`. */
  readonly name: string;
  /** What this arm changed (e.g. `{preVote: true, checkQuorum: true}`), shown as given. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** The `--set` overrides that make this arm, if known. */
  readonly overrides?: readonly string[];
  /**
   * The built-in this arm runs, if known. When it is not the experiment's `scenario`, the arm's
   * figures (its latencies above all) belong to that other schedule: the report says so.
   */
  readonly scenario?: string;
  /** Aggregates over seeds, named as in issue 8 (`isolatedTermRiseMax`, `violationSeeds`, …). */
  readonly metrics: Readonly<Record<string, number>>;
  /** One entry per seed, in `seeds` order. */
  readonly perSeed: readonly SeedData[];
  /** One run of this arm drawn in full (the same seed in every arm), or null. */
  readonly representative: RepresentativeRun | null;
}

export interface SeedData {
  readonly seed: number;
  /** Per-seed values by name (see the file comment). */
  readonly values: Readonly<Record<string, number>>;
  /** The run's overall verdict, and the checks that failed (`linearizable`, …). */
  readonly verdict: 'pass' | 'fail' | 'unknown';
  readonly failed: readonly string[];
  /**
   * Checks that did not run in this seed (turned off for the arm, or not run after a broken
   * invariant), if known: a skipped check is not a pass, and the report does not count it as one.
   */
  readonly skipped?: readonly string[];
  /** The command that reproduces this seed's run of this arm. */
  readonly reproduce: string;
}

export interface RepresentativeRun {
  readonly seed: number;
  readonly reproduce: string;
  readonly endUs: number;
  readonly members: readonly number[];
  /** The member a partition isolated (prevote), to name it in the chart; null if none. */
  readonly isolated: number | null;
  readonly faults: readonly FaultRecord[];
  /** Each member's term over time (node-lanes.ts `buildTermSeries`). */
  readonly terms: readonly TermSeries[];
  /** Link to this run's own report, relative to the experiment report, or null. */
  readonly reportHref: string | null;
}

/** The member the first single-host partition isolated, or null. */
export function isolatedMemberOf(record: Pick<RunRecord, 'faults' | 'members'>): number | null {
  const f = record.faults.find((x) => x.kind === 'partition' && x.hosts.length === 1);
  const host = f?.hosts[0];
  return host !== undefined && record.members.includes(host) ? host : null;
}

/** A representative run from a full run record (its trace must hold the `raft.role` events). */
export function representativeOf(record: RunRecord, reportHref: string | null = null): RepresentativeRun {
  const endUs = runEndUs(record);
  return {
    seed: record.seed,
    reproduce: record.reproduce,
    endUs,
    members: record.members,
    isolated: isolatedMemberOf(record),
    faults: record.faults,
    terms: buildTermSeries(record.trace, record.members, endUs),
    reportHref,
  };
}
