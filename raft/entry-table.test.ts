import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EntryTable, type EntryParts } from './entry-table.js';
import type { EntryType } from './core/types.js';

const entry = (term: number, bytes: number[], type: EntryType = 'normal'): EntryParts => ({ term, type, data: Uint8Array.from(bytes) });

describe('EntryTable', () => {
  it('answers what was stored at each index, and only there', () => {
    const t = new EntryTable();
    t.set(3, entry(2, [1, 2, 3]), 7);
    expect(t.has(3)).toBe(true);
    expect(t.has(2)).toBe(false);
    expect(t.has(4000)).toBe(false);
    expect(t.term(3)).toBe(2);
    expect(t.term(2)).toBeUndefined();
    expect(t.tag(3)).toBe(7);
    t.setTag(3, 5);
    expect(t.tag(3)).toBe(5);
    expect(t.size).toBe(1);
  });

  it('matches only the same term, type and bytes', () => {
    const t = new EntryTable();
    t.set(1, entry(2, [1, 2, 3]));
    t.set(2, entry(2, [], 'conf-change'));
    expect(t.matches(1, entry(2, [1, 2, 3]))).toBe(true);
    expect(t.matches(1, entry(3, [1, 2, 3]))).toBe(false);
    expect(t.matches(1, entry(2, [1, 2, 4]))).toBe(false);
    expect(t.matches(1, entry(2, [1, 2]))).toBe(false);
    expect(t.matches(1, entry(2, [1, 2, 3], 'conf-change-v2'))).toBe(false);
    expect(t.matches(2, entry(2, [], 'conf-change'))).toBe(true);
    expect(t.matches(2, entry(2, []))).toBe(false);
    expect(t.matches(9, entry(2, [1, 2, 3]))).toBe(false);
  });

  it('keeps every entry intact as its arrays and arena grow (a model: a Map of the entries themselves)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 1, max: 9 }), fc.uint8Array({ maxLength: 40_000 })), { maxLength: 60 }), (writes) => {
        const t = new EntryTable();
        const model = new Map<number, EntryParts>();
        for (const [index, term, data] of writes) {
          if (model.has(index)) continue;
          const e = { term, type: 'normal' as const, data };
          t.set(index, e, term * 10);
          model.set(index, { ...e, data: data.slice() });
        }
        expect(t.size).toBe(model.size);
        for (const [index, e] of model) {
          expect(t.matches(index, e)).toBe(true);
          expect(t.tag(index)).toBe(e.term * 10);
        }
      }),
      { numRuns: 50 },
    );
  });
});
