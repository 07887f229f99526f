/** The raft log and its unstable tail (etcd's log_test.go, log_unstable_test.go). */
import { describe, expect, it } from 'vitest';
import { RaftLog } from './log.js';
import { Unstable } from './log-unstable.js';
import { MemoryStorage } from './storage.js';
import type { Entry, LogIndex, Term } from './types.js';
import { EMPTY_CONF_STATE } from './types.js';

const e = (t: number, i: number): Entry => ({ term: t as Term, index: i as LogIndex, type: 'normal', data: new Uint8Array(0) });
const L = (i: number): LogIndex => i as LogIndex;
const T = (t: number): Term => t as Term;

function logWith(terms: number[]): RaftLog {
  const s = new MemoryStorage();
  s.append(terms.map((t, i) => e(t, i + 1)));
  return new RaftLog(s, Number.MAX_SAFE_INTEGER);
}

describe('RaftLog', () => {
  it('termOrError agrees with term() across compacted, stored, unstable and missing indexes', () => {
    const s = new MemoryStorage();
    s.append([1, 1, 2, 2, 3].map((t, i) => e(t, i + 1)));
    s.compact(L(2));
    const log = new RaftLog(s, Number.MAX_SAFE_INTEGER);
    log.append([e(3, 6), e(4, 7)]);
    for (let i = 0; i <= 9; i++) {
      const t = log.term(L(i));
      expect(log.termOrError(L(i))).toBe(t.ok ? t.value : t.error);
    }
    expect([log.termOrError(L(1)), log.termOrError(L(2)), log.termOrError(L(7)), log.termOrError(L(8))]).toEqual(['compacted', 1, 4, 'unavailable']);
    expect([log.matchTerm({ index: L(7), term: T(4) }), log.matchTerm({ index: L(8), term: T(4) })]).toEqual([true, false]);
  });

  it('findConflict: first conflicting or new index, 0 when all present', () => {
    const log = logWith([1, 2, 3]);
    expect(log.findConflict([e(1, 1), e(2, 2)])).toBe(0);
    expect(log.findConflict([e(2, 2), e(3, 3), e(4, 4)])).toBe(4);
    expect(log.findConflict([e(1, 1), e(4, 2)])).toBe(2);
  });

  it('findConflictByTerm: the largest index at or below with a term at or below', () => {
    const log = logWith([1, 1, 3, 3, 5, 5]);
    expect(log.findConflictByTerm(L(6), T(4))).toEqual({ index: 4, term: 3 });
    expect(log.findConflictByTerm(L(6), T(5))).toEqual({ index: 6, term: 5 });
    expect(log.findConflictByTerm(L(4), T(2))).toEqual({ index: 2, term: 1 });
    expect(log.findConflictByTerm(L(3), T(0))).toEqual({ index: 0, term: 0 });
  });

  it('maybeAppend: appends after a match, truncates conflicts, never below commit', () => {
    const log = logWith([1, 2, 3]);
    expect(log.maybeAppend({ index: L(3), term: T(2) }, L(3), [e(4, 4)])).toBeNull();
    expect(log.maybeAppend({ index: L(2), term: T(2) }, L(2), [e(4, 3)])).toBe(3);
    expect(log.lastTerm()).toBe(4);
    expect(log.committed).toBe(2);
    expect(() => log.maybeAppend({ index: L(1), term: T(1) }, L(2), [e(9, 2)])).toThrow(/conflicts with committed/);
  });

  it('maybeCommit only commits an entry of the given term (Figure 8)', () => {
    const log = logWith([1, 2, 3]);
    expect(log.maybeCommit(L(2), T(3))).toBe(false);
    expect(log.maybeCommit(L(3), T(3))).toBe(true);
    expect(log.committed).toBe(3);
    expect(log.maybeCommit(L(2), T(2))).toBe(false);
  });

  it('isUpToDate compares last term, then last index', () => {
    const log = logWith([1, 2, 2]);
    expect(log.isUpToDate({ index: L(1), term: T(3) })).toBe(true);
    expect(log.isUpToDate({ index: L(3), term: T(2) })).toBe(true);
    expect(log.isUpToDate({ index: L(2), term: T(2) })).toBe(false);
    expect(log.isUpToDate({ index: L(9), term: T(1) })).toBe(false);
  });

  it('slice: the longest prefix within the size limit (never empty), stored, unstable or across both', () => {
    const s = new MemoryStorage();
    const sized = (t: number, i: number, n: number): Entry => ({ ...e(t, i), data: new Uint8Array(n) });
    s.append([sized(1, 1, 3), sized(1, 2, 10), sized(1, 3, 1), sized(2, 4, 7)]);
    const log = new RaftLog(s, Number.MAX_SAFE_INTEGER);
    log.append([sized(2, 5, 2), sized(3, 6, 9), sized(3, 7, 0)]);
    const all = [...(s.entries(L(1), L(5), Number.MAX_SAFE_INTEGER) as { value: readonly Entry[] }).value, ...log.nextUnstableEnts()];
    for (let lo = 1; lo <= 8; lo++) {
      for (let hi = lo; hi <= 8; hi++) {
        for (const max of [0, 8, 15, 20, 30, 60, 1000]) {
          // Brute force: entries of [lo, hi) while the running size stays within max, at least one.
          const want: number[] = [];
          let size = 0;
          for (const x of all.slice(lo - 1, hi - 1)) {
            size += RaftLog.sizeBytes([x]);
            if (want.length > 0 && size > max) break;
            want.push(x.index);
          }
          const got = log.slice(L(lo), L(hi), max);
          expect(got.ok && got.value.map((x) => x.index)).toEqual(want);
        }
      }
    }
  });

  it('hands committed entries out within the applying budget and pauses when it is used up', () => {
    const s = new MemoryStorage();
    s.append([e(1, 1), e(1, 2), e(1, 3)]);
    const log = new RaftLog(s, 8); // each empty entry encodes to 6 bytes
    log.commitTo(L(3));
    const first = log.nextCommittedEnts(true);
    expect(first.map((x) => x.index)).toEqual([1]);
    log.acceptApplying(L(1), RaftLog.sizeBytes(first), true);
    expect(log.hasNextCommittedEnts(true)).toBe(false);
    log.appliedTo(L(1), RaftLog.sizeBytes(first));
    expect(log.nextCommittedEnts(true).map((x) => x.index)).toEqual([2]);
  });

  it('a pending snapshot holds back committed entries and sets the log bounds', () => {
    const log = logWith([1, 1]);
    log.restore({ metadata: { index: L(5), term: T(2), confState: EMPTY_CONF_STATE }, data: new Uint8Array(0) });
    expect([log.firstIndex(), log.lastIndex(), log.committed]).toEqual([6, 5, 5]);
    expect(log.hasNextCommittedEnts(true)).toBe(false);
    expect(log.term(L(5))).toEqual({ ok: true, value: 2 });
  });
});

