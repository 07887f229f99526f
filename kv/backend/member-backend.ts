/**
 * A member's persistent state in its backend (etcd's schema + cindex + the backend half of
 * mvcc/kvstore.go): what the kv state machine writes there as it applies entries, and what a
 * restarted member reads back.
 *
 * Buckets and keys (etcd's server/storage/schema):
 * - `key`: revision → KeyValue row (kv/mvcc/backend-records.ts);
 * - `meta`: `consistent_index`, `term` (cindex), `scheduledCompactRev`, `finishedCompactRev`,
 *   `storageVersion`, and raftsim's modelled `dbSizeBytes` (etcd measures its file instead; the
 *   model keeps quota decisions equal on every member);
 * - `lease`: lease id → granted TTL, or `<granted>/<remaining>` once a LeaseCheckpoint set a
 *   remaining TTL and checkpoints persist (etcd's LeaseInternal.RemainingTTL, written by
 *   lessor.Checkpoint when shouldPersistCheckpoints; a renew's clearing checkpoint writes it back);
 * - `alarm`: `<member>/<alarm>` → '';
 * - `meta` `auth`: the auth store's replicated state as JSON, once a request changed it (etcd keeps
 *   it in the `auth`, `authUsers` and `authRoles` buckets; one row keeps images without auth as
 *   they were);
 * - `members` is created but unused: membership lives in raft's conf state here.
 *
 * **The consistent index** is the index of the last entry whose changes the backend holds. etcd
 * sets it inside the apply, under the batch transaction's lock, so it is committed in the same
 * transaction as the entry's changes (`LockInsideApply` → txPostLockInsideApplyHook); the
 * pre-commit hook writes the in-memory value into `meta` at every commit. At restart the member
 * reads it, and raft replays from the WAL only the entries after it.
 *
 * `etcd-13766` (the v3.5.0–3.5.2 data inconsistency, fixed by PR #13854 and the apply-lock hook
 * of PR #13844): the index was set *before* the entry was applied, outside the lock, and the
 * backend's periodic commit — another goroutine — could run in between: the commit holds the new
 * index but not the entry's changes. Modelled as: with the switch on, a periodic commit that comes
 * due waits for the next apply and lands between its index update and its writes. A crash before
 * the next commit then loses that entry on this member for good (restart skips it): HashKV
 * diverges.
 *
 * **Compaction** (kvstore.go updateCompactRev + kvstore_compaction.go): `scheduledCompactRev` is
 * persisted and force-committed, the key index compacted (in memory, by the store), then the
 * rows at or below the revision that the index no longer keeps are deleted in batches of
 * `compactionBatchLimit`, each force-committed, with `compactionSleepIntervalUs` between batches
 * (etcd: 1,000 rows, 10 ms); the last batch writes `finishedCompactRev`. A restart that finds
 * scheduled > finished rebuilds the index at the finished revision and runs the compaction again.
 */
import { assert } from '../../sim/assert.js';
import type { Disk } from '../../sim/disk.js';
import type { Micros } from '../../sim/time.js';
import type { WatchEvent } from '../api.js';
import type { Lessor } from '../lease/lessor.js';
import { encodeRow, revisionKey } from '../mvcc/backend-records.js';
import type { MvccStore } from '../mvcc/store.js';
import type { AlarmMember } from '../wire.js';
import { Backend, type BackendCrashPoint, type BackendOptions, type BackendResult } from './backend.js';

/** The crash points of this layer besides the backend's own (etcd's mvcc failpoints). */
export const MVCC_BACKEND_CRASH_POINTS = [
  'compactBeforeCommitScheduledCompact',
  'compactAfterCommitScheduledCompact',
  'compactBeforeCommitBatch',
  'compactAfterCommitBatch',
  'compactBeforeSetFinishedCompact',
  'compactAfterSetFinishedCompact',
] as const;
export type MvccBackendCrashPoint = (typeof MVCC_BACKEND_CRASH_POINTS)[number];
export type StorageCrashPoint = BackendCrashPoint | MvccBackendCrashPoint;

/**
 * Known etcd bugs of this layer (scenarios/bugs.ts):
 * - `etcd-13766`: the consistent index is committed before the entry's changes (see above).
 */
