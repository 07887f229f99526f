/**
 * A lock waiter's watch that fails over before it received anything.
 *
 * Swarm seed 85 (correct build): a Mutex waiter watches the key ahead of it from the revision of
 * its read (178), NOPUT. Its member goes away before any event arrives and the watch client
 * resumes, rightly, from 178 on another member. The watch checker took a watch from revision S as
 * knowing nothing complete (revision 0) and reported every DELETE of that key below 178 as
 * "skipped" by the resumption: a false alarm. A watch from S never owed the events below S
 * (sim/check/watch.test.ts pins the rule on a small history).
 */
import { describe, expect, it } from 'vitest';
import { runJob } from './run-job.js';

describe('a lock waiter watch that fails over at once', () => {
  it('swarm seed 85 passes every check, the watch check included', () => {
    const r = runJob({ id: 0, source: { kind: 'builtin', name: 'swarm' }, seed: 85, overrides: [], trace: 'hash-only', full: false });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const watch = r.record.checks.watch;
    expect(watch.status, watch.summary).toBe('pass');
    // The run has watchers and a lock workload (the waiter's watch is judged too).
    expect(watch.summary).toMatch(/^\d+ watches, \d+ events/);
    expect(r.record.checks.invariants.summary).toMatch(/[1-9]\d* acquisitions/);
    for (const [name, c] of Object.entries(r.record.checks)) expect(c.status, `${name}: ${c.summary}`).not.toBe('fail');
  });
});
