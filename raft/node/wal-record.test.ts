import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogIndex, NodeId, Term } from '../core/types.js';
import { crc32c, crc32cUpdate } from './crc32c.js';
import type { WalRecord } from './wal-record.js';
import { decodeRecords, encodeRecords } from './wal-record.js';
import { walArbitraries } from '../testing/wal-arbitraries.js';

const small = fc.integer({ min: 0, max: 1_000_000 });
const { plainRecord } = walArbitraries({ maxData: 300, number: small });

/** Records where a `true` slot becomes a crc record carrying the running CRC, as the WAL writes them. */
const recordSlots = fc.array(fc.tuple(fc.boolean(), plainRecord), { minLength: 1, maxLength: 12 });

function chained(slots: readonly (readonly [boolean, WalRecord])[], seed: number): WalRecord[] {
  const out: WalRecord[] = [];
  let crc = seed;
  for (const [isCrc, rec] of slots) {
    // A crc record is always followed by a record it seeds, as a segment's head is.
    if (isCrc) out.push({ type: 'crc', crc });
    out.push(rec);
    crc = encodeRecords([rec], crc).crc;
  }
  return out;
}

describe('crc32c', () => {
  it('matches the standard check value and chains like Go crc32.Update', () => {
    const digits = new TextEncoder().encode('123456789');
    expect(crc32c(digits)).toBe(0xe3069283);
    expect(crc32cUpdate(crc32cUpdate(0, digits.subarray(0, 4)), digits.subarray(4))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });
});

describe('wal records', () => {
  it('encode then decode gives back the same records, the same running CRC, and a clean end', () => {
    fc.assert(
      fc.property(recordSlots, fc.integer({ min: 0, max: 0xffffffff }), (slots, seed) => {
        const records = chained(slots, seed);
        const { bytes, crc } = encodeRecords(records, seed);
        expect(bytes.length % 8).toBe(0);
        const res = decodeRecords(bytes, seed);
        expect(res.stop).toEqual({ kind: 'end' });
        expect(res.records.map((r) => r.record)).toEqual(records);
        expect(res.crc).toBe(crc);
        expect(res.validEnd).toBe(bytes.length);
      }),
      { numRuns: 150 },
    );
  });

  it('a bit flip anywhere is detected as corruption, and no record before it is altered', () => {
    fc.assert(
      fc.property(recordSlots, fc.nat(), fc.integer({ min: 0, max: 7 }), (slots, at, bit) => {
        const records = chained(slots, 0);
        const { bytes } = encodeRecords(records, 0);
        const flipped = bytes.slice();
        const byte = at % bytes.length;
        flipped[byte] = (flipped[byte] as number) ^ (1 << bit);
        const res = decodeRecords(flipped, 0);
        expect(res.stop.kind).toBe('corrupt');
        // The damage is found in the frame that holds it, or — a flipped crc record seeds the chain
        // wrongly — in the frame right after it; every record before the damaged frame is intact.
        const hit = frameIndexAt(bytes, byte);
        expect(res.records.length === hit || (res.records.length === hit + 1 && records[hit]?.type === 'crc')).toBe(true);
        res.records.slice(0, hit).forEach((r, i) => expect(r.record).toEqual(records[i]));
      }),
      { numRuns: 200 },
    );
  });

  it('a cut inside a frame is a torn tail at that frame; a cut on a boundary is a clean end', () => {
    fc.assert(
      fc.property(recordSlots, fc.nat(), (slots, cutSeed) => {
        const records = chained(slots, 0);
        const { bytes } = encodeRecords(records, 0);
        const cut = cutSeed % (bytes.length + 1);
        const res = decodeRecords(bytes.subarray(0, cut), 0);
        const whole = frameEnds(bytes).filter((e) => e <= cut);
        expect(res.records.map((r) => r.record)).toEqual(records.slice(0, whole.length));
        const boundary = cut === 0 || whole[whole.length - 1] === cut;
        expect(res.stop.kind).toBe(boundary ? 'end' : 'torn');
        expect(res.validEnd).toBe(whole[whole.length - 1] ?? 0);
      }),
      { numRuns: 200 },
    );
  });

  it('zeros after the last frame read as a torn tail (space never written), not as records', () => {
    const { bytes } = encodeRecords([{ type: 'crc', crc: 0 }, { type: 'state', hardState: { term: 1 as Term, vote: 0 as NodeId, commit: 0 as LogIndex } }], 0);
    const padded = new Uint8Array(bytes.length + 512);
    padded.set(bytes);
    const res = decodeRecords(padded, 0);
    expect(res.records).toHaveLength(2);
    expect(res.stop).toMatchObject({ kind: 'torn', offset: bytes.length, reason: 'zero-filled tail' });
  });

  it('zeros where frames should begin, then a later write: torn at the gap, every record before it intact', () => {
    // What sim/disk's crash leaves: pending frames discarded (zeros), a later write kept in part.
    fc.assert(
      fc.property(recordSlots, fc.nat(), fc.nat(), fc.nat(), (slots, aSeed, bSeed, keepSeed) => {
        const records = chained(slots, 0);
        const ends = [0, ...frameEnds(encodeRecords(records, 0).bytes)];
        const a = aSeed % ends.length;
        const b = a + 1 + (bSeed % (ends.length - a)); // at least one frame discarded
        const { bytes } = encodeRecords(records, 0);
        const aEnd = ends[a] as number;
        const bEnd = ends[Math.min(b, ends.length - 1)] as number;
        const keep = bytes.length - bEnd === 0 ? 0 : 1 + (keepSeed % (bytes.length - bEnd));
        const torn = new Uint8Array(bEnd + keep);
        torn.set(bytes.subarray(0, aEnd));
        torn.set(bytes.subarray(bEnd, bEnd + keep), bEnd);
        const res = decodeRecords(torn, 0);
        expect(res.records.map((r) => r.record)).toEqual(records.slice(0, a));
        expect(res.validEnd).toBe(aEnd);
        if (torn.length > aEnd) expect(res.stop).toMatchObject({ kind: 'torn', offset: aEnd });
      }),
      { numRuns: 150 },
    );
  });

  it('a whole frame with an all-zero sector inside is torn (etcd isTornEntry); a flipped bit in it is corruption', () => {
    const head = encodeRecords([{ type: 'crc', crc: 0 }, { type: 'state', hardState: { term: 1 as Term, vote: 0 as NodeId, commit: 0 as LogIndex } }], 0);
    const big: WalRecord = { type: 'entry', entry: { term: 1 as Term, index: 1 as LogIndex, type: 'normal', data: new Uint8Array(1500).fill(7) } };
    const { bytes: tail } = encodeRecords([big], head.crc);
    const bytes = new Uint8Array(head.bytes.length + tail.length);
    bytes.set(head.bytes);
    bytes.set(tail, head.bytes.length);
    const at = head.bytes.length;
    // Each whole sector inside the frame, left unwritten.
    for (let s = 512; s + 512 <= bytes.length; s += 512) {
      const zeroed = bytes.slice();
      zeroed.fill(0, s, s + 512);
      const res = decodeRecords(zeroed, 0);
      expect(res.records).toHaveLength(2);
      expect(res.stop).toMatchObject({ kind: 'torn', offset: at });
      expect(res.stop.kind === 'torn' && res.stop.reason).toContain(`sector at ${s} is all zeros`);
    }
    // A zero run that is not a whole sector says nothing: corruption.
    const short = bytes.slice();
    short.fill(0, 600, 1100);
    expect(decodeRecords(short, 0).stop).toMatchObject({ kind: 'corrupt', offset: at });
    for (const byte of [at + 3, at + 9, at + 700, bytes.length - 1]) {
      const flipped = bytes.slice();
      flipped[byte] = (flipped[byte] as number) ^ 0x10;
      expect(decodeRecords(flipped, 0).stop).toMatchObject({ kind: 'corrupt', offset: at });
    }
  });

  it('the residue shared with etcd: a flipped bit in a record whose own data holds a whole zero sector reads as torn', () => {
    const zeros: WalRecord = { type: 'entry', entry: { term: 1 as Term, index: 1 as LogIndex, type: 'normal', data: new Uint8Array(1100) } };
    const { bytes } = encodeRecords([{ type: 'crc', crc: 0 }, zeros], 0);
    const flipped = bytes.slice();
    flipped[40] = (flipped[40] as number) ^ 1; // in the data, before its zero sectors
    expect(decodeRecords(flipped, 0).stop).toMatchObject({ kind: 'torn', offset: 16 });
  });
});

/** End offsets of the frames of a valid encoding, in order. */
function frameEnds(bytes: Uint8Array): number[] {
  return decodeRecords(bytes, 0).records.map((r) => r.end);
}

function frameIndexAt(bytes: Uint8Array, byte: number): number {
  return frameEnds(bytes).findIndex((end) => byte < end);
}
