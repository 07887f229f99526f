/**
 * The raft node's bug switches (RaftNodeOptions.bugs, scenarios/bugs.ts), each on a schedule run
 * with the switch off (etcd's fix: the test cluster's durability checks hold) and on (etcd before
 * the fix: they break the way the upstream issue describes).
 */
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../core/types.js';
import type { CrashPoint } from './crash-points.js';
import { createTestCluster, type TestClusterOptions } from './test-cluster.js';

const FAST: NonNullable<TestClusterOptions['node']> = { tickUs: 20_000, snapshotCount: 40, catchUpEntries: 10, walSegmentBytes: 2048 };

/** etcd #14370: a lone node under writes crashes at raftBeforeSave (its 20th time there) and restarts. */
function loneNodeCrash(bug: boolean): void {
  let seen = 0;
  const c = createTestCluster({
    seed: 14370,
    size: 1,
    node: { ...FAST, ...(bug ? { bugs: ['etcd-14370'], raft: { bugs: ['etcd-14370'] } } : {}) },
    crashPoint: (_id, name: CrashPoint) => name === 'raftBeforeSave' && ++seen === 20,
  });
  c.proposeSteadily(5_000, 600_000);
  c.runFor(700_000);
  expect(c.crashes.length).toBe(1);
  c.restart(1 as NodeId);
  c.runFor(300_000);
}

/**
 * etcd #10219: a follower isolated until it needs a snapshot, healed; after it restored the
 * snapshot it crashes at its next WAL save (before that save's fsync) and restarts.
 */
function snapshotThenCrash(bug: boolean): void {
  let restored = false;
  let armed: NodeId | null = null;
  const c = createTestCluster({
    seed: 10219,
    node: { ...FAST, ...(bug ? { bugs: ['etcd-10219'] } : {}) },
    trace: { mode: 'keep', keepKinds: ['raft.snapshot'] },
    crashPoint: (id, name: CrashPoint) => id === armed && restored && name === 'raftBeforeSave' && (armed = null) === null,
  });
  c.kernel.trace.tap((e) => {
    if (e.kind === 'raft.snapshot' && e.fields['what'] === 'restored' && e.host === armed) restored = true;
  });
  c.proposeSteadily(5_000, 3_000_000);
  c.runFor(600_000);
  const lead = c.leader() as NodeId;
  const f = c.ids.find((id) => id !== lead) as NodeId;
  c.network.isolate(f);
  c.runFor(1_000_000);
  armed = f;
  c.network.heal();
  c.runFor(1_000_000);
  expect(restored).toBe(true);
  expect(c.crashes.map((r) => r.point)).toEqual(['raftBeforeSave']);
  c.restart(f);
  c.runFor(1_000_000);
  c.checkConverged();
}

describe('raft node bug switches', () => {
  it('etcd-14370: with the switch a lone node applies (acknowledges) entries it then loses in a crash before the WAL write', () => {
    expect(() => loneNodeCrash(false)).not.toThrow();
    expect(() => loneNodeCrash(true)).toThrow(/durability: node 1 applied up to \d+ but recovered only up to \d+ \(crash at raftBeforeSave\)/);
  });

  it('etcd-10219: with the switch the hard state committing a snapshot is not durable when the WAL is released, and the restarted follower is behind what it acknowledged', () => {
    expect(() => snapshotThenCrash(false)).not.toThrow();
    expect(() => snapshotThenCrash(true)).toThrow(/durability: node \d applied up to \d+ but recovered only up to \d+ \(crash at raftBeforeSave\)|tocommit/);
  });
});
