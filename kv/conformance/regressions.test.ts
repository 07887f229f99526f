/**
 * Differences the conformance harness found between raftsim and etcd 3.4.23 that were raftsim bugs,
 * each as its shrunk sequence with the answers the real etcd gave (written down from
 * `npm run conformance -- --ops '<the ops>'`), replayed on raftsim's server path.
 */
import { describe, expect, it } from 'vitest';
import type { SeqOp } from './sequence.js';
import { runOnSim } from './sim-target.js';

const run = (ops: SeqOp[]) => runOnSim({ name: 'regression', ops });

describe('conformance regressions (raftsim bugs found against etcd 3.4)', () => {
  it('a plain put with an unknown lease and ignore_value on a missing key: LeaseNotFound; inside a txn: KeyNotFound', () => {
    const o = run([
      { method: 'put', request: { key: 'a', value: '', lease: 77, ignoreValue: true } },
      { method: 'txn', request: { compare: [], success: [{ type: 'put', request: { key: 'a', value: '', lease: 77, ignoreValue: true } }], failure: [] } },
      { method: 'put', request: { key: 'a', value: 'x', lease: 77, ignoreLease: true } },
    ]);
    // etcd 3.4.23 answered exactly these.
    expect(o.answers).toEqual([
      { ok: false, code: 'LeaseNotFound' },
      { ok: false, code: 'KeyNotFound' },
      { ok: false, code: 'LeaseProvided' },
    ]);
  });

  it('a watcher canceled for compaction keeps its id: the next watch gets a new one, and a cancel frees it', () => {
    const o = run([
      { method: 'put', request: { key: 'a', value: '1' } },
      { method: 'put', request: { key: 'a', value: '2' } },
      { method: 'compact', request: { revision: 3 } },
      { method: 'watch', request: { key: 'a', startRevision: 2 } },
      { method: 'watch', request: { key: 'a' } },
      { method: 'watch-cancel', watchId: 0 },
      { method: 'watch', request: { key: 'a' } },
      { method: 'put', request: { key: 'a', value: '3' } },
    ]);
    // etcd 3.4.23: ids 0 (canceled: compacted at 3), 1, 2 — id 0 is not reused.
    expect(o.watches.map((w) => [w.watchId, w.canceled?.compactRevision ?? null, w.events.length])).toEqual([[0, 3, 0], [1, null, 1], [2, null, 1]]);
  });

  it('a watch event carries no prevKv when revision − 1 is compacted, nor on a create event (the seed 1 sequence 82 difference)', () => {
    const o = run([
      { method: 'put', request: { key: 'a', value: '1' } },
      { method: 'put', request: { key: 'a', value: '2' } },
      { method: 'delete', request: { key: 'a' } },
      { method: 'compact', request: { revision: 3 } },
      { method: 'watch', request: { key: 'a', startRevision: 3, prevKv: true } },
      { method: 'put', request: { key: 'd', value: '1' } },
      // A from-key range delete and a put of a key in it may share a txn (etcd's interval check
      // does not see the from-key range): the put is a create event.
      { method: 'txn', request: { compare: [], success: [{ type: 'delete', request: { key: 'b', rangeEnd: '\0' } }, { type: 'put', request: { key: 'd', value: '2' } }], failure: [] } },
      { method: 'watch', request: { key: 'd', startRevision: 5, prevKv: true } },
    ]);
    // etcd 3.4.23: [event type, mod revision, prevKv's mod revision or null] per watcher.
    expect(o.watches.map((w) => w.events.map((e) => [e.type, e.kv.modRevision, e.prevKv?.modRevision ?? null]))).toEqual([
      [['PUT', 3, null], ['DELETE', 4, 3]],
      [['PUT', 5, null], ['DELETE', 6, 5], ['PUT', 6, null]],
    ]);
  });

  it('HashKV after a compaction counts a kept row only while its key is still at it, unless no key is live (Keep(at); the 100-sequence CI run)', () => {
    const o = run([
      { method: 'put', request: { key: 'a', value: '1' } },
      { method: 'put', request: { key: 'a', value: '2' } },
      { method: 'hash-kv', request: { revision: 0 } },
      { method: 'compact', request: { revision: 2 } },
      { method: 'hash-kv', request: { revision: 3 } },
      { method: 'delete', request: { key: 'a' } },
      { method: 'hash-kv', request: { revision: 0 } },
    ]);
    const hashes = [2, 4, 6].map((i) => (o.answers[i] as { res: { hash: number } }).res.hash);
    // etcd 3.4.23 answered 535221974, 1483641527, 1363947557: three different hashes. The hash at
    // 3 changes with the compaction at 2 (a@2 is kept on disk but a is at a@3 by revision 3).
    expect(new Set(hashes).size).toBe(3);
  });
});
