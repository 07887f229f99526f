/** The tracker's caches: built once per configuration, rebuilt when the configuration is replaced. */
import { describe, expect, it } from 'vitest';
import { Inflights } from './inflights.js';
import { Progress } from './progress.js';
import { ProgressTracker } from './progress-tracker.js';
import type { LogIndex, NodeId } from './types.js';

const ids = (...xs: number[]): Set<NodeId> => new Set(xs as NodeId[]);

function tracker(voters: number[], match: number[]): ProgressTracker {
  const t = new ProgressTracker(4, Number.MAX_SAFE_INTEGER);
  t.config = { voters: { incoming: ids(...voters), outgoing: ids() }, autoLeave: false, learners: ids(), learnersNext: ids() };
  t.progress = new Map(voters.map((id, i) => [id as NodeId, new Progress({ match: (match[i] ?? 0) as LogIndex, next: ((match[i] ?? 0) + 1) as LogIndex, inflights: new Inflights(4, Number.MAX_SAFE_INTEGER), isLearner: false })]));
  return t;
}

describe('ProgressTracker', () => {
  it('confState is one value per configuration, rebuilt (sorted) for a new one', () => {
    const t = tracker([3, 1, 2], [0, 0, 0]);
    const cs = t.confState();
    expect(cs).toEqual({ voters: [1, 2, 3], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false });
    expect(t.confState()).toBe(cs);
    t.config = { ...t.config, voters: { incoming: ids(2, 1), outgoing: ids(3, 1, 2) }, autoLeave: true, learners: ids(5, 4) };
    expect(t.confState()).toEqual({ voters: [1, 2], votersOutgoing: [1, 2, 3], learners: [4, 5], learnersNext: [], autoLeave: true });
    expect(cs.voters).toEqual([1, 2, 3]);
  });

  it('committed follows the live progress map and configuration', () => {
    const t = tracker([1, 2, 3], [5, 7, 9]);
    expect(t.committed()).toBe(7);
    (t.progress.get(1 as NodeId) as Progress).maybeUpdate(8 as LogIndex);
    expect(t.committed()).toBe(8);
    const other = tracker([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]);
    t.config = other.config;
    t.progress = other.progress;
    expect(t.committed()).toBe(3);
  });

  it('ids are the tracked ids in increasing order, the order visit calls in, until the map is replaced', () => {
    const t = tracker([3, 1, 2], [0, 0, 0]);
    const seen: number[] = [];
    t.visit((id) => seen.push(id));
    expect([...t.ids()]).toEqual([1, 2, 3]);
    expect(seen).toEqual([1, 2, 3]);
    expect(t.ids()).toBe(t.ids());
    t.progress = new Map([...t.progress].filter(([id]) => id !== 2));
    expect([...t.ids()]).toEqual([1, 3]);
  });
});
