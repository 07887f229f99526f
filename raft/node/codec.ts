/**
 * Bytes of the raft data the node writes to disk: entries, hard states, conf states, snapshots.
 * The WAL (wal-record.ts) and the snapshot files (snapshotter.ts) frame and checksum these; this
 * file only says how each value is laid out, as etcd's `raftpb` protobufs do for etcd.
 *
 * Layout: little-endian fixed-width integers (u8, u32, u64 carried as a safe integer), byte
 * strings as a u32 length then the bytes, lists as a u32 count then the items. Fixed widths keep
 * the encoding simple to reason about when a test flips a bit or cuts a file at any byte.
 *
 * Decoding never throws: the reader records the first failure (a read past the end, a bad tag, a
 * length beyond a bound) and every decoder returns null then. By the time a decoder runs on WAL
 * data the CRC has already matched, so a null here means a bug or a checksum collision — callers
 * treat it as corruption.
 */
import { assert } from '../../sim/assert.js';
import type { ConfState, Entry, EntryType, HardState, LogIndex, NodeId, Snapshot, SnapshotMetadata, Term } from '../core/types.js';

/** The largest byte string or list a decoder accepts (a bound on what garbage can make us allocate). */
export const DECODE_LENGTH_MAX = 256 * 1024 * 1024;

const TWO_32 = 0x1_0000_0000;

/**
 * A growable buffer of little-endian fields. It writes bytes with shifts rather than through a
 * DataView: a DataView needs the array's ArrayBuffer, and asking a small (on-heap) typed array for
 * its buffer makes V8 move it off the heap — that, not the writing, was most of the cost of
 * encoding a WAL record. `reset` lets one writer (and its buffer) serve many encodings.
 */
export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(capacity = 64) {
    this.buf = new Uint8Array(Math.max(8, capacity));
  }

  get length(): number {
    return this.len;
  }

  /** The underlying array, whose `[0, length)` was written (valid until the next write grows it). */
  get array(): Uint8Array {
    return this.buf;
  }

  /** Forgets what was written (the buffer is kept, to be written over). */
  reset(): this {
    this.len = 0;
    return this;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.putU32(this.len, v);
    this.len += 4;
    return this;
  }

  /** A non-negative safe integer in 8 bytes. */
  u64(v: number): this {
    this.ensure(8);
    this.putU32(this.len, v % TWO_32);
    this.putU32(this.len + 4, Math.floor(v / TWO_32));
    this.len += 8;
    return this;
  }

  /** A length-prefixed byte string. */
  bytes(b: Uint8Array): this {
    this.u32(b.length);
    return this.raw(b);
  }

  raw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** `n` zero bytes (a reused buffer holds old bytes: they are cleared, not skipped). */
  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.len, this.len + n);
    this.len += n;
    return this;
  }

  ids(ids: readonly number[]): this {
    this.u32(ids.length);
    for (const id of ids) this.u64(id);
    return this;
  }

  /** Overwrites the u8 at `at` (already written), e.g. a header filled in once its body is known. */
  setU8(at: number, v: number): void {
    assert(at + 1 <= this.len, 'codec: setU8 past the written bytes');
    this.buf[at] = v & 0xff;
  }

  /** Overwrites the little-endian u16 at `at` (already written). */
  setU16(at: number, v: number): void {
    assert(at + 2 <= this.len, 'codec: setU16 past the written bytes');
    this.buf[at] = v & 0xff;
    this.buf[at + 1] = (v >>> 8) & 0xff;
  }

  /** Overwrites the little-endian u32 at `at` (already written). */
  setU32(at: number, v: number): void {
    assert(at + 4 <= this.len, 'codec: setU32 past the written bytes');
    this.putU32(at, v);
  }

  /** The bytes written (a view: do not write again afterwards). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** `v >>> 0` little-endian at `at`, as DataView.setUint32(at, v >>> 0, true) writes it. */
  private putU32(at: number, v: number): void {
    const u = v >>> 0;
    const b = this.buf;
    b[at] = u & 0xff;
    b[at + 1] = (u >>> 8) & 0xff;
    b[at + 2] = (u >>> 16) & 0xff;
    b[at + 3] = u >>> 24;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    // The whole old array (it fits): a subarray would make V8 move a small one off the heap.
    next.set(this.buf);
    this.buf = next;
  }
}

