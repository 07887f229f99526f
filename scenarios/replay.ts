/**
 * `raftsim replay`'s logic: re-run a saved run record and, when the trace hash differs, find the
 * first event where the two runs part.
 *
 * The record keeps a chain of trace checkpoints (the hash every n events, runner.ts). The replay
 * runs the record's settings and seed as they are now (edited or not) with checkpoints at the same
 * interval, and the first recorded checkpoint whose hash it does not reach bounds the stretch of
 * at most n events where the runs part. Both sides are then re-run up to that checkpoint keeping
 * every event of the stretch (`traceWindow`): the replayed side from the record's settings, the
 * recorded side from its scenario as it resolves today (the built-in or file, with the record's
 * overrides and the seed the checkpoints are of). The recorded side's re-run must reach the
 * recorded checkpoint hash to be trusted; when it does not (the code or the scenario's source
 * changed since the record was written) the recorded side is shown from the events the record
 * kept, which are filtered by kind (runner.ts REPORT_TRACE_KINDS).
 *
 * Records from before checkpoints fall back to the kept events, matched by position, as replay
 * did before: the first difference shown may then lie after the real one.
 *
 * This module reads no file: the CLI hands it the record and the recorded scenario it resolved.
 */
import { renderEvent, type TraceEvent } from '../sim/trace.js';
import type { RunCheckpoints, RunRecord } from '../record/run-record.js';
import { CHECKPOINT_EVERY_EVENTS, reproduceCommand, runScenario, traceWindow, type RunOptions } from './runner.js';
import type { Scenario } from './schema.js';

/** One side's event at the point of difference: its position, virtual time and line. */
export interface SideEvent {
  readonly index: number;
  readonly timeUs: number;
  readonly line: string;
}

export interface Divergence {
  /** The runs agree on their first `fromEvent` events (a checkpoint, or the start) … */
  readonly fromEvent: number;
  readonly fromUs: number;
  /** … and differ at the checkpoint after `toEvent` events (or the end of the longer run). */
  readonly toEvent: number;
  /** The first event that differs (null when no event of the stretch could be compared: see `recordedFrom`). */
  readonly index: number | null;
  /** Null: the recorded run has no such event (it ended, or the record did not keep it). */
  readonly recorded: SideEvent | null;
  /** Null: the replayed run has no such event (it ended first). */
  readonly replayed: SideEvent | null;
  /** `re-run`: every event of both sides, exact; `kept-events`: the recorded side from the record's kept (kind-filtered) events. */
  readonly recordedFrom: 're-run' | 'kept-events';
}

export interface ReplayOutcome {
  readonly same: boolean;
  readonly seed: number;
  readonly recordedHash: string;
  readonly replayedHash: string;
  readonly recordedEvents: number;
  readonly replayedEvents: number;
  /** The seed the record was made with, when it was edited since (null: unchanged or unknown). */
  readonly recordedSeed: number | null;
  /** Settings that differ from the recorded run's, as `--set` overrides (empty: none, or the recorded run could not be rebuilt). */
  readonly editedSettings: readonly string[];
  /** `checkpoints`, or `kept-events` for a record without checkpoints. */
  readonly method: 'checkpoints' | 'kept-events';
  readonly divergence: Divergence | null;
  /** Sentences for a person: fallbacks and what could not be done. */
  readonly notes: readonly string[];
  /** The command that reproduces the replayed run. */
  readonly reproduce: string;
}

export interface ReplayInput {
  readonly record: RunRecord;
  /** How the record file was named on the command line (for a fallback reproduce command). */
  readonly recordPath: string;
  /** The run to do now: the record's settings and seed as they are in the file, with any `--seed`/`--set` of the replay applied. */
  readonly scenario: Scenario;
  readonly seed: number;
  /** Replay's own `--set` overrides (part of the reproduce command). */
  readonly overrides: readonly string[];
  /**
   * The recorded run's scenario as its source resolves today (scenario name or file, the record's
   * overrides, the checkpoints' seed), or why it cannot be had.
   */
  readonly recorded: RecordedScenario;
}

/**
 * The recorded run's scenario, rebuilt: `scenario` as it resolves for the checkpoints' seed;
 * `resolve` resolves the same source for another seed with more overrides (null if that fails).
 */
export type RecordedScenario =
  | { readonly ok: true; readonly scenario: Scenario; readonly resolve: (seed: number, extraOverrides: readonly string[]) => Scenario | null }
  | { readonly ok: false; readonly why: string };

