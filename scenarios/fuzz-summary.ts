/**
 * What a fuzz campaign (or one shard of it) leaves for CI, as pure data: the `--json` summary
 * (schema `raftsim.fuzz/1`), the JUnit XML that lists every seed of the shard (the ones not run as
 * `<skipped/>`), and the merge of several shards' summaries into one (`raftsim fuzz merge`), with
 * failures de-duplicated by check and signature. The CLI (scenarios/cli/fuzz-command.ts) owns the
 * files and the wall clock; nothing here reads either.
 */
import { z } from 'zod';
import { inputErrorMap } from '../sim/input-issue.js';
import { shardSeeds, type SeedOutcome, type SeedStatus, type Shard } from './fuzz.js';

export const FUZZ_SCHEMA = 'raftsim.fuzz/1';
export const FUZZ_MERGE_SCHEMA = 'raftsim.fuzz-merge/1';
/** `raftsim fuzz --dry-run --json`: the campaign and shard a command would run. */
export const FUZZ_PLAN_SCHEMA = 'raftsim.fuzz-plan/1';

/** Which campaign a shard belongs to: two summaries merge only when all of this but `shard.k` agrees. */
export interface Campaign {
  readonly scenario: string;
  readonly from: number;
  /** Seeds in the whole campaign (all shards). */
  readonly seeds: number;
  readonly overrides: readonly string[];
  readonly shard: Shard;
}

export interface FailureEntry {
  readonly seed: number;
  readonly status: Exclude<SeedStatus, 'pass'>;
  readonly failed: readonly string[];
  readonly summary: string;
  /** The failure with its particulars (numbers, quoted values) masked: equal for failures of one kind. */
  readonly signature: string;
  readonly reproduce: string;
  readonly wallMs: number;
}

export interface ShrunkEntry {
  readonly seed: number;
  readonly file: string;
  readonly faultsBefore: number;
  readonly faultsAfter: number;
  readonly runs: number;
  readonly failsOnItsOwn: boolean;
  readonly reproduce: string;
}

/** Why seeds of the shard were not run. */
export type StopReason = 'SIGINT' | 'SIGTERM' | 'failure' | 'time-budget';

/** `raftsim fuzz --json`: one shard's summary. */
export interface FuzzSummary {
  readonly schema: typeof FUZZ_SCHEMA;
  readonly scenario: string;
  readonly campaign: Campaign;
  /** Seeds in this shard. */
  readonly seeds: number;
  readonly ran: number;
  readonly passed: number;
  readonly failed: number;
  readonly unknown: number;
  readonly errors: number;
  readonly notRun: number;
  /** A signal stopped the campaign (the summary covers what ran before it). */
  readonly interrupted: boolean;
  readonly stoppedBy: StopReason | null;
  readonly wallMs: number;
  readonly seedsPerS: number;
  readonly workers: number;
  readonly failures: readonly FailureEntry[];
  /** The shard's seeds that did not run, as inclusive runs [first, last] of consecutive shard seeds (step shard.n). */
  readonly notRunSeeds: readonly (readonly [number, number])[];
  readonly shrunk: ShrunkEntry | null;
}

/**
 * A failure's kind, without its particulars: the check's summary with quoted values, numbers and
 * names that carry numbers (k3, c0-1, member 2) masked. Two seeds that break the same check the
 * same way (a stale read of some key) share it; a different check or a different story does not.
 */
export function failureSignature(o: Pick<SeedOutcome, 'status' | 'failed' | 'summary'>): string {
  const text = o.summary
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/\d+(?:\.\d+)?/g, '#')
    .replace(/\s+/g, ' ')
    .trim();
  return `${o.status}:${o.failed.join(',')}: ${text}`;
}

export function failureEntry(o: SeedOutcome): FailureEntry {
  if (o.status === 'pass') throw new Error('failureEntry: a passing seed');
  return { seed: o.seed, status: o.status, failed: o.failed, summary: o.summary, signature: failureSignature(o), reproduce: o.reproduce, wallMs: Math.round(o.wallMs) };
}

