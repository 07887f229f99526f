/**
 * The single-node-restart-stale-read built-in: released etcd-raft's lone leader answers ReadIndex
 * at a commit index the crash rolled back, and a read goes stale; with raft's
 * singletonReadIndexActuallyCommitted (etcd-io/raft PR #105) the same crashes are linearizable.
 * Seeds 1–20: 18 stale by default, 0 with the option.
 */
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../record/run-record.js';
import { anomalyListingProblem, runBuiltin } from './test-support.js';

const SEEDS = [1, 2, 3];
const FIX = 'cluster.singletonReadIndexActuallyCommitted=true';

const run = (seed: number, overrides: readonly string[] = []): RunRecord => runBuiltin('single-node-restart-stale-read', seed, overrides);

describe('single-node-restart-stale-read built-in', () => {
  it('is listed as an anomaly, with the setting that fixes it in its description', () => {
    expect(anomalyListingProblem('single-node-restart-stale-read', FIX)).toBeNull();
  });

  it('by default (released etcd-raft) a read after a restart is stale', () => {
    for (const seed of SEEDS) {
      const r = run(seed);
      expect(r.checks.linearizable.status, `seed ${seed}: ${r.checks.linearizable.summary}`).toBe('fail');
      expect(r.checks.invariants.status, `seed ${seed}`).toBe('pass');
      expect(r.metrics.staleReads, `seed ${seed}`).toBeGreaterThan(0);
    }
  });

  it('with the lone leader reading at its actually committed index (PR #105), the same crashes are linearizable', () => {
    for (const seed of SEEDS) {
      const r = run(seed, [FIX]);
      expect(r.checks.linearizable.status, `seed ${seed}: ${r.checks.linearizable.summary}`).toBe('pass');
      expect(r.checks.liveness.status, `seed ${seed}`).toBe('pass');
      expect(r.metrics.staleReads, `seed ${seed}`).toBe(0);
      // The crashes still happened and the lone member was re-elected after each.
      expect(r.metrics.elections, `seed ${seed}`).toBeGreaterThanOrEqual(4);
    }
  });
});