export const BACKEND_BUGS = ['etcd-13766'] as const;
export type BackendBug = (typeof BACKEND_BUGS)[number];

export interface MemberBackendOptions {
  readonly disk: Disk;
  readonly backend: Partial<Omit<BackendOptions, 'crashPoint' | 'emit'>>;
  /** Rows deleted per compaction batch. Default 1,000 (etcd --experimental-compaction-batch-limit). */
  readonly compactionBatchLimit: number;
  /** Pause between compaction batches (µs). Default 10 ms (etcd's CompactionSleepInterval). */
  readonly compactionSleepIntervalUs: Micros;
  readonly bugs: readonly BackendBug[];
  /** Asked at each crash point; true: the host is down now (the caller crashed it). */
  readonly crashPoint: (name: StorageCrashPoint) => boolean;
  /** Runs `fn` after `us` on the member's clock (the compaction's pause). */
  readonly later: (us: Micros, fn: () => void) => void;
  /** A fatal backend error (etcd: lg.Fatal): the member stops. */
  readonly fatal: (reason: string) => void;
  readonly emit: (kind: string, fields: Readonly<Record<string, string | number | boolean>>) => void;
}

export interface OpenedState {
  readonly index: number;
  readonly term: number;
  readonly dbSizeBytes: number;
  readonly latencyUs: number;
}

const CI = 'consistent_index';
const TERM = 'term';
const SCHEDULED = 'scheduledCompactRev';
const FINISHED = 'finishedCompactRev';
const DB_SIZE = 'dbSizeBytes';
const AUTH = 'auth';
const STORAGE_VERSION = 'storageVersion';

export class MemberBackend {
  private b: Backend | null = null;
  /** The consistent index and term as set in memory (written to `meta` by every commit). */
  private ciIndex = 0;
  private ciTerm = 0;
  private commitDue = false;
  private dead = false;
  private readonly bug13766: boolean;
  /** Compactions waiting or running (etcd's FIFO scheduler). */
  private readonly compactions: { rev: number; keep: Set<string>; from: string }[] = [];
  private compacting = false;

  constructor(private readonly o: MemberBackendOptions) {
    this.bug13766 = o.bugs.includes('etcd-13766');
  }

  /** Whether the member can still write (no crash point fired, no fatal error). */
  get alive(): boolean {
    return !this.dead;
  }

  get backend(): Backend {
    assert(this.b !== null, 'member backend: not open');
    return this.b;
  }

  get consistentIndex(): number {
    return this.ciIndex;
  }

  /**
   * Opens the file and loads the store, the leases and the alarms from it; resumes an interrupted
   * compaction. An error is a member that refuses to start.
   */
  open(mvcc: MvccStore, lessor: Lessor, setAlarms: (a: AlarmMember[]) => void, setAuth: (auth: string | undefined) => void = () => {}): { ok: true; state: OpenedState } | { ok: false; error: string; latencyUs: number } {
    const opened = Backend.open(this.o.disk, {
      ...this.o.backend,
      crashPoint: (name) => this.crashAt(name),
      emit: this.o.emit,
    });
    if (!opened.ok) return opened;
    const b = opened.backend;
    this.b = b;
    b.setPreCommitHook(() => {
      b.put('meta', CI, String(this.ciIndex));
      b.put('meta', TERM, String(this.ciTerm));
    });
    const num = (k: string, dflt: number): number => {
      const v = b.get('meta', k);
      return v === undefined ? dflt : Number(v);
    };
    this.ciIndex = num(CI, 0);
    this.ciTerm = num(TERM, 0);
    const finished = num(FINISHED, -1);
    const scheduled = num(SCHEDULED, -1);
    const rows = b.range('key', '', undefined);
    // A compaction scheduled but not finished was applied to the index before the crash: the
    // index is rebuilt compacted at the scheduled revision, and the rows' deletion resumes below.
    // etcd PR #17864: the newest rows may be gone with it, so the current revision is at least
    // the scheduled one.
    const built = mvcc.restoreFromRows(rows, Math.max(finished, scheduled), scheduled);
    if (!built.ok) return { ok: false, error: built.error.message, latencyUs: opened.latencyUs };
    const leases: [number, number, number][] = [];
    b.forEach('lease', (k, v) => {
      const [ttl, remaining] = v.split('/');
      leases.push([Number.parseInt(k, 16), Number(ttl), Number(remaining ?? 0)]);
    });
    lessor.restoreLeases(leases);
    const alarms: AlarmMember[] = [];
    b.forEach('alarm', (k) => {
      const [member, alarm] = k.split('/');
      alarms.push({ memberId: Number(member), alarm: alarm as AlarmMember['alarm'] });
    });
    setAlarms(alarms);
    setAuth(b.get('meta', AUTH));
    if (opened.created) b.put('meta', STORAGE_VERSION, '3.6.0');
    this.o.emit('backend.open', { index: this.ciIndex, term: this.ciTerm, revision: mvcc.rev(), finished, scheduled, fellBack: opened.fellBack });
    if (scheduled > finished) this.compacted(mvcc, scheduled, false);
    return { ok: true, state: { index: this.ciIndex, term: this.ciTerm, dbSizeBytes: num(DB_SIZE, 0), latencyUs: opened.latencyUs } };
  }

