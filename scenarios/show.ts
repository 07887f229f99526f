/**
 * `raftsim show`'s logic: a built-in (or a scenario file) as a complete scenario file — every
 * field, defaults filled, the built-in's description in it — that a user can save, edit and run:
 * `raftsim run file.json --seed N` then runs what `raftsim run <built-in> --seed N` runs, with the
 * same trace hash. A built-in that looks at the seed (swarm) is shown for one seed; its file runs
 * that seed's configuration under any seed.
 */
import { findBuiltin } from './builtin/registry.js';
import type { InputIssue } from './errors.js';
import type { Resolved } from './resolve.js';
import { scenarioFor, sourceDescription, sourceName, type ScenarioSource } from './scenario-source.js';
import type { Scenario } from './schema.js';

export interface Shown {
  readonly name: string;
  readonly seed: number;
  /** True when the built-in's scenario depends on the seed (the file then holds this seed's). */
  readonly seedDependent: boolean;
  /** The complete scenario file. */
  readonly scenario: Scenario;
}

export type ShowResult = { readonly ok: true; readonly shown: Shown } | { readonly ok: false; readonly error: string; readonly issue?: InputIssue };

export function showScenario(src: ScenarioSource, seed: number, overrides: readonly string[]): ShowResult {
  const r: Resolved = scenarioFor(src, seed, overrides);
  if (!r.ok) return r;
  const description = r.scenario.description === '' ? sourceDescription(src) : r.scenario.description;
  return { ok: true, shown: { name: sourceName(src), seed, seedDependent: seedDependent(src, seed), scenario: { ...r.scenario, description } } };
}

/** Whether a built-in gives another scenario for another seed (files never do). */
function seedDependent(src: ScenarioSource, seed: number): boolean {
  if (src.kind === 'file') return false;
  const b = findBuiltin(src.name);
  if (b === undefined) return false;
  const other = seed === 0 ? 1 : seed - 1;
  return JSON.stringify(b.scenario(seed)) !== JSON.stringify(b.scenario(other));
}
