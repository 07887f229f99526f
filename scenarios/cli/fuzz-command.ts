/**
 * `raftsim fuzz [scenario] --seeds N [--from S] [--shard k/n] [--workers W] [--time-budget S]
 * [--junit FILE] [--json] [--set k=v]... [--out DIR]`: runs many seeds on worker threads and
 * reports the first failure with its reproduce command and a shrunk scenario file.
 *
 * Seeds run in parallel (2 workers by default); `--shard k/n` runs every n-th seed of the
 * campaign, so a CI matrix of n machines covers it once (without the flag the shard comes from a
 * CI engine's variables: scenarios/cli/ci-env.ts). It prints its seed range, shard and workers
 * when it starts; progress goes to stderr: a bar on a TTY, a line every 10 s otherwise. On a
 * failure no new seed is started (unless --keep-going); the lowest failing seed is shrunk on a
 * worker (fewer faults, then shorter ones) and written as a scenario file that fails on its own
 * with the same seed. SIGINT or SIGTERM stops the campaign: the summary, JUnit and JSON cover
 * what ran (scenarios/cli/interrupt.ts). `raftsim fuzz merge` joins shards' JSON summaries
 * (scenarios/cli/fuzz-merge-command.ts). Exit 1 on a failure, 3 when the only problem is a
 * checker budget, 130/143 when interrupted, 0 otherwise.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { EXIT_BUDGET_EXHAUSTED, EXIT_CHECK_FAILED, UserInputError } from '../errors.js';
import { outcomeOf, parseShard, shardSeeds, shrinkFailure, type SeedOutcome, type Shard, type ShrunkFailure } from '../fuzz.js';
import { FUZZ_PLAN_SCHEMA, fuzzSummary, junitSuiteOf, junitXml, type Campaign, type FuzzSummary, type ShrunkEntry, type StopReason } from '../fuzz-summary.js';
import type { JobResult, RunJob } from '../run-job.js';
import { reproduceCommand } from '../runner.js';
import { scenarioFor, sourceName, type ScenarioSource } from '../scenario-source.js';
import { shardFromEnv } from './ci-env.js';
import { fuzzMergeCommand } from './fuzz-merge-command.js';
import { catchInterrupts, signalExitCode } from './interrupt.js';
import { listOption, loadSource, numberArg, optionalCountOption, print, secondsOption, seedRangeOptions, wholeNumberOption } from './io.js';
import { createProgress } from './progress.js';
import { runPool, shrinkOnWorker, workersOption } from './worker-pool.js';

interface FuzzArgs {
  readonly scenario: string;
  readonly seeds: string | number;
  readonly from: string | number;
  readonly shard: string | undefined;
  readonly workers: string | undefined;
  readonly 'time-budget': string | undefined;
  readonly junit: string | undefined;
  readonly json: boolean;
  readonly set: string | string[] | undefined;
  readonly out: string;
  readonly 'keep-going': boolean;
  readonly 'shrink-runs': string | number;
  readonly 'dry-run': boolean;
}

export const fuzzCommand: CommandModule<object, FuzzArgs> = {
  command: 'fuzz [scenario]',
  describe: 'Run many seeds in parallel; on a failure print the reproduce command and write a shrunk scenario',
  builder: (y: Argv) =>
    y
      .positional('scenario', { type: 'string', default: 'swarm', describe: 'built-in name or scenario file' })
      .option('seeds', numberArg('seeds in the campaign', 100))
      .option('from', numberArg('first seed of the campaign', 1))
      .option('shard', { type: 'string', describe: 'k/n: run only every n-th seed, starting with the k-th. Without it: GitLab CI_NODE_INDEX/CI_NODE_TOTAL, Buildkite BUILDKITE_PARALLEL_JOB/BUILDKITE_PARALLEL_JOB_COUNT, or a Kubernetes Indexed Job\'s JOB_COMPLETION_INDEX with RAFTSIM_SHARD_TOTAL (its completions); a GitHub Actions matrix passes --shard itself' })
      .option('workers', numberArg('worker threads (default 2; 0 runs in this thread; at most 4 per core, 64 in all)'))
      .option('time-budget', numberArg('start no new seed after this many seconds'))
      .option('junit', { type: 'string', describe: 'write a JUnit XML report here' })
      .option('json', { type: 'boolean', default: false, describe: 'print the campaign summary as JSON (schema "raftsim.fuzz/1"; `raftsim fuzz merge` joins shards\' summaries)' })
      .option('set', { type: 'string', describe: 'override a field of every seed\'s scenario: path=value; an object value ({…}) merges into the current value, keeping its other keys, anything else replaces it; repeatable' })
      .option('out', { type: 'string', default: '.', describe: 'directory for the shrunk scenario file' })
      .option('keep-going', { type: 'boolean', default: false, describe: 'run every seed even after a failure' })
      .option('shrink-runs', numberArg('most runs the shrinker may spend (0: do not shrink)', 150))
      .option('dry-run', { type: 'boolean', default: false, describe: 'check the options (and the CI shard variables), print what would run, run nothing' })
      .example('$0 fuzz swarm --seeds 2000', 'the correct configuration: expect nothing')
      .example('$0 fuzz swarm --seeds 200 --set readMode=leader-local', 'finds a stale read and shrinks it')
      .example('$0 fuzz swarm --seeds 10000 --shard 3/8 --junit fuzz.xml --json > shard-3.json', 'one machine of an 8-way CI matrix')
      .example('$0 fuzz merge shards/ --junit fuzz.xml', 'the 8 shards\' summaries as one')
      .command(fuzzMergeCommand) as unknown as Argv<FuzzArgs>,
  handler: async (args) => {
    const setup = prepare(args);
    const { campaign } = setup;
    const shardText = `shard ${campaign.shard.k}/${campaign.shard.n}${setup.shardFrom === null ? '' : ` (from ${setup.shardFrom})`}`;
    const startLine = `fuzz: seeds ${campaign.from}..${campaign.from + campaign.seeds - 1}, ${shardText}: ${setup.seeds.length} seeds on ${setup.workers} workers`;
    if (args['dry-run']) {
      print(args.json ? JSON.stringify({ schema: FUZZ_PLAN_SCHEMA, campaign, seeds: setup.seeds.length, workers: setup.workers, shardFrom: setup.shardFrom }, null, 1) : startLine);
      return;
    }
    const interrupts = catchInterrupts('seeds');
    process.stderr.write(`${startLine}\n`);
    const outcomes: SeedOutcome[] = [];
    const progress = createProgress({ total: setup.jobs.length, unit: 'seeds', label: 'fuzz' });
    const t0 = performance.now();
    const deadline = setup.timeBudgetS === undefined ? Infinity : t0 + setup.timeBudgetS * 1000;
    let failures = 0;
    let stoppedBy: StopReason | null = null;
    await runPool(setup.jobs, {
      workers: setup.workers,
      signal: interrupts.signal,
      shouldStop: () => {
        if (!args['keep-going'] && failures > 0) stoppedBy = 'failure';
        else if (performance.now() > deadline) stoppedBy = 'time-budget';
        return stoppedBy !== null;
      },
      onResult: (result, wallMs) => {
        const outcome = outcomeFromResult(result, setup, wallMs);
        outcomes.push(outcome);
        if (outcome.status !== 'pass') failures++;
        progress.update(outcomes.length, failures);
      },
    });
    progress.done(outcomes.length, failures);
    outcomes.sort((a, b) => a.seed - b.seed);
    const first = outcomes.find((o) => o.status !== 'pass');
    const shrunk = interrupts.received() === null && first !== undefined && first.status !== 'unknown' && setup.shrinkRuns > 0 ? await shrinkAndWrite(setup, first, args, interrupts.signal) : null;
    stoppedBy = interrupts.received() ?? stoppedBy;
    const summary = fuzzSummary({ campaign, seeds: setup.seeds, outcomes, stoppedBy, wallMs: performance.now() - t0, workers: setup.workers, shrunk });
    if (args.junit !== undefined) writeFileSync(args.junit, junitXml([junitSuiteOf(`fuzz ${setup.name}`, summary, new Map(outcomes.map((o) => [o.seed, o.wallMs])))]));
    report(args, setup, summary, first);
    const signal = interrupts.received();
    if (signal !== null) process.exitCode = signalExitCode(signal);
    else if (summary.failed > 0 || summary.errors > 0) process.exitCode = EXIT_CHECK_FAILED;
    else if (summary.unknown > 0) process.exitCode = EXIT_BUDGET_EXHAUSTED;
  },
};

interface Setup {
  readonly source: ScenarioSource;
  readonly name: string;
  readonly overrides: readonly string[];
  readonly jobs: readonly RunJob[];
  readonly workers: number;
  readonly seeds: readonly number[];
  readonly timeBudgetS: number | undefined;
  readonly shrinkRuns: number;
  readonly campaign: Campaign;
  /** The CI variables the shard came from (null: --shard, or no shard). */
  readonly shardFrom: string | null;
}

