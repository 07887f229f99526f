/**
 * Snapshot files on a host's simulated disk (etcd's `etcdserver/api/snap/snapshotter.go`).
 *
 * One file per snapshot, `<term:016x>-<index:016x>.snap`, holding a CRC-32C (4 bytes, little
 * endian) of the encoded snapshot and then the snapshot itself (metadata and the state machine's
 * image). A file is written as `<name>.tmp`, fsynced, renamed and its directory fsynced — and all
 * of that **before** the WAL's snapshot record is written (node.ts keeps the order): a crash in
 * between leaves an orphan file, which is harmless; the reverse order would leave a WAL pointing at
 * a snapshot that is not there.
 *
 * Loading (`loadNewestAvailable`): the newest file whose (term, index) the WAL also records —
 * among the WAL's valid snapshot records, see wal-replay.ts — is read and checked; a file that
 * cannot be read, fails its CRC or does not decode to what its name says is renamed `.broken`
 * (and traced) and the next one is tried. No matching file at all means "start from the empty
 * snapshot" (the WAL must then still hold its beginning).
 *
 * After a save, files beyond the newest `keepMax` are removed (etcd's `--max-snapshots`, 5).
 */
import { assert } from '../../sim/assert.js';
import type { Disk } from '../../sim/disk.js';
import type { Fields } from '../../sim/trace.js';
import type { LogIndex, Snapshot, Term } from '../core/types.js';
import { decodeSnapshot, encodeSnapshot } from './codec.js';
import { crc32c } from './crc32c.js';
import type { DiskOutcome } from './disk-ops.js';
import { DiskRun, readFile, removeIfExists } from './disk-ops.js';
import { hex16 } from './wal-replay.js';

export interface SnapshotterOptions {
  /** The directory of the snapshot files, e.g. `member/snap`. */
  readonly dir: string;
  /** Snapshot files kept after a save (older ones are removed). */
  readonly keepMax: number;
  /** Skip every fsync (etcd's --unsafe-no-fsync). */
  readonly unsafeNoFsync: boolean;
  /** Trace sink (`snap.save`, `snap.broken`, `snap.purge`). */
  readonly emit: (kind: string, fields: Fields) => void;
}

const SNAP_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

/** `<term:016x>-<index:016x>.snap`. */
export function snapshotFileName(term: number, index: number): string {
  return `${hex16(term)}-${hex16(index)}.snap`;
}

export function parseSnapshotFileName(name: string): { readonly term: number; readonly index: number } | null {
  const m = SNAP_NAME.exec(name);
  return m === null ? null : { term: Number.parseInt(m[1] as string, 16), index: Number.parseInt(m[2] as string, 16) };
}

/** The bytes of a snapshot file. */
export function encodeSnapshotFile(s: Snapshot): Uint8Array {
  const body = encodeSnapshot(s);
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, crc32c(body), true);
  out.set(body, 4);
  return out;
}

/** The snapshot in a file's bytes, or why it is unusable. */
export function decodeSnapshotFile(bytes: Uint8Array): { readonly ok: true; readonly snapshot: Snapshot } | { readonly ok: false; readonly error: string } {
  if (bytes.length < 4) return { ok: false, error: `file of ${bytes.length} bytes` };
  const body = bytes.subarray(4);
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (crc32c(body) !== stored) return { ok: false, error: 'crc mismatch' };
  const snapshot = decodeSnapshot(body);
  return snapshot === null ? { ok: false, error: 'undecodable snapshot' } : { ok: true, snapshot };
}

export type SnapshotLoadResult =
  | { readonly ok: true; readonly snapshot: Snapshot | null; readonly latencyUs: number }
  | { readonly ok: false; readonly error: string; readonly latencyUs: number };

export class Snapshotter {
  constructor(
    private readonly disk: Disk,
    private readonly opts: SnapshotterOptions,
  ) {
    assert(Number.isInteger(opts.keepMax) && opts.keepMax >= 1, () => `snapshotter.keepMax must be an integer ≥ 1, got ${opts.keepMax}`);
  }

