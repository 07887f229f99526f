/**
 * Watch against the reference model, for random write streams interleaved with watch creations
 * (past, current, future and compacted start revisions; ranges, filters, prevKv), cancels,
 * compactions, a member that falls behind and catches up by restoring a snapshot, tiny stream
 * buffers acknowledged irregularly, and the server's sync / victim / progress ticks in any order.
 *
 * After draining, each watcher must have received exactly the reference's matching events from its
 * start revision — in order, once, with prevKv as asked, never a revision split across responses —
 * or a prefix of them if it was canceled (by the client, or for compaction when its next revision
 * was compacted). Every progress notification at revision R must come after every event ≤ R of the
 * watchers it speaks for.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WatchEvent, WatchFilter, WatchResponse } from '../api.js';
import { inRange } from '../api.js';
import { keyArb, rangeEndArb, writeStepArb, type StoreStep } from '../testing/mvcc-arbitraries.js';
import { ReferenceModel } from '../testing/mvcc-reference-model.js';
import { createMvccStore, type MvccStore } from '../mvcc/store.js';
import { createWatchHub, type WatchHub, type WatchStream } from './watchable-store.js';

const STREAMS = 3;

type Action =
  | { readonly type: 'write'; readonly step: StoreStep }
  | { readonly type: 'watch'; readonly stream: number; readonly key: string; readonly rangeEnd: string | undefined; readonly start: number; readonly filters: readonly WatchFilter[]; readonly prevKv: boolean; readonly progressNotify: boolean }
  | { readonly type: 'cancel'; readonly stream: number; readonly nth: number }
  | { readonly type: 'ack'; readonly stream: number; readonly n: number }
  | { readonly type: 'sync' | 'victims' | 'tick' | 'fallBehind' | 'catchUp' }
  | { readonly type: 'progress'; readonly stream: number }
  | { readonly type: 'compact'; readonly back: number };

const streamArb = fc.integer({ min: 0, max: STREAMS - 1 });

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 10, arbitrary: writeStepArb.map((step): Action => ({ type: 'write', step })) },
  {
    weight: 3,
    arbitrary: fc.record({
      stream: streamArb,
      kr: keyArb.chain((key) => rangeEndArb(key).map((rangeEnd) => ({ key, rangeEnd }))),
      // 0 = now; 1..8 = that many revisions back (1 = current); 9..11 = 1..3 past current.
      start: fc.integer({ min: 0, max: 11 }),
      filters: fc.subarray<WatchFilter>(['NOPUT', 'NODELETE']),
      prevKv: fc.boolean(),
      progressNotify: fc.boolean(),
    }).map(({ kr, ...w }): Action => ({ type: 'watch', ...kr, ...w })),
  },
  { weight: 1, arbitrary: fc.record({ stream: streamArb, nth: fc.nat(5) }).map((a): Action => ({ type: 'cancel', ...a })) },
  { weight: 5, arbitrary: fc.record({ stream: streamArb, n: fc.integer({ min: 1, max: 3 }) }).map((a): Action => ({ type: 'ack', ...a })) },
  { weight: 2, arbitrary: fc.constantFrom<Action>({ type: 'sync' }, { type: 'victims' }, { type: 'tick' }) },
  { weight: 1, arbitrary: streamArb.map((stream): Action => ({ type: 'progress', stream })) },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: 12 }).map((back): Action => ({ type: 'compact', back })) },
  { weight: 1, arbitrary: fc.constantFrom<Action>({ type: 'fallBehind' }, { type: 'catchUp' }) },
);

interface WatcherRecord {
  readonly stream: number;
  readonly id: number;
  readonly key: string;
  readonly rangeEnd: string | undefined;
  readonly startRev: number;
  readonly filters: readonly WatchFilter[];
  readonly prevKv: boolean;
}

/** The harness: a follower store with the hub, a leader store, the reference model, and what each stream received. */
class Harness {
  readonly model = new ReferenceModel();
  readonly follower: MvccStore = createMvccStore();
  readonly leader: MvccStore = createMvccStore();
  readonly hub: WatchHub;
  readonly streams: WatchStream[] = [];
  readonly logs: WatchResponse[][] = [];
  /** The follower's compaction revision when each response was sent (etcd reads prevKv then). */
  private readonly compactAtSend = new WeakMap<WatchResponse, number>();
  readonly watchers: WatcherRecord[] = [];
  private behind = false;