/** `seeds` (ascending, spaced `step` apart in the shard) as inclusive runs of consecutive shard seeds. */
export function seedRuns(seeds: readonly number[], step: number): [number, number][] {
  const out: [number, number][] = [];
  for (const s of [...seeds].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last !== undefined && s === last[1] + step) last[1] = s;
    else out.push([s, s]);
  }
  return out;
}

export function expandRuns(runs: readonly (readonly [number, number])[], step: number): number[] {
  const out: number[] = [];
  for (const [a, b] of runs) for (let s = a; s <= b; s += step) out.push(s);
  return out;
}

export interface SummaryInput {
  readonly campaign: Campaign;
  /** The shard's seeds, ascending. */
  readonly seeds: readonly number[];
  readonly outcomes: readonly SeedOutcome[];
  readonly stoppedBy: StopReason | null;
  readonly wallMs: number;
  readonly workers: number;
  readonly shrunk: ShrunkEntry | null;
}

export function fuzzSummary(i: SummaryInput): FuzzSummary {
  const count = (s: SeedStatus): number => i.outcomes.filter((o) => o.status === s).length;
  const ran = new Set(i.outcomes.map((o) => o.seed));
  const notRun = i.seeds.filter((s) => !ran.has(s));
  return {
    schema: FUZZ_SCHEMA,
    scenario: i.campaign.scenario,
    campaign: i.campaign,
    seeds: i.seeds.length,
    ran: i.outcomes.length,
    passed: count('pass'),
    failed: count('fail'),
    unknown: count('unknown'),
    errors: count('error'),
    notRun: notRun.length,
    interrupted: i.stoppedBy === 'SIGINT' || i.stoppedBy === 'SIGTERM',
    stoppedBy: notRun.length > 0 || i.stoppedBy === 'SIGINT' || i.stoppedBy === 'SIGTERM' ? i.stoppedBy : null,
    wallMs: Math.round(i.wallMs),
    seedsPerS: i.wallMs > 0 ? Math.round((i.outcomes.length / (i.wallMs / 1000)) * 100) / 100 : 0,
    workers: i.workers,
    failures: [...i.outcomes].sort((a, b) => a.seed - b.seed).filter((o) => o.status !== 'pass').map(failureEntry),
    notRunSeeds: seedRuns(notRun, i.campaign.shard.n),
    shrunk: i.shrunk,
  };
}

/** Why the seeds of a suite were skipped, in the words of the `<skipped message>`. */
export function notRunReason(stoppedBy: StopReason | null): string {
  switch (stoppedBy) {
    case 'SIGINT':
    case 'SIGTERM':
      return `not run: the campaign was interrupted (${stoppedBy})`;
    case 'failure':
      return 'not run: the campaign stopped at the first failure (--keep-going runs every seed)';
    case 'time-budget':
      return 'not run: the time budget (--time-budget) was spent';
    case null:
      return 'not run';
  }
}

/** One `<testsuite>`: every seed of a shard, each passed, failed, errored or skipped. */
export interface JunitSuite {
  readonly name: string;
  /** Every seed of the suite, ascending. */
  readonly seeds: readonly number[];
  /** The seeds that failed (or were unknown, or crashed); every other seed that ran passed. */
  readonly failures: readonly FailureEntry[];
  /** Seeds that did not run (skipped); the rest of `seeds` ran. */
  readonly notRun: ReadonlySet<number>;
  readonly skippedMessage: string;
  /** Wall time of the suite (the campaign's, not the sum of its runs). */
  readonly wallMs: number;
  /** Wall time of each seed that ran, when known. */
  readonly seedMs?: ReadonlyMap<number, number> | undefined;
  /** The shrunk scenario file of a failing seed. */
  readonly shrunk?: ShrunkEntry | null;
}

