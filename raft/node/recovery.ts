/**
 * What a node finds on its disk when it starts (etcd's `etcdserver/bootstrap.go`): nothing (a new
 * member), or a WAL and snapshot files to restart from, or a disk it cannot trust.
 *
 * Restart, in etcd's order:
 * 1. open the WAL (wal.ts): read every segment, repair a torn tail, refuse any other damage;
 * 2. take the snapshot records it holds at or below its last hard state's commit, and load the
 *    newest snapshot file among them (snapshotter.ts), setting unreadable files aside;
 * 3. replay the entries after that snapshot (a gap, or a snapshot the WAL does not record, is
 *    refused);
 * 4. rebuild the MemoryStorage: snapshot, hard state, entries — and check that the commit index
 *    lies in [snapshot index, last index] (etcd #10219's "tocommit(N) is out of range" is exactly
 *    this check failing, after a WAL released before its hard state was durable).
 *
 * The node (node.ts) then restores the state machine from the snapshot and sets raft's `applied`
 * to the snapshot's index: the state machine lives in memory, so every committed entry after the
 * snapshot is applied again.
 *
 * Every failure is a value with a reason; the node stays down with it.
 */
import type { Disk } from '../../sim/disk.js';
import { MemoryStorage } from '../core/storage.js';
import type { HardState, LogIndex, NodeId, Snapshot, Term } from '../core/types.js';
import type { Snapshotter } from './snapshotter.js';
import type { Wal, WalOptions } from './wal.js';
import { openWal, walExists } from './wal.js';
import type { WalMetadata } from './wal-record.js';
import { entriesAfter, validSnapshots } from './wal-replay.js';

export interface Restart {
  readonly kind: 'restart';
  readonly wal: Wal;
  readonly metadata: WalMetadata;
  readonly storage: MemoryStorage;
  /** The snapshot the log starts from, or null (the log starts at index 1). */
  readonly snapshot: Snapshot | null;
  readonly hardState: HardState;
  readonly lastIndex: LogIndex;
  /** Whether the WAL was repaired (a torn tail cut off). */
  readonly repaired: boolean;
  readonly latencyUs: number;
}

export type Recovery = { readonly kind: 'new'; readonly latencyUs: number } | Restart | { readonly kind: 'failed'; readonly reason: string; readonly latencyUs: number };

/** Reads what the disk holds for node `nodeId` of cluster `clusterId`. */
export function recoverFromDisk(disk: Disk, walOptions: WalOptions, snapshotter: Snapshotter, nodeId: NodeId, clusterId: number): Recovery {
  const exists = walExists(disk, walOptions.dir);
  let latencyUs = exists.latencyUs;
  if (!exists.exists) return { kind: 'new', latencyUs };
  const failed = (reason: string): Recovery => ({ kind: 'failed', reason, latencyUs });
  const opened = openWal(disk, walOptions);
  latencyUs += opened.latencyUs;
  if (!opened.ok) return failed(opened.error);
  const { replayed, wal } = opened;
  const meta = replayed.metadata;
  if (meta.nodeId !== nodeId || meta.clusterId !== clusterId) {
    return failed(`wal: metadata says node ${meta.nodeId} of cluster ${meta.clusterId}, this is node ${nodeId} of cluster ${clusterId}`);
  }
  const loaded = snapshotter.loadNewestAvailable(validSnapshots(replayed));
  latencyUs += loaded.latencyUs;
  if (!loaded.ok) return failed(loaded.error);
  const snapshot = loaded.snapshot;
  const start = snapshot === null ? { index: 0 as LogIndex, term: 0 as Term } : { index: snapshot.metadata.index, term: snapshot.metadata.term };
  const ents = entriesAfter(replayed, start);
  if (!ents.ok) return failed(ents.error);
  const storage = new MemoryStorage();
  if (snapshot !== null && !storage.applySnapshot(snapshot).ok) return failed(`recovery: cannot install snapshot ${start.term}/${start.index}`);
  storage.setHardState(replayed.hardState);
  storage.append(ents.entries);
  const lastIndex = storage.lastIndex();
  const commit = replayed.hardState.commit;
  // An empty hard state (a node that crashed before its first save) commits nothing.
  if (commit !== 0 && (commit < start.index || commit > lastIndex)) {
    return failed(`recovery: commit ${commit} is out of range [${start.index}, ${lastIndex}]: the raft log was truncated or lost`);
  }
  return { kind: 'restart', wal, metadata: meta, storage, snapshot, hardState: replayed.hardState, lastIndex, repaired: replayed.torn !== null, latencyUs };
}
