/**
 * The named crash points of the raft node: instants in the Ready loop (node.ts) where a fault
 * injector may kill the host, as etcd's robustness suite does with gofail failpoints of the same
 * names (`server/etcdserver/raft.go`). The node asks its `crashPoint(name)` hook at each; a true
 * answer makes it call the injected `crash()` and stop at once.
 *
 * The scenario schema validates failpoint names against `CRASH_POINTS`.
 *
 * Where each one sits, in the order a Ready is handled, and what is durable when it fires:
 * - `raftBeforeLeaderSend` — leader, before it sends the Ready's messages (it sends before its
 *   own write). Nothing of this Ready is on disk or on the wire.
 * - `raftBeforeSaveSnap` — a Ready carrying a snapshot from the leader, before the snapshot file.
 * - `raftAfterSaveSnap` — the snapshot file and the WAL's snapshot record are durable; the hard
 *   state that commits it is not yet (so restart must ignore that record: wal-replay.ts).
 * - `raftBeforeSave` — before the Ready's entries and hard state are appended to the WAL.
 * - `raftAfterSave` — appended, and fsynced if the Ready said mustSync.
 * - `raftBeforeApplySnap` — after the extra fsync that a snapshot Ready gets (etcd #10219),
 *   before the in-memory log takes the snapshot.
 * - `raftAfterApplySnap` — the in-memory log holds the snapshot; old WAL segments still exist.
 * - `raftAfterWALRelease` — old WAL segments removed.
 * - `raftBeforeFollowerSend` — follower or candidate, persisted, before it sends (acks, votes).
 * - `raftBeforeApply` / `raftAfterApply` — around applying the Ready's snapshot and committed
 *   entries to the state machine (ours, not etcd's: etcd applies in another goroutine).
 * - `snapshotBeforeSave` … `snapshotAfterWALRelease` — the node snapshotting its own state
 *   machine every `snapshotCount` entries: before the file; file durable; WAL record durable;
 *   old segments released (ours: etcd has no failpoints in triggerSnapshot).
 *
 * And one inside the WAL's save (`WAL_CRASH_POINTS`), etcd's gofail point in `wal.Save`:
 * - `walBeforeSync` — the Ready's entries and hard state are written to the tail segment (in the
 *   page cache, not on the platter) and the fsync is about to be issued: the crash discards that
 *   write, or — with the disk's `tornWriteRate` — leaves a sector-aligned prefix of it, a torn
 *   tail that the restart repairs (wal.ts). Reached only by saves that must sync.
 *
 * The Ready-loop list is what the nemesis draws from and what the `crash-points` built-in visits;
 * the WAL's point is kept apart so that adding it changed no generated run (a scenario names it).
 */
export const CRASH_POINTS = [
  'raftBeforeLeaderSend',
  'raftBeforeSaveSnap',
  'raftAfterSaveSnap',
  'raftBeforeSave',
  'raftAfterSave',
  'raftBeforeApplySnap',
  'raftAfterApplySnap',
  'raftAfterWALRelease',
  'raftBeforeFollowerSend',
  'raftBeforeApply',
  'raftAfterApply',
  'snapshotBeforeSave',
  'snapshotAfterSaveFile',
  'snapshotAfterSaveWAL',
  'snapshotAfterWALRelease',
] as const;

/** Crash points inside the WAL's save (etcd's `walBeforeSync` gofail point). */
export const WAL_CRASH_POINTS = ['walBeforeSync'] as const;

/** Every name a `crash-point` fault may use. */
export const ALL_CRASH_POINTS: readonly CrashPoint[] = [...CRASH_POINTS, ...WAL_CRASH_POINTS];

export type CrashPoint = (typeof CRASH_POINTS)[number] | (typeof WAL_CRASH_POINTS)[number];

/** Whether `name` is a crash point (for validating user input). */
export function isCrashPoint(name: string): name is CrashPoint {
  return (ALL_CRASH_POINTS as readonly string[]).includes(name);
}
