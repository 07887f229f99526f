import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Disk, DiskFaults } from '../../sim/disk.js';
import { createDisks } from '../../sim/disk.js';
import { createHosts } from '../../sim/host.js';
import { createRandom } from '../../sim/random.js';
import { createScheduler } from '../../sim/scheduler.js';
import type { Fields } from '../../sim/trace.js';
import { createTrace } from '../../sim/trace.js';
import type { Entry, HardState, LogIndex, NodeId, Term } from '../core/types.js';
import { EMPTY_HARD_STATE } from '../core/types.js';
import type { Wal, WalOptions } from './wal.js';
import { createWal, openWal } from './wal.js';
import type { WalMetadata } from './wal-record.js';
import { decodeRecords } from './wal-record.js';
import type { SegmentFile } from './wal-replay.js';
import { entriesAfter, replayWal } from './wal-replay.js';

const DIR = 'member/wal';
const META: WalMetadata = { nodeId: 1 as NodeId, clusterId: 7, peers: [1, 2, 3] as NodeId[], bootstrap: true };

/** One host with a disk, which a test can crash and restart. */
function world(seed: number, faults: Partial<DiskFaults> = {}) {
  const kernel = { scheduler: createScheduler(), trace: createTrace({ mode: 'keep' }), random: createRandom(seed) };
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
}
const saveOp: fc.Arbitrary<SaveOp> = fc.record({ count: fc.integer({ min: 0, max: 4 }), back: fc.integer({ min: 0, max: 2 }), commitDelta: fc.integer({ min: 0, max: 2 }), sync: fc.boolean() });

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
  let syncedTail = { name: '', bytes: 0 };
  for (const op of ops) {
    // Rewriting an uncommitted suffix needs a new term, as a new leader's entries have.
    const from = Math.max(hs.commit + 1, log.length + 1 - op.back);
    if (from <= log.length) term++;
    const ents: Entry[] = Array.from({ length: op.count }, (_, i) => ({ term: term as Term, index: (from + i) as LogIndex, type: 'normal', data: Uint8Array.of(from + i, term) }));
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

  it('after a crash (torn writes on), reopening repairs the tail, keeps every fsynced record and invents none', () => {
    fc.assert(
      fc.property(fc.array(saveOp, { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 100_000 }), (ops, seed) => {
        const w = world(seed, { tornWriteRate: 1 });
        const created = createWal(w.disk, w.opts(300), META);
        if (!created.ok) throw new Error(created.error);
        const { states, syncedStates } = runSaves(created.wal, w.disk, ops);
        w.hosts.crash(1);
        w.hosts.restart(1);
        const opened = openWal(w.disk, w.opts(300));
        if (!opened.ok) throw new Error(opened.error);
        const ents = entriesAfter(opened.replayed, { index: 0 as LogIndex, term: 0 as Term });
        expect(ents.ok).toBe(true);
        const got: ModelState = { entries: ents.ok ? ents.entries : [], hardState: opened.replayed.hardState };
        const at = states.findIndex((s) => sameState(s, got));
        expect(at, 'recovered a state that was never written').toBeGreaterThanOrEqual(0);
        // Some state at or after the last fsync: nothing fsynced was lost. (States may repeat, so
        // look for the latest equal one.)
        const latest = latestIndexOf(states, got);
        expect(latest, 'lost an fsynced record').toBeGreaterThanOrEqual(syncedStates - 1);
        if (opened.replayed.torn !== null) {
          expect(w.disk.names()).toContain(`${DIR}/${opened.replayed.torn.name}.broken`);
          expect(w.events.some((e) => e.kind === 'wal.repair')).toBe(true);
        }
        // The repaired WAL takes appends that survive the next reopen.
        const tail: Entry = { term: 99 as Term, index: (got.entries.length + 1) as LogIndex, type: 'normal', data: Uint8Array.of(42) };
        expect(opened.wal.save({ term: 99 as Term, vote: 0 as NodeId, commit: got.hardState.commit }, [tail], true).ok).toBe(true);
        const again = openWal(w.disk, w.opts(300));
        if (!again.ok) throw new Error(again.error);
        expect(again.replayed.torn).toBeNull();
        const ents2 = entriesAfter(again.replayed, { index: 0 as LogIndex, term: 0 as Term });
        expect(ents2.ok && ents2.entries[ents2.entries.length - 1]).toEqual(tail);
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
