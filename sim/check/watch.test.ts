import { describe, expect, it } from 'vitest';
import type { CommittedRevision, WatchEventRecord, WatchGuarantee, WatchHistory, WatchItem, WatchKeyValue, WatchRequestSpec } from './watch.js';
import { checkWatches, formatWatchViolation } from './watch.js';

const kv = (key: string, value: string, create: number, mod: number, version: number): WatchKeyValue => ({ key, value, createRevision: create, modRevision: mod, version, lease: 0 });
const put = (k: WatchKeyValue, prevKv?: WatchKeyValue): WatchEventRecord => (prevKv === undefined ? { type: 'PUT', kv: k } : { type: 'PUT', kv: k, prevKv });
const del = (key: string, mod: number, prevKv?: WatchKeyValue): WatchEventRecord => {
  const e: WatchEventRecord = { type: 'DELETE', kv: { key, value: '', createRevision: 0, modRevision: mod, version: 0 } };
  return prevKv === undefined ? e : { ...e, prevKv };
};

// r2 create a, r3 create b, r4 update a, r5 delete a, r6 (one txn) recreate a and update b, r7 create c.
const A2 = kv('a', '1', 2, 2, 1);
const B3 = kv('b', '1', 3, 3, 1);
const A4 = kv('a', '2', 2, 4, 2);
const A6 = kv('a', '3', 6, 6, 1);
const B6 = kv('b', '2', 3, 6, 2);
const C7 = kv('c', '1', 7, 7, 1);
const committed: CommittedRevision[] = [
  { revision: 2, at: 10, events: [put(A2)] },
  { revision: 3, at: 20, events: [put(B3)] },
  { revision: 4, at: 30, events: [put(A4, A2)] },
  { revision: 5, at: 40, events: [del('a', 5, A4)] },
  { revision: 6, at: 50, events: [put(A6), put(B6, B3)] },
  { revision: 7, at: 60, events: [put(C7)] },
];

/** What a correct server sends a watch on [a, c) from revision 2 with prevKv. */
const events = (at: number, revision: number, ...evs: WatchEventRecord[]): WatchItem => ({ kind: 'events', at, revision, events: evs });
const request: WatchRequestSpec = { key: 'a', rangeEnd: 'c', startRevision: 2, prevKv: true };
const clean: WatchItem[] = [
  events(11, 2, put(A2)),
  events(21, 3, put(B3)),
  events(31, 4, put(A4, A2)),
  events(41, 5, del('a', 5, A4)),
  events(51, 6, put(A6), put(B6, B3)),
  { kind: 'progress', at: 70, revision: 7 },
];

function judge(items: readonly WatchItem[], req: WatchRequestSpec = request) {
  const w: WatchHistory = { id: 'c1/w1', request: req, items };
  return checkWatches(committed, [w]);
}

function guarantees(items: readonly WatchItem[], req?: WatchRequestSpec): WatchGuarantee[] {
  return [...new Set(judge(items, req).violations.map((v) => v.guarantee))];
}

