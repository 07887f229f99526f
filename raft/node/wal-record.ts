/**
 * WAL records and their framing on disk (etcd's `wal/encoder.go`, `decoder.go`, `walpb.Record`).
 * Pure functions: bytes in, bytes or records out; the disk-backed WAL is wal.ts.
 *
 * **Record kinds** (etcd's numbers): metadata = 1 (node id, cluster id, and here also the initial
 * peers, so a node that crashed before its first save can bootstrap again), entry = 2, hard
 * state = 3, crc = 4 (the running checksum carried into a new segment), snapshot = 5 (index,
 * term, conf state of a snapshot file written before the record).
 *
 * **Frame** — a multiple of 8 bytes, so a frame's header never straddles a sector boundary and is
 * never torn (etcd pads for the same reason):
 *
 *     0  u32  payload bytes (4 + data length)
 *     4  u8   record kind
 *     5  u8   pad bytes after the payload (0..7)
 *     6  u16  header check: low 16 bits of CRC-32C over bytes 0..5
 *     8  u32  record CRC
 *    12  ...  data, then `pad` zero bytes
 *
 * The header check is ours, not etcd's: etcd's length field has no checksum, so a flipped length
 * bit in the last segment reads as "the record runs past the end of the file" — a torn tail — and
 * the repair truncates fsynced records. With the check, a damaged header is corruption, and only
 * a frame whose intact header promises more bytes than the file holds is a torn tail.
 *
 * **CRC chaining**: a record's CRC is CRC-32C over the data of every record since the last crc
 * record (seeded by its value), so a record cannot be dropped, reordered or replaced without the
 * chain noticing. A crc record stores the running value it continues from; reading one that does
 * not equal the decoder's running value (unless the decoder starts fresh at 0) is corruption.
 *
 * **What a decode stops at**: `end` (the bytes end exactly after a frame), `torn` (the signature
 * of writes a crash left unfinished, below), or `corrupt` (a header or record checksum mismatch,
 * an unknown kind, bad padding, a CRC record that breaks the chain, with no sign of unwritten
 * space). Whether a torn stop may be repaired is the reader's call: only in the last segment
 * (wal-replay.ts).
 *
 * **The torn signature** — what unsynced writes look like after a crash. A crash discards the
 * pending writes and may persist a sector-aligned prefix of the last one (sim/disk.ts); a real
 * disk may also persist a later write, or a later sector, before an earlier one. Unwritten space
 * reads as zeros (etcd preallocates segments with zeros for this), so the stop is torn when:
 * - *a zero frame header*: the 8 bytes where the next frame should begin are all zero. No written
 *   header is (its payload length is ≥ 4 and its kind ≥ 1, and one flipped bit cannot clear two),
 *   so this is space never written — whatever follows it is a later write that reached the disk
 *   while an earlier one did not (etcd: a zero length field is the end of the data);
 * - *a partial frame*: an intact header promises more bytes than the segment holds;
 * - *an all-zero sector inside a frame* (etcd's `isTornEntry`, adapted): an intact header, the
 *   frame's bytes all present, its record fails to check — and some whole 512-byte sector (at a
 *   file offset multiple of 512) within the frame is all zeros. etcd also counts a partial chunk
 *   at the frame's edges; our records hold many zero bytes (small u64s), so a short zero chunk
 *   says nothing and only a whole sector counts.
 * Anything else — a flipped bit in a written header or record — is corruption: the node refuses
 * to start. The one residue, shared with etcd: a bit flip in a record whose own data holds a
 * whole aligned zero sector (512 zero bytes in a row at least) reads as torn.
 */
import { assert } from '../../sim/assert.js';
import type { ConfState, Entry, HardState, LogIndex, NodeId, Term } from '../core/types.js';
import { ByteReader, ByteWriter, readConfState, readEntry, readHardState, writeConfState, writeEntry, writeHardState } from './codec.js';
import { crc32cUpdate } from './crc32c.js';

/** What a WAL belongs to; every segment repeats it, and they must all agree. */
export interface WalMetadata {
  readonly nodeId: NodeId;
  readonly clusterId: number;
  /** The members given at creation: the peers of a brand-new cluster, or the ones a joiner knows. */
  readonly peers: readonly NodeId[];
  /** Whether the node bootstraps a new cluster from `peers` (else it joins and learns the config). */
  readonly bootstrap: boolean;
}

/** A snapshot as the WAL records it (etcd's `walpb.Snapshot`): which snapshot file replay starts from. */
export interface WalSnapshot {
  readonly index: LogIndex;
  readonly term: Term;
  readonly confState: ConfState;
}

