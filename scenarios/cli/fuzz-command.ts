/**
 * `raftsim fuzz [scenario] --seeds N [--from S] [--shard k/n] [--workers W] [--time-budget S]
 * [--junit FILE] [--json] [--set k=v]... [--out DIR]`: runs many seeds on worker threads and
 * reports the first failure with its reproduce command and a shrunk scenario file.
 *
 * Seeds run in parallel (2 workers by default); `--shard k/n` runs every n-th seed of the
 * campaign, so a CI matrix of n machines covers it once. Progress goes to stderr: a bar on a TTY,
 * a line every 10 s otherwise. On a failure no new seed is started (unless --keep-going); the
 * lowest failing seed is shrunk in this process (fewer faults, then shorter ones) and written as a
 * scenario file that fails on its own with the same seed. Exit 1 on a failure, 3 when the only
 * problem is a checker budget, 0 otherwise.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { EXIT_BUDGET_EXHAUSTED, EXIT_CHECK_FAILED, UserInputError } from '../errors.js';
import { junitXml, outcomeOf, parseShard, shardSeeds, shrinkFailure, type SeedOutcome } from '../fuzz.js';
import type { JobResult, RunJob } from '../run-job.js';
import { reproduceCommand } from '../runner.js';
import { scenarioFor, sourceName, type ScenarioSource } from '../scenario-source.js';
import { listOption, loadSource, numberArg, optionalCountOption, print, secondsOption, seedRangeOptions, wholeNumberOption } from './io.js';
import { defaultWorkers, runPool } from './worker-pool.js';

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
}

export const fuzzCommand: CommandModule<object, FuzzArgs> = {
  command: 'fuzz [scenario]',
  describe: 'Run many seeds in parallel; on a failure print the reproduce command and write a shrunk scenario',
  builder: (y: Argv) =>
    y
      .positional('scenario', { type: 'string', default: 'swarm', describe: 'built-in name or scenario file' })
      .option('seeds', numberArg('seeds in the campaign', 100))
      .option('from', numberArg('first seed of the campaign', 1))
      .option('shard', { type: 'string', describe: 'k/n: run only every n-th seed, starting with the k-th' })
      .option('workers', numberArg('worker threads (default 2; 0 runs in this thread)'))
      .option('time-budget', numberArg('start no new seed after this many seconds'))
      .option('junit', { type: 'string', describe: 'write a JUnit XML report here' })
      .option('json', { type: 'boolean', default: false, describe: 'print the campaign summary as JSON' })
      .option('set', { type: 'string', describe: 'override a field of every seed\'s scenario: path=value; an object value ({…}) merges into the current value, keeping its other keys, anything else replaces it; repeatable' })
      .option('out', { type: 'string', default: '.', describe: 'directory for the shrunk scenario file' })
      .option('keep-going', { type: 'boolean', default: false, describe: 'run every seed even after a failure' })
      .option('shrink-runs', numberArg('most runs the shrinker may spend (0: do not shrink)', 150))
      .example('$0 fuzz swarm --seeds 2000', 'the correct configuration: expect nothing')
      .example('$0 fuzz swarm --seeds 200 --set readMode=leader-local', 'finds a stale read and shrinks it')
      .example('$0 fuzz swarm --seeds 10000 --shard 3/8 --junit fuzz.xml', 'one machine of an 8-way CI matrix') as unknown as Argv<FuzzArgs>,
  handler: async (args) => {
    const setup = prepare(args);
    const outcomes: SeedOutcome[] = [];
    const failures: { outcome: SeedOutcome; result: JobResult }[] = [];
    const progress = createProgress(setup.jobs.length);
    const t0 = performance.now();
    const deadline = setup.timeBudgetS === undefined ? Infinity : t0 + setup.timeBudgetS * 1000;
    await runPool(setup.jobs, {
      workers: setup.workers,
      shouldStop: () => performance.now() > deadline || (!args['keep-going'] && failures.length > 0),
      onResult: (result, wallMs) => {
        const outcome = outcomeFromResult(result, setup, wallMs);
        outcomes.push(outcome);
        if (outcome.status !== 'pass') failures.push({ outcome, result });
        progress.update(outcomes.length, failures.length);
      },
    });
    progress.done(outcomes.length, failures.length, performance.now() - t0);
    outcomes.sort((a, b) => a.seed - b.seed);
    if (args.junit !== undefined) writeFileSync(args.junit, junitXml(`fuzz ${setup.name}`, outcomes));
    const first = failures.map((f) => f.outcome).sort((a, b) => a.seed - b.seed)[0];
    const shrunk = first !== undefined && first.status !== 'unknown' && setup.shrinkRuns > 0 ? shrinkAndWrite(setup, first, args) : null;
    report(args, setup, outcomes, first, shrunk, performance.now() - t0);
    if (outcomes.some((o) => o.status === 'fail' || o.status === 'error')) process.exitCode = EXIT_CHECK_FAILED;
    else if (outcomes.some((o) => o.status === 'unknown')) process.exitCode = EXIT_BUDGET_EXHAUSTED;
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
}

function prepare(args: FuzzArgs): Setup {
  const { from, count } = seedRangeOptions(args.from, args.seeds);
  const shard = args.shard === undefined ? { k: 1, n: 1 } : parseShard(args.shard);
  if ('ok' in shard && !shard.ok) throw new UserInputError(shard.error);
  const sh = 'ok' in shard ? shard.value : shard;
  const workers = optionalCountOption(args.workers, '--workers') ?? defaultWorkers();
  const timeBudgetS = secondsOption(args['time-budget'], '--time-budget');
  const shrinkRuns = wholeNumberOption(args['shrink-runs'], '--shrink-runs', 0);
  const source = loadSource(args.scenario);
  const overrides = listOption(args.set);
  const seeds = shardSeeds(from, count, sh);
  // Bad input is found here, once, rather than on every worker.
  const probe = scenarioFor(source, seeds[0] ?? from, overrides);
  if (!probe.ok) throw new UserInputError(probe.issue);
  const jobs = seeds.map((seed, id): RunJob => ({ id, source, seed, overrides, trace: 'hash-only', full: false }));
  return { source, name: sourceName(source), overrides, jobs, workers, seeds, timeBudgetS, shrinkRuns };
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

interface Shrunk {
  readonly file: string;
  readonly faultsBefore: number;
  readonly faultsAfter: number;
  readonly runs: number;
  readonly failsOnItsOwn: boolean;
  readonly reproduce: string;
}

/** Shrinks the failing seed's scenario while the same check still fails, and writes it as a file. */
function shrinkAndWrite(setup: Setup, failing: SeedOutcome, args: FuzzArgs): Shrunk | null {
  const resolved = scenarioFor(setup.source, failing.seed, setup.overrides);
  if (!resolved.ok) return null;
  const r = shrinkFailure(resolved.scenario, failing.seed, failing.failed, setup.shrinkRuns);
  mkdirSync(args.out, { recursive: true });
  const file = join(args.out, `fuzz-${setup.name.replace(/[^\w.-]+/g, '_')}-seed${failing.seed}.shrunk.json`);
  const description = `Shrunk from \`${failing.reproduce}\`: ${failing.summary}`;
  writeFileSync(file, `${JSON.stringify({ ...r.scenario, description }, null, 1)}\n`);
  return { file, faultsBefore: r.faultsBefore, faultsAfter: r.faultsAfter, runs: r.runs, failsOnItsOwn: r.failsOnItsOwn, reproduce: reproduceCommand(file, failing.seed, []) };
}

