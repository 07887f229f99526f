/**
 * The `raftsim` command (bin/raftsim.js runs its bundle, build/cli.js, or this file through tsx). Together with the files of
 * scenarios/cli/, this is the only code that touches files, the environment and the wall clock.
 *
 * Exit codes (scenarios/errors.ts): 0 all checks passed; 1 a check failed (the reproduce command
 * is the last line); 2 bad input (one line naming the file or option and the field); 3 a checker
 * ran out of its search budget; 130 / 143 a campaign (fuzz, experiment) stopped by SIGINT / SIGTERM
 * after printing what ran (scenarios/cli/interrupt.ts).
 */
import { readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';

/**
 * Each command's module, loaded only when it is needed: `raftsim run …` loads the run command and
 * what it imports, not the checker's or the reports' code, so a one-line error or `--version`
 * does not pay for compiling the whole simulator (bin/build.js bundles each into its own chunk).
 * `--help` and an unknown command load them all, to list them and to suggest the nearest.
 */
type AnyCommand = CommandModule<object, any>;
const COMMANDS: Readonly<Record<string, () => Promise<AnyCommand>>> = {
  list: async () => (await import('./cli/list-command.js')).listCommand,
  run: async () => (await import('./cli/run-command.js')).runCommand,
  replay: async () => (await import('./cli/replay-command.js')).replayCommand,
  show: async () => (await import('./cli/show-command.js')).showCommand,
  fuzz: async () => (await import('./cli/fuzz-command.js')).fuzzCommand,
  experiment: async () => (await import('./cli/experiment-command.js')).experimentCommand,
  report: async () => (await import('./cli/report-command.js')).reportCommand,
  check: async () => (await import('./cli/check-command.js')).checkCommand,
  bugs: async () => (await import('./cli/bugs-command.js')).bugsCommand,
  hunt: async () => (await import('./cli/hunt-command.js')).huntCommand,
};

/** package.json sits one folder up both from scenarios/cli.ts and from the bundle, build/cli.js. */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

// `raftsim --version` answers before anything else is loaded, yargs included.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`raftsim ${version()} (node ${process.version})\n`);
  process.exit(0);
}
const { default: yargs } = await import('yargs');
const { BudgetExhaustedError, CheckFailedError, EXIT_BAD_INPUT, UserInputError, exitCodeOf, inputIssueJson } = await import('./errors.js');
// Under --json even bad input answers in JSON (on stdout, where the JSON goes): {"error": {"file", "path", "message"}}.
const jsonOutput = argv.some((a) => a === '--json');
const named = argv[0] !== undefined ? COMMANDS[argv[0]] : undefined;
const commands = await Promise.all(named !== undefined ? [named()] : Object.values(COMMANDS).map((load) => load()));

// `raftsim list | head -3`: the reader went away. Stop quietly, with the exit code so far, as Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
});

const cli = yargs(argv)
  .scriptName('raftsim')
  .usage('$0 <command> [options]\n\nA deterministic simulator of an etcd-style Raft + MVCC key-value store: run a scenario, fuzz seeds, compare settings.')
  .command(commands)
  .demandCommand(1, 'name a command (raftsim --help lists them)')
  .recommendCommands()
  .strict()
  .help()
  .alias('h', 'help')
  .version('version', 'Show the version', `raftsim ${version()} (node ${process.version})`)
  .alias('V', 'version')
  .wrap(Math.min(110, process.stdout.columns ?? 110))
  .fail((msg: string | null, err: Error | undefined) => {
    // yargs' own complaints (an unknown option, a missing argument) are bad input: one line, exit 2.
    // yargs words some of them over several lines ("Invalid values:\n  Argument: …"): fold them.
    // A validation yargs throws itself (a flag with no value after it) arrives as a YError.
    if (err !== undefined && err.name !== 'YError') throw err;
    let line = (msg ?? err?.message ?? 'bad arguments').replace(/:?\s*\n\s*/g, ': ').trim();
    if (line.startsWith('Did you mean')) line = `unknown command ${JSON.stringify(argv[0] ?? '')}: ${line.charAt(0).toLowerCase()}${line.slice(1)}`;
    throw new UserInputError(line);
  });

try {
  await cli.parseAsync();
} catch (err) {
  if (err instanceof UserInputError) {
    if (jsonOutput) process.stdout.write(`${inputIssueJson(err.issue)}\n`);
    else process.stderr.write(`raftsim: ${err.message}\n`);
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
