/**
 * The WAL encoder writes every frame in place into one reusable buffer (wal-record.ts
 * `appendRecords`, codec.ts ByteWriter without a DataView). The bytes on the simulated disk feed
 * torn writes, bit flips and the trace, so they must be exactly what the straightforward encoder
 * wrote: this pins them to a reference built the plain way (a DataView per field, a fresh array
 * per record, the byte-wise CRC).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConfState, EntryType } from '../core/types.js';
import { ByteWriter } from './codec.js';
import type { WalRecord } from './wal-record.js';
import { appendRecords, appendSaveRecords, encodeRecords } from './wal-record.js';
import { u53, walArbitraries } from '../testing/wal-arbitraries.js';

function crcBytewise(crc: number, bytes: Uint8Array): number {
  let c = ~crc >>> 0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

/** Little-endian fields through a DataView, as the encoder wrote them before. */
class RefWriter {
  readonly parts: number[] = [];
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u32(v: number): this {
    const d = new DataView(new ArrayBuffer(4));
    d.setUint32(0, v >>> 0, true);
    for (let i = 0; i < 4; i++) this.parts.push(d.getUint8(i));
    return this;
  }
  u64(v: number): this {
    return this.u32(v % 0x1_0000_0000).u32(Math.floor(v / 0x1_0000_0000));
  }
  ids(ids: readonly number[]): this {
    this.u32(ids.length);
    for (const id of ids) this.u64(id);
    return this;
  }
  confState(cs: ConfState): this {
    return this.ids(cs.voters).ids(cs.learners).ids(cs.votersOutgoing).ids(cs.learnersNext).u8(cs.autoLeave ? 1 : 0);
  }
}

const ENTRY_TYPES: readonly EntryType[] = ['normal', 'conf-change', 'conf-change-v2'];
const CODES = { metadata: 1, entry: 2, state: 3, crc: 4, snapshot: 5 } as const;

function refData(rec: WalRecord): Uint8Array {
  const w = new RefWriter();
  switch (rec.type) {
    case 'metadata':
      w.u64(rec.metadata.nodeId).u64(rec.metadata.clusterId).ids(rec.metadata.peers).u8(rec.metadata.bootstrap ? 1 : 0);
      break;
    case 'entry':
      w.u64(rec.entry.term).u64(rec.entry.index).u8(ENTRY_TYPES.indexOf(rec.entry.type)).u32(rec.entry.data.length);
      for (const b of rec.entry.data) w.u8(b);
      break;
    case 'state':
      w.u64(rec.hardState.term).u64(rec.hardState.vote).u64(rec.hardState.commit);
      break;
    case 'crc':
      break;
    case 'snapshot':
      w.u64(rec.snapshot.index).u64(rec.snapshot.term).confState(rec.snapshot.confState);
      break;
  }
  return Uint8Array.from(w.parts);
}

function refEncode(records: readonly WalRecord[], prevCrc: number): { bytes: Uint8Array; crc: number } {
  const out: number[] = [];
  let crc = prevCrc >>> 0;
  for (const rec of records) {
    const data = refData(rec);
    const payload = 4 + data.length;
    const pad = (8 - (payload % 8)) % 8;
    const recCrc = rec.type === 'crc' ? rec.crc >>> 0 : crcBytewise(crc, data);
    if (rec.type !== 'crc') crc = recCrc;
    const head = new RefWriter().u32(payload).u8(CODES[rec.type]).u8(pad).parts;
    const check = crcBytewise(0, Uint8Array.from(head)) & 0xffff;
    out.push(...head, check & 0xff, check >>> 8, ...new RefWriter().u32(recCrc).parts, ...data, ...new Array<number>(pad).fill(0));
  }
  return { bytes: Uint8Array.from(out), crc };
}

const { entry, hardState, plainRecord } = walArbitraries({ maxData: 600, number: u53 });
const record: fc.Arbitrary<WalRecord> = fc.oneof(plainRecord, fc.record({ type: fc.constant('crc' as const), crc: fc.integer({ min: 0, max: 0xffffffff }) }));
const batch = fc.array(record, { maxLength: 8 });
const crcSeed = fc.integer({ min: 0, max: 0xffffffff });

describe('wal encoding', () => {
  it('encodeRecords writes the reference bytes and running CRC', () => {
    fc.assert(
      fc.property(batch, crcSeed, (records, seed) => {
        const got = encodeRecords(records, seed);
        const want = refEncode(records, seed);
        expect(got.crc).toBe(want.crc);
        expect(Array.from(got.bytes)).toEqual(Array.from(want.bytes));
      }),
      { numRuns: 300 },
    );
  });

  it("appendSaveRecords writes a save's records (entries, then the hard state if any) as the reference does, after earlier frames", () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), fc.option(hardState, { nil: null }), batch, crcSeed, (entries, hs, before, seed) => {
        const records: WalRecord[] = [...before, ...entries.map((e): WalRecord => ({ type: 'entry', entry: e }))];
        if (hs !== null) records.push({ type: 'state', hardState: hs });
        const want = refEncode(records, seed);
        const w = new ByteWriter(8);
        w.u64(Number.MAX_SAFE_INTEGER).reset();
        const crc = appendSaveRecords(w, entries, hs, appendRecords(w, before, seed));
        expect(crc).toBe(want.crc);
        expect(Array.from(w.finish())).toEqual(Array.from(want.bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('one reused writer gives every batch the bytes a fresh one would (old bytes never leak into zeros or padding)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(batch, crcSeed), { minLength: 1, maxLength: 6 }), (batches) => {
        // Small, so batches grow it; dirty from the start, so a skipped zero would show.
        const w = new ByteWriter(8);
        for (const [records, seed] of batches) {
          w.reset().u64(Number.MAX_SAFE_INTEGER).reset();
          const crc = appendRecords(w, records, seed);
          const want = refEncode(records, seed);
          expect(crc).toBe(want.crc);
          expect(Array.from(w.finish())).toEqual(Array.from(want.bytes));
          w.reset();
          for (let i = 0; i < 64; i++) w.u8(0xff);
        }
      }),
      { numRuns: 200 },
    );
  });
});
