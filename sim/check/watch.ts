/**
 * The watch checker: what every watch received, against the writes the cluster committed, judged
 * by the nine guarantees etcd's robustness suite checks (tests/robustness/validate/watch.go;
 * etcd docs "Watch API guarantees"):
 *
 * - **ordered**: events arrive in revision order, never going back;
 * - **unique**: no event (revision, key) arrives twice;
 * - **atomic**: the events of one revision arrive in one response, never split;
 * - **reliable**: no gaps — between the watch's start and the last event it received, every
 *   matching committed event arrived, exactly as committed; a resumption does not skip events;
 * - **resumable**: a watch (re)started at revision s first receives the first matching event at
 *   or after s, and nothing before s;
 * - **bookmarkable**: a progress notification at revision p means every matching event ≤ p has
 *   arrived, and none ≤ p arrives after it; it is never below the watch's start − 1;
 * - **prevKv**: an event's prevKv is the key's value just before the event (asked for: present
 *   when the key existed, except as etcd's sendLoop leaves it out: never on a create event — a
 *   PUT whose create revision is its mod revision — and maybe not once revision − 1 was compacted
 *   before the response arrived, which `compactions` tells);
 * - **isCreate**: a PUT's create revision equals its mod revision exactly when the key did not
 *   exist before;
 * - **filter**: NOPUT / NODELETE filters and the watched key range are obeyed.
 *
 * Generic: the types below are plain data (structurally those of kv/api), and nothing here
 * knows raft or the store. Each violation names the watch, the revision and what went wrong in
 * one line.
 */
import { assert } from '../assert.js';
import type { Micros } from '../time.js';

export interface WatchKeyValue {
  readonly key: string;
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  readonly lease?: number;
}

/** A watch event (mvccpb.Event). A DELETE's kv carries the key and its mod revision only. */
export interface WatchEventRecord {
  readonly type: 'PUT' | 'DELETE';
  readonly kv: WatchKeyValue;
  readonly prevKv?: WatchKeyValue;
}

/** One committed revision: the changes it made, in order, and when it was first committed. */
export interface CommittedRevision {
  readonly revision: number;
  /** When the revision was first applied by any member (virtual µs). */
  readonly at: Micros;
  readonly events: readonly WatchEventRecord[];
}

export type WatchFilterName = 'NOPUT' | 'NODELETE';

/** What the watch asked for (etcd WatchCreateRequest). */
export interface WatchRequestSpec {
  readonly key: string;
  /** Absent or '' = the one key; '\0' = every key ≥ key. */
  readonly rangeEnd?: string;
  /** 0 or absent = from the next revision ("now"). */
  readonly startRevision?: number;
  readonly filters?: readonly WatchFilterName[];
  readonly prevKv?: boolean;
  readonly progressNotify?: boolean;
}

/** What a watch saw, in arrival order. */
export type WatchItem =
  /** The creation response: its header revision is "now" for a watch from 0. */
  | { readonly kind: 'created'; readonly at: Micros; readonly revision: number }
  | { readonly kind: 'events'; readonly at: Micros; readonly revision: number; readonly events: readonly WatchEventRecord[] }
  /** A progress notification (an empty response): a bookmark at its header revision. */
  | { readonly kind: 'progress'; readonly at: Micros; readonly revision: number }
  | { readonly kind: 'canceled'; readonly at: Micros; readonly revision: number; readonly compactRevision?: number; readonly reason?: string }
  /** The client re-created the watch (after a broken stream) from `startRevision`. */
  | { readonly kind: 'resumed'; readonly at: Micros; readonly startRevision: number };

export interface WatchHistory {
  /** A name for reports, e.g. `c3/w2`. */
  readonly id: string;
  readonly request: WatchRequestSpec;
  readonly items: readonly WatchItem[];
}

