/**
 * The `raftsim` command (bin/raftsim.js runs this file through tsx). Together with the files of
 * scenarios/cli/, this is the only code that touches files, the environment and the wall clock.
 *
 * Exit codes (scenarios/errors.ts): 0 all checks passed; 1 a check failed (the reproduce command
 * is the last line); 2 bad input (one line naming the file or option and the field); 3 a checker
 * ran out of its search budget.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { checkCommand } from './cli/check-command.js';
import { experimentCommand } from './cli/experiment-command.js';
import { fuzzCommand } from './cli/fuzz-command.js';
import { listCommand } from './cli/list-command.js';
import { replayCommand } from './cli/replay-command.js';
import { reportCommand } from './cli/report-command.js';
import { runCommand } from './cli/run-command.js';
import { showCommand } from './cli/show-command.js';
import { BudgetExhaustedError, CheckFailedError, EXIT_BAD_INPUT, UserInputError, exitCodeOf } from './errors.js';

// `raftsim list | head -3`: the reader went away. Stop quietly, with the exit code so far, as Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
});

const cli = yargs(hideBin(process.argv))
  .scriptName('raftsim')
  .usage('$0 <command> [options]\n\nA deterministic simulator of an etcd-style Raft + MVCC key-value store: run a scenario, fuzz seeds, compare settings.')
  .command(listCommand)
  .command(runCommand)
  .command(replayCommand)
  .command(showCommand)
  .command(fuzzCommand)
  .command(experimentCommand)
  .command(reportCommand)
  .command(checkCommand)
  .demandCommand(1, 'name a command (raftsim --help lists them)')
  .recommendCommands()
  .strict()
  .help()
  .alias('h', 'help')
  .version(false)
  .wrap(Math.min(110, process.stdout.columns ?? 110))
  .fail((msg: string | null, err: Error | undefined) => {
    // yargs' own complaints (an unknown option, a missing argument) are bad input: one line, exit 2.
    // yargs words some of them over several lines ("Invalid values:\n  Argument: …"): fold them.
    // A validation yargs throws itself (a flag with no value after it) arrives as a YError.
    if (err !== undefined && err.name !== 'YError') throw err;
    let line = (msg ?? err?.message ?? 'bad arguments').replace(/:?\s*\n\s*/g, ': ').trim();
    if (line.startsWith('Did you mean')) line = `unknown command ${JSON.stringify(hideBin(process.argv)[0] ?? '')}: ${line.charAt(0).toLowerCase()}${line.slice(1)}`;
    throw new UserInputError(line);
  });

try {
  await cli.parseAsync();
} catch (err) {
  if (err instanceof UserInputError) {
    process.stderr.write(`raftsim: ${err.message}\n`);
    process.exitCode = EXIT_BAD_INPUT;
  } else if (err instanceof CheckFailedError) {
    process.stdout.write(`${err.message}\nreproduce: ${err.reproduce}\n`);
    process.exitCode = err.exitCode;
  } else if (err instanceof BudgetExhaustedError) {
    process.stdout.write(`${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = exitCodeOf(err);
  }
}
