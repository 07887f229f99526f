/**
 * Disks: per-host files with two states, pending and durable, and the faults real disks have.
 *
 * Each host has one disk (`disks.of(host)`), kept across incarnations: a restart finds what the
 * crash left. Paths are flat strings (`member/wal/0000000000000000-0000000000000000.wal`); a
 * directory is implicit — the prefix before the last `/` — and exists while it holds files.
 *
 * **Pending and durable.** A write, append or truncate changes the file at once (reads see it) but
 * stays *pending* until `fsync(path)` makes the file's contents *durable*. A create, rename or
 * remove stays pending until `fsyncDir(dir)` of the directory holding the name (after a rename
 * across directories, fsync both, as POSIX asks). When the host crashes, every pending change is
 * discarded: contents go back to the last fsync, names to the last fsyncDir — a file that was
 * fsynced but whose directory never was vanishes, the classic lost-file bug. Implementation: each
 * pending content change keeps the bytes it overwrote (an undo log, cleared by fsync), so an
 * fsync costs nothing per byte and a crash undoes in reverse order.
 *
 * **Faults**, each a rate in the options (drawn from the host's `disk/<host>/fault` stream) and
 * each injectable on demand (`clearInjected()` drops the injected ones still waiting, when a nemesis
 * heals the disk); every fault is a `disk.fault` (or `disk.bitflip`) trace event:
 * - *torn write* (`tornWriteRate`, per crash): power fails while the last pending write is on its
 *   way; sectors are written whole, so a sector-aligned prefix of that one write (ending at a
 *   `sectorBytes` boundary inside it) reaches the platter and the rest does not. Only the last
 *   pending write can tear: earlier pending writes are discarded whole. (WAL torn-tail repair.)
 * - *fsync error* (`fsyncErrorRate`, `failNext('fsync')`): the device reports EIO on flush (a
 *   failing SSD, a pulled cable, a thin-provisioned volume out of space). Nothing becomes durable;
 *   the data stays pending. (Linux may then drop the dirty pages and let a later fsync "succeed" —
 *   fsyncgate; we do not model that lie: etcd, like PostgreSQL now, treats a failed fsync as fatal.)
 * - *read error* (`readErrorRate`, `failNext('read')`): a latent sector error (unreadable media)
 *   surfaces as EIO on read; the stored bytes are unchanged and a retry may succeed.
 * - *bit flip* (`bitFlipRate` per read, `flipBit(path, byte, bit)`): bit rot or a firmware bug
 *   silently changes one stored bit; the read that finds it (and every later read) returns the
 *   flipped byte. Only checksums (the WAL's CRC-32C) can tell.
 * - *disk full* (`capacityBytes`, `noSpaceRate`, `failNext('write', 'ENOSPC')`): a write or append
 *   that would need more space fails with ENOSPC and writes nothing (the real call may write a
 *   part; callers must not rely on either, so we give the simpler, still-legal outcome).
 * - *latency* (`latency.read/write/fsync/meta`): every call returns `latencyUs`, drawn from a
 *   distribution per kind (fsync's long tail is what stalls a raft leader).
 * - *stall* (`stall(untilUs)`): the device hangs (a firmware hiccup, a saturated or failing-over
 *   volume, a filesystem journal stuck behind it): every fsync or fsyncDir issued before `untilUs`
 *   completes no earlier than `untilUs` — a flush queued behind a hung device returns when the
 *   device does, however late it was issued, which a fixed extra latency would not model. The
 *   latency is still drawn (no stream shifts); writes, reads and metadata calls are not slowed
 *   (they hit the page cache). A call already returned keeps its latency: ending a stall early
 *   does not un-hang a flush in flight.
 *
 * **Why operations are synchronous and return their latency.** The raft node loop is the only
 * caller that models time: it does `const r = disk.append(...)`, then continues after
 * `r.latencyUs` with the scheduler (a timer on its host). Completing through callbacks would force
 * every caller — including tests, recovery code and checkers that read files — into callback
 * style, and would make the disk own a queue of in-flight operations whose interleaving with a
 * crash is its own subtle model. Synchronous calls with a returned latency keep the disk a plain
 * data structure, keep its state exactly the state after each call, and leave the timing policy
 * (serialise, pipeline, batch fsyncs) with the node that owns it. A crash during that latency is
 * still modelled correctly: the write is pending until the fsync call, so it is discarded.
 *
 * Results are values, never exceptions: `{ ok: true, latencyUs, … }` or
 * `{ ok: false, error, latencyUs }`. Mutating calls assert that the host is up (a crashed
 * incarnation cannot write); `peek` and `names` read without faults, draws or trace, for tests and
 * checkers.
 */
