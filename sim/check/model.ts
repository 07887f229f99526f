/**
 * Models for the linearizability checker, shaped like Porcupine's (anishathalye/porcupine model.go).
 *
 * A model is a pure sequential specification: an initial state and a `step` that says whether an
 * operation, with the output it returned, could have taken effect on a state, and what state it
 * leaves. The checker never looks inside states; it only steps them and compares them.
 *
 * An operation given to `step` has status `ok` or `unknown` (the checker drops `fail` operations:
 * they certainly took no effect). For `unknown` the model must accept any output — the operation
 * may have happened, and we do not know what it returned — but still apply its effect.
 *
 * Optional hooks make the search faster or the explanations better; none changes a verdict:
 * - `partition` splits a history into independent parts (P-compositionality, e.g. per key);
 * - `readOnly` marks operations that, given their recorded output, never change the state (a
 *   read; a cas that answered "no swap"): with an unknown outcome they constrain nothing and are
 *   dropped, and with a known one the search places them as soon as they fit and tries nothing
 *   else there (moving a state-preserving operation earlier never breaks a linearization);
 * - `hash` lets the memo table tell states apart without comparing them;
 * - `needless` names unknown-outcome operations no read can have observed: they are dropped, as
 *   if they never happened (a linearization that places one still works without it);
 * - `blind` marks operations whose resulting state does not depend on the state (a write): an
 *   unknown one is never placed right after another unknown one (leaving that one out is as good);
 * - `progress`/`deadline` let the search prune a branch as soon as it has gone past the point
 *   where some pending operation could still be placed (the etcd model's revision).
 */
import { assert } from '../assert.js';
import type { Operation } from '../history.js';

/** What `step` returns when the operation could not have taken effect with that output. */
export const ILLEGAL: unique symbol = Symbol('illegal');
export type Illegal = typeof ILLEGAL;

/** One independent part of a history, with a label for reports (e.g. the key). */
export interface Partition<Op> {
  readonly label: string;
  readonly ops: readonly Op[];
}

/** A fact an explanation can use: this operation observed `value` at `key`. */
export interface ReadFact {
  readonly key: string;
  /** The value read; null when the key had no value. Compared with `===`. */
  readonly value: string | number | null;
}

/** A fact an explanation can use: this operation may have set `key` to `value`. */
export interface WriteFact {
  readonly key: string;
  readonly value: string | number | null;
  /** True when the write certainly took effect (status ok and, for a cas, it swapped). */
  readonly certain: boolean;
}

/** What kind of evidence an explanation rests on. */
export type ExplanationKind = 'stale-read' | 'unwritten-read' | 'revision-order' | 'duplicate-revision' | 'unplaceable';

/** A certain proof of non-linearizability a model finds without search, in its own terms. */
export interface Witness {
  readonly kind: ExplanationKind;
  /** The operation to point at (its id). */
  readonly op: number;
  readonly related: readonly number[];
  readonly message: string;
}

