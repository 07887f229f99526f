import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkMutualExclusion, type Acquisition, type GuardedWrite } from './mutual-exclusion.js';

const acquisition = fc.record({ process: fc.integer({ min: 0, max: 3 }), token: fc.integer({ min: 1, max: 30 }), position: fc.integer({ min: 1, max: 40 }), atUs: fc.constant(0) });
const write = fc.record({ process: fc.integer({ min: 0, max: 3 }), token: fc.integer({ min: 1, max: 30 }), position: fc.integer({ min: 1, max: 40 }), atUs: fc.constant(0) });

/** The definition, by brute force: a write some other process's larger-token acquisition at a position ≤ the write's precedes. */
function brute(acqs: readonly Acquisition[], writes: readonly GuardedWrite[]): number {
  return writes.filter((w) => acqs.some((a) => a.process !== w.process && a.token > w.token && a.position <= w.position)).length;
}

describe('checkMutualExclusion', () => {
  it('flags a stale holder’s write accepted after a newer holder took the lock', () => {
    const acqs = [{ process: 1, token: 10, position: 10, atUs: 1 }, { process: 2, token: 20, position: 25, atUs: 5 }];
    const r = checkMutualExclusion(acqs, [
      { process: 1, token: 10, position: 11, atUs: 2 },
      { process: 2, token: 20, position: 26, atUs: 6 },
      { process: 1, token: 10, position: 27, atUs: 7 },
    ]);
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]).toMatchObject({ write: { process: 1, position: 27 }, holder: { process: 2, token: 20 } });
  });

  it('passes holders that take turns, and one process re-acquiring with a new token', () => {
    const acqs = [{ process: 1, token: 10, position: 10, atUs: 0 }, { process: 1, token: 30, position: 30, atUs: 0 }, { process: 2, token: 20, position: 21, atUs: 0 }];
    const writes = [{ process: 1, token: 10, position: 12, atUs: 0 }, { process: 2, token: 20, position: 22, atUs: 0 }, { process: 1, token: 30, position: 31, atUs: 0 }];
    expect(checkMutualExclusion(acqs, writes).violations).toEqual([]);
  });

  it('agrees with the definition on random logs', () => {
    fc.assert(fc.property(fc.array(acquisition, { maxLength: 12 }), fc.array(write, { maxLength: 12 }), (acqs, writes) => {
      expect(checkMutualExclusion(acqs, writes).violations.length).toBe(brute(acqs, writes));
    }), { numRuns: 500 });
  });
});