import { assert } from './assert.js';
import type { HostId, Kernel } from './host.js';
import type { HostView } from './network.js';
import { drawLatencyUs, validateLatency, type LatencyModel, type Random } from './random.js';
import type { Micros } from './time.js';

export type DiskError = 'EIO' | 'ENOSPC' | 'ENOENT' | 'EEXIST' | 'EINVAL';

export type DiskResult<T = unknown> = ({ readonly ok: true; readonly latencyUs: Micros } & T) | DiskFailure;
export interface DiskFailure {
  readonly ok: false;
  readonly error: DiskError;
  readonly latencyUs: Micros;
}

export interface DiskLatency {
  readonly read: LatencyModel;
  readonly write: LatencyModel;
  /** fsync and fsyncDir. */
  readonly fsync: LatencyModel;
  /** create, open, truncate, rename, remove, list. */
  readonly meta: LatencyModel;
}

export interface DiskFaults {
  /** Chance that an fsync or fsyncDir fails with EIO. */
  readonly fsyncErrorRate: number;
  /** Chance that a read fails with EIO. */
  readonly readErrorRate: number;
  /** Chance that a read first flips one stored bit in the range it reads. */
  readonly bitFlipRate: number;
  /** Chance that a write or append fails with ENOSPC although there is room. */
  readonly noSpaceRate: number;
  /** Chance, at a crash, that the last pending write is torn rather than discarded whole. */
  readonly tornWriteRate: number;
}

export interface DiskOptions {
  /** Bytes a host's files may hold in total. Default: unlimited. */
  readonly capacityBytes: number;
  /** Atomic write unit: a torn write keeps a prefix ending on a multiple of it. Default 512. */
  readonly sectorBytes: number;
  readonly latency: DiskLatency;
  /** Default: every rate 0. */
  readonly faults: DiskFaults;
  /** Emit a trace event per operation (faults are always traced). Default true. */
  readonly traceOps: boolean;
}

export const DISK_DEFAULTS: DiskOptions = {
  capacityBytes: Number.POSITIVE_INFINITY,
  sectorBytes: 512,
  latency: {
    read: { kind: 'log-normal', medianUs: 50, sigma: 0.5, minUs: 10, maxUs: 5_000 },
    write: { kind: 'log-normal', medianUs: 10, sigma: 0.3, minUs: 2, maxUs: 1_000 },
    fsync: { kind: 'log-normal', medianUs: 1_000, sigma: 0.6, minUs: 200, maxUs: 100_000 },
    meta: { kind: 'fixed', us: 20 },
  },
  faults: { fsyncErrorRate: 0, readErrorRate: 0, bitFlipRate: 0, noSpaceRate: 0, tornWriteRate: 0 },
  traceOps: true,
};

export type InjectableOp = 'fsync' | 'read' | 'write';

