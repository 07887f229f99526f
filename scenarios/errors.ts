/**
 * The CLI's outcomes that are not "all checks passed", each with its exit code (DEVELOPERS.md):
 * - 1: a check failed — the output ends with the reproduce command;
 * - 2: bad input — one line naming the file (or option) and the field;
 * - 3: a checker ran out of its search budget — no verdict (`unknown`).
 * A broken invariant inside a run is not an exception here: the runner turns it into a failed check.
 */

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_BUDGET_EXHAUSTED = 3;

/** Bad user input: a file that does not parse, a field of the wrong type, an unknown scenario. */
export class UserInputError extends Error {
  override readonly name = 'UserInputError';
  readonly exitCode = EXIT_BAD_INPUT;
}

/** A check failed; `reproduce` is printed as the last line. */
export class CheckFailedError extends Error {
  override readonly name = 'CheckFailedError';
  readonly exitCode = EXIT_CHECK_FAILED;
  constructor(
    message: string,
    readonly reproduce: string,
  ) {
    super(message);
  }
}

/** A checker's step budget ran out before a verdict. */
export class BudgetExhaustedError extends Error {
  override readonly name = 'BudgetExhaustedError';
  readonly exitCode = EXIT_BUDGET_EXHAUSTED;
}

/** The exit code an error stands for: its own for the classes above, else 1 (a crash is a failure). */
export function exitCodeOf(err: unknown): number {
  if (err instanceof UserInputError || err instanceof CheckFailedError || err instanceof BudgetExhaustedError) return err.exitCode;
  return EXIT_CHECK_FAILED;
}