export function replayRecord(input: ReplayInput): ReplayOutcome {
  const saved = input.record;
  const cps = saved.checkpoints;
  const recordedSeed = cps?.seed ?? saved.seed;
  const every = cps?.everyEvents ?? CHECKPOINT_EVERY_EVENTS;
  const opts = (scenario: Scenario, seed: number): RunOptions => ({ name: saved.scenario, description: saved.description, scenario, seed, overrides: saved.overrides, trace: 'hash-only', checkpointEvery: every, checkpointsMax: 0 });
  const replayedRun = opts(input.scenario, input.seed);
  const again = traceWindow(replayedRun, Infinity, Infinity);
  const notes: string[] = [];
  const edits = editsOf(input, recordedSeed, notes);
  const base = {
    seed: input.seed,
    recordedHash: saved.traceHash,
    replayedHash: again.hash,
    recordedEvents: saved.events,
    replayedEvents: again.count,
    recordedSeed: recordedSeed === input.seed ? null : recordedSeed,
    editedSettings: edits.settings,
    reproduce: edits.reproduce,
  };
  if (again.hash === saved.traceHash && again.count === saved.events) return { ...base, same: true, method: cps === undefined ? 'kept-events' : 'checkpoints', divergence: null, notes };
  if (cps === undefined) {
    notes.push('this record has no checkpoints (it was written before they were added): comparing the trace events it kept, by position; the first difference shown may come after the real one');
    return { ...base, same: false, method: 'kept-events', divergence: byKeptEvents(saved, replayedRun), notes };
  }
  const stretch = firstDifferingStretch(cps, saved, again.checkpoints, again.count, again.hash);
  const mine = traceWindow(replayedRun, stretch.fromEvent, stretch.toEvent);
  // Past the recorded end the recorded run has no events: nothing to re-run.
  const theirs = stretch.toHash === null ? [] : recordedSide(input, opts, recordedSeed, stretch, notes);
  const divergence = theirs === null ? byKept(saved, mine.events, stretch) : byEvents(theirs, mine.events, stretch);
  return { ...base, same: false, method: 'checkpoints', divergence, notes };
}

interface Stretch {
  readonly fromEvent: number;
  readonly fromUs: number;
  readonly toEvent: number;
  /** The recorded hash after `toEvent` events, when the record has one there. */
  readonly toHash: string | null;
}

/** The first recorded checkpoint (the record's final hash counts as one) the replayed run does not reach, and the one before it. */
export function firstDifferingStretch(cps: RunCheckpoints, saved: Pick<RunRecord, 'events' | 'traceHash' | 'virtualMs'>, replayed: readonly { events: number; hash: string }[], replayedCount: number, replayedHash: string): Stretch {
  const reached = new Map<number, string>(replayed.map((p) => [p.events, p.hash]));
  reached.set(replayedCount, replayedHash);
  const recorded = [...cps.points.filter((p) => p.events < saved.events), { events: saved.events, timeUs: Math.round(saved.virtualMs * 1000), hash: saved.traceHash }];
  let from = { events: 0, timeUs: 0 };
  for (const p of recorded) {
    if (reached.get(p.events) !== p.hash) return { fromEvent: from.events, fromUs: from.timeUs, toEvent: p.events, toHash: p.hash };
    from = p;
  }
  // Every recorded point was reached: the replayed run goes on past the recorded end.
  return { fromEvent: from.events, fromUs: from.timeUs, toEvent: Math.max(replayedCount, from.events), toHash: null };
}

/**
 * The recorded side's events in the stretch, from a re-run of the recorded scenario that reaches
 * the recorded hash at the stretch's end; null (with a note) when it cannot be had.
 */
function recordedSide(input: ReplayInput, opts: (s: Scenario, seed: number) => RunOptions, seed: number, st: Stretch, notes: string[]): readonly TraceEvent[] | null {
  const kept = 'the recorded side is shown from the events the record kept (some kinds only)';
  if (!input.recorded.ok) {
    notes.push(`the recorded run cannot be re-run (${input.recorded.why}): ${kept}`);
    return null;
  }
  const sameRun = seed === input.seed && JSON.stringify(input.recorded.scenario) === JSON.stringify(input.scenario);
  if (!sameRun) {
    const w = traceWindow(opts(input.recorded.scenario, seed), st.fromEvent, st.toEvent);
    if (w.count === st.toEvent && w.hash === st.toHash) return w.events;
  }
  notes.push(`${sameRun ? 'the settings and seed are the recorded ones, so the code' : 'a re-run of the recorded scenario does not reach the recorded hash: the code or the scenario\'s source'} changed since the record was written; ${kept}`);
  return null;
}

