/** Times of a history's operations as the checker reads them. */
import type { Operation } from '../history.js';

/** The time an operation's effect must have happened by: +∞ for an unknown outcome. */
export function effectiveReturn(op: Operation): number {
  return op.status === 'unknown' || op.return === null ? Infinity : op.return;
}
