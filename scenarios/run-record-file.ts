/**
 * Reading a saved run record (`run.json`) back: `raftsim replay` and `raftsim report` take one.
 * The fields they rely on are validated with zod; a bad file is one line naming the file and the
 * field (exit 2 in the CLI). The rest of the record is taken as written.
 */
import { z } from 'zod';
import { formatIssue } from './resolve.js';
import type { RunRecord } from './run-record.js';

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
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `${path}: not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  const r = recordSchema.safeParse(json);
  if (!r.success) return { ok: false, error: `${path}: ${formatIssue(r.error.issues[0])}` };
  return { ok: true, value: json as RunRecord };
}
