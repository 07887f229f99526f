/**
 * Every lesson, played in Node as the page plays it: each step's checkpoint does not hold before
 * its action, and holds within the step's allowance after the action ("do it for me") — on the
 * real kernel, raft, kv and checkers. The lesson's explanations name real values of the run.
 */
import { describe, expect, it } from 'vitest';
import { LESSONS, LessonRun } from './lessons.js';
import { openPlayground } from './source.js';

function play(id: string): LessonRun {
  const lesson = LESSONS.find((l) => l.id === id);
  if (lesson === undefined) throw new Error(id);
  const run = new LessonRun(lesson, (scenario, seed, options) => openPlayground({ kind: 'lesson', id, scenario }, seed, options));
  while (!run.done) {
    const step = run.current;
    if (step === null) break;
    const at = run.step;
    if (step.action(run.context()) !== null || step.restart !== undefined) {
      // The learner looks before acting: a moment of run (a leader to be elected after a restart).
      run.p.runUntil((p) => p.view().members.some((m) => m.role === 'leader') && p.nowUs - run.stepStartUs > 300_000, run.p.nowUs + 3_000_000);
    }
    let done = 'null';
    let actedUs = run.p.nowUs;
    if (step.action(run.context()) !== null) {
      expect(run.verify(), `${id} step ${at}: the checkpoint holds before its action`).toBe(false);
      done = JSON.stringify(step.action(run.context()));
      expect(run.doIt(), `${id} step ${at}: the action can be done`).toBe(true);
    }
    const limit = run.p.nowUs + step.withinUs;
    while (run.step === at && run.p.nowUs < limit && run.p.run.phase === 'safety') {
      run.p.advance(limit, 200);
      if (run.verify()) break;
      // A learner does what the prompt asks next (crash again, after a crash that tore nothing).
      const next = JSON.stringify(step.action(run.context()));
      if (next !== done && next !== 'null' && run.p.nowUs - actedUs > 700_000) {
        done = next;
        actedUs = run.p.nowUs;
        run.doIt();
      }
    }
    expect(run.step, `${id}: step ${at} (${step.prompt(run.context()).slice(0, 60)}…) passed within ${step.withinUs / 1e6} s`).toBe(at + 1);
  }
  return run;
}

describe('lessons', () => {
  it('there are at least six, with distinct ids, each with steps and a closing explanation', () => {
    expect(LESSONS.length).toBeGreaterThanOrEqual(6);
    expect(new Set(LESSONS.map((l) => l.id)).size).toBe(LESSONS.length);
    for (const l of LESSONS) {
      expect(l.steps.length).toBeGreaterThanOrEqual(2);
      expect(l.closing.length).toBeGreaterThan(80);
    }
  });

  it('torn-wal: the crash tears the WAL write (a sector-aligned prefix survives) and the restart repairs it', () => {
    const run = play('torn-wal');
    const torn = run.facts.crashes.filter((c) => c.torn);
    expect(torn.length).toBeGreaterThan(0);
    for (const c of torn) expect((c.offset + c.keptBytes) % 512).toBe(0);
    const rep = run.facts.walRepairs.at(-1);
    expect(rep?.droppedBytes).toBeGreaterThan(0);
    expect(run.passed.join(' ')).toMatch(/only a prefix of it reached the platter/);
  });

  for (const l of LESSONS) {
    it(`${l.id}: every checkpoint passes after its action`, () => {
      const run = play(l.id);
      expect(run.passed.length).toBe(l.steps.length);
      for (const text of run.passed) expect(text).not.toMatch(/undefined|NaN/);
      expect(run.p.run.violation).toBeNull();
    });
  }
});
