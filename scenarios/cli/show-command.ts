/**
 * `raftsim show <scenario> [--seed N] [--set k=v]... [--json]`: prints a built-in (or a scenario
 * file) as a complete scenario file — every field with its value, defaults filled — to save, edit
 * and run (scenarios/show.ts). Only the file goes to stdout, so `> my.json` saves it.
 */
import type { Argv, CommandModule } from 'yargs';
import { UserInputError } from '../errors.js';
import { showScenario } from '../show.js';
import { listOption, loadSource, numberArg, print, seedOption } from './io.js';

interface ShowArgs {
  readonly scenario: string;
  readonly seed: string | number;
  readonly set: string | string[] | undefined;
  readonly json: boolean;
}

export const showCommand: CommandModule<object, ShowArgs> = {
  command: 'show <scenario>',
  describe: 'Print a built-in scenario as a complete scenario file to edit and run',
  builder: (y: Argv) =>
    y
      .positional('scenario', { type: 'string', describe: 'built-in name (see `raftsim list`) or scenario file (.json)' })
      .option('seed', numberArg('the seed to show it for (only swarm looks at it)', 1))
      .option('set', { type: 'string', describe: 'override a field first: path=value; an object value ({…}) merges into the current value, keeping its other keys, anything else replaces it; repeatable' })
      .option('json', { type: 'boolean', default: false, describe: 'print {name, seed, seedDependent, scenario} instead of the file alone' })
      .example('$0 show leader-isolation-stale-read > stale.json', 'save it, edit it, then: raftsim run stale.json --seed 1 (same trace hash as the built-in)')
      .example('$0 show swarm --seed 42', 'the configuration swarm draws for seed 42') as unknown as Argv<ShowArgs>,
  handler: (args) => {
    const seed = seedOption(args.seed);
    const r = showScenario(loadSource(args.scenario), seed, listOption(args.set));
    if (!r.ok) throw new UserInputError(r.issue ?? r.error);
    print(JSON.stringify(args.json ? r.shown : r.shown.scenario, null, 2));
  },
};
