/**
 * The virtual clock and the event queue: the only thing in a run that makes time pass.
 *
 * Time is integer microseconds (sim/time). Events are ordered by (time, insertion sequence), so two
 * events due at the same microsecond run in the order they were scheduled — the tie-break that
 * makes a run reproducible. Handlers are plain synchronous functions; a handler may schedule more
 * events (at the current time or later) but may not run the scheduler itself.
 *
 * Handlers take one argument, passed at scheduling time (`schedule(delayUs, fn, arg)`), so that hot
 * paths (a message delivery) can pass a shared, pre-bound function and a data object instead of
 * allocating a closure per event.
 *
 * The queue is a 4-ary heap over parallel flat arrays (time, sequence, handler, argument): no
 * object per event, O(log n) push and pop. Four children per node halve the depth of a binary
 * heap: a pop compares more keys per level but moves half as many slots, and the four siblings
 * sit next to each other in the arrays. `cancel` is lazy: the id is remembered and the event is
 * skipped when it reaches the top — or dropped earlier: once remembered ids make up half the
 * queue, the heap is rebuilt without them (in a run most timeouts are cancelled, and would
 * otherwise outnumber the live events many times over), so memory stays bounded by the queue.
 *
 * Events scheduled for the current time (a zero delay: a node loop's next turn, a deferred
 * callback — about 40 % of a cluster run's events) skip the heap: they go to a FIFO, which keeps
 * the same order for free. Every event already in the heap for the current time was scheduled
 * before the clock reached it, so its sequence is lower than any FIFO event's: the next event is
 * the heap's top while that is due now, then the FIFO's head, then the heap again once the FIFO
 * is empty — exactly the (time, sequence) order. The FIFO is empty whenever the clock moves on.
 *
 * Every run loop counts the events it runs against `eventBudget` and throws
 * `EventBudgetExceeded` (an InvariantViolation) past it: no run can loop forever.
 */
import { InvariantViolation, assert } from './assert.js';
import type { Micros } from './time.js';

/** Identifies a scheduled event for `cancel`. Ids are unique within a scheduler. */
export type EventId = number;

export interface SchedulerOptions {
  /** Events a scheduler may run in its lifetime before it stops the run. Default 2,000,000,000. */
  readonly eventBudget: number;
  /** Largest number of queued events; more is a runaway. Default 10,000,000. */
  readonly queueMax: number;
}

export const SCHEDULER_DEFAULTS: SchedulerOptions = { eventBudget: 2_000_000_000, queueMax: 10_000_000 };

/** The run exceeded its event budget: a livelock, or a budget set too low for the scenario. */
export class EventBudgetExceeded extends InvariantViolation {
  constructor(budget: number, nowUs: Micros) {
    super(`scheduler: event budget of ${budget} events exceeded at t=${nowUs}us (a run that never settles? raise eventBudget if the scenario is just long)`);
  }
}

export interface Scheduler {
  /** The current virtual time. */
  readonly now: Micros;
  /** Events run so far (cancelled events are not counted). */
  readonly eventsRun: number;
  /** Events in the queue, including cancelled ones not yet skipped. */
  readonly queued: number;
  /** Runs `fn()` after `delayUs` (an integer ≥ 0). */
  schedule(delayUs: Micros, fn: () => void): EventId;
  /** Runs `fn(arg)` after `delayUs` (an integer ≥ 0). */
  schedule<A>(delayUs: Micros, fn: (arg: A) => void, arg: A): EventId;
  /** Runs `fn()` at `timeUs` (an integer ≥ now). */
  scheduleAt(timeUs: Micros, fn: () => void): EventId;
  /** Runs `fn(arg)` at `timeUs` (an integer ≥ now). */
  scheduleAt<A>(timeUs: Micros, fn: (arg: A) => void, arg: A): EventId;
  /** Cancels a scheduled event. Cancelling an event that already ran or was cancelled does nothing. */
  cancel(id: EventId): void;
  /** Runs the next event, if any; returns false when the queue is empty. */
  step(): boolean;
  /** Runs every event due at or before `timeUs`, then sets the clock to `timeUs`. */
  runUntil(timeUs: Micros): void;
  /** Runs events while `predicate()` holds (checked before each), but not past `limitUs`. Returns the predicate's last value. */
  runWhile(predicate: () => boolean, limitUs: Micros): boolean;
  /** Runs events until `predicate()` holds (checked before each), but not past `limitUs`. Returns whether it held. */
  runUntilHolds(predicate: () => boolean, limitUs: Micros): boolean;
  /** Runs until the queue is empty, or until `limitUs` (default: no limit). Returns whether it emptied. */
  runUntilQuiescent(limitUs?: Micros): boolean;
  /**
   * Whether any event (live or cancelled) is queued for exactly `timeUs`: an event scheduled now
   * for a free microsecond runs first at that time, as it would had it been scheduled at the start
   * (the runner's live fault injection relies on this). Reads the queue only.
   */
  hasEventAt(timeUs: Micros): boolean;
}

