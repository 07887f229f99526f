/**
 * Reading a WAL back (etcd's `wal.ReadAll`, `ValidSnapshotEntries`, `isValidSeq`): pure
 * functions over the segment files' bytes. wal.ts does the disk reads and the repair.
 *
 * Segments are named `<seq:016x>-<firstIndex:016x>.wal`; their sequence numbers must be
 * consecutive (older ones may have been released), and each begins with a crc record (continuing
 * the previous segment's chain) and a metadata record. The records are read in order across all
 * segments with one running CRC:
 * - a torn stop in the **last** segment, after the last record that decodes and chains, is
 *   reported for repair: the bytes from there on have the signature of writes a crash left
 *   unfinished (wal-record.ts: a zero frame header, a partial frame, a zero sector in a frame) —
 *   including pending writes discarded while a later one reached the disk;
 * - a torn stop anywhere else, or any corruption, is an error naming the file and the offset:
 *   the node must refuse to start rather than silently lose or invent records.
 *
 * Entries are replayed from a snapshot (`entriesAfter`): entries at or below its index are
 * skipped, and a later entry with an index already seen replaces it and everything after it (a
 * follower's log was truncated by a new leader, and the WAL simply appended the new suffix).
 */
import type { Entry, HardState, LogIndex, Term } from '../core/types.js';
import { EMPTY_HARD_STATE } from '../core/types.js';
import type { WalMetadata, WalSnapshot } from './wal-record.js';
import { decodeRecords } from './wal-record.js';

/** A segment file's contents, as read from disk. */
export interface SegmentFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface SegmentName {
  readonly seq: number;
  readonly firstIndex: number;
}

const SEGMENT_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;

/** `<seq:016x>-<firstIndex:016x>.wal`. */
export function segmentName(seq: number, firstIndex: number): string {
  return `${hex16(seq)}-${hex16(firstIndex)}.wal`;
}

/** The parts of a segment's name, or null when `name` is not a segment (a `.tmp`, a `.broken`). */
export function parseSegmentName(name: string): SegmentName | null {
  const m = SEGMENT_NAME.exec(name);
  if (m === null) return null;
  return { seq: Number.parseInt(m[1] as string, 16), firstIndex: Number.parseInt(m[2] as string, 16) };
}

export function hex16(n: number): string {
  return n.toString(16).padStart(16, '0');
}

/** Where the last segment stopped being readable: what a repair truncates. */
export interface TornTail {
  readonly name: string;
  /** Offset of the first byte that is not part of a valid record. */
  readonly offset: number;
  readonly reason: string;
}

/** Everything a WAL holds, read in order. */
export interface ReplayedWal {
  readonly metadata: WalMetadata;
  /** Segment names in order, with their parsed parts. */
  readonly segments: readonly (SegmentName & { readonly name: string })[];
  /** Snapshot records in the order written. */
  readonly snapshots: readonly WalSnapshot[];
  /** The last hard state record (the empty one if there is none). */
  readonly hardState: HardState;
  /** Every entry record in the order written (earlier ones may be superseded: see entriesAfter). */
  readonly entryRecords: readonly Entry[];
  /** The running CRC after the last valid record: appends continue the chain from it. */
  readonly crc: number;
  /** Bytes of the last segment that hold valid records. */
  readonly tailValidBytes: number;
  /** The index of the last entry (or snapshot) record: the next segment is named after it. */
  readonly lastWrittenIndex: number;
  /** Non-null when the last segment ends in a torn record that must be repaired before appending. */
  readonly torn: TornTail | null;
}

export type ReplayResult = { readonly ok: true; readonly wal: ReplayedWal } | { readonly ok: false; readonly error: string };

