import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoCache } from './memo-cache.js';

describe('MemoCache', () => {
  it('answers the same whatever size it was made for', () => {
    const entry = fc.record({ bits: fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 3, maxLength: 3 }), state: fc.integer({ min: 0, max: 2 }) });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 600 }), fc.integer({ min: 0, max: 5000 }), (entries, expected) => {
        const plain = new MemoCache<number>(3, (a, b) => a === b);
        const sized = new MemoCache<number>(3, (a, b) => a === b, expected);
        for (const e of entries) {
          const bits = Uint32Array.from(e.bits);
          // Weak hashes on purpose: collisions must be told apart by the bits and the state.
          const h1 = (e.bits[0] as number) & 1;
          const h2 = (e.bits[1] as number) & 1;
          const want = plain.add(h1, h2, e.state & 1, bits, e.state);
          expect(sized.add(h1, h2, e.state & 1, bits, e.state)).toBe(want);
        }
        expect(sized.size).toBe(plain.size);
      }),
    );
  });
});
