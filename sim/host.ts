/**
 * Hosts: the simulated machines, their lifecycle and their clocks.
 *
 * A host is registered once (`add`) and then lives through incarnations. `start(id, factory)` runs
 * the factory to build the host's program (a raft node, a kv server, a client) for incarnation 1;
 * `crash` ends the incarnation — every armed timer is cancelled, every delivery waiting for it is
 * dropped, the program object is forgotten (its volatile state is gone); `restart` runs the factory
 * again for the next incarnation, on the same disk (sim/disk keeps files per host id, and drops
 * what was not fsynced when it hears of the crash). `pause`/`resume` are SIGSTOP/SIGCONT: while
 * paused nothing of the host runs; timers that come due and messages that arrive wait, and run in
 * order at resume. The host's clock keeps running while paused — the classic stale-lease bug.
 *
 * Work runs on a host only through its gate (`gate(id, incarnation, fn, arg)`): it runs now if that
 * incarnation is up, waits if it is paused, and is lost if that incarnation has crashed. The
 * network and channels deliver through it; host timers fire through it. Waiting work keeps its
 * order: after a resume, work arriving before the waiting queue has drained goes behind it.
 *
 * Clocks: each host reads local time = virtual time × rate + offset (rounded down to a µs). `rate`
 * is drift (0.8: the clock runs slow), `offsetUs` is skew, `jumpClock` steps it (an NTP step).
 * `setTimer(localDelayUs, …)` takes a *local* delay and converts it to virtual time with the rate in
 * force when it is armed (ceil(local / rate)), so a slow clock makes a node tick slower in virtual
 * time. A later rate change or jump affects readings and later timers, not armed ones — as a
 * monotonic timer armed before an NTP step keeps its deadline.
 *
 * Lifecycle listeners (`onLifecycle`) are how the disk and the channels learn of crashes.
 */
import { assert } from './assert.js';
import type { Random } from './random.js';
import type { EventId, Scheduler } from './scheduler.js';
import type { Micros } from './time.js';
import type { Fields, HostId, Trace } from './trace.js';

export type { HostId } from './trace.js';

/** `down`: never started, or crashed. `up`: running. `paused`: stopped, its work waits. */
export type HostState = 'down' | 'up' | 'paused';

export interface ClockSettings {
  /** Local µs per virtual µs: 1 is exact, 0.8 runs slow, 1.25 runs fast. */
  readonly rate: number;
  /** Added to local time: skew. */
  readonly offsetUs: Micros;
}

export interface HostOptions {
  /** Default `{ rate: 1, offsetUs: 0 }`. */
  readonly clock: ClockSettings;
  /** Most work items (deliveries) that may wait while the host is paused. Default 100,000. */
  readonly heldMax: number;
}

export const HOST_DEFAULTS: HostOptions = { clock: { rate: 1, offsetUs: 0 }, heldMax: 100_000 };

/** Identifies a host timer for `clearTimer`. */
export type TimerId = number;

/** What a program sees of its host, for one incarnation. Handed to the factory. */
export interface HostContext {
  readonly id: HostId;
  /** 1 for the first start, +1 at each restart. */
  readonly incarnation: number;
  /** A stream for this incarnation (`host/<id>/<incarnation>`): fork named streams from it. */
  readonly random: Random;
  /** False once this incarnation has crashed. */
  readonly alive: boolean;
  /** The host's local clock reading: what the program believes the time is. */
  localNow(): Micros;
  /**
   * True virtual time, for observers only (history records, trace fields). A protocol decision
   * must read `localNow()`, or the clock-skew experiments lie.
   */
  simNow(): Micros;
  /** Runs `fn(arg)` after `localDelayUs` of this host's local time (an integer ≥ 0). */
  setTimer(localDelayUs: Micros, fn: () => void): TimerId;
  setTimer<A>(localDelayUs: Micros, fn: (arg: A) => void, arg: A): TimerId;
  /** Cancels a timer; true if it had not fired yet. */
  clearTimer(id: TimerId): boolean;
  /** A trace event at the current virtual time on this host. */
  emit(kind: string, fields?: Fields): void;
}

export type Factory<P> = (ctx: HostContext) => P;

export type LifecycleKind = 'start' | 'crash' | 'restart' | 'pause' | 'resume';
export interface LifecycleEvent {
  readonly host: HostId;
  readonly kind: LifecycleKind;
  /** The incarnation that started, crashed, paused or resumed. */
  readonly incarnation: number;
}
export type LifecycleListener = (e: LifecycleEvent) => void;

