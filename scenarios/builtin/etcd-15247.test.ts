/**
 * The etcd-15247 built-in: with `server.leaseRevokeIgnoresOldLeader` off (etcd before PR #16822) a
 * leader whose disk stalls for 8 s (a disk-stall fault at 6 s) revokes leases its clients keep alive
 * on the new leader, and the lease keepalive check fails under `invariants`; with etcd's fix the same
 * runs pass. Seeds 1–50: all 50 fail, 0 with the fix (0 of seeds 1–200 with the fix).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runJob } from '../run-job.js';
import type { RunRecord } from '../../record/run-record.js';
import { anomalyListingProblem, runBuiltin } from './test-support.js';

/** The stall is at a fixed time, so any seed shows it; three, to vary the timing around it. */
const SEEDS = [1, 2, 3];

const run = (seed: number, overrides: readonly string[] = []): RunRecord => runBuiltin('etcd-15247', seed, overrides);

describe('etcd-15247 built-in', () => {
  it('is listed as an anomaly, with the setting that fixes it in its description', () => {
    expect(anomalyListingProblem('etcd-15247', 'server.leaseRevokeIgnoresOldLeader=true')).toBeNull();
  });

  it('without PR #16822, a lease kept alive is revoked by expiry before its keepalive\'s TTL ran out', () => {
    for (const seed of SEEDS) {
      const r = run(seed);
      expect(r.checks.invariants.status, `seed ${seed}: ${r.checks.invariants.summary}`).toBe('fail');
      expect(r.checks.invariants.summary).toMatch(/^lease \d+ of c\d was revoked by expiry at [\d.]+ s, but a keepalive sent at [\d.]+ s had granted it 2 s \(until [\d.]+ s\)/);
      // The revoke commits when the old leader's fsync returns, at the stall's end (6 s + 8 s).
      const revokedAtS = Number(/revoked by expiry at ([\d.]+) s/.exec(r.checks.invariants.summary)?.[1]);
      expect(revokedAtS, `seed ${seed}`).toBeGreaterThanOrEqual(14);
      expect(revokedAtS, `seed ${seed}`).toBeLessThan(15);
      expect(r.faults.map((f) => f.label), `seed ${seed}`).toEqual([expect.stringMatching(/^stall the disk of \d \(the leader\): fsyncs wait 8000 ms$/)]);
      // The expiry is in the history as an unknown revoke, so the linearizability check can explain it.
      expect(r.history.some((op) => op.op === 'lease-revoke' && op.status === 'unknown'), `seed ${seed}`).toBe(true);
    }
  });

  it('with etcd\'s fix, the same runs keep every promise and converge', () => {
    for (const seed of SEEDS) {
      const r = run(seed, ['server.leaseRevokeIgnoresOldLeader=true']);
      expect(r.checks.invariants.status, `seed ${seed}: ${r.checks.invariants.summary}`).toBe('pass');
      expect(r.checks.invariants.summary).toContain('no lease expired before a keepalive\'s TTL ran out');
      expect(r.checks.linearizable.status, `seed ${seed}`).toBe('pass');
      expect(r.checks.liveness.status, `seed ${seed}`).toBe('pass');
    }
  });

  it('with the fix, the finding kept as a file passes now that a leader promotes its lessor at its term\'s empty entry (seed 57)', () => {
    // It used to fail: the re-elected leader's lessor was promoted when it won, and it renewed a
    // forwarded keepalive a moment before the revokes it proposed in its previous term committed.
    // etcd promotes only when it applies its term's empty entry (applyEntryNormal): those revokes first.
    const path = new URL('../../docs/findings/lease-renewed-before-old-revoke.json', import.meta.url);
    const json: unknown = JSON.parse(readFileSync(path, 'utf8'));
    const r = runJob({ id: 0, source: { kind: 'file', path: path.pathname, json }, seed: 57, overrides: [], trace: 'hash-only', full: false });
    if (!r.ok) throw new Error(r.error);
    expect((json as { server: { leaseRevokeIgnoresOldLeader: boolean } }).server.leaseRevokeIgnoresOldLeader).toBe(true);
    expect(r.record.checks.invariants.status, r.record.checks.invariants.summary).toBe('pass');
  });

  it.each([[], ['server.backend=true']])('swarm seed 630 %j: the leader re-elected over its old-term revokes renews no lease they end', (...overrides: string[]) => {
    // Leader 1 paused past its leases' TTL, proposed their revokes, lost its quorum and was
    // re-elected; a keepalive renewed by its freshly promoted lessor was then revoked by them.
    const r = runJob({ id: 0, source: { kind: 'builtin', name: 'swarm' }, seed: 630, overrides, trace: 'hash-only', full: false });
    if (!r.ok) throw new Error(r.error);
    expect(r.record.checks.invariants.status, r.record.checks.invariants.summary).toBe('pass');
    // The old-term revoke still happens and is judged against the keepalives: the check is not idle.
    expect(r.record.checks.invariants.summary).toMatch(/\(([1-9]\d*) expiries of kept leases judged\)/);
  });
});
