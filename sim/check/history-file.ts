/**
 * The history reader: JSON Lines text (sim/history.ts, sim/check/testdata/porcupine/README.md) to
 * Operations, every line validated with zod.
 *
 * The common fields are validated here; what `input` and `output` must look like depends on the
 * model, which supplies one schema pair per operation name. `output` is validated only for status
 * `ok` (a `fail` carries an error of any shape; an `unknown` has none that counts).
 *
 * A bad line is an expected outcome for a reader: it comes back as a value naming the line and
 * the field path (`input.value: expected number`), never as an exception. This module reads no
 * file — the caller passes the text and the name to quote.
 */
import { z } from 'zod';
import type { Operation } from '../history.js';
import { inputErrorMap } from '../input-issue.js';
import { EXACT_INTEGER_MAX, findInexactNumber, parseJsonText, writtenNumber } from '../json-text.js';

export interface OperationSchema {
  /** Schema of `input` (use z.undefined() when the operation has none). */
  readonly input: z.ZodType;
  /** Schema of `output` when status is ok. */
  readonly output: z.ZodType;
}

/** Per operation name, what its input and output look like. */
export type OperationSchemas = Readonly<Record<string, OperationSchema>>;

export interface HistoryLineError {
  /** 1-based line number. */
  readonly line: number;
  /** 1-based column, for a syntax error. */
  readonly column?: number;
  /** Field path as `input.value` or `kvs[2].key`; empty when the whole line is at fault. */
  readonly path: string;
  readonly message: string;
}

export type HistoryParse<Op> =
  | { readonly ok: true; readonly ops: readonly Op[] }
  | { readonly ok: false; readonly error: HistoryLineError };

/** Lines longer than this are rejected before parsing (a bound on what one line may cost). */
export const HISTORY_LINE_CHARS_MAX = 1 << 20;
/** Operations in one history: a bound, far above any run's. */
export const HISTORY_OPS_MAX = 1_000_000;

const lineSchema = z.strictObject({
  client: z.number().int().nonnegative(),
  op: z.string().min(1),
  key: z.string().exactOptional(),
  call: z.number().nonnegative(),
  return: z.number().nonnegative().nullable(),
  status: z.enum(['ok', 'fail', 'unknown']),
  input: z.unknown().exactOptional(),
  output: z.unknown().exactOptional(),
  note: z.string().exactOptional(),
});

/** Parses a whole history; `id` is the 0-based index of the operation's line among non-empty lines. */
export function parseHistory<Op extends Operation>(text: string, schemas: OperationSchemas): HistoryParse<Op> {
  const ops: Op[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const whole = lines[i] as string;
    const raw = whole.trim();
    if (raw === '') continue;
    const parsed = parseLine(raw, i + 1, ops.length, schemas, whole.length - whole.trimStart().length);
    if (!parsed.ok) return parsed;
    if (ops.length >= HISTORY_OPS_MAX) return fail(i + 1, '', `more than ${HISTORY_OPS_MAX} operations`);
    ops.push(parsed.op as Op);
  }
  return { ok: true, ops };
}

type LineParse = { readonly ok: true; readonly op: Operation } | { readonly ok: false; readonly error: HistoryLineError };

function parseLine(raw: string, line: number, id: number, schemas: OperationSchemas, indent: number): LineParse {
  if (raw.length > HISTORY_LINE_CHARS_MAX) return fail(line, '', `line longer than ${HISTORY_LINE_CHARS_MAX} characters`);
  const parsedText = parseJsonText(raw);
  if (!parsedText.ok) return fail(line, '', parsedText.message, indent + parsedText.column);
  const json = parsedText.value;
  // JSON.parse reads 9007199254740993 as 9007199254740992: refuse what it may have rounded
  // rather than judge another value than the one written.
  const inexact = findInexactNumber(json);
  if (inexact !== null) {
    const written = writtenNumber(raw, inexact.path, inexact.value);
    return fail(line, formatPath(inexact.path), `${written} is beyond ${EXACT_INTEGER_MAX} (2^53 − 1), the largest whole number read exactly`);
  }
  const common = lineSchema.safeParse(json, { error: inputErrorMap });
  if (!common.success) return failIssue(line, [], common.error.issues[0]);
  const c = common.data;
  const schema = Object.hasOwn(schemas, c.op) ? schemas[c.op] : undefined;
  if (schema === undefined) return fail(line, 'op', `expected one of ${Object.keys(schemas).join('|')}, got ${JSON.stringify(c.op)}`);
  if (c.return === null && c.status !== 'unknown') return fail(line, 'return', `null (never returned) requires status "unknown", got "${c.status}"`);
  if (c.return !== null && c.return < c.call) return fail(line, 'return', `${c.return} is before call ${c.call}`);
  const input = schema.input.safeParse(c.input, { error: inputErrorMap });
  if (!input.success) return failIssue(line, ['input'], input.error.issues[0]);
  let output: unknown = c.output;
  if (c.status === 'ok') {
    const out = schema.output.safeParse(c.output, { error: inputErrorMap });
    if (!out.success) return failIssue(line, ['output'], out.error.issues[0]);
    output = out.data;
  }
  const op: { -readonly [K in keyof Operation]: Operation[K] } = { id, client: c.client, op: c.op, call: c.call, return: c.return, status: c.status };
  if (c.key !== undefined) op.key = c.key;
  if (input.data !== undefined) op.input = input.data;
  if (output !== undefined) op.output = output;
  if (c.note !== undefined) op.note = c.note;
  return { ok: true, op };
}

function fail(line: number, path: string, message: string, column?: number): { readonly ok: false; readonly error: HistoryLineError } {
  return { ok: false, error: column === undefined ? { line, path, message } : { line, column, path, message } };
}

function failIssue(line: number, prefix: readonly PropertyKey[], issue: z.core.$ZodIssue | undefined): { readonly ok: false; readonly error: HistoryLineError } {
  if (issue === undefined) return fail(line, prefix.map(String).join('.'), 'invalid');
  return fail(line, formatPath([...prefix, ...issue.path]), issue.message);
}

/** `input.kvs[2].key`: zod's path as a person writes it. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** `name:line: path: message` — the one line the CLI prints for a bad history. */
export function formatLineError(file: string, error: HistoryLineError): string {
  const where = `${file}:${error.line}${error.column !== undefined ? `:${error.column}` : ''}`;
  return error.path === '' ? `${where}: ${error.message}` : `${where}: ${error.path}: ${error.message}`;
}
