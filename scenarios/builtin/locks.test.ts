/**
 * The lock built-ins do what their descriptions say: the pause hits the client holding the lock;
 * unfenced, the paused client's write after resuming is accepted and the mutual-exclusion check
 * names two holders; fenced, the same write is refused and every check passes.
 */
import { describe, expect, it } from 'vitest';
import { findBuiltin } from './registry.js';
import { runBuiltin } from './test-support.js';

const SEEDS = [1, 2, 3];

describe('lock-pause and lock-pause-fenced built-ins', () => {
  it('lock-pause: the paused lock holder writes after the other client took the lock (expect fail, under invariants)', () => {
    expect(findBuiltin('lock-pause')?.expect).toBe('fail');
    for (const seed of SEEDS) {
      const r = runBuiltin('lock-pause', seed);
      expect(r.faults.map((f) => f.label)).toEqual([expect.stringMatching(/^pause 30\d \(the lock holder\)$/)]);
      expect(r.checks.invariants.status).toBe('fail');
      expect(r.checks.invariants.summary).toMatch(/^two lock holders at once: c\d wrote resource at revision \d+ .* but c\d had taken the lock with token \d+/);
      // Nothing is wrong with etcd: every other check passes.
      expect([r.checks.linearizable.status, r.checks.watch.status, r.checks.liveness.status]).toEqual(['pass', 'pass', 'pass']);
    }
  });

  it('lock-pause-fenced: the same stale write is refused by the isOwner() guard and every check passes', () => {
    expect(findBuiltin('lock-pause-fenced')?.expect).toBe('pass');
    for (const seed of SEEDS) {
      const r = runBuiltin('lock-pause-fenced', seed);
      expect(r.faults.map((f) => f.label)).toEqual([expect.stringMatching(/\(the lock holder\)$/)]);
      expect(r.checks.invariants.status).toBe('pass');
      expect(r.checks.invariants.summary).toMatch(/no lock holder wrote after another had taken the lock \(\d+ acquisitions, \d+ accepted writes, [1-9]\d* stale writes? refused by the fence\)/);
      // Every check passes, or had nothing to judge (no serializable reads: skipped).
      expect(Object.values(r.checks).every((c) => c.status === 'pass' || c.status === 'skipped')).toBe(true);
      expect(r.checks.invariants.status).toBe('pass');
    }
  });
});
