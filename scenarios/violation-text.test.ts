/**
 * A violation is told once: the check's headline, its details, the run's violation and the report
 * speak of the same operation (`failedOp`), in seconds with millisecond precision — not a headline
 * about one read in microseconds and an explanation about another (the README's stale-read run
 * did that before: the etcd model's witness headed c1's read of k2, the per-key story told c0's
 * read of k0).
 */
import { describe, expect, it } from 'vitest';
import { buildViolationPanel } from '../reports/violation-view.js';
import { runJob } from './run-job.js';
import type { RunRecord } from '../record/run-record.js';

const ANOMALIES = ['leader-isolation-stale-read', 'leader-pause-stale-read', 'etcd-20418', 'single-node-restart-stale-read'];

function run(name: string, seed: number): RunRecord {
  const r = runJob({ id: 0, source: { kind: 'builtin', name }, seed, overrides: [], trace: 'hash-only', full: true });
  if (!r.ok) throw new Error(r.error);
  return r.record;
}

describe('violation text', () => {
  it.each(ANOMALIES)('%s: headline, details, violation and report tell one story about failedOp, in seconds', (name) => {
    const rec = run(name, 1);
    const v = rec.violation;
    expect(v, `${name} seed 1 shows its anomaly`).not.toBeNull();
    if (v === null) return;
    const lin = rec.checks.linearizable;
    expect(lin.summary).toBe(`not linearizable: ${v.explanation[0] ?? ''}`);
    expect(lin.details ?? []).toEqual(v.explanation.slice(1));
    const text = v.explanation.join(' ');
    expect(text).not.toMatch(/\bt=\d/);
    for (const m of text.matchAll(/(\d+(?:\.\d+)?) (s|ms|µs)\b/g)) expect(m[0], text).toMatch(/^\d+\.\d{3} s$/);
    const op = rec.history.find((o) => o.id === v.failedOp);
    expect(op, 'failedOp is an operation of the history').toBeDefined();
    if (op === undefined) return;
    // The first line names the failed operation: its client and its key.
    expect(v.explanation[0]).toContain(`by c${op.client}`);
    expect(v.explanation[0]).toContain(`\`${op.key ?? ''}\``);
    expect(v.explanation[0]).toContain(`at ${((op.return ?? 0) / 1e6).toFixed(3)} s`);
    const panel = buildViolationPanel(rec);
    expect(panel?.failed.id).toBe(v.failedOp);
    expect(panel?.explanation).toEqual(v.explanation);
  });

  it('the README run: the stale read of k0 by c0, not a headline about another read', () => {
    const v = run('leader-isolation-stale-read', 1).violation;
    expect(v?.explanation).toEqual([
      'Read of `k0` by c0 returned "c3-9" at 5.129 s (it began at 5.124 s),',
      'but put `k0="c1-7"` by c1 completed at 5.098 s, before the read began,',
      'and no write of "c3-9" happened after it: the read is stale.',
    ]);
  });
});
