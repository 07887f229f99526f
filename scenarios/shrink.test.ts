import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SCENARIO_DEFAULTS, type Fault, type Scenario } from './schema.js';
import { shrinkScenario } from './shrink.js';

const crash = (at: number, node: number, forMs = 1000): Fault => ({ type: 'crash', at, node, for: forMs });
const scenarioWith = (faults: Fault[]): Scenario => ({ ...SCENARIO_DEFAULTS, durationMs: 20_000, faults });

describe('shrinkScenario', () => {
  it('keeps exactly the faults a failure needs, then shortens them and the run', () => {
    const faults = Array.from({ length: 12 }, (_, i) => crash(500 + i * 1000, 1 + (i % 3)));
    // The "bug": it fails when node 2 is crashed at 1500 and node 1 at 6500, whatever else happens.
    const fails = (s: Scenario): boolean => s.faults.some((f) => f.type === 'crash' && f.at === 1500 && f.node === 2) && s.faults.some((f) => f.type === 'crash' && f.at === 6500 && f.node === 1);
    const r = shrinkScenario(scenarioWith(faults), fails);
    expect(r.scenario.faults.map((f) => f.at)).toEqual([1500, 6500]);
    expect(r.scenario.faults.every((f) => f.type === 'crash' && f.for !== undefined && f.for < 200)).toBe(true);
    expect(r.scenario.durationMs).toBeLessThan(20_000);
    expect(r.scenario.durationMs).toBeGreaterThanOrEqual(6500);
    expect(fails(r.scenario)).toBe(true);
    expect(r.exhausted).toBe(false);
  });

  it('a failure that needs a long fault keeps it long', () => {
    const fails = (s: Scenario): boolean => s.faults.some((f) => f.type === 'crash' && (f.for ?? 0) >= 3000);
    const r = shrinkScenario(scenarioWith([crash(1000, 1, 8000), crash(2000, 2, 8000)]), fails);
    expect(r.scenario.faults).toHaveLength(1);
    const f = r.scenario.faults[0] as Fault & { for: number };
    expect(f.for).toBeGreaterThanOrEqual(3000);
    expect(f.for).toBeLessThan(6000);
  });

  it('stops at its run budget and still returns a failing scenario', () => {
    const faults = Array.from({ length: 40 }, (_, i) => crash(100 + i * 100, 1));
    const fails = (s: Scenario): boolean => s.faults.length >= 3;
    const r = shrinkScenario(scenarioWith(faults), fails, { runsMax: 5 });
    expect(r.runs).toBe(5);
    expect(r.exhausted).toBe(true);
    expect(fails(r.scenario)).toBe(true);
  });

  it('property: the result always fails and is a subsequence of the input', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 19 }), { minLength: 1, maxLength: 20 }), fc.array(fc.integer({ min: 0, max: 19 }), { maxLength: 4 }), (ats, needed) => {
        const faults = [...new Set(ats)].sort((a, b) => a - b).map((a) => crash(a * 500, 1));
        const need = needed.map((n) => n * 500).filter((a) => faults.some((f) => f.at === a));
        const fails = (s: Scenario): boolean => need.every((a) => s.faults.some((f) => f.at === a));
        const r = shrinkScenario(scenarioWith(faults), fails, { runsMax: 400 });
        expect(fails(r.scenario)).toBe(true);
        expect(r.scenario.faults.map((f) => f.at)).toEqual([...new Set(need)].sort((a, b) => a - b));
      }),
      { numRuns: 50 },
    );
  });
});