export type WatchGuarantee = 'ordered' | 'unique' | 'atomic' | 'reliable' | 'resumable' | 'bookmarkable' | 'prevKv' | 'isCreate' | 'filter';

export const WATCH_GUARANTEES: readonly WatchGuarantee[] = ['ordered', 'unique', 'atomic', 'reliable', 'resumable', 'bookmarkable', 'prevKv', 'isCreate', 'filter'];

export interface WatchViolation {
  readonly guarantee: WatchGuarantee;
  readonly watch: string;
  readonly revision: number;
  /** When the offending response arrived, where there is one. */
  readonly at?: Micros;
  readonly message: string;
}

export interface WatchCheckResult {
  readonly ok: boolean;
  readonly watches: number;
  /** Events received over all watches. */
  readonly events: number;
  readonly violations: readonly WatchViolation[];
  /** Violations beyond the per-watch bound, counted but not listed. */
  readonly violationsDropped: number;
}

export interface WatchCheckOptions {
  /** Most violations listed per watch (default 50): one bug tends to repeat. */
  readonly violationsPerWatchMax?: number;
  /**
   * Compactions applied by some member: at `at`, to at most `revision` (the store revision then is
   * a bound enough). An event at r that arrives after a compaction to ≥ r may lack its prevKv:
   * etcd reads it at send time, at r − 1, and leaves it out when that is compacted. Default none.
   */
  readonly compactions?: readonly { readonly revision: number; readonly at: Micros }[];
}

// ---------------------------------------------------------------------------------------------
// The committed history, indexed

/** [revision, the key's value after it (null: deleted)], per key, in revision order. */
type KeyTimeline = [number, WatchKeyValue | null][];

class Committed {
  readonly byRevision = new Map<number, readonly WatchEventRecord[]>();
  readonly revisions: number[] = [];
  private readonly timelines = new Map<string, KeyTimeline>();
  /** Per position in `revisions`, the ids of its events (made on first use: every watch asks again). */
  private readonly ids: (string[] | undefined)[] = [];

  constructor(committed: readonly CommittedRevision[]) {
    let last = -Infinity;
    for (const c of committed) {
      assert(c.revision > last, () => `watch check: committed revisions must increase (${c.revision} after ${last})`);
      last = c.revision;
      this.byRevision.set(c.revision, c.events);
      this.revisions.push(c.revision);
      for (const e of c.events) {
        let t = this.timelines.get(e.kv.key);
        if (t === undefined) this.timelines.set(e.kv.key, (t = []));
        t.push([c.revision, e.type === 'PUT' ? e.kv : null]);
      }
    }
  }

  /** The key's value at `revision` (after every change ≤ revision), or null when absent. */
  valueAt(key: string, revision: number): WatchKeyValue | null {
    const t = this.timelines.get(key);
    if (t === undefined) return null;
    let lo = 0;
    let hi = t.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((t[mid] as [number, WatchKeyValue | null])[0] <= revision) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? null : (t[found] as [number, WatchKeyValue | null])[1];
  }

  /** Matching events with revision in [lo, hi], in order, with their ids (`eventId`). */
  matching(w: WatchRequestSpec, lo: number, hi: number): { revision: number; event: WatchEventRecord; id: string }[] {
    const out: { revision: number; event: WatchEventRecord; id: string }[] = [];
    const start = lowerBound(this.revisions, lo);
    for (let i = start; i < this.revisions.length; i++) {
      const rev = this.revisions[i] as number;
      if (rev > hi) break;
      const events = this.byRevision.get(rev) ?? [];
      let ids = this.ids[i];
      for (let j = 0; j < events.length; j++) {
        const event = events[j] as WatchEventRecord;
        if (!watches(w, event)) continue;
        if (ids === undefined) this.ids[i] = ids = events.map((e) => eventId(rev, e));
        out.push({ revision: rev, event, id: ids[j] as string });
      }
    }
    return out;
  }
}

