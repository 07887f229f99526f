/**
 * Reading JSON that a person wrote, with messages a person can act on: a syntax error at
 * `line:column` (JSON.parse only gives a character offset, and not in every Node version the same
 * way), and numbers JSON.parse would silently round.
 *
 * Nothing here reads a file: callers pass the text and quote the file name themselves.
 */

/** The largest integer a double holds exactly (2^53 − 1): beyond it, `9007199254740993` reads as `…992`. */
export const EXACT_INTEGER_MAX = Number.MAX_SAFE_INTEGER;

export type JsonText =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly line: number; readonly column: number; readonly message: string };

/** 1-based line and column of a character offset (a column counts UTF-16 units, as editors mostly do). */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  const at = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: at - lineStart + 1 };
}

/**
 * JSON.parse, with a syntax error as line, column and a short phrase (`expected ',' or '}'`).
 * JSON.parse's own message gives an offset for some errors and none for others, so the place is
 * found by `syntaxErrorAt`, a scanner that only looks for the first error.
 */
export function parseJsonText(text: string): JsonText {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    if (text.trim() === '') return { ok: false, line: 1, column: 1, message: 'not valid JSON: the file is empty' };
    const e = syntaxErrorAt(text);
    return { ok: false, ...lineColumnAt(text, e.offset), message: `not valid JSON: ${e.message}` };
  }
}

const WS = new Set([' ', '\t', '\n', '\r']);

/** Where JSON.parse would stop on `text`, and why (the text is known not to parse). */
export function syntaxErrorAt(text: string): { offset: number; message: string } {
  let i = 0;
  const skip = (): void => {
    while (i < text.length && WS.has(text[i] as string)) i++;
  };
  const err = (message: string): never => {
    throw { offset: i, message };
  };
  const found = (): string => (i >= text.length ? 'the end of the text' : `'${text[i]}'`);
  const value = (depth: number): void => {
    skip();
    if (depth > 10_000) err('nested too deeply');
    const c = text[i];
    if (c === '{') {
      i++;
      skip();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        skip();
        if (text[i] !== '"') err(`expected a double-quoted field name, found ${found()}`);
        string();
        skip();
        if (text[i] !== ':') err(`expected ':' after the field name, found ${found()}`);
        i++;
        value(depth + 1);
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        err(`expected ',' or '}', found ${found()}`);
      }
    }
    if (c === '[') {
      i++;
      skip();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        err(`expected ',' or ']', found ${found()}`);
      }
    }
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m !== null && m[0] !== '' && m[0] !== '-') {
      i += m[0].length;
      return;
    }
    err(`expected a value, found ${found()}`);
  };
  const string = (): void => {
    i++;
    for (;;) {
      if (i >= text.length) err('a string is not closed');
      const c = text[i] as string;
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const n = text[i + 1];
        if (n === 'u' ? !/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)) : n === undefined || !'"\\/bfnrt'.includes(n)) err('a bad escape in a string');
        i += n === 'u' ? 6 : 2;
        continue;
      }
      if (c < ' ') err('a control character (a line break?) inside a string');
      i++;
    }
  };
  try {
    value(0);
    skip();
    if (i < text.length) err(`unexpected ${found()} after the JSON value`);
  } catch (e) {
    if (typeof e === 'object' && e !== null && 'offset' in e) return e as { offset: number; message: string };
    throw e;
  }
  return { offset: i, message: 'syntax error' };
}

/**
 * The first number in `value` (a JSON.parse result) too large to have been read exactly, with its
 * path — `9007199254740993` in the text is `9007199254740992` here, beyond `EXACT_INTEGER_MAX`.
 * Any magnitude above 2^53 − 1 counts: such a value may already be another number than written.
 */
export function findInexactNumber(value: unknown, depthMax = 64): { path: (string | number)[]; value: number } | null {
  const path: (string | number)[] = [];
  const walk = (x: unknown, depth: number): number | null => {
    if (typeof x === 'number') return Math.abs(x) > EXACT_INTEGER_MAX ? x : null;
    if (typeof x !== 'object' || x === null || depth > depthMax) return null;
    const entries: [string | number, unknown][] = Array.isArray(x) ? x.map((v, i) => [i, v]) : Object.entries(x);
    for (const [k, v] of entries) {
      path.push(k);
      const found = walk(v, depth + 1);
      if (found !== null) return found;
      path.pop();
    }
    return null;
  };
  const found = walk(value, 0);
  return found === null ? null : { path, value: found };
}

/**
 * The number as the text wrote it, when the text holds it at `path` — for messages about numbers
 * JSON.parse rounded (it printed as `9007199254740992`, the user wrote `…993`). Falls back to the
 * parsed value. Only a best effort: it looks for the last key of the path followed by a number.
 */
export function writtenNumber(text: string, path: readonly (string | number)[], parsed: number): string {
  const key = [...path].reverse().find((p): p is string => typeof p === 'string');
  if (key !== undefined) {
    const m = new RegExp(`"${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\s*:\\s*(-?\\d[\\d.eE+-]*)`).exec(text);
    if (m !== null && Number(m[1]) === parsed) return m[1] as string;
  }
  return String(parsed);
}

/** A value as a message quotes it: numbers and short strings as written, other things by kind. */
export function describeValue(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (x === null) return 'null';
  if (typeof x === 'number') return String(x);
  if (typeof x === 'boolean') return String(x);
  if (typeof x === 'string') return x.length > 40 ? `${JSON.stringify(x.slice(0, 37))}… (${x.length} characters)` : JSON.stringify(x);
  if (Array.isArray(x)) return x.length === 0 ? 'an empty list' : `a list of ${x.length}`;
  if (typeof x === 'object') return 'an object';
  return typeof x;
}