export function junitSuiteOf(name: string, s: FuzzSummary, seedMs?: ReadonlyMap<number, number>): JunitSuite {
  const c = s.campaign;
  return {
    name,
    seeds: shardSeeds(c.from, c.seeds, c.shard),
    failures: s.failures,
    notRun: new Set(expandRuns(s.notRunSeeds, c.shard.n)),
    skippedMessage: notRunReason(s.stoppedBy),
    wallMs: s.wallMs,
    seedMs,
    shrunk: s.shrunk,
  };
}

/**
 * JUnit XML: one test case per seed of each suite — passed, a `<failure>` (a failed check, or a
 * checker's budget spent) or an `<error>` (the run crashed) with the reproduce command and the
 * shrunk scenario file, or `<skipped/>` for a seed that did not run.
 */
export function junitXml(suites: readonly JunitSuite[]): string {
  const body: string[] = [];
  let total = { tests: 0, failures: 0, errors: 0, skipped: 0, ms: 0 };
  for (const suite of suites) {
    const failures = new Map(suite.failures.map((f) => [f.seed, f]));
    const nFail = suite.failures.filter((f) => f.status !== 'error').length;
    const nErr = suite.failures.length - nFail;
    const nSkip = suite.seeds.filter((s) => suite.notRun.has(s)).length;
    total = { tests: total.tests + suite.seeds.length, failures: total.failures + nFail, errors: total.errors + nErr, skipped: total.skipped + nSkip, ms: total.ms + suite.wallMs };
    body.push(`  <testsuite name="${xml(suite.name)}" tests="${suite.seeds.length}" failures="${nFail}" errors="${nErr}" skipped="${nSkip}" time="${secs(suite.wallMs)}">`);
    for (const seed of suite.seeds) {
      const f = failures.get(seed);
      const ms = f?.wallMs ?? suite.seedMs?.get(seed);
      const head = `    <testcase classname="${xml(suite.name)}" name="seed ${seed}"${ms === undefined ? '' : ` time="${secs(ms)}"`}`;
      if (suite.notRun.has(seed)) {
        body.push(`${head}>`, `      <skipped message="${xml(suite.skippedMessage)}"/>`, '    </testcase>');
      } else if (f === undefined) {
        body.push(`${head}/>`);
      } else {
        const tag = f.status === 'error' ? 'error' : 'failure';
        const type = f.status === 'unknown' ? 'checker-budget-exhausted' : f.status === 'error' ? 'run-error' : f.failed.join(',');
        const shrunk = suite.shrunk?.seed === seed ? suite.shrunk : null;
        const text = [f.summary, `reproduce: ${f.reproduce}`, ...(shrunk === null ? [] : [`shrunk scenario: ${shrunk.file} (${shrunk.faultsBefore} faults → ${shrunk.faultsAfter}; ${shrunk.failsOnItsOwn ? 'fails on its own' : 'does not fail on its own'})`, `reproduce the shrunk run: ${shrunk.reproduce}`])].join('\n');
        body.push(`${head}>`, `      <${tag} message="${xml(f.summary)}" type="${xml(type)}">${xml(text)}</${tag}>`, '    </testcase>');
      }
    }
    body.push('  </testsuite>');
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="raftsim" tests="${total.tests}" failures="${total.failures}" errors="${total.errors}" skipped="${total.skipped}" time="${secs(total.ms)}">`,
    ...body,
    '</testsuites>',
    '',
  ].join('\n');
}

const secs = (ms: number): string => (ms / 1000).toFixed(3);

function xml(s: string): string {
  // XML 1.0 forbids most control characters even escaped: drop them.
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// ---- merging shards: `raftsim fuzz merge` ----

const shardSchema = z.strictObject({ k: z.number().int().positive(), n: z.number().int().positive() }).refine((s) => s.k <= s.n, 'expected 1 ≤ k ≤ n');
const summarySchema = z.looseObject({
  schema: z.literal(FUZZ_SCHEMA),
  scenario: z.string(),
  campaign: z.strictObject({ scenario: z.string(), from: z.number().int().nonnegative(), seeds: z.number().int().positive(), overrides: z.array(z.string()), shard: shardSchema }),
  seeds: z.number().int().nonnegative(),
  ran: z.number().int().nonnegative(),
  passed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  unknown: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  notRun: z.number().int().nonnegative(),
  interrupted: z.boolean(),
  stoppedBy: z.enum(['SIGINT', 'SIGTERM', 'failure', 'time-budget']).nullable(),
  wallMs: z.number().nonnegative(),
  workers: z.number().int().nonnegative(),
  failures: z.array(
    z.looseObject({ seed: z.number().int().nonnegative(), status: z.enum(['fail', 'unknown', 'error']), failed: z.array(z.string()), summary: z.string(), signature: z.string(), reproduce: z.string(), wallMs: z.number().nonnegative() }),
  ),
  notRunSeeds: z.array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])),
  shrunk: z.looseObject({ seed: z.number().int().nonnegative(), file: z.string(), faultsBefore: z.number(), faultsAfter: z.number(), runs: z.number(), failsOnItsOwn: z.boolean(), reproduce: z.string() }).nullable(),
});

/** A shard's summary as read from a file: the value, or what is wrong with it (a field path and a message). */
export function parseFuzzSummary(value: unknown): { ok: true; value: FuzzSummary } | { ok: false; path: string; message: string } {
  if (typeof value !== 'object' || value === null || (value as { schema?: unknown }).schema !== FUZZ_SCHEMA) {
    return { ok: false, path: 'schema', message: `not a fuzz summary: expected "schema": "${FUZZ_SCHEMA}" (what \`raftsim fuzz --json\` prints)` };
  }
  const r = summarySchema.safeParse(value, { error: inputErrorMap });
  if (!r.success) {
    const issue = r.error.issues[0];
    return { ok: false, path: (issue?.path ?? []).map(String).join('.'), message: issue?.message ?? 'invalid' };
  }
  return { ok: true, value: value as FuzzSummary };
}