describe('watch checker', () => {
  it('accepts a clean stream, with a bookmark and a resumption after it', () => {
    const resumed: WatchItem[] = [...clean, { kind: 'resumed', at: 80, startRevision: 8 }];
    const r = judge(resumed);
    expect(r.violations).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.events).toBe(6);
  });

  it('accepts a watch from "now" that starts after its creation revision', () => {
    const r = judge([{ kind: 'created', at: 35, revision: 4 }, events(41, 5, del('a', 5)), events(51, 6, put(A6), put(B6))], { key: 'a', rangeEnd: 'c' });
    expect(r.violations).toEqual([]);
  });

  it('ordered: an event older than one already delivered', () => {
    const items = [clean[0], clean[2], clean[1], ...clean.slice(3)] as WatchItem[];
    expect(guarantees(items)).toContain('ordered');
  });

  it('unique: the same event twice', () => {
    const items = [...clean.slice(0, 3), events(32, 4, put(A4, A2)), ...clean.slice(3)] as WatchItem[];
    expect(guarantees(items)).toEqual(['unique']);
  });

  it('atomic: one revision split over two responses', () => {
    const items = [...clean.slice(0, 4), events(51, 6, put(A6)), events(52, 6, put(B6, B3)), clean[5]] as WatchItem[];
    expect(guarantees(items)).toEqual(['atomic']);
  });

  it('reliable: a gap', () => {
    const items = [clean[0], clean[1], ...clean.slice(3, 5)] as WatchItem[];
    const r = judge(items);
    expect(r.violations.map((v) => [v.guarantee, v.revision])).toEqual([['reliable', 4]]);
    expect(formatWatchViolation(r.violations[0] as never)).toMatch(/^reliable c1\/w1 @rev 4: PUT a="2"@4 was never delivered/);
  });

  it('reliable: an event that differs from the committed one', () => {
    const items = [clean[0], events(21, 3, put(kv('b', 'X', 3, 3, 1))), ...clean.slice(2)] as WatchItem[];
    expect(guarantees(items)).toEqual(['reliable']);
  });

  it('reliable: a resumption that skips events after the last one received', () => {
    const items = [clean[0], clean[1], { kind: 'resumed', at: 35, startRevision: 5 }, ...clean.slice(3, 5)] as WatchItem[];
    const r = judge(items);
    expect(r.violations.map((v) => [v.guarantee, v.revision])).toEqual([['reliable', 4]]);
  });

  it('reliable: a watch from revision 6 that fails over before any event skips nothing below 6 (swarm seed 85)', () => {
    const r = judge([{ kind: 'resumed', at: 45, startRevision: 6 }, events(51, 6, put(A6), put(B6, B3))], { ...request, startRevision: 6 });
    expect(r.violations).toEqual([]);
    // The same failover resuming past revision 6 without having received it does skip it.
    const late = judge([{ kind: 'resumed', at: 45, startRevision: 7 }], { ...request, startRevision: 6 });
    expect(late.violations.map((v) => [v.guarantee, v.revision])).toEqual([['reliable', 6], ['reliable', 6]]);
  });

  it('resumable: a watch from revision 4 that begins at 5', () => {
    const items = clean.slice(3, 5);
    expect(judge(items, { ...request, startRevision: 4 }).violations.map((v) => [v.guarantee, v.revision])).toEqual([['resumable', 4]]);
  });

  it('resumable: a watch from revision 4 that delivers revision 3', () => {
    expect(guarantees(clean.slice(1, 5), { ...request, startRevision: 4 })).toEqual(['resumable']);
  });

  it('bookmarkable: a progress notification before an event it covers', () => {
    const items = [...clean.slice(0, 3), { kind: 'progress', at: 45, revision: 5 }, ...clean.slice(3, 5)] as WatchItem[];
    expect(guarantees(items)).toEqual(['bookmarkable']);
  });

  it('bookmarkable: a progress notification below a future watch start (etcd #20221)', () => {
    const r = judge([{ kind: 'progress', at: 5, revision: 3 }], { ...request, startRevision: 9 });
    expect(r.violations.map((v) => v.guarantee)).toEqual(['bookmarkable']);
  });

  it('prevKv: a wrong previous value, and a missing one when asked', () => {
    const wrong = [...clean.slice(0, 2), events(31, 4, put(A4, kv('a', 'zzz', 2, 2, 1))), ...clean.slice(3)] as WatchItem[];
    expect(guarantees(wrong)).toEqual(['prevKv']);
    const missing = [...clean.slice(0, 2), events(31, 4, put(A4)), ...clean.slice(3)] as WatchItem[];
    expect(guarantees(missing)).toEqual(['prevKv']);
  });

  it('prevKv: none on a create event (etcd sends none, even after a range delete of the key in the txn)', () => {
    const r8: CommittedRevision = { revision: 8, at: 80, events: [del('a', 8, A6), put(kv('a', '4', 8, 8, 1))] };
    const withPrev = events(81, 8, del('a', 8, A6), put(kv('a', '4', 8, 8, 1), A6));
    const without = events(81, 8, del('a', 8, A6), put(kv('a', '4', 8, 8, 1)));
    const g = (item: WatchItem) => checkWatches([...committed, r8], [{ id: 'w', request: { ...request, startRevision: 8 }, items: [item] }]).violations.map((v) => v.guarantee);
    expect(g(without)).toEqual([]);
    expect(g(withPrev)).toEqual(['prevKv']);
  });

  it('prevKv: missing once revision − 1 may be compacted (etcd reads it at send time), not before', () => {
    const items = [events(31, 4, put(A4)), events(41, 5, del('a', 5, A4))] as WatchItem[];
    const g = (compactions: { revision: number; at: number }[]) =>
      checkWatches(committed, [{ id: 'w', request: { ...request, startRevision: 4 }, items }], { compactions }).violations.map((v) => [v.guarantee, v.revision]);
    expect(g([])).toEqual([['prevKv', 4]]);
    expect(g([{ revision: 4, at: 30 }])).toEqual([]);
    // A compaction applied after the response arrived, or to below the event, explains nothing.
    expect(g([{ revision: 4, at: 32 }])).toEqual([['prevKv', 4]]);
    expect(g([{ revision: 3, at: 30 }])).toEqual([['prevKv', 4]]);
  });

  it('isCreate: a re-created key reported with its old create revision', () => {
    const items = [...clean.slice(0, 4), events(51, 6, put(kv('a', '3', 2, 6, 1)), put(B6, B3)), clean[5]] as WatchItem[];
    expect(guarantees(items)).toEqual(['isCreate']);
  });

  it('isCreate: a txn that deletes a range and then puts one of its keys creates it anew (found by the store-made property)', () => {
    // r8 is one txn: delete [b, \0) — b and c — then put c again. The PUT starts a new generation
    // (create = mod = 8) although c existed at revision 7; as a create event it carries no prevKv
    // (etcd's sendLoop skips create events; found against etcd 3.4 by the conformance harness).
    const C8 = kv('c', '2', 8, 8, 1);
    const txn: CommittedRevision = { revision: 8, at: 70, events: [del('b', 8, B6), del('c', 8, C7), put(C8, C7)] };
    const w: WatchHistory = { id: 'c1/w2', request: { key: 'c', startRevision: 8, prevKv: true }, items: [events(71, 8, del('c', 8, C7), put(C8))] };
    expect(checkWatches([...committed, txn], [w]).violations.map(formatWatchViolation)).toEqual([]);
    const wrong: WatchHistory = { ...w, items: [events(71, 8, del('c', 8, C7), put(kv('c', '2', 7, 8, 1), C7))] };
    expect([...new Set(checkWatches([...committed, txn], [wrong]).violations.map((v) => v.guarantee))]).toEqual(['isCreate']);
  });

  it('filter: a DELETE delivered to a NODELETE watch, and a key outside the range', () => {
    const req = { ...request, filters: ['NODELETE'] as const };
    const noDeletes = [...clean.slice(0, 3), ...clean.slice(4)] as WatchItem[];
    expect(judge(noDeletes, req).violations).toEqual([]);
    expect(guarantees(clean, req)).toEqual(['filter']);
    const outside = [...clean.slice(0, 5), events(61, 7, put(C7))] as WatchItem[];
    expect(guarantees(outside)).toEqual(['filter']);
  });

  it('bounds the violations listed per watch and counts the rest', () => {
    const dup = Array.from({ length: 10 }, (_, i) => events(100 + i, 2, put(A2)));
    const r = checkWatches(committed, [{ id: 'w', request, items: [...clean, ...dup] }], { violationsPerWatchMax: 3 });
    expect(r.violations.length).toBe(3);
    expect(r.violationsDropped).toBeGreaterThan(0);
    expect(r.ok).toBe(false);
  });
});

describe('watches sharing one committed index', () => {
  it('each watch is judged on its own events, whichever watch asked for a revision first', () => {
    // The first watch (all keys) makes the index name every event of r2..r6; the second (key a
    // only) then misses r4 and r5 and must still be told, by those events' own names.
    const all: WatchHistory = { id: 'all', request: { key: 'a', rangeEnd: '\0', startRevision: 2 }, items: clean.slice(0, 5).map((i) => (i.kind === 'events' ? { ...i, events: i.events.map((e) => ({ type: e.type, kv: e.kv })) } : i)) };
    const onlyA: WatchHistory = { id: 'a', request: { key: 'a', startRevision: 2 }, items: [events(11, 2, put(A2)), events(51, 6, put(A6))] };
    const r = checkWatches(committed, [all, onlyA]);
    expect(r.violations.map(formatWatchViolation)).toEqual([
      'reliable a @rev 4: PUT a="2"@4 was never delivered (the watch got revision 6)',
      'reliable a @rev 5: DELETE a@5 was never delivered (the watch got revision 6)',
    ]);
    expect(checkWatches(committed, [onlyA, all]).violations).toEqual(r.violations);
  });
});