const keyOf = (e: TraceEvent): string => JSON.stringify([e.timeUs, e.host, e.kind, e.fields]);
const side = (e: TraceEvent | undefined): SideEvent | null => (e === undefined ? null : { index: e.index, timeUs: e.timeUs, line: renderEvent(e) });

/** Both sides have every event of the stretch: the first position where they differ. */
function byEvents(recorded: readonly TraceEvent[], replayed: readonly TraceEvent[], st: Stretch): Divergence {
  const n = Math.max(recorded.length, replayed.length);
  for (let i = 0; i < n; i++) {
    const a = recorded[i];
    const b = replayed[i];
    if (a !== undefined && b !== undefined && keyOf(a) === keyOf(b)) continue;
    return { fromEvent: st.fromEvent, fromUs: st.fromUs, toEvent: st.toEvent, index: st.fromEvent + i, recorded: side(a), replayed: side(b), recordedFrom: 're-run' };
  }
  // Equal events, different hashes: cannot happen for one build; say where, without an event.
  return { fromEvent: st.fromEvent, fromUs: st.fromUs, toEvent: st.toEvent, index: null, recorded: null, replayed: null, recordedFrom: 're-run' };
}

/** The recorded side from the record's kept events: the first kept event of the stretch the replay does not match. */
function byKept(saved: RunRecord, replayed: readonly TraceEvent[], st: Stretch): Divergence {
  const mine = new Map(replayed.map((e) => [e.index, e]));
  const inStretch = saved.trace.filter((e) => e.index >= st.fromEvent && e.index < st.toEvent);
  for (const e of inStretch) {
    const b = mine.get(e.index);
    if (b !== undefined && keyOf(b) === keyOf(e)) continue;
    return { fromEvent: st.fromEvent, fromUs: st.fromUs, toEvent: st.toEvent, index: e.index, recorded: side(e), replayed: side(b), recordedFrom: 'kept-events' };
  }
  // No kept event of the stretch differs: show the replayed side's first event past the recorded kept ones, if any.
  const last = inStretch.at(-1)?.index ?? st.fromEvent - 1;
  const extra = replayed.find((e) => e.index > last);
  return { fromEvent: st.fromEvent, fromUs: st.fromUs, toEvent: st.toEvent, index: extra?.index ?? null, recorded: null, replayed: side(extra), recordedFrom: 'kept-events' };
}

/** For a record without checkpoints: a keep-mode re-run's kept events against the record's, by position. */
function byKeptEvents(saved: RunRecord, run: RunOptions): Divergence | null {
  const again = runScenario({ ...run, trace: 'keep', keepHistory: false });
  const d = firstDifference(saved.trace, again.trace);
  if (d === null) return null;
  return { fromEvent: 0, fromUs: 0, toEvent: Math.max(saved.events, again.events), index: d.index, recorded: d.recorded, replayed: d.replayed, recordedFrom: 'kept-events' };
}

/** The first kept event (by trace position) that differs, or that one side lacks. */
export function firstDifference(a: readonly TraceEvent[], b: readonly TraceEvent[]): { index: number; recorded: SideEvent | null; replayed: SideEvent | null } | null {
  const byIndex = new Map(b.map((e) => [e.index, e]));
  const start = Math.max(a[0]?.index ?? 0, b[0]?.index ?? 0);
  for (const e of a) {
    if (e.index < start) continue;
    const other = byIndex.get(e.index);
    if (other === undefined || keyOf(other) !== keyOf(e)) return { index: e.index, recorded: side(e), replayed: side(other) };
  }
  const extra = b.find((e) => e.index >= start && e.index > (a[a.length - 1]?.index ?? -1));
  return extra === undefined ? null : { index: extra.index, recorded: null, replayed: side(extra) };
}

/**
 * What was edited since the record was made — the seed, settings (as `--set` overrides against
 * the recorded scenario) — and the command that reproduces the run replayed now.
 */
