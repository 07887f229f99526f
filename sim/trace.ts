/**
 * The trace: every observable step of a run, as one stream of events feeding a rolling 64-bit
 * hash — the run's fingerprint. Same seed + same scenario ⇒ same hash, in any process.
 *
 * An event is (time µs, host id or none, kind, fields). The kernel emits its own kinds (`net.*`,
 * `chan.*`, `disk.*`, `host.*`); the layers above emit theirs (`raft.role`, `kv.apply`,
 * `client.call`, `nemesis.*`, …). Fields are a flat record of number | string | boolean whose
 * *insertion order is part of the event* (keep it fixed per kind; integer-like keys such as `"1"`
 * would be reordered by JavaScript, so do not use them).
 *
 * Hashing is computed from the values, never from a rendered string, so that emitting stays cheap
 * on the hot path (one event per delivered message). The state is two 32-bit lanes; each word
 * (time low and high, host, kind, each field value) takes one multiply-rotate step per lane
 * (FxHash-style, different constants per lane), and murmur3's avalanche finalises on read. A
 * value's type is folded in with a salt that differs per lane, so 1, '1' and true never collide
 * by construction. A string is first digested to 64 bits (32 per lane) — once: repeated strings
 * (kinds, reasons, roles) come from a bounded cache, and a digest depends only on the string, so
 * the cache never changes a hash. Field *names* are not hashed: for a given kind they are fixed
 * by the code, and the code is the same on both sides of a comparison. All arithmetic is 32-bit
 * integer (Math.imul) and floats are read little-endian, so a hash is the same on any machine.
 *
 * Modes (`TraceOptions.mode`):
 * - `hash-only`: nothing is kept; the fastest, for fuzzing.
 * - `keep`: events are kept as structured objects for reports; `keepLast` bounds them to a ring of
 *   the most recent n, and `keepKinds` filters by kind prefix. Neither changes the hash: every
 *   event is hashed, whatever is kept.
 * Taps (`tap(fn)`) see every event as it is emitted (invariant checkers, live counters).
 *
 * Checkpoints (`checkpointEvery`): every n events the trace notes (events so far, the last one's
 * time, the hash so far) — a chain of digests a replay compares to find the first stretch of n
 * events where two runs part, without keeping the events. `checkpointsMax` bounds the chain: when
 * it is full, every other point is dropped and n doubles (the points left are at multiples of the
 * new n), so a run of any length keeps a bounded chain. Reading the hash never changes it.
 *
 * `renderEvent` gives the one-line form: `t=000001204 n3 raft.role term=7 role=leader`
 * (time in µs, zero-padded to 9 digits so columns align up to 1000 s; `--` when no host).
 */
import { assert } from './assert.js';
import type { Micros } from './time.js';

export type HostId = number;
export type FieldValue = number | string | boolean;
export type Fields = Readonly<Record<string, FieldValue>>;

export interface TraceEvent {
  /** Position in the trace (0-based, counts every emitted event, kept or not). */
  readonly index: number;
  readonly timeUs: Micros;
  /** The host it happened on, or null for the network, the nemesis, the runner. */
  readonly host: HostId | null;
  readonly kind: string;
  readonly fields: Fields;
}

export type TraceMode = 'hash-only' | 'keep';

export interface TraceOptions {
  /** Default `keep`. */
  readonly mode: TraceMode;
  /** In `keep` mode, keep only the most recent n events (a ring). Default: unbounded (0). */
  readonly keepLast: number;
  /** In `keep` mode, keep only events whose kind starts with one of these. Default: all. */
  readonly keepKinds: readonly string[] | null;
  /** Note a checkpoint every n events (0: none). Default 0. */
  readonly checkpointEvery: number;
  /** Most checkpoints kept; when full, every other is dropped and the interval doubles (0: unbounded). Default 0. */
  readonly checkpointsMax: number;
}

export const TRACE_DEFAULTS: TraceOptions = { mode: 'keep', keepLast: 0, keepKinds: null, checkpointEvery: 0, checkpointsMax: 0 };

/** The trace after its first `events` events: the last one's virtual time and the hash so far. */
export interface TraceCheckpoint {
  readonly events: number;
  readonly timeUs: Micros;
  readonly hash: string;
}

export type TraceTap = (event: TraceEvent) => void;

