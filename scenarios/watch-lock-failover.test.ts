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
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runJob } from './run-job.js';

// `raftsim show swarm --seed 85` as the swarm drew it then (the swarm has since moved its
// membership changes after 5.5 s, which changes seed 85): trace 16770eb7635de419 then,
// 304a3f2423d30c12 since the lessor promotes at its term's empty entry (the promote event moved).
const PATH = new URL('./testdata/swarm-85-lock-watch-failover.json', import.meta.url);
const SWARM_85 = JSON.parse(readFileSync(PATH, 'utf8')) as unknown;

describe('a lock waiter watch that fails over at once', () => {
  it('swarm seed 85 passes every check, the watch check included', () => {
    const r = runJob({ id: 0, source: { kind: 'file', path: 'swarm-85-lock-watch-failover.json', json: SWARM_85 }, seed: 85, overrides: [], trace: 'hash-only', full: false });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.record.traceHash).toBe('304a3f2423d30c12');
    const watch = r.record.checks.watch;
    expect(watch.status, watch.summary).toBe('pass');
    // The run has watchers and a lock workload (the waiter's watch is judged too).
    expect(watch.summary).toMatch(/^\d+ watches, \d+ events/);
    expect(r.record.checks.invariants.summary).toMatch(/[1-9]\d* acquisitions/);
    for (const [name, c] of Object.entries(r.record.checks)) expect(c.status, `${name}: ${c.summary}`).not.toBe('fail');
  });
});
