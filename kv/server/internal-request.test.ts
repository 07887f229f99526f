import { describe, expect, it } from 'vitest';
import { InvariantViolation } from '../../sim/assert.js';
import { DECODED_MAX, decodeRaftRequest, encodeRaftRequest, type RaftRequest } from './internal-request.js';

const put = (id: number): RaftRequest => ({ header: { id, memberId: 1 }, body: { kind: 'put', request: { key: `k${id}`, value: 'v' } } });

describe('decodeRaftRequest', () => {
  it('decodes the same bytes once: every member applying one entry gets the same frozen request', () => {
    const bytes = encodeRaftRequest(put(7));
    const a = decodeRaftRequest(bytes);
    const b = decodeRaftRequest(bytes);
    expect(b).toBe(a);
    expect(a).toEqual(put(7));
    expect(Object.isFrozen(a) && Object.isFrozen(a.body) && Object.isFrozen(a.body.request)).toBe(true);
    // A member cannot change what another applies.
    expect(() => {
      (a.body.request as { key: string }).key = 'other';
    }).toThrow(TypeError);
  });

  it('a copy of the bytes (a restart reads its WAL afresh) decodes to an equal request of its own', () => {
    const bytes = encodeRaftRequest(put(8));
    const copy = bytes.slice();
    expect(decodeRaftRequest(copy)).not.toBe(decodeRaftRequest(bytes));
    expect(decodeRaftRequest(copy)).toEqual(decodeRaftRequest(bytes));
  });

  it('forgets the oldest past its bound, and decodes it again to an equal request', () => {
    const first = encodeRaftRequest(put(1));
    const decoded = decodeRaftRequest(first);
    for (let i = 0; i < DECODED_MAX; i++) decodeRaftRequest(encodeRaftRequest(put(100 + i)));
    const again = decodeRaftRequest(first);
    expect(again).not.toBe(decoded);
    expect(again).toEqual(decoded);
  });

  it('bytes that are not a request of this cluster are a broken invariant', () => {
    const enc = new TextEncoder();
    expect(() => decodeRaftRequest(enc.encode('{"header":{"id":1,"memberId":1},"body":{"kind":"nope"}}'))).toThrow(InvariantViolation);
    expect(() => decodeRaftRequest(enc.encode('{"header":{"memberId":1},"body":{"kind":"put"}}'))).toThrow(InvariantViolation);
  });
});
