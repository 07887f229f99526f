/**
 * One crash at a named crash point in a 3-node cluster under a steady stream of proposals, then a
 * restart and a liveness phase — the experiment behind the crash-point tests and the
 * `raft.crash.*` benchmark figures (what a crash at each point loses).
 *
 * Timeline (virtual time; ticks of 20 ms, so an election takes a few hundred ms):
 * - proposals to the leader every `proposeEveryUs` until `proposeUntilUs`;
 * - for the points on the path of a snapshot *received* from the leader, one follower is isolated
 *   from `isolateFromUs` to `isolateUntilUs`, long enough for the leader to snapshot and compact
 *   past it (snapshotCount 40, catchUpEntries 10), so it is sent a snapshot when it returns;
 * - the first time the point is reached after `armAtUs` on a node of the wanted role, that node
 *   crashes there; it restarts `restartAfterUs` later;
 * - then everything heals and the cluster must converge by `endUs`.
 */
import { assert } from '../../sim/assert.js';
import type { Micros } from '../../sim/time.js';
import type { NodeId } from '../core/types.js';
import type { CrashPoint } from './crash-points.js';
import type { CrashRecord } from './test-cluster.js';
import { createTestCluster } from './test-cluster.js';

/** The points reached only while installing a snapshot sent by the leader. */
export const SNAPSHOT_RECEIPT_POINTS: readonly CrashPoint[] = ['raftBeforeSaveSnap', 'raftAfterSaveSnap', 'raftBeforeApplySnap', 'raftAfterApplySnap', 'raftAfterWALRelease'];

export type CrashRole = 'leader' | 'follower';

export interface CrashScenarioResult {
  readonly point: CrashPoint;
  readonly role: CrashRole;
  /** The crash as recorded (what the node held, what it recovered). Null if the point was never reached. */
  readonly crash: CrashRecord | null;
  /** Entries committed (applied somewhere) when the node crashed, and at the end. */
  readonly committedAtCrash: number;
  readonly committedAtEnd: number;
  /** Committed entries the leader's final state machine does not reflect (must be 0). */
  readonly committedLost: number;
  readonly traceHash: string;
}

export interface CrashScenarioOptions {
  readonly seed: number;
  readonly point: CrashPoint;
  readonly role: CrashRole;
  readonly proposeEveryUs?: Micros;
  readonly proposeUntilUs?: Micros;
  readonly armAtUs?: Micros;
  readonly restartAfterUs?: Micros;
  readonly endUs?: Micros;
}

export function runCrashScenario(o: CrashScenarioOptions): CrashScenarioResult {
  const proposeEveryUs = o.proposeEveryUs ?? 5_000;
  const proposeUntilUs = o.proposeUntilUs ?? 2_500_000;
  const armAtUs = o.armAtUs ?? 900_000;
  const restartAfterUs = o.restartAfterUs ?? 100_000;
  const endUs = o.endUs ?? 4_000_000;
  const receipt = SNAPSHOT_RECEIPT_POINTS.includes(o.point);
  let armed = true;
  let victim: NodeId | null = null;
  const c = createTestCluster({
    seed: o.seed,
    node: { tickUs: 20_000, snapshotCount: 40, catchUpEntries: 10, walSegmentBytes: 2048 },
    crashPoint: (id, name) => {
      if (!armed || name !== o.point || c.now < armAtUs) return false;
      if (receipt ? id !== victim : (o.role === 'leader') !== (c.node(id)?.status().role === 'leader')) return false;
      armed = false;
      return true;
    },
  });
  c.proposeSteadily(proposeEveryUs, proposeUntilUs);
  if (receipt) isolateUntilSnapshot(c, (id) => (victim = id));
  let restarted = false;
  let committedAtCrash = 0;
  // Watch for the crash, then restart the node after a pause (bounded by the run's end).
  const watch = (): void => {
    const rec = c.crashes[0];
    if (rec !== undefined && !restarted) {
      restarted = true;
      committedAtCrash = c.applied.size;
      c.kernel.scheduler.schedule(restartAfterUs, () => c.restart(rec.id));
      return;
    }
    if (c.now + 10_000 <= endUs) c.kernel.scheduler.schedule(10_000, watch);
  };
  c.kernel.scheduler.schedule(10_000, watch);
  c.runFor(proposeUntilUs);
  c.network.heal();
  // Convergence is checked every 10 ms rather than before every event: it asks every node's status.
  let done = false;
  const poll = (): void => {
    done = restarted && c.convergenceProblem() === null;
    if (!done) c.kernel.scheduler.schedule(10_000, poll);
  };
  poll();
  c.runUntil(() => done, endUs - c.now);
  c.checkConverged();
  const committedLost = c.missingCommitted(c.leader() as NodeId);
  return { point: o.point, role: o.role, crash: c.crashes[0] ?? null, committedAtCrash, committedAtEnd: c.applied.size, committedLost, traceHash: c.kernel.trace.hash() };
}

/** Isolates a follower while the leader snapshots and compacts past it (etcd's BlackholeUntilSnapshot). */
function isolateUntilSnapshot(c: ReturnType<typeof createTestCluster>, setVictim: (id: NodeId) => void): void {
  c.kernel.scheduler.schedule(500_000, () => {
    const lead = c.leader();
    const victim = c.ids.find((id) => id !== lead) as NodeId;
    assert(victim !== undefined, 'crash scenario: no follower to isolate');
    setVictim(victim);
    c.network.isolate(victim);
    c.kernel.scheduler.schedule(1_000_000, () => c.network.heal());
  });
}
