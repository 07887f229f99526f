/**
 * A run of disk operations whose latencies add up and whose first failure ends the run: how the
 * WAL, the snapshotter and recovery talk to sim/disk. The disk answers each call at once with a
 * latency; the node charges the sum in virtual time before it goes on (node.ts).
 */
import type { Disk, DiskResult } from '../../sim/disk.js';
import type { Micros } from '../../sim/time.js';

/** The outcome of a run: ok, or the first failure, named (`fsync member/wal/….wal: EIO`). */
export type DiskOutcome = { readonly ok: true; readonly latencyUs: Micros } | { readonly ok: false; readonly error: string; readonly latencyUs: Micros };

/** Reads that fail with EIO are tried this many times in all before the run fails (latent sector errors may clear). */
export const READ_ATTEMPTS_MAX = 3;

export class DiskRun {
  latencyUs: Micros = 0;
  error: string | null = null;

  /** Adds `r`'s latency; on failure records `what: error` (once) and returns false. */
  check<T>(what: string, r: DiskResult<T>): r is DiskResult<T> & { readonly ok: true } {
    this.latencyUs += r.latencyUs;
    if (r.ok) return true;
    if (this.error === null) this.error = `${what}: ${r.error}`;
    return false;
  }

  /** As `check`, naming the failure `op path`: built only on failure (a save's append and fsync, once per Ready). */
  checkOp<T>(op: string, path: string, r: DiskResult<T>): r is DiskResult<T> & { readonly ok: true } {
    this.latencyUs += r.latencyUs;
    if (r.ok) return true;
    if (this.error === null) this.error = `${op} ${path}: ${r.error}`;
    return false;
  }

  /** Records a failure that is not a disk error (a corrupt file, a missing record). */
  fail(error: string): false {
    if (this.error === null) this.error = error;
    return false;
  }

  get ok(): boolean {
    return this.error === null;
  }

  outcome(): DiskOutcome {
    return this.error === null ? { ok: true, latencyUs: this.latencyUs } : { ok: false, error: this.error, latencyUs: this.latencyUs };
  }
}

/**
 * Reads a whole file, retrying EIO up to READ_ATTEMPTS_MAX times; the latencies go to `run`, a
 * failure is returned (not recorded in `run`: the caller decides whether it ends the run).
 */
export function readFile(run: DiskRun, disk: Pick<Disk, 'readAll'>, path: string): { readonly bytes: Uint8Array } | { readonly error: string } {
  for (let attempt = 1; ; attempt++) {
    const r = disk.readAll(path);
    run.latencyUs += r.latencyUs;
    if (r.ok) return { bytes: r.bytes };
    if (r.error !== 'EIO' || attempt >= READ_ATTEMPTS_MAX) return { error: `read ${path}: ${r.error}${attempt > 1 ? ` (after ${attempt} attempts)` : ''}` };
  }
}

/** Removes `path` if it exists (open answers ENOENT otherwise); false if the removal failed. */
export function removeIfExists(run: DiskRun, disk: Pick<Disk, 'open' | 'remove'>, path: string): boolean {
  const o = disk.open(path);
  run.latencyUs += o.latencyUs;
  if (!o.ok) return true;
  return run.check(`remove ${path}`, disk.remove(path));
}