  constructor(bufferMax: number, batchMaxRevs: number) {
    this.hub = createWatchHub({ store: this.follower, streamBufferResponses: bufferMax, batchMaxRevs, maxWatchersPerSync: 2 });
    for (let i = 0; i < STREAMS; i++) {
      const log: WatchResponse[] = [];
      this.logs.push(log);
      this.streams.push(this.hub.openStream((r) => {
        this.compactAtSend.set(r, this.follower.compactRevision());
        log.push(r);
      }));
    }
  }

  run(a: Action): void {
    switch (a.type) {
      case 'write': this.write(a.step); break;
      case 'watch': this.watch(a); break;
      case 'cancel': {
        const mine = this.watchers.filter((w) => w.stream === a.stream);
        const w = mine[a.nth % Math.max(1, mine.length)];
        if (w) this.stream(a.stream).cancel(w.id);
        break;
      }
      case 'ack': {
        const s = this.stream(a.stream);
        s.ack(Math.min(a.n, s.pending()));
        break;
      }
      case 'sync': this.hub.syncWatchers(); break;
      case 'victims': this.hub.syncVictims(); break;
      case 'tick': this.hub.progressTick(); break;
      case 'progress': this.stream(a.stream).requestProgress(); break;
      case 'compact': {
        const rev = this.model.rev() - a.back;
        const want = this.model.compact(rev);
        expect(this.leader.compact(rev)).toEqual(want);
        if (!this.behind) expect(this.follower.compact(rev)).toEqual(want);
        break;
      }
      case 'fallBehind': this.behind = true; break;
      case 'catchUp':
        if (this.behind) expect(this.follower.restore(this.leader.snapshot()).ok).toBe(true);
        this.behind = false;
        break;
    }
    this.hub.checkInvariants();
  }

  /** Acks everything and runs the loops until every watcher is synced (bounded). */
  drain(): void {
    if (this.behind) this.run({ type: 'catchUp' });
    for (let i = 0; i < 1000; i++) {
      for (const s of this.streams) s.ack(s.pending());
      this.hub.syncVictims();
      this.hub.syncWatchers();
      const st = this.hub.stats();
      if (st.unsynced === 0 && st.victims === 0) return;
    }
    throw new Error('watch: did not drain in 1000 rounds');
  }

  private stream(i: number): WatchStream {
    return this.streams[i] as WatchStream;
  }

  private write(step: StoreStep): void {
    const stores = this.behind ? [this.leader] : [this.leader, this.follower];
    for (const store of stores) {
      switch (step.type) {
        case 'put': store.put(step.request); break;
        case 'delete': store.deleteRange(step.request); break;
        case 'txn': store.txn(step.request); break;
        default: throw new Error(`not a write: ${step.type}`);
      }
    }
    switch (step.type) {
      case 'put': this.model.put(step.request); break;
      case 'delete': this.model.deleteRange(step.request); break;
      case 'txn': this.model.txn(step.request); break;
      default: break;
    }
    expect(this.leader.rev()).toBe(this.model.rev());
  }

  private watch(a: Extract<Action, { type: 'watch' }>): void {
    const cur = this.follower.rev();
    const startRevision = a.start === 0 ? 0 : a.start <= 8 ? Math.max(1, cur - a.start + 1) : cur + (a.start - 8);
    const id = this.stream(a.stream).watch({
      key: a.key, startRevision, filters: a.filters, prevKv: a.prevKv, progressNotify: a.progressNotify,
      ...(a.rangeEnd === undefined ? {} : { rangeEnd: a.rangeEnd }),
    });
    if (id < 0) return; // refused (an empty range): nothing to check
    this.watchers.push({
      stream: a.stream, id, key: a.key, rangeEnd: a.rangeEnd === '' ? undefined : a.rangeEnd,
      startRev: startRevision === 0 ? cur + 1 : startRevision, filters: a.filters, prevKv: a.prevKv,
    });
  }

  /** The reference's events for `w`, as the watcher should see them. */
  expected(w: WatcherRecord): WatchEvent[] {
    const out: WatchEvent[] = [];
    for (let rev = Math.max(2, w.startRev); rev <= this.model.rev(); rev++) {
      for (const ev of this.model.events[rev] ?? []) {
        if (!inRange(ev.kv.key, w.key, w.rangeEnd)) continue;
        if (w.filters.includes(ev.type === 'PUT' ? 'NOPUT' : 'NODELETE')) continue;
        out.push(w.prevKv || ev.prevKv === undefined ? ev : { type: ev.type, kv: ev.kv });
      }
    }
    return out;
  }

