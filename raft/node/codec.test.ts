import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from './codec.js';

describe('ByteWriter', () => {
  it('writes u8/u32/u64 fields exactly as DataView little-endian writes them, and ByteReader reads them back', () => {
    const field = fc.oneof(
      fc.record({ k: fc.constant('u8' as const), v: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ k: fc.constant('u32' as const), v: fc.integer({ min: 0, max: 0xffffffff }) }),
      fc.record({ k: fc.constant('u64' as const), v: fc.oneof(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom(0, 0xffffffff, 0x1_0000_0000, Number.MAX_SAFE_INTEGER)) }),
    );
    fc.assert(
      fc.property(fc.array(field, { maxLength: 40 }), (fields) => {
        // Capacity 8: the fields make it grow several times.
        const w = new ByteWriter(8);
        const want: number[] = [];
        const dv = new DataView(new ArrayBuffer(8));
        for (const { k, v } of fields) {
          if (k === 'u8') {
            w.u8(v);
            want.push(v);
          } else if (k === 'u32') {
            w.u32(v);
            dv.setUint32(0, v, true);
            for (let i = 0; i < 4; i++) want.push(dv.getUint8(i));
          } else {
            w.u64(v);
            dv.setUint32(0, v % 0x1_0000_0000, true);
            dv.setUint32(4, Math.floor(v / 0x1_0000_0000), true);
            for (let i = 0; i < 8; i++) want.push(dv.getUint8(i));
          }
        }
        const bytes = w.finish();
        expect(Array.from(bytes)).toEqual(want);
        const r = new ByteReader(bytes);
        for (const { k, v } of fields) expect(k === 'u8' ? r.u8() : k === 'u32' ? r.u32() : r.u64()).toBe(v);
        expect(r.done()).toBe(true);
      }),
    );
  });

  it('reset writes over the old bytes; zeros clears them; set* patch only what was written', () => {
    const w = new ByteWriter(8);
    w.u64(Number.MAX_SAFE_INTEGER).u64(Number.MAX_SAFE_INTEGER);
    w.reset().zeros(8).u8(7);
    expect(Array.from(w.finish())).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 7]);
    w.setU32(0, 0xdeadbeef);
    w.setU16(4, 0xabcd);
    w.setU8(6, 0x1ff);
    expect(Array.from(w.finish())).toEqual([0xef, 0xbe, 0xad, 0xde, 0xcd, 0xab, 0xff, 0, 7]);
    expect(() => w.setU32(6, 1)).toThrow(/past the written bytes/);
  });
});
