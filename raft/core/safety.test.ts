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
import type { NodeObservation } from '../invariants.js';
import { SafetyChecker } from '../invariants.js';
import { MemoryCluster } from './memory-cluster.js';

export type Action =
  | { readonly t: 'tick'; readonly node: number; readonly times: number }
  | { readonly t: 'ready'; readonly node: number }
  | { readonly t: 'ready-all' }
  | { readonly t: 'deliver'; readonly pick: number }
  | { readonly t: 'deliver-many'; readonly count: number; readonly pick: number }
  | { readonly t: 'drop'; readonly pick: number; readonly unreachable: boolean }
  | { readonly t: 'dup'; readonly pick: number }
  | { readonly t: 'propose'; readonly node: number }
  | { readonly t: 'read'; readonly node: number }
  | { readonly t: 'partition'; readonly mask: number }
  | { readonly t: 'heal' };

export function actionArb(size: number): fc.Arbitrary<Action> {
  const node = fc.integer({ min: 1, max: size });
  const pick = fc.nat({ max: 1000 });
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ t: fc.constant('tick' as const), node, times: fc.integer({ min: 1, max: 12 }) }) },
    { weight: 4, arbitrary: fc.record({ t: fc.constant('ready' as const), node }) },
    { weight: 6, arbitrary: fc.constant({ t: 'ready-all' as const }) },
    { weight: 6, arbitrary: fc.record({ t: fc.constant('deliver' as const), pick }) },
    { weight: 8, arbitrary: fc.record({ t: fc.constant('deliver-many' as const), count: fc.integer({ min: 1, max: 20 }), pick }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('drop' as const), pick, unreachable: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('dup' as const), pick }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('propose' as const), node }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('read' as const), node }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('partition' as const), mask: fc.nat({ max: (1 << size) - 1 }) }) },
    { weight: 1, arbitrary: fc.constant({ t: 'heal' as const }) },
  );
}

export function observe(c: MemoryCluster): NodeObservation[] {
  return c.ids().map((id) => {
    const raw = c.node(id).raw;
    const s = raw.status();
    return { id, term: s.term, role: s.role, commit: s.commit, log: raw.logView() };
  });
}

let proposals = 0;

/** Runs one action; returns nothing, the checker speaks through exceptions. */
export function runAction(c: MemoryCluster, a: Action, size: number): void {
  const n = c.network.length;
  switch (a.t) {
    case 'tick':
      for (let i = 0; i < a.times; i++) c.tick(a.node);
      return;
    case 'ready':
      c.processReady(a.node);
      return;
    case 'ready-all':
      for (const id of c.ids()) c.processReady(id);
      return;
    case 'deliver':
      if (n > 0) c.deliver(a.pick % n);
      return;
    case 'deliver-many':
      // Reordered: each delivery picks a position derived from the seed pick.
      for (let i = 0; i < a.count && c.network.length > 0; i++) c.deliver((a.pick * (i + 7)) % c.network.length);
      return;
    case 'drop':
      if (n > 0) c.drop(a.pick % n, a.unreachable);
      return;
    case 'dup':
      if (n > 0) c.duplicate(a.pick % n);
      return;
    case 'propose':
      c.propose(a.node, `p${proposals++}`);
      return;
    case 'read':
      c.node(a.node).raw.readIndex(new TextEncoder().encode(`r${proposals++}`));
      return;
    case 'partition': {
      const left: number[] = [];
      const right: number[] = [];
      for (let id = 1; id <= size; id++) ((a.mask >> (id - 1)) & 1 ? left : right).push(id);
      c.partition([left, right]);
      return;
    }
    case 'heal':
      c.heal();
      return;
  }
}

/** Heals and ticks until one leader has every member caught up; false if it never happens. */
export function converges(c: MemoryCluster, roundsMax: number): boolean {
  c.heal();
  for (let round = 0; round < roundsMax; round++) {
    c.tickAll(1);
    const leaders = c.leaders();
    if (leaders.length !== 1) continue;
    const lead = c.node(leaders[0] as number).raw.status();
    const members = [...lead.config.voters, ...lead.config.learners];
    const synced = members.every((id) => {
      const s = c.node(id).raw.status();
      return s.commit === lead.commit && s.applied === lead.commit && s.lead === lead.id;
    });
    if (synced) return true;
  }
  return false;
}

function safetyProperty(size: number, flags: { preVote: boolean; checkQuorum: boolean }, seed: string) {
  return fc.property(fc.array(actionArb(size), { minLength: 100, maxLength: 400, size: 'max' }), (actions) => {
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
