/**
 * `raftsim run <scenario|file.json> [--seed N] [--set k=v]... [--out DIR] [--json]`: one run, its
 * verdict, and (with --out) its record, HTML report and history (JSON Lines, for `raftsim check`).
 *
 * Exit 0 when every check passed, 1 when one failed (the reproduce command is the last line),
 * 2 for bad input, 3 when a checker ran out of budget.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { historyToJsonLines } from '../../sim/history.js';
import { writeRunReport } from '../../reports/write.js';
import { EXIT_BUDGET_EXHAUSTED, EXIT_CHECK_FAILED, UserInputError } from '../errors.js';
import { verdictOf } from '../fuzz.js';
import { startRun } from '../runner.js';
import { captureReportPictures } from '../report-pictures.js';
import { formatRunSummary, runJson } from '../run-summary.js';
import { scenarioFor, sourceDescription, sourceName } from '../scenario-source.js';
import { listOption, loadSource, numberArg, print, seedOption } from './io.js';
import { finishWithProgress } from './run-progress.js';

interface RunArgs {
  readonly scenario: string;
  readonly seed: string | number;
  readonly set: string | string[] | undefined;
  readonly out: string | undefined;
  readonly json: boolean;
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run <scenario>',
  describe: 'Run a scenario (a built-in name or a JSON file) with one seed and check it',
  builder: (y: Argv) =>
    y
      .positional('scenario', { type: 'string', describe: 'built-in name (see `raftsim list`) or scenario file (.json)' })
      .option('seed', numberArg('root seed of the run', 1))
      .option('set', { type: 'string', describe: 'override a field: path=value (JSON if it parses, else a string); an object value ({…}) merges into the current value, keeping its other keys, anything else replaces it; repeatable' })
      .option('out', { type: 'string', describe: 'write run.json (the record), run.html (the report) and history.jsonl (for raftsim check) into this directory' })
      .option('json', { type: 'boolean', default: false, describe: 'print the run record (without history and trace) as JSON' })
      .example('$0 run prevote-rejoin --seed 7', 'an isolated follower rejoins; PreVote keeps its term')
      .example('$0 run prevote-rejoin --set cluster.preVote=false', 'the same without PreVote: the leader is deposed')
      .example('$0 run leader-isolation-stale-read --out out/stale', 'a stale read, with its HTML report')
      .example('$0 run my-scenario.json --seed 3 --json', 'a scenario file, JSON output') as unknown as Argv<RunArgs>,
  handler: (args) => {
    const seed = seedOption(args.seed);
    const overrides = listOption(args.set);
    const source = loadSource(args.scenario);
    const resolved = scenarioFor(source, seed, overrides);
    if (!resolved.ok) throw new UserInputError(resolved.issue);
    const t0 = performance.now();
    // On a TTY a long run shows where it is (virtual time, events, ops) while it goes.
    const session = startRun({ name: sourceName(source), description: sourceDescription(source), scenario: resolved.scenario, seed, overrides, trace: args.out === undefined ? 'hash-only' : 'keep' });
    const record = finishWithProgress(session, { tty: process.stderr.isTTY === true && !args.json });
    const wallMs = performance.now() - t0;
    const files = args.out === undefined ? null : writeRunReport(args.out, record, { details: captureReportPictures(record) });
    // The history alone, in the checkers' JSON Lines format: `raftsim check` (or Porcupine-style tools) reads it.
    const historyFile = args.out === undefined ? null : join(args.out, 'history.jsonl');
    if (historyFile !== null) writeFileSync(historyFile, historyToJsonLines(record.history));
    if (args.json) {
      print(JSON.stringify(runJson(record), null, 1));
    } else {
      const lines = formatRunSummary(record, wallMs);
      const reproduce = lines.pop() as string;
      for (const l of lines) print(l);
      if (files !== null) print(`report: ${files.html}${files.json === null ? '' : ` (record: ${files.json})`}`);
      if (historyFile !== null) print(`history: ${historyFile} (check it alone: npx raftsim check ${historyFile} --model etcd)`);
      print(reproduce);
    }
    const v = verdictOf(record.checks);
    if (v.status === 'fail') process.exitCode = EXIT_CHECK_FAILED;
    else if (v.status === 'unknown') process.exitCode = EXIT_BUDGET_EXHAUSTED;
  },
};