  // ---- the apply path ---------------------------------------------------------------------------

  /** Before an entry's changes. With etcd-13766 the index moves here, and a due commit lands now. */
  beginApply(index: number, term: number): void {
    if (!this.bug13766 || this.dead) return;
    this.ciIndex = index;
    this.ciTerm = term;
    if (this.commitDue) {
      this.commitDue = false;
      this.check(this.backend.commit('interval'));
    }
  }

  /** The rows of one write txn's events. */
  onWrite(rev: number, events: readonly WatchEvent[]): void {
    if (this.dead) return;
    const b = this.backend;
    for (let sub = 0; sub < events.length; sub++) b.put('key', revisionKey(rev, sub), encodeRow(events[sub] as WatchEvent));
  }

  leaseGranted(id: number, ttlS: number): void {
    if (!this.dead) this.backend.put('lease', leaseKey(id), String(ttlS));
  }

  /** A LeaseCheckpoint applied with checkpoints persisted: the lease's row carries its remaining TTL (0: cleared). */
  leaseCheckpointed(id: number, ttlS: number, remainingTtlS: number): void {
    if (!this.dead) this.backend.put('lease', leaseKey(id), leaseRow(ttlS, remainingTtlS));
  }

  leaseRevoked(id: number): void {
    if (!this.dead) this.backend.delete('lease', leaseKey(id));
  }

  alarmsChanged(alarms: readonly AlarmMember[]): void {
    if (this.dead) return;
    const b = this.backend;
    for (const [k] of b.range('alarm', '', undefined)) b.delete('alarm', k);
    for (const a of alarms) b.put('alarm', `${a.memberId}/${a.alarm}`, '');
  }

  /** The auth store changed (its JSON), or went back to pristine (undefined). */
  authChanged(json: string | undefined): void {
    if (this.dead) return;
    if (json !== undefined) this.backend.put('meta', AUTH, json);
    else if (this.backend.get('meta', AUTH) !== undefined) this.backend.delete('meta', AUTH);
  }

  /** After the entry's changes: the index in the same transaction (etcd's fix), then Unlock. */
  endApply(index: number, term: number, dbSizeBytes: number): void {
    if (this.dead) return;
    this.ciIndex = index;
    this.ciTerm = term;
    const b = this.backend;
    b.put('meta', CI, String(index));
    b.put('meta', TERM, String(term));
    b.put('meta', DB_SIZE, String(dbSizeBytes));
    this.check(b.unlock());
  }

  /** The owner's batch-interval timer (etcd's backend run loop). */
  periodicCommit(): void {
    if (this.dead || this.backend.pending === 0) return;
    if (this.bug13766 && !this.commitDue) {
      this.commitDue = true;
      return;
    }
    this.commitDue = false;
    this.check(this.backend.commit('interval'));
  }

  /** etcd's ForceCommit (snapshot, defrag, shutdown). */
  forceCommit(reason: string): boolean {
    if (this.dead) return false;
    return this.check(this.backend.commit(reason));
  }

  /** etcd Defragment of this member's file. */
  defragment(): boolean {
    if (this.dead) return false;
    return this.check(this.backend.defragment());
  }

