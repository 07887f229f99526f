/**
 * The write-ahead log on a host's simulated disk (etcd's `server/storage/wal`): segment files of
 * CRC-chained records (wal-record.ts), appended by the node's Ready loop and read back at restart
 * (wal-replay.ts).
 *
 * - **Create** (`createWal`): the first segment `0000000000000000-0000000000000000.wal` is written
 *   as a temporary file — crc(0), metadata, snapshot{0, 0} — fsynced, renamed into place and the
 *   directory fsynced: a crash during creation leaves no half-WAL, only a `.tmp` that open removes.
 * - **Save** (`save`): entries then the hard state, in one append (one write that a crash may
 *   tear), fsynced when the Ready says mustSync. When the tail reaches `segmentBytes` it is cut:
 *   fsync the tail; write the next segment as a temporary file beginning crc (continuing the
 *   chain), metadata, the last hard state; fsync; rename; fsync the directory.
 * - **Snapshot record** (`saveSnapshot`): always fsynced (with it, every earlier record of the
 *   tail, in particular the hard state whose commit covers the snapshot).
 * - **Release** (`releaseTo`): segments entirely below a snapshot are removed, as etcd's
 *   ReleaseLockTo + purge: the segment that may hold the snapshot's index and every later one stay.
 *   The caller releases only once the snapshot's record and a hard state covering it are durable.
 * - **Open** (`openWal`): reads every segment; a torn tail in the last segment (the signature of
 *   unsynced writes a crash cut short, wal-record.ts) is repaired by copying the segment to
 *   `<name>.broken` and truncating it to its last valid record (then fsync) — the truncation also
 *   drops whatever a later write left past a gap of never-written zeros, as etcd zeroes the space
 *   after the last valid record; any other damage is refused with the file and offset (never a
 *   silent repair).
 *
 * `unsafeNoFsync` skips every fsync and directory fsync (etcd's `--unsafe-no-fsync`): what a
 * crash then loses is the experiment.
 *
 * Every call returns a DiskOutcome: the summed latency of its disk operations and, on the first
 * failure (EIO, ENOSPC), the error — the node fail-stops on it, as etcd panics.
 */
import { assert } from '../../sim/assert.js';
import type { Disk } from '../../sim/disk.js';
import type { Fields } from '../../sim/trace.js';
import type { Entry, HardState, LogIndex, Term } from '../core/types.js';
import { EMPTY_CONF_STATE } from '../core/types.js';
import { ByteWriter } from './codec.js';
import type { DiskOutcome } from './disk-ops.js';
import { DiskRun, readFile, removeIfExists } from './disk-ops.js';
import type { WalMetadata, WalRecord, WalSnapshot } from './wal-record.js';
import { appendRecords, appendSaveRecords, encodeRecords } from './wal-record.js';
import type { ReplayedWal, SegmentFile } from './wal-replay.js';
import { parseSegmentName, replayWal, segmentName } from './wal-replay.js';

export interface WalOptions {
  /** The directory of the segments, e.g. `member/wal`. */
  readonly dir: string;
  /** Cut a new segment once the tail holds at least this many bytes. */
  readonly segmentBytes: number;
  /** Skip every fsync (etcd's --unsafe-no-fsync). */
  readonly unsafeNoFsync: boolean;
  /** Trace sink (`wal.cut`, `wal.release`, `wal.repair`). */
  readonly emit: (kind: string, fields: Fields) => void;
}

interface Segment {
  readonly name: string;
  readonly seq: number;
  readonly firstIndex: number;
}

/** Most segments a WAL may hold: a bound that a release that never happens would hit. */
export const SEGMENTS_MAX = 100_000;

export class Wal {
  private readonly segments: Segment[];
  private tailBytes: number;
  private crc: number;
  /** The index of the last entry (or snapshot) record written: names the next segment. */
  private lastWrittenIndex: number;
  /** The last hard state saved: repeated at the head of every new segment. */
  private hardState: HardState;
  /**
   * Where each append is framed before the disk copies it: one buffer for the WAL's life instead
   * of fresh arrays per record and per append. It grows to the largest append (a follower's
   * catch-up batch, bounded by the leader's message size).
   */
  private readonly writer = new ByteWriter(4096);
  /**
   * The last segment's path, built once per segment: every save appends and fsyncs by it, and a
   * string built anew per call would be copied flat and hashed again by the disk's name lookup.
   */
  private tailPath: string;

