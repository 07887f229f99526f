/**
 * ReadIndex on a lone voter after a crash that lost its commit index (the
 * single-node-restart-stale-read scenario, etcd-io/raft PR #105).
 *
 * The node is driven as raft/node drives it: each Ready's entries and hard state are written,
 * and fsynced only when the Ready says mustSync; committed entries are applied and acknowledged.
 * A crash keeps what was fsynced: every entry (entries always sync) and the hard state of the
 * last synced Ready — so the commit index of a commit-only Ready is lost.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../sim/random.js';
import { RawNode } from './raw-node.js';
import { MemoryStorage } from './storage.js';
import type { HardState, NodeId, ReadState } from './types.js';
import { EMPTY_CONF_STATE } from './types.js';

const READIES_MAX = 50;

/** A lone voter over a disk that outlives it. */
class LoneVoter {
  readonly raw: RawNode;
  /** Highest index applied, hence acknowledged to a client. */
  ackedIndex = 0;
  readonly readStates: ReadState[] = [];
  /** The commit index when each read state was handed out (before the Ready is persisted). */
  readonly commitAtReadStates: number[] = [];
  /** The commit index each time it moved (the last entry handed out to apply), with its term. */
  readonly commits: { index: number; term: number }[] = [];
  private lastHardState: HardState | null = null;

  constructor(readonly disk: MemoryStorage, singletonReadIndexActuallyCommitted: boolean) {
    this.raw = new RawNode({
      id: 1 as NodeId,
      electionTick: 10,
      heartbeatTick: 1,
      storage: disk,
      random: createRandom('read-index-singleton'),
      singletonReadIndexActuallyCommitted,
    });
  }

  /** Handles one Ready; false when there was none. */
  handleReady(): boolean {
    if (!this.raw.hasReady()) return false;
    const rd = this.raw.ready();
    if (rd.hardState !== null) this.lastHardState = rd.hardState;
    this.disk.append(rd.entries);
    // The WAL's fsync makes every earlier record durable, hard states included.
    if (rd.mustSync && this.lastHardState !== null) this.disk.setHardState(this.lastHardState);
    for (const rs of rd.readStates) {
      this.readStates.push(rs);
      this.commitAtReadStates.push(this.raw.status().commit);
    }
    const last = rd.committedEntries.at(-1);
    if (last !== undefined) {
      this.ackedIndex = Math.max(this.ackedIndex, last.index);
      this.commits.push({ index: last.index, term: last.term });
    }
    this.raw.advance(rd);
    return true;
  }

  stabilize(): void {
    for (let i = 0; i < READIES_MAX; i++) if (!this.handleReady()) return;
    throw new Error('lone voter: no quiescence after READIES_MAX Readies');
  }
}

/** The node's first life: elected, writes acknowledged, then killed. The disk survives. */
function firstLife(proposals: number, option: boolean): { disk: MemoryStorage; ackedIndex: number } {
  const disk = new MemoryStorage({ ...EMPTY_CONF_STATE, voters: [1 as NodeId] });
  const n = new LoneVoter(disk, option);
  n.raw.campaign();
  n.stabilize();
  for (let i = 0; i < proposals; i++) {
    expect(n.raw.propose(new Uint8Array([i])).ok).toBe(true);
    n.stabilize();
  }
  return { disk, ackedIndex: n.ackedIndex };
}

/** Restarts on the disk, wins the election, and asks for a read before handling anything else. */
function restartAndRead(disk: MemoryStorage, option: boolean): { n: LoneVoter; restartCommit: number } {
  const restartCommit = disk.initialState().hardState.commit;
  const n = new LoneVoter(disk, option);
  n.raw.campaign();
  // The Ready with the self-vote: once it is persisted, the lone voter leads.
  expect(n.handleReady()).toBe(true);
  expect(n.raw.status().role).toBe('leader');
  n.raw.readIndex(new Uint8Array([7]));
  n.handleReady();
  return { n, restartCommit };
}

describe('ReadIndex on a lone leader restarted with a lagging commit index', () => {
  it('default (released etcd-raft): answers at once at the stale commit index, below an acknowledged write', () => {
    const { disk, ackedIndex } = firstLife(3, false);
    const { n, restartCommit } = restartAndRead(disk, false);
    // The crash lost the commit index: entries 2..4 were acknowledged, the disk says commit 0.
    expect(restartCommit).toBeLessThan(ackedIndex);
    expect(n.readStates).toHaveLength(1);
    const rs = n.readStates[0] as ReadState;
    expect(rs.index).toBe(restartCommit);
    // A read served at that index misses the acknowledged writes: the stale read.
    expect(rs.index).toBeLessThan(ackedIndex);
  });

  it('singletonReadIndexActuallyCommitted (PR #105): the read index covers every acknowledged write, and applying it waits for the term\'s first commit', () => {
    const { disk, ackedIndex } = firstLife(3, true);
    const { n, restartCommit } = restartAndRead(disk, true);
    expect(restartCommit).toBeLessThan(ackedIndex);
    expect(n.readStates).toHaveLength(1);
    const rs = n.readStates[0] as ReadState;
    expect(rs.index).toBeGreaterThanOrEqual(ackedIndex);
    // Not yet committed: the application, which serves once applied ≥ index, must wait …
    expect(n.commitAtReadStates[0]).toBeLessThan(rs.index);
    n.stabilize();
    // … until the commit of the new term's empty entry, which commits everything below it.
    const term = n.raw.status().term;
    const first = n.commits.find((c) => c.index >= rs.index);
    expect(first).toEqual({ index: rs.index + 1, term });
  });

  it('singletonReadIndexActuallyCommitted: for any writes and crash, the read index is ≥ every acknowledged index (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 3 }), (proposals, extraReadies) => {
        const { disk, ackedIndex } = firstLife(proposals, true);
        const n = new LoneVoter(disk, true);
        n.raw.campaign();
        // The read comes some Readies after the election: before or after the term's first commit.
        for (let i = 0; i <= extraReadies; i++) n.handleReady();
        expect(n.raw.status().role).toBe('leader');
        n.raw.readIndex(new Uint8Array([9]));
        n.stabilize();
        expect(n.readStates).toHaveLength(1);
        const rs = n.readStates[0] as ReadState;
        expect(rs.index).toBeGreaterThanOrEqual(ackedIndex);
        expect(rs.index).toBeLessThanOrEqual(n.raw.status().commit);
      }),
      { numRuns: 60, seed: 105 },
    );
  });

  it('the option is validated at construction, naming the field', () => {
    const disk = new MemoryStorage({ ...EMPTY_CONF_STATE, voters: [1 as NodeId] });
    const bad = { id: 1 as NodeId, electionTick: 10, heartbeatTick: 1, storage: disk, random: createRandom('bad'), singletonReadIndexActuallyCommitted: 'yes' as unknown as boolean };
    expect(() => new RawNode(bad)).toThrow(/config\.singletonReadIndexActuallyCommitted/);
  });
});