export interface Disk {
  readonly host: HostId;
  /** Creates an empty file; EEXIST if the name is taken. */
  create(path: string): DiskResult;
  /** The file's size; ENOENT if there is none. */
  open(path: string): DiskResult<{ readonly sizeBytes: number }>;
  /** Writes `data` at `offsetBytes` (past the end leaves a hole of zeros). */
  write(path: string, offsetBytes: number, data: Uint8Array): DiskResult;
  /** Writes `data` at the end; returns where it went. */
  append(path: string, data: Uint8Array): DiskResult<{ readonly offsetBytes: number }>;
  /** Up to `lengthBytes` from `offsetBytes` (short at the end of the file). A copy. */
  read(path: string, offsetBytes: number, lengthBytes: number): DiskResult<{ readonly bytes: Uint8Array }>;
  readAll(path: string): DiskResult<{ readonly bytes: Uint8Array }>;
  truncate(path: string, sizeBytes: number): DiskResult;
  /** Renames, replacing `to` if it exists. */
  rename(from: string, to: string): DiskResult;
  remove(path: string): DiskResult;
  /** Names (not paths) of the files directly in `dir` ('' for the top), sorted. */
  list(dir: string): DiskResult<{ readonly names: readonly string[] }>;
  /** Makes the file's contents durable. */
  fsync(path: string): DiskResult;
  /** Makes the creates, renames and removes of names in `dir` durable. */
  fsyncDir(dir: string): DiskResult;
  /** Bytes held by the files (current view). */
  readonly usedBytes: number;
  /** Changes the capacity from now on (a nemesis filling the disk). */
  setCapacity(bytes: number): void;
  /** The next `count` operations of kind `op` (write: writes and appends) fail with `error` (default EIO; ENOSPC for writes). */
  failNext(op: InjectableOp, error?: 'EIO' | 'ENOSPC', count?: number): void;
  /**
   * Removes every injected fault still waiting (`failNext` of any kind) and returns how many there
   * were; traced as `disk.clear-injected`. The fault rates, the capacity and bits already flipped
   * stay: a nemesis healing the disk undoes what it injected, not the disk's nature.
   */
  clearInjected(): number;
  /**
   * From now until `untilUs` every fsync and fsyncDir completes no earlier than `untilUs`; then the
   * disk's own latency again. A later call replaces the end (`untilUs` ≤ now ends the stall).
   * Traced as `disk.stall`. Kept across incarnations, like the device.
   */
  stall(untilUs: Micros): void;
  /** When the current stall ends (µs), or 0 if the disk was never stalled. */
  readonly stalledUntilUs: Micros;
  /** Flips bit `bit` (0 = least significant) of the stored byte at `byteOffset`. */
  flipBit(path: string, byteOffset: number, bit: number): void;
  /** Current contents, or undefined: no fault, no draw, no trace. */
  peek(path: string): Uint8Array | undefined;
  /** Every current path, sorted: no fault, no draw, no trace. */
  names(): readonly string[];
  /** Pending (not yet fsynced) content changes of a file. */
  pendingWrites(path: string): number;
}

export interface Disks {
  /** The disk of `host` (created on first use, kept across incarnations). */
  of(host: HostId): Disk;
  /** Applies a crash to `host`'s disk. Called for you when the host registry crashes the host. */
  crash(host: HostId): void;
}

interface Undo {
  /** Disk-wide order of pending changes: the highest is "the last pending write". */
  readonly seq: number;
  readonly kind: 'write' | 'truncate';
  readonly offset: number;
  /** Bytes written (writes), for the torn-write prefix. */
  readonly length: number;
  /** The bytes the change overwrote within the old size. */
  readonly old: Uint8Array;
  readonly oldSize: number;
}

/** A file's contents. Invariant: bytes of `data` past `size` are zero. */
class Inode {
  data = new Uint8Array(64);
  size = 0;
  undo: Undo[] = [];

  ensure(capacity: number): void {
    if (capacity <= this.data.length) return;
    // Doubling keeps appends amortised O(1); a write past twice the capacity (a snapshot file written
    // whole) gets exactly what it needs, not up to twice that: a long run keeps five such files per member.
    const next = new Uint8Array(Math.max(capacity, this.data.length * 2));
    next.set(this.data.subarray(0, this.size));
    this.data = next;
  }