  constructor(
    private readonly disk: Disk,
    private readonly opts: WalOptions,
    readonly metadata: WalMetadata,
    state: { segments: readonly Segment[]; tailBytes: number; crc: number; lastWrittenIndex: number; hardState: HardState },
  ) {
    assert(state.segments.length > 0, 'wal: at least one segment');
    this.segments = [...state.segments];
    this.tailBytes = state.tailBytes;
    this.crc = state.crc;
    this.lastWrittenIndex = state.lastWrittenIndex;
    this.hardState = state.hardState;
    this.tailPath = this.path((this.segments[this.segments.length - 1] as Segment).name);
  }

  /** Segment names, oldest first. */
  segmentNames(): readonly string[] {
    return this.segments.map((s) => s.name);
  }

  /**
   * Appends entries then the hard state; fsyncs if `mustSync`; cuts a segment when the tail is full.
   * `beforeSync` is asked between the write and its fsync (etcd's `walBeforeSync` failpoint): true
   * means the host crashed there, and the save stops with the write still pending.
   */
  save(hardState: HardState | null, entries: readonly Entry[], mustSync: boolean, beforeSync?: () => boolean): DiskOutcome {
    const run = new DiskRun();
    if (hardState === null && entries.length === 0) return run.outcome();
    if (!this.writeTail(run, appendSaveRecords(this.writer.reset(), entries, hardState, this.crc))) return run.outcome();
    // Length first: reading index -1 of an empty array is a slow property lookup in V8.
    if (entries.length > 0) this.lastWrittenIndex = (entries[entries.length - 1] as Entry).index;
    if (hardState !== null) this.hardState = hardState;
    if (this.tailBytes >= this.opts.segmentBytes) this.cut(run);
    else if (mustSync) {
      if (beforeSync !== undefined && beforeSync()) return run.outcome();
      this.fsync(run, this.tailPath);
    }
    return run.outcome();
  }

  /** Appends a snapshot record and fsyncs (etcd's SaveSnapshot always syncs). */
  saveSnapshot(s: WalSnapshot): DiskOutcome {
    const run = new DiskRun();
    assert(s.index >= 0 && s.term >= 0, 'wal: snapshot record with a negative index or term');
    if (!this.writeTail(run, appendRecords(this.writer.reset(), [{ type: 'snapshot', snapshot: s }], this.crc))) return run.outcome();
    this.lastWrittenIndex = Math.max(this.lastWrittenIndex, s.index);
    this.fsync(run, this.tailPath);
    return run.outcome();
  }

  /** Makes everything written durable (before a release: etcd #10219). */
  sync(): DiskOutcome {
    const run = new DiskRun();
    this.fsync(run, this.tailPath);
    return run.outcome();
  }

  /**
   * Removes the segments entirely below `index` (etcd's ReleaseLockTo): keeps the last segment
   * whose first index is below `index` — it may hold `index` — and every later one.
   */
  releaseTo(index: LogIndex): DiskOutcome {
    const run = new DiskRun();
    const firstAtOrAbove = this.segments.findIndex((s) => s.firstIndex >= index);
    const keepFrom = firstAtOrAbove < 0 ? this.segments.length - 1 : firstAtOrAbove - 1;
    if (keepFrom <= 0) return run.outcome();
    const released = this.segments.slice(0, keepFrom);
    for (const s of released) if (!run.check(`remove ${this.path(s.name)}`, this.disk.remove(this.path(s.name)))) return run.outcome();
    this.segments.splice(0, keepFrom);
    this.fsyncDir(run);
    this.opts.emit('wal.release', { index, segments: released.length, firstSeq: (this.segments[0] as Segment).seq });
    return run.outcome();
  }

  /** Appends the frames just written into the writer to the tail; `crc`: the chain's CRC after them. */
  private writeTail(run: DiskRun, crc: number): boolean {
    // A view of the writer's buffer: the disk copies what it is given (sim/disk), so the next append may reuse it.
    const bytes = this.writer.finish();
    const r = this.disk.append(this.tailPath, bytes);
    if (!run.checkOp('append', this.tailPath, r)) return false;
    if (r.offsetBytes !== this.tailBytes) assert(false, `wal: tail ${this.tailPath} was ${r.offsetBytes} bytes, expected ${this.tailBytes}`);
    this.tailBytes += bytes.length;
    this.crc = crc;
    return true;
  }

