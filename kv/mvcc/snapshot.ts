/**
 * The MVCC store as bytes, for raft snapshots: everything needed to rebuild an equal store (same
 * reads at every retained revision, same history for watchers, same hashKV).
 *
 * Layout: one header line `raftsim-mvcc/1 <fnv1a of the body, hex>` then a JSON body. Each KeyValue is
 * written once in a table and referred to by position, since the index and the event history share
 * the same immutable objects. Encoding walks keys in order, so equal stores give equal bytes.
 *
 *   body = { currentRev, compactRev, historyStart,
 *            kvs:     [[key, createRevision, modRevision, version, value, lease], …],
 *            keys:    [[key, [[main, sub, kvRef, main, sub, kvRef, …] per generation]], …],   kvRef -1 = tombstone
 *            history: [[type, kvRef | key, prevRef, …] per revision] }                      type 0 PUT, 1 DELETE; prevRef -1 = none
 */
import type { KeyValue, KvResult, WatchEvent } from '../api.js';
import { fail, ok } from './errors.js';
import { hashString } from './hash.js';
import { KeyIndex, type IndexedVersion } from './key-index.js';
import { StoreState, type RevisionEvents } from './store-state.js';

const MAGIC = 'raftsim-mvcc/1';

type KvRow = [string, number, number, number, string, number];
interface Body {
  currentRev: number;
  compactRev: number;
  historyStart: number;
  kvs: KvRow[];
  keys: [string, number[][]][];
  history: (string | number)[][];
}

const encoder = new TextEncoder();

export function encodeSnapshot(s: StoreState): Uint8Array {
  const json = bodyJson(s);
  return encoder.encode(`${MAGIC} ${hashString(json).toString(16)}\n${json}`);
}

/**
 * The body's JSON text, byte for byte what `JSON.stringify` gives for the `Body` object (the
 * decoder parses it as one), written directly instead: every member encodes its whole store every
 * `snapshotCount` entries, and building the nested arrays first cost more than the rest of it. The
 * numbers written with `String` are integers the store made itself (revisions, sub-revisions,
 * references), for which it and JSON agree; strings and kv rows go through `JSON.stringify`.
 */
function bodyJson(s: StoreState): string {
  const encoding = ++encodings;
  const kvRows: string[] = [];
  const ref = (kv: KeyValue | null | undefined): number => {
    if (kv === null || kv === undefined) return -1;
    const slot = slotOf(kv);
    if (slot.encoding !== encoding) {
      slot.encoding = encoding;
      slot.ref = kvRows.length;
      kvRows.push(slot.row);
    }
    return slot.ref;
  };
  // The keys, then the history, as in the Body: references are numbered in that walk order.
  const keys: string[] = [];
  s.index.forEachPair((key, ki) => {
    const gens: string[] = [];
    for (const gen of ki.generationList()) {
      const flat: string[] = [];
      for (const v of gen) flat.push(`${v.main},${v.sub},${ref(v.kv)}`);
      gens.push(`[${flat.join(',')}]`);
    }
    keys.push(`[${JSON.stringify(key)},[${gens.join(',')}]]`);
  });
  const history: string[] = [];
  for (const events of s.history) {
    const flat: string[] = [];
    for (const ev of events) {
      // Tombstones are written as their key alone (the decoder rebuilds them), so they get no reference.
      flat.push(ev.type === 'PUT' ? `0,${ref(ev.kv)},${ref(ev.prevKv)}` : `1,${JSON.stringify(ev.kv.key)},${ref(ev.prevKv)}`);
    }
    history.push(`[${flat.join(',')}]`);
  }
  // One join, not `+`: it gives a flat string, which the checksum walks several times faster than a rope.
  return [
    `{"currentRev":${s.currentRev},"compactRev":${s.compactRev},"historyStart":${s.historyStart},"kvs":[`, kvRows.join(','),
    '],"keys":[', keys.join(','), '],"history":[', history.join(','), ']}',
  ].join('');
}

/**
 * What the encoder keeps of a KeyValue: its row of the `kvs` table as JSON, and its reference in
 * the body being written (`encoding` names that body). A store's KeyValues are frozen, so the row
 * never changes, and each snapshot would otherwise write every retained version again; one lookup
 * here also stands in for a per-body map from KeyValue to reference. Weak, so a slot goes when its
 * version is compacted away.
 */
interface KvSlot {
  readonly row: string;
  ref: number;
  encoding: number;
}

const kvSlots = new WeakMap<KeyValue, KvSlot>();
/** Bodies written so far in this process: a slot whose `encoding` is not the current one has no reference yet. */
let encodings = 0;

function slotOf(kv: KeyValue): KvSlot {
  let slot = kvSlots.get(kv);
  if (slot === undefined) {
    const row: KvRow = [kv.key, kv.createRevision, kv.modRevision, kv.version, kv.value, kv.lease];
    slot = { row: JSON.stringify(row), ref: -1, encoding: 0 };
    kvSlots.set(kv, slot);
  }
  return slot;
}