  check(): void {
    for (const w of this.watchers) this.checkWatcher(w);
    for (let s = 0; s < STREAMS; s++) this.checkProgress(s);
  }

  private checkWatcher(w: WatcherRecord): void {
    const log = this.logs[w.stream] as WatchResponse[];
    const mine = log.filter((r) => r.watchId === w.id);
    expect(mine[0]?.created, `watcher ${w.stream}/${w.id} first response`).toBe(true);
    const got: WatchEvent[] = [];
    /** Per received event, the compaction revision when its response was sent. */
    const compactOf: number[] = [];
    const responseOfRev = new Map<number, number>();
    let canceled: WatchResponse | undefined;
    mine.slice(1).forEach((r, i) => {
      // A cancel request for a watcher already canceled by compaction is answered (its id was still
      // taken on the stream, as in etcd): a plain cancel answer, nothing else.
      if (canceled?.compactRevision !== undefined && r.canceled === true && r.compactRevision === undefined && r.events.length === 0) return;
      expect(canceled, `watcher ${w.stream}/${w.id}: a response after its cancel`).toBeUndefined();
      if (r.canceled) canceled = r;
      for (const ev of r.events) {
        const rev = ev.kv.modRevision;
        expect(responseOfRev.get(rev) ?? i, `watcher ${w.stream}/${w.id}: revision ${rev} split across responses`).toBe(i);
        responseOfRev.set(rev, i);
        expect(r.header.revision).toBeGreaterThanOrEqual(rev);
      }
      got.push(...r.events);
      for (let k = 0; k < r.events.length; k++) compactOf.push(this.compactAtSend.get(r) ?? 0);
    });
    // etcd's sendLoop sends no prevKv with a create event, nor when revision − 1 is compacted at send time.
    const want = this.expected(w).map((ev, j) =>
      ev.prevKv !== undefined && ((ev.type === 'PUT' && ev.kv.createRevision === ev.kv.modRevision) || ev.kv.modRevision - 1 < (compactOf[j] ?? 0)) ? { type: ev.type, kv: ev.kv } : ev);
    if (canceled === undefined) {
      expect(got, `watcher ${w.stream}/${w.id} from ${w.startRev}`).toEqual(want);
      return;
    }
    expect(got, `watcher ${w.stream}/${w.id}: delivered before its cancel`).toEqual(want.slice(0, got.length));
    if (canceled.compactRevision !== undefined) {
      const next = got.length > 0 ? (got[got.length - 1] as WatchEvent).kv.modRevision + 1 : w.startRev;
      expect(next, `watcher ${w.stream}/${w.id}: canceled as compacted at ${canceled.compactRevision}`).toBeLessThan(canceled.compactRevision);
    }
  }

  /** A progress response at R: every watcher it speaks for had all its events ≤ R before it. */
  private checkProgress(s: number): void {
    const log = this.logs[s] as WatchResponse[];
    const delivered = new Map<number, number>(); // watch id → events received so far
    const alive = new Set<number>();
    for (const r of log) {
      if (r.created && !r.canceled) alive.add(r.watchId);
      if (r.canceled) alive.delete(r.watchId);
      delivered.set(r.watchId, (delivered.get(r.watchId) ?? 0) + r.events.length);
      if (r.created || r.canceled || r.events.length > 0) continue;
      const R = r.header.revision;
      for (const id of r.watchId === -1 ? [...alive] : [r.watchId]) {
        const w = this.watchers.find((x) => x.stream === s && x.id === id) as WatcherRecord;
        expect(R, `progress for ${s}/${id} before its start`).toBeGreaterThanOrEqual(w.startRev - 1);
        const due = this.expected(w).filter((ev) => ev.kv.modRevision <= R).length;
        expect(delivered.get(id) ?? 0, `progress at ${R} for ${s}/${id} came before events ≤ ${R}`).toBeGreaterThanOrEqual(due);
      }
    }
  }
}

describe('watch against the reference model', () => {
  it('delivers every matching event once, in order, whole revisions, through slow consumers, compaction and restore', () => {
    fc.assert(
      fc.property(
        fc.array(actionArb, { minLength: 20, maxLength: 150, size: '+1' }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        (actions, bufferMax, batchMaxRevs) => {
          const h = new Harness(bufferMax, batchMaxRevs);
          for (const a of actions) h.run(a);
          h.drain();
          h.check();
        },
      ),
      { numRuns: 100 },
    );
  });
});