/** Reads what ByteWriter wrote; the first failure is kept in `error` and later reads return 0. */
export class ByteReader {
  private at = 0;
  private readonly view: DataView;
  error: string | null = null;

  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  get ok(): boolean {
    return this.error === null;
  }

  /** True when everything was read and nothing failed. */
  done(): boolean {
    return this.error === null && this.at === this.data.length;
  }

  u8(): number {
    if (!this.need(1)) return 0;
    return this.data[this.at++] as number;
  }

  u32(): number {
    if (!this.need(4)) return 0;
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }

  u64(): number {
    if (!this.need(8)) return 0;
    const lo = this.view.getUint32(this.at, true);
    const hi = this.view.getUint32(this.at + 4, true);
    this.at += 8;
    // 2^53 / 2^32 = 2^21: anything above is not a safe integer and was never written by us.
    if (hi >= 0x20_0000) return this.fail('u64 beyond 2^53');
    return hi * TWO_32 + lo;
  }

  bytes(): Uint8Array {
    const n = this.u32();
    if (n > DECODE_LENGTH_MAX) {
      this.fail(`byte string of ${n} bytes`);
      return EMPTY;
    }
    if (!this.need(n)) return EMPTY;
    const out = this.data.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }

  ids(): number[] {
    const n = this.u32();
    // Each id takes 8 bytes: a count the remaining bytes cannot hold is garbage.
    if (n * 8 > this.data.length - this.at) {
      this.fail(`list of ${n} ids`);
      return [];
    }
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.u64());
    return out;
  }

  fail(why: string): 0 {
    if (this.error === null) this.error = `${why} at byte ${this.at}`;
    return 0;
  }

  private need(n: number): boolean {
    if (this.error !== null) return false;
    if (this.at + n > this.data.length) {
      this.fail(`read of ${n} bytes past the end (${this.data.length})`);
      return false;
    }
    return true;
  }
}

const EMPTY = new Uint8Array(0);

const ENTRY_TYPES: readonly EntryType[] = ['normal', 'conf-change', 'conf-change-v2'];

export function writeEntry(w: ByteWriter, e: Entry): void {
  w.u64(e.term).u64(e.index).u8(ENTRY_TYPES.indexOf(e.type)).bytes(e.data);
}

export function readEntry(r: ByteReader): Entry {
  const term = r.u64() as Term;
  const index = r.u64() as LogIndex;
  const t = ENTRY_TYPES[r.u8()];
  if (t === undefined) r.fail('unknown entry type');
  return { term, index, type: t ?? 'normal', data: r.bytes() };
}

export function writeHardState(w: ByteWriter, hs: HardState): void {
  w.u64(hs.term).u64(hs.vote).u64(hs.commit);
}

export function readHardState(r: ByteReader): HardState {
  return { term: r.u64() as Term, vote: r.u64() as NodeId, commit: r.u64() as LogIndex };
}

export function writeConfState(w: ByteWriter, cs: ConfState): void {
  w.ids(cs.voters).ids(cs.learners).ids(cs.votersOutgoing).ids(cs.learnersNext).u8(cs.autoLeave ? 1 : 0);
}

export function readConfState(r: ByteReader): ConfState {
  const voters = r.ids() as NodeId[];
  const learners = r.ids() as NodeId[];
  const votersOutgoing = r.ids() as NodeId[];
  const learnersNext = r.ids() as NodeId[];
  const flag = r.u8();
  if (flag > 1) r.fail('bad autoLeave flag');
  return { voters, learners, votersOutgoing, learnersNext, autoLeave: flag === 1 };
}

export function writeSnapshotMetadata(w: ByteWriter, m: SnapshotMetadata): void {
  w.u64(m.index).u64(m.term);
  writeConfState(w, m.confState);
}

export function readSnapshotMetadata(r: ByteReader): SnapshotMetadata {
  const index = r.u64() as LogIndex;
  const term = r.u64() as Term;
  return { index, term, confState: readConfState(r) };
}

/** A whole raft snapshot (metadata and the state machine's image), as a snapshot file holds it. */
export function encodeSnapshot(s: Snapshot): Uint8Array {
  const w = new ByteWriter(64 + s.data.length);
  writeSnapshotMetadata(w, s.metadata);
  w.bytes(s.data);
  return w.finish();
}

export function decodeSnapshot(bytes: Uint8Array): Snapshot | null {
  const r = new ByteReader(bytes);
  const metadata = readSnapshotMetadata(r);
  const data = r.bytes();
  return r.done() ? { metadata, data } : null;
}
