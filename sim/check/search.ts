/**
 * The search at the heart of the linearizability checker: Wing & Gong's algorithm with Lowe's
 * memoization, on one partition of a history (the shape of Porcupine's checkSingle).
 *
 * The operations that returned form a doubly linked list of call and return events in time
 * order. The search walks it from the front: at a call it tries to linearize that operation now
 * (step the model); if the model accepts and the (linearized set, state) pair is new, the call and
 * its return are lifted out of the list and the walk restarts from the front. Reaching a return
 * means that operation had to take effect by now. Before giving up there, the walk offers the
 * operations that never returned and were called before that return (they live in a second
 * list, in call order): they may take effect at any time after their call, or never, so they are
 * tried last, where they are needed. When nothing fits, undo the last linearization (unlift) and
 * try the next candidate after it. When every operation that returned is placed, the partition is
 * linearizable (the unreturned rest may never have happened); backtracking past the first
 * placement means it is not.
 *
 * Three cuts keep the search small: a read-only operation (given its output) that fits is placed
 * at once and nothing else is tried in its stead, since moving a state-preserving operation
 * earlier never breaks a linearization; identical unreturned operations are placed only in call
 * order (the earlier one can stand in for the later anywhere); and, for models with monotone
 * progress (the etcd revision), a branch whose progress passed an unplaced operation's deadline
 * is abandoned.
 *
 * The lists live in Int32Arrays (next, prev, match), the linearized set in a Uint32Array with an
 * incrementally kept Zobrist hash, and the explored pairs in a MemoCache: the loop allocates
 * nothing but what the model's step allocates.
 *
 * Every iteration of the loop is one *step*; budgets count steps, never wall-clock time, so a
 * verdict (including "unknown") is the same on every machine. A search can run in slices
 * (`advance`), so several partitions can share a budget fairly and stop once one is illegal.
 */
import { assert } from '../assert.js';
import { MemoCache } from './memo-cache.js';
import type { MemoryBudget } from './memo-cache.js';
import { ILLEGAL } from './model.js';
import type { Illegal } from './model.js';

export type Verdict = 'ok' | 'illegal' | 'unknown';

/** One partition, its operations indexed 0..count-1 in a canonical order. */
export interface SearchProblem<S> {
  readonly count: number;
  /** Call time of each operation. */
  readonly callAt: Float64Array;
  /** Return time of each operation; Infinity when it never returned (it may take effect any time after its call, or never). */
  readonly returnAt: Float64Array;
  readonly init: S;
  step(state: S, op: number): S | Illegal;
  equal(a: S, b: S): boolean;
  /** Optional 32-bit hash of a state, consistent with `equal`. */
  hash?(state: S): number;
  /** Per operation, 1 if no step that accepts it changes the state (a read, a cas that did not swap). */
  readonly readOnly?: Uint8Array;
  /**
   * Per operation that never returned, the previous one (in call order) that is identical to it
   * (same operation, key and input), or -1. Identical unreturned operations are interchangeable, so
   * the search places them only in call order: one is tried only once its predecessor is placed.
   */
  readonly sameAs?: Int32Array;
  /** With `progress`: per operation, the largest progress at which it can still be placed. */
  readonly deadline?: Float64Array;
  progress?(state: S): number;
  /** With `progress`: a lower bound on the progress after stepping `op`, without stepping. */
  progressAfter?(state: S, op: number): number;
  /**
   * Per operation, 1 if the state it leaves does not depend on the state it finds (a write, a put).
   * Such an unreturned operation is not placed right after another unreturned one: dropping the
   * first ("it never happened") reaches the same state with a smaller set, which the search tries
   * anyway.
   */
  readonly blind?: Uint8Array;
  /** The memo tables' byte budget (shared by the partitions of one check), or a number of bytes. */
  readonly memory?: MemoryBudget | number;
}

