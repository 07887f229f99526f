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
 * on the hot path (one event per delivered message): time, host, kind and each field's type and
 * value are mixed into two independent 32-bit lanes (murmur3-style word mixing with different
 * constants), finalised with an avalanche on read. Field *names* are not hashed: for a given kind
 * they are fixed by the code, and the code is the same on both sides of a comparison.
 *
 * Modes (`TraceOptions.mode`):
 * - `hash-only`: nothing is kept; the fastest, for fuzzing.
 * - `keep`: events are kept as structured objects for reports; `keepLast` bounds them to a ring of
 *   the most recent n, and `keepKinds` filters by kind prefix. Neither changes the hash: every
 *   event is hashed, whatever is kept.
 * Taps (`tap(fn)`) see every event as it is emitted (invariant checkers, live counters).
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
}

export const TRACE_DEFAULTS: TraceOptions = { mode: 'keep', keepLast: 0, keepKinds: null };

export type TraceTap = (event: TraceEvent) => void;

export interface Trace {
  readonly mode: TraceMode;
  /** Records one event. `fields` is not copied: do not mutate it afterwards. */
  emit(timeUs: Micros, host: HostId | null, kind: string, fields?: Fields): void;
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
}

const EMPTY: Fields = Object.freeze({});

// Type tags mixed before each value, so that 1, '1' and true hash differently.
const TAG_INT = 0x49;
const TAG_FLOAT = 0x46;
const TAG_STR = 0x53;
const TAG_TRUE = 0x54;
const TAG_FALSE = 0x5a;
const TAG_EVENT = 0x45;
const TWO_32 = 4294967296;

// Explicitly little-endian, so a float hashes the same on any machine.
const floatView = new DataView(new ArrayBuffer(8));

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

  constructor(options: TraceOptions) {
    this.mode = options.mode;
    this.keepLast = options.keepLast;
    this.keepKinds = options.keepKinds;
  }

  emit(timeUs: Micros, host: HostId | null, kind: string, fields: Fields = EMPTY): void {
    this.mix(TAG_EVENT);
    this.mix(timeUs >>> 0);
    this.mix((timeUs / TWO_32) | 0);
    this.mix(host === null ? -1 : host);
    this.mixString(kind);
    for (const name in fields) this.mixValue(fields[name] as FieldValue);
    const index = this.count++;
    if (this.mode === 'hash-only' && this.taps.length === 0) return;
    const event: TraceEvent = { index, timeUs, host, kind, fields };
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

  private mixValue(v: FieldValue): void {
    if (typeof v === 'number') {
      if ((v | 0) === v) {
        this.mix(TAG_INT);
        this.mix(v);
      } else if (Number.isSafeInteger(v)) {
        this.mix(TAG_INT);
        this.mix(v >>> 0);
        this.mix(Math.floor(v / TWO_32) | 0);
      } else {
        floatView.setFloat64(0, v, true);
        this.mix(TAG_FLOAT);
        this.mix(floatView.getUint32(0, true));
        this.mix(floatView.getUint32(4, true));
      }
    } else if (typeof v === 'string') {
      this.mixString(v);
    } else {
      this.mix(v ? TAG_TRUE : TAG_FALSE);
    }
  }

  private mixString(s: string): void {
    const n = s.length;
    this.mix(TAG_STR ^ (n << 8));
    let i = 0;
    // Two UTF-16 code units per word: half the mixing of one per character.
    for (; i + 1 < n; i += 2) this.mix(s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
    if (i < n) this.mix(s.charCodeAt(i));
  }

  /** Mixes one 32-bit word into both lanes (murmur3's body step, different constants per lane). */
  private mix(w: number): void {
    let k = Math.imul(w, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    let h = this.h1 ^ k;
    h = (h << 13) | (h >>> 19);
    this.h1 = (Math.imul(h, 5) + 0xe6546b64) | 0;
    let j = Math.imul(w ^ 0x5bd1e995, 0x85ebca6b);
    j = (j << 17) | (j >>> 15);
    j = Math.imul(j, 0xc2b2ae35);
    let g = this.h2 ^ j;
    g = (g << 19) | (g >>> 13);
    this.h2 = (Math.imul(g, 5) + 0x561ccd1b) | 0;
  }
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
