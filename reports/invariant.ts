/**
 * Assertions for the reports. reports/ may import runtime code only from reports/ (the import
 * graph points scenarios → reports, never back), so it keeps its own two-line copy of the idea in
 * sim/assert: a broken invariant in a renderer is a bug, and it stops the rendering loudly.
 */

export class ReportInvariantViolation extends Error {
  override readonly name = 'ReportInvariantViolation';
}

/** Throws when `cond` is falsy. A function message is built lazily. */
export function assert(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new ReportInvariantViolation(typeof message === 'string' ? message : message());
}

/** The default branch of an exhaustive switch. */
export function unreachable(x: never, what = 'value'): never {
  throw new ReportInvariantViolation(`unreachable: unexpected ${what} ${JSON.stringify(x)}`);
}
