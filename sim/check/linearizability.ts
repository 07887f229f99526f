/**
 * The linearizability checker: a history and a model in, a verdict out (Porcupine's
 * CheckOperations, with step budgets instead of timeouts).
 *
 * - Operations with status `fail` certainly took no effect: dropped.
 * - Operations with status `unknown` may have taken effect at any time after their call, or never:
 *   they return at +∞ and any output is accepted (the model sees `status: 'unknown'`). "Never" is
 *   the same as "after everything else", so nothing more is needed. A read-only unknown operation
 *   constrains nothing and is dropped (a timed-out read), and so is one the model calls needless:
 *   a write no read can have observed (it may as well never have happened).
 * - The model's partition splits the rest into independent parts (P-compositionality); each is
 *   searched alone. The history is linearizable iff every part is. The parts share one budget of
 *   steps in round-robin slices that double each round, so an easy illegal part is found even
 *   beside a hard one (Porcupine runs parts in parallel for the same reason), and the search stops
 *   at the first illegal part: the verdict is then certain.
 *
 * Verdict: `ok`, `illegal` (some part cannot be linearized — a definite answer), or `unknown`
 * (the budget ran out before an answer and no part was illegal). The budget counts search steps,
 * so the verdict reproduces exactly. For each part the result carries the longest linearizable
 * prefix found and, when the part failed, the operation that could not be placed after it.
 */
import { assert } from '../assert.js';
import type { Operation } from '../history.js';
import { ILLEGAL } from './model.js';
import type { Model, Partition } from './model.js';
import { DEFAULT_MEMORY_BYTES, MemoryBudget } from './memo-cache.js';
import { PartitionSearch } from './search.js';
import type { SearchOutcome, SearchProblem, Verdict } from './search.js';

export type { Verdict } from './search.js';

/** Default budget: ten million steps, a few seconds of search. */
export const DEFAULT_BUDGET_STEPS = 10_000_000;

/** The first round's slice of steps per partition; each round doubles it. */
const SLICE_STEPS_FIRST = 1024;

export interface CheckOptions {
  /** Search steps allowed over all partitions (default DEFAULT_BUDGET_STEPS). */
  readonly budgetSteps?: number;
  /** Keep searching the other partitions after one is illegal, for a complete report (default false). */
  readonly allPartitions?: boolean;
  /**
   * Bytes the memo tables of this check may hold together (default DEFAULT_MEMORY_BYTES; the CLI
   * passes a share of the machine's memory). When they are full the search goes on without
   * remembering more pairs: slower, never a different verdict.
   */
  readonly memoryBytes?: number;
}

export interface PartitionResult {
  readonly label: string;
  /** `unknown` also when the search stopped at another partition's violation before finishing this one. */
  readonly verdict: Verdict;
  readonly steps: number;
  /** Ids of the operations searched in this partition, in canonical (call time) order. */
  readonly opIds: readonly number[];
  /** ok: a linearization (operation ids in order); otherwise the longest linearizable prefix found. */
  readonly linearized: readonly number[];
  /** illegal: the operation that could not be placed after `linearized`. */
  readonly stuck?: number;
  /** True when the memo table reached its memory bound (it then stopped remembering; the search went on). */
  readonly memoFull?: boolean;
}

export interface LinearizabilityResult {
  readonly verdict: Verdict;
  readonly model: string;
  /** Operations in the history given. */
  readonly ops: number;
  /** Operations searched (the rest were dropped: failed, or unknown and read-only, or in no partition). */
  readonly checked: number;
  readonly droppedFailed: number;
  readonly droppedUnknownReadOnly: number;
  /** Unknown-outcome operations that no read can have observed (Model.needless): left out, as if they never happened. */
  readonly droppedUnobserved: number;
  readonly steps: number;
  readonly partitions: readonly PartitionResult[];
}

/**
 * What a check searches: the history's operations after the drops, split into partitions. The
 * first half of `checkLinearizability`, apart so that partitions can be searched elsewhere (on
 * worker threads: `checkPartition`) and put together again (`assembleResult`).
 */
export interface CheckPlan<Op extends Operation> {
  readonly model: string;
  readonly ops: number;
  readonly kept: number;
  readonly droppedFailed: number;
  readonly droppedUnknownReadOnly: number;
  readonly droppedUnobserved: number;
  readonly parts: readonly Partition<Op>[];
}

