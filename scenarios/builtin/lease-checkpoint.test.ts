/**
 * The lease-checkpoint built-in: remaining TTLs survive leader changes with checkpointing on, reset
 * with it off, and the lease expiry check catches etcd-17132 (remaining TTLs not persisted).
 */
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../sim/trace.js';
import { startRun } from '../runner.js';
import { scenarioFor } from '../scenario-source.js';
import type { RunRecord } from '../../record/run-record.js';
import { LEASE_EXPIRY_NOTE } from '../../kv/workload/lease-expiry.js';

function run(seed: number, overrides: string[] = []): { record: RunRecord; events: TraceEvent[] } {
  const s = scenarioFor({ kind: 'builtin', name: 'lease-checkpoint' }, seed, overrides);
  if (!s.ok) throw new Error(s.error);
  const events: TraceEvent[] = [];
  const session = startRun({ scenario: s.scenario, seed, trace: 'hash-only', name: 'lease-checkpoint', overrides: [] }, { tap: (e) => { if (e.kind === 'kv.lease') events.push(e); } });
  return { record: session.finish(), events };
}

/** When each lease granted before 3 s expired (first apply of its expiry revoke), in seconds. */
function earlyLeaseExpiries(r: RunRecord): number[] {
  const granted = new Set(r.history.filter((op) => op.op === 'lease-grant' && op.status === 'ok' && op.call < 3_000_000).map((op) => (op.output as { id: number }).id));
  return r.history.filter((op) => op.note === LEASE_EXPIRY_NOTE && granted.has((op.input as { id: number }).id)).map((op) => op.call / 1e6);
}

describe('lease-checkpoint built-in', () => {
  const on = run(1);
  const off = run(1, ['server.leaseCheckpoint=false']);

  it('moves leadership three times around a restart of member 3, and every check passes', () => {
    expect(on.record.faults.map((f) => f.label)).toEqual(['transfer leadership 1 → 2', 'transfer leadership 2 → 1', 'crash 3', 'transfer leadership 1 → 3']);
    for (const [name, c] of Object.entries(on.record.checks)) expect(c.status, `${name}: ${c.summary}`).toBe(name === 'serializable' || name === 'watch' ? 'skipped' : 'pass');
    expect(on.record.checks.invariants.summary).toMatch(/every lease expired inside its promised window \(\d+ leases judged late, \d+ early; [1-9]\d* refreshes from a checkpoint\)/);
  });

  it('checkpointing on: the leader proposes checkpoints, and leases granted before 3 s expire soon after their 10 s; off: none, and they live 10 s past the last leader change', () => {
    expect(on.events.some((e) => e.fields.action === 'checkpoint')).toBe(true);
    expect(off.events.some((e) => e.fields.action === 'checkpoint')).toBe(false);
    const onAt = earlyLeaseExpiries(on.record);
    const offAt = earlyLeaseExpiries(off.record);
    expect(onAt.length).toBeGreaterThan(0);
    expect(offAt.length).toBe(onAt.length);
    // Granted by 3 s with 10 s TTLs: with checkpoints each leader change adds at most an interval and an election timeout.
    for (const t of onAt) expect(t).toBeLessThan(20);
    // Without: the last change (10 s) renews them in full, plus an election timeout.
    for (const t of offAt) expect(t).toBeGreaterThan(21);
    expect(off.record.checks.invariants.status).toBe('pass');
  });

  it('etcd-17132 (remaining TTLs not persisted): the restarted member renews in full once it leads, and the lease expiry check names a late expiry', () => {
    const bug = run(1, ['bugs=["etcd-17132"]']).record;
    expect(bug.checks.invariants.status).toBe('fail');
    expect(bug.checks.invariants.summary).toMatch(/^lease \d+ expired late at 2\d\.\d{3} s, after 1\d\.\d{3} s, the latest its promise allowed \(member 3 leading from 10\.\d{3} s \(checkpointed remaining TTL \d+ s\)\) \(seed=1\)$/);
  });
});
