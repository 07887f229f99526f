import { describe, expect, it } from 'vitest';
import { createRandom } from '../../sim/random.js';
import type { Operation } from '../../sim/history.js';
import { createTestCluster, fakeNodeBuilder } from '../testing/cluster-harness.js';
import { LEASE_WORKLOAD_DEFAULTS, LeaseHolder } from './lease-load.js';
import { resolveWorkloadOptions, workloadClientFactory, type WorkloadClient, type WorkloadOptionsInput } from './workload.js';

function run(seed: string, o: WorkloadOptionsInput): { ops: Operation[]; hash: string; clients: WorkloadClient[] } {
  const c = createTestCluster({ members: 3, node: fakeNodeBuilder(), seed, keepTrace: false });
  const options = resolveWorkloadOptions({ durationUs: 4_000_000, clients: 3, ratePerS: 150, ...o });
  const clients = Array.from({ length: options.clients }, (_, k) => c.addProgram((ctx, env) => workloadClientFactory(env, c.memberIds, options, k, c.random.fork(`client/c${k}`))(ctx)));
  c.run(options.durationUs + 1_000_000);
  return { ops: c.history.finish(), hash: c.trace.hash(), clients };
}

/** What a client's ops stream drew, in order: kinds and keys (independent of responses). */
const drawn = (ops: readonly Operation[], client: number): string[] =>
  ops.filter((op) => op.client === client && !op.op.startsWith('lease')).map((op) => `${op.op} ${op.key ?? ''}`);

describe('workload: leases', () => {
  it('off (the default) draws and does exactly what it did: every lease option but clients is inert', () => {
    const a = run('lease-off', {});
    const b = run('lease-off', { leases: { clients: 0, opShare: 1, putShare: 1, keepAliveShare: 1 } });
    expect(b.hash).toBe(a.hash);
    expect(b.ops).toEqual(a.ops);
    expect(a.ops.some((op) => op.op.startsWith('lease'))).toBe(false);
    expect(a.clients.every((w) => w.stats().leases.grants === 0 && w.stats().leases.keepAlives === 0)).toBe(true);
  });

  it('on for client 0 only: the other clients draw the same operations as without leases', () => {
    const off = run('lease-some', {});
    const on = run('lease-some', { leases: { clients: 1 } });
    for (const k of [1, 2]) {
      const [x, y] = [drawn(off.ops, k), drawn(on.ops, k)];
      const n = Math.min(x.length, y.length);
      expect(n).toBeGreaterThan(100);
      expect(y.slice(0, n)).toEqual(x.slice(0, n));
    }
    expect(on.ops.some((op) => op.client !== 0 && op.op.startsWith('lease'))).toBe(false);
  });

  it('on: grants, leased puts, keepalives and client revokes happen, and are recorded', () => {
    const r = run('lease-on', { leases: { clients: 2, opShare: 0.3, ttlS: 2, keepAliveEveryUs: 500_000 } });
    const ok = r.ops.filter((op) => op.status === 'ok');
    const grants = ok.filter((op) => op.op === 'lease-grant');
    const ids = new Set(grants.map((op) => (op.output as { id: number }).id));
    const leasedPuts = ok.filter((op) => op.op === 'put' && (op.input as { lease?: number }).lease !== undefined);
    const revokes = ok.filter((op) => op.op === 'lease-revoke');
    expect(grants.length).toBeGreaterThan(5);
    expect(leasedPuts.length).toBeGreaterThan(10);
    expect(revokes.length).toBeGreaterThan(0);
    // A client attaches and revokes only leases it was granted.
    for (const op of [...leasedPuts, ...revokes]) {
      const id = op.op === 'put' ? (op.input as { lease: number }).lease : (op.input as { id: number }).id;
      expect(ids.has(id)).toBe(true);
      expect(grants.some((g) => g.client === op.client && (g.output as { id: number }).id === id)).toBe(true);
    }
    expect(r.ops.some((op) => op.client === 2 && op.op.startsWith('lease'))).toBe(false);
    const stats = r.clients.map((w) => w.stats().leases);
    expect(stats[0]?.keepAlives ?? 0).toBeGreaterThan(0);
    expect((stats[0]?.grants ?? 0) + (stats[1]?.grants ?? 0)).toBe(r.ops.filter((op) => op.op === 'lease-grant').length);
    expect(stats[2]).toEqual({ grants: 0, revokes: 0, leasedPuts: 0, keepAlives: 0 });
  });

  it('a holder keeps alive only leases drawn to be kept, drops unkept ones after their TTL, never attaches a revoked one', () => {
    const h = new LeaseHolder({ ...LEASE_WORKLOAD_DEFAULTS, clients: 1, opShare: 1, putShare: 1, keepAliveShare: 1, revokeShare: 1, maxLive: 2 }, createRandom('holder'));
    h.granted(7, 2, 0);
    h.granted(8, 2, 0);
    expect(h.keptAlive()).toEqual([7, 8]);
    // Full: the next lease call is a revoke of the oldest revocable lease.
    expect(h.choose(1)).toEqual({ kind: 'lease', call: { method: 'lease-revoke', request: { id: 7 } } });
    expect(h.keptAlive()).toEqual([8]);
    for (let i = 0; i < 20; i++) expect(h.attach({ method: 'put', request: { key: 'k0', value: 'v' } }, 2)).toEqual({ method: 'put', request: { key: 'k0', value: 'v', lease: 8 } });
    h.gone(8);
    expect(h.attach({ method: 'put', request: { key: 'k0', value: 'v' } }, 3)).toEqual({ method: 'put', request: { key: 'k0', value: 'v' } });
    const unkept = new LeaseHolder({ ...LEASE_WORKLOAD_DEFAULTS, clients: 1, putShare: 1, keepAliveShare: 0 }, createRandom('unkept'));
    unkept.granted(9, 2, 1_000_000);
    expect(unkept.keptAlive()).toEqual([]);
    expect(unkept.attach({ method: 'put', request: { key: 'k', value: 'v' } }, 2_999_999)).toMatchObject({ request: { lease: 9 } });
    expect(unkept.attach({ method: 'put', request: { key: 'k', value: 'v' } }, 3_000_000)).toEqual({ method: 'put', request: { key: 'k', value: 'v' } });
  });

  it('rejects a keepalive period not below the TTL and shares outside [0, 1], naming the field', () => {
    expect(() => resolveWorkloadOptions({ leases: { ttlS: 2, keepAliveEveryUs: 2_000_000 } })).toThrow(/leases\.keepAliveEveryUs/);
    expect(() => resolveWorkloadOptions({ leases: { revokeShare: 1.5 } })).toThrow(/leases\.revokeShare/);
  });
});
