/**
 * The MVCC store, case by case: each test pins one etcd behaviour (named after the etcd source or
 * issue it comes from). The random comparison with the reference model is in store.model.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { KeyValue, KvResult, TxnRequest, WatchEvent } from '../api.js';
import { InvariantViolation } from '../../sim/assert.js';
import { createMvccStore, type MvccStore } from './store.js';

function value<T>(res: KvResult<T>): T {
  if (!res.ok) throw new Error(`expected ok, got ${res.error.code}`);
  return res.value;
}

function errorCode(res: KvResult<unknown>): string | undefined {
  return res.ok ? undefined : res.error.code;
}

function get(store: MvccStore, key: string, revision = 0): KeyValue | undefined {
  return value(store.range({ key, revision })).kvs[0];
}

function keys(store: MvccStore, req: Parameters<MvccStore['range']>[0]): string[] {
  return value(store.range(req)).kvs.map((kv) => kv.key);
}

function fill(store: MvccStore, ...pairs: [string, string][]): void {
  for (const [key, v] of pairs) value(store.put({ key, value: v }));
}

describe('revisions and key versions (kvstore_txn.go, key_index.go)', () => {
  it('starts at revision 1; each write txn takes the next revision', () => {
    const store = createMvccStore();
    expect(store.rev()).toBe(1);
    value(store.put({ key: 'a', value: '1' }));
    expect(store.rev()).toBe(2);
    expect(get(store, 'a')).toEqual({ key: 'a', createRevision: 2, modRevision: 2, version: 1, value: '1', lease: 0 });
  });

  it('counts versions within a generation and restarts them after a delete', () => {
    const store = createMvccStore();
    fill(store, ['a', '1'], ['a', '2']);
    expect(get(store, 'a')).toMatchObject({ createRevision: 2, modRevision: 3, version: 2 });
    value(store.deleteRange({ key: 'a' }));
    value(store.put({ key: 'a', value: '3' }));
    expect(get(store, 'a')).toMatchObject({ createRevision: 5, modRevision: 5, version: 1, value: '3' });
    expect(get(store, 'a', 3)).toMatchObject({ value: '2', version: 2 });
    expect(get(store, 'a', 4)).toBeUndefined();
  });

  it('a delete that removes nothing does not take a revision', () => {
    const store = createMvccStore();
    fill(store, ['a', '1']);
    expect(value(store.deleteRange({ key: 'b' }))).toEqual({ deleted: 0, prevKvs: [] });
    expect(store.rev()).toBe(2);
    expect(value(store.deleteRange({ key: 'a', prevKv: true })).prevKvs).toHaveLength(1);
    expect(store.rev()).toBe(3);
  });

  it('reads and read-only txns do not take a revision', () => {
    const store = createMvccStore();
    fill(store, ['a', '1']);
    value(store.range({ key: 'a' }));
    value(store.txn({ compare: [], success: [{ type: 'range', request: { key: 'a' } }], failure: [] }));
    expect(store.rev()).toBe(2);
  });
});

describe('Range (etcdserver/txn/range.go)', () => {
  const store = createMvccStore();
  fill(store, ['a', '3'], ['ab', '1'], ['b', '2'], ['c', '1'], ['ab', '0']);

  it('follows etcd range-end conventions: one key, "\\0" = all keys ≥ key, prefix end', () => {
    expect(keys(store, { key: 'a' })).toEqual(['a']);
    expect(keys(store, { key: 'a', rangeEnd: '' })).toEqual(['a']);
    expect(keys(store, { key: 'ab', rangeEnd: '\0' })).toEqual(['ab', 'b', 'c']);
    expect(keys(store, { key: '\0', rangeEnd: '\0' })).toEqual(['a', 'ab', 'b', 'c']);
    expect(keys(store, { key: 'a', rangeEnd: 'b' })).toEqual(['a', 'ab']);
    expect(keys(store, { key: 'b', rangeEnd: 'a' })).toEqual([]);
  });

  it('limit sets more; count is every key in range, before limit', () => {
    expect(value(store.range({ key: 'a', rangeEnd: '\0', limit: 2 }))).toMatchObject({ more: true, count: 4 });
    expect(value(store.range({ key: 'a', rangeEnd: '\0', limit: 4 }))).toMatchObject({ more: false, count: 4 });
    expect(value(store.range({ key: 'a', rangeEnd: '\0', countOnly: true }))).toEqual({ kvs: [], more: false, count: 4 });
  });

  it('count ignores the min/max revision filters, which prune only kvs', () => {
    const res = value(store.range({ key: 'a', rangeEnd: '\0', minModRevision: 4 }));
    expect(res.kvs.map((kv) => kv.key)).toEqual(['ab', 'b', 'c']);
    expect(res.count).toBe(4);
    expect(keys(store, { key: 'a', rangeEnd: '\0', maxCreateRevision: 3 })).toEqual(['a', 'ab']);
  });

  it('sorts: a non-KEY target with order NONE ascends; ties stay in key order', () => {
    expect(keys(store, { key: 'a', rangeEnd: '\0', sortTarget: 'VALUE' })).toEqual(['ab', 'c', 'b', 'a']);
    expect(keys(store, { key: 'a', rangeEnd: '\0', sortTarget: 'VALUE', sortOrder: 'DESCEND' })).toEqual(['a', 'b', 'c', 'ab']);
    expect(keys(store, { key: 'a', rangeEnd: '\0', sortTarget: 'VERSION' })).toEqual(['a', 'b', 'c', 'ab']);
    expect(keys(store, { key: 'a', rangeEnd: '\0', sortTarget: 'VERSION', sortOrder: 'DESCEND' })).toEqual(['ab', 'a', 'b', 'c']);
    expect(keys(store, { key: 'a', rangeEnd: '\0', sortOrder: 'DESCEND' })).toEqual(['c', 'b', 'ab', 'a']);
    expect(keys(store, { key: 'a', rangeEnd: '\0', sortTarget: 'MOD', sortOrder: 'DESCEND', limit: 1 })).toEqual(['ab']);
  });

  it('with order NONE, a non-KEY target and a limit, sorts only the first limit + 1 keys (etcd rangeLimit)', () => {
    // Oldest by mod revision is "a" (2) — but etcd fetches a, ab (limit + 1) and sorts those.
    expect(keys(store, { key: 'a', rangeEnd: '\0', sortTarget: 'MOD', limit: 1 })).toEqual(['a']);
    expect(keys(store, { key: 'ab', rangeEnd: '\0', sortTarget: 'MOD', limit: 1 })).toEqual(['b']);
    expect(keys(store, { key: 'ab', rangeEnd: '\0', sortTarget: 'MOD', sortOrder: 'ASCEND', limit: 1 })).toEqual(['b']);
  });

  it('keysOnly blanks values', () => {
    expect(value(store.range({ key: 'a', keysOnly: true })).kvs[0]).toMatchObject({ key: 'a', value: '' });
  });

  it('refuses an empty key', () => {
    expect(errorCode(store.range({ key: '' }))).toBe('EmptyKey');
  });
});

describe('compaction (kvstore.go, key_index.go)', () => {
  function compacted(): MvccStore {
    const store = createMvccStore();
    fill(store, ['k', '1'], ['k', '2'], ['k', '3']); // revisions 2, 3, 4
    value(store.deleteRange({ key: 'k' })); // 5
    fill(store, ['k', '6']); // 6
    return store;
  }

  it('reads below the compaction revision fail; at it and above they do not change', () => {
    const store = compacted();
    const before = [3, 4, 5, 6].map((rev) => get(store, 'k', rev));
    value(store.compact(4));
    expect(errorCode(store.range({ key: 'k', revision: 3 }))).toBe('Compacted');
    expect([4, 5, 6].map((rev) => get(store, 'k', rev))).toEqual(before.slice(1));
    expect(errorCode(store.range({ key: 'k', revision: 7 }))).toBe('FutureRev');
  });

  it('refuses a revision at or below the last compaction, and one in the future', () => {
    const store = compacted();
    expect(errorCode(store.compact(7))).toBe('FutureRev');
    value(store.compact(3));
    expect(errorCode(store.compact(3))).toBe('Compacted');
    expect(errorCode(store.compact(2))).toBe('Compacted');
    expect(value(store.compact(6))).toEqual({ revision: 6 });
  });

  it('keeps the events at exactly the compaction revision, incl. a DELETE (etcd #18089)', () => {
    const store = compacted();
    value(store.compact(5));
    expect(store.firstEventRevision()).toBe(5);
    expect(store.eventsAt(4)).toBeUndefined();
    expect(store.eventsAt(5)?.map((e) => [e.type, e.kv.modRevision, e.prevKv?.value])).toEqual([['DELETE', 5, '3']]);
    expect(store.eventsAt(6)?.map((e) => e.type)).toEqual(['PUT']);
  });

  it('drops keys whose whole history is compacted away', () => {
    const store = createMvccStore();
    fill(store, ['gone', '1'], ['kept', '1']);
    value(store.deleteRange({ key: 'gone' }));
    expect(store.indexedKeys()).toBe(2);
    value(store.compact(store.rev()));
    expect(store.indexedKeys()).toBe(2); // the tombstone at the compaction revision stays
    fill(store, ['kept', '2']);
    value(store.compact(store.rev()));
    expect(store.indexedKeys()).toBe(1);
    store.checkInvariants();
  });
});

describe('Put (etcdserver/txn/txn.go put)', () => {
  it('returns prevKv, keeps value or lease with ignore_value / ignore_lease', () => {
    const store = createMvccStore();
    value(store.put({ key: 'a', value: 'v1', lease: 7 }));
    expect(value(store.put({ key: 'a', value: 'v2', prevKv: true })).prevKv).toMatchObject({ value: 'v1', lease: 7 });
    expect(get(store, 'a')).toMatchObject({ value: 'v2', lease: 0 });
    value(store.put({ key: 'a', value: '', ignoreValue: true, lease: 9 }));
    expect(get(store, 'a')).toMatchObject({ value: 'v2', lease: 9 });
    value(store.put({ key: 'a', value: 'v3', ignoreLease: true }));
    expect(get(store, 'a')).toMatchObject({ value: 'v3', lease: 9 });
  });

  it('refuses ignore_* on a missing key, and a value or lease given with them', () => {
    const store = createMvccStore();
    expect(errorCode(store.put({ key: 'a', value: '', ignoreValue: true }))).toBe('KeyNotFound');
    expect(errorCode(store.put({ key: 'a', value: 'x', ignoreValue: true }))).toBe('ValueProvided');
    expect(errorCode(store.put({ key: 'a', value: 'x', ignoreLease: true, lease: 1 }))).toBe('LeaseProvided');
    expect(errorCode(store.put({ key: '', value: 'x' }))).toBe('EmptyKey');
    expect(store.rev()).toBe(1);
  });

  it('refuses an unknown lease when a lease lookup is wired', () => {
    const store = createMvccStore({ leaseExists: (id) => id === 5 });
    expect(errorCode(store.put({ key: 'a', value: 'x', lease: 6 }))).toBe('LeaseNotFound');
    value(store.put({ key: 'a', value: 'x', lease: 5 }));
  });
});

describe('Txn (etcdserver/txn/txn.go, api/v3rpc/key.go)', () => {
  const casPut = (key: string, version: number, v: string): TxnRequest => ({
    compare: [{ target: 'VERSION', result: 'EQUAL', key, version }],
    success: [{ type: 'put', request: { key, value: v } }],
    failure: [{ type: 'range', request: { key } }],
  });

  it('one main revision for the whole txn, sub-revisions in op order, reads see earlier writes', () => {
    const store = createMvccStore();
    const events: WatchEvent[][] = [];
    store.observe({ onWrite: (_rev, evs) => events.push([...evs]) });
    const res = value(store.txn({
      compare: [],
      success: [
        { type: 'put', request: { key: 'b', value: '1' } },
        { type: 'put', request: { key: 'a', value: '2' } },
        { type: 'range', request: { key: 'a', rangeEnd: '\0' } },
      ],
      failure: [],
    }));
    expect(store.rev()).toBe(2);
    expect(res.responses[2]).toMatchObject({ type: 'range', response: { count: 2 } });
    expect(events).toHaveLength(1);
    expect(events[0]?.map((e) => [e.type, e.kv.key, e.kv.modRevision])).toEqual([['PUT', 'b', 2], ['PUT', 'a', 2]]);
  });

  it('compare-and-set on version: 0 means the key does not exist', () => {
    const store = createMvccStore();
    expect(value(store.txn(casPut('k', 0, 'first'))).succeeded).toBe(true);
    expect(value(store.txn(casPut('k', 0, 'again'))).succeeded).toBe(false);
    expect(value(store.txn(casPut('k', 1, 'second'))).succeeded).toBe(true);
    expect(get(store, 'k')).toMatchObject({ value: 'second', version: 2 });
  });

  it('a VALUE compare on a missing key is false whatever the operator; others compare with 0', () => {
    const store = createMvccStore();
    const holds = (c: TxnRequest['compare'][number]): boolean => value(store.txn({ compare: [c], success: [], failure: [] })).succeeded;
    expect(holds({ target: 'VALUE', result: 'NOT_EQUAL', key: 'x', value: 'v' })).toBe(false);
    expect(holds({ target: 'VALUE', result: 'EQUAL', key: 'x', value: '' })).toBe(false);
    expect(holds({ target: 'CREATE', result: 'EQUAL', key: 'x', createRevision: 0 })).toBe(true);
    expect(holds({ target: 'LEASE', result: 'LESS', key: 'x', lease: 1 })).toBe(true);
  });

  it('a compare over a range must hold for every key in it', () => {
    const store = createMvccStore();
    fill(store, ['p/1', 'x'], ['p/2', 'x'], ['q', 'y']);
    const ranged = (v: string): boolean =>
      value(store.txn({ compare: [{ target: 'VALUE', result: 'EQUAL', key: 'p/', rangeEnd: 'p0', value: v }], success: [], failure: [] })).succeeded;
    expect(ranged('x')).toBe(true);
    fill(store, ['p/3', 'z']);
    expect(ranged('x')).toBe(false);
  });

  it('nested txn guards are decided before the txn writes anything', () => {
    const store = createMvccStore();
    const res = value(store.txn({
      compare: [],
      success: [
        { type: 'put', request: { key: 'a', value: '1' } },
        { type: 'txn', request: { compare: [{ target: 'VERSION', result: 'EQUAL', key: 'a', version: 0 }], success: [{ type: 'put', request: { key: 'b', value: 'saw no a' } }], failure: [] } },
      ],
      failure: [],
    }));
    expect(res.responses[1]).toMatchObject({ type: 'txn', response: { succeeded: true } });
    expect(get(store, 'b')?.value).toBe('saw no a');
  });

  it('refuses duplicate written keys: put/put, put inside a delete, nested (etcd checkIntervals)', () => {
    const store = createMvccStore();
    const put = (key: string) => ({ type: 'put' as const, request: { key, value: 'v' } });
    const del = (key: string, rangeEnd?: string) => ({ type: 'delete' as const, request: rangeEnd === undefined ? { key } : { key, rangeEnd } });
    const nested = (success: TxnRequest['success'], failure: TxnRequest['failure'] = []) => ({ type: 'txn' as const, request: { compare: [], success, failure } });
    const code = (success: TxnRequest['success']): string | undefined => errorCode(store.txn({ compare: [], success, failure: [] }));
    expect(code([put('a'), put('a')])).toBe('DuplicateKey');
    expect(code([del('a', 'c'), put('b')])).toBe('DuplicateKey');
    expect(code([put('b'), del('a', 'c')])).toBe('DuplicateKey');
    expect(code([del('a', 'c'), del('b', 'd')])).toBeUndefined();
    expect(code([put('a'), nested([put('a')])])).toBe('DuplicateKey');
    expect(code([del('a'), nested([put('a')])])).toBe('DuplicateKey');
    expect(code([nested([put('a')], [put('a')])])).toBeUndefined(); // both branches of one txn
    expect(code([nested([put('a')]), nested([put('a')])])).toBe('DuplicateKey');
    expect(code([nested([del('a')]), nested([put('a')])])).toBe('DuplicateKey');
    // etcd accepts these two: the delete comes after the put in a sibling, or reaches to "\0".
    expect(code([nested([put('a')]), nested([del('a')])])).toBeUndefined();
    expect(code([del('a', '\0'), put('b')])).toBeUndefined();
  });

  it('applies a put then a delete of one key in one revision when etcd lets it through', () => {
    const store = createMvccStore();
    fill(store, ['a', 'old']);
    const events: WatchEvent[] = [];
    store.observe({ onWrite: (_r, evs) => events.push(...evs) });
    const nested = (op: TxnRequest['success'][number]) => ({ type: 'txn' as const, request: { compare: [], success: [op], failure: [] } });
    value(store.txn({ compare: [], success: [nested({ type: 'put', request: { key: 'a', value: 'new' } }), nested({ type: 'delete', request: { key: 'a' } })], failure: [] }));
    expect(get(store, 'a')).toBeUndefined();
    // Both events carry the value before the txn, as etcd reads prevKv at mod_revision − 1.
    expect(events.map((e) => [e.type, e.prevKv?.value])).toEqual([['PUT', 'old'], ['DELETE', 'old']]);
    store.checkInvariants();
  });

  it('crashes like etcd when a "\\0" delete precedes an ignore_value put in one txn', () => {
    const store = createMvccStore();
    fill(store, ['b', '1']);
    const txn: TxnRequest = { compare: [], success: [{ type: 'delete', request: { key: 'a', rangeEnd: '\0' } }, { type: 'put', request: { key: 'b', value: '', ignoreValue: true } }], failure: [] };
    expect(() => store.txn(txn)).toThrow(InvariantViolation);
  });

  it('limits ops per branch to maxTxnOps; nested txns share what the parent left', () => {
    const store = createMvccStore({ maxTxnOps: 3 });
    const range = { type: 'range' as const, request: { key: 'a' } };
    expect(errorCode(store.txn({ compare: [], success: [range, range, range, range], failure: [] }))).toBe('TooManyOps');
    expect(errorCode(store.txn({ compare: [], success: [range, range, range], failure: [range, range, range] }))).toBeUndefined();
    const inner = { type: 'txn' as const, request: { compare: [], success: [range, range], failure: [] } };
    expect(errorCode(store.txn({ compare: [], success: [range, inner], failure: [] }))).toBe('TooManyOps');
    expect(errorCode(store.txn({ compare: [], success: [inner], failure: [] }))).toBeUndefined();
  });

  it('fails the whole txn, writing nothing, when a chosen range reads a compacted or future revision', () => {
    const store = createMvccStore();
    fill(store, ['a', '1'], ['a', '2'], ['a', '3']);
    value(store.compact(3));
    const reading = (revision: number): TxnRequest => ({ compare: [], success: [{ type: 'put', request: { key: 'b', value: 'x' } }, { type: 'range', request: { key: 'a', revision } }], failure: [] });
    expect(errorCode(store.txn(reading(2)))).toBe('Compacted');
    expect(errorCode(store.txn(reading(5)))).toBe('FutureRev');
    expect(store.rev()).toBe(4);
    expect(value(store.txn(reading(3))).responses[1]).toMatchObject({ response: { kvs: [{ value: '2' }] } });
  });
});

describe('hashKV (hash.go)', () => {
  it('is equal for members that applied the same writes, and differs otherwise', () => {
    const [a, b] = [createMvccStore(), createMvccStore()];
    for (const s of [a, b]) fill(s, ['x', '1'], ['y', '2']);
    expect(a.hashKV()).toEqual(b.hashKV());
    fill(a, ['x', '3']);
    fill(b, ['x', '4']);
    expect(value(a.hashKV()).hash).not.toBe(value(b.hashKV()).hash);
    expect(value(a.hashKV(3))).toEqual(value(b.hashKV(3)));
  });

  it('refuses compacted and future revisions and reports the compaction revision', () => {
    const store = createMvccStore();
    fill(store, ['x', '1'], ['x', '2'], ['x', '3']);
    value(store.compact(3));
    expect(errorCode(store.hashKV(2))).toBe('Compacted');
    expect(errorCode(store.hashKV(5))).toBe('FutureRev');
    expect(value(store.hashKV(0))).toMatchObject({ compactRevision: 3, hashRevision: 4 });
  });

  it('a negative revision hashes no rows: the same answer whatever the store holds (etcd maps only 0 to now; conformance run, 5 sequences)', () => {
    const [a, b] = [createMvccStore(), createMvccStore()];
    fill(a, ['x', '1'], ['y', '2']);
    value(a.compact(2));
    expect(value(a.hashKV(-1)).hash).toBe(value(b.hashKV(-7)).hash);
    expect(value(a.hashKV(-1)).hash).not.toBe(value(a.hashKV(0)).hash);
    expect(value(a.hashKV(-1))).toMatchObject({ compactRevision: 2 });
  });

  it('hashes the versions the compaction kept that are still current, then later changes (etcd Keep(at)), and starts over after a restore', () => {
    // x@2 and y@3 kept by a compaction at 3; x@4 later. etcd filters the kept rows by Keep(at):
    // at 3 both count (the same hash as a store never compacted), at 4 x@2 no longer does.
    const [a, b] = [createMvccStore(), createMvccStore()];
    for (const s of [a, b]) fill(s, ['x', '1'], ['y', '2'], ['x', '3']);
    value(a.hashKV()); // a remembers where it stopped
    value(a.compact(3));
    expect(value(a.hashKV(3))).toEqual({ ...value(b.hashKV(3)), compactRevision: 3 });
    expect(value(a.hashKV()).hash).not.toBe(value(b.hashKV()).hash);
    // When no key is live at the revision, Keep is empty and filters nothing: x@2 counts again.
    const [e, f] = [createMvccStore(), createMvccStore()];
    for (const s of [e, f]) {
      fill(s, ['x', '1'], ['x', '2']);
      value(s.deleteRange({ key: 'x' }));
    }
    value(e.compact(2));
    expect(value(e.hashKV()).hash).toBe(value(f.hashKV()).hash);
    // A member restored from another's snapshot hashes the new state, not from where it stopped.
    const [c, d] = [createMvccStore(), createMvccStore()];
    fill(c, ['z', '9'], ['x', '1'], ['x', '2']);
    fill(d, ['y', '5'], ['y', '6']);
    const before = value(d.hashKV()); // d stopped at revision 3, below c's 4
    value(d.restore(c.snapshot()));
    expect(value(d.hashKV())).toEqual(value(c.hashKV()));
    expect(value(d.hashKV()).hash).not.toBe(before.hash);
  });
});

describe('snapshot and restore', () => {
  it('refuses bytes that are not a snapshot, or were damaged, and leaves the store as it was', () => {
    const store = createMvccStore();
    fill(store, ['a', '1']);
    const bytes = store.snapshot();
    const damaged = bytes.slice();
    const at = damaged.length - 3;
    damaged[at] = (damaged[at] ?? 0) ^ 1;
    const target = createMvccStore();
    expect(errorCode(target.restore(damaged))).toBe('Corrupt');
    expect(errorCode(target.restore(new TextEncoder().encode('hello')))).toBe('Corrupt');
    expect(target.rev()).toBe(1);
    value(target.restore(bytes));
    expect(get(target, 'a')?.value).toBe('1');
  });

  it('tells observers, and the restored store keeps taking writes', () => {
    const source = createMvccStore();
    fill(source, ['a', '1'], ['b', '2']);
    const target = createMvccStore();
    let restored = 0;
    target.observe({ onWrite: () => undefined, onRestore: () => { restored++; } });
    value(target.restore(source.snapshot()));
    expect(restored).toBe(1);
    fill(target, ['a', '3']);
    expect(get(target, 'a')).toMatchObject({ createRevision: 2, version: 2, modRevision: 4 });
  });
});

describe('online invariants', () => {
  it('refuses re-entrant writes from an observer', () => {
    const store = createMvccStore();
    store.observe({ onWrite: () => { store.put({ key: 'again', value: '' }); } });
    expect(() => store.put({ key: 'a', value: '1' })).toThrow(/re-entrant/);
  });
});
