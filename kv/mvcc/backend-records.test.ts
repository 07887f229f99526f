import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeRow, revisionKey } from './backend-records.js';
import { createMvccStore, type MvccStore } from './store.js';

/** The store's rows as the backend would hold them: written at each write, deleted by compaction. */
function mirror(store: MvccStore): { rows: Map<string, string>; compact: (rev: number) => void } {
  const rows = new Map<string, string>();
  store.observe({
    onWrite: (rev, events) => events.forEach((ev, sub) => rows.set(revisionKey(rev, sub), encodeRow(ev))),
  });
  return {
    rows,
    compact: (rev) => {
      const keep = store.keptRowKeys(rev);
      for (const k of [...rows.keys()]) if (k <= revisionKey(rev, 0xffffffff) && !keep.has(k)) rows.delete(k);
    },
  };
}

type Op = { kind: 'put'; key: string; value: string } | { kind: 'del'; key: string } | { kind: 'compact'; back: number } | { kind: 'delall' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), key: fc.constantFrom('a', 'b', 'c', 'd'), value: fc.string({ maxLength: 4 }) }),
  fc.record({ kind: fc.constant('del' as const), key: fc.constantFrom('a', 'b', 'c', 'd') }),
  fc.record({ kind: fc.constant('compact' as const), back: fc.nat(4) }),
  fc.constant({ kind: 'delall' as const }),
);

describe('mvcc rebuilt from backend rows', () => {
  it.each([false, true])('reads, hashes and events equal the live store at every kept revision (etcd-18089 %s)', (bug) => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const store = createMvccStore({ bugs: bug ? ['etcd-18089'] : [] });
        const m = mirror(store);
        for (const o of ops) {
          if (o.kind === 'put') store.put({ key: o.key, value: o.value });
          else if (o.kind === 'del') store.deleteRange({ key: o.key });
          else if (o.kind === 'delall') store.deleteRange({ key: '\0', rangeEnd: '\0' });
          else {
            const rev = store.rev() - o.back;
            if (store.compact(rev).ok) m.compact(rev);
          }
        }
        const again = createMvccStore({ bugs: bug ? ['etcd-18089'] : [] });
        const sorted = [...m.rows.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
        const r = again.restoreFromRows(sorted, store.compactRevision());
        expect(r.ok).toBe(true);
        expect(again.rev()).toBe(store.rev());
        expect(again.compactRevision()).toBe(store.compactRevision());
        const from = Math.max(store.compactRevision(), 1);
        for (let rev = from; rev <= store.rev(); rev++) {
          expect(again.hashKV(rev)).toEqual(store.hashKV(rev));
          expect(again.range({ key: '\0', rangeEnd: '\0', revision: rev })).toEqual(store.range({ key: '\0', rangeEnd: '\0', revision: rev }));
          expect(again.eventsAt(rev)).toEqual(store.eventsAt(rev));
        }
        expect(again.firstEventRevision()).toBe(store.firstEventRevision());
        again.checkInvariants();
      }),
      { numRuns: 300, seed: 17 },
    );
  });
});
