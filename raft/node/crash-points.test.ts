import { describe, expect, it } from 'vitest';
import type { CrashPoint } from './crash-points.js';
import { ALL_CRASH_POINTS } from './crash-points.js';
import type { CrashRole } from './crash-scenario.js';
import { runCrashScenario, SNAPSHOT_RECEIPT_POINTS } from './crash-scenario.js';

/** Each point with the roles that reach it. */
const CASES: [CrashPoint, CrashRole][] = ALL_CRASH_POINTS.flatMap((p): [CrashPoint, CrashRole][] => {
  if (p === 'raftBeforeLeaderSend') return [[p, 'leader']];
  if (p === 'raftBeforeFollowerSend' || SNAPSHOT_RECEIPT_POINTS.includes(p)) return [[p, 'follower']];
  return [[p, 'leader'], [p, 'follower']];
});

describe('crash at each named crash point, 3 nodes under steady proposals', () => {
  it.each(CASES)('%s on a %s: restart loses nothing committed, acknowledged or voted; the cluster converges again', (point, role) => {
    const r = runCrashScenario({ seed: 7, point, role });
    expect(r.crash, 'the crash point was never reached').not.toBeNull();
    expect(r.crash?.point).toBe(point);
    // The restart checked the recovered disk against the node's last acknowledgement and vote.
    expect(r.crash?.after).not.toBeNull();
    expect(r.committedLost).toBe(0);
    expect(r.committedAtEnd).toBeGreaterThan(r.committedAtCrash);
    if (point === 'raftBeforeApplySnap' || point === 'raftAfterApplySnap' || point === 'raftAfterWALRelease') {
      // Past the extra fsync of a snapshot Ready, the received snapshot and the hard state that
      // commits it are durable: the restart starts from it (etcd #10219 released the WAL before).
      expect(r.crash?.after?.snapshotIndex).toBe(r.crash?.before.lastIndex);
    }
  });
});
