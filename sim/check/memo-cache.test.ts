import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoCache, MemoryBudget } from './memo-cache.js';

const entry = fc.record({ key: fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 1, maxLength: 4 }), state: fc.integer({ min: 0, max: 2 }) });

/** The answers a plain Set of (key, state) strings gives. */
function reference(entries: readonly { key: number[]; state: number }[]): boolean[] {
  const seen = new Set<string>();
  return entries.map((e) => {
    const s = `${e.key.join(',')}/${e.state}`;
    if (seen.has(s)) return false;
    seen.add(s);
    return true;
  });
}

describe('MemoCache', () => {
  it('answers as a set of (key, state) pairs, whatever size it was made for and whatever the key lengths', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 600 }), fc.integer({ min: 0, max: 5000 }), (entries, expected) => {
        const sized = new MemoCache<number>((a, b) => a === b, 1 << 26, expected);
        const want = reference(entries);
        entries.forEach((e, i) => {
          const key = Uint32Array.from(e.key);
          // Weak hashes on purpose: collisions must be told apart by the key and the state.
          const h1 = (e.key[0] as number) & 1;
          const h2 = e.key.length & 1;
          expect(sized.add(h1, h2, e.state & 1, key, key.length, e.state)).toBe(want[i]);
        });
        expect(sized.size).toBe(want.filter((x) => x).length);
        expect(sized.full).toBe(false);
      }),
    );
  });

  it('stops remembering at its byte budget, says so, and never answers "seen" for a pair it did not keep', () => {
    const budget = new MemoryBudget(64 * 1024);
    const memo = new MemoCache<number>((a, b) => a === b, budget);
    const key = new Uint32Array(1);
    let kept = 0;
    for (let i = 0; i < 100_000; i++) {
      key[0] = i;
      expect(memo.add(i, 0, 0, key, 1, 0)).toBe(true);
      if (!memo.full) kept = i + 1;
    }
    expect(memo.full).toBe(true);
    expect(budget.usedBytes).toBeLessThanOrEqual(64 * 1024);
    expect(memo.size).toBeGreaterThan(100);
    expect(memo.size).toBeLessThan(100_000);
    // What it kept it still knows; what it could not keep is new again.
    key[0] = 0;
    expect(memo.add(0, 0, 0, key, 1, 0)).toBe(false);
    key[0] = 99_999;
    expect(memo.add(99_999, 0, 0, key, 1, 0)).toBe(true);
    expect(kept).toBeGreaterThan(0);
    memo.release();
    expect(budget.usedBytes).toBe(0);
  });

  it('keeps keys longer than a chunk', () => {
    const memo = new MemoCache<number>((a, b) => a === b, 1 << 28);
    const long = new Uint32Array((1 << 20) + 5).fill(7);
    expect(memo.add(1, 2, 0, long, long.length, 0)).toBe(true);
    expect(memo.add(1, 2, 0, long, long.length, 0)).toBe(false);
    long[long.length - 1] = 8;
    expect(memo.add(1, 2, 0, long, long.length, 0)).toBe(true);
  });

  it('with a set tail: present when an entry with the same head and state has a subset of the tail', () => {
    const tailed = fc.record({ head: fc.integer({ min: 0, max: 3 }), tail: fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { maxLength: 4 }), state: fc.integer({ min: 0, max: 1 }) });
    fc.assert(
      fc.property(fc.array(tailed, { maxLength: 300 }), (entries) => {
        const memo = new MemoCache<number>((a, b) => a === b, 1 << 26, 0, true);
        const kept: { head: number; tail: number[]; state: number }[] = [];
        for (const e of entries) {
          const tail = [...e.tail].sort((a, b) => a - b);
          // The head fixes its own length (2 words: [head, 0]), as the search's does.
          const key = Uint32Array.from([e.head, 0, ...tail]);
          const want = !kept.some((k) => k.head === e.head && k.state === e.state && k.tail.every((x) => tail.includes(x)));
          expect(memo.add(e.head & 1, 0, e.state, key, key.length, e.state, 2)).toBe(want);
          if (want) kept.push({ head: e.head, tail, state: e.state });
        }
      }),
    );
  });
});