/** What the gate did with a piece of work. */
export type GateResult = 'ran' | 'held' | 'lost' | 'held-full';

export interface HostRegistry<P> {
  /** Registers a host, down. Ids are integers in [0, 65535]. */
  add(id: HostId, options?: Partial<HostOptions>): void;
  /** Registered ids, ascending. */
  ids(): readonly HostId[];
  /** Starts a registered host for the first time (incarnation 1) and returns its program. */
  start(id: HostId, factory: Factory<P>): P;
  /** Ends the current incarnation. */
  crash(id: HostId): void;
  /** Starts the next incarnation with `factory` (default: the last one used). */
  restart(id: HostId, factory?: Factory<P>): P;
  pause(id: HostId): void;
  resume(id: HostId): void;
  state(id: HostId): HostState;
  /** Up or paused: the process exists. */
  isUp(id: HostId): boolean;
  incarnation(id: HostId): number;
  /** The current incarnation's program, if the host is up or paused. */
  program(id: HostId): P | undefined;
  /** The current incarnation's context (the host must be up or paused). */
  context(id: HostId): HostContext;
  localNow(id: HostId): Micros;
  clock(id: HostId): ClockSettings;
  /** Changes rate and/or offset from now on (local time is continuous only if you keep it so). */
  setClock(id: HostId, clock: Partial<ClockSettings>): void;
  /** Steps the local clock by `deltaUs` (negative steps back). */
  jumpClock(id: HostId, deltaUs: Micros): void;
  /** Runs `fn(arg)` on host `id` as incarnation `incarnation`: now, later (paused), or never (crashed). */
  gate<A>(id: HostId, incarnation: number, fn: (arg: A) => void, arg: A): GateResult;
  onLifecycle(listener: LifecycleListener): void;
}

export interface Kernel {
  readonly scheduler: Scheduler;
  readonly trace: Trace;
  readonly random: Random;
}

interface Held {
  readonly fn: (arg: unknown) => void;
  readonly arg: unknown;
  /** The timer that fired while paused, or -1 for a delivery. */
  readonly timerId: TimerId;
  /** Set by clearTimer on a timer that fired while paused and has not run yet. */
  cancelled: boolean;
}

/**
 * An armed timer. Each slot of the table keeps its timer object for good and re-fills it at every
 * arming (a cluster run arms thousands per virtual second, and most live past a young-generation
 * collection, so fresh objects were promoted and collected at a cost). Reuse is safe: a freed
 * timer's scheduled event has run or is cancelled, and a cancelled event never reaches fireTimer.
 */
interface ArmedTimer {
  rec: HostRecord;
  incarnation: number;
  fn: (arg: unknown) => void;
  arg: unknown;
  /** What the program holds: the slot in the low bits, the slot's generation above them; -1 while the slot is free. */
  timerId: TimerId;
  event: EventId;
  // The host's armed timers in arming order (a crash cancels them in that order).
  prev: ArmedTimer | null;
  next: ArmedTimer | null;
}

// Timer ids. A cluster run arms a timer per loop turn and per disk wait (~3,500 per virtual
// second) and clears few, so a Map from id to timer (set at arm, delete at fire) cost more than
// the rest of arming. Instead an armed timer sits in a slot of a table, reused once it is free,
// and its id is the slot plus the slot's generation (bumped at each reuse): an id from a timer
// that fired or was cleared never finds a later timer in the same slot.
const SLOT_BITS = 22;
const SLOT_COUNT = 2 ** SLOT_BITS;
/** Generations a slot may go through before its ids would pass 2^53. */
const GENERATION_MAX = 2 ** (53 - SLOT_BITS);

class HostRecord {
  state: HostState = 'down';
  incarnation = 0;
  program: unknown = undefined;
  factory: Factory<unknown> | undefined = undefined;
  context: HostContext | undefined = undefined;
  rate: number;
  offsetUs: number;
  /** Armed timers of the current incarnation, in arming order (a list through the timers). */
  armedFirst: ArmedTimer | null = null;
  armedLast: ArmedTimer | null = null;
  armedCount = 0;
  held: Held[] = [];
  /** Held work being run by a drain after resume (clearTimer must still find it). */
  draining: Held[] = [];
  readonly heldMax: number;

  constructor(
    readonly id: HostId,
    options: HostOptions,
  ) {
    this.rate = options.clock.rate;
    this.offsetUs = options.clock.offsetUs;
    this.heldMax = options.heldMax;
  }
}

const MAX_HOST_ID = 65535;

/** The handler of a free timer slot (drops the program's function, so it can be collected). */
function noop(): void {}