export interface Trace {
  readonly mode: TraceMode;
  /** Records one event. `fields` is not copied: do not mutate it afterwards. */
  emit(timeUs: Micros, host: HostId | null, kind: string, fields?: Fields): void;
  /**
   * Records the event `emit(timeUs, host, kind, {names[0]: v0, names[1]: v1, …})` would (same
   * hash, same kept event), with the values passed by position (up to 4): a hot emitter (one event
   * per delivered message) then builds the fields object only when an event is kept or tapped,
   * never in `hash-only` mode. `names` is a constant of the caller, in the fields' order.
   */
  emitValues(timeUs: Micros, host: HostId | null, kind: string, names: readonly string[], v0: FieldValue, v1?: FieldValue, v2?: FieldValue, v3?: FieldValue): void;
  /** The rolling hash so far, as 16 lowercase hex digits. */
  hash(): string;
  /** Events emitted so far (kept or not). */
  readonly count: number;
  /** Kept events, oldest first (empty in `hash-only` mode). */
  events(): readonly TraceEvent[];
  /** Events emitted but not kept (ring overflow or kind filter). */
  readonly discarded: number;
  /** Calls `fn` on every event from now on; returns a function that removes it. */
  tap(fn: TraceTap): () => void;
  /** The checkpoints so far, oldest first (empty without `checkpointEvery`). */
  checkpoints(): readonly TraceCheckpoint[];
  /** The interval between checkpoints now (it doubles when the chain is thinned); 0 without them. */
  readonly checkpointEvery: number;
}

const EMPTY: Fields = Object.freeze({});

// Per-type salts, one per lane. For two types X, Y: saltA(X)^saltB(X) ≠ saltA(Y)^saltB(Y), so a
// word of one type can never step both lanes exactly as a word of another type does.
const INT_A = 0x1b873593;
const INT_B = 0x1b873593 ^ 0x11;
const BIG_A = 0x68e31da4;
const BIG_B = 0x68e31da4 ^ 0x22;
const FLOAT_A = 0x3c6ef372;
const FLOAT_B = 0x3c6ef372 ^ 0x33;
const STR_A = 0x7f4a7c15;
const STR_B = 0x7f4a7c15 ^ 0x44;
const TRUE_AB = 0x55;
const FALSE_AB = 0x66;
const TIME_A = 0x2545f491;
const TIME_B = 0x2545f491 ^ 0x77;
const TWO_32 = 4294967296;

/** One step of lane A: rotate, xor the word in, multiply (FxHash's step, golden-ratio constant). */
function stepA(h: number, w: number): number {
  return Math.imul(((h << 5) | (h >>> 27)) ^ w, 0x9e3779b9);
}

/** One step of lane B: a different rotation and an odd multiplier (murmur3's c1). */
function stepB(h: number, w: number): number {
  return Math.imul(((h << 11) | (h >>> 21)) ^ w, 0xcc9e2d51);
}

// Explicitly little-endian, so a float hashes the same on any machine.
const floatView = new DataView(new ArrayBuffer(8));
const STRING_CACHE_MAX = 4096;
const STRING_CACHE_LENGTH_MAX = 64;

class TraceImpl implements Trace {
  readonly mode: TraceMode;
  count = 0;
  discarded = 0;
  private h1 = 0x9747b28c;
  private h2 = 0x2545f491;
  private readonly kept: TraceEvent[] = [];
  /** Ring start when `keepLast` > 0 and the ring is full. */
  private ringStart = 0;
  private readonly keepLast: number;
  private readonly keepKinds: readonly string[] | null;
  private taps: TraceTap[] = [];
  checkpointEvery: number;
  private readonly checkpointsMax: number;
  /** The count at which the next checkpoint is noted (Infinity without checkpoints). */
  private nextCheckpoint: number;
  private readonly points: TraceCheckpoint[] = [];
  /**
   * Strings repeat (kinds, reasons, roles), so each is digested once to 64 bits and the digest is
   * stepped in. A string's digest depends only on the string, so caching never changes the hash.
   */
  private readonly digestSlots = new Map<string, number>();
  /** Digests by slot; slot 0 is scratch for strings not cached. */
  private readonly digestA: number[] = [0];
  private readonly digestB: number[] = [0];

  constructor(options: TraceOptions) {
    this.mode = options.mode;
    this.keepLast = options.keepLast;
    this.keepKinds = options.keepKinds;
    this.checkpointEvery = options.checkpointEvery;
    this.checkpointsMax = options.checkpointsMax;
    this.nextCheckpoint = options.checkpointEvery > 0 ? options.checkpointEvery : Infinity;
  }

  emit(timeUs: Micros, host: HostId | null, kind: string, fields: Fields = EMPTY): void {
    this.stepHead(timeUs, host, kind);
    for (const name in fields) this.stepValue(fields[name] as FieldValue);
    const index = this.count++;
    if (this.count === this.nextCheckpoint) this.checkpoint(timeUs);
    if (this.mode === 'hash-only' && this.taps.length === 0) return;
    this.record({ index, timeUs, host, kind, fields });
  }

