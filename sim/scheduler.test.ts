import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvariantViolation } from './assert.js';
import { EventBudgetExceeded, createScheduler } from './scheduler.js';

describe('scheduler', () => {
  it('runs events in (time, insertion order), whatever order they were scheduled in', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { maxLength: 300 }), (delays) => {
        const s = createScheduler();
        const ran: number[] = [];
        delays.forEach((d, i) => s.schedule(d, (k: number) => ran.push(k), i));
        s.runUntilQuiescent();
        const expected = delays.map((d, i) => ({ d, i })).sort((a, b) => a.d - b.d || a.i - b.i).map((x) => x.i);
        expect(ran).toEqual(expected);
        expect(s.eventsRun).toBe(delays.length);
        expect(s.queued).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it('a cancelled event never runs; cancelling one that ran is a no-op; the queue stays ordered through purges', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(500), fc.boolean()), { minLength: 1, maxLength: 3000 }), (plan) => {
        const s = createScheduler();
        const ran: number[] = [];
        const ids = plan.map(([d], i) => s.schedule(d, () => ran.push(i)));
        // Run half of the time span, then cancel the chosen events (some already ran).
        s.runUntil(250);
        plan.forEach(([, cancel], i) => cancel && s.cancel(ids[i] as number));
        s.runUntilQuiescent();
        const expected = plan
          .map(([d, cancel], i) => ({ d, i, runs: d <= 250 || !cancel }))
          .filter((x) => x.runs)
          .sort((a, b) => a.d - b.d || a.i - b.i)
          .map((x) => x.i);
        expect(ran).toEqual(expected);
      }),
      { numRuns: 50 },
    );
  });

  it('events scheduled by a handler at the current time run after those already due', () => {
    const s = createScheduler();
    const log: string[] = [];
    s.schedule(10, () => {
      log.push('a');
      s.schedule(0, () => log.push('c'));
    });
    s.schedule(10, () => log.push('b'));
    s.runUntilQuiescent();
    expect(log).toEqual(['a', 'b', 'c']);
    expect(s.now).toBe(10);
  });

  it('runUntil runs what is due and moves the clock to the given time', () => {
    const s = createScheduler();
    const log: number[] = [];
    for (const t of [5, 10, 15]) s.scheduleAt(t, () => log.push(s.now));
    s.runUntil(10);
    expect(log).toEqual([5, 10]);
    expect(s.now).toBe(10);
    s.runUntil(12);
    expect(s.now).toBe(12);
    expect(s.queued).toBe(1);
  });

  it('runUntilHolds and runWhile stop at the predicate or the limit', () => {
    const s = createScheduler();
    let count = 0;
    const tick = (): void => {
      count++;
      s.schedule(100, tick);
    };
    s.schedule(100, tick);
    expect(s.runUntilHolds(() => count >= 5, 10_000)).toBe(true);
    expect(count).toBe(5);
    expect(s.now).toBe(500);
    expect(s.runUntilHolds(() => count >= 1000, 2_000)).toBe(false);
    expect(s.now).toBe(2_000);
    expect(s.runWhile(() => count < 25, 100_000)).toBe(false);
    expect(count).toBe(25);
    // A periodic timer never quiesces: the limit bounds it.
    expect(s.runUntilQuiescent(3_000)).toBe(false);
  });

  it('stops a run that exceeds its event budget with a clear invariant violation', () => {
    const s = createScheduler({ eventBudget: 1000 });
    const loop = (): void => void s.schedule(0, loop);
    s.schedule(0, loop);
    expect(() => s.runUntilQuiescent()).toThrow(EventBudgetExceeded);
    expect(s.eventsRun).toBe(1001);
    const s2 = createScheduler({ eventBudget: 10 });
    const loop2 = (): void => void s2.schedule(5, loop2);
    s2.schedule(0, loop2);
    expect(() => s2.runUntil(1_000_000)).toThrow(/event budget of 10 events exceeded at t=50us/);
    expect(new EventBudgetExceeded(1, 0)).toBeInstanceOf(InvariantViolation);
  });

  it('rejects bad delays, times in the past, re-entrant runs and bad options', () => {
    const s = createScheduler();
    expect(() => s.schedule(-1, () => {})).toThrow(InvariantViolation);
    expect(() => s.schedule(1.5, () => {})).toThrow(InvariantViolation);
    s.runUntil(100);
    expect(() => s.scheduleAt(99, () => {})).toThrow(/time must be an integer ≥ now/);
    s.schedule(0, () => s.runUntil(200));
    expect(() => s.runUntilQuiescent()).toThrow(/handlers must only schedule/);
    expect(() => s.cancel(12345)).toThrow(/unknown event id/);
    expect(() => createScheduler({ eventBudget: 0 })).toThrow(/eventBudget/);
  });

  it('passes the argument given at scheduling time', () => {
    const s = createScheduler();
    const got: { n: number }[] = [];
    const fn = (x: { n: number }): void => void got.push(x);
    s.schedule(1, fn, { n: 1 });
    s.scheduleAt(2, fn, { n: 2 });
    s.runUntilQuiescent();
    expect(got).toEqual([{ n: 1 }, { n: 2 }]);
  });
});
