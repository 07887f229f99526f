/**
 * The disk-stall fault: its schema (one-line errors naming the field) and a run where a stalled
 * leader's disk costs it its leadership. The nemesis applying and undoing it is tested with the
 * other faults in nemesis.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { resolveScenario } from './resolve.js';
import { runScenario } from './runner.js';

const resolve = (input: unknown) => resolveScenario(input, { source: 'my.json', overrides: [], crashPoints: [] });

describe('disk-stall: schema', () => {
  const ok = { type: 'disk-stall', at: 1_000, node: 'leader', for: 8_000 };

  it('accepts a member or a node word, and needs a positive `for`', () => {
    expect(resolve({ faults: [ok] }).ok).toBe(true);
    expect(resolve({ faults: [{ ...ok, node: 2 }] }).ok).toBe(true);
    const { for: _, ...noFor } = ok;
    expect(resolve({ faults: [noFor] })).toMatchObject({ ok: false, error: 'my.json: faults[0].for: missing (expected a duration in milliseconds)' });
    expect(resolve({ faults: [{ ...ok, for: 0 }] })).toMatchObject({ ok: false, error: expect.stringMatching(/^my\.json: faults\[0\]\.for: [^\n]+$/) });
    expect(resolve({ faults: [{ ...ok, node: 4 }] })).toMatchObject({ ok: false, error: 'my.json: faults[0].node: member 4 does not exist (cluster.size + cluster.spares = 3)' });
    expect(resolve({ faults: [{ ...ok, fsyncMs: 5 }] })).toMatchObject({ ok: false, error: 'my.json: faults[0]: unknown field "fsyncMs"' });
  });
});

describe('disk-stall: a run', () => {
  it('a leader whose disk stalls past an election timeout loses leadership; the cluster converges after', () => {
    const r = resolve({ durationMs: 8_000, faults: [{ type: 'disk-stall', at: 2_000, node: 'leader', for: 4_000 }] });
    if (!r.ok) throw new Error(r.error);
    const record = runScenario({ name: 'disk-stall', scenario: r.scenario, seed: 3, overrides: [], trace: 'keep' });
    const [f] = record.faults;
    expect(record.faults.length).toBe(1);
    expect(f?.kind).toBe('disk-stall');
    expect(f?.label).toMatch(/^stall the disk of \d \(the leader\): fsyncs wait 4000 ms$/);
    expect([f?.atUs, f?.untilUs]).toEqual([2_000_000, 6_000_000]);
    const stalled = f?.hosts[0];
    // Someone else wins an election during the stall.
    const elected = record.trace.filter((e) => e.kind === 'raft.role' && e.fields.role === 'leader' && e.timeUs > 2_000_000 && e.timeUs < 6_000_000).map((e) => e.host);
    expect(elected.length).toBeGreaterThan(0);
    expect(elected).not.toContain(stalled);
    expect(record.checks.invariants.status).toBe('pass');
    expect(record.checks.linearizable.status).toBe('pass');
    expect(record.checks.liveness.status).toBe('pass');
  });
});
