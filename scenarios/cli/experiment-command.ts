/**
 * `raftsim experiment <prevote|readindex|checkquorum|fsync|all> [--seeds N] [--from S] [--json]
 * [--out DIR] [--workers W]`: runs every arm of the experiment over the same seeds (on worker
 * threads) and prints the comparison table and what it shows. `--out DIR` writes the experiment
 * reports (HTML, Markdown, JSON), the report of one representative run per arm, and an index.
 *
 * Anomalies are the point of an experiment, so failed checks do not change the exit code; a run
 * that crashes does (exit 1, with its reproduce command).
 */
import type { Argv, CommandModule } from 'yargs';
import { indexEntryForExperiment, type IndexEntry } from '../../reports/index-page.js';
import { writeExperimentReport, writeIndex } from '../../reports/write.js';
import { EXIT_CHECK_FAILED, UserInputError } from '../errors.js';
import type { ExperimentResult } from '../../record/experiment-record.js';
import { armScenario, EXPERIMENT_NAMES, EXPERIMENTS, experimentJson, formatExperimentTable, summarizeArm, summarizeExperiment, type ExperimentName, type ExperimentSpec } from '../experiments.js';
import type { JobResult, RunJob } from '../run-job.js';
import type { RunRecord } from '../../record/run-record.js';
import { reproduceCommand } from '../runner.js';
import { sourceName } from '../scenario-source.js';
import { catchInterrupts, signalExitCode } from './interrupt.js';
import { createProgress } from './progress.js';
import { listOption, numberArg, optionalCountOption, print, seedRangeOptions } from './io.js';
import { runPool, workersOption } from './worker-pool.js';

interface ExperimentArgs {
  readonly name: string;
  readonly seeds: string | number;
  readonly from: string | number;
  readonly json: boolean;
  readonly out: string | undefined;
  readonly workers: string | undefined;
  readonly set: string | string[] | undefined;
}

export const experimentCommand: CommandModule<object, ExperimentArgs> = {
  command: 'experiment <name>',
  describe: 'Compare settings over the same seeds: prevote, readindex, checkquorum, fsync, or all',
  builder: (y: Argv) =>
    y
      .positional('name', { type: 'string', choices: [...EXPERIMENT_NAMES, 'all'], describe: 'which experiment' })
      .option('seeds', numberArg('seeds per arm', 20))
      .option('from', numberArg('first seed', 1))
      .option('json', { type: 'boolean', default: false, describe: 'print {experiment, seeds, arms: [{name, settings, metrics}]} (an array for all)' })
      .option('out', { type: 'string', describe: 'write the experiment reports (and one run report per arm) into this directory' })
      .option('workers', numberArg('worker threads (default 2; 0 runs in this thread; at most 4 per core, 64 in all)'))
      .option('set', { type: 'string', describe: 'override a field in every arm: path=value (not one an arm sets); an object value ({…}) merges into the current value, keeping its other keys, anything else replaces it; repeatable, part of the reproduce command' })
      .example('$0 experiment prevote --seeds 50', 'term rise and leader changes with PreVote on and off')
      .example('$0 experiment readindex --json | jq ".arms[] | {name, v: .metrics.violationSeeds}"', 'violations per read mode')
      .example('$0 experiment all --seeds 20 --out reports/out', 'everything, with reports (what `npm start` runs)')
      .example('$0 experiment prevote --set cluster.size=5', 'the same comparison on five members') as unknown as Argv<ExperimentArgs>,
  handler: async (args) => {
    const names: ExperimentName[] = args.name === 'all' ? [...EXPERIMENT_NAMES] : [args.name as ExperimentName];
    const { from, count } = seedRangeOptions(args.from, args.seeds);
    const seeds = Array.from({ length: count }, (_, i) => from + i);
    const workers = workersOption(optionalCountOption(args.workers, '--workers'));
    const overrides = experimentOverrides(names, listOption(args.set));
    const plan = planJobs(names, seeds, args.out !== undefined, overrides);
    const records = new Map<number, RunRecord>();
    const crashes: { job: RunJob; error: string }[] = [];
    const interrupts = catchInterrupts('runs');
    process.stderr.write(`experiment ${args.name}: seeds ${from}..${from + count - 1}, ${plan.jobs.length} runs on ${workers} workers\n`);
    const progress = createProgress({ total: plan.jobs.length, unit: 'runs', label: 'experiment' });
    const t0 = performance.now();
    let done = 0;
    await runPool(plan.jobs, {
      workers,
      signal: interrupts.signal,
      onResult: (r: JobResult) => {
        done++;
        if (r.ok) records.set(r.id, r.record);
        else if (r.kind === 'input') throw new UserInputError(r.issue ?? r.error);
        else crashes.push({ job: plan.jobs[r.id] as RunJob, error: r.error });
        progress.update(done, crashes.length);
      },
    });
    progress.done(done, crashes.length);
    const signal = interrupts.received();
    // Interrupted: each arm is summarised over the seeds it finished (arms may then differ in count).
    const results = names.map((n) => summarize(EXPERIMENTS[n], seeds, plan, records, overrides));
    output(args, results, performance.now() - t0, { ran: done, planned: plan.jobs.length, signal }, workers);
    if (args.out !== undefined) writeReports(args.out, results);
    if (signal !== null) {
      process.exitCode = signalExitCode(signal);
      return;
    }
    if (crashes.length > 0) {
      const c = crashes[0] as (typeof crashes)[number];
      print(`${crashes.length} runs crashed; the first: ${c.error.split('\n')[0] ?? ''}`);
      print(`reproduce: ${reproduceCommand(sourceName(c.job.source), c.job.seed, c.job.overrides)}`);
      process.exitCode = EXIT_CHECK_FAILED;
    }
  },
};