function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** etcd key ranges: end absent or '' = the key alone; '\0' = every key ≥ key. */
function inKeyRange(key: string, start: string, end: string | undefined): boolean {
  if (end === undefined || end === '') return key === start;
  if (end === '\0') return key >= start;
  return key >= start && key < end;
}

function filtered(w: WatchRequestSpec, e: WatchEventRecord): boolean {
  return w.filters !== undefined && w.filters.includes(e.type === 'PUT' ? 'NOPUT' : 'NODELETE');
}

function watches(w: WatchRequestSpec, e: WatchEventRecord): boolean {
  return inKeyRange(e.kv.key, w.key, w.rangeEnd) && !filtered(w, e);
}

function sameKv(a: WatchKeyValue | null | undefined, b: WatchKeyValue | null | undefined): boolean {
  if (a === undefined || a === null || b === undefined || b === null) return (a ?? null) === (b ?? null);
  return a.key === b.key && a.value === b.value && a.createRevision === b.createRevision && a.modRevision === b.modRevision && a.version === b.version && (a.lease ?? 0) === (b.lease ?? 0);
}

/** The delivered event equals the committed one (a DELETE is compared by key and mod revision). */
function sameEventIgnoringCreate(got: WatchEventRecord, want: WatchEventRecord): boolean {
  if (got.type !== want.type || got.kv.key !== want.kv.key || got.kv.modRevision !== want.kv.modRevision) return false;
  if (want.type === 'DELETE') return true;
  return got.kv.value === want.kv.value && got.kv.version === want.kv.version && (got.kv.lease ?? 0) === (want.kv.lease ?? 0);
}

// ---------------------------------------------------------------------------------------------
// One watch

interface Delivered {
  readonly revision: number;
  readonly event: WatchEventRecord;
  /** `eventId(revision, event)`. */
  readonly id: string;
  readonly item: number;
  readonly segment: number;
  readonly at: Micros;
}

interface Segment {
  /** The revision asked for: 0 = "now". */
  readonly startRevision: number;
  /** The first revision this segment is responsible for, if known. */
  lo: number | undefined;
  /** What the client knew complete before it (for resumptions). */
  readonly knownCompleteBefore: number;
  readonly at: Micros;
  /** Bookmarks were checked up to this revision: an earlier gap was reported then, once. */
  bookmarkedUpTo: number;
}

class WatchJudge {
  readonly violations: WatchViolation[] = [];
  dropped = 0;
  private readonly delivered: Delivered[] = [];
  private readonly segments: Segment[] = [];
  /** The ids of every delivered event (filled by the walk). */
  private readonly seen = new Set<string>();

  constructor(
    private readonly c: Committed,
    private readonly w: WatchHistory,
    private readonly max: number,
    private readonly compactions: readonly { readonly revision: number; readonly at: Micros }[] = [],
  ) {}

  /** Whether revision − 1 may have been compacted when the response arrived at `at`. */
  private mayBeCompacted(revision: number, at: Micros): boolean {
    return this.compactions.some((k) => k.at <= at && k.revision >= revision);
  }

  report(guarantee: WatchGuarantee, revision: number, at: Micros | undefined, message: string): void {
    if (this.violations.length >= this.max) {
      this.dropped++;
      return;
    }
    const v: { -readonly [K in keyof WatchViolation]: WatchViolation[K] } = { guarantee, watch: this.w.id, revision, message };
    if (at !== undefined) v.at = at;
    this.violations.push(v);
  }

  run(): number {
    this.walk();
    this.checkReliable();
    this.checkAtomic();
    return this.delivered.length;
  }

