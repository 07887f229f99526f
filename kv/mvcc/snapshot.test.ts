/**
 * The snapshot encoder writes its JSON text directly and remembers each KeyValue's row: its bytes
 * must stay exactly those of `JSON.stringify` over the documented body (snapshots are on the
 * simulated disk and in trace hashes), whatever the store holds and however warm the row cache is.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KeyValue } from '../api.js';
import { stepArb, type StoreStep } from '../testing/mvcc-arbitraries.js';
import { hashString } from './hash.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot.js';
import type { StoreState } from './store-state.js';
import { createMvccStore, type MvccStore } from './store.js';

/** The encoder as first written (build the body's arrays, then JSON.stringify): the reference. */
function referenceEncode(s: StoreState): Uint8Array {
  const kvs: unknown[] = [];
  const refs = new Map<KeyValue, number>();
  const ref = (kv: KeyValue | null | undefined): number => {
    if (kv === null || kv === undefined) return -1;
    let i = refs.get(kv);
    if (i === undefined) {
      i = kvs.length;
      refs.set(kv, i);
      kvs.push([kv.key, kv.createRevision, kv.modRevision, kv.version, kv.value, kv.lease]);
    }
    return i;
  };
  const keys: unknown[] = [];
  s.index.forEachPair((key, ki) => {
    keys.push([key, ki.generationList().map((gen) => gen.flatMap((v) => [v.main, v.sub, ref(v.kv)]))]);
  });
  const history = s.history.map((events) => events.flatMap((ev) =>
    ev.type === 'PUT' ? [0, ref(ev.kv), ref(ev.prevKv)] : [1, ev.kv.key, ref(ev.prevKv)]));
  const json = JSON.stringify({ currentRev: s.currentRev, compactRev: s.compactRev, historyStart: s.historyStart, kvs, keys, history });
  return new TextEncoder().encode(`raftsim-mvcc/1 ${hashString(json).toString(16)}\n${json}`);
}

function run(store: MvccStore, step: StoreStep): void {
  switch (step.type) {
    case 'range': return;
    case 'put': store.put(step.request); return;
    case 'delete': store.deleteRange(step.request); return;
    case 'txn': store.txn(step.request); return;
    case 'compact': store.compact(store.rev() - step.back); return;
  }
}

/** The state a snapshot decodes to (the store keeps its own private). */
function stateOf(bytes: Uint8Array): StoreState {
  const decoded = decodeSnapshot(bytes);
  if (!decoded.ok) throw new Error(decoded.error.message);
  return decoded.value;
}

describe('snapshot encoding', () => {
  it('gives the bytes of JSON.stringify over the body, cold and with the row cache warm, after any writes and compactions', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
        const store = createMvccStore({ leaseExists: (id) => id === 1 });
        const taken: Uint8Array[] = [];
        for (const [i, step] of steps.entries()) {
          run(store, step);
          if (i % 7 === 0) taken.push(store.snapshot()); // rows of older snapshots stay cached
        }
        const bytes = store.snapshot();
        const state = stateOf(bytes);
        expect(bytes).toEqual(referenceEncode(state));
        expect(encodeSnapshot(state)).toEqual(bytes); // the decoded state's rows start cold
        expect(store.snapshot()).toEqual(bytes);
        for (const old of taken) expect(encodeSnapshot(stateOf(old))).toEqual(old);
      }),
      { numRuns: 100 },
    );
  });

  it('escapes keys and values as JSON does', () => {
    const store = createMvccStore();
    const pairs: [string, string][] = [['q"uote', 'back\\slash'], ['nl\n', 'tab\t\u0001'], ['é', '\u2028\ud83d\ude00'], ['lone\ud800', '"']];
    for (const [key, value] of pairs) {
      store.put({ key, value });
    }
    store.deleteRange({ key: 'q"uote' });
    const bytes = store.snapshot();
    expect(bytes).toEqual(referenceEncode(stateOf(bytes)));
  });
});
