/** Flow control (etcd's tracker/progress_test.go, inflights_test.go). */
import { describe, expect, it } from 'vitest';
import { Inflights } from './inflights.js';
import { Progress } from './progress.js';
import type { LogIndex } from './types.js';

const L = (i: number): LogIndex => i as LogIndex;
const pr = (match: number, next: number, size = 3): Progress => new Progress({ match: L(match), next: L(next), inflights: new Inflights(size, Number.MAX_SAFE_INTEGER), isLearner: false });

describe('Inflights', () => {
  it('fills to its size, frees in order up to an index, and bounds bytes', () => {
    const inf = new Inflights(3, Number.MAX_SAFE_INTEGER);
    inf.add(L(1), 10);
    inf.add(L(2), 10);
    inf.add(L(3), 10);
    expect(inf.full()).toBe(true);
    expect(() => inf.add(L(4), 1)).toThrow(/full/);
    inf.freeLE(L(2));
    expect([inf.count(), inf.bytes(), inf.full()]).toEqual([1, 10, false]);
    inf.add(L(4), 1);
    inf.add(L(5), 1);
    inf.freeLE(L(9));
    expect(inf.count()).toBe(0);
    const byBytes = new Inflights(100, 15);
    byBytes.add(L(1), 10);
    expect(byBytes.full()).toBe(false);
    byBytes.add(L(2), 10);
    expect(byBytes.full()).toBe(true);
  });
});

describe('Progress', () => {
  it('replicate: next runs ahead; a full window pauses; an ack frees it', () => {
    const p = pr(5, 6, 2);
    p.becomeReplicate();
    p.sentEntries(3, 3);
    expect([p.next, p.isPaused()]).toEqual([9, false]);
    p.sentEntries(1, 1);
    expect([p.next, p.isPaused()]).toEqual([10, true]);
    expect(p.maybeUpdate(L(8))).toBe(true);
    p.inflights.freeLE(L(8));
    expect(p.isPaused()).toBe(false);
    expect(p.maybeUpdate(L(7))).toBe(false);
  });

  it('probe: one message, then paused until a response', () => {
    const p = pr(5, 6);
    p.sentEntries(1, 1);
    expect([p.next, p.isPaused()]).toEqual([6, true]);
    expect(p.maybeDecrTo(L(4), L(4))).toBe(false); // stale: not next - 1
    expect(p.maybeDecrTo(L(5), L(5))).toBe(true);
    expect(p.isPaused()).toBe(false);
  });

  it('maybeDecrTo: replicate falls back to match + 1; probe uses the hint, never below match + 1', () => {
    const r = pr(5, 10);
    r.becomeReplicate();
    r.next = L(10);
    expect(r.maybeDecrTo(L(4), L(4))).toBe(false);
    expect(r.maybeDecrTo(L(9), L(2))).toBe(true);
    expect(r.next).toBe(6);
    const p = pr(0, 10);
    expect(p.maybeDecrTo(L(9), L(3))).toBe(true);
    expect(p.next).toBe(4);
  });

  it('a snapshot pauses everything; leaving it probes past the snapshot', () => {
    const p = pr(1, 5);
    p.becomeSnapshot(L(10));
    expect([p.isPaused(), p.next]).toEqual([true, 11]);
    p.becomeProbe();
    expect([p.state, p.next, p.isPaused()]).toEqual(['probe', 11, false]);
    expect(() => new Progress({ match: L(5), next: L(5), inflights: new Inflights(1, 1), isLearner: false })).toThrow(/match 5 < next 5/);
  });
});
