/**
 * `raftsim check <history.jsonl> --model register|kv|etcd [--json] [--budget N]`: checks a
 * history file (JSON Lines, sim/history.ts) for linearizability.
 *
 * Exit 0: linearizable. Exit 1: not — the output names the operation that could not be placed,
 * explains the violation in values, and ends with the reproduce command. Exit 2: bad input (one
 * line: file, line, field). Exit 3: the search budget (in steps, so the verdict reproduces) ran
 * out before a verdict.
 *
 * `--json` prints one line: {"verdict", "ops", "partitions", "steps", "ms"}.
 */
import { totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { etcdSchemas } from '../../kv/check/history-schema.js';
import { etcdModel } from '../../kv/check/etcd-model.js';
import type { Operation } from '../../sim/history.js';
import { explainViolations } from '../../sim/check/explain.js';
import { parseHistory } from '../../sim/check/history-file.js';
import type { OperationSchemas } from '../../sim/check/history-file.js';
import { DEFAULT_BUDGET_STEPS, checkLinearizability, effectiveReturn } from '../../sim/check/linearizability.js';
import type { LinearizabilityResult } from '../../sim/check/linearizability.js';
import { kvModel, kvSchemas } from '../../sim/check/kv-model.js';
import type { Model } from '../../sim/check/model.js';
import { registerModel, registerSchemas } from '../../sim/check/register-model.js';
import { EXIT_BUDGET_EXHAUSTED, EXIT_CHECK_FAILED, EXIT_OK, UserInputError } from '../errors.js';
import { numberArg, readText, wholeNumberOption } from './io.js';

interface Checkable {
  // The models differ in state and operation types; the command only passes them through.
  readonly model: Model<unknown, Operation>;
  readonly schemas: OperationSchemas;
}

export const CHECK_MODELS = {
  register: { model: registerModel as unknown as Model<unknown, Operation>, schemas: registerSchemas },
  kv: { model: kvModel as unknown as Model<unknown, Operation>, schemas: kvSchemas },
  etcd: { model: etcdModel as unknown as Model<unknown, Operation>, schemas: etcdSchemas },
} as const satisfies Record<string, Checkable>;

export type CheckModelName = keyof typeof CHECK_MODELS;

export interface CheckArgs {
  readonly model: CheckModelName;
  readonly json: boolean;
  readonly budgetSteps: number;
  /** Bytes the search's memo tables may hold (default: the checker's own, DEFAULT_MEMORY_BYTES). */
  readonly memoryBytes?: number;
}

/** The share of the machine's memory `raftsim check` gives its memo tables unless told (--memory-mb). */
export const MEMORY_SHARE_DEFAULT = 0.25;

/** The default --memory-mb: a quarter of this machine's memory, in MiB. Read here, at the I/O edge. */
export function defaultMemoryMb(): number {
  return Math.max(64, Math.floor((totalmem() * MEMORY_SHARE_DEFAULT) / (1 << 20)));
}

export interface CheckRun {
  readonly exitCode: number;
  /** Lines for stdout. */
  readonly out: readonly string[];
}

/** The whole command on a file's text: no I/O, so tests can call it. Bad input throws UserInputError. */
export function runCheck(text: string, file: string, args: CheckArgs, clockMs: () => number = () => 0): CheckRun {
  const { model, schemas } = CHECK_MODELS[args.model];
  const parsed = parseHistory(text, schemas);
  if (!parsed.ok) {
    const e = parsed.error;
    throw new UserInputError({ file, line: e.line, ...(e.column !== undefined ? { column: e.column } : {}), path: e.path, message: e.message });
  }
  // A history with no operation is linearizable, and almost surely the wrong file (a run's
  // history.jsonl before it finished, a redirect that failed): refuse it here, in the command —
  // the reader itself accepts an empty history, which a run with no clients records.
  if (parsed.ops.length === 0) throw new UserInputError({ file, message: 'the history is empty: no operation to check (one JSON object per line, see sim/history.ts)' });
  const t0 = clockMs();
  const result = checkLinearizability(model, parsed.ops, { budgetSteps: args.budgetSteps, ...(args.memoryBytes !== undefined ? { memoryBytes: args.memoryBytes } : {}) });
  const ms = Math.round((clockMs() - t0) * 1000) / 1000;
  const exitCode = result.verdict === 'ok' ? EXIT_OK : result.verdict === 'illegal' ? EXIT_CHECK_FAILED : EXIT_BUDGET_EXHAUSTED;
  if (args.json) {
    return { exitCode, out: [JSON.stringify({ verdict: result.verdict, ops: result.ops, partitions: result.partitions.length, steps: result.steps, ms })] };
  }
  return { exitCode, out: describeResult(model, parsed.ops, result, file, args, ms) };
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

function describeResult(model: Model<unknown, Operation>, ops: readonly Operation[], r: LinearizabilityResult, file: string, args: CheckArgs, ms: number): string[] {
  const stats = `model ${r.model}: ${plural(r.ops, 'operation')}, ${plural(r.checked, 'checked', 'checked')}, ${plural(r.partitions.length, 'partition')}, ${plural(r.steps, 'step')}, ${ms} ms`;
  const dropped = r.droppedFailed + r.droppedUnknownReadOnly + r.droppedUnobserved;
  const notes = r.droppedFailed + r.droppedUnknownReadOnly > 0 ? [`  (${plural(r.droppedFailed, 'failed operation')} and ${plural(r.droppedUnknownReadOnly, 'unanswered read')} left out: they constrain nothing)`] : [];
  if (r.droppedUnobserved > 0) notes.push(`  (${plural(r.droppedUnobserved, 'unknown-outcome write')} that no read observed left out: as if ${r.droppedUnobserved === 1 ? 'it' : 'they'} never happened)`);
  const outside = r.ops - r.checked - dropped;
  if (outside > 0) notes.push(`  (${plural(outside, 'operation')} outside the model's partitions left out${args.model === 'etcd' ? ': serializable ranges and methods that do not touch the KV state' : ''})`);
  if (r.verdict === 'ok') return [`${file}: linearizable (${stats})`, ...notes];
  if (r.verdict === 'unknown') {
    const lines = [`${file}: unknown — the search ran out of its budget of ${plural(args.budgetSteps, 'step')} before a verdict (${stats})`, ...notes];
    if (r.partitions.some((p) => p.memoFull === true)) {
      lines.push(`  (its memo table filled its memory bound and stopped remembering explored states, which makes the search slower: raise it with --memory-mb)`);
    }
    lines.push(`raise it with --budget, e.g. --budget ${args.budgetSteps * 10}`);
    return lines;
  }
  const byId = new Map(ops.map((op) => [op.id, op]));
  const lines = [`${file}: NOT linearizable (${stats})`, ...notes];
  for (const part of r.partitions) {
    if (part.verdict !== 'illegal' || part.stuck === undefined) continue;
    const op = byId.get(part.stuck) as Operation;
    const where = part.label === '' ? '' : `partition ${part.label}: `;
    lines.push(`${where}the longest linearizable prefix found places ${part.linearized.length} of ${plural(part.opIds.length, 'operation')}; this one could not be placed after it:`);
    lines.push(`  line ${op.id + 1}: client ${op.client} ${model.describeOperation(op)} [t=${op.call}..${Number.isFinite(effectiveReturn(op)) ? op.return : '∞'}]`);
  }
  for (const e of explainViolations(model, ops, r)) lines.push(`explanation: ${e.message}`);
  lines.push(`reproduce: npx raftsim check ${file} --model ${args.model}${args.budgetSteps !== DEFAULT_BUDGET_STEPS ? ` --budget ${args.budgetSteps}` : ''}`);
  return lines;
}

function budgetOption(x: unknown): number {
  return wholeNumberOption(x, '--budget', 0, 'a whole number of search steps');
}

function memoryOption(x: unknown): number {
  return wholeNumberOption(x === undefined ? defaultMemoryMb() : x, '--memory-mb', 1, 'a whole number of MiB') * (1 << 20);
}

interface RawArgs {
  history: string;
  model: CheckModelName;
  json: boolean;
  budget: unknown;
  memoryMb: unknown;
}

export const checkCommand: CommandModule<object, RawArgs> = {
  command: 'check <history>',
  describe: 'Check a history (JSON Lines) for linearizability against a model',
  builder: (y: Argv<object>) =>
    y
      .positional('history', { type: 'string', demandOption: true, describe: 'history file, one operation per line (see sim/history.ts)' })
      .option('model', { choices: ['register', 'kv', 'etcd'] as const, demandOption: true, describe: 'register (read/write/cas), kv (get/put/append per key) or etcd (range/put/delete/txn with revisions)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON line: verdict, ops, partitions, steps, ms' })
      .option('budget', numberArg('search steps allowed before the verdict is "unknown" (exit 3)', DEFAULT_BUDGET_STEPS))
      .option('memory-mb', numberArg('MiB the search may keep of explored states (default: a quarter of this machine\'s memory); past it the search goes on, slower, with the same verdict'))
      .example('$0 check sim/check/testdata/porcupine/etcd_002.jsonl --model register', 'a Jepsen etcd register history: linearizable, exit 0')
      .example('$0 check sim/check/testdata/porcupine/kv_c10-bad.jsonl --model kv', 'not linearizable: the operation, the explanation, exit 1')
      .example('$0 check history.jsonl --model etcd --json', 'a run\'s history (sim/history.ts JSON Lines) against the etcd model, as one JSON line')
      .example('$0 check big.jsonl --model kv --budget 1000', 'exit 3 if 1,000 search steps are not enough') as unknown as Argv<RawArgs>,
  handler: (argv: ArgumentsCamelCase<RawArgs>) => {
    const args: CheckArgs = { model: argv.model, json: argv.json, budgetSteps: budgetOption(argv.budget), memoryBytes: memoryOption(argv.memoryMb) };
    const text = readText(argv.history);
    const run = runCheck(text, argv.history, args, () => performance.now());
    for (const line of run.out) process.stdout.write(`${line}\n`);
    process.exitCode = run.exitCode;
  },
};
