/**
 * fuzz in CI (issue 14): the shard from a CI engine's variables, `fuzz merge` of shards' JSON
 * into one summary and one JUnit file (failures de-duplicated by check and signature), the
 * progress line's elapsed time and time left, and the cap on --workers. Pure parts in-process;
 * the whole path through child processes of bin/raftsim.js on a short scenario with stale reads.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UserInputError } from '../errors.js';
import { fuzzSummary, mergeFuzzSummaries, type FuzzSummary } from '../fuzz-summary.js';
import type { SeedOutcome } from '../fuzz.js';
import { shardFromEnv } from './ci-env.js';
import { createProgress, formatDuration } from './progress.js';
import { maxWorkers, workersOption } from './worker-pool.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(join(tmpdir(), 'raftsim-fuzz-ci-'));

function raftsim(args: readonly string[], env: Record<string, string> = {}): { code: number; out: string; err: string } {
  // The CI variables of the machine running the tests must not leak into the child.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(CI_NODE_|BUILDKITE_PARALLEL_|JOB_COMPLETION_INDEX|RAFTSIM_SHARD_)/.test(k)));
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/raftsim.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 300_000, env: { ...clean, ...env } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const message = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    if (err instanceof UserInputError) return err.message;
    throw err;
  }
  return '(no error)';
};

describe('--shard from the CI engine', () => {
  it('GitLab counts from 1, Buildkite and Kubernetes from 0; none set is no shard', () => {
    expect(shardFromEnv({})).toBeNull();
    expect(shardFromEnv({ CI_NODE_INDEX: '3', CI_NODE_TOTAL: '4' })?.shard).toEqual({ k: 3, n: 4 });
    expect(shardFromEnv({ BUILDKITE_PARALLEL_JOB: '0', BUILDKITE_PARALLEL_JOB_COUNT: '4' })?.shard).toEqual({ k: 1, n: 4 });
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '7', RAFTSIM_SHARD_TOTAL: '8' })).toEqual({ shard: { k: 8, n: 8 }, from: 'JOB_COMPLETION_INDEX=7, RAFTSIM_SHARD_TOTAL=8' });
  });

  it('a bad or half-given pair is one line naming the variable', () => {
    expect(message(() => shardFromEnv({ JOB_COMPLETION_INDEX: '2' }))).toBe('RAFTSIM_SHARD_TOTAL: JOB_COMPLETION_INDEX is set ("2") but RAFTSIM_SHARD_TOTAL is not: set it to the number of shards, or pass --shard k/n');
    expect(message(() => shardFromEnv({ CI_NODE_INDEX: '0', CI_NODE_TOTAL: '4' }))).toBe('CI_NODE_INDEX: expected a shard index from 1 to 4 (CI_NODE_TOTAL=4), got "0"');
    expect(message(() => shardFromEnv({ BUILDKITE_PARALLEL_JOB: '4', BUILDKITE_PARALLEL_JOB_COUNT: '4' }))).toBe('BUILDKITE_PARALLEL_JOB: expected a shard index from 0 to 3 (BUILDKITE_PARALLEL_JOB_COUNT=4), got "4"');
    expect(message(() => shardFromEnv({ CI_NODE_INDEX: '1', CI_NODE_TOTAL: 'four' }))).toBe('CI_NODE_TOTAL: expected a whole number > 0, got "four"');
    expect(message(() => shardFromEnv({ CI_NODE_TOTAL: '4' }))).toMatch(/^CI_NODE_INDEX: CI_NODE_TOTAL is set/);
  });
});

describe('progress and workers', () => {
  it('the TTY bar shows the elapsed time and the time left; a log gets the first item, then a line per 10 s', () => {
    let t = 0;
    const written: string[] = [];
    const bar = createProgress({ total: 100, unit: 'seeds', label: 'fuzz', tty: true, now: () => t, write: (s) => written.push(s) });
    t = 30_000;
    bar.update(25, 1);
    expect(written.pop()).toBe('\r[########                      ] 25/100 seeds, 1 failing  0.8 seeds/s  30 s elapsed, ~90 s left  ');
    const log = createProgress({ total: 100, unit: 'seeds', label: 'fuzz', tty: false, now: () => t, write: (s) => written.push(s) });
    t += 1000;
    log.update(1, 0);
    t += 9000;
    log.update(2, 0);
    t += 1000;
    log.update(3, 0);
    expect(written).toEqual(['fuzz: 1/100 seeds, 0 failing, 1.0 seeds/s\n', 'fuzz: 3/100 seeds, 0 failing, 0.3 seeds/s\n']);
    expect([formatDuration(75_000), formatDuration(185_000), formatDuration(7_620_000)]).toEqual(['75 s', '3m05s', '2h07m']);
  });

  it('--workers is capped at 4 per core (64 at most), with one line that says so', () => {
    expect(maxWorkers(2)).toBe(8);
    expect(maxWorkers(96)).toBe(64);
    expect(workersOption(8, 2)).toBe(8);
    expect(message(() => workersOption(9, 2))).toBe("--workers: at most 8 worker threads (4 per core on this machine's 2 cores, 64 at most), got 9");
    const r = raftsim(['fuzz', 'swarm', '--workers', '100000']);
    expect({ code: r.code, lines: r.err.trim().split('\n').length }).toEqual({ code: 2, lines: 1 });
    expect(r.err).toMatch(/^raftsim: --workers: at most \d+ worker threads/);
  });
});

describe('fuzz merge', () => {
  const o = (seed: number, status: SeedOutcome['status'], summary: string): SeedOutcome => ({ seed, status, failed: status === 'pass' ? [] : ['linearizable'], summary, traceHash: '0', virtualMs: 1, events: 1, wallMs: 10, reproduce: `npx raftsim run swarm --seed ${seed}` });
  const shard = (k: number, outcomes: SeedOutcome[], seeds: number[], over: Partial<FuzzSummary['campaign']> = {}): FuzzSummary =>
    fuzzSummary({ campaign: { scenario: 'swarm', from: 1, seeds: 6, overrides: [], shard: { k, n: 2 }, ...over }, seeds, outcomes, stoppedBy: null, wallMs: 100 * k, workers: 2, shrunk: null });

  it('joins the shards, one failure kind across seeds and shards counted once; a missing shard is skipped', () => {
    const a = shard(1, [o(1, 'pass', ''), o(3, 'fail', 'linearizable: stale read of k1 at 1.5 s'), o(5, 'pass', '')], [1, 3, 5]);
    const b = shard(2, [o(2, 'fail', 'linearizable: stale read of k0 at 2.25 s'), o(4, 'pass', ''), o(6, 'fail', 'linearizable: lost write of k2')], [2, 4, 6]);
    const m = mergeFuzzSummaries([{ file: 'b.json', summary: b }, { file: 'a.json', summary: a }]);
    if (!m.ok) throw new Error(m.message);
    expect(m.summary).toMatchObject({ schema: 'raftsim.fuzz-merge/1', shardsMerged: [1, 2], shardsMissing: [], ran: 6, passed: 3, failed: 3, notRun: 0, wallMs: 200 });
    expect(m.summary.failures.map((f) => [f.count, f.seeds])).toEqual([[2, [2, 3]], [1, [6]]]);
    expect(m.junit.match(/<testcase /g)?.length).toBe(6);
    const alone = mergeFuzzSummaries([{ file: 'a.json', summary: a }]);
    expect(alone.ok && alone.summary).toMatchObject({ shardsMissing: [2], notRun: 3 });
    expect(alone.ok && alone.junit).toContain('<skipped message="not run: no summary of shard 2/2 was merged"/>');
  });

  it('refuses two summaries of one shard, and summaries of different campaigns', () => {
    const a = shard(1, [], [1, 3, 5]);
    expect(mergeFuzzSummaries([{ file: 'a.json', summary: a }, { file: 'a2.json', summary: a }])).toEqual({ ok: false, file: 'a2.json', message: 'shard 1/2 again (also in a.json): the two overlap' });
    const other = shard(2, [], [2, 4, 6], { overrides: ['readMode=leader-local'] });
    const r = mergeFuzzSummaries([{ file: 'a.json', summary: a }, { file: 'b.json', summary: other }]);
    expect(r).toEqual({ ok: false, file: 'b.json', message: "a different campaign (swarm, seeds 1..6, 2 shards, --set readMode=leader-local) from a.json's (swarm, seeds 1..6, 2 shards): merge the shards of one campaign" });
  });

  it('end to end: two shards (one by --shard, one by CI_NODE_INDEX), merged from their folder into one summary and one JUnit', () => {
    const stale = join(dir, 'stale.json');
    writeFileSync(stale, JSON.stringify({ durationMs: 5000, readMode: 'leader-local', cluster: { checkQuorum: false }, workload: { clients: 4, keys: 2, ratePerS: 150, mix: { get: 60, put: 40, delete: 0, txn: 0, range: 0, watch: 0 } }, faults: [{ type: 'isolate', at: 1500, node: 'leader', for: 3000 }] }));
    mkdirSync(join(dir, 'shards'), { recursive: true });
    const common = ['fuzz', 'stale.json', '--seeds', '6', '--keep-going', '--shrink-runs', '2', '--out', 'shards', '--workers', '2', '--json'];
    const one = raftsim([...common, '--shard', '1/2'], { CI_NODE_INDEX: '2', CI_NODE_TOTAL: '2' }); // the flag wins
    const two = raftsim(common, { CI_NODE_INDEX: '2', CI_NODE_TOTAL: '2' });
    expect(one.err).toContain('fuzz: seeds 1..6, shard 1/2: 3 seeds on 2 workers');
    expect(two.err).toContain('fuzz: seeds 1..6, shard 2/2 (from CI_NODE_INDEX=2, CI_NODE_TOTAL=2): 3 seeds on 2 workers');
    writeFileSync(join(dir, 'shards', 'shard-1.json'), one.out);
    writeFileSync(join(dir, 'shards', 'shard-2.json'), two.out);
    const a = JSON.parse(one.out) as FuzzSummary;
    const b = JSON.parse(two.out) as FuzzSummary;
    const m = raftsim(['fuzz', 'merge', 'shards', '--junit', 'merged.xml', '--json']);
    // Seeds 3, 4 and 6 serve stale reads; 4 and 6 the same way (one signature).
    expect(a.failed + b.failed).toBe(3);
    expect(m.code).toBe(1);
    const j = JSON.parse(m.out) as { ran: number; failed: number; failures: { count: number; signature: string; shrunk: { file: string } | null }[] };
    expect(j.ran).toBe(6);
    expect(j.failed).toBe(a.failed + b.failed);
    expect(j.failures.reduce((s, f) => s + f.count, 0)).toBe(a.failed + b.failed);
    expect(new Set(j.failures.map((f) => f.signature)).size).toBe(j.failures.length);
    expect(j.failures.length).toBeLessThan(3);
    const xml = readFileSync(join(dir, 'merged.xml'), 'utf8');
    expect(xml.match(/<testcase /g)?.length).toBe(6);
    // The failing seed a shard shrank names its shrunk scenario file in the JUnit failure.
    if (a.shrunk !== null) expect(xml).toContain(`shrunk scenario: ${a.shrunk.file}`);
    // Bad input: a CI variable out of range, a file that is not a summary, one shard twice.
    const bad = raftsim(['fuzz', 'stale.json', '--seeds', '6'], { BUILDKITE_PARALLEL_JOB: '5', BUILDKITE_PARALLEL_JOB_COUNT: '4' });
    expect({ code: bad.code, err: bad.err }).toEqual({ code: 2, err: 'raftsim: BUILDKITE_PARALLEL_JOB: expected a shard index from 0 to 3 (BUILDKITE_PARALLEL_JOB_COUNT=4), got "5"\n' });
    const notSummary = raftsim(['fuzz', 'merge', 'stale.json']);
    expect({ code: notSummary.code, err: notSummary.err }).toEqual({ code: 2, err: 'raftsim: stale.json: schema: not a fuzz summary: expected "schema": "raftsim.fuzz/1" (what `raftsim fuzz --json` prints)\n' });
    const twice = raftsim(['fuzz', 'merge', 'shards/shard-1.json', 'shards/shard-1.json']);
    expect({ code: twice.code, err: twice.err }).toEqual({ code: 2, err: 'raftsim: shards/shard-1.json: shard 1/2 again (also in shards/shard-1.json): the two overlap\n' });
  });
});