type Handler = (arg: unknown) => void;

/** Cancelled ids below which a purge is not worth its O(queue) pass. */
const PURGE_MIN = 64;
/** Buckets of the filter in front of the cancelled ids (a power of two). */
const FILTER_SIZE = 4096;

class HeapScheduler implements Scheduler {
  private nowUs: Micros = 0;
  private runCount = 0;
  private nextSeq = 0;
  private size = 0;
  private running = false;
  // The heap, as parallel arrays indexed by heap position.
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private readonly fns: Handler[] = [];
  private readonly args: unknown[] = [];
  // The FIFO of events due at `nowUs` (scheduled while the clock stood there): parallel arrays,
  // live from `nowHead` to `nowTail`, rewound to 0 when drained (the arrays are reused).
  private readonly nowSeqs: number[] = [];
  private readonly nowFns: Handler[] = [];
  private readonly nowArgs: unknown[] = [];
  private nowHead = 0;
  private nowTail = 0;
  /** Ids cancelled but possibly still queued (lazy deletion). */
  private cancelled = new Set<EventId>();
  /**
   * How many ids in `cancelled` fall in each bucket (id mod FILTER_SIZE): a pop looks in the Set
   * only when its bucket is not empty. The Set is rarely empty (a cancelled timeout waits there
   * until it would have been due), so without this every pop paid a Set lookup, mostly a miss.
   */
  private readonly cancelledCounts = new Int32Array(FILTER_SIZE);
  private readonly eventBudget: number;
  private readonly queueMax: number;

  constructor(options: SchedulerOptions) {
    this.eventBudget = options.eventBudget;
    this.queueMax = options.queueMax;
  }

  get now(): Micros {
    return this.nowUs;
  }

  get eventsRun(): number {
    return this.runCount;
  }

  get queued(): number {
    return this.size + this.nowTail - this.nowHead;
  }

  schedule(delayUs: Micros, fn: Handler, arg?: unknown): EventId {
    assert(Number.isInteger(delayUs) && delayUs >= 0, () => `scheduler: delay must be an integer ≥ 0 µs, got ${delayUs}`);
    return this.push(this.nowUs + delayUs, fn, arg);
  }

  scheduleAt(timeUs: Micros, fn: Handler, arg?: unknown): EventId {
    assert(Number.isInteger(timeUs) && timeUs >= this.nowUs, () => `scheduler: time must be an integer ≥ now (${this.nowUs}), got ${timeUs}`);
    return this.push(timeUs, fn, arg);
  }

  cancel(id: EventId): void {
    assert(Number.isInteger(id) && id >= 0 && id < this.nextSeq, () => `scheduler: cancel of unknown event id ${id}`);
    if (!this.cancelled.has(id)) {
      this.cancelled.add(id);
      const bucket = id & (FILTER_SIZE - 1);
      this.cancelledCounts[bucket] = (this.cancelledCounts[bucket] as number) + 1;
    }
    // Purge once cancelled ids are half the queue: timeouts are mostly cancelled long before they
    // are due (a client call's deadline, a retry timer), and left in place they would outnumber
    // the live events many times over and deepen every push and pop. Ids of events that already
    // ran also go at a purge, which bounds the set by the queue.
    if (this.cancelled.size >= PURGE_MIN && 2 * this.cancelled.size > this.queued) this.purge();
  }

  step(): boolean {
    this.enter();
    try {
      return this.runNext(Number.MAX_SAFE_INTEGER);
    } finally {
      this.running = false;
    }
  }