export type WalRecord =
  | { readonly type: 'metadata'; readonly metadata: WalMetadata }
  | { readonly type: 'entry'; readonly entry: Entry }
  | { readonly type: 'state'; readonly hardState: HardState }
  | { readonly type: 'crc'; readonly crc: number }
  | { readonly type: 'snapshot'; readonly snapshot: WalSnapshot };

export type WalRecordType = WalRecord['type'];

const TYPE_CODE: Record<WalRecordType, number> = { metadata: 1, entry: 2, state: 3, crc: 4, snapshot: 5 };
const CODE_TYPE: readonly (WalRecordType | undefined)[] = [undefined, 'metadata', 'entry', 'state', 'crc', 'snapshot'];

export const FRAME_HEADER_BYTES = 8;
const RECORD_CRC_BYTES = 4;
/** The largest record payload accepted (etcd caps a WAL entry at 10 MB; snapshots are not in the WAL). */
export const RECORD_PAYLOAD_MAX_BYTES = 64 * 1024 * 1024;

/** The data bytes of a record (what its CRC covers). */
export function encodeRecordData(rec: WalRecord): Uint8Array {
  const w = new ByteWriter(rec.type === 'entry' ? 32 + rec.entry.data.length : 64);
  writeRecordData(w, rec);
  return w.finish();
}

function writeRecordData(w: ByteWriter, rec: WalRecord): void {
  switch (rec.type) {
    case 'metadata':
      w.u64(rec.metadata.nodeId).u64(rec.metadata.clusterId).ids(rec.metadata.peers).u8(rec.metadata.bootstrap ? 1 : 0);
      break;
    case 'entry':
      writeEntry(w, rec.entry);
      break;
    case 'state':
      writeHardState(w, rec.hardState);
      break;
    case 'crc':
      break;
    case 'snapshot':
      w.u64(rec.snapshot.index).u64(rec.snapshot.term);
      writeConfState(w, rec.snapshot.confState);
      break;
  }
}

/** The record of kind `type` held in `data`, or null when the bytes do not decode. */
export function decodeRecordData(type: WalRecordType, data: Uint8Array, crc: number): WalRecord | null {
  const r = new ByteReader(data);
  let rec: WalRecord;
  switch (type) {
    case 'metadata': {
      const nodeId = r.u64() as NodeId;
      const clusterId = r.u64();
      const peers = r.ids() as NodeId[];
      const flag = r.u8();
      if (flag > 1) r.fail('bad bootstrap flag');
      rec = { type, metadata: { nodeId, clusterId, peers, bootstrap: flag === 1 } };
      break;
    }
    case 'entry':
      rec = { type, entry: readEntry(r) };
      break;
    case 'state':
      rec = { type, hardState: readHardState(r) };
      break;
    case 'crc':
      rec = { type, crc };
      break;
    case 'snapshot': {
      const index = r.u64() as LogIndex;
      const term = r.u64() as Term;
      rec = { type, snapshot: { index, term, confState: readConfState(r) } };
      break;
    }
  }
  return r.done() ? rec : null;
}

function padBytes(payloadBytes: number): number {
  return (8 - (payloadBytes % 8)) % 8;
}

function headerCheck(bytes: Uint8Array, at: number): number {
  return crc32cUpdate(0, bytes, at, at + 6) & 0xffff;
}

/**
 * Frames `records` after a chain whose running CRC is `prevCrc`. Returns the bytes (a multiple of
 * 8) and the running CRC after them, to pass to the next call.
 */
export function encodeRecords(records: readonly WalRecord[], prevCrc: number): { readonly bytes: Uint8Array; readonly crc: number } {
  let estimate = 0;
  for (const rec of records) estimate += 64 + (rec.type === 'entry' ? rec.entry.data.length : 0);
  const w = new ByteWriter(estimate);
  const crc = appendRecords(w, records, prevCrc);
  return { bytes: w.finish(), crc };
}

/**
 * Frames `records` after what `w` holds (which must end on a frame boundary), continuing a chain
 * whose running CRC is `prevCrc`; returns the running CRC after them. Each record's data is written
 * in place after a placeholder header, which is filled in once the data's length is known — one
 * buffer for the whole batch (a writer the WAL reuses), no per-record arrays.
 */