  /** Writes the snapshot file durably (tmp, fsync, rename, fsync dir), then purges old files. */
  save(s: Snapshot): DiskOutcome {
    const run = new DiskRun();
    assert(s.metadata.index > 0, 'snapshotter: refusing to save the empty snapshot');
    const name = snapshotFileName(s.metadata.term, s.metadata.index);
    const path = `${this.opts.dir}/${name}`;
    const tmp = `${path}.tmp`;
    const bytes = encodeSnapshotFile(s);
    if (!removeIfExists(run, this.disk, tmp)) return run.outcome();
    if (!run.check(`create ${tmp}`, this.disk.create(tmp))) return run.outcome();
    if (!run.check(`append ${tmp}`, this.disk.append(tmp, bytes))) return run.outcome();
    if (!this.opts.unsafeNoFsync && !run.check(`fsync ${tmp}`, this.disk.fsync(tmp))) return run.outcome();
    if (!run.check(`rename ${tmp}`, this.disk.rename(tmp, path))) return run.outcome();
    if (!this.opts.unsafeNoFsync && !run.check(`fsync dir ${this.opts.dir}`, this.disk.fsyncDir(this.opts.dir))) return run.outcome();
    this.opts.emit('snap.save', { name, index: s.metadata.index, term: s.metadata.term, bytes: bytes.length });
    this.purge(run);
    return run.outcome();
  }

  /** The newest readable snapshot file among `walSnaps` (null: none), setting unreadable ones aside. */
  loadNewestAvailable(walSnaps: readonly { readonly index: LogIndex; readonly term: Term }[]): SnapshotLoadResult {
    const run = new DiskRun();
    const listed = this.disk.list(this.opts.dir);
    if (!run.check(`list ${this.opts.dir}`, listed)) return { ok: false, error: `snapshotter: ${run.error ?? ''}`, latencyUs: run.latencyUs };
    // A `.tmp` is a save that crashed before its rename: never a snapshot.
    for (const n of listed.names) if (n.endsWith('.snap.tmp')) run.check(`remove ${this.opts.dir}/${n}`, this.disk.remove(`${this.opts.dir}/${n}`));
    if (!run.ok) return { ok: false, error: `snapshotter: ${run.error ?? ''}`, latencyUs: run.latencyUs };
    const wanted = new Set(walSnaps.map((s) => `${s.term}/${s.index}`));
    const candidates = listed.names
      .map((name) => ({ name, parsed: parseSnapshotFileName(name) }))
      .filter((c): c is { name: string; parsed: { term: number; index: number } } => c.parsed !== null && wanted.has(`${c.parsed.term}/${c.parsed.index}`))
      .sort((a, b) => b.parsed.index - a.parsed.index);
    for (const c of candidates) {
      const path = `${this.opts.dir}/${c.name}`;
      const read = readFile(run, this.disk, path);
      const decoded = 'error' in read ? { ok: false as const, error: read.error } : decodeSnapshotFile(read.bytes);
      if (decoded.ok && decoded.snapshot.metadata.index === c.parsed.index && decoded.snapshot.metadata.term === c.parsed.term) {
        return { ok: true, snapshot: decoded.snapshot, latencyUs: run.latencyUs };
      }
      const why = decoded.ok ? `holds snapshot ${decoded.snapshot.metadata.term}/${decoded.snapshot.metadata.index}` : decoded.error;
      this.opts.emit('snap.broken', { name: c.name, reason: why });
      if (!run.check(`rename ${path}`, this.disk.rename(path, `${path}.broken`))) return { ok: false, error: `snapshotter: ${run.error ?? ''}`, latencyUs: run.latencyUs };
    }
    return { ok: true, snapshot: null, latencyUs: run.latencyUs };
  }

  /** Removes snapshot files beyond the newest keepMax (best effort: a failure here is not fatal in etcd either). */
  private purge(run: DiskRun): void {
    const listed = this.disk.list(this.opts.dir);
    run.latencyUs += listed.latencyUs;
    if (!listed.ok) return;
    const snaps = listed.names
      .map((name) => ({ name, parsed: parseSnapshotFileName(name) }))
      .filter((c) => c.parsed !== null)
      .sort((a, b) => (b.parsed?.index ?? 0) - (a.parsed?.index ?? 0));
    for (const old of snaps.slice(this.opts.keepMax)) {
      const r = this.disk.remove(`${this.opts.dir}/${old.name}`);
      run.latencyUs += r.latencyUs;
      if (r.ok) this.opts.emit('snap.purge', { name: old.name });
    }
  }
}