export interface SearchOutcome {
  readonly verdict: Verdict;
  readonly steps: number;
  /** ok: a linearization; otherwise the longest linearizable prefix found. Operation indices. */
  readonly order: readonly number[];
  /** Not ok: the operation whose return the longest prefix reached while it was unplaced; else -1. */
  readonly stuck: number;
  /** Entries in the memo table when the search ended. */
  readonly memoEntries: number;
  /** The memo table reached its memory bound: it stopped remembering new pairs (the search went on, slower). */
  readonly memoFull: boolean;
  /** Bytes the memo table held when the search ended. */
  readonly memoBytes: number;
}

const NIL = -1;

/** A 32-bit mixer (lowbias32, C. Wellons): the Zobrist words, fixed so hashes reproduce. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) | 0;
}

const KIND_CALL = 0;
const KIND_RETURN = 1;
const KIND_UNRETURNED_CALL = 2;
const KIND_HEAD = 3;

export interface EventLists {
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** For a call of an operation that returned, its return node; otherwise NIL. */
  readonly match: Int32Array;
  readonly opOf: Int32Array;
  readonly kind: Uint8Array;
  /** Head of the list of calls of operations that never returned. Node 0 heads the main list. */
  readonly unreturnedHead: number;
  readonly knownCount: number;
}

/**
 * Node 0 heads the main list: the calls and returns of operations that returned, sorted by time.
 * At equal times calls come before returns, so operations that touch at an instant count as
 * concurrent (the permissive reading). Then a second head and the calls of operations that never
 * returned, in call order.
 */
export function buildEventLists(p: SearchProblem<unknown>): EventLists {
  const n = p.count;
  const { callAt, returnAt } = p;
  // Operations that returned, and those that never did, each in call order (ties by index). The
  // checker numbers operations in call order already, so the sorts are only a fallback.
  const calls: number[] = [];
  const unreturned: number[] = [];
  for (let op = 0; op < n; op++) {
    if (returnAt[op] === Infinity) unreturned.push(op);
    else calls.push(op);
  }
  const byCall = (a: number, b: number): number => (callAt[a] as number) - (callAt[b] as number) || a - b;
  if (!inCallOrder(calls, callAt)) calls.sort(byCall);
  if (!inCallOrder(unreturned, callAt)) unreturned.sort(byCall);
  // Returns come nearly in call order, so sorting them alone is cheap; merging them with the calls
  // gives the order of a sort of all events by (time, call before return, operation).
  const returns = calls.slice().sort((a, b) => (returnAt[a] as number) - (returnAt[b] as number) || a - b);
  const known = calls.length;
  const size = 2 * known + unreturned.length + 2;
  const lists = {
    next: new Int32Array(size).fill(NIL),
    prev: new Int32Array(size).fill(NIL),
    match: new Int32Array(size).fill(NIL),
    opOf: new Int32Array(size).fill(NIL),
    kind: new Uint8Array(size),
    unreturnedHead: 2 * known + 1,
    knownCount: known,
  };
  lists.kind[0] = KIND_HEAD;
  mergeEvents(lists, calls, returns, callAt, returnAt);
  const { next, prev, opOf, kind, unreturnedHead } = lists;
  kind[unreturnedHead] = KIND_HEAD;
  for (let k = 0; k < unreturned.length; k++) {
    const node = unreturnedHead + 1 + k;
    opOf[node] = unreturned[k] as number;
    kind[node] = KIND_UNRETURNED_CALL;
    next[node - 1] = node;
    prev[node] = node - 1;
  }
  return lists;
}