  /** Writes without an undo record (durable placement at a crash, or after the record is made). */
  put(offset: number, bytes: Uint8Array): void {
    this.ensure(offset + bytes.length);
    this.data.set(bytes, offset);
    if (offset + bytes.length > this.size) this.size = offset + bytes.length;
  }

  resize(size: number): void {
    if (size < this.size) this.data.fill(0, size, this.size);
    else this.ensure(size);
    this.size = size;
  }

  /** Reverts one change (the most recent not yet reverted). */
  revert(u: Undo): void {
    if (this.size > u.oldSize) this.data.fill(0, u.oldSize, this.size);
    else this.ensure(u.oldSize);
    this.data.set(u.old, u.offset);
    this.size = u.oldSize;
  }
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function validPath(path: string): boolean {
  return path.length > 0 && !path.startsWith('/') && !path.endsWith('/') && !path.includes('//');
}

class SimDisk implements Disk {
  private names_ = new Map<string, Inode>();
  private durable = new Map<string, Inode>();
  private capacity: number;
  private readonly injected: Record<InjectableOp, ('EIO' | 'ENOSPC')[]> = { fsync: [], read: [], write: [] };
  private readonly faultRandom: Random;
  private readonly latencyRandom: Random;
  private stallUntilUs: Micros = 0;

  constructor(
    readonly host: HostId,
    private readonly kernel: Kernel,
    private readonly hosts: HostView,
    private readonly opts: DiskOptions,
    private readonly nextSeq: () => number,
  ) {
    this.capacity = opts.capacityBytes;
    const r = kernel.random.fork(`disk/${host}`);
    this.faultRandom = r.fork('fault');
    this.latencyRandom = r.fork('latency');
  }

  get usedBytes(): number {
    let used = 0;
    for (const inode of new Set(this.names_.values())) used += inode.size;
    return used;
  }

  create(path: string): DiskResult {
    const latencyUs = this.begin('create', path, this.opts.latency.meta);
    if (this.names_.has(path)) return this.fail('create', path, 'EEXIST', latencyUs);
    this.names_.set(path, new Inode());
    this.traceOp('disk.create', { path });
    return { ok: true, latencyUs };
  }

  open(path: string): DiskResult<{ readonly sizeBytes: number }> {
    const latencyUs = this.lat(this.opts.latency.meta);
    const inode = this.names_.get(path);
    if (inode === undefined) return { ok: false, error: 'ENOENT', latencyUs };
    return { ok: true, latencyUs, sizeBytes: inode.size };
  }

  write(path: string, offsetBytes: number, data: Uint8Array): DiskResult {
    const latencyUs = this.begin('write', path, this.opts.latency.write);
    assert(Number.isInteger(offsetBytes) && offsetBytes >= 0, () => `disk: write offset must be whole bytes ≥ 0, got ${offsetBytes}`);
    const inode = this.names_.get(path);
    if (inode === undefined) return { ok: false, error: 'ENOENT', latencyUs };
    const refused = this.refuseWrite(inode, offsetBytes + data.length);
    if (refused !== null) return this.fail('write', path, refused, latencyUs);
    this.change(inode, 'write', offsetBytes, data);
    this.traceValues('disk.write', IO_FIELDS, path, offsetBytes, data.length);
    return { ok: true, latencyUs };
  }

  append(path: string, data: Uint8Array): DiskResult<{ readonly offsetBytes: number }> {
    const latencyUs = this.begin('append', path, this.opts.latency.write);
    const inode = this.names_.get(path);
    if (inode === undefined) return { ok: false, error: 'ENOENT', latencyUs };
    const offsetBytes = inode.size;
    const refused = this.refuseWrite(inode, offsetBytes + data.length);
    if (refused !== null) return this.fail('append', path, refused, latencyUs);
    this.change(inode, 'write', offsetBytes, data);
    this.traceValues('disk.write', IO_FIELDS, path, offsetBytes, data.length);
    return { ok: true, latencyUs, offsetBytes };
  }

