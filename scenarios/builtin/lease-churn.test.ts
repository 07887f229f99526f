/**
 * The lease-churn built-in: leases granted, used, kept alive, revoked and expired under leader
 * crashes and partitions. Its history holds every kind of lease operation, and the expiries the
 * runner records are what makes it linearizable: without them the keys that vanished with an
 * expired lease are phantom deletes, and the check says so.
 */
import { describe, expect, it } from 'vitest';
import type { Operation } from '../../sim/history.js';
import { checkLinearizability } from '../../sim/check/linearizability.js';
import { etcdModel, isModelledOp, isSerializableRange, type EtcdOperation } from '../../kv/check/etcd-model.js';
import { LEASE_EXPIRY_NOTE } from '../../kv/workload/lease-expiry.js';
import type { RunRecord } from '../../record/run-record.js';
import { resolveScenario } from '../resolve.js';
import { runBuiltin } from './test-support.js';

/** Seed 4: 16 expiries recorded, several of them deleting keys that later reads saw gone. */
const SEED = 4;

const run = (seed: number, overrides: readonly string[] = []): RunRecord => runBuiltin('lease-churn', seed, overrides);

const isExpiry = (op: Operation): boolean => op.note === LEASE_EXPIRY_NOTE;
const checked = (ops: readonly Operation[]): EtcdOperation[] => ops.filter((op): op is EtcdOperation => isModelledOp(op) && !isSerializableRange(op));

describe('lease-churn built-in', () => {
  const r = run(SEED);
  const h = r.history;

  it('records grants, leased puts, client revokes and expiries, and passes every check', () => {
    const ok = h.filter((op) => op.status === 'ok');
    expect(ok.filter((op) => op.op === 'lease-grant').length).toBeGreaterThan(10);
    expect(ok.filter((op) => op.op === 'put' && (op.input as { lease?: number }).lease !== undefined).length).toBeGreaterThan(30);
    expect(ok.filter((op) => op.op === 'lease-revoke').length).toBeGreaterThan(3);
    const expiries = h.filter(isExpiry);
    expect(expiries.length).toBeGreaterThan(3);
    const granted = new Set(ok.filter((op) => op.op === 'lease-grant').map((op) => (op.output as { id: number }).id));
    for (const e of expiries) {
      expect(e).toMatchObject({ op: 'lease-revoke', status: 'unknown', return: null });
      expect(granted.has((e.input as { id: number }).id)).toBe(true);
    }
    // One per lease, and never for a lease a client revoked with success.
    const expired = expiries.map((e) => (e.input as { id: number }).id);
    expect(new Set(expired).size).toBe(expired.length);
    const revoked = new Set(ok.filter((op) => op.op === 'lease-revoke').map((op) => (op.input as { id: number }).id));
    expect(expired.some((id) => revoked.has(id))).toBe(false);
    for (const [name, c] of Object.entries(r.checks)) expect(c.status, `${name}: ${c.summary}`).toBe(name === 'serializable' ? 'skipped' : 'pass'); // no serializable reads: nothing to check
    expect(r.metrics.leaderChanges).toBeGreaterThan(0);
  });

  it('the check can fail: without the recorded expiries the history is not linearizable (phantom deletes)', () => {
    expect(checkLinearizability(etcdModel, checked(h), { budgetSteps: 5_000_000 }).verdict).toBe('ok');
    expect(checkLinearizability(etcdModel, checked(h.filter((op) => !isExpiry(op))), { budgetSteps: 5_000_000 }).verdict).toBe('illegal');
  });

  it('without faults too: expiries happen on a steady leader and the run passes every check', () => {
    const quiet = run(SEED, ['faults=[]', 'nemesis.intervalMs=0']);
    expect(quiet.metrics.leaderChanges).toBe(0);
    expect(quiet.history.filter(isExpiry).length).toBeGreaterThan(3);
    for (const [name, c] of Object.entries(quiet.checks)) expect(c.status, `${name}: ${c.summary}`).toBe(name === 'serializable' ? 'skipped' : 'pass');
  });

  it('rejects bad lease fields in one line naming the field', () => {
    const bad = (leases: object): string => {
      const x = resolveScenario({ workload: { leases } }, { source: 'my.json' });
      return x.ok ? 'ok' : x.error;
    };
    expect(bad({ clients: 4 })).toBe('my.json: workload.leases.clients: must be at most workload.clients');
    expect(bad({ ttlS: 2, keepAliveEveryMs: 2_000 })).toBe('my.json: workload.leases.keepAliveEveryMs: must be below leases.ttlS (in milliseconds)');
    expect(bad({ putShare: -1 })).toMatch(/^my\.json: workload\.leases\.putShare: /);
    expect(bad({ clients: 2 })).toBe('ok');
  });
});