/** A snapshot that does not decode: the message says where. */
class Corrupt extends Error {}

function check(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Corrupt(what);
}

export function decodeSnapshot(bytes: Uint8Array): KvResult<StoreState> {
  try {
    return ok(buildState(parseBody(bytes)));
  } catch (err) {
    if (err instanceof Corrupt || err instanceof SyntaxError) return fail('Corrupt', `mvcc snapshot: ${err.message}`);
    throw err;
  }
}

function parseBody(bytes: Uint8Array): Body {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const nl = text.indexOf('\n');
  check(nl > 0, 'no header line');
  const [magic, sum] = text.slice(0, nl).split(' ');
  check(magic === MAGIC, `unknown format "${magic ?? ''}"`);
  const json = text.slice(nl + 1);
  check(sum === hashString(json).toString(16), 'checksum mismatch');
  const body = JSON.parse(json) as Body;
  check(typeof body === 'object' && body !== null, 'body is not an object');
  for (const f of ['currentRev', 'compactRev', 'historyStart'] as const) check(Number.isSafeInteger(body[f]), `${f} is not an integer`);
  check(Array.isArray(body.kvs) && Array.isArray(body.keys) && Array.isArray(body.history), 'kvs, keys or history is not a list');
  return body;
}

function buildState(body: Body): StoreState {
  const kvs = body.kvs.map((row, i) => decodeKv(row, i));
  const kvAt = (i: unknown, where: string): KeyValue | undefined => {
    if (i === -1) return undefined;
    check(typeof i === 'number' && kvs[i] !== undefined, `${where}: bad kv reference ${String(i)}`);
    return kvs[i];
  };
  const s = new StoreState();
  s.currentRev = body.currentRev;
  s.compactRev = body.compactRev;
  s.historyStart = body.historyStart;
  for (const entry of body.keys) {
    check(Array.isArray(entry) && typeof entry[0] === 'string' && Array.isArray(entry[1]), 'bad key entry');
    const [key, gens] = entry;
    s.index.set(key, KeyIndex.fromGenerations(key, gens.map((flat, g) => decodeGeneration(flat, `keys["${key}"][${g}]`, kvAt))));
  }
  s.history = body.history.map((flat, i) => decodeEvents(flat, body.historyStart + i, kvAt));
  return s;
}

function decodeKv(row: KvRow, i: number): KeyValue {
  check(Array.isArray(row) && row.length === 6, `kvs[${i}] is not a 6-tuple`);
  const [key, createRevision, modRevision, version, value, lease] = row;
  check(typeof key === 'string' && typeof value === 'string', `kvs[${i}]: key or value not a string`);
  check([createRevision, modRevision, version, lease].every(Number.isSafeInteger), `kvs[${i}]: a number field is not an integer`);
  return Object.freeze({ key, createRevision, modRevision, version, value, lease });
}

type KvAt = (i: unknown, where: string) => KeyValue | undefined;

function decodeGeneration(flat: number[], where: string, kvAt: KvAt): IndexedVersion[] {
  check(Array.isArray(flat) && flat.length % 3 === 0, `${where}: not a list of triples`);
  const gen: IndexedVersion[] = [];
  for (let i = 0; i < flat.length; i += 3) {
    const main = flat[i];
    const sub = flat[i + 1];
    check(Number.isSafeInteger(main) && Number.isSafeInteger(sub), `${where}: bad revision`);
    gen.push({ main: main as number, sub: sub as number, kv: kvAt(flat[i + 2], where) ?? null });
  }
  return gen;
}

function decodeEvents(flat: (string | number)[], rev: number, kvAt: KvAt): RevisionEvents {
  const where = `history[${rev}]`;
  check(Array.isArray(flat) && flat.length % 3 === 0, `${where}: not a list of triples`);
  const events: WatchEvent[] = [];
  for (let i = 0; i < flat.length; i += 3) {
    const prevKv = kvAt(flat[i + 2], where);
    let ev: WatchEvent;
    if (flat[i] === 0) {
      const kv = kvAt(flat[i + 1], where);
      check(kv !== undefined, `${where}: PUT without a value`);
      ev = prevKv === undefined ? { type: 'PUT', kv } : { type: 'PUT', kv, prevKv };
    } else {
      const key = flat[i + 1];
      check(flat[i] === 1 && typeof key === 'string', `${where}: bad event`);
      const kv: KeyValue = Object.freeze({ key, createRevision: 0, modRevision: rev, version: 0, value: '', lease: 0 });
      ev = prevKv === undefined ? { type: 'DELETE', kv } : { type: 'DELETE', kv, prevKv };
    }
    events.push(Object.freeze(ev));
  }
  return Object.freeze(events);
}
