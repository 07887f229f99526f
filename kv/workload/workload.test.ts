import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../sim/random.js';
import { historyToJsonLines } from '../../sim/history.js';
import { createTestCluster, fakeNodeBuilder } from '../testing/cluster-harness.js';
import { createKeyChooser, keyName, zipfCdf } from './key-chooser.js';
import { OpGenerator } from './op-generator.js';
import { resolveWorkloadOptions, workloadClientFactory, type WorkloadClient, type WorkloadOptions } from './workload.js';

describe('workload: keys', () => {
  it('zipf CDF is increasing and ends at exactly 1, for any size and exponent', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.double({ min: 0.1, max: 3, noNaN: true }), (n, s) => {
        const cdf = zipfCdf(n, s);
        expect(cdf).toHaveLength(n);
        expect(cdf[n - 1]).toBe(1);
        for (let i = 1; i < n; i++) expect(cdf[i] as number).toBeGreaterThan(cdf[i - 1] as number);
      }),
      { numRuns: 50 },
    );
  });

  it('zipfian draws favour the first keys; uniform ones spread evenly; names sort like indexes', () => {
    const count = (dist: 'uniform' | 'zipfian'): Map<string, number> => {
      const kc = createKeyChooser(10, dist, 1.2);
      const r = createRandom('keys');
      const m = new Map<string, number>();
      for (let i = 0; i < 5_000; i++) {
        const k = kc.pick(r);
        m.set(k, (m.get(k) ?? 0) + 1);
      }
      return m;
    };
    const z = count('zipfian');
    expect(z.get('k0') as number).toBeGreaterThan(5 * (z.get('k9') as number));
    const u = count('uniform');
    for (const n of u.values()) expect(n).toBeGreaterThan(400);
    expect([keyName(2, 100), keyName(10, 100)].sort()).toEqual(['k02', 'k10']);
  });
});

describe('workload: operations', () => {
  it('draws kinds by weight, makes every written value unique, and compares-and-sets against what it saw', () => {
    const gen = new OpGenerator(4, createKeyChooser(1, 'uniform'), { get: 0, range: 0, put: 1, delete: 0, txn: 1, watch: 0 }, 0);
    const r = createRandom('ops');
    const values = new Set<string>();
    let txns = 0;
    for (let i = 0; i < 200; i++) {
      const op = gen.next(r);
      expect(['put', 'txn']).toContain(op.kind);
      if (op.kind === 'put' && op.call.method === 'put') {
        values.add(op.call.request.value);
        gen.observe(op.call, {});
      }
      if (op.kind === 'txn' && op.call.method === 'txn') {
        txns++;
        const succ = op.call.request.success[0];
        if (succ?.type === 'put') values.add(succ.request.value);
      }
    }
    expect(values.size).toBe(200);
    expect(txns).toBeGreaterThan(50);
    expect([...values].every((v) => v.startsWith('c4-'))).toBe(true);
    // After a put of value v, a txn compares the key's VALUE with v.
    const g2 = new OpGenerator(1, createKeyChooser(1, 'uniform'), { get: 0, range: 0, put: 0, delete: 0, txn: 1, watch: 0 }, 0);
    g2.observe({ method: 'put', request: { key: 'k0', value: 'seen' } }, {});
    const t = g2.next(r);
    expect(t.kind === 'txn' && t.call.method === 'txn' && t.call.request.compare[0]).toEqual({ target: 'VALUE', result: 'EQUAL', key: 'k0', value: 'seen' });
  });

  it('rejects a mix with no positive weight and unknown kinds', () => {
    expect(() => new OpGenerator(0, createKeyChooser(1, 'uniform'), { get: 0, range: 0, put: 0, delete: 0, txn: 0, watch: 0 }, 0)).toThrow(/positive sum/);
    expect(() => resolveWorkloadOptions({ mix: { bogus: 1 } as never })).toThrow(/mix/);
  });
});

function runWorkload(seed: string, o: Partial<WorkloadOptions>): { history: string; hash: string; clients: WorkloadClient[] } {
  const c = createTestCluster({ members: 3, node: fakeNodeBuilder(), seed });
  const options = resolveWorkloadOptions({ durationUs: 2_000_000, ...o });
  const clients = Array.from({ length: options.clients }, (_, k) => c.addProgram((ctx, env) => workloadClientFactory(env, c.memberIds, options, k, c.random.fork(`client/c${k}`))(ctx)));
  c.run(options.durationUs + 1_000_000);
  return { history: historyToJsonLines(c.history.finish()), hash: c.trace.hash(), clients };
}

describe('workload: runs', () => {
  it('is deterministic: the same seed gives the same history and trace hash; another seed does not', () => {
    const a = runWorkload('w1', { clients: 3, ratePerS: 300 });
    const b = runWorkload('w1', { clients: 3, ratePerS: 300 });
    const other = runWorkload('w2', { clients: 3, ratePerS: 300 });
    expect(a.history).toBe(b.history);
    expect(a.hash).toBe(b.hash);
    expect(other.history).not.toBe(a.history);
  });

  it('offers about ratePerS over all clients for the duration, one operation at a time per client, then finishes', () => {
    const r = runWorkload('rate', { clients: 4, ratePerS: 200, durationUs: 3_000_000 });
    const issued = r.clients.map((w) => Object.values(w.stats().issued).reduce((a, b) => a + b, 0));
    const total = issued.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(500);
    expect(total).toBeLessThan(700);
    expect(r.clients.every((w) => w.finished)).toBe(true);
    expect(r.clients.every((w) => w.stats().unknown === 0 && w.stats().ok > 0)).toBe(true);
    const per = runWorkload('rate', { clients: 2, ratePerS: 100, ratePerClient: true, durationUs: 3_000_000 });
    const perTotal = per.clients.map((w) => Object.values(w.stats().issued).reduce((a, b) => a + b, 0)).reduce((a, b) => a + b, 0);
    expect(perTotal).toBeGreaterThan(500);
    expect(perTotal).toBeLessThan(700);
  });
});

describe('workload: a pinned client (window, pace, endpoints)', () => {
  it('waits startUs before its first call, then calls back to back (thinkUsMean 0) until durationUs, only on its endpoints', () => {
    const c = createTestCluster({ members: 3, node: fakeNodeBuilder(), seed: 'pinned' });
    const o = resolveWorkloadOptions({ clients: 1, mix: { get: 1 }, startUs: 500_000, durationUs: 800_000, thinkUsMean: 0 });
    const w = c.addProgram((ctx, env) => workloadClientFactory(env, [2], o, 0, c.random.fork('client/p0'))(ctx));
    c.run(1_500_000);
    const ops = c.history.finish();
    expect(ops.length).toBeGreaterThan(50);
    expect(Math.min(...ops.map((op) => op.call))).toBeGreaterThanOrEqual(500_000);
    expect(Math.max(...ops.map((op) => op.call))).toBeLessThan(800_000);
    // Back to back: each call begins when the one before it returned.
    const sorted = [...ops].sort((a, b) => a.call - b.call);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]?.call).toBe(sorted[i - 1]?.return);
    expect(w.finished).toBe(true);
    const to = new Set(c.trace.events().filter((e) => e.kind === 'client.send' && e.host === 100).map((e) => e.fields.to));
    expect([...to]).toEqual([2]);
  });

  it('rejects a start at or after the end, and a negative think time', () => {
    expect(() => resolveWorkloadOptions({ startUs: 2_000_000, durationUs: 2_000_000 })).toThrow(/startUs/);
    expect(() => resolveWorkloadOptions({ thinkUsMean: -1 })).toThrow(/thinkUsMean/);
  });
});