  runUntil(timeUs: Micros): void {
    assert(Number.isInteger(timeUs) && timeUs >= this.nowUs, () => `scheduler: runUntil(${timeUs}) is before now (${this.nowUs})`);
    this.enter();
    try {
      while (this.runNext(timeUs));
    } finally {
      this.running = false;
    }
    this.nowUs = timeUs;
  }

  runWhile(predicate: () => boolean, limitUs: Micros): boolean {
    assert(Number.isInteger(limitUs) && limitUs >= this.nowUs, () => `scheduler: limit ${limitUs} is before now (${this.nowUs})`);
    this.enter();
    let holds = predicate();
    try {
      while (holds && this.runNext(limitUs)) holds = predicate();
    } finally {
      this.running = false;
    }
    if (holds) this.nowUs = limitUs;
    return holds;
  }

  runUntilHolds(predicate: () => boolean, limitUs: Micros): boolean {
    return !this.runWhile(() => !predicate(), limitUs);
  }

  runUntilQuiescent(limitUs: Micros = Number.MAX_SAFE_INTEGER): boolean {
    this.enter();
    try {
      while (this.runNext(limitUs));
    } finally {
      this.running = false;
    }
    return this.queued === 0;
  }

  hasEventAt(timeUs: Micros): boolean {
    if (timeUs === this.nowUs && this.nowTail > this.nowHead) return true;
    for (let i = 0; i < this.size; i++) if (this.times[i] === timeUs) return true;
    return false;
  }

  private enter(): void {
    assert(!this.running, 'scheduler: a handler tried to run the scheduler (handlers must only schedule)');
    this.running = true;
  }

  /** Runs the first live event due at or before `limitUs`; false when there is none. */
  private runNext(limitUs: Micros): boolean {
    // Everything queued is due at `nowUs` or later.
    if (this.nowUs > limitUs) return false;
    for (;;) {
      let t: number;
      let seq: number;
      let fn: Handler;
      let arg: unknown;
      if (this.nowHead === this.nowTail || (this.size > 0 && (this.times[0] as number) <= this.nowUs)) {
        // The heap's top: the FIFO is empty and the clock may move on to it, or it is due now
        // (then it was scheduled before anything in the FIFO).
        if (this.size === 0) return false;
        t = this.times[0] as number;
        if (t > limitUs) return false;
        seq = this.seqs[0] as number;
        fn = this.fns[0] as Handler;
        arg = this.args[0];
        this.popRoot();
      } else {
        t = this.nowUs;
        const i = this.nowHead++;
        seq = this.nowSeqs[i] as number;
        fn = this.nowFns[i] as Handler;
        arg = this.nowArgs[i];
        this.nowFns[i] = noop;
        this.nowArgs[i] = undefined;
        if (this.nowHead === this.nowTail) this.nowHead = this.nowTail = 0;
      }
      const bucket = seq & (FILTER_SIZE - 1);
      if (this.cancelledCounts[bucket] !== 0 && this.cancelled.delete(seq)) {
        this.cancelledCounts[bucket] = (this.cancelledCounts[bucket] as number) - 1;
        continue;
      }
      assert(t >= this.nowUs, 'scheduler: time went backwards');
      this.nowUs = t;
      if (++this.runCount > this.eventBudget) throw new EventBudgetExceeded(this.eventBudget, t);
      fn(arg);
      return true;
    }
  }

  private push(timeUs: Micros, fn: Handler, arg: unknown): EventId {
    assert(this.queued < this.queueMax, () => `scheduler: queue holds ${this.queueMax} events (a runaway? raise queueMax)`);
    const seq = this.nextSeq++;
    if (timeUs === this.nowUs) {
      // Due now: after everything queued so far for now (all lower sequences), so FIFO order.
      const j = this.nowTail++;
      this.nowSeqs[j] = seq;
      this.nowFns[j] = fn;
      this.nowArgs[j] = arg;
      return seq;
    }
    // Sift up with a hole: move parents down until the new event's place is found.
    let i = this.size++;
    const times = this.times;
    const seqs = this.seqs;
    while (i > 0) {
      const p = (i - 1) >> 2;
      const pt = times[p] as number;
      if (pt < timeUs || (pt === timeUs && (seqs[p] as number) < seq)) break;
      this.moveTo(i, p);
      i = p;
    }
    this.set(i, timeUs, seq, fn, arg);
    return seq;
  }

