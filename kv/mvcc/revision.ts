/**
 * MVCC revisions (etcd `mvcc.Revision`).
 *
 * Every write transaction gets one main revision, one more than the store's current revision; each
 * change inside it gets a sub-revision 0, 1, 2… in the order the changes were made. The store starts
 * at main revision 1 with no data, so the first write is revision 2 (as in etcd).
 */
import { assert } from '../../sim/assert.js';

export interface Revision {
  readonly main: number;
  readonly sub: number;
}

/** The revision of an empty store (etcd: `currentRev = 1`). */
export const INITIAL_REVISION = 1;

/** Negative, zero or positive as `a` is before, equal to or after `b`. */
export function compareRevision(a: Revision, b: Revision): number {
  return a.main !== b.main ? a.main - b.main : a.sub - b.sub;
}

/** `12.3` for main 12, sub 3: a revision for a person to read. */
export function formatRevision(r: Revision): string {
  return `${r.main}.${r.sub}`;
}

/** Asserts a main revision is a positive safe integer (revisions never leave that range). */
export function assertMainRevision(main: number, what: string): void {
  assert(Number.isSafeInteger(main) && main >= INITIAL_REVISION, () => `mvcc: ${what} revision ${main} is not a valid main revision`);
}
