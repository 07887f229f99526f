import { describe, expect, it } from 'vitest';
import { compareOutcomes } from './compare.js';
import type { Answer, Outcome, Sequence, WatchRecord } from './sequence.js';

const outcome = (answers: Answer[]): Outcome => ({ answers, watches: [], progress: [] });
const noReruns = (): Outcome => { throw new Error('no rule here reruns'); };

describe('compareOutcomes: HashKV classes', () => {
  // The shrunk sequence of the failed CI run (seed 1, sequence 15): etcd 3.4.23 refuses HashKV at the
  // compaction revision, raftsim answers it; the later HashKV is the first hash both gave.
  const seq: Sequence = {
    name: 'ci/1-15',
    ops: [
      { method: 'compact', request: { revision: 1 } },
      { method: 'hash-kv', request: { revision: 1 } },
      { method: 'put', request: { key: 'b', value: 'v11' } },
      { method: 'hash-kv', request: { revision: 0 } },
    ],
  };
  const hash = (h: number, rev: number): Answer => ({ ok: true, rev, res: { hash: h, compactRevision: 1 } });
  const etcd = outcome([{ ok: true, rev: 1, res: {} }, { ok: false, code: 'Compacted' }, { ok: true, rev: 2, res: {} }, hash(1762264425, 2)]);

  it('a hash only one target gave does not shift the classes of the later ones', () => {
    const sim = outcome([{ ok: true, rev: 1, res: {} }, hash(11, 1), { ok: true, rev: 2, res: {} }, hash(22, 2)]);
    const diffs = compareOutcomes(seq, etcd, sim, noReruns);
    expect(diffs.map((d) => [d.op, d.known ?? null])).toEqual([[1, 'hashkv-at-compaction']]);
  });

  it('still reports hashes both gave that are equal on one target and not on the other', () => {
    const seq2: Sequence = { ...seq, ops: [...seq.ops, { method: 'hash-kv', request: { revision: 0 } }] };
    const sim = outcome([{ ok: true, rev: 1, res: {} }, hash(11, 1), { ok: true, rev: 2, res: {} }, hash(22, 2), hash(33, 2)]);
    const diffs = compareOutcomes(seq2, outcome([...etcd.answers, hash(1762264425, 2)]), sim, noReruns);
    expect(diffs.map((d) => [d.op, d.path, d.known ?? null])).toEqual([[1, expect.any(String), 'hashkv-at-compaction'], [4, 'res.hash', null]]);
  });
});

describe('compareOutcomes: the watch cancel race of etcd 3.4', () => {
  const seq: Sequence = {
    name: 'ci/1-116',
    ops: [
      { method: 'watch', request: { key: 'a', prevKv: true } },
      { method: 'put', request: { key: 'a', value: '1' } },
      { method: 'delete', request: { key: 'a' } },
      { method: 'watch-cancel', watchId: 0 },
    ],
  };
  const kv = (rev: number, value: string) => ({ key: 'a', createRevision: value === '' ? 0 : 2, modRevision: rev, version: value === '' ? 0 : 1, value, lease: 0 });
  const put = { type: 'PUT' as const, kv: kv(2, '1') };
  const del = { type: 'DELETE' as const, kv: kv(3, ''), prevKv: kv(2, '1') };
  const record = (events: WatchRecord['events']): WatchRecord => ({
    watchId: 0,
    created: { rev: 1, canceled: false, compactRevision: 0, cancelReason: '' },
    events,
    canceled: { compactRevision: 0, cancelReason: '' },
  });
  const answers: Answer[] = [null, { ok: true, rev: 2, res: {} }, { ok: true, rev: 3, res: {} }, { ok: true, rev: 3, res: {} }];
  const sim: Outcome = { answers, watches: [record([put, del])], progress: [] };
  // raftsim with etcd's bugs switched on answers the same here (no compaction, no progress request).
  const run = (etcdEvents: WatchRecord['events']) =>
    compareOutcomes(seq, { answers, watches: [record(etcdEvents)], progress: [] }, sim, () => sim).map((d) => d.known ?? null);

  it('events after the cancel without prevKv, or not sent: known', () => {
    const { prevKv: _p, ...bare } = del;
    expect(run([put, bare])).toEqual(['watch-cancel-race']);
    expect(run([put])).toEqual(['watch-cancel-race']);
  });

  it('any other difference in the events stays unexplained', () => {
    expect(run([put, { ...del, prevKv: kv(2, 'other') }])).toEqual([null]);
    expect(run([{ ...put, kv: kv(2, 'x') }])).toEqual([null]);
  });
});