  /** One pass in arrival order: ordered, unique, filter, contents, prevKv, isCreate, resumable, bookmarks. */
  private walk(): void {
    const req = this.w.request;
    const seen = this.seen;
    let maxRev = 0;
    // A watch from revision S never owed the events below S: a resumption before anything arrived
    // (a lock waiter's watch on the key ahead of it, failing over at once) restarts from S and skips
    // nothing. Only a watch from "now" (S = 0) starts knowing nothing.
    let knownComplete = Math.max(0, (req.startRevision ?? 0) - 1);
    let bookmark = 0;
    let segment: Segment = { startRevision: req.startRevision ?? 0, lo: (req.startRevision ?? 0) > 0 ? req.startRevision : undefined, knownCompleteBefore: 0, at: this.w.items[0]?.at ?? 0, bookmarkedUpTo: 0 };
    this.segments.push(segment);
    let firstOfSegment = true;
    this.w.items.forEach((item, index) => {
      switch (item.kind) {
        case 'created':
          // Only a watch from "now" knows everything up to its creation revision is behind it.
          if (segment.startRevision > 0) return;
          if (segment.lo === undefined) segment.lo = item.revision + 1;
          knownComplete = Math.max(knownComplete, item.revision);
          return;
        case 'resumed':
          segment = { startRevision: item.startRevision, lo: item.startRevision > 0 ? item.startRevision : undefined, knownCompleteBefore: knownComplete, at: item.at, bookmarkedUpTo: 0 };
          this.segments.push(segment);
          firstOfSegment = true;
          return;
        case 'canceled':
          return;
        case 'progress':
          this.checkBookmark(item.revision, item.at, segment, seen);
          bookmark = Math.max(bookmark, item.revision);
          knownComplete = Math.max(knownComplete, item.revision);
          return;
        case 'events':
          for (const event of item.events) {
            const revision = event.kv.modRevision;
            const id = eventId(revision, event);
            const d: Delivered = { revision, event, id, item: index, segment: this.segments.length - 1, at: item.at };
            if (seen.has(id)) {
              this.report('unique', revision, item.at, `event ${describeEvent(event)} delivered again`);
            } else if (revision < maxRev) {
              this.report('ordered', revision, item.at, `event ${describeEvent(event)} arrived after an event at revision ${maxRev}`);
            }
            if (revision <= bookmark && !seen.has(id)) {
              this.report('bookmarkable', revision, item.at, `event ${describeEvent(event)} arrived after a progress notification at revision ${bookmark}`);
            }
            if (firstOfSegment) this.checkResumable(segment, d);
            firstOfSegment = false;
            this.checkEvent(d);
            seen.add(id);
            maxRev = Math.max(maxRev, revision);
            knownComplete = Math.max(knownComplete, revision);
            this.delivered.push(d);
          }
          return;
      }
    });
  }

  private checkResumable(segment: Segment, first: Delivered): void {
    if (segment.startRevision <= 0) {
      if (segment.lo !== undefined && first.revision < segment.lo) {
        this.report('ordered', first.revision, first.at, `a watch from "now" (revision ${segment.lo - 1}) delivered older revision ${first.revision}`);
      }
      segment.lo ??= first.revision;
      return;
    }
    const s = segment.startRevision;
    if (first.revision < s) {
      this.report('resumable', first.revision, first.at, `a watch from revision ${s} delivered revision ${first.revision}`);
      return;
    }
    const expected = this.c.matching(this.w.request, s, first.revision)[0];
    if (expected !== undefined && expected.revision < first.revision) {
      this.report('resumable', expected.revision, first.at, `a watch from revision ${s} began at revision ${first.revision}, skipping ${describeEvent(expected.event)}`);
      segment.lo = first.revision; // the skipped start is this violation, not also a gap
    }
  }

