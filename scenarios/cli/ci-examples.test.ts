/**
 * The README's CI examples (issue 14): the GitHub Actions matrix and the Kubernetes Indexed Job
 * are parsed as YAML (not run), and every raftsim command in them is checked as the CI engine
 * would run it — each matrix value, each completion index with the pod's environment — through
 * `raftsim fuzz --dry-run --json` (the options and the CI variables validated, the shard it would
 * run printed). Together the shards must cover the campaign once; the workflow's merge command
 * then runs for real on summaries of that campaign, as the fuzz steps would have written them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { fuzzSummary, type Campaign } from '../fuzz-summary.js';
import { shardSeeds, type SeedOutcome } from '../fuzz.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The README's ```yaml blocks, parsed. */
function yamlBlocks(): unknown[] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return [...text.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => parse(m[1] as string) as unknown);
}

/**
 * A shell line's raftsim invocation, as its argument list: `npx raftsim` up to a redirection.
 * The examples quote nothing, so words split on spaces.
 */
function raftsimArgs(line: string): string[] | null {
  const m = /(?:^|\s)npx raftsim\s+([^>|;&]*)/.exec(line);
  return m === null ? null : (m[1] as string).trim().split(/\s+/);
}

function raftsim(args: readonly string[], env: Record<string, string>, cwd = ROOT): { code: number; out: string; err: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(CI_NODE_|BUILDKITE_PARALLEL_|JOB_COMPLETION_INDEX|RAFTSIM_SHARD_)/.test(k)));
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/raftsim.js'), ...args], { cwd, encoding: 'utf8', timeout: 120_000, env: { ...clean, ...env } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

interface Plan {
  readonly schema: string;
  readonly campaign: Campaign;
  readonly seeds: number;
}

/** `raftsim <args> --dry-run --json` must accept the command and say what it would run. */
function plan(args: readonly string[], env: Record<string, string> = {}): Plan {
  expect(args[0], args.join(' ')).toBe('fuzz');
  const r = raftsim([...args.filter((a) => a !== '--json'), '--dry-run', '--json'], env);
  expect({ args, code: r.code, err: r.err }).toEqual({ args, code: 0, err: '' });
  const p = JSON.parse(r.out) as Plan;
  expect(p.schema).toBe('raftsim.fuzz-plan/1');
  return p;
}

/** The shards' plans cover the campaign's seeds exactly once. */
function expectCover(plans: readonly Plan[]): void {
  const c = plans[0]?.campaign as Campaign;
  expect(plans.map((p) => p.campaign.shard.k).sort((a, b) => a - b)).toEqual(Array.from({ length: c.shard.n }, (_, i) => i + 1));
  expect(plans.every((p) => p.campaign.shard.n === plans.length && p.campaign.from === c.from && p.campaign.seeds === c.seeds)).toBe(true);
  expect(plans.reduce((a, p) => a + p.seeds, 0)).toBe(c.seeds);
}

interface Workflow {
  jobs: Record<string, { strategy?: { matrix?: Record<string, unknown[]> }; needs?: string | string[]; steps: { run?: string; uses?: string; with?: Record<string, unknown> }[] }>;
}

interface IndexedJob {
  kind: string;
  spec: { completions: number; parallelism: number; completionMode: string; template: { spec: { containers: { command: string[]; env?: { name: string; value: string }[] }[] } } };
}

describe('README CI examples', () => {
  const blocks = yamlBlocks();
  const workflow = blocks.find((b): b is Workflow => typeof b === 'object' && b !== null && 'jobs' in b);
  const job = blocks.find((b): b is IndexedJob => typeof b === 'object' && b !== null && (b as { kind?: unknown }).kind === 'Job');

  it('the GitHub Actions matrix: each shard a valid command, together the whole campaign once; the merge job joins them', () => {
    expect(workflow).toBeDefined();
    const w = workflow as Workflow;
    const fuzzJob = Object.values(w.jobs).find((j) => j.strategy?.matrix !== undefined);
    const shards = fuzzJob?.strategy?.matrix?.['shard'] as number[];
    expect(shards.length).toBeGreaterThan(1);
    const lines = (fuzzJob?.steps ?? []).flatMap((s) => (s.run ?? '').split('\n')).filter((l) => raftsimArgs(l) !== null);
    expect(lines.length).toBe(1);
    const line = lines[0] as string;
    const plans = shards.map((k) => plan(raftsimArgs(line.replaceAll('${{ matrix.shard }}', String(k))) as string[]));
    expectCover(plans);
    // Each shard's JSON goes to its own file, so the artifacts do not overwrite each other.
    expect(line).toMatch(/--json > shard-\$\{\{ matrix\.shard \}\}\.json/);

    // The merge job: its artifacts land in the folder its merge command names; it runs on summaries of the campaign.
    const mergeJob = Object.values(w.jobs).find((j) => j.needs !== undefined);
    const download = mergeJob?.steps.find((s) => s.uses?.startsWith('actions/download-artifact') === true);
    const folder = download?.with?.['path'] as string;
    const mergeLine = (mergeJob?.steps ?? []).map((s) => s.run ?? '').find((r) => raftsimArgs(r) !== null) as string;
    const mergeArgs = raftsimArgs(mergeLine) as string[];
    expect(mergeArgs.slice(0, 3)).toEqual(['fuzz', 'merge', folder]);
    const dir = mkdtempSync(join(tmpdir(), 'raftsim-ci-merge-'));
    mkdirSync(join(dir, folder));
    for (const p of plans) {
      const c = p.campaign;
      const seeds = shardSeeds(c.from, c.seeds, c.shard);
      const outcomes = seeds.map((seed): SeedOutcome => ({ seed, status: 'pass', failed: [], summary: 'all checks passed', traceHash: '0', virtualMs: 0, events: 0, wallMs: 1, reproduce: '' }));
      writeFileSync(join(dir, folder, `shard-${c.shard.k}.json`), JSON.stringify(fuzzSummary({ campaign: c, seeds, outcomes, stoppedBy: null, wallMs: 1000, workers: 2, shrunk: null })));
    }
    const merged = raftsim(mergeArgs, {}, dir);
    expect({ code: merged.code, err: merged.err }).toEqual({ code: 0, err: '' });
    expect(merged.out).toContain(`${shards.length} of ${shards.length} shards`);
    const junit = mergeArgs[mergeArgs.indexOf('--junit') + 1] as string;
    expect(readFileSync(join(dir, junit), 'utf8').match(/<testcase /g)?.length).toBe(plans[0]?.campaign.seeds);
  });

  it('the Kubernetes Indexed Job: each completion index, with the pod\'s environment, a valid command; together the whole campaign once', () => {
    expect(job).toBeDefined();
    const j = job as IndexedJob;
    expect(j.spec.completionMode).toBe('Indexed');
    const container = j.spec.template.spec.containers[0];
    const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
    // The total the pods are told is the Job's completions.
    expect(Number(env['RAFTSIM_SHARD_TOTAL'])).toBe(j.spec.completions);
    const command = container?.command ?? [];
    expect(command.slice(0, 2)).toEqual(['sh', '-c']);
    const plans = Array.from({ length: j.spec.completions }, (_, i) => {
      const line = (command[2] as string).replaceAll('$JOB_COMPLETION_INDEX', String(i));
      return plan(raftsimArgs(line) as string[], { ...env, JOB_COMPLETION_INDEX: String(i) });
    });
    expectCover(plans);
    expect(command[2]).toMatch(/--json > \/results\/shard-\$JOB_COMPLETION_INDEX\.json/);
  });
});