function report(args: FuzzArgs, setup: Setup, outcomes: readonly SeedOutcome[], first: SeedOutcome | undefined, shrunk: Shrunk | null, wallMs: number): void {
  const count = (s: SeedOutcome['status']): number => outcomes.filter((o) => o.status === s).length;
  const perS = outcomes.length / (wallMs / 1000);
  if (args.json) {
    print(
      JSON.stringify(
        {
          scenario: setup.name,
          seeds: setup.seeds.length,
          ran: outcomes.length,
          passed: count('pass'),
          failed: count('fail'),
          unknown: count('unknown'),
          errors: count('error'),
          seedsPerS: Math.round(perS * 100) / 100,
          workers: setup.workers,
          failures: outcomes.filter((o) => o.status !== 'pass').map((o) => ({ seed: o.seed, status: o.status, failed: o.failed, summary: o.summary, reproduce: o.reproduce })),
          shrunk,
        },
        null,
        1,
      ),
    );
    return;
  }
  print(`fuzz ${setup.name}: ${outcomes.length} of ${setup.seeds.length} seeds run, ${count('pass')} passed, ${count('fail')} failed, ${count('unknown')} unknown, ${count('error')} crashed (${perS.toFixed(1)} seeds/s on ${setup.workers} workers)`);
  if (first === undefined) return;
  print(`FAIL seed ${first.seed}: ${first.summary}`);
  if (shrunk !== null) {
    print(`shrunk: ${shrunk.faultsBefore} faults → ${shrunk.faultsAfter} in ${shrunk.runs} runs; ${shrunk.failsOnItsOwn ? 'fails on its own' : 'DOES NOT fail on its own (the failure needs more than its faults)'}: ${shrunk.file}`);
    print(`reproduce the shrunk run: ${shrunk.reproduce}`);
  }
  print(`reproduce: ${first.reproduce}`);
}

interface Progress {
  update(done: number, failures: number): void;
  done(done: number, failures: number, wallMs: number): void;
}

/** A bar on a TTY (stderr), a line every 10 s otherwise. */
function createProgress(total: number): Progress {
  const tty = process.stderr.isTTY === true;
  const t0 = performance.now();
  let lastLine = t0;
  const rate = (done: number): string => `${(done / ((performance.now() - t0) / 1000)).toFixed(1)} seeds/s`;
  return {
    update(done, failures) {
      if (tty) {
        const width = 30;
        const filled = Math.round((done / Math.max(1, total)) * width);
        process.stderr.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} seeds  ${failures} failing  ${rate(done)}  `);
      } else if (performance.now() - lastLine >= 10_000) {
        lastLine = performance.now();
        process.stderr.write(`fuzz: ${done}/${total} seeds, ${failures} failing, ${rate(done)}\n`);
      }
    },
    done(done, failures, wallMs) {
      if (tty) process.stderr.write('\n');
      else process.stderr.write(`fuzz: ${done}/${total} seeds, ${failures} failing, ${(wallMs / 1000).toFixed(1)} s\n`);
    },
  };
}
