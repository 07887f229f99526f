/**
 * The tricky cases etcd-raft's tests pin (reference §2.4), each as a small deterministic scenario
 * on an in-memory cluster.
 */
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../sim/random.js';
import type { Config } from './config.js';
import { MemoryCluster } from '../testing/memory-cluster.js';
import type { Message } from './messages.js';
import type { LogIndex, NodeId, Term } from './types.js';

function cluster(config: Partial<Config> = {}, ids = [1, 2, 3]): MemoryCluster {
  return new MemoryCluster({ ids, random: createRandom('tricky'), config: { electionTick: 10, heartbeatTick: 1, ...config } });
}

function elect(c: MemoryCluster, id: number): void {
  c.node(id).raw.campaign();
  c.stabilize();
  expect(c.node(id).raw.status().role).toBe('leader');
}

/** Ticks only the given nodes until one of them leads (or the bound is hit). */
function tickUntilLeader(c: MemoryCluster, ids: readonly number[], ticksMax: number): number | null {
  for (let t = 0; t < ticksMax; t++) {
    for (const id of ids) c.tick(id);
    c.stabilize();
    const lead = ids.find((id) => c.node(id).raw.status().role === 'leader');
    if (lead !== undefined) return lead;
  }
  return null;
}

describe('§2.4 tricky cases', () => {
  it('2. a node at a lower term can still complete an election after rejoining (etcd #8243)', () => {
    const c = cluster({ preVote: true });
    elect(c, 2);
    // 2 replicates an entry to 3 only: 3's log is ahead of 1's.
    c.propose(2, 'x');
    c.processReady(2);
    c.network = c.network.filter((m) => m.to === 3);
    while (c.network.length > 0) c.deliver(0);
    c.processReady(3);
    // 2 dies; 1 has meanwhile moved to term 5 (it heard of a later leader), 3 is still at term 1.
    c.partition([[2], [1, 3]]);
    c.stabilize();
    expect([c.node(1).raw.logView().lastIndex(), c.node(3).raw.logView().lastIndex()]).toEqual([11, 12]);
    c.node(1).raw.step({ type: 'MsgHeartbeat', from: 2 as NodeId, to: 1 as NodeId, term: 5 as Term, commit: 11 as LogIndex, context: new Uint8Array(0) });
    c.stabilize();
    // 1 cannot win (3 is more up to date). 3 wins only if 1 answers its lower-term pre-vote
    // with its own term, so that 3 catches up in term.
    expect(tickUntilLeader(c, [1, 3], 300)).toBe(3);
  });

  it('3. a pre-candidate forgets the leader, so it grants another pre-candidate inside the old lease (etcd #9586)', () => {
    const c = cluster({ preVote: true, checkQuorum: true });
    elect(c, 1);
    c.partition([[1], [2, 3]]);
    // 3 becomes pre-candidate first; 2's pre-vote then reaches it while 1's lease would still hold.
    c.node(3).raw.campaign();
    c.processReady(3);
    c.node(2).raw.campaign();
    c.processReady(2);
    const toThree = c.network.findIndex((m) => m.type === 'MsgPreVote' && m.from === 2 && m.to === 3);
    c.deliver(toThree);
    c.processReady(3);
    const answer = c.network.find((m) => m.type === 'MsgPreVoteResp' && m.from === 3 && m.to === 2);
    expect(answer).toMatchObject({ reject: false });
    expect(tickUntilLeader(c, [2, 3], 200)).not.toBeNull();
  });

  it('4/5. a candidate stuck at a higher term (as before PreVote was rolled out) is freed and the group re-elects', () => {
    const c = cluster({ preVote: true, checkQuorum: true });
    elect(c, 1);
    c.partition([[1, 2], [3]]);
    // 3 campaigns without pre-vote three times (a transfer's campaign skips it): term 4.
    for (let i = 0; i < 3; i++) {
      const t = c.node(3).raw.status().term;
      // Back to follower at its own term (a candidate ignores MsgTimeoutNow), then campaign.
      c.node(3).raw.step({ type: 'MsgHeartbeat', from: 1 as NodeId, to: 3 as NodeId, term: t, commit: 0 as LogIndex, context: new Uint8Array(0) });
      c.node(3).raw.step({ type: 'MsgTimeoutNow', from: 1 as NodeId, to: 3 as NodeId, term: t });
      c.stabilize();
    }
    expect(c.node(3).raw.status()).toMatchObject({ role: 'candidate', term: 4 });
    c.heal();
    // 1 and 2 ignore 3's votes inside the lease; 3 answers 1's heartbeat with its term, which
    // deposes 1; a new election at a term above 4 follows.
    c.tickAll(100);
    const leaders = c.leaders();
    expect(leaders.length).toBe(1);
    const lead = c.node(leaders[0] as number).raw.status();
    expect(lead.term).toBeGreaterThan(4);
    expect(c.ids().every((id) => c.node(id).raw.status().lead === lead.id)).toBe(true);
  });

  it('7. a self-vote delivered after the candidate moved to a higher term is ignored', () => {
    const c = cluster();
    const raw = c.node(1).raw;
    raw.campaign();
    const rd = raw.ready();
    // Before the vote is persisted, a leader of a higher term appears.
    raw.step({ type: 'MsgHeartbeat', from: 2 as NodeId, to: 1 as NodeId, term: 5 as Term, commit: 0 as LogIndex, context: new Uint8Array(0) });
    raw.advance(rd);
    expect(raw.status()).toMatchObject({ role: 'follower', term: 5, lead: 2 });
  });

  it('7. a leader self-acknowledgement after a term change does not commit anything', () => {
    const c = cluster();
    elect(c, 1);
    const raw = c.node(1).raw;
    raw.propose(new TextEncoder().encode('x'));
    const rd = raw.ready();
    raw.step({ type: 'MsgVote', from: 2 as NodeId, to: 1 as NodeId, term: 9 as Term, index: 100 as LogIndex, logTerm: 9 as Term, transfer: false });
    raw.advance(rd);
    expect(raw.status()).toMatchObject({ role: 'follower', term: 9, commit: 11 });
  });

  it('13. a duplicated, reordered old append does not truncate a longer log', () => {
    const c = cluster();
    elect(c, 1);
    c.propose(1, 'a');
    c.processReady(1);
    const first = c.network.filter((m) => m.to === 2).map((m) => m);
    c.stabilize();
    c.propose(1, 'b');
    c.stabilize();
    const before = c.node(2).raw.logView().lastIndex();
    for (const m of first) c.node(2).raw.step(m as Message);
    expect(c.node(2).raw.logView().lastIndex()).toBe(before);
  });

  it('a removed node that keeps campaigning does not disturb the group (CheckQuorum + PreVote)', () => {
    const c = cluster({ preVote: true, checkQuorum: true });
    elect(c, 1);
    c.node(1).raw.proposeConfChange({ version: 1, type: 'remove-node', nodeId: 3 as NodeId, context: new Uint8Array(0) });
    c.stabilize();
    expect(c.node(1).raw.status().config.voters).toEqual([1, 2]);
    c.tickAll(50);
    expect(c.node(1).raw.status()).toMatchObject({ role: 'leader', term: 1 });
  });

  it('the uncommitted-size limit stops a partitioned leader log from growing (etcd TestUncommittedEntryLimit)', () => {
    const c = cluster({ maxUncommittedEntriesSizeBytes: 10 });
    elect(c, 1);
    c.partition([[1], [2, 3]]);
    const results = Array.from({ length: 10 }, () => c.node(1).raw.propose(new Uint8Array(4)).ok);
    // The first proposals fit (an empty tail accepts any size), then they are dropped.
    expect(results).toEqual([true, true, false, false, false, false, false, false, false, false]);
  });

  it('proposals are dropped by a follower with forwarding disabled, and by a candidate', () => {
    const c = cluster({ disableProposalForwarding: true });
    elect(c, 1);
    expect(c.node(2).raw.propose(new Uint8Array(1))).toEqual({ ok: false, error: 'ProposalDropped' });
    c.node(3).raw.campaign();
    expect(c.node(3).raw.propose(new Uint8Array(1))).toEqual({ ok: false, error: 'ProposalDropped' });
  });

  it('committed entries are paginated across Readies (etcd TestCommitPagination)', () => {
    const c = cluster({ maxCommittedSizePerReadyBytes: 40 });
    elect(c, 1);
    for (let i = 0; i < 6; i++) c.propose(1, 'payload-xx');
    const raw = c.node(1).raw;
    const sizes: number[] = [];
    // Replicate without applying on 1: handle its Readies one by one.
    for (let round = 0; round < 20; round++) {
      c.processReady(2);
      c.processReady(3);
      while (c.network.length > 0) c.deliver(0);
      if (!raw.hasReady()) continue;
      const rd = raw.ready();
      c.node(1).storage.mem.append(rd.entries);
      if (rd.committedEntries.length > 0) sizes.push(rd.committedEntries.length);
      c.network.push(...rd.messages, ...rd.messagesAfterAppend);
      raw.advance(rd);
    }
    expect(sizes.every((n) => n <= 2)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(6);
  });
});
