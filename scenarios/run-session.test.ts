/**
 * startRun: a run in slices is the run in one go. Stepping it one event at a time, or in uneven
 * slices of events and virtual time, gives runScenario's trace hash and record; faults injected
 * while it runs land on a free millisecond, and the scenario file it writes out (the injected
 * faults in its timeline) gives the very same hash when run from scratch as `raftsim run` would.
 */
import { describe, expect, it } from 'vitest';
import { createRandom } from '../sim/random.js';
import { resolveScenario } from './resolve.js';
import { runScenario, startRun, type RunOptions } from './runner.js';
import { scenarioFor } from './scenario-source.js';
import type { Fault } from './schema.js';

function options(name: string, seed: number, set: string[] = []): RunOptions {
  const r = scenarioFor({ kind: 'builtin', name }, seed, set);
  if (!r.ok) throw new Error(r.error);
  return { name, scenario: r.scenario, seed, overrides: set, trace: 'hash-only' };
}

describe('startRun', () => {
  it('stepped one event at a time, or in uneven slices, a run has runScenario hash, events and checks', () => {
    for (const [name, seed] of [['leader-isolation-stale-read', 3], ['leader-crash', 1]] as const) {
      const o = options(name, seed, ['durationMs=5000']);
      const whole = runScenario(o);
      const one = startRun(o);
      while (one.phase !== 'done') one.advance(Number.MAX_SAFE_INTEGER, 1);
      const r1 = one.finish();
      expect(r1.traceHash, name).toBe(whole.traceHash);
      expect(r1.events).toBe(whole.events);
      const sliced = startRun(o);
      const rnd = createRandom(seed).fork('test/slices');
      let t = 0;
      while (sliced.phase !== 'done') {
        t += rnd.int(0, 50_000);
        sliced.advance(t, rnd.int(1, 400));
      }
      const r2 = sliced.finish();
      expect(r2.traceHash).toBe(whole.traceHash);
      expect(r2.checks).toEqual(whole.checks);
      expect(r2.metrics).toEqual(whole.metrics);
    }
  });

  it('a fault injected while the run goes is replayed bit for bit by the scenario file it writes', () => {
    const o = options('prevote-rejoin', 5, ['durationMs=6000', 'faults=[]']);
    const s = startRun(o);
    const plan: [number, Fault][] = [
      [1_203_456, { type: 'isolate', at: 0, node: 2, for: 1_500 }],
      [2_000_000, { type: 'crash', at: 0, node: 'leader', for: 700 }],
      [3_100_000, { type: 'clock', at: 0, node: 3, rate: 1.2, for: 900 }],
      [3_100_000, { type: 'disk-fault', at: 0, node: 1, fault: 'fsync-eio', count: 2 }],
      [4_000_500, { type: 'pause', at: 0, node: 1, for: 300 }],
    ];
    for (const [us, f] of plan) {
      s.advance(us, Number.MAX_SAFE_INTEGER);
      const placed = s.inject(f);
      expect(placed).not.toBeNull();
      expect(Number.isInteger(placed?.at)).toBe(true);
      expect((placed?.at ?? 0) * 1000).toBeGreaterThan(us);
    }
    expect(s.injected.map((f) => f.type)).toEqual(['isolate', 'crash', 'clock', 'disk-fault', 'pause']);
    const live = s.finish();
    expect(s.inject({ type: 'crash', at: 0, node: 1 })).toBeNull();
    // The file, through the same path as `raftsim run file.json`: parsed from JSON, defaults merged, validated.
    const file = resolveScenario(JSON.parse(JSON.stringify(s.scenarioFile())), { source: 'exported.json' });
    expect(file.ok).toBe(true);
    if (!file.ok) return;
    const again = runScenario({ ...o, name: 'exported.json', scenario: file.scenario });
    expect(again.traceHash).toBe(live.traceHash);
    expect(again.events).toBe(live.events);
    expect(again.faults).toEqual(live.faults);
    expect(live.faults.length).toBeGreaterThanOrEqual(5);
  });

  it('a tap sees every event of the run, from the cluster start on', () => {
    const o = options('leader-crash', 2, ['durationMs=4000']);
    const seen: number[] = [];
    const s = startRun(o, { tap: (e) => seen.push(e.index) });
    const r = s.finish();
    expect(seen.length).toBe(r.events);
    expect(seen[0]).toBe(0);
  });
});
