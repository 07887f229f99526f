/**
 * The fuzzer: seed sharding, JUnit, verdicts; acceptance on a small campaign — swarm on the correct
 * configuration finds nothing (CI runs a few dozen seeds; the README reports the 2000-seed run),
 * and with leader-local reads a failing seed shrinks to a scenario whose faults are all needed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failsLike, outcomeOf, parseShard, shardSeeds, shrinkFailure, verdictOf, type SeedOutcome } from './fuzz.js';
import { failureSignature, fuzzSummary, junitSuiteOf, junitXml } from './fuzz-summary.js';
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

  const o = (seed: number, status: SeedOutcome['status'], summary = 'x'): SeedOutcome => ({ seed, status, failed: status === 'pass' ? [] : ['linearizable'], summary, traceHash: '0', virtualMs: 1, events: 1, wallMs: 1500, reproduce: `npx raftsim run swarm --seed ${seed}` });
  const campaign = { scenario: 'swarm', from: 1, seeds: 5, overrides: [], shard: { k: 1, n: 1 } };

  it('writes one test case per seed of the campaign: failures with the reproduce command and the shrunk file, seeds not run skipped, the wall time', () => {
    const shrunk = { seed: 2, file: 'fz/fuzz-swarm-seed2.shrunk.json', faultsBefore: 9, faultsAfter: 2, runs: 30, failsOnItsOwn: true, reproduce: 'npx raftsim run fz/fuzz-swarm-seed2.shrunk.json --seed 2' };
    const outcomes = [o(1, 'pass'), o(2, 'fail', 'read of <k> & "v"'), o(3, 'error')];
    const s = fuzzSummary({ campaign, seeds: [1, 2, 3, 4, 5], outcomes, stoppedBy: 'SIGINT', wallMs: 2500, workers: 2, shrunk });
    expect(s).toMatchObject({ schema: 'raftsim.fuzz/1', seeds: 5, ran: 3, passed: 1, failed: 1, errors: 1, notRun: 2, interrupted: true, notRunSeeds: [[4, 5]] });
    const xml = junitXml([junitSuiteOf('fuzz swarm', s, new Map(outcomes.map((x) => [x.seed, x.wallMs])))]);
    expect(xml).toContain('<testsuite name="fuzz swarm" tests="5" failures="1" errors="1" skipped="2" time="2.500">');
    expect(xml).toContain('<testcase classname="fuzz swarm" name="seed 1" time="1.500"/>');
    expect(xml).toContain('<failure message="read of &lt;k&gt; &amp; &quot;v&quot;" type="linearizable">');
    expect(xml).toContain('reproduce: npx raftsim run swarm --seed 2\nshrunk scenario: fz/fuzz-swarm-seed2.shrunk.json (9 faults → 2; fails on its own)');
    expect(xml).toContain('<error message="x" type="run-error">');
    expect(xml).toMatch(/name="seed 4">\n {6}<skipped message="not run: the campaign was interrupted \(SIGINT\)"\/>/);
    expect(xml.match(/<testcase /g)?.length).toBe(5);
  });

  it('a failure\'s signature masks its particulars: one kind of failure at two seeds shares it, another check does not', () => {
    const a = failureSignature({ status: 'fail', failed: ['linearizable'], summary: 'linearizable: range k2 -> nothing @rev 2 (7.574 s..8.165 s) was served at revision 2, but put k3="c0-1" @rev 3' });
    const b = failureSignature({ status: 'fail', failed: ['linearizable'], summary: 'linearizable: range k0 -> nothing @rev 5 (1.5 s..2.165 s) was served at revision 5, but put k1="c2-7" @rev 9' });
    expect(a).toBe(b);
    expect(failureSignature({ status: 'fail', failed: ['watch'], summary: 'watch: range k2' })).not.toBe(failureSignature({ status: 'fail', failed: ['linearizable'], summary: 'watch: range k2' }));
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
    // Seed 101 of `fuzz swarm --set readMode=leader-local` fails linearizability (found by that campaign).
    const seed = 101;
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