  /** etcd's cut(): seal the tail, start the next segment with crc + metadata + hard state, atomically. */
  private cut(run: DiskRun): void {
    if (!this.fsync(run, this.tailPath)) return;
    assert(this.segments.length < SEGMENTS_MAX, () => `wal: more than ${SEGMENTS_MAX} segments (is the log never released?)`);
    const seq = (this.segments[this.segments.length - 1] as Segment).seq + 1;
    const firstIndex = this.lastWrittenIndex + 1;
    const name = segmentName(seq, firstIndex);
    const head = encodeRecords([{ type: 'crc', crc: this.crc }, { type: 'metadata', metadata: this.metadata }, { type: 'state', hardState: this.hardState }], this.crc);
    if (!writeAtomically(run, this.disk, this.opts, name, head.bytes)) return;
    this.segments.push({ name, seq, firstIndex });
    this.tailPath = this.path(name);
    this.tailBytes = head.bytes.length;
    this.crc = head.crc;
    this.opts.emit('wal.cut', { seq, firstIndex, name });
  }

  private fsync(run: DiskRun, path: string): boolean {
    if (this.opts.unsafeNoFsync) return true;
    return run.checkOp('fsync', path, this.disk.fsync(path));
  }

  private fsyncDir(run: DiskRun): boolean {
    if (this.opts.unsafeNoFsync) return true;
    return run.check(`fsync dir ${this.opts.dir}`, this.disk.fsyncDir(this.opts.dir));
  }

  private path(name: string): string {
    return `${this.opts.dir}/${name}`;
  }
}

/** Writes `name` in `dir` as a temporary file, fsyncs it, renames it into place and fsyncs the directory. */
function writeAtomically(run: DiskRun, disk: Disk, opts: WalOptions, name: string, bytes: Uint8Array): boolean {
  const tmp = `${opts.dir}/${name.slice(0, 16)}.tmp`;
  const path = `${opts.dir}/${name}`;
  // A leftover of a crashed cut or create may hold the name: start it afresh.
  if (!removeIfExists(run, disk, tmp)) return false;
  if (!run.check(`create ${tmp}`, disk.create(tmp))) return false;
  if (!run.check(`append ${tmp}`, disk.append(tmp, bytes))) return false;
  if (!opts.unsafeNoFsync && !run.check(`fsync ${tmp}`, disk.fsync(tmp))) return false;
  if (!run.check(`rename ${tmp}`, disk.rename(tmp, path))) return false;
  return opts.unsafeNoFsync || run.check(`fsync dir ${opts.dir}`, disk.fsyncDir(opts.dir));
}

export type WalOpenResult =
  | { readonly ok: true; readonly wal: Wal; readonly replayed: ReplayedWal; readonly latencyUs: number }
  | { readonly ok: false; readonly error: string; readonly latencyUs: number };

/** Whether `dir` holds a WAL (at least one segment), and the latency of asking. */
export function walExists(disk: Disk, dir: string): { readonly exists: boolean; readonly latencyUs: number } {
  const r = disk.list(dir);
  return { exists: r.ok && r.names.some((n) => parseSegmentName(n) !== null), latencyUs: r.latencyUs };
}

/** Creates a new WAL in `opts.dir`, which must hold none (etcd's wal.Create). */
export function createWal(disk: Disk, opts: WalOptions, metadata: WalMetadata): WalOpenResult {
  validateWalOptions(opts);
  const run = new DiskRun();
  const name = segmentName(0, 0);
  const records: WalRecord[] = [
    { type: 'crc', crc: 0 },
    { type: 'metadata', metadata },
    { type: 'snapshot', snapshot: { index: 0 as LogIndex, term: 0 as Term, confState: EMPTY_CONF_STATE } },
  ];
  const head = encodeRecords(records, 0);
  if (!writeAtomically(run, disk, opts, name, head.bytes)) return { ok: false, error: `wal: ${run.error ?? ''}`, latencyUs: run.latencyUs };
  const replayed = replayWal([{ name, bytes: head.bytes }]);
  assert(replayed.ok, 'wal: a freshly created WAL must replay');
  const wal = new Wal(disk, opts, metadata, { segments: [{ name, seq: 0, firstIndex: 0 }], tailBytes: head.bytes.length, crc: head.crc, lastWrittenIndex: 0, hardState: replayed.wal.hardState });
  return { ok: true, wal, replayed: replayed.wal, latencyUs: run.latencyUs };
}

