/**
 * Where a run's scenario comes from — a built-in by name, or a file's parsed JSON — and how it
 * becomes a resolved scenario for a seed (only `swarm` depends on the seed). The CLI reads files;
 * this module only sees their contents, so worker threads can resolve the same source.
 */
import { findBuiltin } from './builtin/registry.js';
import { resolveScenario, type Resolved } from './resolve.js';

export type ScenarioSource =
  | { readonly kind: 'builtin'; readonly name: string }
  /** `path` names it in messages and reproduce commands; `json` is what the file held. */
  | { readonly kind: 'file'; readonly path: string; readonly json: unknown };

export function sourceName(src: ScenarioSource): string {
  return src.kind === 'builtin' ? src.name : src.path;
}

export function sourceDescription(src: ScenarioSource): string {
  if (src.kind === 'builtin') return findBuiltin(src.name)?.description ?? '';
  const d = (src.json as { description?: unknown } | null)?.description;
  return typeof d === 'string' ? d : '';
}

/** The resolved scenario of `src` for `seed`, with `overrides` applied; a bad input is a value. */
export function scenarioFor(src: ScenarioSource, seed: number, overrides: readonly string[]): Resolved {
  if (src.kind === 'file') return resolveScenario(src.json, { source: src.path, overrides });
  const b = findBuiltin(src.name);
  if (b === undefined) {
    const message = `unknown scenario ${JSON.stringify(src.name)} (see \`raftsim list\`; a file name must end in .json)`;
    return { ok: false, error: message, issue: { message } };
  }
  return resolveScenario(b.scenario(seed), { source: `builtin:${b.name}`, overrides });
}
