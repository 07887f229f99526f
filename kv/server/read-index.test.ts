import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readIdContext, readIdFromContext } from './read-index.js';

/** etcd's uint64ToBigEndianBytes through a DataView: what the byte-by-byte codec must equal. */
function viaDataView(id: number): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(id / 2 ** 32));
  view.setUint32(4, id % 2 ** 32);
  return out;
}

describe('read id contexts', () => {
  it('are the 8 big-endian bytes of the id, and decode back to it', () => {
    const ids = fc.oneof(fc.constantFrom(0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1), fc.maxSafeNat());
    fc.assert(fc.property(ids, (id) => {
      const ctx = readIdContext(id);
      expect(ctx).toEqual(viaDataView(id));
      expect(readIdFromContext(ctx)).toBe(id);
      // A context inside a larger buffer (as a decoded message may hold it) decodes the same.
      const framed = new Uint8Array(12);
      framed.set(ctx, 3);
      expect(readIdFromContext(framed.subarray(3, 11))).toBe(id);
    }));
    expect(readIdFromContext(new Uint8Array(7))).toBeUndefined();
  });
});
