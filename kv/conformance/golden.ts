/**
 * The recorded conformance suite: sequences with the answers a real etcd gave them, stored in the
 * repository (`npm run conformance -- --record`) and replayed on raftsim in `npm test`, where no
 * etcd is needed (golden.test.ts).
 *
 * The file is JSON lines (gzip-compressed by the caller): a header line, then one line per
 * sequence `{ name, ops, etcd }`. Two things keep it small and the same for the same seed:
 * - long strings made of one repeated character (the size-limit values) are written as
 *   `{"$repeat": c, "n": length}`;
 * - etcd's answers are stored as the comparison sees them (`comparable`): a remaining TTL, which
 *   etcd counts on its wall clock, only as "positive", lease lists sorted.
 */
import { compareOutcomes, normaliseAnswer, stableWatches, type Difference } from './compare.js';
import type { Outcome, SeqOp, Sequence } from './sequence.js';
import { runOnSim } from './sim-target.js';

export const GOLDEN_FORMAT = 1;

export interface GoldenHeader {
  readonly format: number;
  readonly etcdVersion: string;
  readonly seed: string;
  /** Sequences in the file. */
  readonly sequences: number;
  readonly minOps: number;
  readonly maxOps: number;
}

export interface GoldenEntry {
  readonly name: string;
  readonly ops: readonly SeqOp[];
  readonly etcd: Outcome;
}

/** Strings at least this long made of one character are written as a repeat. */
const REPEAT_MIN = 64;

function isRepeat(s: string): boolean {
  if (s.length < REPEAT_MIN) return false;
  const c = s.charCodeAt(0);
  for (let i = 1; i < s.length; i++) if (s.charCodeAt(i) !== c) return false;
  return true;
}

export function encodeLine(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => (typeof v === 'string' && isRepeat(v) ? { $repeat: v[0], n: v.length } : v));
}

export function decodeLine(line: string): unknown {
  return JSON.parse(line, (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && '$repeat' in v) {
      const r = v as { $repeat: string; n: number };
      return r.$repeat.repeat(r.n);
    }
    return v;
  });
}

/**
 * etcd's outcome as it is recorded: what the comparison looks at, nothing timing-dependent, so that
 * recording the same sequence twice stores the same (golden.test.ts holds pairs of real recordings):
 * - answers as `normaliseAnswer` compares them (remaining TTL only as "positive", lease lists sorted);
 * - watch records through `stableWatches` (a negative-start watch's later cancel is etcd's timing);
 * - when etcd ended during the sequence (a crash: `targetError`), no watch records and no progress
 *   answers: which of them left etcd before it died depends on how long before its end each was
 *   sent (a watch created 5 ms before the crashing op is answered in one run, not in the next), and
 *   `compareOutcomes` compares none of them once a target failed as a whole.
 */
export function comparable(seq: Sequence, etcd: Outcome): Outcome {
  const answers = etcd.answers.map((a, i) => normaliseAnswer(seq.ops[i], a) as Outcome['answers'][number]);
  if (etcd.targetError !== undefined) return { ...etcd, answers, watches: [], progress: [] };
  return { ...etcd, answers, watches: stableWatches(seq, etcd.watches) };
}

export function encodeGolden(header: Omit<GoldenHeader, 'format' | 'sequences'>, entries: readonly GoldenEntry[]): string {
  const head: GoldenHeader = { format: GOLDEN_FORMAT, ...header, sequences: entries.length };
  return `${[head, ...entries].map(encodeLine).join('\n')}\n`;
}

/** Parses a golden file's text; throws an Error naming the line when it is not one. */
export function decodeGolden(text: string): { header: GoldenHeader; entries: GoldenEntry[] } {
  const lines = text.split('\n').filter((l) => l !== '');
  const header = decodeLine(lines[0] ?? 'null') as GoldenHeader | null;
  if (header === null || header.format !== GOLDEN_FORMAT) throw new Error(`golden file: line 1: expected a header of format ${GOLDEN_FORMAT}`);
  const entries = lines.slice(1).map((l, i) => {
    const e = decodeLine(l) as GoldenEntry;
    if (typeof e.name !== 'string' || !Array.isArray(e.ops) || !Array.isArray(e.etcd?.answers)) throw new Error(`golden file: line ${i + 2}: expected { name, ops, etcd }`);
    return e;
  });
  if (entries.length !== header.sequences) throw new Error(`golden file: header says ${header.sequences} sequences, found ${entries.length}`);
  return { header, entries };
}

/** The differences between etcd's outcome of `seq` and raftsim's (`sim`, run here unless given). */
export function compareWithSim(seq: Sequence, etcd: Outcome, sim: Outcome = runOnSim(seq)): Difference[] {
  return compareOutcomes(seq, etcd, sim, (bugs) => runOnSim(seq, { server: { bugs } }));
}
