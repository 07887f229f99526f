import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Operation } from '../sim/history.js';
import { findAllStaleReads, findStaleReads, historyMetrics, keyWritesOf, percentile, unavailableUs } from './history-metrics.js';

let nextId = 0;
const op = (o: Omit<Operation, 'id'>): Operation => ({ id: nextId++, ...o });
const put = (key: string, value: string, call: number, ret: number, revision: number, status: Operation['status'] = 'ok'): Operation =>
  op({ client: 1, op: 'put', key, input: { key, value }, call, return: status === 'unknown' ? null : ret, status, ...(status === 'ok' ? { output: { revision } } : {}) });
const get = (key: string, call: number, ret: number, kv: { value: string; modRevision: number } | null, revision: number): Operation =>
  op({ client: 2, op: 'range', key, input: { key }, call, return: ret, status: 'ok', output: { revision, kvs: kv === null ? [] : [{ key, ...kv, createRevision: 1, version: 1, lease: 0 }], more: false, count: kv === null ? 0 : 1 } });
const del = (key: string, call: number, ret: number, revision: number, deleted: number): Operation =>
  op({ client: 1, op: 'delete', key, input: { key }, call, return: ret, status: 'ok', output: { revision, deleted, prevKvs: [] } });

describe('stale reads', () => {
  it('a read that misses a write acknowledged before it began is stale', () => {
    const w1 = put('k', 'a', 0, 10, 2);
    const w2 = put('k', 'b', 20, 30, 3);
    const fresh = get('k', 40, 50, { value: 'b', modRevision: 3 }, 3);
    const stale = get('k', 40, 50, { value: 'a', modRevision: 2 }, 2);
    const concurrent = get('k', 25, 35, { value: 'a', modRevision: 2 }, 2); // w2 not yet acknowledged at its call
    expect(findStaleReads([w1, w2, fresh, stale, concurrent])).toEqual([stale.id]);
  });

  it('a read of another key at a revision older than an acknowledged write is stale too (what the linearizability checker finds)', () => {
    // lease-read-clock-drift seed 2: a read of k2 served at revision 22 after a put of k1 returned 23.
    const w1 = put('k2', 'a', 0, 10, 22);
    const w2 = put('k1', 'b', 20, 30, 23);
    const behind = get('k2', 40, 50, { value: 'a', modRevision: 22 }, 22);
    const caughtUp = get('k2', 40, 50, { value: 'a', modRevision: 22 }, 23);
    const concurrent = get('k2', 25, 35, { value: 'a', modRevision: 22 }, 22);
    const h = [w1, w2, behind, caughtUp, concurrent];
    expect(findStaleReads(h)).toEqual([]);
    expect(findAllStaleReads(h)).toEqual([behind.id]);
    expect(historyMetrics(h, { fromUs: 0, toUs: 100 }).staleReads).toBe(1);
  });

  it('an absent key is stale from a store behind an acknowledged put, fresh after an acknowledged or concurrent delete', () => {
    const w = put('k', 'a', 0, 10, 2);
    const missing = get('k', 20, 30, null, 1);
    expect(findStaleReads([w, missing])).toEqual([missing.id]);
    // Absent at revision 4: a delete at 3 acknowledged after the read began explains it.
    const concurrentDelete = del('k', 18, 40, 3, 1);
    const gone4 = get('k', 20, 30, null, 4);
    expect(findStaleReads([w, concurrentDelete, gone4])).toEqual([]);
    const d = del('k', 12, 15, 3, 1);
    const gone = get('k', 20, 30, null, 3);
    const old = get('k', 20, 30, { value: 'a', modRevision: 2 }, 2);
    expect(findStaleReads([w, d, gone, old])).toEqual([old.id]);
  });

  it('txn writes count on the branch that ran, unknown and failed writes never', () => {
    const t = op({ client: 1, op: 'txn', input: { compare: [], success: [{ type: 'put', request: { key: 'k', value: 'x' } }], failure: [{ type: 'put', request: { key: 'j', value: 'y' } }] }, call: 0, return: 10, status: 'ok', output: { revision: 5, succeeded: true, responses: [{ type: 'put', response: {} }] } });
    expect(keyWritesOf(t)).toEqual([{ key: 'k', revision: 5, put: true, value: 'x', opId: t.id, returnUs: 10 }]);
    const u = put('j', 'z', 0, 0, 0, 'unknown');
    expect(keyWritesOf(u)).toEqual([]);
    expect(findStaleReads([t, u, get('j', 20, 30, null, 5), get('k', 20, 30, { value: 'w', modRevision: 4 }, 4)])).toHaveLength(1);
  });
});

describe('latency and availability', () => {
  it('percentile is nearest-rank', () => {
    expect(percentile([], 50)).toBe(0);
    expect(percentile([5, 1, 3], 50)).toBe(3);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99)).toBe(99);
  });

  it('the unavailability window is the longest gap between ok write completions while writing', () => {
    const h = [put('a', '1', 0, 100, 2), put('a', '2', 150, 200, 3), put('a', '3', 210, 0, 0, 'unknown'), put('a', '4', 1_000, 1_700, 4), put('a', '5', 1_800, 1_900, 5)];
    expect(unavailableUs(h, 0, 10_000)).toBe(1_500); // from 200 to 1_700
  });

  it('historyMetrics counts outcomes', () => {
    const h = [put('a', '1', 0, 1_000, 2), get('a', 2_000, 5_000, { value: '1', modRevision: 2 }, 2), put('a', '2', 6_000, 0, 0, 'unknown')];
    const m = historyMetrics(h, { fromUs: 0, toUs: 10_000 });
    expect(m).toMatchObject({ ok: 2, fail: 0, unknown: 1, staleReads: 0, readLatencyMsP50: 3, writeLatencyMsP50: 1 });
  });
});

describe('historyMetrics against the plain definitions', () => {
  it('percentiles and stale reads match percentile() and a sorted sweep, in any recording order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ kind: fc.constantFrom('put', 'get', 'del'), key: fc.constantFrom('a', 'b'), call: fc.integer({ min: 0, max: 5_000 }), dur: fc.integer({ min: 0, max: 3_000 }), rev: fc.integer({ min: 1, max: 20 }), status: fc.constantFrom('ok', 'ok', 'unknown') }), { maxLength: 40 }),
        (specs) => {
          const h = specs.map((x) =>
            x.kind === 'put' ? put(x.key, 'v', x.call, x.call + x.dur, x.rev, x.status as Operation['status'])
              : x.kind === 'del' ? del(x.key, x.call, x.call + x.dur, x.rev, 1)
                : get(x.key, x.call, x.call + x.dur, x.rev % 2 === 0 ? null : { value: 'v', modRevision: x.rev }, x.rev));
          const m = historyMetrics(h, { fromUs: 0, toUs: 10_000 });
          const lat = (o: Operation): number => ((o.return as number) - o.call) / 1000;
          const done = h.filter((o) => o.status === 'ok' && o.return !== null);
          const reads = done.filter((o) => o.op === 'range').map(lat);
          const writes = done.filter((o) => o.op !== 'range').map(lat);
          expect([m.readLatencyMsP50, m.readLatencyMsP99, m.writeLatencyMsP50, m.writeLatencyMsP99]).toEqual([percentile(reads, 50), percentile(reads, 99), percentile(writes, 50), percentile(writes, 99)]);
          // The same reads sorted by call first: the sweep's order is the call order either way.
          const byCall = [...h].sort((a, b) => a.call - b.call);
          expect(m.staleReadIds).toEqual(findAllStaleReads(byCall));
        },
      ),
    );
  });
});
