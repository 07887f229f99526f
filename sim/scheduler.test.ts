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

  it('events handlers schedule for now (the FIFO) interleave with the heap exactly in (time, insertion) order, with cancels, purges and stops mid-batch', () => {
    // A reference with no FIFO: every live event in one list, the least (time, seq) runs next.
    class Reference {
      now = 0;
      private seq = 0;
      private readonly live = new Map<number, { at: number; seq: number; fn: () => void }>();
      schedule(delay: number, fn: () => void): number {
        const id = this.seq++;
        this.live.set(id, { at: this.now + delay, seq: id, fn });
        return id;
      }
      cancel(id: number): void {
        this.live.delete(id);
      }
      get queued(): number {
        return this.live.size;
      }
      runWhile(pred: () => boolean, limit: number): void {
        while (pred()) {
          let next: { at: number; seq: number; fn: () => void } | undefined;
          for (const e of this.live.values()) if (next === undefined || e.at < next.at || (e.at === next.at && e.seq < next.seq)) next = e;
          if (next === undefined || next.at > limit) {
            this.now = limit;
            return;
          }
          this.live.delete(next.seq);
          this.now = next.at;
          next.fn();
        }
      }
    }
    const step = fc.record({ delays: fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.nat(20)), { maxLength: 3 }), cancel: fc.option(fc.nat(), { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(step, { minLength: 50, maxLength: 400 }), fc.array(fc.tuple(fc.nat(30), fc.nat(40)), { minLength: 1, maxLength: 20 }), (plan, stops) => {
        const run = (sched: { now: number; schedule(d: number, fn: () => void): number; cancel(id: number): void }, log: number[], runWhile: (p: () => boolean, l: number) => void): void => {
          let next = 0;
          const ids: number[] = [];
          const make = (k: number) => (): void => {
            log.push(k * 1_000_000 + sched.now);
            const p = plan[next++ % plan.length] as (typeof plan)[number];
            if (next > 3 * plan.length) return;
            for (const d of p.delays) {
              const child = ids.length;
              ids.push(sched.schedule(d, make(child)));
            }
            if (p.cancel !== undefined && ids.length > 0) sched.cancel(ids[p.cancel % ids.length] as number);
          };
          for (let i = 0; i < 5; i++) ids.push(sched.schedule(i % 2, make(ids.length)));
          for (const [events, forUs] of stops) {
            let n = 0;
            runWhile(() => n++ < events, sched.now + forUs);
          }
          runWhile(() => true, Number.MAX_SAFE_INTEGER);
        };
        const s = createScheduler();
        const got: number[] = [];
        // A cancel of an event that already ran is legal for the scheduler and a no-op for both.
        run(s, got, (p, l) => void s.runWhile(p, l));
        const r = new Reference();
        const want: number[] = [];
        run(r, want, (p, l) => r.runWhile(p, l));
        expect(got).toEqual(want);
        expect(s.queued).toBe(0);
        expect(s.now).toBe(r.now);
      }),
      { numRuns: 150 },
    );
  });

  it('counts FIFO events in queued, and runs none past a limit below now', () => {
    const s = createScheduler();
    s.runUntil(100);
    const ran: string[] = [];
    const a = s.schedule(0, () => ran.push('a'));
    s.schedule(0, () => ran.push('b'));
    s.schedule(5, () => ran.push('c'));
    expect(s.queued).toBe(3);
    expect(s.runUntilQuiescent(50)).toBe(false);
    expect(ran).toEqual([]);
    s.cancel(a);
    expect(s.runUntilQuiescent()).toBe(true);
    expect(ran).toEqual(['b', 'c']);
    expect(s.eventsRun).toBe(2);
    expect(s.queued).toBe(0);
  });

  it('a purge drops cancelled FIFO events and keeps the rest in order', () => {
    const s = createScheduler();
    const ran: number[] = [];
    const ids: number[] = [];
    s.schedule(0, () => {
      // 200 events for now, then cancel two in three: a purge (cancelled ids past half the
      // queue) runs mid-batch.
      for (let i = 0; i < 200; i++) ids.push(s.schedule(0, () => ran.push(i)));
      for (let i = 0; i < 200; i++) if (i % 3 !== 0) s.cancel(ids[i] as number);
      expect(s.queued).toBeLessThan(200);
    });
    s.runUntilQuiescent();
    expect(ran).toEqual(Array.from({ length: 67 }, (_, k) => 3 * k));
  });

  it('cancelled ids that share a filter bucket (ids 4096 apart) cancel exactly their own events', () => {
    const s = createScheduler();
    const ran: number[] = [];
    const ids: number[] = [];
    // Few enough cancels that no purge runs: the filter alone decides which pops look in the Set.
    for (let i = 0; i < 3 * 4096; i++) ids.push(s.schedule(1 + (i % 7), () => ran.push(i)));
    const cancelled = [5, 5 + 4096, 5 + 2 * 4096, 77, 77 + 4096];
    for (const i of cancelled) s.cancel(ids[i] as number);
    s.cancel(ids[5] as number); // twice: still one id in its bucket
    s.runUntilQuiescent();
    expect(ran.length).toBe(3 * 4096 - cancelled.length);
    expect(ran.filter((i) => cancelled.includes(i))).toEqual([]);
    expect(ran).toContain(77 + 2 * 4096); // same bucket as cancelled ones, not cancelled
    expect(s.eventsRun).toBe(3 * 4096 - cancelled.length);
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
