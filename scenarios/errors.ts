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

/**
 * What is wrong with an input, in parts: which file (and where in it), which field, what. The
 * one line a person reads is `formatInputIssue`'s; `--json` prints the parts (`inputIssueJson`).
 */
export interface InputIssue {
  /** Outside the file: the seed whose scenario it is (`seed 7`), for inputs that differ per seed. */
  readonly context?: string;
  /** A file path, `builtin:<name>`, or an option (`--seed`). */
  readonly file?: string;
  /** The error came out after `--set` overrides were applied: the file or an override is at fault. */
  readonly withSet?: boolean;
  /** 1-based line (and column) in the file. */
  readonly line?: number;
  readonly column?: number;
  /** Field path inside the file (`faults[0].at`), empty or absent for the whole input. */
  readonly path?: string;
  readonly message: string;
}

/** `seed 7: my.json (with --set):3:9: faults[0].at: expected …` — the parts that are known, in that order. */
export function formatInputIssue(i: InputIssue): string {
  let where = i.file ?? '';
  if (i.withSet === true) where += ' (with --set)';
  if (i.line !== undefined) where += `:${i.line}${i.column !== undefined ? `:${i.column}` : ''}`;
  return [i.context, where, i.path, i.message].filter((p): p is string => p !== undefined && p !== '').join(': ');
}

/** The `--json` form of bad input: `{"error": {"file", "path", "message", …}}` (null for a part not known). */
export function inputIssueJson(i: InputIssue): string {
  const error: Record<string, unknown> = { file: i.file ?? null, path: i.path === undefined || i.path === '' ? null : i.path, message: i.message };
  if (i.line !== undefined) error.line = i.line;
  if (i.column !== undefined) error.column = i.column;
  if (i.withSet === true) error.withSet = true;
  if (i.context !== undefined) error.context = i.context;
  return JSON.stringify({ error });
}

/** Bad user input: a file that does not parse, a field of the wrong type, an unknown scenario. */
export class UserInputError extends Error {
  override readonly name = 'UserInputError';
  readonly exitCode = EXIT_BAD_INPUT;
  /** The parts of the message; a plain message is all `message`. */
  readonly issue: InputIssue;
  constructor(what: string | InputIssue) {
    super(typeof what === 'string' ? what : formatInputIssue(what));
    this.issue = typeof what === 'string' ? { message: what } : what;
  }
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
