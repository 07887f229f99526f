/**
 * `raftsim check <history.jsonl> --model register|kv|etcd [--json] [--budget N] [--workers N]
 * [--first-failure]`: checks a history file (JSON Lines, sim/history.ts) for linearizability.
 *
 * Every partition (key) is searched, for a report that names every one that fails, unless
 * `--first-failure`: then the check stops at the first illegal partition. `--workers N` searches
 * the partitions on N worker threads (check-pool.ts; at most this machine's cores), with the
 * serial path's verdicts.
 *
 * Exit 0: linearizable. Exit 1: not — the output names the operation that could not be placed,
 * explains the violation in values, and ends with the reproduce command. Exit 2: bad input (one
 * line: file, line, field). Exit 3: the search budget (in steps, so the verdict reproduces) ran
 * out before a verdict.
 *
 * `--out DIR` also writes DIR/check.html (reports/check-report.ts), the verdict drawn per key.
 *
 * `--json` prints one line: {"verdict", "ops", "partitions", "steps", "ms", "cpu_ms", "workers"}:
 * `ms` is wall time, `cpu_ms` the CPU time of the whole process (every thread, so summed over
 * the workers).
 */
import { totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { Operation } from '../../sim/history.js';
import { explainViolations } from '../../sim/check/explain.js';
import { parseHistory } from '../../sim/check/history-file.js';
import { DEFAULT_BUDGET_STEPS, assembleResult, checkLinearizability, effectiveReturn, planCheck } from '../../sim/check/linearizability.js';
import type { LinearizabilityResult } from '../../sim/check/linearizability.js';
import type { Model } from '../../sim/check/model.js';
import { EXIT_BUDGET_EXHAUSTED, EXIT_CHECK_FAILED, EXIT_OK, UserInputError } from '../errors.js';
import { CHECK_MODELS } from './check-models.js';
import type { CheckModelName } from './check-models.js';
import { checkOnWorkers, checkWorkerCap, checkWorkers } from './check-pool.js';
import { numberArg, readText, wholeNumberOption } from './io.js';
import { checkTime, type CheckReportData } from '../../reports/check-report.js';
import { writeCheckReport } from '../../reports/write.js';
import { violationsOf } from '../history-checks.js';

export { CHECK_MODELS } from './check-models.js';
export type { CheckModelName } from './check-models.js';

export interface CheckArgs {
  readonly model: CheckModelName;
  readonly json: boolean;
  readonly budgetSteps: number;
  /** Bytes the search's memo tables may hold (default: the checker's own, DEFAULT_MEMORY_BYTES). */
  readonly memoryBytes?: number;
  /** Worker threads for the partitions (default 1: this thread); capped at the machine's cores. */
  readonly workers?: number;
  /** Stop at the first illegal partition instead of searching every one (default false). */
  readonly firstFailure?: boolean;
  /** Also make the page of the verdict (`--out DIR`): CheckRun.page. */
  readonly page?: boolean;
}

/** The command's clocks, read only at the I/O edge (the handler passes the real ones): milliseconds. */
export interface CheckClocks {
  wallMs(): number;
  /** CPU time of the whole process, every thread. */
  cpuMs(): number;
}

const NO_CLOCKS: CheckClocks = { wallMs: () => 0, cpuMs: () => 0 };

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
  /** With `args.page`: the page's content, for the caller to write (reports/write.ts writeCheckReport). */
  readonly page?: CheckReportData;
}

/** The whole command on a file's text, in this thread: no I/O, so tests can call it. Bad input throws UserInputError. */
export function runCheck(text: string, file: string, args: CheckArgs, clocks: CheckClocks = NO_CLOCKS): CheckRun {
  const ops = parse(text, file, args);
  const t0 = start(clocks);
  const result = checkLinearizability(CHECK_MODELS[args.model].model, ops, { budgetSteps: args.budgetSteps, allPartitions: args.firstFailure !== true, ...(args.memoryBytes !== undefined ? { memoryBytes: args.memoryBytes } : {}) });
  return finish(ops, result, file, args, 1, t0, clocks);
}

/** The command with `args.workers` threads (runCheck when one is enough). */
export async function runCheckOnWorkers(text: string, file: string, args: CheckArgs, clocks: CheckClocks = NO_CLOCKS): Promise<CheckRun> {
  const ops = parse(text, file, args);
  const model = CHECK_MODELS[args.model].model;
  const t0 = start(clocks);
  const plan = planCheck(model, ops);
  const workers = checkWorkers(args.workers ?? 1, plan.parts.length);
  if (workers <= 1) {
    const result = checkLinearizability(model, ops, { budgetSteps: args.budgetSteps, allPartitions: args.firstFailure !== true, ...(args.memoryBytes !== undefined ? { memoryBytes: args.memoryBytes } : {}) });
    return finish(ops, result, file, args, 1, t0, clocks);
  }
  const results = await checkOnWorkers(args.model, plan, { workers, budgetSteps: args.budgetSteps, memoryBytes: args.memoryBytes ?? DEFAULT_CHECK_MEMORY_BYTES, firstFailure: args.firstFailure === true });
  return finish(ops, assembleResult(plan, results), file, args, workers, t0, clocks);
}