function prepare(args: FuzzArgs): Setup {
  const { from, count } = seedRangeOptions(args.from, args.seeds);
  const { shard: sh, from: shardFrom } = shardOf(args.shard);
  const workers = workersOption(optionalCountOption(args.workers, '--workers'));
  const timeBudgetS = secondsOption(args['time-budget'], '--time-budget');
  const shrinkRuns = wholeNumberOption(args['shrink-runs'], '--shrink-runs', 0);
  const source = loadSource(args.scenario);
  const overrides = listOption(args.set);
  const seeds = shardSeeds(from, count, sh);
  // Bad input is found here, once, rather than on every worker.
  const probe = scenarioFor(source, seeds[0] ?? from, overrides);
  if (!probe.ok) throw new UserInputError(probe.issue);
  const jobs = seeds.map((seed, id): RunJob => ({ id, source, seed, overrides, trace: 'hash-only', full: false }));
  const name = sourceName(source);
  return { source, name, overrides, jobs, workers, seeds, timeBudgetS, shrinkRuns, campaign: { scenario: name, from, seeds: count, overrides, shard: sh }, shardFrom };
}

/** `--shard k/n` when given, else the CI engine's variables (ci-env.ts), else the whole campaign. */
function shardOf(flag: string | undefined): { shard: Shard; from: string | null } {
  if (flag !== undefined) {
    const parsed = parseShard(flag);
    if (!parsed.ok) throw new UserInputError(parsed.error);
    return { shard: parsed.value, from: null };
  }
  const env = shardFromEnv(process.env);
  return env === null ? { shard: { k: 1, n: 1 }, from: null } : env;
}

