import { describe, expect, it } from 'vitest';
import type { HostId } from '../sim/host.js';
import type { Member } from '../kv/member.js';
import { AppliedLog } from './history-checks.js';

/** A member whose last applied write is the one given (all AppliedLog reads of it). */
function memberWith(index: number, revision: number): Member {
  const w = { index, revision, ok: true, events: [{ type: 'PUT', kv: { key: 'k', value: String(revision), createRevision: 2, modRevision: revision, version: 1, lease: 0 } }] };
  return { appliedWrites: () => [w] } as unknown as Member;
}

describe('AppliedLog', () => {
  it('merges every member incarnation into one record per revision, the earliest apply time kept', () => {
    const log = new AppliedLog();
    const steps: [number, number, number][] = [[1, 1, 2], [2, 1, 2], [1, 1, 3], [1, 2, 4], [2, 1, 3], [1, 2, 5], [3, 1, 2], [2, 1, 4]];
    steps.forEach(([id, incarnation, revision], i) => log.record(id as HostId, incarnation, memberWith(i, revision), i, i * 10));
    const merged = log.merged();
    expect(merged.committed.map((c) => [c.revision, c.at])).toEqual([[2, 0], [3, 20], [4, 30], [5, 50]]);
    expect(merged.divergences).toEqual([]);
  });

  it('numbers member incarnations in order of their first write, whatever order hosts interleave in', () => {
    const log = new AppliedLog();
    const put = (index: number, revision: number, value: string): Member => {
      const w = { index, revision, ok: true, events: [{ type: 'PUT', kv: { key: 'k', value, createRevision: 2, modRevision: revision, version: 1, lease: 0 } }] };
      return { appliedWrites: () => [w] } as unknown as Member;
    };
    log.record(2 as HostId, 1, put(1, 2, 'a'), 1, 0); // #0: host 2, incarnation 1
    log.record(1 as HostId, 1, put(1, 2, 'a'), 1, 5); // #1: host 1, incarnation 1
    log.record(1 as HostId, 2, put(2, 3, 'b'), 2, 10); // #2: host 1, incarnation 2
    log.record(2 as HostId, 1, put(2, 3, 'c'), 2, 20);
    expect(log.merged().divergences).toEqual([expect.stringMatching(/^revision 3: member #2 applied .*"b".*, member #0 applied .*"c"/)]);
  });

  it('skips an entry whose write is not the last applied one, or changed nothing', () => {
    const log = new AppliedLog();
    log.record(1 as HostId, 1, memberWith(7, 2), 8, 0);
    log.record(1 as HostId, 1, { appliedWrites: () => [{ index: 9, revision: 2, ok: true, events: [] }] } as unknown as Member, 9, 0);
    expect(log.merged()).toEqual({ committed: [], divergences: [] });
  });
});
