import { describe, expect, it } from 'vitest';
import { createTestCluster } from './test-cluster.js';

describe('raft node', () => {
  it('a 3-node cluster elects a leader, commits a steady stream of proposals and converges', () => {
    const c = createTestCluster({ seed: 1 });
    c.proposeSteadily(10_000, 3_000_000);
    c.runFor(3_500_000);
    c.checkConverged();
    const committed = c.committedPayloads();
    expect(committed.length).toBeGreaterThan(150);
  });
});
