/**
 * One phrasing of bad input for every reader (scenario files, `--set`, history files, records):
 * a zod issue as `expected …, got …`, the value quoted as written, and an unknown field always as
 * `unknown field "x"` at its parent's path. Pass `inputErrorMap` to `safeParse`; a schema's own
 * message (a field that says what it holds: "a time in milliseconds") still wins over it.
 */
import type { z } from 'zod';
import { describeValue } from './json-text.js';

const TYPE_WORDS: Readonly<Record<string, string>> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  null: 'null',
  undefined: 'nothing',
};

function typeWord(expected: string): string {
  return TYPE_WORDS[expected] ?? expected;
}

function oneOf(values: readonly unknown[]): string {
  const quoted = values.map((v) => JSON.stringify(v));
  if (quoted.length <= 1) return quoted[0] ?? 'nothing';
  return `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}

/** `unknown field "sise"` / `unknown fields "a", "b"`: the same words in every file format. */
export function unknownFieldsText(keys: readonly string[]): string {
  return `unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => JSON.stringify(k)).join(', ')}`;
}

/** The phrase for an issue whose input is `input` (zod hands the error map the input; its issues drop it). */
export function issueText(iss: z.core.$ZodRawIssue): string {
  const input = iss.input;
  switch (iss.code) {
    case 'invalid_type':
      return input === undefined ? `missing (expected ${typeWord(iss.expected)})` : `expected ${typeWord(iss.expected)}, got ${describeValue(input)}`;
    case 'too_small':
    case 'too_big': {
      const small = iss.code === 'too_small';
      const bound = small ? (iss as { minimum: number | bigint }).minimum : (iss as { maximum: number | bigint }).maximum;
      const op = small ? (iss.inclusive === false ? '>' : '≥') : iss.inclusive === false ? '<' : '≤';
      if (iss.origin === 'array' || iss.origin === 'set') {
        const n = Array.isArray(input) ? input.length : '?';
        return `expected ${small ? 'at least' : 'at most'} ${String(bound)} entr${Number(bound) === 1 ? 'y' : 'ies'}, got ${n}`;
      }
      if (iss.origin === 'string') return Number(bound) === 1 && small ? 'expected a non-empty string' : `expected ${op} ${String(bound)} characters, got ${typeof input === 'string' ? input.length : '?'}`;
      return `expected ${iss.origin === 'int' ? 'a whole number' : 'a number'} ${op} ${String(bound)}, got ${describeValue(input)}`;
    }
    case 'invalid_value':
      return `expected ${oneOf(iss.values)}, got ${describeValue(input)}`;
    case 'unrecognized_keys':
      return unknownFieldsText(iss.keys);
    case 'invalid_union': {
      const disc = (iss as { discriminator?: string }).discriminator;
      const options = (iss as { options?: unknown[] }).options;
      if (disc !== undefined) {
        const got = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[disc] : input;
        return options !== undefined && options.length > 0 ? `expected ${oneOf(options)}, got ${describeValue(got)}` : `no variant matches ${disc} ${describeValue(got)}`;
      }
      return `matches none of the allowed shapes, got ${describeValue(input)}`;
    }
    case 'not_multiple_of':
      return `expected a multiple of ${String(iss.divisor)}, got ${describeValue(input)}`;
    default:
      return iss.message ?? 'invalid';
  }
}

/** The error map to pass to `safeParse(x, { error: inputErrorMap })`. */
export const inputErrorMap: z.core.$ZodErrorMap = (iss) => issueText(iss);
