/**
 * Turns what a run recorded into the checkers' inputs (sim/check/watch.ts):
 * - `mergeCommitted`: the members' applied writes → one committed history (the changes of each
 *   revision and when any member first applied it), noting every revision on which members
 *   disagree — a divergence is itself a safety violation;
 * - `watchHistoryOf`: a kv/client WatchRecord (placements and responses) → a WatchHistory.
 */
import type { WatchResponse } from '../api.js';
import type { WatchRecord } from '../client/watch-client.js';
import type { CommittedRevision, WatchEventRecord, WatchHistory, WatchItem } from '../../sim/check/watch.js';
import type { Micros } from '../../sim/time.js';

/** One member's applied write: the revision after it, its changes, and when it was applied. */
export interface AppliedRevision {
  readonly revision: number;
  readonly at: Micros;
  readonly events: readonly WatchEventRecord[];
}

export interface MergedCommitted {
  readonly committed: CommittedRevision[];
  /** One line per revision whose changes differ between members. */
  readonly divergences: string[];
}

/**
 * Merges the members' applied writes; writes that changed nothing are skipped. Members are
 * compared by the JSON of their changes, but that text is built only for a divergence's report:
 * `sameJson` proves most pairs equal without it (every member applies every revision, so
 * stringifying each one was the checker's largest cost). Each revision is compared with the
 * first list that holds it.
 */
export function mergeCommitted(members: readonly (readonly AppliedRevision[])[]): MergedCommitted {
  const merger = new CommittedMerger();
  members.forEach((writes, member) => {
    for (const w of writes) merger.add(member, w);
  });
  return merger.result();
}

/**
 * mergeCommitted as the writes arrive, one at a time from any member: what a run keeps is one
 * record per revision (the first member's changes, the earliest apply time), not every member's
 * copy — a long run applies each revision on every member. A revision is compared with the first
 * write of it that arrived; divergences are listed in arrival order. Fed member by member it is
 * mergeCommitted.
 */
export class CommittedMerger {
  /** By revision (dense: every revision is some member's write); holes where none arrived. */
  private readonly byRevision: ({ readonly revision: number; at: Micros; readonly events: readonly WatchEventRecord[] } | undefined)[] = [];
  /** The member whose write made byRevision[r]: it names the first side of a divergence. */
  private readonly firstMember: number[] = [];
  private readonly divergences: string[] = [];

  add(member: number, w: AppliedRevision): void {
    if (w.events.length === 0) return;
    const seen = this.byRevision[w.revision];
    if (seen === undefined) {
      // Fill holes up to here first (they stay undefined): the arrays stay dense as V8 keeps them.
      while (this.byRevision.length < w.revision) {
        this.byRevision.push(undefined);
        this.firstMember.push(-1);
      }
      this.byRevision[w.revision] = { revision: w.revision, at: w.at, events: w.events };
      this.firstMember[w.revision] = member;
      return;
    }
    if (!sameJson(seen.events, w.events)) {
      const seenKey = JSON.stringify(seen.events);
      const key = JSON.stringify(w.events);
      if (seenKey !== key) this.divergences.push(`revision ${w.revision}: member #${this.firstMember[w.revision] ?? -1} applied ${seenKey}, member #${member} applied ${key}`);
    }
    if (w.at < seen.at) seen.at = w.at;
  }

  /** The committed history so far, in revision order, and the divergences. */
  result(): MergedCommitted {
    const committed: CommittedRevision[] = [];
    for (const c of this.byRevision) if (c !== undefined) committed.push(c);
    return { committed, divergences: [...this.divergences] };
  }
}

/**
 * True only when `JSON.stringify(a) === JSON.stringify(b)` certainly holds: equal primitives, or
 * plain objects and arrays with the same keys in the same order and such values. False means
 * "not proven" (anything else, e.g. a class instance with a toJSON): the caller then compares
 * the JSON itself.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Object.getPrototypeOf(a) !== Object.prototype || Object.getPrototypeOf(b) !== Object.prototype) return false;
  // for-in lists a plain object's keys in Object.keys order (an inherited enumerable key, which
  // JSON would skip, only makes the counts differ: "not proven").
  const kb = Object.keys(b);
  let i = 0;
  for (const k in a) {
    if (k !== kb[i] || !sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
    i++;
  }
  return i === kb.length;
}

function itemOf(atUs: Micros, r: WatchResponse): WatchItem {
  const revision = r.header.revision;
  if (r.canceled === true) {
    const item: { -readonly [K in keyof Extract<WatchItem, { kind: 'canceled' }>]: Extract<WatchItem, { kind: 'canceled' }>[K] } = { kind: 'canceled', at: atUs, revision };
    if (r.compactRevision !== undefined) item.compactRevision = r.compactRevision;
    if (r.cancelReason !== undefined) item.reason = r.cancelReason;
    return item;
  }
  if (r.created === true && r.events.length === 0) return { kind: 'created', at: atUs, revision };
  if (r.events.length === 0) return { kind: 'progress', at: atUs, revision };
  return { kind: 'events', at: atUs, revision, events: r.events };
}

/**
 * A WatchRecord as the watch checker reads it: the first placement is the watch itself (a
 * 'resumed' item only if it asked another start than the request), every later one a resumption;
 * responses become created / events / progress / canceled items, in arrival order.
 */
export function watchHistoryOf(record: WatchRecord): WatchHistory {
  // `i`: the position before sorting, the last tie-breaker.
  type Timed = { at: Micros; order: number; i: number; item: WatchItem | null };
  const timed: Timed[] = [];
  record.placements.forEach((p, i) => {
    const asked = record.request.startRevision ?? 0;
    const resumed = i > 0 || p.startRevision !== asked;
    // At the same instant, responses of the old stream come before the re-creation they caused.
    timed.push({ at: p.atUs, order: 1, i: timed.length, item: resumed ? { kind: 'resumed', at: p.atUs, startRevision: p.startRevision } : null });
  });
  for (const r of record.responses) timed.push({ at: r.atUs, order: 0, i: timed.length, item: itemOf(r.atUs, r.response) });
  timed.sort((a, b) => a.at - b.at || a.order - b.order || a.i - b.i);
  const items: WatchItem[] = [];
  for (const t of timed) if (t.item !== null) items.push(t.item);
  const { key, rangeEnd, startRevision, filters, prevKv, progressNotify } = record.request;
  return {
    id: `c${record.client}/w${record.watchId}`,
    request: {
      key,
      ...(rangeEnd !== undefined ? { rangeEnd } : {}),
      ...(startRevision !== undefined ? { startRevision } : {}),
      ...(filters !== undefined ? { filters } : {}),
      ...(prevKv !== undefined ? { prevKv } : {}),
      ...(progressNotify !== undefined ? { progressNotify } : {}),
    },
    items,
  };
}
