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

/**
 * A whole-number option. Numeric options are declared as strings (`numberArg`), so a bad value
 * reaches here as the user typed it and the error can quote it; a number (a default) passes too.
 */
export function wholeNumberOption(x: unknown, name: string, min: 0 | 1, what = 'a whole number'): number {
  const n = typeof x === 'number' ? x : typeof x === 'string' && /^\s*\d+\s*$/.test(x) ? Number(x) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UserInputError(`${name}: expected ${what} ${min === 0 ? '≥ 0' : '> 0'}, got ${JSON.stringify(x)}`);
  return n;
}

/** A seed: a whole number in [0, 2^53). */
export function seedOption(x: unknown, name = '--seed'): number {
  return wholeNumberOption(x, name, 0);
}

export function positiveIntOption(x: unknown, name: string): number {
  return wholeNumberOption(x, name, 1);
}

/** An optional count that may be 0 (`--workers 0` runs in this thread). */
export function optionalCountOption(x: unknown, name: string): number | undefined {
  return x === undefined ? undefined : wholeNumberOption(x, name, 0);
}

/** A duration in seconds, > 0, fractions allowed. */
export function secondsOption(x: unknown, name: string): number | undefined {
  if (x === undefined) return undefined;
  const n = typeof x === 'number' ? x : typeof x === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(x) ? Number(x) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new UserInputError(`${name}: expected a number of seconds > 0, got ${JSON.stringify(x)}`);
  return n;
}

/**
 * How a numeric option is declared: as a string that must follow the flag, so that `--seed abc`
 * reaches the validators as "abc" (yargs' `number` type would turn it into NaN, and a bare `--seed`
 * into the default) and is refused with the value quoted.
 */
export function numberArg<D extends number | undefined>(describe: string, defaultValue?: D): { type: 'string'; requiresArg: true; describe: string; default?: D } {
  return defaultValue === undefined ? { type: 'string', requiresArg: true, describe } : { type: 'string', requiresArg: true, describe, default: defaultValue };
}

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}