class Registry<P> implements HostRegistry<P> {
  private readonly hosts: (HostRecord | undefined)[] = [];
  private sortedIds: HostId[] = [];
  private readonly listeners: LifecycleListener[] = [];
  private readonly fireTimer = (t: ArmedTimer): void => this.onTimer(t);
  private readonly drainHeld = (d: { rec: HostRecord; incarnation: number }): void => this.drain(d.rec, d.incarnation);
  /** Armed timers by slot (see ArmedTimer), with the free slots and each slot's generation. */
  private readonly slots: ArmedTimer[] = [];
  private readonly slotGenerations: number[] = [];
  private readonly freeSlots: number[] = [];

  constructor(private readonly kernel: Kernel) {}

  add(id: HostId, options: Partial<HostOptions> = {}): void {
    assert(Number.isInteger(id) && id >= 0 && id <= MAX_HOST_ID, () => `hosts: id must be an integer in [0, ${MAX_HOST_ID}], got ${id}`);
    assert(this.hosts[id] === undefined, () => `hosts: host ${id} registered twice`);
    const o: HostOptions = { ...HOST_DEFAULTS, ...options, clock: { ...HOST_DEFAULTS.clock, ...options.clock } };
    validateClock(o.clock, id);
    assert(Number.isInteger(o.heldMax) && o.heldMax > 0, () => `hosts: heldMax must be a positive integer, got ${o.heldMax}`);
    this.hosts[id] = new HostRecord(id, o);
    this.sortedIds = [...this.sortedIds, id].sort((a, b) => a - b);
  }

  ids(): readonly HostId[] {
    return this.sortedIds;
  }

  start(id: HostId, factory: Factory<P>): P {
    const h = this.get(id);
    assert(h.incarnation === 0, () => `hosts: start of host ${id}, which already started (use restart)`);
    return this.boot(h, factory, 'start');
  }

  restart(id: HostId, factory?: Factory<P>): P {
    const h = this.get(id);
    assert(h.incarnation > 0 && h.state === 'down', () => `hosts: restart of host ${id} in state ${h.state} (crash it first)`);
    const f = factory ?? (h.factory as Factory<P> | undefined);
    assert(f !== undefined, 'hosts: restart without a factory');
    return this.boot(h, f, 'restart');
  }

  crash(id: HostId): void {
    const h = this.get(id);
    assert(h.state !== 'down', () => `hosts: crash of host ${id}, which is down`);
    const timers = h.armedCount;
    for (let t = h.armedFirst; t !== null; ) {
      const next = t.next; // freeSlot clears the link
      this.kernel.scheduler.cancel(t.event);
      this.freeSlot(t);
      t = next;
    }
    h.armedFirst = h.armedLast = null;
    h.armedCount = 0;
    const lost = h.held.length;
    h.held = [];
    h.draining = [];
    h.state = 'down';
    h.program = undefined;
    h.context = undefined;
    this.kernel.trace.emit(this.kernel.scheduler.now, id, 'host.crash', { incarnation: h.incarnation, timers, held: lost });
    this.notify(id, 'crash', h.incarnation);
  }

  pause(id: HostId): void {
    const h = this.get(id);
    assert(h.state === 'up', () => `hosts: pause of host ${id} in state ${h.state}`);
    h.state = 'paused';
    this.kernel.trace.emit(this.kernel.scheduler.now, id, 'host.pause', { incarnation: h.incarnation });
    this.notify(id, 'pause', h.incarnation);
  }

  resume(id: HostId): void {
    const h = this.get(id);
    assert(h.state === 'paused', () => `hosts: resume of host ${id} in state ${h.state}`);
    h.state = 'up';
    this.kernel.trace.emit(this.kernel.scheduler.now, id, 'host.resume', { incarnation: h.incarnation, held: h.held.length });
    // Waiting work runs in arrival order, in one event after what is already due now.
    if (h.held.length > 0) this.kernel.scheduler.schedule(0, this.drainHeld, { rec: h, incarnation: h.incarnation });
    this.notify(id, 'resume', h.incarnation);
  }

  state(id: HostId): HostState {
    return this.get(id).state;
  }

  isUp(id: HostId): boolean {
    return this.get(id).state !== 'down';
  }

  incarnation(id: HostId): number {
    return this.get(id).incarnation;
  }

  program(id: HostId): P | undefined {
    return this.get(id).program as P | undefined;
  }

  context(id: HostId): HostContext {
    const ctx = this.get(id).context;
    assert(ctx !== undefined, () => `hosts: host ${id} is down: it has no context`);
    return ctx;
  }