/** Drops what constrains nothing and partitions the rest (see the file's comment). */
export function planCheck<S, Op extends Operation>(model: Model<S, Op>, history: readonly Op[]): CheckPlan<Op> {
  let droppedFailed = 0;
  let droppedUnknownReadOnly = 0;
  const kept: Op[] = [];
  for (const op of history) {
    assertWellFormed(op);
    if (op.status === 'fail') droppedFailed++;
    else if (op.status === 'unknown' && model.readOnly?.(op) === true) droppedUnknownReadOnly++;
    else kept.push(op);
  }
  const split = model.partition !== undefined ? model.partition(kept) : [{ label: '', ops: kept }];
  let droppedUnobserved = 0;
  const parts = split.map((part) => {
    const flags = model.needless?.(part.ops);
    if (flags === undefined || !flags.includes(true)) return part;
    const ops = part.ops.filter((op, i) => {
      if (flags[i] !== true) return true;
      assert(op.status === 'unknown', () => `check: model ${model.name} calls operation ${op.id} needless, but its outcome is known`);
      droppedUnobserved++;
      return false;
    });
    return { label: part.label, ops };
  });
  return { model: model.name, ops: history.length, kept: kept.length, droppedFailed, droppedUnknownReadOnly, droppedUnobserved, parts };
}

/** Checks `history` against `model`. Never throws for an expected outcome; a malformed operation is an invariant violation. */
export function checkLinearizability<S, Op extends Operation>(
  model: Model<S, Op>,
  history: readonly Op[],
  options: CheckOptions = {},
): LinearizabilityResult {
  const budgetSteps = checkedBudget(options.budgetSteps);
  const memory = new MemoryBudget(options.memoryBytes ?? DEFAULT_MEMORY_BYTES);
  const plan = planCheck(model, history);
  const prepared = plan.parts.map((part) => prepare(model, part, memory));
  const outcomes = runFairly(prepared.map((x) => x.search), budgetSteps, options.allPartitions ?? false);
  const results = prepared.map((x, i) => {
    const out = outcomes[i] as SearchOutcome;
    verifyOrder(model, x.ops, out);
    return toResult(x.part.label, x.ops, out);
  });
  return assembleResult(plan, results);
}

function checkedBudget(budget: number | undefined): number {
  const budgetSteps = budget ?? DEFAULT_BUDGET_STEPS;
  assert(Number.isInteger(budgetSteps) && budgetSteps >= 0, () => `check: budgetSteps must be a whole number ≥ 0, got ${budgetSteps}`);
  return budgetSteps;
}

/**
 * Searches one partition of a plan alone, with up to `budgetSteps` steps and its own memory
 * budget: what a worker thread does. Its outcome equals what the partition would reach in
 * `checkLinearizability` given that many steps (a search's path does not depend on its slices).
 */
export function checkPartition<S, Op extends Operation>(model: Model<S, Op>, part: Partition<Op>, options: CheckOptions = {}): PartitionResult {
  const x = prepare(model, part, new MemoryBudget(options.memoryBytes ?? DEFAULT_MEMORY_BYTES));
  const out = x.search.advance(checkedBudget(options.budgetSteps)) ?? x.search.giveUp();
  verifyOrder(model, x.ops, out);
  return toResult(part.label, x.ops, out);
}

/** A partition left unsearched (the check stopped at another one's violation first): verdict unknown. */
export function unsearched<Op extends Operation>(part: Partition<Op>): PartitionResult {
  return { label: part.label, verdict: 'unknown', steps: 0, opIds: canonicalOrder(part.ops).map((op) => op.id), linearized: [] };
}

/**
 * The results of partitions searched alone (`checkPartition`, each with the whole budget), cut to
 * what `checkLinearizability` would have reached sharing `budgetSteps` among them in its
 * round-robin: a partition the shared budget would not have finished becomes `unknown` with the
 * steps it would have had. With this the verdict (and every step count) is the serial path's.
 */
export function shareBudget(results: readonly PartitionResult[], budgetSteps: number, all: boolean): PartitionResult[] {
  const need = results.map((r) => (r.verdict === 'unknown' ? Infinity : r.steps));
  const got = results.map(() => 0);
  const done = results.map(() => false);
  let left = checkedBudget(budgetSteps);
  let slice = SLICE_STEPS_FIRST;
  let open = results.length;
  let illegal = false;
  while (open > 0 && left > 0 && !(illegal && !all)) {
    for (let i = 0; i < results.length && left > 0; i++) {
      if (done[i] === true) continue;
      const give = Math.min(slice, left);
      const rest = (need[i] as number) - (got[i] as number);
      const used = Math.min(give, rest);
      got[i] = (got[i] as number) + used;
      left -= used;
      if (rest > give) continue;
      done[i] = true;
      open--;
      if ((results[i] as PartitionResult).verdict === 'illegal') {
        illegal = true;
        if (!all) break;
      }
    }
    slice *= 2;
  }
  return results.map((r, i) => {
    if (done[i] === true) return r;
    const cut: { -readonly [K in keyof PartitionResult]: PartitionResult[K] } = { label: r.label, verdict: 'unknown', steps: got[i] as number, opIds: r.opIds, linearized: r.linearized };
    if (r.memoFull === true) cut.memoFull = true;
    return cut;
  });
}

