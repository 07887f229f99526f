import { describe, expect, it } from 'vitest';
import type { KeyValue, WatchResponse } from '../api.js';
import { mergeCommitted, watchHistoryOf } from './watch-inputs.js';
import type { WatchRecord } from '../client/watch-client.js';
import fc from 'fast-check';
import { checkWatches, formatWatchViolation } from '../../sim/check/watch.js';
import type { CommittedRevision, WatchEventRecord, WatchItem, WatchRequestSpec } from '../../sim/check/watch.js';
import { createMvccStore } from '../mvcc/store.js';
import { writeStepArb, type StoreStep } from '../testing/mvcc-arbitraries.js';

const kv = (key: string, value: string, create: number, mod: number, version: number): KeyValue => ({ key, value, createRevision: create, modRevision: mod, version, lease: 0 });
const header = (revision: number) => ({ clusterId: 1, memberId: 1, revision, raftTerm: 2 });
const A2 = kv('a', '1', 2, 2, 1);
const A3 = kv('a', '2', 2, 3, 2);

describe('mergeCommitted', () => {
  it('merges members, keeps the earliest apply time, skips empty writes', () => {
    const m1 = [{ revision: 2, at: 10, events: [{ type: 'PUT' as const, kv: A2 }] }, { revision: 2, at: 11, events: [] }];
    const m2 = [{ revision: 2, at: 8, events: [{ type: 'PUT' as const, kv: A2 }] }, { revision: 3, at: 30, events: [{ type: 'PUT' as const, kv: A3 }] }];
    expect(mergeCommitted([m1, m2])).toEqual({ committed: [{ revision: 2, at: 8, events: m2[0]?.events }, { revision: 3, at: 30, events: m2[1]?.events }], divergences: [] });
  });

  it('reports members that applied different changes at one revision', () => {
    const r = mergeCommitted([[{ revision: 2, at: 10, events: [{ type: 'PUT', kv: A2 }] }], [{ revision: 2, at: 10, events: [{ type: 'PUT', kv: { ...A2, value: 'x' } }] }]]);
    expect(r.divergences).toHaveLength(1);
    expect(r.divergences[0]).toMatch(/^revision 2: member #0 applied .* member #1 applied /);
  });
});

describe('watchHistoryOf', () => {
  it('turns placements and responses into items the watch checker accepts', () => {
    const resp = (revision: number, extra: Partial<WatchResponse>): WatchResponse => ({ header: header(revision), watchId: 1, events: [], ...extra });
    const record: WatchRecord = {
      client: 3,
      watchId: 1,
      request: { key: 'a' },
      placements: [{ member: 1, streamId: 1, startRevision: 0, atUs: 0 }, { member: 2, streamId: 1, startRevision: 3, atUs: 50 }],
      responses: [
        { atUs: 5, member: 1, response: resp(1, { created: true }) },
        { atUs: 20, member: 1, response: resp(2, { events: [{ type: 'PUT', kv: A2 }] }) },
        { atUs: 60, member: 2, response: resp(3, { created: true }) },
        { atUs: 70, member: 2, response: resp(3, { events: [{ type: 'PUT', kv: A3 }] }) },
        { atUs: 90, member: 2, response: resp(3, {}) },
      ],
      end: null,
    };
    const w = watchHistoryOf(record);
    expect(w.id).toBe('c3/w1');
    expect(w.items.map((i) => i.kind)).toEqual(['created', 'events', 'resumed', 'created', 'events', 'progress']);
    const committed = [{ revision: 2, at: 10, events: [{ type: 'PUT' as const, kv: A2 }] }, { revision: 3, at: 30, events: [{ type: 'PUT' as const, kv: A3 }] }];
    expect(checkWatches(committed, [w]).violations).toEqual([]);
    // Had the resumption started at 4, the event at 3 would be a gap.
    const skipped = { ...record, placements: [record.placements[0], { ...record.placements[1], startRevision: 4 }], responses: record.responses.slice(0, 3) } as WatchRecord;
    expect(checkWatches(committed, [watchHistoryOf(skipped)]).violations.map((v) => v.guarantee)).toEqual(['reliable']);
  });
});

// --- The watch checker against streams derived from the real MVCC store ---------------------------

describe('watch checker on store-made histories', () => {
  /** Runs write steps on a store and collects what it committed, revision by revision. */
  function committedOf(steps: readonly StoreStep[]): CommittedRevision[] {
    const store = createMvccStore();
    const out: CommittedRevision[] = [];
    store.observe({ onWrite: (revision, events) => out.push({ revision, at: revision * 10, events: [...events] }) });
    for (const s of steps) {
      if (s.type === 'put') store.put(s.request);
      else if (s.type === 'delete') store.deleteRange(s.request);
      else if (s.type === 'txn') store.txn(s.request);
    }
    return out;
  }

  /** What a correct server delivers: whole revisions per response, prevKv only when asked. */
  function perfectStream(committed: readonly CommittedRevision[], w: WatchRequestSpec, cuts: readonly boolean[]): WatchItem[] {
    const items: WatchItem[] = [];
    let batch: WatchEventRecord[] = [];
    let last = 0;
    committed.forEach((c, i) => {
      const evs = c.events
        .filter((e) => (w.rangeEnd === '\0' ? e.kv.key >= w.key : w.rangeEnd ? e.kv.key >= w.key && e.kv.key < w.rangeEnd : e.kv.key === w.key))
        .filter((e) => !(w.filters ?? []).includes(e.type === 'PUT' ? 'NOPUT' : 'NODELETE'))
        .filter(() => c.revision >= (w.startRevision ?? 0))
        .map((e): WatchEventRecord => {
          const { prevKv, ...rest } = e;
          return w.prevKv === true && prevKv !== undefined ? { ...rest, prevKv } : rest;
        });
      batch.push(...evs);
      if (evs.length > 0) last = c.revision;
      if (batch.length > 0 && (cuts[i] ?? true)) {
        items.push({ kind: 'events', at: c.at + 1, revision: c.revision, events: batch });
        batch = [];
      }
    });
    if (batch.length > 0) items.push({ kind: 'events', at: 10_000, revision: last, events: batch });
    const top = committed.at(-1)?.revision ?? 1;
    // A watch on a future revision gets no bookmark below its start (etcd #20221).
    if (top >= (w.startRevision ?? 0) - 1) items.push({ kind: 'progress', at: 20_000, revision: top });
    return items;
  }

  const watchArb = fc.record({
    key: fc.constantFrom('a', 'ab', 'b', 'c'),
    rangeEnd: fc.constantFrom<string | undefined>(undefined, '\0', 'c', 'b'),
    startRevision: fc.integer({ min: 1, max: 6 }),
    prevKv: fc.boolean(),
    filters: fc.constantFrom<('NOPUT' | 'NODELETE')[]>([], ['NOPUT'], ['NODELETE']),
  }).map((w): WatchRequestSpec => {
    const { rangeEnd, ...rest } = w;
    return rangeEnd === undefined ? rest : { ...rest, rangeEnd };
  });

  const caseArb = fc.tuple(fc.array(writeStepArb, { minLength: 2, maxLength: 25 }), watchArb, fc.array(fc.boolean(), { minLength: 25, maxLength: 25 }));

  it('a stream as a correct server sends it passes all nine guarantees', () => {
    fc.assert(
      fc.property(caseArb, ([steps, w, cuts]) => {
        const committed = committedOf(steps);
        const r = checkWatches(committed, [{ id: 'w', request: w, items: perfectStream(committed, w, cuts) }]);
        expect(r.violations.map(formatWatchViolation)).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('dropping, repeating or reordering an event, or splitting a revision, is always caught', () => {
    fc.assert(
      fc.property(caseArb, fc.constantFrom('drop', 'repeat', 'swap', 'split'), fc.nat(), ([steps, w, cuts], how, pick) => {
        const committed = committedOf(steps);
        const items = perfectStream(committed, w, cuts);
        const evIdx = items.map((it, i) => ({ it, i })).filter((x) => x.it.kind === 'events');
        fc.pre(evIdx.length >= 2);
        const k = pick % (evIdx.length - 1);
        const a = evIdx[k] as { it: Extract<WatchItem, { kind: 'events' }>; i: number };
        const b = evIdx[k + 1] as { it: Extract<WatchItem, { kind: 'events' }>; i: number };
        let mutated: WatchItem[];
        let expected: string[];
        switch (how) {
          case 'drop':
            // Drop the later response: a gap before the bookmark (the first one would be a late start).
            mutated = items.filter((_, i) => i !== b.i);
            expected = ['reliable', 'bookmarkable'];
            break;
          case 'repeat':
            mutated = [...items.slice(0, b.i + 1), b.it, ...items.slice(b.i + 1)];
            expected = ['unique'];
            break;
          case 'swap':
            mutated = items.map((it, i) => (i === a.i ? b.it : i === b.i ? a.it : it));
            expected = ['ordered'];
            break;
          case 'split': {
            const revs = new Set(b.it.events.map((e) => e.kv.modRevision));
            const rev = [...revs].find((r) => b.it.events.filter((e) => e.kv.modRevision === r).length > 1);
            fc.pre(rev !== undefined);
            const first = b.it.events.findIndex((e) => e.kv.modRevision === rev);
            const one: WatchItem = { ...b.it, events: b.it.events.slice(0, first + 1) };
            const two: WatchItem = { ...b.it, events: b.it.events.slice(first + 1) };
            mutated = [...items.slice(0, b.i), one, two, ...items.slice(b.i + 1)];
            expected = ['atomic'];
            break;
          }
        }
        const got = new Set(checkWatches(committed, [{ id: 'w', request: w, items: mutated }]).violations.map((v) => v.guarantee));
        expect(expected.some((g) => got.has(g as never))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