/** Lays out the main list: the calls and the returns (each list sorted) merged, calls first at equal times. */
function mergeEvents(l: EventLists, calls: readonly number[], returns: readonly number[], callAt: Float64Array, returnAt: Float64Array): void {
  const { next, prev, match, opOf, kind } = l;
  const known = calls.length;
  let c = 0;
  let r = 0;
  for (let node = 1; node <= 2 * known; node++) {
    if (c < known && (r === known || (callAt[calls[c] as number] as number) <= (returnAt[returns[r] as number] as number))) {
      opOf[node] = calls[c++] as number;
      kind[node] = KIND_CALL;
    } else {
      const op = returns[r++] as number;
      opOf[node] = op;
      kind[node] = KIND_RETURN;
    }
    next[node - 1] = node;
    prev[node] = node - 1;
  }
  // A return follows its call (it returns no earlier, and calls go first at equal times): a
  // backward pass meets each return before its call.
  const returnNode = new Int32Array(callAt.length);
  for (let node = 2 * known; node >= 1; node--) {
    const op = opOf[node] as number;
    if (kind[node] === KIND_RETURN) returnNode[op] = node;
    else match[node] = returnNode[op] as number;
  }
}

/** True when the operations (ascending indices) are in order of call time. */
function inCallOrder(ops: readonly number[], callAt: Float64Array): boolean {
  for (let k = 1; k < ops.length; k++) if ((callAt[ops[k] as number] as number) < (callAt[ops[k - 1] as number] as number)) return false;
  return true;
}

/** Runs the search on one partition with at most `budgetSteps` steps. */
export function searchLinearization<S>(p: SearchProblem<S>, budgetSteps: number): SearchOutcome {
  const search = new PartitionSearch(p);
  return search.advance(budgetSteps) ?? search.giveUp();
}

/** A search that runs in slices. */
export class PartitionSearch<S> {
  private readonly p: SearchProblem<S>;
  private readonly lists: EventLists;
  /** The placed set, one bit per operation. */
  private readonly bits: Uint32Array;
  /** One bit per operation that returned (the window of a memo key keeps only these). */
  private readonly knownMask: Uint32Array;
  /** For each index i, the first operation ≥ i that returned (n if none): the frontier's next candidate. */
  private readonly nextKnown: Int32Array;
  /** The memo key being built (see `key`). */
  private readonly keyBuf: Uint32Array;
  /** Words of the memo key before its tail (see `key`). */
  private keyHead = 0;
  /** The unreturned operations placed, sorted: the tail of a memo key. */
  private readonly unreturnedPlaced: Int32Array;
  private unreturnedCount = 0;
  private readonly z1: Int32Array;
  private readonly z2: Int32Array;
  private readonly memo: MemoCache<S>;
  /** Operations sorted by deadline (when the model has progress). */
  private readonly byDeadline: Int32Array | undefined;
  // The stack of placements: the node, its operation, and what to restore on undo.
  private readonly stackNode: Int32Array;
  private readonly stackOp: Int32Array;
  private readonly stackLow: Int32Array;
  private readonly stackBarrier: Int32Array;
  private readonly stackForced: Uint8Array;
  private readonly stackState: S[];
  private readonly stackFrontier: Int32Array;
  private readonly stackHigh: Int32Array;
  private readonly best: Int32Array;
  private bestDepth = -1;
  private bestStuck = NIL;
  /**
   * best[0..bestShared) is not written yet: it equals stackOp there (the stack has not gone below
   * since). A push copies what it is about to overwrite, so recording a prefix costs O(1), not O(depth).
   */
  private bestShared = 0;
  /** The first operation that returned and is not placed (n when none): every returned one below is placed. */
  private frontier = 0;
  /** The largest operation that returned and is placed, or -1. */
  private high = -1;
  // The walk, saved between slices.
  private state: S;
  private h1 = 0;
  private h2 = 0;
  private depth = 0;
  /** Position in `byDeadline` of the first operation not yet placed. */
  private low = 0;
  private knownPlaced = 0;
  private node: number;
  /** The return node the walk stopped at before offering unreturned operations. */
  private barrier = NIL;
  private stepsDone = 0;
  private result: SearchOutcome | undefined;

