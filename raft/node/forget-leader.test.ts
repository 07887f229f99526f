/**
 * raft's ForgetLeader reachable from the node (RaftNodeHandle.forgetLeader), as CockroachDB calls
 * it: a follower that knows its leader is gone forgets it at once, so it grants (pre-)votes without
 * waiting out an election timeout; the leader and lease-based reads refuse it (etcd-io/raft
 * testdata/forget_leader*.txt has the core's side).
 */
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../core/types.js';
import { createTestCluster } from './test-cluster.js';

describe('raft node: forgetLeader', () => {
  it('a follower forgets its leader until the next heartbeat names it again; the leader ignores it', () => {
    const c = createTestCluster({ seed: 21 });
    c.runUntil(() => c.leader() !== null, 5_000_000);
    c.runFor(500_000);
    const lead = c.leader() as NodeId;
    const f = c.ids.find((id) => id !== lead) as NodeId;
    const node = c.node(f);
    expect(node?.status().lead).toBe(lead);
    node?.forgetLeader();
    expect(node?.status().lead).toBe(0);
    expect(node?.status().term).toBe(c.node(lead)?.status().term);
    c.node(lead)?.forgetLeader();
    expect(c.node(lead)?.status()).toMatchObject({ role: 'leader', lead });
    // The next heartbeat brings the leader back: no election, no new term.
    c.runFor(300_000);
    expect(node?.status().lead).toBe(lead);
    expect(c.leader()).toBe(lead);
  });

  it('with the leader gone, a follower that forgot it votes for a campaigner at once', () => {
    const c = createTestCluster({ seed: 22 });
    c.runUntil(() => c.leader() !== null, 5_000_000);
    c.runFor(500_000);
    const lead = c.leader() as NodeId;
    const [a, b] = c.ids.filter((id) => id !== lead) as [NodeId, NodeId];
    c.crash(lead);
    c.node(b)?.forgetLeader();
    c.node(a)?.campaign();
    c.runFor(50_000);
    // Far less than an election timeout after the crash, a has the vote of b.
    expect(c.leader()).toBe(a);
  });

  it('is refused under lease-based reads (the lease would let the forgotten leader still serve)', () => {
    const c = createTestCluster({ seed: 23, node: { raft: { readOnly: 'lease-based', checkQuorum: true } } });
    c.runUntil(() => c.leader() !== null, 5_000_000);
    c.runFor(500_000);
    const lead = c.leader() as NodeId;
    const f = c.ids.find((id) => id !== lead) as NodeId;
    c.node(f)?.forgetLeader();
    expect(c.node(f)?.status().lead).toBe(lead);
  });
});