/** One kind of failure across the shards: a check and a signature, with every seed that showed it. */
export interface MergedFailure {
  readonly status: FailureEntry['status'];
  readonly check: string;
  readonly signature: string;
  readonly count: number;
  /** Every seed, ascending. */
  readonly seeds: readonly number[];
  /** The lowest seed's failure. */
  readonly first: FailureEntry;
  /** A shrunk scenario file of one of its seeds, when a shard wrote one. */
  readonly shrunk: ShrunkEntry | null;
}

/** `raftsim fuzz merge --json`. */
export interface MergedSummary {
  readonly schema: typeof FUZZ_MERGE_SCHEMA;
  readonly scenario: string;
  /** The campaign, its shard count in `shard.n` (`shard.k` is that of the first file). */
  readonly campaign: Omit<Campaign, 'shard'> & { readonly shards: number };
  readonly shardsMerged: readonly number[];
  readonly shardsMissing: readonly number[];
  readonly seeds: number;
  readonly ran: number;
  readonly passed: number;
  readonly failed: number;
  readonly unknown: number;
  readonly errors: number;
  /** Seeds not run: in the shards merged, and every seed of a missing shard. */
  readonly notRun: number;
  readonly interrupted: boolean;
  /** The longest shard's wall time (the shards ran side by side). */
  readonly wallMs: number;
  /** Distinct failures, by check and signature, the most frequent first. */
  readonly failures: readonly MergedFailure[];
}

export type MergeResult = { readonly ok: true; readonly summary: MergedSummary; readonly junit: string } | { readonly ok: false; readonly file: string; readonly message: string };

const campaignText = (c: Campaign): string => `${c.scenario}, seeds ${c.from}..${c.from + c.seeds - 1}, ${c.shard.n} shards${c.overrides.length > 0 ? `, --set ${c.overrides.join(' --set ')}` : ''}`;

/**
 * Joins shards' summaries (`file` names each in a refusal) into one summary and one JUnit file.
 * Refused: summaries of different campaigns (scenario, seed range, overrides, shard count), and
 * two summaries of the same shard (they overlap: every seed would count twice).
 */
