/**
 * Where a playground run comes from: a built-in, a lesson's scenario, or a scenario file (a URL
 * fragment's or an exported one), resolved exactly as `raftsim run` resolves it, then the
 * learner's switches applied.
 */
import { resolveScenario } from '../scenarios/resolve.js';
import { scenarioFor } from '../scenarios/scenario-source.js';
import type { Scenario, ScenarioInput } from '../scenarios/schema.js';
import { Playground, optionsOf, withOptions, type PlaygroundOptions } from './session.js';

export type Source = { readonly kind: 'builtin'; readonly name: string } | { readonly kind: 'lesson'; readonly id: string; readonly scenario: ScenarioInput } | { readonly kind: 'file'; readonly name: string; readonly scenario: unknown };

/** The resolved scenario of `src` for `seed`, or the one-line error. */
export function resolveSource(src: Source, seed: number): { ok: true; scenario: Scenario; name: string } | { ok: false; error: string } {
  if (src.kind === 'builtin') {
    const r = scenarioFor({ kind: 'builtin', name: src.name }, seed, []);
    return r.ok ? { ok: true, scenario: r.scenario, name: src.name } : r;
  }
  const name = src.kind === 'lesson' ? `lesson ${src.id}` : src.name;
  const r = resolveScenario(src.scenario, { source: name });
  return r.ok ? { ok: true, scenario: r.scenario, name } : r;
}

export function openPlayground(src: Source, seed: number, options: Partial<PlaygroundOptions> = {}): Playground {
  const r = resolveSource(src, seed);
  if (!r.ok) throw new Error(r.error);
  // Through the resolver again: a switch may break a rule that spans fields (lease reads need CheckQuorum).
  const checked = resolveScenario(withOptions(r.scenario, { ...optionsOf(r.scenario), ...options }), { source: r.name });
  if (!checked.ok) throw new Error(checked.error);
  return new Playground({ name: r.name, scenario: checked.scenario, seed });
}