export interface Model<S, Op extends Operation = Operation> {
  /** Short name for reports and the CLI (`register`, `kv`, `etcd`). */
  readonly name: string;
  init(): S;
  /**
   * The state after `op` took effect on `state`, or ILLEGAL if it could not have returned its
   * output. Must depend only on the op's name, key, input, status and output.
   */
  step(state: S, op: Op): S | Illegal;
  /** Structural equality of states (the memo cache compares states with it). */
  equal(a: S, b: S): boolean;
  /**
   * A model specialised to one partition's operations, e.g. one that knows what the history's
   * reads observed and rejects, early, any step that contradicts every way they could be right.
   * It must never accept a linearization the plain model rejects; it may reject more only for
   * what the partition as a whole proves (the etcd model: a lease id that none of the history's
   * grants can have made does not exist), so an `ok` verdict still replays with the plain model.
   * Explanations replay with the prepared model. Default: the model itself.
   */
  prepare?(ops: readonly Op[]): Model<S, Op>;
  /** Independent sub-histories; every operation must land in at most one. Default: one partition. */
  partition?(ops: readonly Op[]): readonly Partition<Op>[];
  /**
   * True if no step that accepts `op` (with its recorded output; any output if unknown) changes
   * the state. Must never be true for an operation that can change the state.
   */
  readOnly?(op: Op): boolean;
  /** A 32-bit hash of a state, consistent with `equal` (equal states, equal hashes). */
  hash?(state: S): number;
  /**
   * For one partition's operations, which unknown-outcome ones can be dropped: true only for an
   * operation such that any linearization of the partition that places it stays one when it is
   * taken out (no read, nor anything else that looks at the state, can have seen its effect) —
   * and for several at once. Must be false for an operation with a known outcome.
   */
  needless?(ops: readonly Op[]): readonly boolean[];
  /** True if the state `step` leaves after `op` does not depend on the state it was given (a write, a put). */
  blind?(op: Op): boolean;
  /**
   * A number that no step ever decreases (the etcd revision). With `deadline`, lets the search
   * cut a branch whose progress has passed an unplaced operation's deadline.
   */
  progress?(state: S): number;
  /**
   * The largest progress of a state on which `op` (status ok) can still take effect; Infinity if
   * there is no such bound. Must be exact or an over-estimate, never less.
   */
  deadline?(op: Op): number;
  /**
   * A lower bound on the progress of any state other than `state` itself that `step(state, op)`
   * can return, computed without stepping (an etcd write that changes anything makes the revision
   * one more). Lets the search skip an operation that never returned when placing it would pass a
   * pending deadline, without building the state. (An unreturned operation that would leave the
   * state as it is is never placed: left unplaced, it keeps every option open.)
   */
  progressAfter?(state: S, op: Op): number;
  /** `read x -> 3`, `cas x 1->2 ok`: one operation for a person to read. */
  describeOperation(op: Op): string;
  /** A state for a person to read. */
  describeState(state: S): string;
  /** For explanations: what a read observed (undefined for other ops or unknown outcomes). */
  readOf?(op: Op): ReadFact | undefined;
  /**
   * For explanations: what `op` may have set. `null` when it certainly sets nothing (a read, a cas
   * that answered "no swap"); `undefined` when its effect is not a plain value (an append): then
   * explanations in values are not attempted for its partition.
   */
  writeOf?(op: Op): WriteFact | null | undefined;
  /** For explanations: the value of every key before any write (null = no value). */
  readonly initialValue?: string | number | null;
  /**
   * For explanations: a violation the model can prove from the partition's operations alone (the
   * etcd model: a revision that goes back in real time). Must be sound: only for histories no
   * linearization fits. `formatTime` writes a time of the history for the message (default
   * `t=N`, in the history's own unit).
   */
  witness?(ops: readonly Op[], formatTime?: (t: number) => string): Witness | undefined;
}

/**
 * A nondeterministic model: `step` returns every state the operation may leave (none = illegal).
 * `determinize` turns it into a Model over sets of states, as Porcupine does.
 */
export interface NondeterministicModel<S, Op extends Operation = Operation> {
  readonly name: string;
  init(): readonly S[];
  step(state: S, op: Op): readonly S[];
  equal(a: S, b: S): boolean;
  partition?(ops: readonly Op[]): readonly Partition<Op>[];
  readOnly?(op: Op): boolean;
  describeOperation(op: Op): string;
  describeState(state: S): string;
}

/** The largest set of states a determinized model tracks at once: a bound, not a tuning knob. */
export const NONDETERMINISTIC_STATES_MAX = 4096;

/** The power-set construction: a state is the set of states the nondeterministic model may be in. */
export function determinize<S, Op extends Operation>(m: NondeterministicModel<S, Op>): Model<readonly S[], Op> {
  const addUnique = (set: S[], s: S): void => {
    for (const t of set) if (m.equal(t, s)) return;
    set.push(s);
  };
  const model: Model<readonly S[], Op> = {
    name: m.name,
    init: () => {
      const set: S[] = [];
      for (const s of m.init()) addUnique(set, s);
      return set;
    },
    step: (states, op) => {
      const next: S[] = [];
      for (const s of states) for (const t of m.step(s, op)) addUnique(next, t);
      assert(next.length <= NONDETERMINISTIC_STATES_MAX, () => `model ${m.name}: more than ${NONDETERMINISTIC_STATES_MAX} states at once`);
      return next.length === 0 ? ILLEGAL : next;
    },
    // Sets are equal when each contains the other (both are duplicate-free).
    equal: (a, b) => a.length === b.length && a.every((s) => b.some((t) => m.equal(s, t))),
    describeOperation: (op) => m.describeOperation(op),
    describeState: (states) => `{${states.map((s) => m.describeState(s)).join(' | ')}}`,
  };
  if (m.partition !== undefined) model.partition = m.partition.bind(m);
  if (m.readOnly !== undefined) model.readOnly = m.readOnly.bind(m);
  return model;
}

/** Partitions by `op.key` (operations without a key go to partition ""), labels sorted. */
export function partitionByKey<Op extends Operation>(ops: readonly Op[]): Partition<Op>[] {
  const byKey = new Map<string, Op[]>();
  for (const op of ops) {
    const key = op.key ?? '';
    let list = byKey.get(key);
    if (list === undefined) byKey.set(key, (list = []));
    list.push(op);
  }
  return [...byKey.keys()].sort().map((label) => ({ label, ops: byKey.get(label) ?? [] }));
}
