import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvariantViolation } from '../../sim/assert.js';
import { DECODED_MAX, decodeRaftRequest, encodeRaftRequest, jsonCopy, type RaftRequest } from './internal-request.js';

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

describe('encodeRaftRequest remembers its decoding', () => {
  const parse = (bytes: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(bytes));

  it('hands out, without parsing, what parsing the bytes gives: equal, deeply frozen, in key order', () => {
    const r: RaftRequest = {
      header: { id: 2 ** 40 + 3, memberId: 2, leaderTerm: 4 },
      body: {
        kind: 'txn',
        request: {
          compare: [{ key: 'a', target: 'VALUE', result: 'EQUAL', value: 'é\u2028"' }],
          success: [{ type: 'put', request: { key: 'a', value: '\ud800 lone', lease: 0, prevKv: true } }],
          failure: [{ type: 'txn', request: { compare: [], success: [{ type: 'range', request: { key: 'b', rangeEnd: '\0' } }], failure: [] } }],
        },
      },
    };
    const bytes = encodeRaftRequest(r);
    const decoded = decodeRaftRequest(bytes);
    expect(decoded).toStrictEqual(parse(bytes));
    expect(JSON.stringify(decoded)).toBe(new TextDecoder().decode(bytes));
    const frozen = (v: unknown): boolean => typeof v !== 'object' || v === null || (Object.isFrozen(v) && Object.values(v).every(frozen));
    expect(frozen(decoded)).toBe(true);
    expect(decoded).not.toBe(r);
  });

  it('leaves out what JSON leaves out, as JSON does', () => {
    const odd = { header: { id: 5, memberId: 1 }, body: { kind: 'put', request: { key: 'k', value: 'v', lease: undefined, f: () => 1, n: -0, nan: Number.NaN, list: [undefined, Infinity, , 2] } } };
    const bytes = encodeRaftRequest(odd as unknown as RaftRequest);
    expect(decodeRaftRequest(bytes)).toStrictEqual(parse(bytes));
  });

  it('copies plain data as a JSON round trip does, and refuses what it cannot copy that way', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withSparseArray: true, withBoxedValues: true, withDate: true, withMap: true, withBigInt: false, withObjectString: true, maxDepth: 4 }), (v) => {
        const copy = jsonCopy(v, 0);
        if (typeof copy === 'symbol') return; // NOT_PLAIN: left to JSON.parse
        const text = JSON.stringify(v);
        if (text === undefined) {
          expect(copy).toBeUndefined();
          return;
        }
        expect(copy).toStrictEqual(JSON.parse(text));
        expect(JSON.stringify(copy)).toBe(text); // same key order
      }),
      { numRuns: 500 },
    );
    expect(typeof jsonCopy(new Date(0), 0)).toBe('symbol');
    expect(typeof jsonCopy(JSON.parse('{"__proto__":1}'), 0)).toBe('symbol');
    expect(typeof jsonCopy({ toJSON: () => 1 }, 0)).toBe('symbol');
  });

  it('lets a request that would not decode fail on apply, as before', () => {
    const bytes = encodeRaftRequest({ header: { id: 1, memberId: 1 }, body: { kind: 'nope' } } as unknown as RaftRequest);
    expect(() => decodeRaftRequest(bytes)).toThrow(InvariantViolation);
  });
});
