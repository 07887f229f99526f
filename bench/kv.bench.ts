/**
 * The pure KV stores, in-process, on one core (`npm run bench -- --filter kv`).
 *
 * - `kv.mvcc.puts_per_s`: puts over 10k keys (zipf-free, round robin), each a new revision.
 * - `kv.mvcc.get_per_s`: single-key ranges at the current revision on a store of 10k keys with
 *   10 versions each.
 * - `kv.mvcc.get_past_per_s`: the same at a revision half-way back (the generation walk).
 * - `kv.mvcc.range100_per_s`: ranges of 100 consecutive keys, limit 0.
 * - `kv.mvcc.txn_cas_per_s`: compare-and-set txns (a VERSION guard and a put).
 * - `kv.mvcc.compact_ms`: compacting the 100k-revision store at half its history.
 * - `kv.mvcc.snapshot_ms` / `kv.mvcc.restore_ms` / `kv.mvcc.snapshot_bytes`: the 10k-key store
 *   after compaction (one version per key plus the retained history).
 * - `kv.watch.notified_events_per_s`: puts with 1000 single-key and 10 prefix watchers synced.
 * Each rate is the best of 3 timed runs after a warm-up. Time is this process's CPU time, not
 * wall time (the machine is shared). Clocks are read here on purpose: this is a benchmark.
 */
import type { Benchmark, Figure } from './run.js';
import { bestRate, cpuSeconds } from './measure.js';
import { prefixEnd } from '../kv/api.js';
import { createMvccStore, type MvccStore } from '../kv/mvcc/store.js';
import { createWatchHub } from '../kv/watch/watchable-store.js';

const KEYS = 10_000;
const key = (i: number): string => `key/${String(i % KEYS).padStart(5, '0')}`;

/** 10k keys × 10 versions: 100k revisions. */
function filled(): MvccStore {
  const store = createMvccStore();
  for (let i = 0; i < KEYS * 10; i++) store.put({ key: key(i), value: `value-${i}` });
  return store;
}

function puts(): number {
  const store = createMvccStore();
  const n = 200_000;
  for (let i = 0; i < n; i++) store.put({ key: key(i), value: `v${i}` });
  return n;
}

function gets(store: MvccStore, revision: number): () => number {
  return () => {
    const n = 300_000;
    let found = 0;
    for (let i = 0; i < n; i++) {
      const res = store.range({ key: key(i * 7), revision });
      if (res.ok) found += res.value.count;
    }
    if (found !== n) throw new Error(`bench: found ${found} of ${n}`);
    return n;
  };
}

function ranges(store: MvccStore): () => number {
  return () => {
    const n = 5_000;
    for (let i = 0; i < n; i++) {
      const start = (i * 37) % (KEYS - 100);
      store.range({ key: key(start), rangeEnd: key(start + 100) });
    }
    return n;
  };
}

function casTxns(): number {
  const store = createMvccStore();
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const k = key(i);
    const version = Math.floor(i / KEYS);
    store.txn({
      compare: [{ target: 'VERSION', result: 'EQUAL', key: k, version }],
      success: [{ type: 'put', request: { key: k, value: `v${i}` } }],
      failure: [{ type: 'range', request: { key: k } }],
    });
  }
  return n;
}

function watchNotify(): number {
  const store = createMvccStore();
  const hub = createWatchHub({ store, streamBufferResponses: 1 << 30 });
  const stream = hub.openStream(() => undefined);
  for (let i = 0; i < 1000; i++) stream.watch({ key: key(i * 10) });
  for (let p = 0; p < 10; p++) stream.watch({ key: `key/${p}`, rangeEnd: prefixEnd(`key/${p}`) });
  const n = 100_000;
  for (let i = 0; i < n; i++) store.put({ key: key(i), value: 'v' });
  return hub.stats().events;
}

export const benchmarks: Benchmark[] = [
  {
    name: 'kv.mvcc',
    run(): Figure[] {
      const store = filled();
      const figures: Figure[] = [
        { bench: 'kv.mvcc.puts_per_s', value: bestRate(puts), unit: 'puts/s' },
        { bench: 'kv.mvcc.get_per_s', value: bestRate(gets(store, 0)), unit: 'ranges/s' },
        { bench: 'kv.mvcc.get_past_per_s', value: bestRate(gets(store, Math.floor(store.rev() / 2))), unit: 'ranges/s' },
        { bench: 'kv.mvcc.range100_per_s', value: bestRate(ranges(store)), unit: 'ranges/s' },
        { bench: 'kv.mvcc.txn_cas_per_s', value: bestRate(casTxns), unit: 'txns/s' },
      ];
      const [, compactS] = cpuSeconds(() => store.compact(Math.floor(store.rev() / 2)));
      const [bytes, snapS] = cpuSeconds(() => store.snapshot());
      const [, restoreS] = cpuSeconds(() => createMvccStore().restore(bytes));
      figures.push(
        { bench: 'kv.mvcc.compact_ms', value: compactS * 1000, unit: 'ms (100k revisions, 10k keys)' },
        { bench: 'kv.mvcc.snapshot_ms', value: snapS * 1000, unit: 'ms' },
        { bench: 'kv.mvcc.restore_ms', value: restoreS * 1000, unit: 'ms' },
        { bench: 'kv.mvcc.snapshot_bytes', value: bytes.length, unit: 'bytes' },
      );
      return figures;
    },
  },
  {
    name: 'kv.watch',
    run: (): Figure[] => [{ bench: 'kv.watch.notified_events_per_s', value: bestRate(watchNotify), unit: 'events/s (1010 watchers)' }],
  },
];