export function appendRecords(w: ByteWriter, records: readonly WalRecord[], prevCrc: number): number {
  let crc = prevCrc >>> 0;
  for (const rec of records) {
    const at = beginFrame(w);
    writeRecordData(w, rec);
    // A crc record stores the value it continues from; any other record extends the chain.
    if (rec.type === 'crc') endFrame(w, at, rec.type, rec.crc >>> 0, false);
    else crc = endFrame(w, at, rec.type, crc, true);
  }
  return crc;
}

/**
 * `appendRecords` of a save's records — one entry record per entry, then a state record if
 * `hardState` is given — written straight from the entries, without building the records (a save
 * per Ready on every member). The same bytes and CRC (pinned by a test).
 */
export function appendSaveRecords(w: ByteWriter, entries: readonly Entry[], hardState: HardState | null, prevCrc: number): number {
  let crc = prevCrc >>> 0;
  for (const entry of entries) {
    const at = beginFrame(w);
    writeEntry(w, entry);
    crc = endFrame(w, at, 'entry', crc, true);
  }
  if (hardState !== null) {
    const at = beginFrame(w);
    writeHardState(w, hardState);
    crc = endFrame(w, at, 'state', crc, true);
  }
  return crc;
}

/** Reserves a frame's header and record CRC at the end of `w`; returns where the frame starts. */
function beginFrame(w: ByteWriter): number {
  const at = w.length;
  w.zeros(FRAME_HEADER_BYTES + RECORD_CRC_BYTES);
  return at;
}

/**
 * Closes the frame begun at `at`, whose data was written after it: pads it and fills in its header.
 * The record's CRC is `crc` extended over the data when `extend`, else `crc` as is (a crc record);
 * returns it.
 */
function endFrame(w: ByteWriter, at: number, type: WalRecordType, crc: number, extend: boolean): number {
  const dataStart = at + FRAME_HEADER_BYTES + RECORD_CRC_BYTES;
  const payload = w.length - at - FRAME_HEADER_BYTES;
  if (payload > RECORD_PAYLOAD_MAX_BYTES) assert(false, `wal: a ${type} record of ${payload} bytes exceeds ${RECORD_PAYLOAD_MAX_BYTES}`);
  const pad = padBytes(payload);
  const recCrc = extend ? crc32cUpdate(crc, w.array, dataStart, w.length) : crc;
  w.zeros(pad);
  w.setU32(at, payload);
  w.setU8(at + 4, TYPE_CODE[type]);
  w.setU8(at + 5, pad);
  w.setU16(at + 6, headerCheck(w.array, at));
  w.setU32(at + 8, recCrc);
  return recCrc;
}

export interface DecodedRecord {
  readonly record: WalRecord;
  /** Where its frame starts and ends in the decoded bytes. */
  readonly offset: number;
  readonly end: number;
}

export type DecodeStop =
  | { readonly kind: 'end' }
  | { readonly kind: 'torn'; readonly offset: number; readonly reason: string }
  | { readonly kind: 'corrupt'; readonly offset: number; readonly reason: string };

export interface DecodeResult {
  readonly records: readonly DecodedRecord[];
  /** Offset just after the last valid frame: where a repair truncates, and where appends go. */
  readonly validEnd: number;
  /** The running CRC after the last valid record. */
  readonly crc: number;
  readonly stop: DecodeStop;
}

/**
 * Decodes frames from `bytes` (one segment's contents), continuing a chain whose running CRC is
 * `startCrc` (0: a fresh decoder, which takes the first crc record's value as is).
 */
