/**
 * `raftsim list [--json]`: the built-in scenarios, with what each teaches.
 */
import type { Argv, CommandModule } from 'yargs';
import { BUILTINS } from '../builtin/registry.js';
import { print } from './io.js';

interface ListArgs {
  readonly json: boolean;
}

export const listCommand: CommandModule<object, ListArgs> = {
  command: 'list',
  describe: 'List the built-in scenarios',
  builder: (y: Argv) =>
    y
      .option('json', { type: 'boolean', default: false, describe: 'print [{name, summary, expect, description}] as JSON' })
      .example('$0 list', 'each scenario in one line: passes, or shows an anomaly on purpose')
      .example('$0 list --json | jq -r ".[].name"', 'just the names') as unknown as Argv<ListArgs>,
  handler: (args) => {
    if (args.json) {
      print(JSON.stringify(BUILTINS.map((b) => ({ name: b.name, summary: b.summary, expect: b.expect, description: b.description })), null, 1));
      return;
    }
    const width = Math.max(...BUILTINS.map((b) => b.name.length));
    for (const b of BUILTINS) print(`${b.name.padEnd(width)}  ${b.expect === 'fail' ? 'anomaly' : 'passes '}  ${b.summary}`);
    print();
    print('raftsim run <name> shows one; `raftsim list --json` prints every description in full.');
  },
};
