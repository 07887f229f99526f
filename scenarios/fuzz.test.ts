/**
 * The fuzzer: seed sharding, JUnit, verdicts; acceptance on a small campaign — swarm on the correct
 * configuration finds nothing (CI runs a few dozen seeds; the README reports the 2000-seed run),
 * and with leader-local reads a failing seed shrinks to a scenario whose faults are all needed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failsLike, junitXml, outcomeOf, parseShard, shardSeeds, shrinkFailure, verdictOf, type SeedOutcome } from './fuzz.js';
import { runJob } from './run-job.js';
import type { CheckResult, Checks } from '../record/run-record.js';
import { scenarioFor } from './scenario-source.js';
import type { Fault } from './schema.js';

const pass: CheckResult = { status: 'pass', summary: 'ok' };
const checks = (over: Partial<Checks>): Checks => ({ invariants: pass, linearizable: pass, serializable: pass, watch: pass, liveness: pass, ...over });

describe('seeds and shards', () => {
  it('parses k/n and refuses the rest with one line', () => {
    expect(parseShard('2/4')).toEqual({ ok: true, value: { k: 2, n: 4 } });
    expect(parseShard('0/4').ok).toBe(false);
    expect(parseShard('5/4').ok).toBe(false);
    expect(parseShard('x')).toEqual({ ok: false, error: '--shard: expected k/n (e.g. 2/4), got "x"' });
  });

  it('property: the n shards of a campaign cover every seed exactly once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 9 }), (from, count, n) => {
        const all = Array.from({ length: n }, (_, i) => shardSeeds(from, count, { k: i + 1, n })).flat().sort((a, b) => a - b);
        expect(all).toEqual(Array.from({ length: count }, (_, i) => from + i));
      }),
      { numRuns: 200 },
    );
  });
});

describe('verdicts and JUnit', () => {
  it('fail beats unknown beats pass', () => {
    expect(verdictOf(checks({}))).toEqual({ status: 'pass', failed: [] });
    expect(verdictOf(checks({ linearizable: { status: 'unknown', summary: 'budget' } }))).toEqual({ status: 'unknown', failed: ['linearizable'] });
    expect(verdictOf(checks({ linearizable: { status: 'unknown', summary: 'b' }, watch: { status: 'fail', summary: 'w' } }))).toEqual({ status: 'fail', failed: ['watch'] });
  });

  it('writes one test case per seed, failures with the reproduce command, and escapes', () => {
    const o = (seed: number, status: SeedOutcome['status'], summary = 'x'): SeedOutcome => ({ seed, status, failed: status === 'pass' ? [] : ['linearizable'], summary, traceHash: '0', virtualMs: 1, events: 1, wallMs: 1500, reproduce: `npx raftsim run swarm --seed ${seed}` });
    const xml = junitXml('fuzz swarm', [o(1, 'pass'), o(2, 'fail', 'read of <k> & "v"'), o(3, 'error')]);
    expect(xml).toContain('tests="3" failures="1" errors="1"');
    expect(xml).toContain('<testcase classname="fuzz swarm" name="seed 1" time="1.500"/>');
    expect(xml).toContain('<failure message="read of &lt;k&gt; &amp; &quot;v&quot;" type="linearizable">');
    expect(xml).toContain('reproduce: npx raftsim run swarm --seed 2</failure>');
    expect(xml).toContain('<error message="x" type="run-error">');
  });
});

describe('fuzzing acceptance', () => {
  it('swarm on the correct configuration finds nothing (CI: 24 seeds)', () => {
    const failures: string[] = [];
    for (const seed of shardSeeds(1, 24)) {
      const r = runJob({ id: seed, source: { kind: 'builtin', name: 'swarm' }, seed, overrides: [], trace: 'hash-only', full: false });
      if (!r.ok) failures.push(`seed ${seed}: ${r.error}`);
      else if (outcomeOf(r.record, 0).status !== 'pass') failures.push(`seed ${seed}: ${outcomeOf(r.record, 0).summary}`);
    }
    expect(failures).toEqual([]);
  });

  it('with leader-local reads a failing seed shrinks to a scenario that fails alone, every fault needed', () => {
    // Seed 7 of `fuzz swarm --set readMode=leader-local` fails linearizability (found by that campaign).
    const seed = 7;
    const resolved = scenarioFor({ kind: 'builtin', name: 'swarm' }, seed, ['readMode=leader-local']);
    if (!resolved.ok) throw new Error(resolved.error);
    const first = runJob({ id: 0, source: { kind: 'builtin', name: 'swarm' }, seed, overrides: ['readMode=leader-local'], trace: 'hash-only', full: false });
    expect(first.ok && first.record.checks.linearizable.status).toBe('fail');
    const r = shrinkFailure(resolved.scenario, seed, ['linearizable'], 60);
    expect(r.failsOnItsOwn).toBe(true);
    expect(r.scenario.nemesis.intervalMs).toBe(0);
    expect(r.faultsAfter).toBeLessThan(r.faultsBefore / 2);
    // 1-minimal: without any one of its faults, the run passes the linearizability check.
    const only = new Set(['linearizable']);
    for (let i = 0; i < r.scenario.faults.length; i++) {
      const fewer = r.scenario.faults.filter((_, j) => j !== i) as Fault[];
      expect(failsLike({ ...r.scenario, faults: fewer }, seed, only), `without fault ${i}`).toBe(false);
    }
  });
});
