/**
 * Acceptance on generated histories (sim/check/testing/histories.ts): concurrent register and kv
 * histories with unknown outcomes, some corrupted on purpose.
 * - Small ones (≤ 8 operations): the verdict equals the brute-force checker's.
 * - Up to 200 operations, any share of unknown outcomes: the search reaches a verdict ("ok" or
 *   "illegal") within the default budget — never "unknown". Counted in steps, so this is the same
 *   on every machine.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Operation } from '../history.js';
import { checkLinearizability } from './linearizability.js';
import { kvModel } from './kv-model.js';
import type { Model } from './model.js';
import { registerModel } from './register-model.js';
import { bruteForceLinearizable, generateHistory, shapeArb, smallShapeArb } from './testing/histories.js';
import type { HistoryShape } from './testing/histories.js';

const modelOf = (shape: HistoryShape): Model<unknown, Operation> => (shape.model === 'kv' ? kvModel : registerModel) as unknown as Model<unknown, Operation>;

describe('generated histories', () => {
  it('small ones: the verdict agrees with a brute-force checker', () => {
    let illegal = 0;
    fc.assert(
      fc.property(smallShapeArb(8), (shape) => {
        const h = generateHistory(shape);
        const model = modelOf(shape);
        const r = checkLinearizability(model, h);
        expect(r.verdict).not.toBe('unknown');
        if (r.verdict === 'illegal') illegal++;
        expect(r.verdict === 'ok').toBe(bruteForceLinearizable(model, h));
      }),
      { numRuns: 1500 },
    );
    // The generator does make non-linearizable histories, not only linearizable ones.
    expect(illegal).toBeGreaterThan(50);
  });

  it('uncorrupted ones are linearizable (the generator runs a real store)', () => {
    fc.assert(
      fc.property(shapeArb(120), (shape) => {
        const r = checkLinearizability(modelOf(shape), generateHistory({ ...shape, corrupt: 0 }));
        expect(r.verdict).toBe('ok');
      }),
      { numRuns: 40 },
    );
  });

  // The acceptance: register histories too, whatever their share of unknown outcomes (up to half
  // the writes). Before the memo's set tail (search.ts key), about 1 in 60 of these exhausted the
  // budget: every combination of unknown writes placed was a new key, though one with fewer of them
  // placed had reached the same state already.
  it('every history up to 200 operations, register or kv, decides within the default budget', () => {
    let unknownHeavy = 0;
    fc.assert(
      fc.property(shapeArb(200), (shape) => {
        const r = checkLinearizability(modelOf(shape), generateHistory(shape));
        expect(r.verdict).not.toBe('unknown');
        if (shape.model === 'register' && shape.unknownRatio >= 0.3 && shape.corrupt > 0 && shape.clients >= 10) unknownHeavy++;
      }),
      { numRuns: 150 },
    );
    // The hard kind (many unknown writes, many clients, a corrupted read) is among them.
    expect(unknownHeavy).toBeGreaterThanOrEqual(4);
  });

  // Shapes that exhausted the default budget before: the first three by search alone (every
  // combination of overwritten unknown writes was a new memo key), the last still needs more
  // than the budget's steps and is decided by the stale read that proves it.
  it.each([
    [{ ops: 119, clients: 10, unknownRatio: 0.5, corrupt: 1, seed: 766079020 }, false],
    [{ ops: 174, clients: 16, unknownRatio: 0.3, corrupt: 2, seed: 7 }, false],
    [{ ops: 123, clients: 16, unknownRatio: 0.5, corrupt: 2, seed: 1853677334 }, false],
    [{ ops: 164, clients: 17, unknownRatio: 0.3, corrupt: 2, seed: 1221487786 }, true],
  ])('register history %j decides (by a witness: %s)', (s, witnessed) => {
    const shape: HistoryShape = { model: 'register', keys: 1, ...s };
    const r = checkLinearizability(modelOf(shape), generateHistory(shape));
    expect(r.verdict).toBe('illegal');
    expect(r.partitions.some((p) => p.witnessed === true)).toBe(witnessed);
  });
});