/** Reads the segments (in any order; they are sorted by name). An empty list is an error: there is no WAL. */
export function replayWal(files: readonly SegmentFile[]): ReplayResult {
  const fail = (error: string): ReplayResult => ({ ok: false, error: `wal: ${error}` });
  const named = orderSegments(files);
  if (typeof named === 'string') return fail(named);
  let metadata: WalMetadata | null = null;
  const snapshots: WalSnapshot[] = [];
  const entryRecords: Entry[] = [];
  let hardState = EMPTY_HARD_STATE;
  let crc = 0;
  let lastWrittenIndex = 0;
  let torn: TornTail | null = null;
  let tailValidBytes = 0;
  for (let i = 0; i < named.length; i++) {
    const seg = named[i] as (typeof named)[number];
    const last = i === named.length - 1;
    const res = decodeRecords(seg.bytes, crc);
    if (res.stop.kind === 'corrupt') return fail(`${seg.name} offset ${res.stop.offset}: ${res.stop.reason}`);
    if (res.stop.kind === 'torn') {
      if (!last) return fail(`${seg.name} offset ${res.stop.offset}: ${res.stop.reason} in a segment that is not the last`);
      torn = { name: seg.name, offset: res.stop.offset, reason: res.stop.reason };
    }
    const head = res.records;
    if (head[0]?.record.type !== 'crc' || head[1]?.record.type !== 'metadata') {
      return fail(`${seg.name} offset ${head[0]?.record.type === 'crc' ? (head[0]?.end ?? 0) : 0}: a segment must begin with a crc and a metadata record`);
    }
    for (const { record, offset } of head) {
      switch (record.type) {
        case 'metadata':
          if (metadata !== null && !sameMetadata(metadata, record.metadata)) return fail(`${seg.name} offset ${offset}: metadata conflicts with the first segment's`);
          metadata = record.metadata;
          break;
        case 'entry':
          entryRecords.push(record.entry);
          lastWrittenIndex = record.entry.index;
          break;
        case 'state':
          hardState = record.hardState;
          break;
        case 'snapshot':
          snapshots.push(record.snapshot);
          lastWrittenIndex = Math.max(lastWrittenIndex, record.snapshot.index);
          break;
        case 'crc':
          break;
      }
    }
    crc = res.crc;
    tailValidBytes = res.validEnd;
  }
  if (metadata === null) return fail('no metadata record');
  const segments = named.map(({ name, seq, firstIndex }) => ({ name, seq, firstIndex }));
  return { ok: true, wal: { metadata, segments, snapshots, hardState, entryRecords, crc, tailValidBytes, lastWrittenIndex, torn } };
}

function orderSegments(files: readonly SegmentFile[]): (SegmentFile & SegmentName)[] | string {
  if (files.length === 0) return 'no segments';
  const named: (SegmentFile & SegmentName)[] = [];
  for (const f of files) {
    const parsed = parseSegmentName(f.name);
    if (parsed === null) return `${f.name} is not a segment name`;
    named.push({ ...f, ...parsed });
  }
  named.sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < named.length; i++) {
    const prev = named[i - 1] as SegmentName & SegmentFile;
    const cur = named[i] as SegmentName & SegmentFile;
    if (cur.seq !== prev.seq + 1) return `segments out of sequence: ${prev.name} then ${cur.name}`;
  }
  return named;
}

function sameMetadata(a: WalMetadata, b: WalMetadata): boolean {
  return a.nodeId === b.nodeId && a.clusterId === b.clusterId && a.bootstrap === b.bootstrap && a.peers.length === b.peers.length && a.peers.every((p, i) => p === b.peers[i]);
}

/**
 * The snapshot records a restart may start from (etcd's ValidSnapshotEntries): those at or below
 * the last hard state's commit. A snapshot record whose hard state never became durable — a
 * crash right after a follower saved a received snapshot — is not one the node can stand on.
 */
export function validSnapshots(wal: ReplayedWal): WalSnapshot[] {
  return wal.snapshots.filter((s) => s.index <= wal.hardState.commit);
}

export type EntriesResult = { readonly ok: true; readonly entries: readonly Entry[] } | { readonly ok: false; readonly error: string };

/**
 * The log after the snapshot (index, term) — which the WAL must record (etcd's ErrSnapshotNotFound
 * and ErrSnapshotMismatch otherwise) — with later entries replacing earlier ones of the same index.
 */
export function entriesAfter(wal: ReplayedWal, snap: { readonly index: LogIndex; readonly term: Term }): EntriesResult {
  const rec = wal.snapshots.find((s) => s.index === snap.index);
  if (rec === undefined) return { ok: false, error: `wal: no snapshot record at index ${snap.index} (the segments before it were released?)` };
  if (rec.term !== snap.term) return { ok: false, error: `wal: snapshot record at index ${snap.index} has term ${rec.term}, the snapshot file ${snap.term}` };
  const ents: Entry[] = [];
  for (const e of wal.entryRecords) {
    if (e.index <= snap.index) continue;
    const up = e.index - snap.index - 1;
    if (up > ents.length) return { ok: false, error: `wal: entry ${e.index} follows entry ${snap.index + ents.length}: a gap in the log` };
    ents.length = up;
    ents.push(e);
  }
  return { ok: true, entries: ents };
}