  read(path: string, offsetBytes: number, lengthBytes: number): DiskResult<{ readonly bytes: Uint8Array }> {
    assert(Number.isInteger(offsetBytes) && offsetBytes >= 0 && Number.isInteger(lengthBytes) && lengthBytes >= 0, () => `disk: read range must be whole bytes ≥ 0, got ${offsetBytes}+${lengthBytes}`);
    const latencyUs = this.lat(this.opts.latency.read);
    const inode = this.names_.get(path);
    if (inode === undefined) return { ok: false, error: 'ENOENT', latencyUs };
    const injected = this.injected.read.shift();
    if (injected !== undefined || this.faultRandom.chance(this.opts.faults.readErrorRate)) return this.fail('read', path, 'EIO', latencyUs);
    const end = Math.min(inode.size, offsetBytes + lengthBytes);
    if (end > offsetBytes && this.faultRandom.chance(this.opts.faults.bitFlipRate)) {
      this.flip(path, inode, this.faultRandom.int(offsetBytes, end - 1), this.faultRandom.int(0, 7));
    }
    const bytes = offsetBytes >= end ? new Uint8Array(0) : inode.data.slice(offsetBytes, end);
    this.traceValues('disk.read', IO_FIELDS, path, offsetBytes, bytes.length);
    return { ok: true, latencyUs, bytes };
  }

  readAll(path: string): DiskResult<{ readonly bytes: Uint8Array }> {
    const inode = this.names_.get(path);
    return this.read(path, 0, inode === undefined ? 0 : inode.size);
  }

  truncate(path: string, sizeBytes: number): DiskResult {
    const latencyUs = this.begin('truncate', path, this.opts.latency.meta);
    assert(Number.isInteger(sizeBytes) && sizeBytes >= 0, () => `disk: truncate size must be whole bytes ≥ 0, got ${sizeBytes}`);
    const inode = this.names_.get(path);
    if (inode === undefined) return { ok: false, error: 'ENOENT', latencyUs };
    if (sizeBytes > inode.size && this.usedBytesIfCapped() + sizeBytes - inode.size > this.capacity) return this.fail('truncate', path, 'ENOSPC', latencyUs);
    inode.undo.push({ seq: this.nextSeq(), kind: 'truncate', offset: sizeBytes, length: 0, old: inode.data.slice(Math.min(sizeBytes, inode.size), inode.size), oldSize: inode.size });
    inode.resize(sizeBytes);
    this.traceOp('disk.truncate', { path, size: sizeBytes });
    return { ok: true, latencyUs };
  }

  rename(from: string, to: string): DiskResult {
    const latencyUs = this.begin('rename', from, this.opts.latency.meta);
    assert(validPath(to), () => `disk: bad path ${JSON.stringify(to)}`);
    const inode = this.names_.get(from);
    if (inode === undefined) return { ok: false, error: 'ENOENT', latencyUs };
    this.names_.delete(from);
    this.names_.set(to, inode);
    this.traceOp('disk.rename', { path: from, to });
    return { ok: true, latencyUs };
  }

  remove(path: string): DiskResult {
    const latencyUs = this.begin('remove', path, this.opts.latency.meta);
    if (!this.names_.delete(path)) return { ok: false, error: 'ENOENT', latencyUs };
    this.traceOp('disk.remove', { path });
    return { ok: true, latencyUs };
  }

  list(dir: string): DiskResult<{ readonly names: readonly string[] }> {
    const latencyUs = this.lat(this.opts.latency.meta);
    const names: string[] = [];
    for (const p of this.names_.keys()) if (dirOf(p) === dir) names.push(dir === '' ? p : p.slice(dir.length + 1));
    return { ok: true, latencyUs, names: names.sort() };
  }

  get stalledUntilUs(): Micros {
    return this.stallUntilUs;
  }