  emitValues(timeUs: Micros, host: HostId | null, kind: string, names: readonly string[], v0: FieldValue, v1?: FieldValue, v2?: FieldValue, v3?: FieldValue): void {
    const n = names.length;
    assert(n >= 1 && n <= 4, 'trace: emitValues takes 1 to 4 fields');
    // The values in the order emit() would meet them in the fields object.
    this.stepHead(timeUs, host, kind);
    this.stepValue(v0);
    if (n > 1) this.stepValue(v1 as FieldValue);
    if (n > 2) this.stepValue(v2 as FieldValue);
    if (n > 3) this.stepValue(v3 as FieldValue);
    const index = this.count++;
    if (this.count === this.nextCheckpoint) this.checkpoint(timeUs);
    if (this.mode === 'hash-only' && this.taps.length === 0) return;
    const fields: Record<string, FieldValue> = {};
    const values = [v0, v1, v2, v3];
    for (let i = 0; i < n; i++) fields[names[i] as string] = values[i] as FieldValue;
    this.record({ index, timeUs, host, kind, fields });
  }

  /** Notes the hash after `count` events; thins the chain when it is full. */
  private checkpoint(timeUs: Micros): void {
    this.points.push({ events: this.count, timeUs, hash: this.hash() });
    this.nextCheckpoint += this.checkpointEvery;
    if (this.checkpointsMax === 0 || this.points.length < this.checkpointsMax) return;
    // Keep the points at multiples of twice the interval: the 2nd, 4th, … (events 2n, 4n, …).
    let kept = 0;
    for (let i = 1; i < this.points.length; i += 2) this.points[kept++] = this.points[i] as TraceCheckpoint;
    this.points.length = kept;
    this.checkpointEvery *= 2;
    this.nextCheckpoint = (Math.floor(this.count / this.checkpointEvery) + 1) * this.checkpointEvery;
  }

  checkpoints(): readonly TraceCheckpoint[] {
    return this.points;
  }

  /** Steps the event's time, host and kind into both lanes. */
  private stepHead(timeUs: Micros, host: HostId | null, kind: string): void {
    let a = this.h1;
    let b = this.h2;
    const lo = timeUs >>> 0;
    const hi = (timeUs / TWO_32) | 0;
    a = stepA(stepA(a, lo ^ TIME_A), hi);
    b = stepB(stepB(b, lo ^ TIME_B), hi);
    const h = host === null ? -1 : host;
    a = stepA(a, h);
    b = stepB(b, h);
    const slot = this.digest(kind);
    this.h1 = stepA(a, (this.digestA[slot] as number) ^ STR_A);
    this.h2 = stepB(b, (this.digestB[slot] as number) ^ STR_B);
  }

  /** Steps one field value into both lanes, salted by its type. */
  private stepValue(v: FieldValue): void {
    if (typeof v === 'number') {
      if ((v | 0) === v) {
        this.h1 = stepA(this.h1, v ^ INT_A);
        this.h2 = stepB(this.h2, v ^ INT_B);
      } else {
        // Two little-endian words and the type's salts (no array per value: ids are big numbers).
        const big = Number.isSafeInteger(v);
        if (!big) floatView.setFloat64(0, v, true);
        const w0 = big ? v >>> 0 : floatView.getUint32(0, true);
        const w1 = big ? Math.floor(v / TWO_32) | 0 : floatView.getUint32(4, true);
        this.h1 = stepA(stepA(this.h1, w0 ^ (big ? BIG_A : FLOAT_A)), w1);
        this.h2 = stepB(stepB(this.h2, w0 ^ (big ? BIG_B : FLOAT_B)), w1);
      }
    } else if (typeof v === 'string') {
      const slot = this.digest(v);
      this.h1 = stepA(this.h1, (this.digestA[slot] as number) ^ STR_A);
      this.h2 = stepB(this.h2, (this.digestB[slot] as number) ^ STR_B);
    } else {
      this.h1 = stepA(this.h1, v ? TRUE_AB : FALSE_AB);
      this.h2 = stepB(this.h2, v ? TRUE_AB ^ 1 : FALSE_AB ^ 2);
    }
  }

  /** Keeps and taps an event already hashed and counted (not in `hash-only` mode without taps). */
  private record(event: TraceEvent): void {
    if (this.mode === 'keep') this.keep(event);
    for (const t of this.taps) t(event);
  }

