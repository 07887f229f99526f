import { describe, expect, it } from 'vitest';
import { RoleTimeline } from './role-metrics.js';
import type { FaultRecord } from '../record/run-record.js';

describe('role metrics', () => {
  const t = new RoleTimeline();
  // n1 leads at term 2 from 1 s; isolated at 5 s, steps down at 6.2 s; n2 leads at term 3 from 6.5 s.
  t.record(1, 500_000, 'candidate', 2);
  t.record(1, 1_000_000, 'leader', 2);
  t.record(2, 6_000_000, 'candidate', 3);
  t.record(1, 6_200_000, 'follower', 2);
  t.record(2, 6_500_000, 'leader', 3);
  const isolate: FaultRecord = { atUs: 5_000_000, untilUs: 9_000_000, kind: 'partition', hosts: [1], groups: [[1], [2, 3]], label: 'isolate 1 (the leader)' };
  const bridge: FaultRecord = { atUs: 5_000_000, untilUs: 9_000_000, kind: 'partition', hosts: [2, 1, 3], groups: [[1], [3]], label: 'bridge 2 between 1 and 3' };

  it('counts elections, leaders and changes', () => {
    expect(t.elections).toBe(2);
    expect(t.maxTerm).toBe(3);
    expect(t.leaderChanges()).toBe(1);
    expect(t.leaderChangesSince(6_000_000)).toBe(1);
    expect(t.leaderAt(5_000_000)).toBe(1);
    expect(t.leaderAt(6_300_000)).toBeNull();
    expect(t.lastTerm(2)).toBe(3);
  });

  it('measures how long a leader cut off in a minority kept leading; a bridge is not a minority', () => {
    expect(t.minorityLeaderUs([isolate], 3, 10_000_000)).toBe(1_200_000);
    expect(t.minorityLeaderUs([bridge], 3, 10_000_000)).toBe(0);
  });
});
