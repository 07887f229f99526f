/**
 * `raftsim hunt <bug-id|all> [--seeds N] [--from S] [--workers W] [--json] [--out DIR] [--set k=v]…`:
 * lets the generic swarm find a known bug from scratch. For each bug: run seeds with its switch on
 * until the first failure, shrink it to a scenario file, and re-run the same seeds with the switch
 * off, which must all pass (scenarios/cli/hunt.ts). Prints one line per bug, or with --json one
 * object per bug: {bug, found, seed, seedsRun, seedsToFind, cpuSeconds, wallSeconds, check,
 * faultsBefore, faultsAfterShrink, fixPasses, shrunkFile, …}.
 *
 * Exit 0 when every bug asked for was found and its fix passes; 1 otherwise (the reproduce
 * command of a fix that fails is printed); 2 for bad input.
 */
import type { Argv, CommandModule } from 'yargs';
import { BUG_IDS, bugIdProblem } from '../bugs.js';
import { EXIT_CHECK_FAILED, UserInputError } from '../errors.js';
import { scenarioFor } from '../scenario-source.js';
import { huntBug, bugOverride, type HuntResult } from './hunt.js';
import { listOption, loadSource, numberArg, optionalCountOption, positiveIntOption, print, secondsOption, seedOption, wholeNumberOption } from './io.js';
import { workersOption } from './worker-pool.js';

interface HuntArgs {
  readonly bug: string;
  readonly scenario: string;
  readonly seeds: string | number;
  readonly from: string | number;
  readonly workers: string | undefined;
  readonly json: boolean;
  readonly out: string;
  readonly set: string | string[] | undefined;
  readonly 'shrink-runs': string | number;
  readonly 'time-budget': string | undefined;
}

export const huntCommand: CommandModule<object, HuntArgs> = {
  command: 'hunt <bug>',
  describe: 'Switch a known etcd bug on and let the generic swarm find it: seeds to find, CPU seconds, shrunk file, fix check',
  builder: (y: Argv) =>
    y
      .positional('bug', { type: 'string', describe: 'a bug id (raftsim bugs lists them) or "all"' })
      .option('scenario', { type: 'string', default: 'swarm', describe: 'built-in or scenario file to hunt with (the generic swarm by default)' })
      .option('seeds', numberArg('most seeds per bug', 2000))
      .option('from', numberArg('first seed', 1))
      .option('workers', numberArg('worker threads (default 2; 0 runs in this thread; at most 4 per core, 64 in all)'))
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object per bug (an array for "all")' })
      .option('out', { type: 'string', default: '.', describe: 'directory for the shrunk scenario files' })
      .option('set', { type: 'string', describe: "override a field of every run's scenario: path=value; repeatable" })
      .option('shrink-runs', numberArg('most runs the shrinker may spend (0: do not shrink)', 150))
      .option('time-budget', numberArg('per bug: start no new seed after this many seconds'))
      .example('$0 hunt etcd-20221 --seeds 200', 'one bug')
      .example('$0 hunt all --seeds 2000 --json --out hunt/', 'the whole zoo, as JSON') as unknown as Argv<HuntArgs>,
  handler: async (args) => {
    const bugs = args.bug === 'all' ? [...BUG_IDS] : [args.bug];
    for (const b of bugs) {
      const problem = bugIdProblem(b);
      if (problem !== null) throw new UserInputError(`hunt: ${problem}`);
    }
    const from = seedOption(args.from, '--from');
    const seeds = positiveIntOption(args.seeds, '--seeds');
    const workers = workersOption(optionalCountOption(args.workers, '--workers'));
    const shrinkRuns = wholeNumberOption(args['shrink-runs'], '--shrink-runs', 0);
    const timeBudgetS = secondsOption(args['time-budget'], '--time-budget');
    const source = loadSource(args.scenario);
    const overrides = listOption(args.set);
    for (const b of bugs) {
      const probe = scenarioFor(source, from, [bugOverride(b), ...overrides]);
      if (!probe.ok) throw new UserInputError(probe.error);
    }
    const results: HuntResult[] = [];
    for (const bug of bugs) {
      const r = await huntBug(bug, {
        source, from, seeds, workers, overrides, outDir: args.out, shrinkRuns,
        ...(timeBudgetS === undefined ? {} : { timeBudgetS }),
        log: (line) => process.stderr.write(`${line}\n`),
      });
      results.push(r);
      if (!args.json) print(lineOf(r));
    }
    if (args.json) print(JSON.stringify(args.bug === 'all' ? results : results[0], null, 1));
    else if (results.length > 1) {
      const found = results.filter((r) => r.found);
      const cpu = found.map((r) => r.cpuSeconds).sort((a, b) => a - b);
      const median = cpu.length === 0 ? null : cpu.length % 2 === 1 ? cpu[(cpu.length - 1) / 2] : ((cpu[cpu.length / 2 - 1] as number) + (cpu[cpu.length / 2] as number)) / 2;
      print(`found ${found.length} of ${results.length} with the generic swarm in ≤ ${seeds} seeds; fix passes for ${found.filter((r) => r.fixPasses === true).length}; median CPU seconds to find ${median ?? '—'}`);
    }
    if (results.some((r) => !r.found || r.fixPasses !== true)) process.exitCode = EXIT_CHECK_FAILED;
  },
};

function lineOf(r: HuntResult): string {
  if (!r.found) return `${r.bug}: not found in ${r.seedsRun} seeds (${r.cpuSeconds} CPU s)`;
  const shrink = r.faultsBefore === null ? '' : `, shrunk ${r.faultsBefore} → ${r.faultsAfterShrink} faults${r.shrunkFile === null ? '' : ` (${r.shrunkFile})`}`;
  const fix = r.fixPasses === true ? 'fix passes' : `FIX FAILS: ${r.fixProblem ?? '?'}`;
  return `${r.bug}: found at seed ${r.seed} (${r.seedsToFind} seeds, ${r.cpuSeconds} CPU s) by ${r.check}${shrink}; ${fix}; reproduce: ${r.reproduce}`;
}