  hash(): string {
    return hex32(fmix(this.h2 ^ this.count)) + hex32(fmix(this.h1 ^ Math.imul(this.count, 0x9e3779b1)));
  }

  events(): readonly TraceEvent[] {
    if (this.ringStart === 0) return this.kept;
    return [...this.kept.slice(this.ringStart), ...this.kept.slice(0, this.ringStart)];
  }

  tap(fn: TraceTap): () => void {
    this.taps = [...this.taps, fn];
    return () => {
      this.taps = this.taps.filter((t) => t !== fn);
    };
  }

  private keep(event: TraceEvent): void {
    if (this.keepKinds !== null && !this.keepKinds.some((p) => event.kind.startsWith(p))) {
      this.discarded++;
      return;
    }
    if (this.keepLast === 0 || this.kept.length < this.keepLast) {
      this.kept.push(event);
      return;
    }
    // The ring is full: overwrite the oldest.
    this.kept[this.ringStart] = event;
    this.ringStart = (this.ringStart + 1) % this.keepLast;
    this.discarded++;
  }

  /**
   * The slot of `s`'s digest: cached, or slot 0 (scratch) for long or one-off strings. A string
   * that ends in a digit is taken for a one-off (a message id, a numbered path) and digested
   * without a cache lookup: such strings would only fill the cache.
   */
  private digest(s: string): number {
    const last = s.charCodeAt(s.length - 1);
    const oneOff = last >= 0x30 && last <= 0x39;
    if (!oneOff) {
      const cached = this.digestSlots.get(s);
      if (cached !== undefined) return cached;
    }
    digestString(s, this.digestA, this.digestB);
    if (oneOff || s.length > STRING_CACHE_LENGTH_MAX || this.digestA.length >= STRING_CACHE_MAX) return 0;
    const slot = this.digestA.length;
    this.digestA.push(this.digestA[0] as number);
    this.digestB.push(this.digestB[0] as number);
    this.digestSlots.set(s, slot);
    return slot;
  }
}

/**
 * A 64-bit digest of `s`, written to slot 0 of `outA` and `outB` (no array per string): two
 * FNV-style lanes over its UTF-16 units, seeded by its length, avalanched.
 */
function digestString(s: string, outA: number[], outB: number[]): void {
  let a = 0x811c9dc5 ^ s.length;
  let b = 0x2545f491 ^ Math.imul(s.length, 0x9e3779b1);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b + c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  outA[0] = fmix(a);
  outB[0] = fmix(b ^ a);
}

/** murmur3's final avalanche: every input bit affects every output bit. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hex32(x: number): string {
  return x.toString(16).padStart(8, '0');
}

/** A trace with `options` filled in from TRACE_DEFAULTS and validated. */
export function createTrace(options: Partial<TraceOptions> = {}): Trace {
  const o: TraceOptions = { ...TRACE_DEFAULTS, ...options };
  assert(o.mode === 'keep' || o.mode === 'hash-only', () => `trace: mode must be keep or hash-only, got ${String(o.mode)}`);
  assert(Number.isInteger(o.keepLast) && o.keepLast >= 0, () => `trace: keepLast must be an integer ≥ 0, got ${o.keepLast}`);
  assert(Number.isSafeInteger(o.checkpointEvery) && o.checkpointEvery >= 0, () => `trace: checkpointEvery must be an integer ≥ 0, got ${o.checkpointEvery}`);
  assert(Number.isSafeInteger(o.checkpointsMax) && (o.checkpointsMax === 0 || o.checkpointsMax >= 2), () => `trace: checkpointsMax must be 0 or an integer ≥ 2, got ${o.checkpointsMax}`);
  return new TraceImpl(o);
}

/** `t=000001204 n3 raft.role term=7 role=leader`: one event, one line. */
export function renderEvent(e: TraceEvent): string {
  let line = `t=${String(e.timeUs).padStart(9, '0')} ${e.host === null ? '--' : `n${e.host}`} ${e.kind}`;
  for (const name in e.fields) line += ` ${name}=${renderValue(e.fields[name] as FieldValue)}`;
  return line;
}

/** Strings that would break the `name=value` layout are JSON-quoted. */
function renderValue(v: FieldValue): string {
  if (typeof v !== 'string') return String(v);
  return v === '' || /[\s="]/.test(v) ? JSON.stringify(v) : v;
}

/** Every kept event, one line each, for a text report or a failure dump. */
export function renderTrace(events: readonly TraceEvent[]): string {
  return events.map(renderEvent).join('\n') + (events.length > 0 ? '\n' : '');
}
