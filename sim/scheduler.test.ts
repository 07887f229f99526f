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

  it('any mix of schedule, cancel and run (purges included) runs exactly the live events in (time, insertion) order', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('schedule' as const), delay: fc.nat(300) }),
      fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('run' as const), forUs: fc.nat(200) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 300, maxLength: 1500, size: 'max' }), (ops) => {
        const s = createScheduler();
        const ran: number[] = [];
        const pending = new Map<number, { at: number; seq: number }>();
        const ids: number[] = [];
        let seq = 0;
        const expectRun = (upTo: number): number[] =>
          [...pending.entries()].filter(([, e]) => e.at <= upTo).sort((a, b) => a[1].at - b[1].at || a[1].seq - b[1].seq).map(([k]) => k);
        for (const o of ops) {
          if (o.kind === 'schedule') {
            const k = seq++;
            ids.push(s.schedule(o.delay, () => ran.push(k)));
            pending.set(k, { at: s.now + o.delay, seq: k });
          } else if (o.kind === 'cancel' && ids.length > 0) {
            const k = o.pick % ids.length;
            s.cancel(ids[k] as number);
            pending.delete(k);
          } else if (o.kind === 'run') {
            const want = expectRun(s.now + o.forUs);
            ran.length = 0;
            s.runUntil(s.now + o.forUs);
            expect(ran).toEqual(want);
            for (const k of want) pending.delete(k);
          }
        }
        const rest = expectRun(Number.MAX_SAFE_INTEGER);
        ran.length = 0;
        s.runUntilQuiescent();
        expect(ran).toEqual(rest);
        expect(s.queued).toBe(0);
      }),
      { numRuns: 60 },
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
