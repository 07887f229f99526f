/**
 * The liveness phase restarts nothing itself: `healAll` restarts every member that is down or
 * stopped, on disks cleared of the failures the nemesis injected and that were still waiting.
 *
 * The scenario is swarm seed 106 shrunk to its five faults (found when the runner's repeated
 * restarts in the liveness phase were taken out, before the nemesis cleared injected failures):
 * member 1 crashes at a failpoint, and its fsync EIO is injected while it is still getting back on
 * its feet; the fault's undo came and went without the failure being hit, so the liveness phase's
 * restart stopped at its first fsync and the cluster had no quorum.
 */
import { describe, expect, it } from 'vitest';
import { runJob } from './run-job.js';

const SEED_106_SHRUNK = {
  durationMs: 7755,
  cluster: { size: 3, electionTick: 11, heartbeatTick: 3, snapshotCount: 30, snapshotCatchUpEntries: 5 },
  network: { delay: { kind: 'log-normal', medianUs: 2685, sigma: 0.6, minUs: 100, maxUs: 60000 }, lossRatio: 0.021209835482295603, duplicateRatio: 0.041897962836083026 },
  disk: { faults: { tornWriteRate: 0.5 } },
  clocks: { skewMsMax: 131, driftMax: 0.010290620173327625 },
  workload: { clients: 2, keys: 6, ratePerS: 56, watchers: 1 },
  faults: [
    { type: 'transfer-leader', at: 2204, to: 3 },
    { type: 'crash-point', at: 5082, node: 1, point: 'raftAfterSave', for: 1142 },
    { type: 'transfer-leader', at: 5098, to: 1 },
    { type: 'disk-fault', at: 6570, node: 2, fault: 'write-enospc', for: 106 },
    { type: 'disk-fault', at: 7085, node: 1, fault: 'fsync-eio', for: 169 },
  ],
};

describe('liveness phase', () => {
  it('a member whose injected fsync EIO was still waiting restarts on a cleared disk and the cluster converges', () => {
    const r = runJob({ id: 0, source: { kind: 'file', path: 'swarm-106-shrunk.json', json: SEED_106_SHRUNK }, seed: 106, overrides: [], trace: 'keep', full: true });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.record.checks.liveness.status, r.record.checks.liveness.summary).toBe('pass');
    expect(r.record.checks.linearizable.status).toBe('pass');
    // The fault was undone (its failure cleared) within the safety phase, and member 1 runs at the end.
    expect(r.record.trace.some((e) => e.kind === 'nemesis.undo' && e.fields.label === 'fsync-eio on 1')).toBe(true);
    expect(r.record.checks.liveness.details ?? []).toEqual([]);
  });
});
