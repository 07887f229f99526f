/**
 * Acceptance: the same scenario + seed + settings give the same trace hash in a fresh runtime, for
 * every built-in — here a worker thread (its own V8 isolate and module graph, TypeScript loaded
 * again through tsx), hash-only, against this thread's run in keep mode (so the two trace modes are
 * compared on the way).
 */
import { describe, expect, it } from 'vitest';
import { BUILTINS } from './builtin/registry.js';
import { runPool } from './cli/worker-pool.js';
import type { JobResult, RunJob } from './run-job.js';
import { runJob } from './run-job.js';

describe('determinism', () => {
  it('every built-in gives the same trace hash in a worker thread (hash-only) as here (keep)', async () => {
    const jobs: RunJob[] = BUILTINS.map((b, id) => ({ id, source: { kind: 'builtin', name: b.name }, seed: 7, overrides: [], trace: 'hash-only', full: false }));
    const there = new Map<number, JobResult>();
    const pool = runPool(jobs, { workers: 1, onResult: (r) => there.set(r.id, r) });
    const here = jobs.map((j) => runJob({ ...j, trace: 'keep' }));
    await pool;
    for (const [i, b] of BUILTINS.entries()) {
      const a = here[i] as JobResult;
      const w = there.get(i) as JobResult;
      expect(a.ok ? a.record.traceHash : a.error, b.name).toMatch(/^[0-9a-f]{16}$/);
      expect(w.ok ? w.record.traceHash : w.error, b.name).toBe(a.ok ? a.record.traceHash : '');
      expect(w.ok && a.ok && w.record.events === a.record.events, b.name).toBe(true);
    }
  });

  it('a different seed gives a different hash, and a --set override is part of the settings', () => {
    const run = (seed: number, overrides: string[] = []) => runJob({ id: 0, source: { kind: 'builtin', name: 'leader-transfer' }, seed, overrides, trace: 'hash-only', full: false });
    const a = run(1);
    const b = run(2);
    const c = run(1, ['workload.ratePerS=50']);
    expect(a.ok && b.ok && c.ok).toBe(true);
    if (!a.ok || !b.ok || !c.ok) return;
    expect(a.record.traceHash).not.toBe(b.record.traceHash);
    expect(c.record.traceHash).not.toBe(a.record.traceHash);
    expect(c.record.reproduce).toBe('npx raftsim run leader-transfer --seed 1 --set workload.ratePerS=50');
  });
});