interface Plan {
  readonly jobs: RunJob[];
  /** Job ids per experiment and arm, in seed order. */
  readonly byArm: Map<string, number[]>;
}

const armKey = (experiment: string, arm: string): string => `${experiment}/${arm}`;

/**
 * The user's `--set` overrides, for every arm: refused (exit 2) when one names a field an arm
 * sets itself — the arms would no longer differ in what the experiment compares.
 */
function experimentOverrides(names: readonly ExperimentName[], overrides: readonly string[]): readonly string[] {
  const pathOf = (o: string): string => o.slice(0, Math.max(0, o.indexOf('=')));
  for (const o of overrides) {
    for (const n of names) {
      const arm = EXPERIMENTS[n].arms.find((a) => a.overrides.some((x) => pathOf(x) === pathOf(o)));
      if (arm !== undefined) throw new UserInputError(`--set ${o}: the ${n} experiment's arms set ${pathOf(o)} themselves (arm ${arm.name}: ${arm.overrides.join(', ')})`);
    }
  }
  return overrides;
}

/** Every (experiment, arm, seed) as a job (the user's overrides first, then the arm's); the first seed of each arm keeps its trace when reports are written. */
function planJobs(names: readonly ExperimentName[], seeds: readonly number[], full: boolean, overrides: readonly string[]): Plan {
  const jobs: RunJob[] = [];
  const byArm = new Map<string, number[]>();
  for (const n of names) {
    const spec = EXPERIMENTS[n];
    for (const arm of spec.arms) {
      const ids: number[] = [];
      for (const [i, seed] of seeds.entries()) {
        const keep = full && i === 0;
        ids.push(jobs.length);
        jobs.push({ id: jobs.length, source: { kind: 'builtin', name: armScenario(spec, arm) }, seed, overrides: [...overrides, ...arm.overrides], trace: keep ? 'keep' : 'hash-only', full: keep });
      }
      byArm.set(armKey(n, arm.name), ids);
    }
  }
  return { jobs, byArm };
}

function armRecords(plan: Plan, records: ReadonlyMap<number, RunRecord>, experiment: string, arm: string): RunRecord[] {
  return (plan.byArm.get(armKey(experiment, arm)) ?? []).map((id) => records.get(id)).filter((r): r is RunRecord => r !== undefined);
}

function summarize(spec: ExperimentSpec, seeds: readonly number[], plan: Plan, records: ReadonlyMap<number, RunRecord>, overrides: readonly string[]): ExperimentResult {
  const arms = spec.arms.map((a) => {
    const recs = armRecords(plan, records, spec.name, a.name);
    // The first seed's run kept its trace (and history) when reports are written: the arm's representative.
    const rep = recs[0];
    return summarizeArm(spec, a, recs, rep !== undefined && rep.trace.length > 0 ? rep : null);
  });
  return summarizeExperiment(spec, seeds, arms, overrides);
}

interface RunCount {
  readonly ran: number;
  readonly planned: number;
  /** The signal that interrupted the experiment, or null. */
  readonly signal: string | null;
}

function output(args: ExperimentArgs, results: readonly ExperimentResult[], wallMs: number, runs: RunCount, workers: number): void {
  if (args.json) {
    // Interrupted, each experiment says so, with how many of its runs were done.
    const interrupted = (r: ExperimentResult): object => (runs.signal === null ? {} : { interrupted: true, signal: runs.signal, runsDone: r.arms.reduce((a, arm) => a + arm.seeds.length, 0), runsPlanned: r.seeds * r.arms.length });
    const json = results.map((r) => ({ ...(experimentJson(r) as object), ...interrupted(r) }));
    print(JSON.stringify(args.name === 'all' ? json : json[0], null, 1));
    return;
  }
  if (runs.signal !== null) print(`interrupted (${runs.signal}): ${runs.ran} of ${runs.planned} runs done; each arm below is summarised over the seeds it finished`);
  for (const r of results) {
    print(formatExperimentTable(r));
    print();
    for (const line of r.explanation) print(`  ${line}`);
    print(`  reproduce: ${r.reproduce}`);
    print();
  }
  print(`${runs.ran}${runs.ran === runs.planned ? '' : ` of ${runs.planned}`} runs in ${(wallMs / 1000).toFixed(1)} s on ${workers} workers${runs.signal === null ? '' : ` (interrupted by ${runs.signal})`}`);
}

/** Experiment reports (each with one run report per arm, its representative seed) and an index linking them. */
function writeReports(dir: string, results: readonly ExperimentResult[]): void {
  const entries: IndexEntry[] = [];
  for (const r of results) {
    const files = writeExperimentReport(dir, r);
    entries.push(indexEntryForExperiment(files.data));
  }
  const index = writeIndex(dir, entries);
  print(`report: ${index}`);
  print(`(open it in a browser: each experiment's report, and from there one run of each arm)`);
}