/** Memory of a check given none (tests; the command always passes --memory-mb's value). */
const DEFAULT_CHECK_MEMORY_BYTES = 1 << 30;

function parse(text: string, file: string, args: CheckArgs): Operation[] {
  const parsed = parseHistory(text, CHECK_MODELS[args.model].schemas);
  if (!parsed.ok) {
    const e = parsed.error;
    throw new UserInputError({ file, line: e.line, ...(e.column !== undefined ? { column: e.column } : {}), path: e.path, message: e.message });
  }
  // A history with no operation is linearizable, and almost surely the wrong file (a run's
  // history.jsonl before it finished, a redirect that failed): refuse it here, in the command —
  // the reader itself accepts an empty history, which a run with no clients records.
  if (parsed.ops.length === 0) throw new UserInputError({ file, message: 'the history is empty: no operation to check (one JSON object per line, see sim/history.ts)' });
  return parsed.ops as Operation[];
}

interface Started {
  readonly wall: number;
  readonly cpu: number;
}

function start(clocks: CheckClocks): Started {
  return { wall: clocks.wallMs(), cpu: clocks.cpuMs() };
}

interface Timing {
  readonly ms: number;
  readonly cpuMs: number;
  readonly workers: number;
}

function finish(ops: readonly Operation[], result: LinearizabilityResult, file: string, args: CheckArgs, workers: number, t0: Started, clocks: CheckClocks): CheckRun {
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  const timing: Timing = { ms: round(clocks.wallMs() - t0.wall), cpuMs: round(clocks.cpuMs() - t0.cpu), workers };
  const exitCode = result.verdict === 'ok' ? EXIT_OK : result.verdict === 'illegal' ? EXIT_CHECK_FAILED : EXIT_BUDGET_EXHAUSTED;
  const model = CHECK_MODELS[args.model].model;
  const text = args.json && args.page !== true ? [] : describeResult(model, ops, result, file, args, timing);
  const page = args.page === true ? { page: pageData(model, ops, result, text, file) } : {};
  if (args.json) {
    const line = { verdict: result.verdict, ops: result.ops, partitions: result.partitions.length, steps: result.steps, ms: timing.ms, cpu_ms: timing.cpuMs, workers };
    return { exitCode, out: [JSON.stringify(line)], ...page };
  }
  return { exitCode, out: text, ...page };
}

