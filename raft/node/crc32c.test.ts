import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32cUpdate } from './crc32c.js';

/** The textbook byte-at-a-time CRC-32C (the implementation before slicing-by-8): the reference. */
function crc32cBytewise(crc: number, bytes: Uint8Array, from: number, to: number): number {
  let c = ~crc >>> 0;
  for (let i = from; i < to; i++) {
    c ^= bytes[i] as number;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32c slicing-by-8', () => {
  it('equals the byte-wise CRC on any range of any bytes, from any running value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 0xffffffff }), fc.nat(), fc.nat(), (bytes, crc, a, b) => {
        const from = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        const to = from + (b % (bytes.length - from + 1));
        expect(crc32cUpdate(crc, bytes, from, to)).toBe(crc32cBytewise(crc, bytes, from, to));
      }),
      { numRuns: 2000 },
    );
  });

  it('equals the byte-wise CRC on bytes with the high bits set (sign of the 32-bit lanes)', () => {
    const bytes = new Uint8Array(64).fill(0xff);
    for (let n = 0; n <= 64; n++) expect(crc32cUpdate(0xffffffff, bytes, 0, n)).toBe(crc32cBytewise(0xffffffff, bytes, 0, n));
  });
});