  /**
   * The store replaced by a raft snapshot's image at (index, term): the backend is rewritten to
   * match — etcd swaps the received `.snap.db` in as its file.
   */
  replaceAll(mvcc: MvccStore, lessor: Lessor, alarms: readonly AlarmMember[], index: number, term: number, dbSizeBytes: number, auth?: string): void {
    if (this.dead) return;
    const b = this.backend;
    if (auth !== undefined) b.put('meta', AUTH, auth);
    else if (b.get('meta', AUTH) !== undefined) b.delete('meta', AUTH);
    for (const bucket of ['key', 'lease', 'alarm'] as const) for (const [k] of b.range(bucket, '', undefined)) b.delete(bucket, k);
    this.compactions.length = 0;
    const s = mvcc.snapshotRows();
    for (const [k, v] of s.rows) b.put('key', k, v);
    for (const id of lessor.leases()) b.put('lease', leaseKey(id), leaseRow(lessor.ttlOf(id) ?? 0, lessor.persistsCheckpoints() ? lessor.remainingTtlS(id) : 0));
    for (const a of alarms) b.put('alarm', `${a.memberId}/${a.alarm}`, '');
    b.put('meta', FINISHED, String(s.compactRev));
    b.put('meta', SCHEDULED, String(s.compactRev));
    this.ciIndex = index;
    this.ciTerm = term;
    b.put('meta', CI, String(index));
    b.put('meta', TERM, String(term));
    b.put('meta', DB_SIZE, String(dbSizeBytes));
    this.check(b.commit('snapshot'));
  }

  // ---- compaction -------------------------------------------------------------------------------

  /** The store compacted its index at `rev` (inside the apply): schedule the rows' deletion. */
  compacted(mvcc: MvccStore, rev: number, persistSchedule = true): void {
    if (this.dead) return;
    const b = this.backend;
    if (persistSchedule) {
      b.put('meta', SCHEDULED, String(rev));
      if (this.crashAt('compactBeforeCommitScheduledCompact')) return;
      if (!this.check(b.commit('compaction'))) return;
      if (this.crashAt('compactAfterCommitScheduledCompact')) return;
    }
    this.compactions.push({ rev, keep: mvcc.keptRowKeys(rev), from: '' });
    if (!this.compacting) this.compactStep();
  }

  /** Deletes one batch of the oldest queued compaction's rows; schedules the next. */
  private compactStep(): void {
    const job = this.compactions[0];
    if (this.dead || job === undefined) {
      this.compacting = false;
      return;
    }
    this.compacting = true;
    const b = this.backend;
    const limit = this.o.compactionBatchLimit;
    const rows = b.range('key', job.from, revisionKey(job.rev + 1, 0), limit);
    for (const [k] of rows) if (!job.keep.has(k)) b.delete('key', k);
    if (rows.length < limit) {
      if (this.crashAt('compactBeforeSetFinishedCompact')) return;
      b.put('meta', FINISHED, String(job.rev));
      if (!this.check(b.unlock())) return;
      if (this.crashAt('compactAfterSetFinishedCompact')) return;
      this.compactions.shift();
      this.o.emit('backend.compacted', { revision: job.rev });
      this.compacting = false;
      if (this.compactions.length > 0) this.o.later(this.o.compactionSleepIntervalUs, () => this.compactStep());
      return;
    }
    job.from = `${(rows[rows.length - 1] as [string, string])[0]}\0`;
    if (this.crashAt('compactBeforeCommitBatch')) return;
    if (!this.check(b.commit('compaction'))) return;
    if (this.crashAt('compactAfterCommitBatch')) return;
    this.o.later(this.o.compactionSleepIntervalUs, () => this.compactStep());
  }

  // ---- failures ---------------------------------------------------------------------------------

  private check(r: BackendResult): boolean {
    if (r.ok) return true;
    if (!this.dead) {
      this.dead = true;
      if (r.error !== 'crashed') this.o.fatal(r.error);
    }
    return false;
  }

  private crashAt(name: StorageCrashPoint): boolean {
    if (this.dead || !this.o.crashPoint(name)) return false;
    this.dead = true;
    this.b?.close();
    return true;
  }
}

function leaseRow(ttlS: number, remainingTtlS: number): string {
  return remainingTtlS > 0 ? `${ttlS}/${remainingTtlS}` : String(ttlS);
}

function leaseKey(id: number): string {
  return id.toString(16).padStart(16, '0');
}
