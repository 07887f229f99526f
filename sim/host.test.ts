import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvariantViolation } from './assert.js';
import { createHosts, type HostContext, type LifecycleEvent } from './host.js';
import { createRandom } from './random.js';
import { createKernel } from './kernel.js';

function kernel(seed = 1) {
  return createKernel({ seed });
}

/** A program that ticks every `periodUs` of local time and logs (virtual time, local time). */
function ticker(log: [number, number, number][], periodUs = 1000) {
  return (ctx: HostContext) => {
    const tick = (): void => {
      log.push([ctx.incarnation, ctx.simNow(), ctx.localNow()]);
      ctx.setTimer(periodUs, tick);
    };
    ctx.setTimer(periodUs, tick);
    return { ctx };
  };
}

describe('hosts', () => {
  it('crash drops every timer of the incarnation; restart runs the factory again as the next incarnation', () => {
    const k = kernel();
    const hosts = createHosts<{ ctx: HostContext }>(k);
    hosts.add(1);
    const log: [number, number, number][] = [];
    const first = hosts.start(1, ticker(log));
    k.scheduler.runUntil(3_500);
    hosts.crash(1);
    expect(first.ctx.alive).toBe(false);
    expect(hosts.state(1)).toBe('down');
    expect(hosts.program(1)).toBeUndefined();
    k.scheduler.runUntil(10_000);
    expect(log.map((l) => l[1])).toEqual([1000, 2000, 3000]);
    // A dead incarnation's timers are cancelled, not left to fire as no-ops.
    expect(k.scheduler.queued).toBe(0);
    const second = hosts.restart(1);
    expect(second.ctx.incarnation).toBe(2);
    k.scheduler.runUntil(12_000);
    expect(log.slice(3)).toEqual([
      [2, 11_000, 11_000],
      [2, 12_000, 12_000],
    ]);
    expect(() => first.ctx.setTimer(1, () => {})).toThrow(/after it crashed/);
    expect(k.trace.events().map((e) => e.kind)).toEqual(['host.start', 'host.crash', 'host.restart']);
  });

  it('timer ids: any mix of arming, clearing, firing and crashing fires exactly the live timers, and a spent id never clears a later timer', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('arm' as const), host: fc.integer({ min: 1, max: 2 }), delay: fc.nat(50) }),
      fc.record({ kind: fc.constant('clear' as const), host: fc.integer({ min: 1, max: 2 }), pick: fc.nat() }),
      fc.record({ kind: fc.constant('run' as const), forUs: fc.nat(30) }),
      fc.record({ kind: fc.constant('crash' as const), host: fc.integer({ min: 1, max: 2 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 400 }), (ops) => {
        const k = kernel();
        const hosts = createHosts<{ ctx: HostContext }>(k);
        const fired: number[] = [];
        // The model: which timers (by arming order) are still armed.
        const live = new Map<number, { host: number; at: number }>();
        const timers: { host: number; id: number; ctx: HostContext }[] = [];
        for (const id of [1, 2]) {
          hosts.add(id);
          hosts.start(id, (ctx) => ({ ctx }));
        }
        for (const o of ops) {
          if (o.kind === 'arm') {
            const ctx = hosts.context(o.host);
            const n = timers.length;
            timers.push({ host: o.host, id: ctx.setTimer(o.delay, () => fired.push(n)), ctx });
            live.set(n, { host: o.host, at: k.scheduler.now + o.delay });
          } else if (o.kind === 'clear' && timers.length > 0) {
            // Any id, on either host's current context: true only for a live timer of that host.
            const n = o.pick % timers.length;
            const t = timers[n] as (typeof timers)[number];
            const ctx = hosts.context(o.host);
            const expected = live.has(n) && t.host === o.host && t.ctx === ctx;
            expect(ctx.clearTimer(t.id)).toBe(expected);
            if (expected) live.delete(n);
          } else if (o.kind === 'run') {
            const until = k.scheduler.now + o.forUs;
            const due = [...live].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at || a[0] - b[0]);
            fired.length = 0;
            k.scheduler.runUntil(until);
            expect(fired).toEqual(due.map(([n]) => n));
            for (const [n] of due) live.delete(n);
          } else if (o.kind === 'crash') {
            const armed = [...live].filter(([, t]) => t.host === o.host).length;
            hosts.crash(o.host);
            expect(k.trace.events().at(-1)?.fields).toMatchObject({ timers: armed });
            for (const [n, t] of live) if (t.host === o.host) live.delete(n);
            hosts.restart(o.host);
          }
        }
        fired.length = 0;
        k.scheduler.runUntilQuiescent();
        expect(fired).toEqual([...live].sort((a, b) => a[1].at - b[1].at || a[0] - b[0]).map(([n]) => n));
        // Ids are unique, though slots are reused.
        expect(new Set(timers.map((t) => t.id)).size).toBe(timers.length);
      }),
      { numRuns: 100 },
    );
  });

  it("a timer slot reused while its timer fires, or while the fired work is held, keeps each timer's function and argument", () => {
    const k = kernel();
    const hosts = createHosts<{ ctx: HostContext }>(k);
    hosts.add(1);
    const { ctx } = hosts.start(1, (c) => ({ ctx: c }));
    const seen: string[] = [];
    const ids: number[] = [];
    // Each firing re-arms from inside its handler: the new timer takes the slot just freed.
    const chain = (n: unknown): void => {
      seen.push(`chain ${String(n)}`);
      if ((n as number) < 3) ids.push(ctx.setTimer(10, chain, (n as number) + 1));
    };
    ids.push(ctx.setTimer(10, chain, 1));
    k.scheduler.runUntil(100);
    expect(seen).toEqual(['chain 1', 'chain 2', 'chain 3']);
    expect(new Set(ids).size).toBe(3);
    // Spent ids clear nothing, even though their slot's object now serves a later timer.
    const later = ctx.setTimer(50, (a) => seen.push(`later ${String(a)}`), 'x');
    for (const id of ids) expect(ctx.clearTimer(id)).toBe(false);
    // Fired while paused: the held work keeps its own function and argument after the slot is reused.
    hosts.pause(1);
    k.scheduler.runUntil(200);
    ctx.setTimer(5, (a) => seen.push(`reuse ${String(a)}`), 'y');
    hosts.resume(1);
    k.scheduler.runUntil(300);
    expect(seen.slice(3)).toEqual(['later x', 'reuse y']);
    expect(ctx.clearTimer(later)).toBe(false);
  });

  it('pause holds timers and deliveries; resume runs them in arrival order, and the clock kept running', () => {
    const k = kernel();
    const hosts = createHosts(k);
    hosts.add(1);
    const log: string[] = [];
    const ctx = hosts.start(1, (c) => c) as HostContext;
    ctx.setTimer(100, () => log.push(`timer@${k.scheduler.now}`));
    const cleared = ctx.setTimer(300, () => log.push('cleared timer ran'));
    k.scheduler.runUntil(50);
    hosts.pause(1);
    k.scheduler.schedule(200, () => expect(hosts.gate(1, 1, (m: string) => log.push(`${m}@${k.scheduler.now}`), 'msg')).toBe('held'));
    k.scheduler.runUntil(400);
    // The 300 µs timer fired while paused: clearing it still works.
    expect(ctx.clearTimer(cleared)).toBe(true);
    expect(log).toEqual([]);
    hosts.resume(1);
    k.scheduler.runUntil(400);
    expect(log).toEqual(['timer@400', 'msg@400']);
    expect(ctx.localNow()).toBe(400);
  });

  it('work arriving at the instant of resume goes behind the work that waited', () => {
    const k = kernel();
    const hosts = createHosts(k);
    hosts.add(1);
    const ctx = hosts.start(1, (c) => c) as HostContext;
    const log: string[] = [];
    const run = (m: string): void => void log.push(m);
    hosts.pause(1);
    hosts.gate(1, 1, run, 'a (waited)');
    // The resume at 100 is queued first; a delivery and a timer due at 100 come after it, but
    // before the resume's drain of the waiting work.
    k.scheduler.scheduleAt(100, () => hosts.resume(1));
    k.scheduler.scheduleAt(100, () => hosts.gate(1, 1, run, 'b (arrived at resume)'));
    ctx.setTimer(100, () => run('c (timer due at resume)'));
    k.scheduler.runUntil(100);
    expect(log).toEqual(['a (waited)', 'b (arrived at resume)', 'c (timer due at resume)']);
  });

  it('the gate runs work now when up, holds it when paused, loses it after a crash', () => {
    const k = kernel();
    const hosts = createHosts(k);
    hosts.add(2, { heldMax: 1 });
    hosts.start(2, () => null);
    const ran: number[] = [];
    const push = (n: number): void => void ran.push(n);
    expect(hosts.gate(2, 1, push, 1)).toBe('ran');
    hosts.pause(2);
    expect(hosts.gate(2, 1, push, 2)).toBe('held');
    expect(hosts.gate(2, 1, push, 3)).toBe('held-full');
    hosts.crash(2);
    expect(hosts.gate(2, 1, push, 4)).toBe('lost');
    hosts.restart(2);
    // Work addressed to the crashed incarnation is lost even though the host is up again.
    expect(hosts.gate(2, 1, push, 5)).toBe('lost');
    expect(hosts.gate(2, 2, push, 6)).toBe('ran');
    k.scheduler.runUntilQuiescent();
    expect(ran).toEqual([1, 6]);
  });

  it('a slow clock ticks slower in virtual time; skew and jumps move readings', () => {
    const k = kernel();
    const hosts = createHosts(k);
    hosts.add(1, { clock: { rate: 0.8, offsetUs: 0 } });
    hosts.add(2, { clock: { rate: 1, offsetUs: 5_000 } });
    const slow: [number, number, number][] = [];
    const skewed: [number, number, number][] = [];
    hosts.start(1, ticker(slow, 800));
    hosts.start(2, ticker(skewed, 1000));
    k.scheduler.runUntil(3_000);
    // 800 µs of a clock running at 0.8 take 1000 µs of virtual time.
    expect(slow).toEqual([
      [1, 1000, 800],
      [1, 2000, 1600],
      [1, 3000, 2400],
    ]);
    expect(skewed.map((s) => s[2])).toEqual([6000, 7000, 8000]);
    hosts.jumpClock(2, -2_000);
    expect(hosts.localNow(2)).toBe(6_000);
    hosts.setClock(1, { rate: 2 });
    expect(hosts.localNow(1)).toBe(6_000);
    expect(() => hosts.setClock(1, { rate: 0 })).toThrow(InvariantViolation);
  });

  it('tells lifecycle listeners, in order, before the restarted program runs', () => {
    const k = kernel();
    const hosts = createHosts(k);
    const seen: string[] = [];
    hosts.onLifecycle((e: LifecycleEvent) => seen.push(`${e.kind}:${e.host}:${e.incarnation}`));
    hosts.add(4);
    hosts.start(4, () => seen.push('program'));
    hosts.pause(4);
    hosts.resume(4);
    hosts.crash(4);
    hosts.restart(4);
    expect(seen).toEqual(['start:4:1', 'program', 'pause:4:1', 'resume:4:1', 'crash:4:1', 'restart:4:2', 'program']);
  });

  it('each incarnation gets its own random stream', () => {
    const k = kernel(9);
    const hosts = createHosts<number>(k);
    hosts.add(1);
    const a = hosts.start(1, (c) => c.random.float());
    hosts.crash(1);
    const b = hosts.restart(1, (c) => c.random.float());
    expect(a).not.toBe(b);
    expect(createRandom(9).fork('host/1/1').float()).toBe(a);
  });

  it('refuses impossible transitions', () => {
    const k = kernel();
    const hosts = createHosts(k);
    hosts.add(1);
    expect(() => hosts.add(1)).toThrow(/registered twice/);
    expect(() => hosts.add(70_000)).toThrow(/id must be/);
    expect(() => hosts.crash(1)).toThrow(/down/);
    expect(() => hosts.restart(1)).toThrow(InvariantViolation);
    hosts.start(1, () => 0);
    expect(() => hosts.start(1, () => 0)).toThrow(/already started/);
    expect(() => hosts.resume(1)).toThrow(/resume/);
    expect(() => hosts.context(9)).toThrow(/unknown host/);
  });
});
