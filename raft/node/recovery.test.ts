import { describe, expect, it } from 'vitest';
import { createDisks } from '../../sim/disk.js';
import { createHosts } from '../../sim/host.js';
import type { Entry, LogIndex, NodeId, Term } from '../core/types.js';
import { recoverFromDisk } from './recovery.js';
import { Snapshotter } from './snapshotter.js';
import type { WalOptions } from './wal.js';
import { createWal } from './wal.js';
import { createKernel } from '../../sim/kernel.js';

function setup(tornWriteRate = 0) {
  const kernel = createKernel({ seed: 1 });
  const hosts = createHosts(kernel);
  hosts.add(1);
  hosts.start(1, () => null);
  const disk = createDisks(kernel, hosts, { traceOps: false, faults: { tornWriteRate } }).of(1);
  const walOpts: WalOptions = { dir: 'member/wal', segmentBytes: 4096, unsafeNoFsync: false, emit: () => {} };
  const snapshotter = new Snapshotter(disk, { dir: 'member/snap', keepMax: 3, unsafeNoFsync: false, emit: () => {} });
  const crash = (): void => {
    hosts.crash(1);
    hosts.restart(1);
  };
  return { disk, walOpts, snapshotter, crash, trace: kernel.trace };
}

const ents = (from: number, to: number, term = 1): Entry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ term: term as Term, index: (from + i) as LogIndex, type: 'normal' as const, data: Uint8Array.of(from + i) }));

const META = { nodeId: 1 as NodeId, clusterId: 5, peers: [1, 2, 3] as NodeId[], bootstrap: true };

describe('recovery', () => {
  it('an empty disk is a new member', () => {
    const { disk, walOpts, snapshotter } = setup();
    expect(recoverFromDisk(disk, walOpts, snapshotter, 1 as NodeId, 5).kind).toBe('new');
  });

  it('rebuilds storage from the WAL: hard state, entries with later ones replacing earlier', () => {
    const { disk, walOpts, snapshotter } = setup();
    const w = createWal(disk, walOpts, META);
    if (!w.ok) throw new Error(w.error);
    w.wal.save({ term: 1 as Term, vote: 2 as NodeId, commit: 3 as LogIndex }, ents(1, 6), true);
    w.wal.save({ term: 2 as Term, vote: 3 as NodeId, commit: 4 as LogIndex }, ents(5, 7, 2), true);
    const r = recoverFromDisk(disk, walOpts, snapshotter, 1 as NodeId, 5);
    if (r.kind !== 'restart') throw new Error(r.kind === 'failed' ? r.reason : r.kind);
    expect(r.hardState).toEqual({ term: 2, vote: 3, commit: 4 });
    expect(r.lastIndex).toBe(7);
    const t = (i: number): number => (r.storage.term(i as LogIndex) as { value: number }).value;
    expect([t(4), t(5), t(6), t(7)]).toEqual([1, 2, 2, 2]);
  });

  it('restarts from the fsynced log after a crash discarded two saves and tore the second (swarm seed 5)', () => {
    const { disk, walOpts, snapshotter, crash, trace } = setup(1);
    const w = createWal(disk, walOpts, META);
    if (!w.ok) throw new Error(w.error);
    expect(w.wal.save({ term: 1 as Term, vote: 1 as NodeId, commit: 2 as LogIndex }, ents(1, 3), true).ok).toBe(true);
    // Unsynced (an fsync that failed, or a save that did not need one): lost at the crash, the
    // second one torn after its first sector.
    expect(w.wal.save({ term: 1 as Term, vote: 1 as NodeId, commit: 3 as LogIndex }, ents(4, 4), false).ok).toBe(true);
    const big: Entry = { term: 1 as Term, index: 5 as LogIndex, type: 'normal', data: new Uint8Array(1200).fill(9) };
    expect(w.wal.save({ term: 1 as Term, vote: 1 as NodeId, commit: 4 as LogIndex }, [big], false).ok).toBe(true);
    crash();
    expect(trace.events().find((e) => e.kind === 'disk.crash')?.fields).toMatchObject({ discarded: 2, torn: true });
    const r = recoverFromDisk(disk, walOpts, snapshotter, 1 as NodeId, 5);
    if (r.kind !== 'restart') throw new Error(r.kind === 'failed' ? r.reason : r.kind);
    expect(r.repaired).toBe(true);
    expect(r.hardState).toEqual({ term: 1, vote: 1, commit: 2 });
    expect(r.lastIndex).toBe(3);
  });

  it("refuses another node's or another cluster's WAL", () => {
    const { disk, walOpts, snapshotter } = setup();
    expect(createWal(disk, walOpts, META).ok).toBe(true);
    const other = recoverFromDisk(disk, walOpts, snapshotter, 2 as NodeId, 5);
    expect(other.kind === 'failed' && other.reason).toMatch(/metadata says node 1 of cluster 5, this is node 2 of cluster 5/);
    const cluster = recoverFromDisk(disk, walOpts, snapshotter, 1 as NodeId, 6);
    expect(cluster.kind).toBe('failed');
  });

  it('refuses a hard state that commits past the log (etcd #10219: "tocommit is out of range")', () => {
    const { disk, walOpts, snapshotter } = setup();
    const w = createWal(disk, walOpts, META);
    if (!w.ok) throw new Error(w.error);
    w.wal.save({ term: 1 as Term, vote: 0 as NodeId, commit: 9 as LogIndex }, ents(1, 5), true);
    const r = recoverFromDisk(disk, walOpts, snapshotter, 1 as NodeId, 5);
    expect(r.kind === 'failed' && r.reason).toBe('recovery: commit 9 is out of range [0, 5]: the raft log was truncated or lost');
  });

  it('starts from the newest snapshot file the WAL records at or below its commit; an orphan file is ignored', () => {
    const { disk, walOpts, snapshotter } = setup();
    const w = createWal(disk, walOpts, META);
    if (!w.ok) throw new Error(w.error);
    const cs = { voters: [1, 2, 3] as NodeId[], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
    w.wal.save({ term: 1 as Term, vote: 0 as NodeId, commit: 8 as LogIndex }, ents(1, 10), true);
    const snap = (i: number) => ({ metadata: { index: i as LogIndex, term: 1 as Term, confState: cs }, data: Uint8Array.of(i) });
    expect(snapshotter.save(snap(4)).ok).toBe(true);
    expect(w.wal.saveSnapshot(snap(4).metadata).ok).toBe(true);
    // A snapshot file whose WAL record was never written (a crash in between): an orphan.
    expect(snapshotter.save(snap(6)).ok).toBe(true);
    // A record above the durable commit (8): not a snapshot to stand on.
    expect(snapshotter.save(snap(9)).ok).toBe(true);
    expect(w.wal.saveSnapshot(snap(9).metadata).ok).toBe(true);
    const r = recoverFromDisk(disk, walOpts, snapshotter, 1 as NodeId, 5);
    if (r.kind !== 'restart') throw new Error(r.kind === 'failed' ? r.reason : r.kind);
    expect(r.snapshot?.metadata.index).toBe(4);
    expect(r.storage.firstIndex()).toBe(5);
    expect(r.lastIndex).toBe(10);
  });
});
