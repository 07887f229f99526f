/**
 * The pure parts of fuzzing: which seeds a campaign (or one shard of it) runs, what one seed's
 * outcome is, and the JUnit XML that CI reads. The CLI (scenarios/cli/fuzz-command.ts) runs the
 * seeds on worker threads and owns the wall clock.
 *
 * Seeds: `--from S --seeds N` is the campaign S, S+1, …, S+N−1. `--shard k/n` runs the seeds
 * whose offset from S is ≡ k−1 (mod n): n machines with k = 1..n cover the campaign exactly once,
 * and each shard's seeds are spread over the whole range (a slow region is shared).
 */
import { materializeForSeed, runScenario } from './runner.js';
import type { CheckResult, CheckStatus, Checks, RunRecord } from '../record/run-record.js';
import type { Scenario } from './schema.js';
import { shrinkScenario, type ShrinkResult } from './shrink.js';

/** The most seeds one campaign may name (a bound, not a target). */
export const SEEDS_MAX = 100_000_000;

export interface Shard {
  /** 1-based. */
  readonly k: number;
  readonly n: number;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export function parseShard(text: string): Parsed<Shard> {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (m === null) return { ok: false, error: `--shard: expected k/n (e.g. 2/4), got ${JSON.stringify(text)}` };
  const k = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || k < 1 || k > n) return { ok: false, error: `--shard: need 1 ≤ k ≤ n, got ${k}/${n}` };
  return { ok: true, value: { k, n } };
}

/** The seeds of a campaign's shard, ascending. */
export function shardSeeds(from: number, count: number, shard: Shard = { k: 1, n: 1 }): number[] {
  const out: number[] = [];
  for (let offset = shard.k - 1; offset < count && out.length < SEEDS_MAX; offset += shard.n) out.push(from + offset);
  return out;
}

/** One seed's verdict. `error`: the run itself broke (an exception that is not a failed check). */
export type SeedStatus = 'pass' | 'fail' | 'unknown' | 'error';

export interface SeedOutcome {
  readonly seed: number;
  readonly status: SeedStatus;
  /** Names of the checks that failed (or were unknown). */
  readonly failed: readonly string[];
  /** One line for a person. */
  readonly summary: string;
  readonly traceHash: string;
  readonly virtualMs: number;
  readonly events: number;
  /** Wall time the run took (filled by the worker, for reports only). */
  readonly wallMs: number;
  readonly reproduce: string;
}

const CHECK_NAMES = ['invariants', 'linearizable', 'serializable', 'watch', 'liveness'] as const satisfies readonly (keyof Checks)[];

/** What a run record concludes: fail beats unknown beats pass. */
export function verdictOf(checks: Checks): { status: Exclude<SeedStatus, 'error'>; failed: string[] } {
  const with_ = (s: CheckStatus): string[] => CHECK_NAMES.filter((c) => checks[c].status === s);
  const failed = with_('fail');
  if (failed.length > 0) return { status: 'fail', failed };
  const unknown = with_('unknown');
  if (unknown.length > 0) return { status: 'unknown', failed: unknown };
  return { status: 'pass', failed: [] };
}

/**
 * A check's summary as one line: an explanation wrapped over several lines (a summary that ends
 * with a comma, continued in its details) is joined back into its sentence.
 */
function sentenceOf(c: CheckResult): string {
  let line = c.summary;
  for (const next of c.details ?? []) {
    if (!line.trimEnd().endsWith(',')) break;
    line = `${line.trimEnd()} ${next.trim()}`;
  }
  return line;
}

export function outcomeOf(record: RunRecord, wallMs: number): SeedOutcome {
  const v = verdictOf(record.checks);
  const first = v.failed[0] as keyof Checks | undefined;
  return {
    seed: record.seed,
    status: v.status,
    failed: v.failed,
    summary: first === undefined ? 'all checks passed' : `${first}: ${sentenceOf(record.checks[first])}`,
    traceHash: record.traceHash,
    virtualMs: record.virtualMs,
    events: record.events,
    wallMs,
    reproduce: record.reproduce,
  };
}

/** Whether a run of `s` with `seed` fails one of the checks named in `failed` (`run`: it crashed). */
export function failsLike(s: Scenario, seed: number, failed: ReadonlySet<string>): boolean {
  try {
    const r = runScenario({ name: 'shrink', scenario: s, seed, overrides: [], trace: 'hash-only', keepHistory: false });
    return verdictOf(r.checks).failed.some((c) => failed.has(c));
  } catch {
    return failed.has('run');
  }
}

export interface ShrunkFailure extends ShrinkResult {
  /** The shrunk scenario, run alone with the seed, still fails the same way. */
  readonly failsOnItsOwn: boolean;
}

/**
 * Shrinks the failure of (`scenario`, `seed`): its generated faults written out, then cut down
 * while one of the same checks (`failed`) still fails. The result is a scenario to save as a file.
 */
export function shrinkFailure(scenario: Scenario, seed: number, failed: readonly string[], runsMax: number): ShrunkFailure {
  const names = new Set(failed);
  const r = shrinkScenario(materializeForSeed(scenario, seed), (s) => failsLike(s, seed, names), { runsMax });
  return { ...r, failsOnItsOwn: failsLike(r.scenario, seed, names) };
}
