/** Entry sizes: the varint size's shortcut thresholds agree with the protobuf rule. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { varintSizeBytes } from './entry-size.js';

/** One byte per 7 bits, as protobuf encodes a varint. */
function reference(n: number): number {
  let size = 1;
  for (let v = n; v >= 0x80; v = Math.floor(v / 0x80)) size++;
  return size;
}

describe('varintSizeBytes', () => {
  it('matches the 7-bits-per-byte rule, at every threshold and for any safe integer', () => {
    for (let k = 1; k <= 7; k++) for (const n of [2 ** (7 * k) - 1, 2 ** (7 * k), 2 ** (7 * k) + 1]) expect(varintSizeBytes(n)).toBe(reference(n));
    fc.assert(fc.property(fc.oneof(fc.nat(), fc.maxSafeNat(), fc.integer({ min: 0, max: 1 << 22 })), (n) => {
      expect(varintSizeBytes(n)).toBe(reference(n));
    }), { numRuns: 500 });
    expect([varintSizeBytes(0), varintSizeBytes(127), varintSizeBytes(128), varintSizeBytes(16384)]).toEqual([1, 1, 2, 3]);
  });
});