  fsync(path: string): DiskResult {
    const latencyUs = this.stalled(this.begin('fsync', path, this.opts.latency.fsync));
    const inode = this.names_.get(path);
    if (inode === undefined) return { ok: false, error: 'ENOENT', latencyUs };
    if (this.fsyncFails()) return this.fail('fsync', path, 'EIO', latencyUs);
    const pending = inode.undo.length;
    inode.undo = [];
    this.traceValues('disk.fsync', FSYNC_FIELDS, path, pending);
    return { ok: true, latencyUs };
  }

  fsyncDir(dir: string): DiskResult {
    this.assertUp('fsyncDir');
    const latencyUs = this.stalled(this.lat(this.opts.latency.fsync));
    if (this.fsyncFails()) return this.fail('fsyncDir', dir, 'EIO', latencyUs);
    for (const p of [...this.durable.keys()]) if (dirOf(p) === dir) this.durable.delete(p);
    for (const [p, inode] of this.names_) if (dirOf(p) === dir) this.durable.set(p, inode);
    this.traceOp('disk.fsync-dir', { dir });
    return { ok: true, latencyUs };
  }

  setCapacity(bytes: number): void {
    assert(bytes >= 0, () => `disk: capacity must be ≥ 0, got ${bytes}`);
    this.capacity = bytes;
    this.kernel.trace.emit(this.kernel.scheduler.now, this.host, 'disk.capacity', { bytes: Number.isFinite(bytes) ? bytes : -1 });
  }

  failNext(op: InjectableOp, error: 'EIO' | 'ENOSPC' = op === 'write' ? 'ENOSPC' : 'EIO', count = 1): void {
    assert(error === 'EIO' || op === 'write', () => `disk: ${op} cannot fail with ${error} (only writes run out of space)`);
    assert(Number.isInteger(count) && count > 0, () => `disk: failNext count must be a positive integer, got ${count}`);
    for (let i = 0; i < count; i++) this.injected[op].push(error);
  }

  clearInjected(): number {
    const fsync = this.injected.fsync.length;
    const read = this.injected.read.length;
    const write = this.injected.write.length;
    for (const op of ['fsync', 'read', 'write'] as const) this.injected[op].length = 0;
    this.kernel.trace.emit(this.kernel.scheduler.now, this.host, 'disk.clear-injected', { fsync, read, write });
    return fsync + read + write;
  }

  stall(untilUs: Micros): void {
    assert(Number.isInteger(untilUs) && untilUs >= 0, () => `disk: stall end must be whole µs ≥ 0, got ${untilUs}`);
    this.stallUntilUs = untilUs;
    this.kernel.trace.emit(this.kernel.scheduler.now, this.host, 'disk.stall', { untilUs });
  }

  flipBit(path: string, byteOffset: number, bit: number): void {
    const inode = this.names_.get(path);
    assert(inode !== undefined, () => `disk: flipBit on missing file ${path}`);
    assert(Number.isInteger(byteOffset) && byteOffset >= 0 && byteOffset < inode.size, () => `disk: flipBit offset ${byteOffset} outside ${path} (size ${inode.size})`);
    assert(Number.isInteger(bit) && bit >= 0 && bit <= 7, () => `disk: bit must be 0..7, got ${bit}`);
    this.flip(path, inode, byteOffset, bit);
  }

  peek(path: string): Uint8Array | undefined {
    const inode = this.names_.get(path);
    return inode === undefined ? undefined : inode.data.slice(0, inode.size);
  }

  names(): readonly string[] {
    return [...this.names_.keys()].sort();
  }

  pendingWrites(path: string): number {
    return this.names_.get(path)?.undo.length ?? 0;
  }