function editsOf(input: ReplayInput, recordedSeed: number, notes: string[]): { settings: string[]; reproduce: string } {
  const saved = input.record;
  const seedEdited = recordedSeed !== input.seed;
  if (!input.recorded.ok) {
    const fallback = seedEdited || input.overrides.length > 0 ? `npx raftsim replay ${input.recordPath}${seedEdited ? ` --seed ${input.seed}` : ''}${input.overrides.map((o) => ` --set ${o}`).join('')}` : saved.reproduce;
    return { settings: [], reproduce: fallback };
  }
  const settings = settingsOverrides(input.recorded.scenario, input.scenario);
  if (!seedEdited && settings.length === 0) return { settings, reproduce: saved.reproduce };
  // `run <scenario> --seed <now>` with overrides that turn what it resolves to into the settings replayed now
  // (a seed-dependent built-in such as swarm resolves to other settings for another seed).
  const base = input.recorded.resolve(input.seed, []);
  const extra = base === null ? [] : settingsOverrides(base, input.scenario);
  const check = base === null ? null : input.recorded.resolve(input.seed, extra);
  if (check !== null && JSON.stringify(check) === JSON.stringify(input.scenario)) return { settings, reproduce: reproduceCommand(saved.scenario, input.seed, [...saved.overrides, ...extra]) };
  notes.push('the edited settings cannot be written as --set overrides of the recorded scenario: the reproduce command replays the record file');
  return { settings, reproduce: `npx raftsim replay ${input.recordPath}` };
}

/** `path=value` for every leaf where `edited` differs from `base` (a list of another length, whole). */
export function settingsOverrides(base: unknown, edited: unknown): string[] {
  const out: string[] = [];
  diff(base, edited, '', out);
  return out;
}

function diff(a: unknown, b: unknown, path: string, out: string[]): void {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  if (isObject(a) && isObject(b) && sameKeys(a, b)) {
    for (const k of Object.keys(b)) diff(a[k], b[k], path === '' ? k : `${path}.${k}`, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < b.length; i++) diff(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  out.push(`${path}=${valueText(b)}`);
}

/** A `--set` value: a string as written when it does not parse as JSON, else JSON. */
function valueText(v: unknown): string {
  if (typeof v !== 'string') return JSON.stringify(v);
  try {
    JSON.parse(v);
    return JSON.stringify(v);
  } catch {
    return v === '' ? '""' : v;
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function sameKeys(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => k in b);
}

/** Virtual time for a person: seconds with millisecond precision. */
export function seconds(us: number): string {
  return `${(us / 1_000_000).toFixed(3)} s`;
}

/** The outcome as lines for a person; the reproduce command last when the runs differ. */
export function formatReplay(o: ReplayOutcome): string[] {
  const lines: string[] = [];
  if (o.recordedSeed !== null) lines.push(`the seed was edited: ${o.recordedSeed} in the recorded run, ${o.seed} now`);
  if (o.editedSettings.length > 0) lines.push(`settings edited since the recorded run: ${o.editedSettings.join(', ')}`);
  if (o.same) {
    lines.push(`replay: same trace hash ${o.replayedHash} (${o.replayedEvents.toLocaleString('en-US')} events, seed ${o.seed})`);
    return [...lines, ...o.notes.map((n) => `note: ${n}`)];
  }
  lines.push(`replay: trace hash ${o.replayedHash} differs from the recorded ${o.recordedHash} (${o.replayedEvents.toLocaleString('en-US')} events now, ${o.recordedEvents.toLocaleString('en-US')} recorded)`);
  for (const n of o.notes) lines.push(`note: ${n}`);
  const d = o.divergence;
  if (d === null) lines.push('the kept trace lines are identical: the difference is in events the record did not keep');
  else {
    if (o.method === 'checkpoints') lines.push(`checkpoints agree up to event #${d.fromEvent.toLocaleString('en-US')} (${seconds(d.fromUs)} virtual) and differ by event #${d.toEvent.toLocaleString('en-US')}`);
    if (d.index === null) lines.push('no event of that stretch could be told apart');
    else {
      const show = (e: SideEvent | null, what: string): string => (e === null ? `(no such event: ${what})` : `${seconds(e.timeUs)}  ${e.line}`);
      lines.push(`first difference at trace event #${d.index.toLocaleString('en-US')}:`);
      lines.push(`  recorded: ${show(d.recorded, d.recordedFrom === 'kept-events' ? 'the run ended, or the record did not keep it' : 'the recorded run ended')}`);
      lines.push(`  replayed: ${show(d.replayed, o.method === 'kept-events' ? 'the run ended, or the replay kept none at that position' : 'the replayed run ended')}`);
    }
  }
  lines.push(`reproduce: ${o.reproduce}`);
  return lines;
}
