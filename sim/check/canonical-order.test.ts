import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Operation } from '../history.js';
import { canonicalOrder, effectiveReturn } from './linearizability.js';

/** The order as a plain sort gives it, for comparison. */
function sorted(ops: readonly Operation[]): Operation[] {
  return [...ops].sort((a, b) => a.call - b.call || effectiveReturn(a) - effectiveReturn(b) || a.client - b.client || a.id - b.id);
}

describe('canonicalOrder', () => {
  it('equals a sort by call, return, client, id, whether the input is in that order already or not', () => {
    const op = fc.record({ call: fc.integer({ min: 0, max: 5 }), len: fc.integer({ min: 0, max: 3 }), client: fc.integer({ min: 0, max: 2 }), unknown: fc.boolean() });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), fc.boolean(), (xs, presort) => {
        const ops: Operation[] = xs.map((x, id) => ({ id, client: x.client, op: 'w', call: x.call, return: x.unknown ? null : x.call + x.len, status: x.unknown ? 'unknown' : 'ok' }));
        const input = presort ? sorted(ops) : ops;
        const got = canonicalOrder(input);
        expect(got.map((o) => o.id)).toEqual(sorted(ops).map((o) => o.id));
        expect(got).not.toBe(input);
      }),
    );
  });
});