  /** Contents against the committed event; prevKv; isCreate; filter. */
  private checkEvent(d: Delivered): void {
    const { event, revision, at } = d;
    const req = this.w.request;
    if (filtered(req, event)) this.report('filter', revision, at, `${event.type} event for ${event.kv.key} delivered despite ${event.type === 'PUT' ? 'NOPUT' : 'NODELETE'}`);
    if (!inKeyRange(event.kv.key, req.key, req.rangeEnd)) this.report('filter', revision, at, `event for ${event.kv.key} is outside the watched range ${describeRange(req)}`);
    const inRevision = this.c.byRevision.get(revision) ?? [];
    const committed = inRevision.find((e) => e.kv.key === event.kv.key && e.type === event.type);
    if (committed === undefined) {
      this.report('reliable', revision, at, `event ${describeEvent(event)} matches no committed change`);
      return;
    }
    const before = this.c.valueAt(event.kv.key, revision - 1);
    if (!sameEventIgnoringCreate(event, committed)) {
      this.report('reliable', revision, at, `event ${describeEvent(event)} differs from the committed ${describeEvent(committed)}`);
    } else if (event.type === 'PUT') {
      const saysCreate = event.kv.createRevision === event.kv.modRevision;
      // A txn may delete a range and then put a key of it (etcd lets a range delete and a put
      // of one key share a txn): that put starts a new generation although the key existed at
      // revision − 1 (and, being a create event, it carries no prevKv).
      const putAt = inRevision.indexOf(committed);
      const deletedFirst = inRevision.some((e, i) => i < putAt && e.type === 'DELETE' && e.kv.key === event.kv.key);
      if (saysCreate !== (before === null || deletedFirst)) {
        this.report('isCreate', revision, at, `PUT ${event.kv.key}@${revision} ${saysCreate ? 'claims to create the key, which existed' : 'claims an older create revision, but the key did not exist'} before`);
      } else if (event.kv.createRevision !== committed.kv.createRevision) {
        this.report('reliable', revision, at, `PUT ${event.kv.key}@${revision} has create revision ${event.kv.createRevision}, committed ${committed.kv.createRevision}`);
      }
    }
    // etcd sends no prevKv with a create event, even when a range delete earlier in the txn removed
    // the key that existed at revision − 1.
    const isCreate = event.type === 'PUT' && event.kv.createRevision === event.kv.modRevision;
    const want = isCreate ? null : before;
    if (event.prevKv !== undefined ? !sameKv(event.prevKv, want) : req.prevKv === true && want !== null && !this.mayBeCompacted(revision, at)) {
      const got = event.prevKv === undefined ? 'none' : describeKv(event.prevKv);
      const expected = isCreate ? 'none (a create event)' : before === null ? 'absent' : describeKv(before);
      this.report('prevKv', revision, at, `prevKv of ${event.kv.key}@${revision} is ${got}, but ${isCreate ? 'etcd sends' : 'before it the key was'} ${expected}`);
    }
  }

  /** A bookmark at p: every matching event ≤ p delivered already, and p ≥ start − 1. */
  private checkBookmark(p: number, at: Micros, segment: Segment, seen: ReadonlySet<string>): void {
    if (segment.startRevision > 0 && p < segment.startRevision - 1) {
      this.report('bookmarkable', p, at, `progress notification at revision ${p} for a watch from revision ${segment.startRevision}`);
      return;
    }
    const first = segment.lo ?? this.segments[0]?.lo;
    if (first === undefined) return;
    // Only the revisions past the previous bookmark: a gap below it was reported there already.
    const lo = Math.max(first, segment.bookmarkedUpTo + 1);
    segment.bookmarkedUpTo = Math.max(segment.bookmarkedUpTo, p);
    const missing = this.c.matching(this.w.request, lo, p).find((e) => !seen.has(e.id));
    if (missing !== undefined) {
      this.report('bookmarkable', p, at, `progress notification at revision ${p} before ${describeEvent(missing.event)} was delivered`);
    }
  }

