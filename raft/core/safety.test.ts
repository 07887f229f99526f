/**
 * Random message schedules over 3 and 5 in-memory nodes (fast-check): drops, duplicates,
 * reordering, partitions, ticks, proposals, reads. After every action the four safety properties
 * of Raft hold (raft/invariants.ts); after the schedule, a healed cluster converges (a liveness
 * phase, so that a schedule that never elected anybody cannot pass vacuously).
 *
 * Failures print fast-check's { seed, path } for replay.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../sim/random.js';
import { SafetyChecker } from '../invariants.js';
import { MemoryCluster } from '../testing/memory-cluster.js';
import { actionArb, converges, observe, runAction } from '../testing/random-schedule.js';

interface Flags {
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly asyncStorageWrites?: boolean;
}

function safetyProperty(size: number, flags: Flags, seed: string) {
  const storageThreads = flags.asyncStorageWrites === true;
  return fc.property(fc.array(actionArb(size, storageThreads), { minLength: 100, maxLength: 400, size: 'max' }), (actions) => {
    const checker = new SafetyChecker();
    const ids = Array.from({ length: size }, (_, i) => i + 1);
    const c = new MemoryCluster({
      ids, random: createRandom(seed), config: { electionTick: 10, heartbeatTick: 1, maxInflightMsgs: 4, ...flags },
      onApply: (id, ents) => checker.onApply(id, ents), onSnapshot: (id, index) => checker.onSnapshotApplied(id, index),
    });
    for (const a of actions) {
      runAction(c, a, size);
      checker.observe(observe(c));
    }
    expect(converges(c, 200)).toBe(true);
    checker.observe(observe(c));
  });
}

describe('safety under random schedules (§5.2 election safety, §5.3 log matching, §5.4 leader completeness and state machine safety)', () => {
  for (const size of [3, 5]) {
    for (const flags of [
      { preVote: false, checkQuorum: false },
      { preVote: true, checkQuorum: true },
      { preVote: true, checkQuorum: false },
      { preVote: false, checkQuorum: true },
    ]) {
      it(`${size} nodes, preVote=${flags.preVote} checkQuorum=${flags.checkQuorum}`, () => {
        fc.assert(safetyProperty(size, flags, `safety/${size}/${flags.preVote}/${flags.checkQuorum}`), { numRuns: size === 3 ? 25 : 15 });
      });
    }
  }
});

/**
 * The same with AsyncStorageWrites: writes and applies are queued to each node's storage threads
 * and done at random moments (many Readies may be in flight; a node's own votes and
 * acknowledgements count only once its append thread has done the write). The cluster also
 * asserts that only locally durable entries are handed out to apply.
 */
describe('safety under random schedules, asyncStorageWrites', () => {
  for (const size of [3, 5]) {
    for (const flags of [
      { preVote: false, checkQuorum: false, asyncStorageWrites: true },
      { preVote: true, checkQuorum: true, asyncStorageWrites: true },
    ]) {
      it(`${size} nodes, preVote=${flags.preVote} checkQuorum=${flags.checkQuorum}`, () => {
        fc.assert(safetyProperty(size, flags, `safety-async/${size}/${flags.preVote}/${flags.checkQuorum}`), { numRuns: size === 3 ? 25 : 15 });
      });
    }
  }
});