describe('Unstable', () => {
  it('truncateAndAppend: append, replace from before the offset, or truncate in the middle', () => {
    const u = new Unstable(L(5));
    u.truncateAndAppend([e(1, 5), e(1, 6)]);
    u.truncateAndAppend([e(1, 7)]);
    expect(u.entries.map((x) => x.index)).toEqual([5, 6, 7]);
    u.acceptInProgress();
    u.truncateAndAppend([e(2, 6)]);
    expect(u.entries.map((x) => `${x.term}/${x.index}`)).toEqual(['1/5', '2/6']);
    // Only entries before the truncation stay in progress.
    expect(u.offsetInProgress).toBe(6);
    u.truncateAndAppend([e(3, 4)]);
    expect([u.offset, u.entries.length]).toEqual([4, 1]);
  });

  it('stableTo ignores an entry replaced while it was being written (ABA)', () => {
    const u = new Unstable(L(5));
    u.truncateAndAppend([e(1, 5), e(1, 6)]);
    u.acceptInProgress();
    u.truncateAndAppend([e(2, 6)]);
    u.stableTo(L(6), T(1));
    expect(u.entries.length).toBe(2);
    u.stableTo(L(5), T(1));
    expect([u.offset, u.entries.length]).toEqual([6, 1]);
  });

  it('hasNextEntries says whether nextEntries has any, without copying them', () => {
    const u = new Unstable(L(5));
    expect([u.hasNextEntries(), u.nextEntries().length]).toEqual([false, 0]);
    u.truncateAndAppend([e(1, 5), e(1, 6)]);
    expect([u.hasNextEntries(), u.nextEntries().length]).toEqual([true, 2]);
    u.acceptInProgress();
    expect([u.hasNextEntries(), u.nextEntries().length]).toEqual([false, 0]);
    u.truncateAndAppend([e(1, 7)]);
    expect([u.hasNextEntries(), u.nextEntries().map((x) => x.index)]).toEqual([true, [7]]);
  });
});
