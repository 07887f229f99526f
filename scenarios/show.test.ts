/**
 * `raftsim show` prints a built-in as a complete scenario file, and that file runs what the
 * built-in runs: for every built-in, `run file.json --seed N` has the built-in's trace hash.
 */
import { describe, expect, it } from 'vitest';
import { BUILTINS } from './builtin/registry.js';
import { SCENARIO_DEFAULTS } from './schema.js';
import { runJob } from './run-job.js';
import { showScenario } from './show.js';
import type { ScenarioSource } from './scenario-source.js';

const SEED = 3;

function hashOf(source: ScenarioSource, seed: number): string {
  const r = runJob({ id: 0, source, seed, overrides: [], trace: 'hash-only', full: false });
  if (!r.ok) throw new Error(r.error);
  return r.record.traceHash;
}

/** The fields of the top level and of the sections with one shape (a latency or delay differs by its kind; optional switches appear when set). */
function fieldsOf(x: unknown): string[] {
  const o = x as Record<string, Record<string, unknown>>;
  return [...Object.keys(o), ...['cluster', 'workload', 'nemesis', 'liveness', 'checks', 'clocks', 'server'].flatMap((k) => Object.keys(o[k] ?? {}).map((f) => `${k}.${f}`))];
}

describe('show', () => {
  it.each(BUILTINS.map((b) => b.name))('%s: the file it prints runs with the built-in\'s trace hash', (name) => {
    const r = showScenario({ kind: 'builtin', name }, SEED, []);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    // Printed and read back, as a user's file.
    const json: unknown = JSON.parse(JSON.stringify(r.shown.scenario, null, 2));
    expect(fieldsOf(json)).toEqual(expect.arrayContaining(fieldsOf(SCENARIO_DEFAULTS)));
    expect((json as { description: string }).description).toBe(BUILTINS.find((b) => b.name === name)?.description);
    expect(hashOf({ kind: 'file', path: `${name}.json`, json }, SEED)).toBe(hashOf({ kind: 'builtin', name }, SEED));
  });

  it('names the built-ins that depend on the seed, and applies --set', () => {
    const swarm = showScenario({ kind: 'builtin', name: 'swarm' }, 42, []);
    expect(swarm.ok && swarm.shown.seedDependent).toBe(true);
    const fixed = showScenario({ kind: 'builtin', name: 'prevote-rejoin' }, 1, ['cluster.preVote=false']);
    expect(fixed.ok && !fixed.shown.seedDependent && fixed.shown.scenario.cluster.preVote === false).toBe(true);
    const bad = showScenario({ kind: 'builtin', name: 'prevote-rejoin' }, 1, ['cluster.size=big']);
    expect(bad).toMatchObject({ ok: false, error: 'builtin:prevote-rejoin (with --set): cluster.size: expected a whole number from 1 to 7, got "big"' });
  });
});
