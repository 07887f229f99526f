import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRandom } from './random.js';

describe('random', () => {
  it('same seed, same draws; number and string seeds agree', () => {
    const a = createRandom(42);
    const b = createRandom('42');
    for (let i = 0; i < 100; i++) expect(a.float()).toBe(b.float());
  });

  it('a forked stream does not depend on draws from the parent or siblings', () => {
    fc.assert(
      fc.property(fc.integer(), fc.nat(50), (seed, drawsBefore) => {
        const quiet = createRandom(seed).fork('net/delay');
        const busyRoot = createRandom(seed);
        for (let i = 0; i < drawsBefore; i++) busyRoot.float();
        busyRoot.fork('disk/fault').float();
        const busy = busyRoot.fork('net/delay');
        for (let i = 0; i < 20; i++) expect(busy.float()).toBe(quiet.float());
      }),
    );
  });

  it('different names give different streams', () => {
    const r = createRandom(7);
    expect(r.fork('a').float()).not.toBe(r.fork('b').float());
    expect(r.fork('a').seed).toBe('7/a');
  });

  it('int stays in [lo, hi] and reaches both ends', () => {
    const r = createRandom(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const x = r.int(3, 7);
      expect(x).toBeGreaterThanOrEqual(3);
      expect(x).toBeLessThanOrEqual(7);
      seen.add(x);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
  });

  it('chance holds its ratio within tolerance', () => {
    const r = createRandom('chance');
    let hits = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) if (r.chance(0.3)) hits++;
    expect(Math.abs(hits / n - 0.3)).toBeLessThan(0.02);
  });

  it('latency draws respect their bounds and roughly their centre', () => {
    const r = createRandom(9);
    const xs: number[] = [];
    for (let i = 0; i < 5000; i++) xs.push(r.logNormal(1000, 0.5, { min: 200, max: 5000 }));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(200);
    expect(Math.max(...xs)).toBeLessThanOrEqual(5000);
    xs.sort((a, b) => a - b);
    const median = xs[xs.length >> 1] ?? 0;
    expect(median).toBeGreaterThan(900);
    expect(median).toBeLessThan(1100);
    let sum = 0;
    for (let i = 0; i < 5000; i++) sum += r.exponential(500, { min: 0, max: 1e9 });
    expect(Math.abs(sum / 5000 - 500)).toBeLessThan(40);
  });

  it('shuffle is a permutation', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(fc.integer(), { maxLength: 30 }), (seed, xs) => {
        const ys = createRandom(seed).shuffle([...xs]);
        expect([...ys].sort((a, b) => a - b)).toEqual([...xs].sort((a, b) => a - b));
      }),
    );
  });
});
