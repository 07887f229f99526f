import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Disk, DiskFaults } from '../../sim/disk.js';
import { createDisks } from '../../sim/disk.js';
import { createHosts } from '../../sim/host.js';
import type { Fields } from '../../sim/trace.js';
import type { Entry, HardState, LogIndex, NodeId, Term } from '../core/types.js';
import { EMPTY_HARD_STATE } from '../core/types.js';
import type { Wal, WalOptions } from './wal.js';
import { createWal, openWal } from './wal.js';
import type { WalMetadata, WalRecord } from './wal-record.js';
import { decodeRecords } from './wal-record.js';
import type { SegmentFile } from './wal-replay.js';
import { entriesAfter, replayWal } from './wal-replay.js';
import { createKernel } from '../../sim/kernel.js';

const DIR = 'member/wal';
const META: WalMetadata = { nodeId: 1 as NodeId, clusterId: 7, peers: [1, 2, 3] as NodeId[], bootstrap: true };

/** One host with a disk, which a test can crash and restart. */
function world(seed: number, faults: Partial<DiskFaults> = {}) {
  const kernel = createKernel({ seed });
  const hosts = createHosts(kernel);
  hosts.add(1);
  hosts.start(1, () => null);
  const disks = createDisks(kernel, hosts, { faults, traceOps: false });
  const events: { kind: string; fields: Fields }[] = [];
  const opts = (segmentBytes: number): WalOptions => ({ dir: DIR, segmentBytes, unsafeNoFsync: false, emit: (kind, fields) => events.push({ kind, fields }) });
  return { hosts, disk: disks.of(1) as Disk, opts, events, kernel };
}

/** A save as a test generates it: entries from `from` (truncating the log there), a hard state, and mustSync. */
interface SaveOp {
  readonly count: number;
  readonly back: number;
  readonly commitDelta: number;
  readonly sync: boolean;
  /** Bytes of each entry's data (default 2), none of them zero. */
  readonly dataBytes?: number;
}
const saveOp: fc.Arbitrary<SaveOp> = fc.record({ count: fc.integer({ min: 0, max: 4 }), back: fc.integer({ min: 0, max: 2 }), commitDelta: fc.integer({ min: 0, max: 2 }), sync: fc.boolean() });
/** Saves whose appends often span sectors, so that a crash can tear one at a sector boundary. */
const bigSaveOp: fc.Arbitrary<SaveOp> = fc.record({ count: fc.integer({ min: 0, max: 3 }), back: fc.integer({ min: 0, max: 2 }), commitDelta: fc.integer({ min: 0, max: 2 }), sync: fc.boolean(), dataBytes: fc.integer({ min: 2, max: 700 }) });

/** The model of what the records say after each one: a log and a hard state. */
interface ModelState {
  readonly entries: readonly Entry[];
  readonly hardState: HardState;
}

/** Runs `ops` against `wal`, returning the model state after every record written, and which of them were fsynced. */
function runSaves(wal: Wal, disk: Disk, ops: readonly SaveOp[]) {
  let log: Entry[] = [];
  let hs: HardState = EMPTY_HARD_STATE;
  let term = 1;
  const states: ModelState[] = [{ entries: [], hardState: EMPTY_HARD_STATE }];
  let syncedStates = 1;
  // The segment a WAL is created or cut with is durable before it gets its name.
  const first = segmentFiles(disk).pop() as SegmentFile;
  let syncedTail = { name: first.name, bytes: first.bytes.length };
  for (const op of ops) {
    // Rewriting an uncommitted suffix needs a new term, as a new leader's entries have.
    const from = Math.max(hs.commit + 1, log.length + 1 - op.back);
    if (from <= log.length) term++;
    const ents: Entry[] = Array.from({ length: op.count }, (_, i) => ({ term: term as Term, index: (from + i) as LogIndex, type: 'normal', data: entryData(from + i, term, op.dataBytes ?? 2) }));
    const last = ents.length > 0 ? from + ents.length - 1 : log.length;
    const next: HardState = { term: term as Term, vote: 0 as NodeId, commit: Math.min(last, hs.commit + op.commitDelta) as LogIndex };
    for (const e of ents) {
      log = [...log.slice(0, e.index - 1), e];
      states.push({ entries: log, hardState: hs });
    }
    hs = next;
    states.push({ entries: log, hardState: hs });
    const res = wal.save(hs, ents, op.sync && ents.length > 0);
    expect(res.ok).toBe(true);
    // After an fsync (asked for, or made by a cut) the tail has no pending write: all so far is durable.
    if (disk.names().every((n) => disk.pendingWrites(n) === 0)) {
      syncedStates = states.length;
      const tail = segmentFiles(disk).pop() as SegmentFile;
      syncedTail = { name: tail.name, bytes: tail.bytes.length };
    }
  }
  return { states, syncedStates, syncedTail };
}

