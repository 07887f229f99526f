/**
 * The raft core's bug switches (Config.bugs, scenarios/bugs.ts): each test runs one schedule with
 * the switch off (etcd's fix) and on (etcd before the fix) and requires the two to differ the way
 * the upstream issue describes — so a switch that does nothing fails its test.
 */
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../sim/random.js';
import type { Config, RaftCoreBug } from './config.js';
import { MemoryCluster } from '../testing/memory-cluster.js';
import type { LogIndex, NodeId, Term } from './types.js';

function cluster(config: Partial<Config>, ids = [1, 2, 3]): MemoryCluster {
  return new MemoryCluster({ ids, random: createRandom('bug-switches'), config: { electionTick: 10, heartbeatTick: 1, ...config } });
}

function elect(c: MemoryCluster, id: number): void {
  c.node(id).raw.campaign();
  c.stabilize();
  expect(c.node(id).raw.status().role).toBe('leader');
}

function tickUntilLeader(c: MemoryCluster, ids: readonly number[], ticksMax: number): number | null {
  for (let t = 0; t < ticksMax; t++) {
    for (const id of ids) c.tick(id);
    c.stabilize();
    const lead = ids.find((id) => c.node(id).raw.status().role === 'leader');
    if (lead !== undefined) return lead;
  }
  return null;
}

/** etcd #8243's schedule (TestNodeWithSmallerTermCanCompleteElection): who leads 1 and 3 within 300 ticks. */
function smallerTermElection(bugs: readonly RaftCoreBug[]): number | null {
  const c = cluster({ preVote: true, bugs });
  elect(c, 2);
  c.propose(2, 'x');
  c.processReady(2);
  c.network = c.network.filter((m) => m.to === 3);
  while (c.network.length > 0) c.deliver(0);
  c.processReady(3);
  c.partition([[2], [1, 3]]);
  c.stabilize();
  c.node(1).raw.step({ type: 'MsgHeartbeat', from: 2 as NodeId, to: 1 as NodeId, term: 5 as Term, commit: 11 as LogIndex, context: new Uint8Array(0) });
  c.stabilize();
  return tickUntilLeader(c, [1, 3], 300);
}

/** etcd #9586's schedule: what 3, a pre-candidate, answers 2's pre-vote inside the old leader's lease. */
function preCandidateAnswer(bugs: readonly RaftCoreBug[]): { reject: boolean } | 'no answer' {
  const c = cluster({ preVote: true, checkQuorum: true, bugs });
  elect(c, 1);
  c.partition([[1], [2, 3]]);
  c.node(3).raw.campaign();
  c.processReady(3);
  c.node(2).raw.campaign();
  c.processReady(2);
  c.deliver(c.network.findIndex((m) => m.type === 'MsgPreVote' && m.from === 2 && m.to === 3));
  c.processReady(3);
  const answer = c.network.find((m) => m.type === 'MsgPreVoteResp' && m.from === 3 && m.to === 2);
  return answer === undefined ? 'no answer' : { reject: (answer as { reject: boolean }).reject };
}

describe('raft core bug switches', () => {
  it('etcd-8243: with the switch a lower-term pre-vote is dropped and the election never completes; without it 3 wins', () => {
    expect(smallerTermElection([])).toBe(3);
    expect(smallerTermElection(['etcd-8243'])).toBeNull();
  });

  it('etcd-9586: with the switch a pre-candidate keeps its leader and refuses (drops) the other pre-vote as in lease', () => {
    expect(preCandidateAnswer([])).toEqual({ reject: false });
    expect(preCandidateAnswer(['etcd-9586'])).toBe('no answer');
  });

  it('etcd-14370: with the switch a lone leader commits an entry before it is persisted', () => {
    const commitBeforePersist = (bugs: readonly RaftCoreBug[]): number => {
      const c = cluster({ bugs }, [1]);
      elect(c, 1);
      const raw = c.node(1).raw;
      const before = raw.status().commit;
      raw.propose(new TextEncoder().encode('x'));
      // Not yet handed to storage (no Ready processed): how far did the commit index move?
      return raw.status().commit - before;
    };
    expect(commitBeforePersist([])).toBe(0);
    expect(commitBeforePersist(['etcd-14370'])).toBe(1);
  });

  it('etcd-14370 changes nothing for a leader with followers: a quorum of acks is still needed', () => {
    const c = cluster({ bugs: ['etcd-14370'] });
    elect(c, 1);
    c.partition([[1], [2, 3]]);
    const before = c.node(1).raw.status().commit;
    c.propose(1, 'y');
    c.stabilize();
    expect(c.node(1).raw.status().commit).toBe(before);
  });

  it('etcd-11038: without StepDownOnRemoval a leader that applies its own removal keeps leading', () => {
    const roleAfterRemoval = (stepDownOnRemoval: boolean): string => {
      const c = cluster({ stepDownOnRemoval });
      elect(c, 1);
      c.node(1).raw.proposeConfChange({ version: 1, type: 'remove-node', nodeId: 1 as NodeId, context: new Uint8Array(0) });
      c.stabilize();
      return c.node(1).raw.status().role;
    };
    expect(roleAfterRemoval(true)).toBe('follower');
    expect(roleAfterRemoval(false)).toBe('leader');
  });

  it('an unknown bug id is refused at construction', () => {
    expect(() => cluster({ bugs: ['etcd-1' as RaftCoreBug] })).toThrow(/config.bugs: unknown bug "etcd-1"/);
  });
});