export function decodeRecords(bytes: Uint8Array, startCrc: number): DecodeResult {
  const records: DecodedRecord[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let crc = startCrc >>> 0;
  let at = 0;
  // Each frame is at least 16 bytes, so this bounds the loop by the input.
  while (at < bytes.length) {
    const frame = readFrame(bytes, view, at, crc);
    if (frame.kind !== 'record') return { records, validEnd: at, crc, stop: frame };
    records.push({ record: frame.record, offset: at, end: frame.end });
    crc = frame.crc;
    at = frame.end;
  }
  return { records, validEnd: at, crc, stop: { kind: 'end' } };
}

type Frame = { readonly kind: 'record'; readonly record: WalRecord; readonly end: number; readonly crc: number } | Exclude<DecodeStop, { kind: 'end' }>;

function readFrame(bytes: Uint8Array, view: DataView, at: number, crc: number): Frame {
  const remaining = bytes.length - at;
  const torn = (reason: string): Frame => ({ kind: 'torn', offset: at, reason });
  const corrupt = (reason: string): Frame => ({ kind: 'corrupt', offset: at, reason });
  if (remaining < FRAME_HEADER_BYTES) return torn(allZero(bytes, at, bytes.length) ? 'zero-filled tail' : `partial frame header (${remaining} bytes)`);
  if (allZero(bytes, at, at + FRAME_HEADER_BYTES)) return torn(unwrittenSpace(bytes, at));
  if (view.getUint16(at + 6, true) !== headerCheck(bytes, at)) return corrupt('frame header checksum mismatch');
  const payload = view.getUint32(at, true);
  const type = CODE_TYPE[bytes[at + 4] as number];
  const pad = bytes[at + 5] as number;
  if (type === undefined) return corrupt(`unknown record kind ${bytes[at + 4]}`);
  if (payload < RECORD_CRC_BYTES || payload > RECORD_PAYLOAD_MAX_BYTES || pad !== padBytes(payload)) return corrupt(`bad frame length ${payload} (pad ${pad})`);
  const end = at + FRAME_HEADER_BYTES + payload + pad;
  if (end > bytes.length) return torn(`partial record: frame of ${end - at} bytes, ${remaining} present`);
  const frame = readRecord(bytes, view, at, end, type, crc);
  if (frame.kind !== 'damaged') return frame;
  // The header is intact and the frame whole, yet its contents do not check: torn only if part
  // of it was never written (a zero sector), else a flipped bit.
  const zeroSector = zeroSectorWithin(bytes, at, end);
  return zeroSector < 0 ? corrupt(frame.reason) : torn(`${frame.reason}, and the sector at ${zeroSector} is all zeros (never written)`);
}

/** The record of a whole frame whose header checked, or why its contents do not check. */
function readRecord(bytes: Uint8Array, view: DataView, at: number, end: number, type: WalRecordType, crc: number): Frame | { readonly kind: 'damaged'; readonly reason: string } {
  const damaged = (reason: string) => ({ kind: 'damaged', reason }) as const;
  const payload = view.getUint32(at, true);
  const dataStart = at + FRAME_HEADER_BYTES + RECORD_CRC_BYTES;
  const dataEnd = at + FRAME_HEADER_BYTES + payload;
  for (let i = dataEnd; i < end; i++) if (bytes[i] !== 0) return damaged('non-zero padding');
  const stored = view.getUint32(at + 8, true);
  if (type === 'crc') {
    if (payload !== RECORD_CRC_BYTES) return damaged('crc record with data');
    if (crc !== 0 && stored !== crc) return damaged(`crc record ${hex(stored)} does not continue the chain (running ${hex(crc)})`);
    return { kind: 'record', record: { type, crc: stored }, end, crc: stored };
  }
  const next = crc32cUpdate(crc, bytes, dataStart, dataEnd);
  if (next !== stored) return damaged(`record checksum mismatch (stored ${hex(stored)}, computed ${hex(next)})`);
  const record = decodeRecordData(type, bytes.subarray(dataStart, dataEnd), stored);
  if (record === null) return damaged(`undecodable ${type} record`);
  return { kind: 'record', record, end, crc: next };
}

/** etcd's minSectorSize: the unit a disk writes whole, and in which unwritten space shows as zeros. */
export const WAL_SECTOR_BYTES = 512;

/** Why the zero header at `at` is a torn tail: zeros to the end, or zeros then a later write. */
function unwrittenSpace(bytes: Uint8Array, at: number): string {
  let zeros = FRAME_HEADER_BYTES;
  while (at + zeros < bytes.length && bytes[at + zeros] === 0) zeros++;
  if (at + zeros === bytes.length) return 'zero-filled tail';
  // Frames are 8-aligned, so the gap is too; a later frame's header may begin with a zero byte.
  const gap = zeros - (zeros % 8);
  return `zero frame header: ${gap} bytes never written, then ${bytes.length - at - gap} bytes of a later write (pending writes lost in a crash)`;
}

/** The offset of the first whole sector in [from, to) that is all zeros, or -1. */
function zeroSectorWithin(bytes: Uint8Array, from: number, to: number): number {
  const first = Math.ceil(from / WAL_SECTOR_BYTES) * WAL_SECTOR_BYTES;
  for (let s = first; s + WAL_SECTOR_BYTES <= to; s += WAL_SECTOR_BYTES) if (allZero(bytes, s, s + WAL_SECTOR_BYTES)) return s;
  return -1;
}

function allZero(bytes: Uint8Array, from: number, to: number): boolean {
  assert(to <= bytes.length, 'wal: zero check past the end of the bytes');
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}
