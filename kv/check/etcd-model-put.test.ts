import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PutRequest } from '../api.js';
import { ILLEGAL } from '../../sim/check/model.js';
import { equalEtcdStates, initialEtcdState, stepEtcd, type EtcdOperation, type EtcdState } from './etcd-model.js';

/** A put steps straight to its state (no draft): it must equal a one-put txn's, which goes through the draft. */
describe('etcd model put', () => {
  it('leaves the same state as a txn holding only that put', () => {
    const put = fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), value: fc.constantFrom('', 'x', 'y'), ignoreValue: fc.boolean() }) as fc.Arbitrary<PutRequest>;
    fc.assert(
      fc.property(fc.array(put, { maxLength: 20 }), (puts) => {
        let a: EtcdState = initialEtcdState();
        let b: EtcdState = initialEtcdState();
        puts.forEach((request, id) => {
          const p = { id, client: 0, op: 'put', call: id, return: null, status: 'unknown', input: request } as EtcdOperation;
          const t = { id, client: 0, op: 'txn', call: id, return: null, status: 'unknown', input: { compare: [], success: [{ type: 'put', request }], failure: [] } } as EtcdOperation;
          const x = stepEtcd(a, p);
          const y = stepEtcd(b, t);
          if (x === ILLEGAL || y === ILLEGAL) throw new Error('an unknown put is never illegal');
          expect(x.hash).toBe(y.hash);
          expect(x.kvs).toEqual(y.kvs);
          expect(equalEtcdStates(x, y)).toBe(true);
          a = x;
          b = y;
        });
      }),
    );
  });
});
