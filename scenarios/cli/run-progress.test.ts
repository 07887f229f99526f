/**
 * `raftsim run`'s progress on a TTY: a run stepped in slices with a line between them gives the
 * same record (trace hash) as the run in one go, and the line shows virtual time, events and ops.
 */
import { describe, expect, it } from 'vitest';
import { runScenario, startRun, type RunOptions } from '../runner.js';
import { scenarioFor } from '../scenario-source.js';
import { finishWithProgress } from './run-progress.js';

describe('run progress', () => {
  it('draws virtual time, events and ops at most every interval of wall time, and the run is the run in one go', () => {
    const resolved = scenarioFor({ kind: 'builtin', name: 'leader-transfer' }, 3, []);
    if (!resolved.ok) throw new Error(resolved.error);
    const o: RunOptions = { name: 'leader-transfer', scenario: resolved.scenario, seed: 3, overrides: [], trace: 'hash-only' };
    // A fake wall clock: every reading is 4 s later, so a line is due every third slice at a 10 s interval.
    let t = 0;
    const lines: string[] = [];
    const record = finishWithProgress(startRun(o), { tty: true, now: () => (t += 4000), write: (s) => lines.push(s), everyMs: 10_000, sliceEvents: 2000 });
    expect(record.traceHash).toBe(runScenario(o).traceHash);
    const drawn = lines.filter((l) => l.includes('run: '));
    expect(drawn.length).toBeGreaterThan(0);
    expect(drawn[0]).toMatch(/^\r\x1b\[Krun: \d+\.\d of \d+\.\d s virtual, [\d,]+ events, [\d,]+ ops, \d+ s wall$/);
    // The events only grow, and the line is cleared at the end.
    const events = drawn.map((l) => Number(/([\d,]+) events/.exec(l)?.[1]?.replace(/,/g, '')));
    expect(events).toEqual([...events].sort((a, b) => a - b));
    expect(lines[lines.length - 1]).toBe('\r\x1b[K');
    // Off a TTY nothing is written.
    const quiet: string[] = [];
    expect(finishWithProgress(startRun(o), { tty: false, write: (s) => quiet.push(s) }).traceHash).toBe(record.traceHash);
    expect(quiet).toEqual([]);
  });
});