  localNow(id: HostId): Micros {
    const h = this.get(id);
    return localTime(h, this.kernel.scheduler.now);
  }

  clock(id: HostId): ClockSettings {
    const h = this.get(id);
    return { rate: h.rate, offsetUs: h.offsetUs };
  }

  setClock(id: HostId, clock: Partial<ClockSettings>): void {
    const h = this.get(id);
    const next = { rate: clock.rate ?? h.rate, offsetUs: clock.offsetUs ?? h.offsetUs };
    validateClock(next, id);
    h.rate = next.rate;
    h.offsetUs = next.offsetUs;
    this.kernel.trace.emit(this.kernel.scheduler.now, id, 'host.clock', { rate: h.rate, offsetUs: h.offsetUs });
  }

  jumpClock(id: HostId, deltaUs: Micros): void {
    assert(Number.isInteger(deltaUs), () => `hosts: clock jump must be whole µs, got ${deltaUs}`);
    const h = this.get(id);
    this.setClock(id, { offsetUs: h.offsetUs + deltaUs });
  }

  gate<A>(id: HostId, incarnation: number, fn: (arg: A) => void, arg: A): GateResult {
    const h = this.hosts[id];
    assert(h !== undefined, () => `hosts: unknown host ${id}`);
    if (h.incarnation !== incarnation) return 'lost';
    // Up, and nothing from a pause still waiting: run now. Otherwise queue behind what waits.
    if (h.state === 'up' && h.held.length === 0) {
      fn(arg);
      return 'ran';
    }
    if (h.state === 'down') return 'lost';
    if (h.held.length >= h.heldMax) return 'held-full';
    h.held.push({ fn: fn as (arg: unknown) => void, arg, timerId: -1, cancelled: false });
    return 'held';
  }

  onLifecycle(listener: LifecycleListener): void {
    this.listeners.push(listener);
  }

  private get(id: HostId): HostRecord {
    const h = this.hosts[id];
    assert(h !== undefined, () => `hosts: unknown host ${id}`);
    return h;
  }

  private boot(h: HostRecord, factory: Factory<P>, kind: 'start' | 'restart'): P {
    h.incarnation++;
    h.state = 'up';
    h.factory = factory as Factory<unknown>;
    const ctx = this.makeContext(h, h.incarnation);
    h.context = ctx;
    this.kernel.trace.emit(this.kernel.scheduler.now, h.id, `host.${kind}`, { incarnation: h.incarnation });
    // Listeners first (the disk is ready, channels know the peer is back), then the program runs.
    this.notify(h.id, kind, h.incarnation);
    const program = factory(ctx);
    // The factory may not crash its own host, but if it did, keep the program forgotten.
    if (ctx.alive) h.program = program;
    return program;
  }

  private notify(host: HostId, kind: LifecycleKind, incarnation: number): void {
    for (const l of this.listeners) l({ host, kind, incarnation });
  }

  private makeContext(h: HostRecord, incarnation: number): HostContext {
    const registry = this;
    const kernel = this.kernel;
    const random = kernel.random.fork(`host/${h.id}/${incarnation}`);
    return {
      id: h.id,
      incarnation,
      random,
      get alive() {
        return h.incarnation === incarnation && h.state !== 'down';
      },
      localNow: () => localTime(h, kernel.scheduler.now),
      simNow: () => kernel.scheduler.now,
      setTimer: (localDelayUs: Micros, fn: (arg: unknown) => void, arg?: unknown): TimerId => registry.arm(h, incarnation, localDelayUs, fn, arg),
      clearTimer: (id: TimerId) => registry.disarm(h, incarnation, id),
      emit: (kind: string, fields?: Fields) => kernel.trace.emit(kernel.scheduler.now, h.id, kind, fields),
    };
  }

