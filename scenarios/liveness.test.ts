/**
 * The liveness phase restarts nothing itself: `healAll` restarts every member that is down or
 * stopped, on disks cleared of the failures the nemesis injected and that were still waiting.
 *
 * The scenario is swarm seed 106 shrunk to its five faults (found when the runner's repeated
 * restarts in the liveness phase were taken out, before the nemesis cleared injected failures): a
 * write ENOSPC on member 2 (for 106 ms) and an fsync EIO on member 1 (for 169 ms) are injected
 * while neither writes its WAL; both undos come and go with the failures still waiting, and in the
 * liveness phase member 1 stops at its next fsync and member 2 at its next append — no quorum.
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
  it('injected failures still waiting when their faults are undone are cleared: the members run on and the cluster converges', () => {
    const r = runJob({ id: 0, source: { kind: 'file', path: 'swarm-106-shrunk.json', json: SEED_106_SHRUNK }, seed: 106, overrides: [], trace: 'keep', full: true });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.record.checks.liveness.status, r.record.checks.liveness.summary).toBe('pass');
    expect(r.record.checks.linearizable.status).toBe('pass');
    // The faults were undone (their failures cleared) within the safety phase, and every member runs at the end.
    expect(r.record.trace.some((e) => e.kind === 'nemesis.undo' && e.fields.label === 'fsync-eio on 1')).toBe(true);
    expect(r.record.checks.liveness.details ?? []).toEqual([]);
  });
});