  /** The crash: pending changes undone, names back to the last fsyncDir, perhaps one torn write. */
  crash(): void {
    const inodes = new Set([...this.names_.values(), ...this.durable.values()]);
    const torn = this.tornWrite(inodes);
    let discarded = 0;
    for (const inode of inodes) {
      for (let i = inode.undo.length - 1; i >= 0; i--) inode.revert(inode.undo[i] as Undo);
      discarded += inode.undo.length;
      inode.undo = [];
    }
    this.names_ = new Map(this.durable);
    let tornPath = '';
    if (torn !== null && torn.bytes.length > 0) {
      for (const [p, inode] of this.names_) {
        if (inode !== torn.inode) continue;
        inode.put(torn.offset, torn.bytes);
        tornPath = p;
        break;
      }
    }
    this.kernel.trace.emit(this.kernel.scheduler.now, this.host, 'disk.crash', { discarded, torn: tornPath !== '', path: tornPath, offset: torn?.offset ?? -1, keptBytes: tornPath === '' ? 0 : (torn?.bytes.length ?? 0) });
  }

  /** Picks the sector-aligned prefix of the last pending write that survives, if it tears. */
  private tornWrite(inodes: ReadonlySet<Inode>): { inode: Inode; offset: number; bytes: Uint8Array } | null {
    let last: { inode: Inode; u: Undo } | null = null;
    for (const inode of inodes) {
      const u = inode.undo[inode.undo.length - 1];
      if (u !== undefined && (last === null || u.seq > last.u.seq)) last = { inode, u };
    }
    if (last === null || last.u.kind !== 'write') return null;
    if (!this.faultRandom.chance(this.opts.faults.tornWriteRate)) return null;
    const sector = this.opts.sectorBytes;
    const { offset, length } = last.u;
    // Sector boundaries strictly inside the write: each is a possible end of what got written.
    const first = (Math.floor(offset / sector) + 1) * sector;
    const end = offset + length;
    if (first >= end) return null; // within one sector: sector writes are atomic
    const cuts = Math.floor((end - 1 - first) / sector) + 1;
    const cut = first + this.faultRandom.int(0, cuts - 1) * sector;
    return { inode: last.inode, offset, bytes: last.inode.data.slice(offset, cut) };
  }

  private change(inode: Inode, kind: 'write', offset: number, data: Uint8Array): void {
    const oldEnd = Math.min(inode.size, offset + data.length);
    inode.undo.push({ seq: this.nextSeq(), kind, offset, length: data.length, old: offset < oldEnd ? inode.data.slice(offset, oldEnd) : EMPTY, oldSize: inode.size });
    if (offset > inode.size) inode.resize(offset);
    inode.put(offset, data);
  }

  /** The error (injected, random ENOSPC, or a real lack of space) for a write that would end at `end`, else null. */
  private refuseWrite(inode: Inode, end: number): 'EIO' | 'ENOSPC' | null {
    const injected = this.injected.write.shift();
    if (injected !== undefined) return injected;
    if (this.faultRandom.chance(this.opts.faults.noSpaceRate)) return 'ENOSPC';
    const growth = end - inode.size;
    if (growth > 0 && this.usedBytesIfCapped() + growth > this.capacity) return 'ENOSPC';
    return null;
  }

  private usedBytesIfCapped(): number {
    return Number.isFinite(this.capacity) ? this.usedBytes : 0;
  }

  /** A flush's latency, raised so that it completes no earlier than the stall's end. */
  private stalled(latencyUs: Micros): Micros {
    const leftUs = this.stallUntilUs - this.kernel.scheduler.now;
    return Math.max(latencyUs, leftUs);
  }

  private fsyncFails(): boolean {
    return this.injected.fsync.shift() !== undefined || this.faultRandom.chance(this.opts.faults.fsyncErrorRate);
  }

  private flip(path: string, inode: Inode, byteOffset: number, bit: number): void {
    const before = inode.data[byteOffset] as number;
    inode.data[byteOffset] = before ^ (1 << bit);
    this.kernel.trace.emit(this.kernel.scheduler.now, this.host, 'disk.bitflip', { path, offset: byteOffset, bit, before, after: inode.data[byteOffset] as number });
  }

  /** Checks a mutating call and draws its latency. */
  private begin(op: string, path: string, latency: LatencyModel): Micros {
    this.assertUp(op);
    assert(validPath(path), () => `disk: bad path ${JSON.stringify(path)}`);
    return this.lat(latency);
  }

