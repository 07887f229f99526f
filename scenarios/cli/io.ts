/**
 * The CLI's contact with files and arguments: reading a scenario or record file (a problem is one
 * line, exit 2), telling a built-in name from a file path, and normalising repeated options.
 */
import { existsSync, readFileSync } from 'node:fs';
import { findBuiltin } from '../builtin/registry.js';
import { UserInputError } from '../errors.js';
import type { ScenarioSource } from '../scenario-source.js';
import { EXACT_INTEGER_MAX, parseJsonText } from '../../sim/json-text.js';

export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err));
    throw new UserInputError({ file: path, message: `cannot read the file (${code})` });
  }
}

/** A JSON file's value; a syntax error names its line and column (`my.json:3:17: not valid JSON: …`). */
export function readJson(path: string): unknown {
  const parsed = parseJsonText(readText(path));
  if (!parsed.ok) throw new UserInputError({ file: path, line: parsed.line, column: parsed.column, message: parsed.message });
  return parsed.value;
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
 * Above `max` (by default 2^53 − 1, the largest whole number a double holds exactly) is refused
 * with the bound in the message, not rounded.
 */
export function wholeNumberOption(x: unknown, name: string, min: 0 | 1, what = 'a whole number', max = EXACT_INTEGER_MAX): number {
  const digits = typeof x === 'string' && /^\s*\d+\s*$/.test(x);
  const n = typeof x === 'number' ? x : digits ? Number(x) : NaN;
  const low = min === 0 ? '≥ 0' : '> 0';
  // Digits that overflow the bound are refused by their text: Number() would have rounded them.
  const tooBig = (typeof x === 'number' && x > max) || (digits && BigInt(String(x).trim()) > BigInt(max));
  if (tooBig) throw new UserInputError({ path: name, message: `expected ${what} ${low} and ≤ ${max}, got ${JSON.stringify(x)}` });
  if (!Number.isSafeInteger(n) || n < min) throw new UserInputError({ path: name, message: `expected ${what} ${low}, got ${JSON.stringify(x)}` });
  return n;
}

/** The largest seed: 2^53 − 1 (a seed is an exact whole number; the seed streams take it as its decimal text). */
export const SEED_MAX = EXACT_INTEGER_MAX;

/** A seed: a whole number in [0, 2^53 − 1]. Every seed message names both bounds. */
export function seedOption(x: unknown, name = '--seed'): number {
  const digits = typeof x === 'string' && /^\s*\d+\s*$/.test(x);
  const n = typeof x === 'number' ? x : digits ? Number(x) : NaN;
  if (!Number.isSafeInteger(n) || n < 0 || (digits && BigInt(String(x).trim()) > BigInt(SEED_MAX))) {
    throw new UserInputError({ path: name, message: `expected a whole number ≥ 0 and ≤ ${SEED_MAX} (2^53 − 1), got ${JSON.stringify(x)}` });
  }
  return n;
}

/** Most seeds one campaign (fuzz, experiment) may name: a million. */
export const CAMPAIGN_SEEDS_MAX = 1_000_000;

/** `--from S --seeds N`: N seeds from S, every one of them a valid seed. */
export function seedRangeOptions(fromArg: unknown, seedsArg: unknown): { from: number; count: number } {
  const from = seedOption(fromArg, '--from');
  const count = wholeNumberOption(seedsArg, '--seeds', 1, 'a whole number', CAMPAIGN_SEEDS_MAX);
  if (from + count - 1 > SEED_MAX) throw new UserInputError({ path: '--from', message: `the last seed, ${from} + ${count} − 1, is beyond the largest seed ${SEED_MAX} (2^53 − 1)` });
  return { from, count };
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
  if (!Number.isFinite(n) || n <= 0) throw new UserInputError({ path: name, message: `expected a number of seconds > 0, got ${JSON.stringify(x)}` });
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
