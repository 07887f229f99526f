/**
 * fast-check arbitraries of WAL records, shared by the WAL codec's tests (wal-record.test.ts: the
 * round trip; wal-encode.test.ts: the bytes against a reference encoder).
 */
import fc from 'fast-check';
import type { ConfState, Entry, EntryType, HardState, LogIndex, NodeId, Term } from '../core/types.js';
import type { WalRecord } from '../node/wal-record.js';

export const u53 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const ids = fc.array(fc.integer({ min: 1, max: 65535 }), { maxLength: 5 }) as fc.Arbitrary<NodeId[]>;
const confState: fc.Arbitrary<ConfState> = fc.record({ voters: ids, learners: ids, votersOutgoing: ids, learnersNext: ids, autoLeave: fc.boolean() });

/** Sizes of what the records carry: entry payloads up to `maxData` bytes; term, vote and node ids drawn from `number`. */
export interface WalArbitraryOptions {
  readonly maxData: number;
  readonly number: fc.Arbitrary<number>;
}

export interface WalArbitraries {
  readonly entry: fc.Arbitrary<Entry>;
  readonly hardState: fc.Arbitrary<HardState>;
  /** Any record but a crc record (whose value a test either draws or takes from the chain). */
  readonly plainRecord: fc.Arbitrary<WalRecord>;
}

export function walArbitraries(o: WalArbitraryOptions): WalArbitraries {
  const entry: fc.Arbitrary<Entry> = fc.record({
    term: u53 as fc.Arbitrary<Term>,
    index: u53 as fc.Arbitrary<LogIndex>,
    type: fc.constantFrom<EntryType>('normal', 'conf-change', 'conf-change-v2'),
    data: fc.uint8Array({ maxLength: o.maxData }),
  });
  const hardState: fc.Arbitrary<HardState> = fc.record({ term: o.number as fc.Arbitrary<Term>, vote: o.number as fc.Arbitrary<NodeId>, commit: u53 as fc.Arbitrary<LogIndex> });
  const plainRecord: fc.Arbitrary<WalRecord> = fc.oneof(
    fc.record({ type: fc.constant('metadata' as const), metadata: fc.record({ nodeId: o.number as fc.Arbitrary<NodeId>, clusterId: u53, peers: ids, bootstrap: fc.boolean() }) }),
    fc.record({ type: fc.constant('entry' as const), entry }),
    fc.record({ type: fc.constant('state' as const), hardState }),
    fc.record({ type: fc.constant('snapshot' as const), snapshot: fc.record({ index: u53 as fc.Arbitrary<LogIndex>, term: u53 as fc.Arbitrary<Term>, confState }) }),
  );
  return { entry, hardState, plainRecord };
}