  /** No gaps: inside each segment, and between a segment and the next one's start. */
  private checkReliable(): void {
    const have = this.seen;
    // The last event delivered in each segment.
    const lastOf: (Delivered | undefined)[] = this.segments.map(() => undefined);
    for (const d of this.delivered) lastOf[d.segment] = d;
    this.segments.forEach((seg, i) => {
      const last = lastOf[i];
      if (seg.lo !== undefined && last !== undefined) {
        for (const e of this.c.matching(this.w.request, seg.lo, last.revision)) {
          if (!have.has(e.id)) {
            this.report('reliable', e.revision, last.at, `${describeEvent(e.event)} was never delivered (the watch got revision ${last.revision})`);
          }
        }
      }
      if (i > 0 && seg.startRevision > seg.knownCompleteBefore + 1) {
        for (const e of this.c.matching(this.w.request, seg.knownCompleteBefore + 1, seg.startRevision - 1)) {
          if (!have.has(e.id)) {
            this.report('reliable', e.revision, seg.at, `resumed from revision ${seg.startRevision} after revision ${seg.knownCompleteBefore}: ${describeEvent(e.event)} was skipped`);
          }
        }
      }
    });
  }

  /** A revision's events arrive in one response. */
  private checkAtomic(): void {
    // Delivered events by revision, revisions in first-delivery order.
    const byRevision = new Map<number, Delivered | Delivered[]>();
    for (const d of this.delivered) {
      const g = byRevision.get(d.revision);
      if (g === undefined) byRevision.set(d.revision, d);
      else if (Array.isArray(g)) g.push(d);
      else byRevision.set(d.revision, [g, d]);
    }
    for (const [revision, g] of byRevision) {
      // A revision delivered as one event arrived in one response.
      if (!Array.isArray(g)) continue;
      const items = new Set(g.map((d) => d.item));
      const ids = new Set(g.map((d) => d.id));
      // Repeats are the unique guarantee's business; a split is distinct events in several responses.
      if (items.size > 1 && ids.size === g.length) {
        this.report('atomic', revision, undefined, `the events of revision ${revision} (${g.map((d) => d.event.kv.key).join(', ')}) arrived split over ${items.size} responses`);
      }
    }
  }
}

/** An event's identity: a txn may both put and delete one key in one revision (etcd allows a delete to "\0" after a put). */
function eventId(revision: number, e: WatchEventRecord): string {
  return `${revision}/${e.type}/${e.kv.key}`;
}

function describeKv(kv: WatchKeyValue): string {
  return `${kv.key}=${JSON.stringify(kv.value)}@${kv.modRevision}`;
}

function describeEvent(e: WatchEventRecord): string {
  return e.type === 'PUT' ? `PUT ${describeKv(e.kv)}` : `DELETE ${e.kv.key}@${e.kv.modRevision}`;
}

function describeRange(w: WatchRequestSpec): string {
  if (w.rangeEnd === undefined || w.rangeEnd === '') return w.key;
  return `[${w.key}, ${w.rangeEnd === '\0' ? '∞' : w.rangeEnd})`;
}

/** Checks every watch against the committed history. */
export function checkWatches(committed: readonly CommittedRevision[], watchesSeen: readonly WatchHistory[], options: WatchCheckOptions = {}): WatchCheckResult {
  const max = options.violationsPerWatchMax ?? 50;
  assert(Number.isInteger(max) && max >= 0, 'watch check: violationsPerWatchMax must be a whole number ≥ 0');
  const index = new Committed(committed);
  const violations: WatchViolation[] = [];
  let dropped = 0;
  let events = 0;
  for (const w of watchesSeen) {
    const judge = new WatchJudge(index, w, max, options.compactions);
    events += judge.run();
    violations.push(...judge.violations);
    dropped += judge.dropped;
  }
  return { ok: violations.length === 0 && dropped === 0, watches: watchesSeen.length, events, violations, violationsDropped: dropped };
}

/** `bookmarkable c3/w2 @rev 41: progress notification at revision 41 before PUT k=…@40 was delivered` */
export function formatWatchViolation(v: WatchViolation): string {
  return `${v.guarantee} ${v.watch} @rev ${v.revision}: ${v.message}`;
}
