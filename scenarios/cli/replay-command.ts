/**
 * `raftsim replay <run.json> [--seed N] [--set k=v]... [--json]`: runs a saved run record again —
 * its resolved settings, its seed, as they are in the file (edit them, or override them here) — and
 * confirms the same trace hash (exit 0), or shows where the runs part (exit 1): the stretch between
 * the record's checkpoints where they first differ, and the first event of each side that differs,
 * with its virtual time (scenarios/replay.ts).
 */
import type { Argv, CommandModule } from 'yargs';
import { EXIT_CHECK_FAILED, UserInputError } from '../errors.js';
import { formatReplay, replayRecord, type RecordedScenario } from '../replay.js';
import { resolveScenario } from '../resolve.js';
import type { RunRecord } from '../../record/run-record.js';
import { parseRunRecord } from '../run-record-file.js';
import { scenarioFor, type ScenarioSource } from '../scenario-source.js';
import { listOption, loadSource, numberArg, print, readText, seedOption } from './io.js';

interface ReplayArgs {
  readonly record: string;
  readonly seed: string | undefined;
  readonly set: string | string[] | undefined;
  readonly json: boolean;
}

export const replayCommand: CommandModule<object, ReplayArgs> = {
  command: 'replay <record>',
  describe: 'Re-run a saved run record: the same trace hash, or where the runs first part',
  builder: (y: Argv) =>
    y
      .positional('record', { type: 'string', describe: 'a run.json written by `raftsim run --out`' })
      .option('seed', numberArg('replay with this seed instead of the record\'s'))
      .option('set', { type: 'string', describe: 'override a field of the record\'s settings: path=value; an object value ({…}) merges into the current value, keeping its other keys, anything else replaces it; repeatable' })
      .option('json', { type: 'boolean', default: false, describe: 'print the outcome as JSON: {same, recordedHash, replayedHash, divergence, reproduce, …}' })
      .example('$0 replay out/stale/run.json', 'same trace hash → exit 0; else where the runs part, exit 1')
      .example('$0 replay out/stale/run.json --set workload.ratePerS=120', 'where an edited setting first changes the run') as unknown as Argv<ReplayArgs>,
  handler: (args) => {
    const parsed = parseRunRecord(readText(args.record), args.record);
    if (!parsed.ok) throw new UserInputError(parsed.error);
    const saved = parsed.value;
    const seed = args.seed === undefined ? saved.seed : seedOption(args.seed);
    const overrides = listOption(args.set);
    // The settings are the resolved scenario: the record's overrides are already in them.
    const resolved = resolveScenario(saved.settings, { source: `${args.record} (settings)`, overrides });
    if (!resolved.ok) throw new UserInputError(resolved.issue);
    const outcome = replayRecord({ record: saved, recordPath: args.record, scenario: resolved.scenario, seed, overrides, recorded: recordedScenario(saved) });
    if (args.json) print(JSON.stringify(outcome, null, 1));
    else for (const line of formatReplay(outcome)) print(line);
    if (!outcome.same) process.exitCode = EXIT_CHECK_FAILED;
  },
};

/** The recorded run's scenario from its source as it is today: the built-in, or the file read again. */
function recordedScenario(saved: RunRecord): RecordedScenario {
  let src: ScenarioSource;
  try {
    src = loadSource(saved.scenario);
  } catch (err) {
    if (err instanceof UserInputError) return { ok: false, why: err.message };
    throw err;
  }
  const r = scenarioFor(src, saved.checkpoints?.seed ?? saved.seed, saved.overrides);
  if (!r.ok) return { ok: false, why: r.error };
  return {
    ok: true,
    scenario: r.scenario,
    resolve: (seed, extra) => {
      const x = scenarioFor(src, seed, [...saved.overrides, ...extra]);
      return x.ok ? x.scenario : null;
    },
  };
}