  private assertUp(op: string): void {
    assert(this.hosts.state(this.host) === 'up', () => `disk: host ${this.host} calls ${op} while ${this.hosts.state(this.host)}`);
  }

  private lat(model: LatencyModel): Micros {
    return drawLatencyUs(this.latencyRandom, model);
  }

  private fail(op: string, path: string, error: DiskError, latencyUs: Micros): DiskFailure {
    this.kernel.trace.emit(this.kernel.scheduler.now, this.host, 'disk.fault', { op, path, error });
    return { ok: false, error, latencyUs };
  }

  private traceOp(kind: string, fields: Readonly<Record<string, string | number>>): void {
    if (this.opts.traceOps) this.kernel.trace.emit(this.kernel.scheduler.now, this.host, kind, fields);
  }

  /** traceOp for the per-operation kinds (write, read, fsync): no fields object unless the event is kept or tapped. */
  private traceValues(kind: string, names: readonly string[], v0: string, v1: number, v2?: number): void {
    if (this.opts.traceOps) this.kernel.trace.emitValues(this.kernel.scheduler.now, this.host, kind, names, v0, v1, v2);
  }
}

const EMPTY = new Uint8Array(0);
/** The fields of disk.write and disk.read, and of disk.fsync, in order (see traceValues). */
const IO_FIELDS: readonly string[] = ['path', 'offset', 'bytes'];
const FSYNC_FIELDS: readonly string[] = ['path', 'pending'];

class SimDisks implements Disks {
  private readonly disks = new Map<HostId, SimDisk>();
  private seq = 0;
  private readonly nextSeq = (): number => this.seq++;

  constructor(
    private readonly kernel: Kernel,
    private readonly hosts: HostView,
    private readonly opts: DiskOptions,
  ) {
    hosts.onLifecycle((e) => {
      if (e.kind === 'crash') this.crash(e.host);
    });
  }

  of(host: HostId): Disk {
    return this.get(host);
  }

  crash(host: HostId): void {
    this.disks.get(host)?.crash();
  }

  private get(host: HostId): SimDisk {
    let d = this.disks.get(host);
    if (d === undefined) {
      d = new SimDisk(host, this.kernel, this.hosts, this.opts, this.nextSeq);
      this.disks.set(host, d);
    }
    return d;
  }
}

function validateDiskOptions(o: DiskOptions): DiskOptions {
  assert(o.capacityBytes >= 0, () => `disk.capacityBytes must be ≥ 0, got ${o.capacityBytes}`);
  assert(Number.isInteger(o.sectorBytes) && o.sectorBytes > 0, () => `disk.sectorBytes must be a positive integer, got ${o.sectorBytes}`);
  for (const k of ['read', 'write', 'fsync', 'meta'] as const) validateLatency(o.latency[k], `disk.latency.${k}`);
  for (const [k, v] of Object.entries(o.faults)) assert(Number.isFinite(v) && v >= 0 && v <= 1, () => `disk.faults.${k} must be in [0, 1], got ${v}`);
  return o;
}

/** Disk options as a caller gives them: any subset, latency and faults field by field. */
export type DisksOptions = Partial<Omit<DiskOptions, 'latency' | 'faults'>> & { readonly latency?: Partial<DiskLatency>; readonly faults?: Partial<DiskFaults> };

/** Disks for the hosts of `hosts`; `options` filled in from DISK_DEFAULTS (field by field for latency and faults) and validated. */
export function createDisks(kernel: Kernel, hosts: HostView, options: DisksOptions = {}): Disks {
  const o: DiskOptions = {
    ...DISK_DEFAULTS,
    ...options,
    latency: { ...DISK_DEFAULTS.latency, ...options.latency },
    faults: { ...DISK_DEFAULTS.faults, ...options.faults },
  };
  return new SimDisks(kernel, hosts, validateDiskOptions(o));
}
