import { describe, expect, it } from 'vitest';
import type { KeyValue } from '../api.js';
import { checkSerializableReads } from './serializable-reads.js';
import type { Operation } from '../../sim/history.js';
import type { CommittedRevision } from '../../sim/check/watch.js';

const kv = (key: string, value: string, create: number, mod: number, version: number): KeyValue => ({ key, value, createRevision: create, modRevision: mod, version, lease: 0 });
const A2 = kv('a', '1', 2, 2, 1);
const A3 = kv('a', '2', 2, 3, 2);
const committed: CommittedRevision[] = [
  { revision: 2, at: 10, events: [{ type: 'PUT', kv: A2 }] },
  { revision: 3, at: 20, events: [{ type: 'PUT', kv: A3, prevKv: A2 }] },
];

function read(id: number, revision: number, kvs: KeyValue[], call: number, ret: number, extra: object = {}): Operation {
  return { id, client: id, op: 'range', key: 'a', input: { key: 'a', serializable: true, ...extra }, call, return: ret, status: 'ok', output: { revision, kvs, more: false, count: kvs.length } };
}

describe('serializable reads', () => {
  it('accepts stale reads that show a real past state', () => {
    const r = checkSerializableReads([read(0, 1, [], 30, 31), read(1, 2, [A2], 30, 32), read(2, 3, [A3], 25, 26)], committed);
    expect(r).toEqual({ ok: true, checked: 3, violations: [] });
  });

  it('rejects a response that is not the state at its revision', () => {
    const r = checkSerializableReads([read(0, 3, [A2], 30, 31)], committed);
    expect(r.violations.map((v) => [v.op, v.revision])).toEqual([[0, 3]]);
    expect(r.violations[0]?.message).toMatch(/at revision 3 returned a="1"@2, but the store then held a="2"@3/);
  });

  it('rejects a revision that was not committed yet when the read returned', () => {
    const r = checkSerializableReads([read(0, 3, [A3], 12, 15)], committed);
    expect(r.violations.map((v) => v.message)).toEqual(['serializable read of a answered at revision 3, but when it returned (t=15) only revision 2 was committed']);
  });

  it('judges a read at a past revision by that revision', () => {
    const ok = checkSerializableReads([read(0, 3, [A2], 30, 31, { revision: 2 })], committed);
    expect(ok.ok).toBe(true);
    const bad = checkSerializableReads([read(0, 3, [A3], 30, 31, { revision: 2 })], committed);
    expect(bad.ok).toBe(false);
  });

  it('ignores linearizable ranges and failed ones', () => {
    const lin: Operation = { ...read(0, 3, [A2], 30, 31), input: { key: 'a' } };
    const failed: Operation = { ...read(1, 3, [A2], 30, 31), status: 'fail' };
    expect(checkSerializableReads([lin, failed], committed)).toEqual({ ok: true, checked: 0, violations: [] });
  });
});