  private arm(h: HostRecord, incarnation: number, localDelayUs: Micros, fn: (arg: unknown) => void, arg: unknown): TimerId {
    assert(h.incarnation === incarnation && h.state !== 'down', () => `hosts: host ${h.id} incarnation ${incarnation} set a timer after it crashed`);
    assert(Number.isInteger(localDelayUs) && localDelayUs >= 0, () => `hosts: timer delay must be an integer ≥ 0 µs, got ${localDelayUs}`);
    const virtualDelayUs = h.rate === 1 ? localDelayUs : Math.ceil(localDelayUs / h.rate);
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      slot = this.slots.length;
      assert(slot < SLOT_COUNT, () => `hosts: more than ${SLOT_COUNT} timers armed at once`);
      this.slotGenerations.push(0);
      this.slots.push({ rec: h, incarnation: 0, fn: noop, arg: undefined, timerId: -1, event: -1, prev: null, next: null });
    }
    const generation = (this.slotGenerations[slot] as number) + 1;
    assert(generation < GENERATION_MAX, 'hosts: timer ids exhausted');
    this.slotGenerations[slot] = generation;
    const t = this.slots[slot] as ArmedTimer;
    t.rec = h;
    t.incarnation = incarnation;
    t.fn = fn;
    t.arg = arg;
    t.timerId = generation * SLOT_COUNT + slot;
    t.prev = h.armedLast;
    t.next = null;
    t.event = this.kernel.scheduler.schedule(virtualDelayUs, this.fireTimer, t);
    if (h.armedLast === null) h.armedFirst = t;
    else h.armedLast.next = t;
    h.armedLast = t;
    h.armedCount++;
    return t.timerId;
  }

  /** The armed timer `id` names on `h`, if it has not fired or been cleared. */
  private armedTimer(h: HostRecord, id: TimerId): ArmedTimer | undefined {
    const t = Number.isInteger(id) && id >= 0 ? this.slots[id % SLOT_COUNT] : undefined;
    return t !== undefined && t.timerId === id && t.rec === h ? t : undefined;
  }

  /** Takes a timer out of its host's armed list and frees its slot. */
  private unarm(t: ArmedTimer): void {
    const h = t.rec;
    if (t.prev === null) h.armedFirst = t.next;
    else t.prev.next = t.next;
    if (t.next === null) h.armedLast = t.prev;
    else t.next.prev = t.prev;
    h.armedCount--;
    this.freeSlot(t);
  }

  /** Frees the timer's slot (the timer object stays in it, emptied, for the next arming). */
  private freeSlot(t: ArmedTimer): void {
    const slot = t.timerId % SLOT_COUNT;
    t.timerId = -1;
    t.fn = noop;
    t.arg = undefined;
    t.prev = t.next = null;
    this.freeSlots.push(slot);
  }

  private disarm(h: HostRecord, incarnation: number, id: TimerId): boolean {
    if (h.incarnation !== incarnation || h.state === 'down') return false;
    const t = this.armedTimer(h, id);
    if (t !== undefined) {
      this.unarm(t);
      this.kernel.scheduler.cancel(t.event);
      return true;
    }
    // It may have fired while the host was paused and be waiting for resume.
    const w = h.held.find((x) => x.timerId === id && !x.cancelled) ?? h.draining.find((x) => x.timerId === id && !x.cancelled);
    if (w === undefined) return false;
    w.cancelled = true;
    return true;
  }

  private onTimer(t: ArmedTimer): void {
    // Read before unarm, which empties the timer for reuse.
    const h = t.rec;
    const { incarnation, fn, arg, timerId } = t;
    this.unarm(t);
    assert(h.incarnation === incarnation && h.state !== 'down', 'hosts: a timer of a crashed incarnation fired');
    if (h.state === 'up' && h.held.length === 0) {
      fn(arg);
      return;
    }
    // Paused, or resumed with work still waiting: queue behind it. Timers are bounded by what
    // the program armed, so they wait whatever heldMax says.
    h.held.push({ fn, arg, timerId, cancelled: false });
  }

  /** Runs the work that waited while the host was paused, in arrival order. */
  private drain(h: HostRecord, incarnation: number): void {
    if (h.incarnation !== incarnation || h.state !== 'up' || h.held.length === 0) return;
    h.draining = h.held;
    h.held = [];
    const items = h.draining;
    for (let i = 0; i < items.length; i++) {
      // The host may have been crashed by something its own work did.
      if (h.incarnation !== incarnation || h.state !== 'up') break;
      const w = items[i] as Held;
      if (!w.cancelled) w.fn(w.arg);
    }
    if (h.draining === items) h.draining = [];
  }
}

function localTime(h: HostRecord, nowUs: Micros): Micros {
  return h.rate === 1 ? nowUs + h.offsetUs : Math.floor(nowUs * h.rate) + h.offsetUs;
}

function validateClock(c: ClockSettings, id: HostId): void {
  assert(Number.isFinite(c.rate) && c.rate > 0, () => `hosts: host ${id} clock rate must be > 0, got ${c.rate}`);
  assert(Number.isInteger(c.offsetUs), () => `hosts: host ${id} clock offset must be whole µs, got ${c.offsetUs}`);
}

/** A registry of hosts on `kernel` (scheduler, trace, root random). */
export function createHosts<P = unknown>(kernel: Kernel): HostRegistry<P> {
  return new Registry<P>(kernel);
}
