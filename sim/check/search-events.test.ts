import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildEventLists, type SearchProblem } from './search.js';

/** The lists as first written: every event sorted by (time, call before return, operation). */
function reference(callAt: number[], returnAt: number[]): { main: number[]; unreturned: number[] } {
  const events: number[] = [];
  const unreturned: number[] = [];
  callAt.forEach((_, op) => {
    if (returnAt[op] === Infinity) unreturned.push(op);
    else events.push(2 * op, 2 * op + 1);
  });
  const timeOf = (e: number): number => ((e & 1) === 0 ? (callAt[e >> 1] as number) : (returnAt[e >> 1] as number));
  events.sort((a, b) => timeOf(a) - timeOf(b) || (a & 1) - (b & 1) || (a >> 1) - (b >> 1));
  unreturned.sort((a, b) => (callAt[a] as number) - (callAt[b] as number) || a - b);
  return { main: events, unreturned };
}

function problem(callAt: number[], returnAt: number[]): SearchProblem<number> {
  return { count: callAt.length, callAt: Float64Array.from(callAt), returnAt: Float64Array.from(returnAt), init: 0, step: (s) => s, equal: (a, b) => a === b };
}

describe('buildEventLists', () => {
  it('orders events as a sort of all of them by time, calls first, then operation (in call order or not)', () => {
    const op = fc.record({ call: fc.integer({ min: 0, max: 20 }), len: fc.integer({ min: 0, max: 8 }), unreturned: fc.boolean() });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), fc.boolean(), (ops, sortByCall) => {
        const xs = sortByCall ? [...ops].sort((a, b) => a.call - b.call) : ops;
        const callAt = xs.map((o) => o.call);
        const returnAt = xs.map((o) => (o.unreturned ? Infinity : o.call + o.len));
        const want = reference(callAt, returnAt);
        const l = buildEventLists(problem(callAt, returnAt));
        const main: number[] = [];
        for (let node = l.next[0] as number; node !== -1 && node !== l.unreturnedHead; node = l.next[node] as number) {
          const op = l.opOf[node] as number;
          main.push(2 * op + (l.kind[node] === 1 ? 1 : 0));
          if (l.kind[node] === 0) expect(l.opOf[l.match[node] as number]).toBe(op);
        }
        const unreturned: number[] = [];
        for (let node = l.next[l.unreturnedHead] as number; node !== -1; node = l.next[node] as number) unreturned.push(l.opOf[node] as number);
        expect(main).toEqual(want.main);
        expect(unreturned).toEqual(want.unreturned);
        expect(l.knownCount).toBe(want.main.length / 2);
      }),
    );
  });
});