/** The check's result from its plan and one result per partition, in the plan's order. */
export function assembleResult<Op extends Operation>(plan: CheckPlan<Op>, results: readonly PartitionResult[]): LinearizabilityResult {
  assert(results.length === plan.parts.length, 'check: one result per partition');
  const steps = results.reduce((sum, r) => sum + r.steps, 0);
  const checked = plan.parts.reduce((sum, part) => sum + part.ops.length, 0);
  assert(checked + plan.droppedUnobserved <= plan.kept, 'check: a partition must not repeat operations');
  return {
    verdict: combine(results.map((r) => r.verdict)),
    model: plan.model,
    ops: plan.ops,
    checked,
    droppedFailed: plan.droppedFailed,
    droppedUnknownReadOnly: plan.droppedUnknownReadOnly,
    droppedUnobserved: plan.droppedUnobserved,
    steps,
    partitions: results,
  };
}

function combine(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('illegal')) return 'illegal';
  if (verdicts.includes('unknown')) return 'unknown';
  return 'ok';
}

// Here and in verifyOrder each check comes before its assertion: no message closure per operation.
function assertWellFormed(op: Operation): void {
  if (!(op.status === 'unknown' || op.return !== null)) assert(false, () => `check: operation ${op.id} has status ${op.status} but never returned`);
  if (!(op.return === null || op.return >= op.call)) assert(false, () => `check: operation ${op.id} returns at ${op.return} before its call at ${op.call}`);
}

/** The time an operation's effect must have happened by: +∞ for an unknown outcome. */
export function effectiveReturn(op: Operation): number {
  return op.status === 'unknown' || op.return === null ? Infinity : op.return;
}

/** Canonical order: by call, return, client, then id — so the line order of a file never matters. */
export function canonicalOrder<Op extends Operation>(ops: readonly Op[]): Op[] {
  // A recorded history comes in call order, which is nearly always canonical already: then the
  // sort (and its keyed copies) would give back the same order.
  if (inCanonicalOrder(ops)) return ops.slice();
  const keyed = ops.map((op) => ({ op, ret: effectiveReturn(op) }));
  // Infinity − Infinity is NaN, which `||` passes over to the next key, as wanted.
  keyed.sort((a, b) => a.op.call - b.op.call || a.ret - b.ret || a.op.client - b.op.client || a.op.id - b.op.id);
  return keyed.map((k) => k.op);
}

/** True when each operation comes no later than the next in canonical order (the sort's own comparison). */
function inCanonicalOrder(ops: readonly Operation[]): boolean {
  for (let i = 1; i < ops.length; i++) {
    const a = ops[i - 1] as Operation;
    const b = ops[i] as Operation;
    if (!((a.call - b.call || effectiveReturn(a) - effectiveReturn(b) || a.client - b.client || a.id - b.id) <= 0)) return false;
  }
  return true;
}

interface Prepared<S, Op> {
  readonly part: Partition<Op>;
  /** The partition's operations in canonical order: the search's operation indices. */
  readonly ops: readonly Op[];
  readonly search: PartitionSearch<S>;
}

function prepare<S, Op extends Operation>(plain: Model<S, Op>, part: Partition<Op>, memory: MemoryBudget): Prepared<S, Op> {
  const ops = canonicalOrder(part.ops);
  const model = plain.prepare?.(ops) ?? plain;
  const n = ops.length;
  const callAt = new Float64Array(n);
  const returnAt = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const op = ops[i] as Op;
    callAt[i] = op.call;
    returnAt[i] = effectiveReturn(op);
  }
  const problem: { -readonly [K in keyof SearchProblem<S>]: SearchProblem<S>[K] } = {
    count: n,
    callAt,
    returnAt,
    init: model.init(),
    step: (state, i) => model.step(state, ops[i] as Op),
    equal: (a, b) => model.equal(a, b),
    memory,
  };
  if (model.hash !== undefined) problem.hash = model.hash.bind(model);
  problem.sameAs = identicalUnreturned(ops);
  if (model.blind !== undefined) {
    const blind = new Uint8Array(n);
    for (let i = 0; i < n; i++) blind[i] = model.blind(ops[i] as Op) ? 1 : 0;
    problem.blind = blind;
  }
  if (model.readOnly !== undefined) {
    const readOnly = new Uint8Array(n);
    for (let i = 0; i < n; i++) readOnly[i] = model.readOnly(ops[i] as Op) ? 1 : 0;
    problem.readOnly = readOnly;
  }
  if (model.progress !== undefined && model.deadline !== undefined) {
    const deadline = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const op = ops[i] as Op;
      deadline[i] = op.status === 'ok' ? model.deadline(op) : Infinity;
    }
    problem.deadline = deadline;
    problem.progress = model.progress.bind(model);
    const after = model.progressAfter;
    if (after !== undefined) problem.progressAfter = (state, i) => after.call(model, state, ops[i] as Op);
  }
  return { part, ops, search: new PartitionSearch(problem) };
}

