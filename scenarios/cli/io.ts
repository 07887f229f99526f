/**
 * The CLI's contact with files and arguments: reading a scenario or record file (a problem is one
 * line, exit 2), telling a built-in name from a file path, and normalising repeated options.
 */
import { existsSync, readFileSync } from 'node:fs';
import { findBuiltin } from '../builtin/registry.js';
import { UserInputError } from '../errors.js';
import type { ScenarioSource } from '../scenario-source.js';

export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err));
    throw new UserInputError(`${path}: cannot read the file (${code})`);
  }
}

export function readJson(path: string): unknown {
  const text = readText(path);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserInputError(`${path}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** A built-in by name, else a scenario file (a name ending in .json, or an existing file). */
export function loadSource(arg: string): ScenarioSource {
  if (findBuiltin(arg) !== undefined) return { kind: 'builtin', name: arg };
  if (arg.endsWith('.json') || existsSync(arg)) return { kind: 'file', path: arg, json: readJson(arg) };
  throw new UserInputError(`unknown scenario ${JSON.stringify(arg)}: not a built-in (see \`raftsim list\`) and no such file`);
}

/** `--set` given zero, one or many times. */
export function listOption(x: unknown): string[] {
  if (x === undefined) return [];
  return (Array.isArray(x) ? x : [x]).map(String);
}

/** A seed: a whole number in [0, 2^53). */
export function seedOption(x: unknown, name = '--seed'): number {
  const n = typeof x === 'number' ? x : Number(x);
  if (!Number.isSafeInteger(n) || n < 0) throw new UserInputError(`${name}: expected a whole number ≥ 0, got ${JSON.stringify(x)}`);
  return n;
}

export function positiveIntOption(x: unknown, name: string): number {
  const n = typeof x === 'number' ? x : Number(x);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UserInputError(`${name}: expected a whole number > 0, got ${JSON.stringify(x)}`);
  return n;
}

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}
