import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mergeCommitted, sameJson } from './watch-inputs.js';

describe('sameJson', () => {
  it('is true only where the JSON texts are equal', () => {
    const value = fc.jsonValue({ maxDepth: 3 });
    fc.assert(
      fc.property(value, value, (a, b) => {
        if (sameJson(a, b)) expect(JSON.stringify(a)).toBe(JSON.stringify(b));
        // A value and its JSON round trip are proven equal (plain data, same key order).
        expect(sameJson(a, JSON.parse(JSON.stringify(a)))).toBe(true);
      }),
    );
  });

  it('leaves key order, NaN and non-plain objects to the JSON comparison', () => {
    expect(sameJson({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false);
    expect(sameJson([NaN], [NaN])).toBe(false);
    expect(sameJson(new Date(0), new Date(0))).toBe(false);
    expect(sameJson({ a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] })).toBe(true);
    expect(sameJson([1], { 0: 1 })).toBe(false);
  });
});

describe('mergeCommitted divergences', () => {
  const kv = { key: 'a', value: '1', createRevision: 2, modRevision: 2, version: 1, lease: 0 };
  it('reports the same changes in another key order, as the JSON comparison always did', () => {
    const reordered = { value: '1', key: 'a', createRevision: 2, modRevision: 2, version: 1, lease: 0 };
    const r = mergeCommitted([[{ revision: 2, at: 10, events: [{ type: 'PUT', kv }] }], [{ revision: 2, at: 9, events: [{ type: 'PUT', kv: reordered }] }]]);
    expect(r.divergences).toEqual([`revision 2: member #0 applied ${JSON.stringify([{ type: 'PUT', kv }])}, member #1 applied ${JSON.stringify([{ type: 'PUT', kv: reordered }])}`]);
    expect(r.committed).toEqual([{ revision: 2, at: 9, events: [{ type: 'PUT', kv }] }]);
  });

  it('does not report changes whose JSON is equal though not proven so (an undefined field)', () => {
    const withUndefined = { ...kv, lease: undefined };
    const withoutLease = { key: 'a', value: '1', createRevision: 2, modRevision: 2, version: 1 };
    const r = mergeCommitted([[{ revision: 2, at: 10, events: [{ type: 'PUT', kv: withUndefined as never }] }], [{ revision: 2, at: 11, events: [{ type: 'PUT', kv: withoutLease as never }] }]]);
    expect(r.divergences).toEqual([]);
  });
});