export function mergeFuzzSummaries(inputs: readonly { readonly file: string; readonly summary: FuzzSummary }[]): MergeResult {
  const first = inputs[0];
  if (first === undefined) return { ok: false, file: '', message: 'no fuzz summaries to merge' };
  const c0 = first.summary.campaign;
  const byShard = new Map<number, { file: string; summary: FuzzSummary }>();
  for (const i of inputs) {
    const c = i.summary.campaign;
    const same = c.scenario === c0.scenario && c.from === c0.from && c.seeds === c0.seeds && c.shard.n === c0.shard.n && JSON.stringify(c.overrides) === JSON.stringify(c0.overrides);
    if (!same) return { ok: false, file: i.file, message: `a different campaign (${campaignText(c)}) from ${first.file}'s (${campaignText(c0)}): merge the shards of one campaign` };
    const twin = byShard.get(c.shard.k);
    if (twin !== undefined) return { ok: false, file: i.file, message: `shard ${c.shard.k}/${c.shard.n} again (also in ${twin.file}): the two overlap` };
    byShard.set(c.shard.k, i);
  }
  const n = c0.shard.n;
  const shards = [...byShard.keys()].sort((a, b) => a - b);
  const missing = Array.from({ length: n }, (_, i) => i + 1).filter((k) => !byShard.has(k));
  const present = shards.map((k) => (byShard.get(k) as { summary: FuzzSummary }).summary);
  const sum = (f: (s: FuzzSummary) => number): number => present.reduce((a, s) => a + f(s), 0);
  const missingSeeds = missing.reduce((a, k) => a + shardSeeds(c0.from, c0.seeds, { k, n }).length, 0);

  const groups = new Map<string, FailureEntry[]>();
  for (const s of present) for (const f of s.failures) groups.set(f.signature, [...(groups.get(f.signature) ?? []), f]);
  const shrunkBySeed = new Map(present.flatMap((s) => (s.shrunk === null ? [] : [[s.shrunk.seed, s.shrunk] as const])));
  const failures: MergedFailure[] = [...groups.entries()].map(([signature, list]) => {
    const sorted = [...list].sort((a, b) => a.seed - b.seed);
    const lead = sorted[0] as FailureEntry;
    const shrunk = sorted.map((f) => shrunkBySeed.get(f.seed)).find((x) => x !== undefined) ?? null;
    return { status: lead.status, check: lead.failed.join(','), signature, count: sorted.length, seeds: sorted.map((f) => f.seed), first: lead, shrunk };
  });
  failures.sort((a, b) => b.count - a.count || (a.seeds[0] ?? 0) - (b.seeds[0] ?? 0));

  const summary: MergedSummary = {
    schema: FUZZ_MERGE_SCHEMA,
    scenario: c0.scenario,
    campaign: { scenario: c0.scenario, from: c0.from, seeds: c0.seeds, overrides: c0.overrides, shards: n },
    shardsMerged: shards,
    shardsMissing: missing,
    seeds: c0.seeds,
    ran: sum((s) => s.ran),
    passed: sum((s) => s.passed),
    failed: sum((s) => s.failed),
    unknown: sum((s) => s.unknown),
    errors: sum((s) => s.errors),
    notRun: sum((s) => s.notRun) + missingSeeds,
    interrupted: present.some((s) => s.interrupted),
    wallMs: Math.max(0, ...present.map((s) => s.wallMs)),
    failures,
  };
  const suites: JunitSuite[] = Array.from({ length: n }, (_, i) => {
    const k = i + 1;
    const name = `fuzz ${c0.scenario} shard ${k}/${n}`;
    const s = byShard.get(k)?.summary;
    if (s !== undefined) return junitSuiteOf(name, s);
    const seeds = shardSeeds(c0.from, c0.seeds, { k, n });
    return { name, seeds, failures: [], notRun: new Set(seeds), skippedMessage: `not run: no summary of shard ${k}/${n} was merged`, wallMs: 0 };
  });
  return { ok: true, summary, junit: junitXml(suites) };
}