  /** Removes the root: the last event fills the hole, sifted down. */
  private popRoot(): void {
    const last = --this.size;
    if (last === 0) {
      this.clearSlot(0);
      return;
    }
    const t = this.times[last] as number;
    const s = this.seqs[last] as number;
    const fn = this.fns[last] as Handler;
    const arg = this.args[last];
    this.clearSlot(last);
    this.siftDown(0, t, s, fn, arg);
  }

  /** Places the event (t, s, fn, arg) in the hole at `i`, moving smaller children up past it. */
  private siftDown(hole: number, t: number, s: number, fn: Handler, arg: unknown): void {
    const times = this.times;
    const seqs = this.seqs;
    const size = this.size;
    let i = hole;
    // Children of i are 4i+1 … 4i+4 (those below `size`); bounded by the heap's depth.
    for (;;) {
      const first = 4 * i + 1;
      if (first >= size) break;
      const end = first + 4 < size ? first + 4 : size;
      let c = first;
      let ct = times[first] as number;
      let cs = seqs[first] as number;
      for (let k = first + 1; k < end; k++) {
        const kt = times[k] as number;
        if (kt < ct || (kt === ct && (seqs[k] as number) < cs)) {
          c = k;
          ct = kt;
          cs = seqs[k] as number;
        }
      }
      if (t < ct || (t === ct && s < cs)) break;
      this.moveTo(i, c);
      i = c;
    }
    this.set(i, t, s, fn, arg);
  }

  private moveTo(to: number, from: number): void {
    this.times[to] = this.times[from] as number;
    this.seqs[to] = this.seqs[from] as number;
    this.fns[to] = this.fns[from] as Handler;
    this.args[to] = this.args[from];
  }

  private set(i: number, t: number, s: number, fn: Handler, arg: unknown): void {
    this.times[i] = t;
    this.seqs[i] = s;
    this.fns[i] = fn;
    this.args[i] = arg;
  }

  /** Drops references so that a finished event's argument can be collected. */
  private clearSlot(i: number): void {
    this.fns[i] = noop;
    this.args[i] = undefined;
  }

  /**
   * Drops the cancelled events and forgets the cancelled ids, in O(n): the live events close
   * ranks in place, then the heap is rebuilt bottom-up (Floyd). Any valid heap pops in the same
   * (time, seq) order, so a purge never changes what runs when; the FIFO keeps its order.
   */
  private purge(): void {
    let n = 0;
    for (let i = 0; i < this.size; i++) {
      if (this.cancelled.has(this.seqs[i] as number)) continue;
      if (n !== i) this.moveTo(n, i);
      n++;
    }
    for (let i = n; i < this.size; i++) this.clearSlot(i);
    this.size = n;
    let m = 0;
    for (let i = this.nowHead; i < this.nowTail; i++) {
      if (this.cancelled.has(this.nowSeqs[i] as number)) continue;
      this.nowSeqs[m] = this.nowSeqs[i] as number;
      this.nowFns[m] = this.nowFns[i] as Handler;
      this.nowArgs[m] = this.nowArgs[i];
      m++;
    }
    for (let i = m; i < this.nowTail; i++) {
      this.nowFns[i] = noop;
      this.nowArgs[i] = undefined;
    }
    this.nowHead = 0;
    this.nowTail = m;
    this.cancelled = new Set();
    this.cancelledCounts.fill(0);
    for (let i = (n - 2) >> 2; i >= 0; i--) {
      this.siftDown(i, this.times[i] as number, this.seqs[i] as number, this.fns[i] as Handler, this.args[i]);
    }
  }
}

function noop(): void {}

/** A scheduler at time 0 with `options` filled in from SCHEDULER_DEFAULTS and validated. */
export function createScheduler(options: Partial<SchedulerOptions> = {}): Scheduler {
  const o: SchedulerOptions = { ...SCHEDULER_DEFAULTS, ...options };
  assert(Number.isInteger(o.eventBudget) && o.eventBudget > 0, () => `scheduler: eventBudget must be a positive integer, got ${o.eventBudget}`);
  assert(Number.isInteger(o.queueMax) && o.queueMax > 0, () => `scheduler: queueMax must be a positive integer, got ${o.queueMax}`);
  return new HeapScheduler(o);
}
