/**
 * The term-inflation experiment at core level (etcd's TestDisruptiveFollower / ...PreVote): a
 * 3-node group elects a leader, follower 3 is isolated for a number of election timeouts while
 * the others keep ticking and committing, then the partition heals. Without PreVote the isolated
 * node's term climbs by about one per randomized timeout and, on return, it deposes the healthy
 * leader; with PreVote its term does not move and the leader keeps leading.
 *
 * Pure and deterministic: ticks and deliveries are driven here; the only randomness is the
 * election-timeout streams forked off `random`.
 */
import { assert } from '../../sim/assert.js';
import type { Random } from '../../sim/random.js';
import { MemoryCluster } from './memory-cluster.js';
import type { NodeId, Term } from '../core/types.js';

export interface TermInflationOptions {
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  /** Root of the nodes' election-timeout streams. */
  readonly random: Random;
  /** How long node 3 is isolated, in election timeouts. */
  readonly isolatedElectionTimeouts: number;
  readonly electionTick?: number;
}

export interface TermInflationResult {
  readonly leaderBefore: NodeId;
  readonly termBefore: Term;
  /** Node 3's term just before the heal. */
  readonly isolatedTermAtHeal: Term;
  /** How much node 3's term rose while isolated. */
  readonly isolatedTermRise: number;
  readonly leaderAfter: NodeId;
  readonly termAfter: Term;
  /** Whether the leader of before the partition lost its leadership after the heal. */
  readonly deposed: boolean;
  /** Leadership changes observed after the heal (a new (leader, term) pair counts once). */
  readonly leaderChangesAfterHeal: number;
}

const ISOLATED = 3;

export function measureTermInflation(o: TermInflationOptions): TermInflationResult {
  const electionTick = o.electionTick ?? 10;
  const c = new MemoryCluster({ ids: [1, 2, 3], random: o.random, config: { electionTick, heartbeatTick: 1, preVote: o.preVote, checkQuorum: o.checkQuorum } });
  c.node(1).raw.campaign();
  c.stabilize();
  const before = c.node(1).raw.status();
  assert(before.role === 'leader', 'term inflation: node 1 did not become leader');
  c.partition([[1, 2], [ISOLATED]]);
  const ticks = o.isolatedElectionTimeouts * electionTick;
  for (let t = 0; t < ticks; t++) {
    // The majority side keeps serving writes, so the isolated node falls behind.
    if (t % electionTick === 0) c.propose(1, `w${t}`);
    c.tickAll(1);
  }
  const isolatedTermAtHeal = c.node(ISOLATED).raw.status().term;
  c.heal();
  let changes = 0;
  let last = `${before.lead}/${before.term}`;
  for (let t = 0; t < 10 * electionTick; t++) {
    c.tickAll(1);
    const leaders = c.leaders();
    const now = leaders.length === 1 ? `${leaders[0]}/${c.node(leaders[0] as number).raw.status().term}` : last;
    if (now !== last) changes++;
    last = now;
  }
  const lead = c.leaders();
  assert(lead.length === 1, 'term inflation: no single leader after the heal');
  const after = c.node(lead[0] as number).raw.status();
  return {
    leaderBefore: before.id, termBefore: before.term, isolatedTermAtHeal,
    isolatedTermRise: isolatedTermAtHeal - before.term,
    leaderAfter: after.id, termAfter: after.term,
    deposed: after.id !== before.id || after.term !== before.term,
    leaderChangesAfterHeal: changes,
  };
}
