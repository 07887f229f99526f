/** MemoryStorage (etcd's storage_test.go): the dummy entry, errors as values, truncation on append. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from './storage.js';
import type { Entry, LogIndex, Term } from './types.js';
import { EMPTY_CONF_STATE } from './types.js';

const e = (t: number, i: number, data = ''): Entry => ({ term: t as Term, index: i as LogIndex, type: 'normal', data: new TextEncoder().encode(data) });
const L = (i: number): LogIndex => i as LogIndex;

/** Storage holding a snapshot at 3 (term 3) and entries 4 (t4), 5 (t5). */
function sample(): MemoryStorage {
  const s = new MemoryStorage();
  s.applySnapshot({ metadata: { index: L(3), term: 3 as Term, confState: EMPTY_CONF_STATE }, data: new Uint8Array(0) });
  s.append([e(4, 4), e(5, 5)]);
  return s;
}

describe('MemoryStorage', () => {
  it('answers term(i) for [first - 1, last], compacted below, unavailable above', () => {
    const s = sample();
    expect(s.term(L(2))).toEqual({ ok: false, error: 'compacted' });
    expect(s.term(L(3))).toEqual({ ok: true, value: 3 });
    expect(s.term(L(5))).toEqual({ ok: true, value: 5 });
    expect(s.term(L(6))).toEqual({ ok: false, error: 'unavailable' });
    expect([s.firstIndex(), s.lastIndex()]).toEqual([4, 5]);
  });

  it('entries: compacted at or below the snapshot, limited by size but never empty', () => {
    const s = sample();
    expect(s.entries(L(3), L(5), 1000)).toEqual({ ok: false, error: 'compacted' });
    expect(s.entries(L(4), L(6), 1000)).toMatchObject({ ok: true, value: [{ index: 4 }, { index: 5 }] });
    expect(s.entries(L(4), L(6), 0)).toMatchObject({ ok: true, value: [{ index: 4 }] });
  });

  it('append truncates a conflicting suffix and skips compacted entries', () => {
    const s = sample();
    s.append([e(3, 3), e(6, 4), e(6, 5), e(6, 6)]);
    expect(s.term(L(4))).toEqual({ ok: true, value: 6 });
    expect(s.lastIndex()).toBe(6);
    s.append([e(7, 5)]);
    expect(s.lastIndex()).toBe(5);
    expect(() => s.append([e(8, 9)])).toThrow(/missing log entry/);
  });

  it('compact keeps the term of the new dummy; snapshots older than the current one are refused', () => {
    const s = sample();
    expect(s.compact(L(3))).toEqual({ ok: false, error: 'compacted' });
    expect(s.compact(L(4))).toEqual({ ok: true, value: undefined });
    expect(s.term(L(4))).toEqual({ ok: true, value: 4 });
    expect(s.firstIndex()).toBe(5);
    expect(s.createSnapshot(L(3), EMPTY_CONF_STATE, new Uint8Array(0))).toEqual({ ok: false, error: 'snap-out-of-date' });
    const snap = s.createSnapshot(L(5), EMPTY_CONF_STATE, new Uint8Array([1]));
    expect(snap).toMatchObject({ ok: true, value: { metadata: { index: 5, term: 5 } } });
    expect(s.applySnapshot({ metadata: { index: L(4), term: 4 as Term, confState: EMPTY_CONF_STATE }, data: new Uint8Array(0) })).toEqual({ ok: false, error: 'snap-out-of-date' });
  });

  it('matches a plain array model under random appends and compactions', () => {
    fc.assert(fc.property(fc.array(fc.oneof(
      fc.record({ op: fc.constant('append' as const), at: fc.nat({ max: 30 }), n: fc.integer({ min: 1, max: 4 }), t: fc.integer({ min: 1, max: 9 }) }),
      fc.record({ op: fc.constant('compact' as const), at: fc.nat({ max: 30 }) }),
    ), { maxLength: 40 }), (ops) => {
      const s = new MemoryStorage();
      let model: number[] = []; // model[i] = term of index i + 1
      let first = 1;
      for (const o of ops) {
        if (o.op === 'append') {
          const start = Math.max(first, Math.min(o.at + 1, model.length + 1));
          const ents = Array.from({ length: o.n }, (_, k) => e(o.t, start + k));
          s.append(ents);
          model = [...model.slice(0, start - 1), ...ents.map((x) => x.term)];
        } else if (o.at >= first && o.at <= model.length) {
          s.compact(L(o.at));
          first = o.at + 1;
        }
        expect(s.lastIndex()).toBe(model.length);
        expect(s.firstIndex()).toBe(first);
        for (let i = first; i <= model.length; i++) expect(s.term(L(i))).toEqual({ ok: true, value: model[i - 1] });
      }
    }), { numRuns: 200 });
  });
});