/** `bytes` bytes naming the entry, never zero (a zero sector inside a record would read as torn). */
function entryData(index: number, term: number, bytes: number): Uint8Array {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = ((index * 31 + term * 7 + i) % 255) + 1;
  return data;
}

function segmentFiles(disk: Disk): SegmentFile[] {
  return disk
    .names()
    .filter((p) => p.startsWith(`${DIR}/`) && p.endsWith('.wal'))
    .map((p) => ({ name: p.slice(DIR.length + 1), bytes: disk.peek(p) as Uint8Array }));
}

function stateOf(files: readonly SegmentFile[]): ModelState | string {
  const r = replayWal(files);
  if (!r.ok) return r.error;
  const ents = entriesAfter(r.wal, { index: 0 as LogIndex, term: 0 as Term });
  if (!ents.ok) return ents.error;
  return { entries: ents.entries, hardState: r.wal.hardState };
}

describe('wal', () => {
  it('truncating the last segment at every byte either recovers a written prefix holding every fsynced record, or refuses naming file and offset', () => {
    fc.assert(
      fc.property(fc.array(saveOp, { minLength: 1, maxLength: 14 }), fc.integer({ min: 1, max: 1000 }), (ops, seed) => {
        const w = world(seed);
        const created = createWal(w.disk, w.opts(256), META);
        if (!created.ok) throw new Error(created.error);
        const { states, syncedStates, syncedTail } = runSaves(created.wal, w.disk, ops);
        const files = segmentFiles(w.disk);
        const last = files[files.length - 1] as SegmentFile;
        const lastPath = `${DIR}/${last.name}`;
        // A segment's head (crc, metadata, then the empty snapshot or the last hard state) is
        // fsynced before the segment gets its name: a crash never cuts into it.
        const head = decodeRecords(last.bytes, 0).records;
        const headEnd = (head[2] as { end: number }).end;
        for (let cut = 0; cut <= last.bytes.length; cut++) {
          const truncated = [...files.slice(0, -1), { name: last.name, bytes: last.bytes.subarray(0, cut) }];
          const got = stateOf(truncated);
          if (typeof got === 'string') {
            // Refusing is only right when the cut went into the segment's durable head.
            expect(cut).toBeLessThan(headEnd);
            expect(got).toMatch(new RegExp(`${last.name} offset \\d+|no snapshot record at index 0`));
            continue;
          }
          const at = states.findIndex((s) => sameState(s, got));
          expect(at, `cut ${cut} of ${lastPath} recovered a state that was never written`).toBeGreaterThanOrEqual(0);
          if (cut === last.bytes.length) expect(sameState(got, states[states.length - 1] as ModelState)).toBe(true);
          // A cut that leaves every fsynced byte keeps every fsynced record.
          if (syncedTail.name === last.name && cut >= syncedTail.bytes) expect(latestIndexOf(states, got)).toBeGreaterThanOrEqual(syncedStates - 1);
        }
        // And the untouched WAL holds everything, fsynced or not.
        const full = stateOf(files);
        expect(typeof full !== 'string' && sameState(full, states[states.length - 1] as ModelState)).toBe(true);
        expect(syncedStates).toBeGreaterThan(0);
      }),
      { numRuns: 25 },
    );
  });

  it('after a crash that discards pending writes and tears the last at a sector boundary, open repairs to a prefix of what was written holding everything fsynced', () => {
    let tornAfterDiscard = 0;
    fc.assert(
      fc.property(fc.array(fc.oneof(saveOp, bigSaveOp), { minLength: 1, maxLength: 16 }), fc.array(bigSaveOp, { minLength: 1, maxLength: 4 }), fc.integer({ min: 600, max: 1000 }), fc.constantFrom(1024, 4096, 65536), fc.integer({ min: 1, max: 100_000 }), (ops, pending, lastBytes, segmentBytes, seed) => {
        const w = world(seed, { tornWriteRate: 1 });
        const created = createWal(w.disk, w.opts(segmentBytes), META);
        if (!created.ok) throw new Error(created.error);
        // Unsynced saves, the last holding an entry of more than a sector: a write the crash tears.
        const tail: SaveOp[] = [...pending.map((p) => ({ ...p, sync: false })), { count: 1, back: 0, commitDelta: 1, sync: false, dataBytes: lastBytes }];
        const { states, syncedStates, syncedTail } = runSaves(created.wal, w.disk, [...ops, ...tail]);
        const written = segmentFiles(w.disk);
        const pendingBefore = w.disk.names().reduce((n, p) => n + w.disk.pendingWrites(p), 0);
        w.hosts.crash(1);
        w.hosts.restart(1);
        const crash = w.kernel.trace.events().find((e) => e.kind === 'disk.crash')?.fields;
        // With torn writes always on, a pending write of more than a sector is always torn.
        expect(crash?.['torn']).toBe(pendingBefore > 0);
        expect(crash?.['discarded']).toBe(pendingBefore);
        if (pendingBefore > 1) tornAfterDiscard++;

        const opened = openWal(w.disk, w.opts(segmentBytes));
        if (!opened.ok) throw new Error(opened.error);
        // Record by record, the repaired segments are a prefix of what was written, and that
        // prefix holds every record that was fsynced.
        const got = chainedRecords(segmentFiles(w.disk));
        const all = chainedRecords(written);
        expect(got.map((r) => r.record)).toEqual(all.slice(0, got.length).map((r) => r.record));
        const synced = all.filter((r) => r.name < syncedTail.name || (r.name === syncedTail.name && r.end <= syncedTail.bytes)).length;
        expect(got.length, 'lost an fsynced record').toBeGreaterThanOrEqual(synced);
        // The same, read as a raft log and hard state.
        const ents = entriesAfter(opened.replayed, { index: 0 as LogIndex, term: 0 as Term });
        const state: ModelState = { entries: ents.ok ? ents.entries : [], hardState: opened.replayed.hardState };
        expect(ents.ok).toBe(true);
        expect(latestIndexOf(states, state), 'lost an fsynced record').toBeGreaterThanOrEqual(syncedStates - 1);
        if (opened.replayed.torn !== null) {
          expect(w.disk.names()).toContain(`${DIR}/${opened.replayed.torn.name}.broken`);
          expect(w.events.some((e) => e.kind === 'wal.repair')).toBe(true);
        }
        // The repaired WAL takes appends that survive the next reopen.
        const next: Entry = { term: 99 as Term, index: (state.entries.length + 1) as LogIndex, type: 'normal', data: Uint8Array.of(42) };
        expect(opened.wal.save({ term: 99 as Term, vote: 0 as NodeId, commit: state.hardState.commit }, [next], true).ok).toBe(true);
        const again = openWal(w.disk, w.opts(segmentBytes));
        if (!again.ok) throw new Error(again.error);
        expect(again.replayed.torn).toBeNull();
        const ents2 = entriesAfter(again.replayed, { index: 0 as LogIndex, term: 0 as Term });
        expect(ents2.ok && ents2.entries[ents2.entries.length - 1]).toEqual(next);
      }),
      { numRuns: 60 },
    );
    // The pattern of swarm seed 5 (pending writes discarded, a later one torn) was exercised.
    expect(tornAfterDiscard).toBeGreaterThan(15); // about 35 of the 60 runs
  });

  it('refuses a bit flip in a fully written record of the last segment even when a torn tail follows, naming file and offset', () => {
    fc.assert(
      fc.property(fc.array(bigSaveOp, { minLength: 2, maxLength: 8 }), fc.nat(), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 100_000 }), (ops, at, bit, seed) => {
        const w = world(seed, { tornWriteRate: 1 });
        const created = createWal(w.disk, w.opts(65536), META);
        if (!created.ok) throw new Error(created.error);
        // Everything fsynced, then two unsynced saves that the crash discards and tears.
        const unsynced: SaveOp[] = [{ count: 1, back: 0, commitDelta: 0, sync: false }, { count: 1, back: 0, commitDelta: 0, sync: false, dataBytes: 900 }];
        const { syncedTail } = runSaves(created.wal, w.disk, [...ops.map((o) => ({ ...o, count: Math.max(1, o.count), sync: true })), ...unsynced]);
        w.hosts.crash(1);
        w.hosts.restart(1);
        expect(w.kernel.trace.events().find((e) => e.kind === 'disk.crash')?.fields).toMatchObject({ discarded: 2, torn: true });
        const last = segmentFiles(w.disk).pop() as SegmentFile;
        expect(last.name).toBe(syncedTail.name);
        const fsynced = decodeRecords(last.bytes, 0).records.filter((r) => r.end <= syncedTail.bytes);
        const victim = fsynced[at % fsynced.length] as (typeof fsynced)[number];
        const byte = victim.offset + (at % (victim.end - victim.offset));
        w.disk.flipBit(`${DIR}/${last.name}`, byte, bit);
        const opened = openWal(w.disk, w.opts(65536));
        expect(opened.ok).toBe(false);
        const m = !opened.ok ? new RegExp(`^wal: ${last.name} offset (\\d+): `).exec(opened.error) : null;
        expect(m, opened.ok ? 'opened' : opened.error).not.toBeNull();
        // Found at the damaged frame (or, for a crc record, which seeds the chain, the frame after it).
        expect([victim.offset, victim.end]).toContain(Number(m?.[1]));
        expect(w.disk.names().some((n) => n.endsWith('.broken'))).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it('a bit flip in a non-tail record makes open refuse with the file and offset', () => {
    const w = world(3);
    const created = createWal(w.disk, w.opts(256), META);
    if (!created.ok) throw new Error(created.error);
    runSaves(created.wal, w.disk, Array.from({ length: 12 }, () => ({ count: 3, back: 0, commitDelta: 1, sync: true })));
    const files = segmentFiles(w.disk);
    expect(files.length).toBeGreaterThan(2);
    const victim = files[1] as SegmentFile;
    w.disk.flipBit(`${DIR}/${victim.name}`, 40, 3);
    const opened = openWal(w.disk, w.opts(256));
    expect(opened.ok).toBe(false);
    expect(!opened.ok && opened.error).toMatch(new RegExp(`${victim.name} offset \\d+: `));
  });

  it('refuses the torn signature (zeros, then a later write) in a segment that is not the last', () => {
    const w = world(5);
    const created = createWal(w.disk, w.opts(256), META);
    if (!created.ok) throw new Error(created.error);
    runSaves(created.wal, w.disk, Array.from({ length: 8 }, () => ({ count: 2, back: 0, commitDelta: 1, sync: true })));
    const files = segmentFiles(w.disk);
    expect(files.length).toBeGreaterThan(1);
    const first = files[0] as SegmentFile;
    const frames = decodeRecords(first.bytes, 0).records;
    const gap = frames[frames.length - 2] as (typeof frames)[number];
    const damaged = first.bytes.slice();
    damaged.fill(0, gap.offset, gap.end);
    const r = replayWal([{ name: first.name, bytes: damaged }, ...files.slice(1)]);
    expect(!r.ok && r.error).toBe(`wal: ${first.name} offset ${gap.offset}: zero frame header: ${gap.end - gap.offset} bytes never written, then ${first.bytes.length - gap.end} bytes of a later write (pending writes lost in a crash) in a segment that is not the last`);
    // The same bytes as the last segment are a torn tail to repair.
    const tail = replayWal([{ name: first.name, bytes: damaged }]);
    expect(tail.ok && tail.wal.torn).toMatchObject({ name: first.name, offset: gap.offset });
  });

  it('rolls segments over at the configured size and releases the ones a snapshot covers', () => {
    const w = world(4);
    const created = createWal(w.disk, w.opts(512), META);
    if (!created.ok) throw new Error(created.error);
    const wal = created.wal;
    runSaves(wal, w.disk, Array.from({ length: 60 }, () => ({ count: 3, back: 0, commitDelta: 3, sync: true })));
    const before = wal.segmentNames();
    expect(before.length).toBeGreaterThan(5);
    expect(w.events.filter((e) => e.kind === 'wal.cut')).toHaveLength(before.length - 1);
    const snapIndex = 120 as LogIndex;
    expect(wal.saveSnapshot({ index: snapIndex, term: 1 as Term, confState: { voters: [1 as NodeId], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } }).ok).toBe(true);
    expect(wal.releaseTo(snapIndex).ok).toBe(true);
    const after = wal.segmentNames();
    expect(after.length).toBeLessThan(before.length);
    // The first kept segment may hold the snapshot's index: its first index is below it, the next one's is not.
    const firsts = after.map((n) => Number.parseInt(n.slice(17, 33), 16));
    expect(firsts[0]).toBeLessThan(snapIndex);
    expect(firsts[1]).toBeGreaterThanOrEqual(snapIndex);
    // Reopened, it replays from the snapshot with entries 121.. contiguous.
    const opened = openWal(w.disk, w.opts(512));
    if (!opened.ok) throw new Error(opened.error);
    const ents = entriesAfter(opened.replayed, { index: snapIndex, term: 1 as Term });
    expect(ents.ok && ents.entries[0]?.index).toBe(121);
    expect(ents.ok && ents.entries.length).toBe(180 - 120);
    // The empty snapshot's record went with the first segment: starting from it is refused.
    expect(entriesAfter(opened.replayed, { index: 0 as LogIndex, term: 0 as Term }).ok).toBe(false);
  });
});

function latestIndexOf(states: readonly ModelState[], s: ModelState): number {
  for (let i = states.length - 1; i >= 0; i--) if (sameState(states[i] as ModelState, s)) return i;
  return -1;
}

function sameState(a: ModelState, b: ModelState): boolean {
  if (a.hardState.term !== b.hardState.term || a.hardState.vote !== b.hardState.vote || a.hardState.commit !== b.hardState.commit) return false;
  if (a.entries.length !== b.entries.length) return false;
  return a.entries.every((e, i) => {
    const o = b.entries[i] as Entry;
    return e.index === o.index && e.term === o.term && e.type === o.type && e.data.length === o.data.length && e.data.every((x, j) => x === o.data[j]);
  });
}

/** Every record of the segments, in order, decoded with one running CRC (as replay reads them). */
function chainedRecords(files: readonly SegmentFile[]): { name: string; record: WalRecord; end: number }[] {
  const out: { name: string; record: WalRecord; end: number }[] = [];
  let crc = 0;
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const res = decodeRecords(f.bytes, crc);
    for (const r of res.records) out.push({ name: f.name, record: r.record, end: r.end });
    crc = res.crc;
  }
  return out;
}