  constructor(p: SearchProblem<S>) {
    const n = p.count;
    assert(p.callAt.length === n && p.returnAt.length === n, 'search: one call and one return time per operation');
    for (let i = 0; i < n; i++) {
      // The check comes first: no message closure per operation.
      if (!((p.returnAt[i] as number) >= (p.callAt[i] as number))) assert(false, () => `search: operation ${i} returns before its call`);
    }
    this.p = p;
    this.lists = buildEventLists(p);
    const words = Math.max(1, (n + 31) >>> 5);
    this.bits = new Uint32Array(words);
    this.knownMask = new Uint32Array(words);
    this.nextKnown = new Int32Array(n + 1);
    this.nextKnown[n] = n;
    let unreturned = 0;
    for (let i = n - 1; i >= 0; i--) {
      const known = (p.returnAt[i] as number) !== Infinity;
      if (known) this.knownMask[i >>> 5] = (this.knownMask[i >>> 5] as number) | (1 << (i & 31));
      else unreturned++;
      this.nextKnown[i] = known ? i : (this.nextKnown[i + 1] as number);
    }
    this.frontier = this.nextKnown[0] as number;
    this.unreturnedPlaced = new Int32Array(unreturned);
    this.keyBuf = new Uint32Array(2 + words + unreturned);
    this.z1 = new Int32Array(n);
    this.z2 = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      this.z1[i] = mix32(2 * i + 0x9e3779b9);
      this.z2[i] = mix32(2 * i + 1 + 0x7f4a7c15);
    }
    // An easy search places each operation that returned once, one entry each.
    this.memo = new MemoCache<S>(p.equal, p.memory, this.lists.knownCount + 1, true);
    this.byDeadline = p.deadline !== undefined && p.progress !== undefined ? sortByDeadline(p.deadline) : undefined;
    this.stackNode = new Int32Array(n);
    this.stackOp = new Int32Array(n);
    this.stackLow = new Int32Array(n);
    this.stackBarrier = new Int32Array(n);
    this.stackForced = new Uint8Array(n);
    this.stackState = new Array<S>(n);
    this.stackFrontier = new Int32Array(n);
    this.stackHigh = new Int32Array(n);
    this.best = new Int32Array(n);
    this.state = p.init;
    this.node = this.lists.next[0] as number;
  }

  get steps(): number {
    return this.stepsDone;
  }

  /** Runs up to `maxSteps` more steps; the outcome once the search has finished, else undefined. */
  advance(maxSteps: number): SearchOutcome | undefined {
    if (this.result === undefined) this.walk(this.stepsDone + Math.max(0, maxSteps));
    return this.result;
  }

  /** Ends an unfinished search: verdict unknown, with the longest prefix found so far. */
  giveUp(): SearchOutcome {
    if (this.result === undefined) {
      this.result = this.outcome('unknown');
      this.memo.release();
    }
    return this.result;
  }

  private walk(stepsMax: number): void {
    const { next, prev, match, opOf, kind, unreturnedHead, knownCount } = this.lists;
    const { bits, z1, z2, memo, p } = this;
    const { callAt, returnAt, readOnly, sameAs, blind } = p;
    const hash = p.hash;
    let { state, h1, h2, depth, low, knownPlaced, node, barrier, stepsDone: steps } = this;
    for (;;) {
      // Every operation that returned is placed: the rest never returned and may never have happened.
      if (knownPlaced === knownCount) {
        this.stepsDone = steps;
        this.recordBest(depth, NIL);
        this.result = this.outcome('ok');
        this.memo.release();
        return;
      }
      if (steps >= stepsMax) break;
      steps++;
      let exhausted = false;
      const k = kind[node] as number;
      if (k === KIND_RETURN) {
        // This operation had to take effect by now: offer the unreturned ones called before it.
        barrier = node;
        node = next[unreturnedHead] as number;
        exhausted = node === NIL || (callAt[opOf[node] as number] as number) > (returnAt[opOf[barrier] as number] as number);
        if (!exhausted) continue;
        if (depth > this.bestDepth) this.recordBest(depth, opOf[barrier] as number);
      } else {
        const op = opOf[node] as number;
        const twin = sameAs === undefined ? NIL : (sameAs[op] as number);
        // An identical unreturned operation called earlier is still unplaced: it could stand in
        // for this one anywhere, so only it is tried. A blind unreturned operation right after
        // another unreturned one: leaving that one out reaches the same state with less placed.
        const skip =
          (twin !== NIL && ((bits[twin >>> 5] as number) & (1 << (twin & 31))) === 0) ||
          (k === KIND_UNRETURNED_CALL &&
            ((blind !== undefined && blind[op] === 1 && depth > 0 && kind[this.stackNode[depth - 1] as number] === KIND_UNRETURNED_CALL) || this.wouldPassDeadline(state, op, low)));
        const nextState = skip ? ILLEGAL : p.step(state, op);
        // A read-only operation (given its output) that fits now can always be placed now: in any
        // linearization from here that places it later, it left the state as it found it, so
        // moving it to now changes no other step. It is the only move worth trying here.
        const forced = nextState !== ILLEGAL && readOnly !== undefined && readOnly[op] === 1;
        // An operation that never returned and would change nothing here is better left unplaced:
        // it may still take effect later, or never, which placing it now would rule out.
        if (nextState !== ILLEGAL && !(k === KIND_UNRETURNED_CALL && nextState === state)) {
          const w = op >>> 5;
          const bit = 1 << (op & 31);
          bits[w] = (bits[w] as number) | bit;
          // The hashes cover the operations that returned: the placed unreturned ones are the key's set tail.
          const n1 = k === KIND_CALL ? h1 ^ (z1[op] as number) : h1;
          const n2 = k === KIND_CALL ? h2 ^ (z2[op] as number) : h2;
          const newLow = this.byDeadline === undefined ? 0 : this.lowAfter(low, nextState);
          const frontier = this.frontier;
          const high = this.high;
          const at = k === KIND_CALL ? -1 : this.insertUnreturned(op);
          if (k === KIND_CALL) {
            if (op === frontier) this.advanceFrontier();
            if (op > high) this.high = op;
          }
          if (newLow >= 0 && memo.add(n1, n2, hash === undefined ? 0 : hash(nextState), this.keyBuf, this.key(), nextState, this.keyHead)) {
            if (depth < this.bestShared) {
              // The prefix recorded as best is about to be overwritten here: keep its copy first.
              this.best.set(this.stackOp.subarray(depth, this.bestShared), depth);
              this.bestShared = depth;
            }
            this.stackNode[depth] = node;
            this.stackOp[depth] = op;
            this.stackLow[depth] = low;
            this.stackBarrier[depth] = barrier;
            this.stackForced[depth] = forced ? 1 : 0;
            this.stackState[depth] = state;
            this.stackFrontier[depth] = frontier;
            this.stackHigh[depth] = high;
            depth++;
            state = nextState;
            h1 = n1;
            h2 = n2;
            low = newLow;
            if (k === KIND_CALL) {
              knownPlaced++;
              lift(next, prev, node, match[node] as number);
            } else {
              unlink(next, prev, node);
            }
            node = next[0] as number;
            continue;
          }
          bits[w] = (bits[w] as number) & ~bit;
          this.frontier = frontier;
          this.high = high;
          if (at >= 0) this.removeUnreturned(at);
        }
        // A forced move that leads nowhere (explored before, or past a deadline): so does this node.
        exhausted = forced;
        if (!exhausted) {
          node = next[node] as number;
          exhausted = k === KIND_UNRETURNED_CALL && (node === NIL || (callAt[opOf[node] as number] as number) > (returnAt[opOf[barrier] as number] as number));
          if (!exhausted) continue;
          if (depth > this.bestDepth) this.recordBest(depth, opOf[barrier] as number);
        }
      }
      // Backtrack: undo the last placement (and every forced one under it), try the next candidate.
      for (;;) {
        if (depth === 0) {
          this.stepsDone = steps;
          // Dead from the start (a deadline no order can meet): blame the first operation due.
          if (this.bestStuck === NIL) this.recordBest(0, this.firstDue());
          this.result = this.outcome('illegal');
          this.memo.release();
          return;
        }
        depth--;
        node = this.stackNode[depth] as number;
        const op = this.stackOp[depth] as number;
        state = this.stackState[depth] as S;
        this.stackState[depth] = undefined as S; // let the state be collected
        low = this.stackLow[depth] as number;
        barrier = this.stackBarrier[depth] as number;
        this.frontier = this.stackFrontier[depth] as number;
        this.high = this.stackHigh[depth] as number;
        bits[op >>> 5] = (bits[op >>> 5] as number) & ~(1 << (op & 31));
        if (kind[node] === KIND_CALL) {
          h1 ^= z1[op] as number;
          h2 ^= z2[op] as number;
          knownPlaced--;
          unlift(next, prev, node, match[node] as number);
        } else {
          this.removeUnreturned(this.indexOfUnreturned(op));
          relink(next, prev, node);
        }
        if (this.stackForced[depth] === 1) continue;
        node = next[node] as number;
        // After an unreturned candidate, the next one must still be called before the barrier.
        if (kind[node] === KIND_UNRETURNED_CALL || node === NIL) {
          if (node !== NIL && (callAt[opOf[node] as number] as number) <= (returnAt[opOf[barrier] as number] as number)) break;
          continue;
        }
        break;
      }
    }
    Object.assign(this, { state, h1, h2, depth, low, knownPlaced, node, barrier, stepsDone: steps });
  }

  /** Moves the frontier past the operation at it and every placed or unreturned one after. */
  private advanceFrontier(): void {
    const { nextKnown, bits } = this;
    const n = this.p.count;
    let f = nextKnown[this.frontier + 1] as number;
    while (f < n && ((bits[f >>> 5] as number) & (1 << (f & 31))) !== 0) f = nextKnown[f + 1] as number;
    this.frontier = f;
  }

  /**
   * Writes the memo key of the placed set into keyBuf and returns its length: the frontier f (every
   * operation that returned below it is placed, f is not), the number of window words, the words of
   * the returned operations' bits from f's word to the highest placed one's, and the placed
   * unreturned operations, sorted (the tail, from `keyHead` on). Two sets have equal keys exactly
   * when they are equal, and the key stays short however long the history: its window spans only
   * the operations in flight.
   *
   * The memo compares the tail as a set: a pair whose placed unreturned operations include those of
   * a pair explored before, with the same returned ones placed and the same state, is cut. An
   * operation that never returned constrains nothing by being left unplaced — it may take effect
   * later or never — so any way on from the larger set is a way on from the smaller one (the same
   * operations, the extra ones never placed). This is what makes unknown outcomes that commute
   * cheap: a register's unknown writes overwritten before anything observed them, placed in every
   * combination, all reach a state already explored with fewer of them placed.
   */
  private key(): number {
    const { keyBuf, bits, knownMask } = this;
    const f = this.frontier;
    keyBuf[0] = f;
    let len = 2;
    if (this.high >= f) {
      const hi = this.high >>> 5;
      for (let w = f >>> 5; w <= hi; w++) keyBuf[len++] = (bits[w] as number) & (knownMask[w] as number);
    }
    keyBuf[1] = len - 2;
    this.keyHead = len;
    const placed = this.unreturnedPlaced;
    for (let i = 0; i < this.unreturnedCount; i++) keyBuf[len++] = placed[i] as number;
    return len;
  }

  /** Adds an unreturned operation to the sorted list of placed ones; returns its position. */
  private insertUnreturned(op: number): number {
    const a = this.unreturnedPlaced;
    let i = this.unreturnedCount;
    while (i > 0 && (a[i - 1] as number) > op) {
      a[i] = a[i - 1] as number;
      i--;
    }
    a[i] = op;
    this.unreturnedCount++;
    return i;
  }

  private removeUnreturned(at: number): void {
    const a = this.unreturnedPlaced;
    a.copyWithin(at, at + 1, this.unreturnedCount);
    this.unreturnedCount--;
  }

  private indexOfUnreturned(op: number): number {
    const a = this.unreturnedPlaced;
    let lo = 0;
    let hi = this.unreturnedCount - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((a[mid] as number) < op) lo = mid + 1;
      else hi = mid;
    }
    assert(a[lo] === op, 'search: an unreturned operation undone was in the placed list');
    return lo;
  }

  /** The operation of the first return in the main list: the first one that had to be placed. */
  private firstDue(): number {
    const { next, kind, opOf } = this.lists;
    for (let node = next[0] as number, guard = 0; node !== NIL && guard < next.length; node = next[node] as number, guard++) {
      if (kind[node] === KIND_RETURN) return opOf[node] as number;
    }
    return NIL;
  }

  /** True when placing `op` certainly moves progress past the earliest pending deadline. */
  private wouldPassDeadline(state: S, op: number, low: number): boolean {
    const order = this.byDeadline;
    const after = this.p.progressAfter;
    if (order === undefined || after === undefined || low >= order.length) return false;
    // `low` is the first unplaced operation in deadline order (an unreturned one has none).
    return ((this.p.deadline as Float64Array)[order[low] as number] as number) < after(state, op);
  }

  /**
   * After a step to `nextState`, the new position of the first unplaced operation in deadline
   * order — or -1 when that operation's deadline is already behind the state's progress: progress
   * never decreases, so it could never be placed on this branch.
   */
  private lowAfter(low: number, nextState: S): number {
    const order = this.byDeadline as Int32Array;
    const deadline = this.p.deadline as Float64Array;
    const bits = this.bits;
    let l = low;
    while (l < order.length) {
      const op = order[l] as number;
      if (((bits[op >>> 5] as number) & (1 << (op & 31))) === 0) break;
      l++;
    }
    if (l === order.length) return l;
    const progress = (this.p.progress as (s: S) => number)(nextState);
    return (deadline[order[l] as number] as number) < progress ? -1 : l;
  }

  private recordBest(depth: number, stuck: number): void {
    this.bestDepth = depth;
    this.bestStuck = stuck;
    // best[0..depth) is the stack as it is now; the pushes that overwrite it copy it out first.
    this.bestShared = depth;
  }

  private outcome(verdict: Verdict): SearchOutcome {
    const depth = Math.max(this.bestDepth, 0);
    this.best.set(this.stackOp.subarray(0, this.bestShared));
    this.bestShared = 0;
    return {
      verdict,
      steps: this.stepsDone,
      order: Array.from(this.best.subarray(0, depth)),
      stuck: verdict === 'ok' ? NIL : this.bestStuck,
      memoEntries: this.memo.size,
      memoFull: this.memo.full,
      memoBytes: this.memo.bytes,
    };
  }
}

function sortByDeadline(deadline: Float64Array): Int32Array {
  const order = new Int32Array(deadline.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => (deadline[a] as number) - (deadline[b] as number) || a - b);
}

/** Takes a call node and its return node out of the list (the return may follow it directly). */
function lift(next: Int32Array, prev: Int32Array, call: number, ret: number): void {
  unlink(next, prev, call);
  unlink(next, prev, ret);
}

/** Puts them back, the return first: the exact reverse of lift. */
function unlift(next: Int32Array, prev: Int32Array, call: number, ret: number): void {
  relink(next, prev, ret);
  relink(next, prev, call);
}

/** Removes a node; its own next/prev stay as they were, so relink can put it back. */
function unlink(next: Int32Array, prev: Int32Array, node: number): void {
  const n = next[node] as number;
  const p = prev[node] as number;
  next[p] = n;
  if (n !== NIL) prev[n] = p;
}

function relink(next: Int32Array, prev: Int32Array, node: number): void {
  const n = next[node] as number;
  next[prev[node] as number] = node;
  if (n !== NIL) prev[n] = node;
}
