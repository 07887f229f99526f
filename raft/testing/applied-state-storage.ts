/**
 * The storage of a node in the test harnesses (memory-cluster.ts, interaction-env.ts): a
 * MemoryStorage holds the log and hard state, while `snapshot()` answers with the state machine's
 * current applied state, as etcd's harness does — so a leader that must send a snapshot sends what
 * its application has applied, not only what it last compacted to. The harness reaches the log
 * through `mem` to append, compact and install snapshots.
 */
import type { InitialState, Storage, StorageResult } from '../core/storage.js';
import { ok, type MemoryStorage } from '../core/storage.js';
import type { Entry, LogIndex, Snapshot, Term } from '../core/types.js';

export class AppliedStateStorage implements Storage {
  constructor(
    readonly mem: MemoryStorage,
    private readonly current: () => Snapshot,
  ) {}
  initialState(): InitialState {
    return this.mem.initialState();
  }
  entries(lo: LogIndex, hi: LogIndex, maxSizeBytes: number): StorageResult<readonly Entry[]> {
    return this.mem.entries(lo, hi, maxSizeBytes);
  }
  term(i: LogIndex): StorageResult<Term> {
    return this.mem.term(i);
  }
  firstIndex(): LogIndex {
    return this.mem.firstIndex();
  }
  lastIndex(): LogIndex {
    return this.mem.lastIndex();
  }
  snapshot(): StorageResult<Snapshot> {
    return ok(this.current());
  }
}
