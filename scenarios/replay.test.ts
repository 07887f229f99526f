/**
 * Replay finds the real first divergence: for an edited setting or seed, the event it names is the
 * first one where a full trace of both runs differs (found here by brute force), whatever stretch
 * of the checkpoint chain it falls in; a record without checkpoints still replays, by its kept
 * events, and says so.
 */
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../sim/trace.js';
import { formatReplay, replayRecord, settingsOverrides, type RecordedScenario, type ReplayInput } from './replay.js';
import { runScenario, shellQuote, traceWindow, type RunOptions } from './runner.js';
import type { RunRecord } from '../record/run-record.js';
import { scenarioFor } from './scenario-source.js';
import type { Scenario } from './schema.js';

const NAME = 'leader-isolation-stale-read';

function resolve(seed: number, overrides: readonly string[] = []): Scenario {
  const r = scenarioFor({ kind: 'builtin', name: NAME }, seed, overrides);
  if (!r.ok) throw new Error(r.error);
  return r.scenario;
}

const options = (scenario: Scenario, seed: number): RunOptions => ({ name: NAME, scenario, seed, overrides: [], trace: 'keep', keepHistory: false });
const recorded: RecordedScenario = { ok: true, scenario: resolve(1), resolve: (seed, extra) => resolve(seed, extra) };
const saved: RunRecord = runScenario(options(resolve(1), 1));

function replay(overrides: readonly string[], seed = 1, record: RunRecord = saved, from: RecordedScenario = recorded): ReturnType<typeof replayRecord> {
  const input: ReplayInput = { record, recordPath: 'out/run.json', scenario: resolve(1, overrides), seed, overrides: [], recorded: from };
  return replayRecord(input);
}

/** The first position where the full traces of two runs differ, by brute force. */
function bruteFirstDifference(a: RunOptions, b: RunOptions): number {
  const x = traceWindow(a, 0, Infinity).events;
  const y = traceWindow(b, 0, Infinity).events;
  const key = (e: TraceEvent | undefined): string => JSON.stringify(e === undefined ? null : [e.timeUs, e.host, e.kind, e.fields]);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (key(x[i]) !== key(y[i])) return i;
  return -1;
}

