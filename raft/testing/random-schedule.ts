/**
 * Random schedules for property tests over a MemoryCluster (test support): the actions a
 * schedule is made of (ticks, Readies, deliveries in any order, drops, duplicates, partitions,
 * proposals, reads), how to run one, how to observe the nodes for the safety checker, and the
 * liveness phase (heal, then require one leader with every member caught up).
 */
import fc from 'fast-check';
import type { NodeObservation } from '../invariants.js';
import type { MemoryCluster } from './memory-cluster.js';

export type Action =
  | { readonly t: 'tick'; readonly node: number; readonly times: number }
  | { readonly t: 'ready'; readonly node: number }
  | { readonly t: 'ready-all' }
  | { readonly t: 'deliver'; readonly pick: number }
  | { readonly t: 'deliver-many'; readonly count: number; readonly pick: number }
  | { readonly t: 'round'; readonly pick: number }
  | { readonly t: 'run'; readonly rounds: number }
  | { readonly t: 'drop'; readonly pick: number; readonly unreachable: boolean }
  | { readonly t: 'dup'; readonly pick: number }
  | { readonly t: 'propose'; readonly node: number }
  | { readonly t: 'read'; readonly node: number }
  | { readonly t: 'partition'; readonly mask: number }
  | { readonly t: 'heal' }
  /** asyncStorageWrites only: a node's append (or apply) thread does up to `count` of its queued writes. */
  | { readonly t: 'storage'; readonly node: number; readonly thread: 'append' | 'apply'; readonly count: number };

/** With `storageThreads`, schedules also run the nodes' storage threads (Config.asyncStorageWrites). */
export function actionArb(size: number, storageThreads = false): fc.Arbitrary<Action> {
  const node = fc.integer({ min: 1, max: size });
  const pick = fc.nat({ max: 1000 });
  const base = baseActionArb(size, node, pick);
  if (!storageThreads) return base;
  const storage = fc.record({
    t: fc.constant('storage' as const), node, thread: fc.constantFrom('append' as const, 'apply' as const), count: fc.integer({ min: 1, max: 3 }),
  });
  return fc.oneof({ weight: 3, arbitrary: base }, { weight: 1, arbitrary: storage });
}

function baseActionArb(size: number, node: fc.Arbitrary<number>, pick: fc.Arbitrary<number>): fc.Arbitrary<Action> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ t: fc.constant('tick' as const), node, times: fc.integer({ min: 1, max: 12 }) }) },
    { weight: 4, arbitrary: fc.record({ t: fc.constant('ready' as const), node }) },
    { weight: 6, arbitrary: fc.constant({ t: 'ready-all' as const }) },
    { weight: 6, arbitrary: fc.record({ t: fc.constant('deliver' as const), pick }) },
    { weight: 8, arbitrary: fc.record({ t: fc.constant('deliver-many' as const), count: fc.integer({ min: 1, max: 20 }), pick }) },
    { weight: 6, arbitrary: fc.record({ t: fc.constant('round' as const), pick }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('run' as const), rounds: fc.integer({ min: 1, max: 8 }) }) },
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
    case 'round': {
      // One network round: every node handles its Ready, then everything in flight is
      // delivered, starting from a rotated position (a reordering).
      for (const id of c.ids()) c.processReady(id);
      const count = c.network.length;
      for (let i = 0; i < count && c.network.length > 0; i++) c.deliver((a.pick + i) % c.network.length);
      return;
    }
    case 'run':
      // A calm interval: every node ticks, then the cluster settles (partitions still apply).
      c.tickAll(a.rounds);
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
    case 'storage':
      for (let i = 0; i < a.count; i++) {
        if (!(a.thread === 'append' ? c.processAppendThread(a.node) : c.processApplyThread(a.node))) return;
      }
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

