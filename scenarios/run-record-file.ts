/**
 * Reading a saved run record (`run.json`) back: `raftsim replay` and `raftsim report` take one.
 * The fields they rely on are validated with zod; a bad file is one line naming the file and the
 * field (exit 2 in the CLI). The rest of the record is taken as written.
 */
import { z } from 'zod';
import { inputErrorMap } from '../sim/input-issue.js';
import { parseJsonText } from '../sim/json-text.js';
import { formatIssue } from './resolve.js';
import type { RunRecord } from '../record/run-record.js';

const traceEventSchema = z.object({
  index: z.number().int().nonnegative(),
  timeUs: z.number().int().nonnegative(),
  host: z.number().int().nullable(),
  kind: z.string(),
  fields: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
});

const checkpointsSchema = z.object({
  everyEvents: z.number().int().positive(),
  seed: z.number().int().nonnegative(),
  points: z.array(z.object({ events: z.number().int().positive(), timeUs: z.number().int().nonnegative(), hash: z.string().regex(/^[0-9a-f]{16}$/, 'expected 16 hex digits') })),
});

const recordSchema = z.looseObject({
  version: z.literal(1),
  scenario: z.string().min(1),
  seed: z.number().int().nonnegative(),
  overrides: z.array(z.string()),
  settings: z.looseObject({}),
  traceHash: z.string().regex(/^[0-9a-f]{16}$/, 'expected 16 hex digits'),
  events: z.number().int().nonnegative(),
  checkpoints: checkpointsSchema.optional(),
  checks: z.looseObject({}),
  metrics: z.looseObject({}),
  faults: z.array(z.unknown()),
  history: z.array(z.unknown()),
  trace: z.array(traceEventSchema),
});

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** Parses the text of a run record file; `path` names it in the error. */
export function parseRunRecord(text: string, path: string): Parsed<RunRecord> {
  const parsed = parseJsonText(text);
  if (!parsed.ok) return { ok: false, error: `${path}:${parsed.line}:${parsed.column}: ${parsed.message}` };
  const json = parsed.value;
  const r = recordSchema.safeParse(json, { error: inputErrorMap });
  if (!r.success) return { ok: false, error: `${path}: ${formatIssue(r.error.issues[0])}` };
  return { ok: true, value: json as RunRecord };
}
