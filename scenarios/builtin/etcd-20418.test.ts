/**
 * The etcd-20418 built-in: with `server.readIndexReuseIdOnRetry` (etcd before PR #21399) the paused
 * leader answers its client's read at its old commit index about 4 s after the pause — the late
 * acknowledgement's delay — and the linearizability check fails; with etcd's fix the same schedule
 * is linearizable and converges. Seeds 1–60: 56 stale, 0 with the fix (README material).
 */
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../record/run-record.js';
import { anomalyListingProblem, runBuiltin } from './test-support.js';

const SEEDS = [1, 2, 3];
/** Member 1 and 2 are paused at 7.5 s; the slow link 3 → 1 holds acknowledgements for 4 s. */
const PAUSE_US = 7_500_000;
const SLOW_US = 4_000_000;

const run = (seed: number, overrides: readonly string[] = []): RunRecord => runBuiltin('etcd-20418', seed, overrides);

describe('etcd-20418 built-in', () => {
  it('is listed as an anomaly, with the setting that fixes it in its description', () => {
    expect(anomalyListingProblem('etcd-20418', 'server.readIndexReuseIdOnRetry=false')).toBeNull();
  });

  it('with a reused ReadIndex id, the paused leader serves a stale read when the late acknowledgement lands', () => {
    for (const seed of SEEDS) {
      const r = run(seed);
      expect(r.checks.linearizable.status, `seed ${seed}: ${r.checks.linearizable.summary}`).toBe('fail');
      expect(r.checks.invariants.status, `seed ${seed}`).toBe('pass');
      expect(r.metrics.staleReads, `seed ${seed}`).toBeGreaterThan(0);
      // The explanation's stale read: by the client pinned to member 1 (history client 1), served there.
      const read = r.history.find((op) => op.op === 'range' && op.id === r.violation?.failedOp);
      expect(read?.client, `seed ${seed}`).toBe(1);
      expect(read?.note, `seed ${seed}`).toMatch(/^member=1 /);
      expect(read?.return ?? 0, `seed ${seed}`).toBeGreaterThan(PAUSE_US + SLOW_US - 100_000);
    }
  });

  it('with a new id per retry (etcd\'s fix), the same schedule is linearizable and the cluster converges', () => {
    for (const seed of SEEDS) {
      const r = run(seed, ['server.readIndexReuseIdOnRetry=false']);
      expect(r.checks.linearizable.status, `seed ${seed}: ${r.checks.linearizable.summary}`).toBe('pass');
      expect(r.checks.liveness.status, `seed ${seed}`).toBe('pass');
      expect(r.metrics.staleReads, `seed ${seed}`).toBe(0);
    }
  });

  it('pinned clients: reads on member 2 for 210 ms, reads on member 1 and writes through 4 and 5 for 3 s', () => {
    const r = run(1);
    expect(r.clients).toEqual([0, 1, 2]);
    const calls = (client: number) => r.history.filter((op) => op.client === client);
    const window = (client: number) => [Math.min(...calls(client).map((op) => op.call)), Math.max(...calls(client).map((op) => op.call))];
    const servedBy = (client: number) => new Set(calls(client).filter((op) => op.status === 'ok').map((op) => /^member=(\d+)/.exec(op.note ?? '')?.[1]));
    expect(new Set(calls(0).map((op) => op.op))).toEqual(new Set(['range']));
    expect(new Set(calls(2).map((op) => op.op))).toEqual(new Set(['put']));
    expect(servedBy(0)).toEqual(new Set(['2']));
    expect(servedBy(1)).toEqual(new Set(['1']));
    expect([...servedBy(2)].every((m) => m === '4' || m === '5')).toBe(true);
    const [m0, m1] = window(0);
    expect(m0).toBeGreaterThanOrEqual(7_300_000);
    expect(m1).toBeLessThan(7_510_000);
    const [w0, w1] = window(2);
    expect(w0).toBeGreaterThanOrEqual(7_300_000);
    expect(w1).toBeLessThan(10_300_000);
  });
});