/** The page of the verdict: the command's own lines, and per partition its operations, prefix and violation (told as a run's). */
function pageData(model: Model<unknown, Operation>, ops: readonly Operation[], r: LinearizabilityResult, lines: readonly string[], file: string): CheckReportData {
  const byId = new Map(ops.map((op) => [op.id, op]));
  const violations = r.verdict === 'illegal' ? violationsOf(model, ops, r, { formatTime: checkTime }) : [];
  const last = lines.at(-1) ?? '';
  return {
    file,
    model: r.model,
    verdict: r.verdict,
    summary: lines[0] ?? '',
    notes: lines.filter((l) => l.startsWith('  (')),
    reproduce: last.startsWith('reproduce: ') ? last.slice('reproduce: '.length) : null,
    partitions: r.partitions.map((p) => ({
      label: p.label,
      verdict: p.verdict,
      steps: p.steps,
      ops: p.opIds.map((id) => byId.get(id)).filter((op): op is Operation => op !== undefined),
      linearized: p.linearized,
      violation: violations.find((v) => v.partition === p.label) ?? null,
    })),
  };
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

function describeResult(model: Model<unknown, Operation>, ops: readonly Operation[], r: LinearizabilityResult, file: string, args: CheckArgs, t: Timing): string[] {
  const threads = t.workers > 1 ? ` on ${t.workers} workers` : '';
  const stats = `model ${r.model}: ${plural(r.ops, 'operation')}, ${plural(r.checked, 'checked', 'checked')}, ${plural(r.partitions.length, 'partition')}, ${plural(r.steps, 'step')}${threads}, ${t.cpuMs} ms CPU, ${t.ms} ms`;
  const dropped = r.droppedFailed + r.droppedUnknownReadOnly + r.droppedUnobserved;
  const notes = r.droppedFailed + r.droppedUnknownReadOnly > 0 ? [`  (${plural(r.droppedFailed, 'failed operation')} and ${plural(r.droppedUnknownReadOnly, 'unanswered read')} left out: they constrain nothing)`] : [];
  if (r.droppedUnobserved > 0) notes.push(`  (${plural(r.droppedUnobserved, 'unknown-outcome write')} that no read observed left out: as if ${r.droppedUnobserved === 1 ? 'it' : 'they'} never happened)`);
  const outside = r.ops - r.checked - dropped;
  const asked = args.workers ?? 1;
  if (asked > t.workers && asked > checkWorkerCap()) notes.push(`  (--workers ${asked}: at most ${plural(checkWorkerCap(), 'thread')}, one per core of this machine)`);
  if (outside > 0) notes.push(`  (${plural(outside, 'operation')} outside the model's partitions left out${args.model === 'etcd' ? ': serializable ranges and methods that do not touch the KV state' : ''})`);
  if (r.verdict === 'ok') return [`${file}: linearizable (${stats})`, ...notes];
  const unsearchedParts = r.partitions.filter((p) => p.verdict === 'unknown' && p.steps === 0).length;
  if (r.verdict === 'illegal' && args.firstFailure === true && unsearchedParts > 0) notes.push(`  (--first-failure: ${plural(unsearchedParts, 'partition')} left unsearched)`);
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
  lines.push(`reproduce: npx raftsim check ${file} --model ${args.model}${args.budgetSteps !== DEFAULT_BUDGET_STEPS ? ` --budget ${args.budgetSteps}` : ''}${args.firstFailure === true ? ' --first-failure' : ''}`);
  return lines;
}

function budgetOption(x: unknown): number {
  return wholeNumberOption(x, '--budget', 0, 'a whole number of search steps');
}

function memoryOption(x: unknown): number {
  return wholeNumberOption(x === undefined ? defaultMemoryMb() : x, '--memory-mb', 1, 'a whole number of MiB') * (1 << 20);
}

function workersOption(x: unknown): number {
  return wholeNumberOption(x, '--workers', 1, 'a whole number of threads', 1024);
}

interface RawArgs {
  history: string;
  model: CheckModelName;
  json: boolean;
  budget: unknown;
  memoryMb: unknown;
  workers: unknown;
  firstFailure: boolean;
  out: string | undefined;
}

export const checkCommand: CommandModule<object, RawArgs> = {
  command: 'check <history>',
  describe: 'Check a history (JSON Lines) for linearizability against a model',
  builder: (y: Argv<object>) =>
    y
      .positional('history', { type: 'string', demandOption: true, describe: 'history file, one operation per line (see sim/history.ts)' })
      .option('model', { choices: ['register', 'kv', 'etcd'] as const, demandOption: true, describe: 'register (read/write/cas), kv (get/put/append per key) or etcd (range/put/delete/txn with revisions)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON line: verdict, ops, partitions, steps, ms, cpu_ms, workers' })
      .option('budget', numberArg('search steps allowed before the verdict is "unknown" (exit 3)', DEFAULT_BUDGET_STEPS))
      .option('memory-mb', numberArg('MiB the search may keep of explored states (default: a quarter of this machine\'s memory); past it the search goes on, slower, with the same verdict'))
      .option('workers', numberArg('worker threads that search the partitions (keys) side by side; at most one per core', 1))
      .option('out', { type: 'string', requiresArg: true, describe: 'write DIR/check.html: per key, the operations on client lanes, the longest linearizable prefix, the operation that cannot be placed and the ones it conflicts with' })
      .option('first-failure', { type: 'boolean', default: false, describe: 'stop at the first partition that is not linearizable instead of searching every one' })
      .example('$0 check sim/check/testdata/porcupine/etcd_002.jsonl --model register', 'a Jepsen etcd register history: linearizable, exit 0')
      .example('$0 check sim/check/testdata/porcupine/kv_c10-bad.jsonl --model kv', 'not linearizable: the operation, the explanation, exit 1')
      .example('$0 check history.jsonl --model etcd --json', 'a run\'s history (sim/history.ts JSON Lines) against the etcd model, as one JSON line')
      .example('$0 check big.jsonl --model kv --budget 1000', 'exit 3 if 1,000 search steps are not enough')
      .example('$0 check big.jsonl --model kv --workers 2 --first-failure', 'keys on two threads; stop at the first key that fails') as unknown as Argv<RawArgs>,
  handler: async (argv: ArgumentsCamelCase<RawArgs>) => {
    const args: CheckArgs = {
      model: argv.model,
      json: argv.json,
      budgetSteps: budgetOption(argv.budget),
      memoryBytes: memoryOption(argv.memoryMb),
      workers: workersOption(argv.workers),
      firstFailure: argv.firstFailure,
      page: argv.out !== undefined,
    };
    const text = readText(argv.history);
    const cpuMs = (): number => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const run = await runCheckOnWorkers(text, argv.history, args, { wallMs: () => performance.now(), cpuMs });
    let out = run.out;
    if (run.page !== undefined && argv.out !== undefined) {
      const path = writeCheckReport(argv.out, run.page);
      if (args.json) out = [JSON.stringify({ ...(JSON.parse(out[0] as string) as object), page: path })];
      // The reproduce command stays the last line.
      else out = out.at(-1)?.startsWith('reproduce: ') === true ? [...out.slice(0, -1), `page: ${path}`, out.at(-1) as string] : [...out, `page: ${path}`];
    }
    for (const line of out) process.stdout.write(`${line}\n`);
    process.exitCode = run.exitCode;
  },
};
