/**
 * Assertions that state invariants.
 *
 * A broken invariant is a bug in the simulated system or in the simulator, never an expected
 * outcome: it stops the run. The runner, which knows the seed, wraps what escapes with `withSeed`
 * so the failure always says how to reproduce it.
 */

/** A broken invariant. `seed` is filled in by whoever knows it (the runner, a test harness). */
export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
  readonly invariant: string;
  seed: string | undefined;

  constructor(invariant: string, seed?: string) {
    super(seed === undefined ? invariant : `${invariant} (seed=${seed})`);
    this.invariant = invariant;
    this.seed = seed;
  }
}

/** Throws an InvariantViolation with `message` when `cond` is falsy. A function message is built lazily. */
export function assert(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new InvariantViolation(typeof message === 'string' ? message : message());
}

/** The default branch of an exhaustive switch: it does not compile while a case is missing. */
export function unreachable(x: never, what = 'value'): never {
  throw new InvariantViolation(`unreachable: unexpected ${what} ${JSON.stringify(x)}`);
}

/** Runs `fn`; an InvariantViolation escaping it is given the seed (once) and rethrown. */
export function withSeed<T>(seed: string | number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InvariantViolation && err.seed === undefined) {
      err.seed = String(seed);
      err.message = `${err.invariant} (seed=${seed})`;
    }
    throw err;
  }
}