/** Opens the WAL in `opts.dir`: reads it all, repairs a torn tail, and leaves it ready to append. */
export function openWal(disk: Disk, opts: WalOptions): WalOpenResult {
  validateWalOptions(opts);
  const run = new DiskRun();
  const failed = (): WalOpenResult => ({ ok: false, error: run.error?.startsWith('wal:') ? run.error : `wal: ${run.error ?? ''}`, latencyUs: run.latencyUs });
  const listed = disk.list(opts.dir);
  if (!run.check(`list ${opts.dir}`, listed)) return failed();
  const files: SegmentFile[] = [];
  for (const n of listed.names) {
    // A temporary file is a create or cut that crashed before its rename: never part of the log.
    if (n.endsWith('.tmp')) {
      if (!run.check(`remove ${opts.dir}/${n}`, disk.remove(`${opts.dir}/${n}`))) return failed();
      continue;
    }
    if (parseSegmentName(n) === null) continue;
    const read = readFile(run, disk, `${opts.dir}/${n}`);
    if ('error' in read) {
      run.fail(read.error);
      return failed();
    }
    files.push({ name: n, bytes: read.bytes });
  }
  const replayed = replayWal(files);
  if (!replayed.ok) {
    run.fail(replayed.error);
    return failed();
  }
  const w = replayed.wal;
  if (w.torn !== null && !repairTail(run, disk, opts, w.torn, files[files.length - 1] as SegmentFile, w.tailValidBytes)) return failed();
  const segments = w.segments.map(({ name, seq, firstIndex }) => ({ name, seq, firstIndex }));
  const wal = new Wal(disk, opts, w.metadata, { segments, tailBytes: w.tailValidBytes, crc: w.crc, lastWrittenIndex: w.lastWrittenIndex, hardState: w.hardState });
  return { ok: true, wal, replayed: w, latencyUs: run.latencyUs };
}

/** etcd's wal.Repair: keep a copy as `<name>.broken`, truncate to the last valid record, fsync. */
function repairTail(run: DiskRun, disk: Disk, opts: WalOptions, torn: NonNullable<ReplayedWal['torn']>, file: SegmentFile, validBytes: number): boolean {
  assert(file.name === torn.name && validBytes === torn.offset, 'wal: repair of a segment that is not the torn tail');
  const path = `${opts.dir}/${torn.name}`;
  const broken = `${path}.broken`;
  if (!removeIfExists(run, disk, broken)) return false;
  if (!run.check(`create ${broken}`, disk.create(broken))) return false;
  if (!run.check(`append ${broken}`, disk.append(broken, file.bytes))) return false;
  if (!opts.unsafeNoFsync && !run.check(`fsync ${broken}`, disk.fsync(broken))) return false;
  if (!run.check(`truncate ${path}`, disk.truncate(path, validBytes))) return false;
  if (!opts.unsafeNoFsync && !run.check(`fsync ${path}`, disk.fsync(path))) return false;
  if (!opts.unsafeNoFsync && !run.check(`fsync dir ${opts.dir}`, disk.fsyncDir(opts.dir))) return false;
  opts.emit('wal.repair', { name: torn.name, offset: torn.offset, reason: torn.reason, droppedBytes: file.bytes.length - validBytes });
  return true;
}

function validateWalOptions(o: WalOptions): void {
  assert(o.dir.length > 0 && !o.dir.endsWith('/'), () => `wal.dir must be a directory path without a trailing slash, got ${JSON.stringify(o.dir)}`);
  assert(Number.isInteger(o.segmentBytes) && o.segmentBytes >= 64, () => `wal.segmentBytes must be an integer ≥ 64, got ${o.segmentBytes}`);
}