describe('replay', () => {
  it('traceWindow runs what runScenario runs: same events, hash and checkpoints', () => {
    const w = traceWindow({ ...options(resolve(1), 1), checkpointsMax: 0 }, 0, Infinity);
    expect(w.count).toBe(saved.events);
    expect(w.hash).toBe(saved.traceHash);
    expect(w.checkpoints).toEqual(saved.checkpoints?.points);
    expect(w.events.map((e) => e.index)).toEqual(Array.from({ length: saved.events }, (_, i) => i));
    const part = traceWindow(options(resolve(1), 1), 2500, 3000);
    expect(part.events).toEqual(w.events.slice(2500, 3000));
    expect(part.hash).toBe(saved.checkpoints?.points.find((p) => p.events === 3000)?.hash);
  });

  it('the record carries a checkpoint every 1,000 events with the seed it was made with', () => {
    expect(saved.checkpoints?.everyEvents).toBe(1000);
    expect(saved.checkpoints?.seed).toBe(1);
    expect(saved.checkpoints?.points.map((p) => p.events)).toEqual(Array.from({ length: Math.floor(saved.events / 1000) }, (_, i) => (i + 1) * 1000));
  });

  it('the same settings and seed: same hash, nothing to show', () => {
    const o = replay([]);
    expect(o.same).toBe(true);
    expect(o.divergence).toBeNull();
    expect(o.reproduce).toBe(saved.reproduce);
    expect(formatReplay(o)).toEqual([`replay: same trace hash ${saved.traceHash} (${saved.events.toLocaleString('en-US')} events, seed 1)`]);
  });

  it.each([
    ['an edit that changes the run within milliseconds', ['workload.ratePerS=120']],
    ['an edit that changes it seconds in (the isolation begins later)', ['faults[0].at=3000']],
  ])('%s: names the first event that differs, found by both re-runs', (_what, overrides) => {
    const o = replay(overrides);
    expect(o.same).toBe(false);
    expect(o.editedSettings).toEqual(overrides);
    expect(o.reproduce).toBe(`npx raftsim run ${NAME} --seed 1 ${overrides.map((x) => `--set ${shellQuote(x)}`).join(' ')}`);
    const d = o.divergence;
    expect(d?.recordedFrom).toBe('re-run');
    const truth = bruteFirstDifference(options(resolve(1), 1), options(resolve(1, overrides), 1));
    expect(d?.index).toBe(truth);
    expect(d?.fromEvent).toBeLessThanOrEqual(truth);
    expect(d?.toEvent).toBeGreaterThan(truth);
    expect(d?.recorded?.line).not.toBe(d?.replayed?.line);
    const lines = formatReplay(o);
    expect(lines.at(-1)).toBe(`reproduce: ${o.reproduce}`);
    expect(lines).toContain(`first difference at trace event #${truth.toLocaleString('en-US')}:`);
    expect(lines.find((l) => l.startsWith('  recorded: '))).toMatch(/^ {2}recorded: \d+\.\d{3} s {2}t=\d{9} /);
  });

  it('an edit late in the run starts the stretch at a later checkpoint', () => {
    const o = replay(['faults[0].at=3000']);
    expect(o.divergence?.fromEvent).toBeGreaterThan(0);
    expect(o.divergence?.fromUs).toBeGreaterThan(1_000_000);
  });

  it('an edited seed changes the reproduce command and is named', () => {
    const o = replay([], 2);
    expect(o.recordedSeed).toBe(1);
    expect(o.reproduce).toBe(`npx raftsim run ${NAME} --seed 2`);
    expect(o.divergence?.index).toBe(bruteFirstDifference(options(resolve(1), 1), options(resolve(1), 2)));
    expect(formatReplay(o)[0]).toBe('the seed was edited: 1 in the recorded run, 2 now');
  });

  it('a record without checkpoints still replays, by its kept events, and says so', () => {
    const { checkpoints: _dropped, ...old } = saved;
    const same = replay([], 1, old);
    expect(same.same).toBe(true);
    const o = replay(['workload.ratePerS=120'], 1, old);
    expect(o.method).toBe('kept-events');
    expect(o.notes.join(' ')).toMatch(/no checkpoints/);
    expect(o.divergence?.recordedFrom).toBe('kept-events');
  });

  it('when the recorded run cannot be rebuilt, the recorded side comes from the kept events, with a note', () => {
    const o = replay(['workload.ratePerS=120'], 1, saved, { ok: false, why: 'no such file' });
    expect(o.divergence?.recordedFrom).toBe('kept-events');
    expect(o.notes.join(' ')).toMatch(/cannot be re-run \(no such file\)/);
    expect(o.reproduce).toBe(saved.reproduce);
    // The kept events are a subset of kinds: the event shown is a kept kind, at or after the real first difference.
    const truth = bruteFirstDifference(options(resolve(1), 1), options(resolve(1, ['workload.ratePerS=120']), 1));
    expect(o.divergence?.index).toBeGreaterThanOrEqual(truth);
  });

  it('when the recorded hash cannot be reached (another build), it says so instead of trusting the re-run', () => {
    const other = { ...saved, traceHash: '0123456789abcdef', checkpoints: { ...(saved.checkpoints as NonNullable<RunRecord['checkpoints']>), points: (saved.checkpoints?.points ?? []).map((p, i) => (i >= 4 ? { ...p, hash: '0123456789abcdef' } : p)) } };
    const o = replay([], 1, other);
    expect(o.same).toBe(false);
    expect(o.divergence?.fromEvent).toBe(4000);
    expect(o.divergence?.recordedFrom).toBe('kept-events');
    expect(o.notes.join(' ')).toMatch(/the code changed since the record was written/);
  });

  it('settingsOverrides writes the edits as --set overrides: leaves, lists of another length whole, strings bare', () => {
    const a = { cluster: { size: 3, preVote: true }, readMode: 'readindex', faults: [{ at: 1 }], name: 'x' };
    expect(settingsOverrides(a, a)).toEqual([]);
    expect(settingsOverrides(a, { ...a, cluster: { size: 5, preVote: false }, readMode: 'lease' })).toEqual(['cluster.size=5', 'cluster.preVote=false', 'readMode=lease']);
    expect(settingsOverrides(a, { ...a, faults: [{ at: 2 }] })).toEqual(['faults[0].at=2']);
    expect(settingsOverrides(a, { ...a, faults: [] })).toEqual(['faults=[]']);
    expect(settingsOverrides(a, { ...a, name: 'true' })).toEqual(['name="true"']);
  });
});
