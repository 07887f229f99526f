/**
 * The MVCC store's rows in the backend's `key` bucket (etcd's schema.Key: revision → KeyValue), and
 * the rebuild of a store from them at restart (etcd's store.restore in mvcc/kvstore.go).
 *
 * Row key: the revision as `<main, 16 hex>_<sub, 8 hex>`, so key order is revision order (etcd's
 * 8-byte big-endian main, '_', 8-byte sub; a tombstone adds a 't' mark, here a field of the row).
 * Row value: JSON `[type, key, createRevision, version, value, lease, prev]` — type 0 PUT, 1
 * DELETE (etcd's tombstone: a KeyValue with only the key); `prev` is the event's prevKv as
 * `[createRevision, modRevision, version, value, lease]`, or 0. etcd reads prevKv back from the
 * backend at mod_revision − 1; keeping it in the row lets a rebuilt store hand watchers the same
 * events even for the compaction revision, whose older versions are deleted.
 *
 * Rebuild: the rows, in revision order, replayed into a fresh key index (put, tombstone), then the
 * index compacted at the finished compaction revision — the rows a compaction leaves are exactly
 * what the index keeps, so replaying them and compacting again gives the same index; the event
 * history is every revision from the compaction revision on. The current revision is the highest
 * row's main revision, or the compaction revision when that is higher (etcd does the same).
 */
import type { KeyValue, KvResult, WatchEvent } from '../api.js';
import { fail, ok } from './errors.js';
import { KeyIndex } from './key-index.js';
import { INITIAL_REVISION } from './revision.js';
import { StoreState, type RevisionEvents } from './store-state.js';

export function revisionKey(main: number, sub: number): string {
  return `${main.toString(16).padStart(16, '0')}_${sub.toString(16).padStart(8, '0')}`;
}

export function parseRevisionKey(k: string): { main: number; sub: number } | undefined {
  if (k.length !== 25 || k[16] !== '_') return undefined;
  const main = Number.parseInt(k.slice(0, 16), 16);
  const sub = Number.parseInt(k.slice(17), 16);
  return Number.isSafeInteger(main) && Number.isSafeInteger(sub) ? { main, sub } : undefined;
}

export function encodeRow(ev: WatchEvent): string {
  const kv = ev.kv;
  const p = ev.prevKv;
  const prev = p === undefined ? 0 : [p.createRevision, p.modRevision, p.version, p.value, p.lease];
  return JSON.stringify(ev.type === 'PUT' ? [0, kv.key, kv.createRevision, kv.version, kv.value, kv.lease, prev] : [1, kv.key, 0, 0, '', 0, prev]);
}

type Row = [0 | 1, string, number, number, string, number, 0 | [number, number, number, string, number]];

function decodeRow(main: number, text: string): WatchEvent | undefined {
  let row: Row;
  try {
    row = JSON.parse(text) as Row;
  } catch {
    return undefined;
  }
  if (!Array.isArray(row) || row.length !== 7) return undefined;
  const [type, key, createRevision, version, value, lease, prev] = row;
  const kv: KeyValue = Object.freeze({ key, createRevision, modRevision: main, version, value, lease });
  const prevKv: KeyValue | undefined = prev === 0 ? undefined : Object.freeze({ key, createRevision: prev[0], modRevision: prev[1], version: prev[2], value: prev[3], lease: prev[4] });
  const ev: WatchEvent = prevKv === undefined ? { type: type === 0 ? 'PUT' : 'DELETE', kv } : { type: type === 0 ? 'PUT' : 'DELETE', kv, prevKv };
  return Object.freeze(ev);
}

/**
 * A store state from the `key` bucket's rows (in key order) and the finished compaction revision
 * (-1: never compacted). `dropTombstoneAtCompactRev` is the etcd-18089 switch, as the store has it.
 * `atLeastRev`: the current revision is at least this (the scheduled compaction's revision, whose
 * rows an interrupted compaction may have deleted: etcd PR #17864).
 */
export function stateFromRows(rows: Iterable<readonly [string, string]>, compactRev: number, dropTombstoneAtCompactRev: boolean, atLeastRev = 0): KvResult<StoreState> {
  const s = new StoreState();
  const byRev: { main: number; events: WatchEvent[] }[] = [];
  for (const [k, v] of rows) {
    const rev = parseRevisionKey(k);
    if (rev === undefined) return fail('Corrupt', `backend: key bucket row ${JSON.stringify(k)} is not a revision`);
    const ev = decodeRow(rev.main, v);
    if (ev === undefined) return fail('Corrupt', `backend: key bucket row ${k} does not decode`);
    const last = byRev[byRev.length - 1];
    if (last !== undefined && last.main > rev.main) return fail('Corrupt', `backend: key bucket rows out of order at ${k}`);
    if (last === undefined || last.main !== rev.main) byRev.push({ main: rev.main, events: [ev] });
    else last.events.push(ev);
    const ki = s.indexFor(ev.kv.key);
    if (ev.type === 'PUT') ki.put({ main: rev.main, sub: rev.sub, kv: ev.kv });
    else if (ki.latest() !== undefined) ki.tombstone({ main: rev.main, sub: rev.sub });
    else {
      // A tombstone whose put was compacted away: the compaction kept a generation of it alone.
      const gens = ki.generationList().filter((g) => g.length > 0).map((g) => [...g]);
      s.index.set(ev.kv.key, KeyIndex.fromGenerations(ev.kv.key, [...gens, [{ main: rev.main, sub: rev.sub, kv: null }], []]));
    }
  }
  const lastMain = byRev.length === 0 ? INITIAL_REVISION : (byRev[byRev.length - 1] as { main: number }).main;
  s.currentRev = Math.max(lastMain, compactRev, atLeastRev, INITIAL_REVISION);
  s.compactRev = compactRev;
  if (compactRev > INITIAL_REVISION) {
    s.index.editAll((_key, ki) => {
      ki.compact(compactRev, dropTombstoneAtCompactRev);
      return ki.isEmpty() ? { delete: true } : undefined;
    });
  }
  // History: every revision from max(compactRev, 2) to the current one (empty where rows are gone).
  s.historyStart = Math.max(compactRev, INITIAL_REVISION + 1);
  const history: RevisionEvents[] = [];
  let i = 0;
  for (let rev = s.historyStart; rev <= s.currentRev; rev++) {
    while (i < byRev.length && (byRev[i] as { main: number }).main < rev) i++;
    const at = byRev[i];
    if (at !== undefined && at.main === rev) history.push(Object.freeze(at.events));
    else if (rev === compactRev || rev === atLeastRev) history.push(Object.freeze([]));
    else return fail('Corrupt', `backend: no rows for revision ${rev} (history from ${s.historyStart} to ${s.currentRev})`);
  }
  s.history = history;
  return ok(s);
}

/** Rows for every version a store holds (a snapshot's store written into a fresh backend), in key order. */
export function rowsOfState(s: StoreState): [string, string][] {
  const rows: [string, string][] = [];
  s.index.forEachPair((key, ki) => {
    ki.forEachVersion((v) => {
      if (v.main >= s.historyStart) return;
      const kv: KeyValue = v.kv ?? { key, createRevision: 0, modRevision: v.main, version: 0, value: '', lease: 0 };
      rows.push([revisionKey(v.main, v.sub), encodeRow({ type: v.kv === null ? 'DELETE' : 'PUT', kv })]);
    });
  });
  s.history.forEach((events, i) => events.forEach((ev, sub) => rows.push([revisionKey(s.historyStart + i, sub), encodeRow(ev)])));
  return rows.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