/**
 * For each operation that never returned, the previous identical one (same op, key and input) in
 * canonical order, or -1. A model's step depends only on those and the status and output, so such
 * operations are interchangeable.
 */
function identicalUnreturned(ops: readonly Operation[]): Int32Array {
  const sameAs = new Int32Array(ops.length).fill(-1);
  const last = new Map<string, number>();
  ops.forEach((op, i) => {
    if (effectiveReturn(op) !== Infinity) return;
    const key = JSON.stringify([op.op, op.key ?? null, op.input ?? null]);
    const previous = last.get(key);
    if (previous !== undefined) sameAs[i] = previous;
    last.set(key, i);
  });
  return sameAs;
}

/**
 * Round-robin over the unfinished searches with slices that double each round, within the total
 * budget; stops at the first illegal outcome unless `all`. Deterministic: same inputs, same slices.
 */
function runFairly<S>(searches: readonly PartitionSearch<S>[], budgetSteps: number, all: boolean): SearchOutcome[] {
  const outcomes: (SearchOutcome | undefined)[] = searches.map(() => undefined);
  let left = budgetSteps;
  let slice = SLICE_STEPS_FIRST;
  let open = searches.length;
  let illegal = false;
  while (open > 0 && left > 0 && !(illegal && !all)) {
    for (let i = 0; i < searches.length && left > 0; i++) {
      if (outcomes[i] !== undefined) continue;
      const search = searches[i] as PartitionSearch<S>;
      const before = search.steps;
      const out = search.advance(Math.min(slice, left));
      left -= search.steps - before;
      if (out === undefined) continue;
      outcomes[i] = out;
      open--;
      if (out.verdict === 'illegal') {
        illegal = true;
        if (!all) break;
      }
    }
    slice *= 2;
  }
  return searches.map((search, i) => outcomes[i] ?? search.giveUp());
}

/**
 * The search's claim, checked again with the plain model (TigerBeetle's paired assertion): the
 * order it reports steps legally from the initial state and respects real time; for `ok` it
 * places every operation that returned.
 */
function verifyOrder<S, Op extends Operation>(model: Model<S, Op>, ops: readonly Op[], out: SearchOutcome): void {
  let state = model.init();
  let latestCall = -Infinity;
  const placed = new Uint8Array(ops.length);
  for (const i of out.order) {
    const op = ops[i] as Op;
    if (placed[i] !== 0) assert(false, () => `check: operation ${op.id} placed twice`);
    placed[i] = 1;
    if (!(effectiveReturn(op) >= latestCall)) assert(false, () => `check: operation ${op.id} placed after one called after it returned`);
    latestCall = Math.max(latestCall, op.call);
    const next = model.step(state, op);
    if (next === ILLEGAL) assert(false, () => `check: the model refuses operation ${op.id} where the search placed it`);
    state = next;
  }
  if (out.verdict === 'ok') {
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i] as Op;
      if (!(placed[i] === 1 || effectiveReturn(op) === Infinity)) assert(false, () => `check: operation ${op.id} returned but is not in the linearization`);
    }
  }
}

function toResult<Op extends Operation>(label: string, ops: readonly Op[], out: SearchOutcome): PartitionResult {
  const idOf = (i: number): number => (ops[i] as Op).id;
  const result: { -readonly [K in keyof PartitionResult]: PartitionResult[K] } = {
    label,
    verdict: out.verdict,
    steps: out.steps,
    opIds: ops.map((op) => op.id),
    linearized: out.order.map(idOf),
  };
  if (out.verdict === 'illegal') {
    assert(out.stuck >= 0, 'check: an illegal partition names the operation it could not place');
    result.stuck = idOf(out.stuck);
  }
  if (out.memoFull) result.memoFull = true;
  return result;
}