function outcomeFromResult(result: JobResult, setup: Setup, wallMs: number): SeedOutcome {
  if (result.ok) return outcomeOf(result.record, wallMs);
  const seed = setup.jobs[result.id]?.seed ?? -1;
  // The probe of the first seed passed, but a seed's own scenario (swarm draws one per seed) can
  // still conflict with an override: bad input all the same, named with its seed.
  if (result.kind === 'input') throw new UserInputError(result.issue !== undefined ? { ...result.issue, context: `seed ${seed}` } : `seed ${seed}: ${result.error}`);
  const reproduce = reproduceCommand(setup.name, seed, setup.overrides);
  return { seed, status: 'error', failed: ['run'], summary: `the run crashed: ${result.error.split('\n')[0] ?? ''}`, traceHash: '', virtualMs: 0, events: 0, wallMs, reproduce };
}

/**
 * Shrinks the failing seed's scenario while the same check still fails, and writes it as a file.
 * On a worker thread when there are workers (this thread stays free to hear a signal: then the
 * shrink is abandoned and the result is null), else here.
 */
async function shrinkAndWrite(setup: Setup, failing: SeedOutcome, args: FuzzArgs, signal: AbortSignal): Promise<ShrunkEntry | null> {
  const resolved = scenarioFor(setup.source, failing.seed, setup.overrides);
  if (!resolved.ok) return null;
  const job = { scenario: resolved.scenario, seed: failing.seed, failed: failing.failed, runsMax: setup.shrinkRuns };
  const r: ShrunkFailure | null = setup.workers > 0 ? await shrinkOnWorker(job, signal) : shrinkFailure(job.scenario, job.seed, job.failed, job.runsMax);
  if (r === null) return null;
  mkdirSync(args.out, { recursive: true });
  const file = join(args.out, `fuzz-${setup.name.replace(/[^\w.-]+/g, '_')}-seed${failing.seed}.shrunk.json`);
  const description = `Shrunk from \`${failing.reproduce}\`: ${failing.summary}`;
  writeFileSync(file, `${JSON.stringify({ ...r.scenario, description }, null, 1)}\n`);
  return { seed: failing.seed, file, faultsBefore: r.faultsBefore, faultsAfter: r.faultsAfter, runs: r.runs, failsOnItsOwn: r.failsOnItsOwn, reproduce: reproduceCommand(file, failing.seed, []) };
}

function report(args: FuzzArgs, setup: Setup, s: FuzzSummary, first: SeedOutcome | undefined): void {
  if (args.json) {
    print(JSON.stringify(s, null, 1));
    return;
  }
  print(`fuzz ${setup.name}: ${s.ran} of ${s.seeds} seeds run, ${s.passed} passed, ${s.failed} failed, ${s.unknown} unknown, ${s.errors} crashed (${s.seedsPerS.toFixed(1)} seeds/s on ${s.workers} workers)`);
  if (s.interrupted) print(`interrupted (${s.stoppedBy ?? ''}): ${s.notRun} seeds not run${args.junit === undefined ? '' : `, listed as skipped in ${args.junit}`}`);
  if (first === undefined) return;
  print(`FAIL seed ${first.seed}: ${first.summary}`);
  const shrunk = s.shrunk;
  if (shrunk !== null) {
    print(`shrunk: ${shrunk.faultsBefore} faults → ${shrunk.faultsAfter} in ${shrunk.runs} runs; ${shrunk.failsOnItsOwn ? 'fails on its own' : 'DOES NOT fail on its own (the failure needs more than its faults)'}: ${shrunk.file}`);
    print(`reproduce the shrunk run: ${shrunk.reproduce}`);
  }
  print(`reproduce: ${first.reproduce}`);
}
