/**
 * The Cluster API on real raft nodes, against etcd's documented behaviour (server.go AddMember,
 * PromoteMember, RemoveMember, mayAddMember, mayRemoveMember, isLearnerReady; membership/cluster.go).
 */
import { describe, expect, it } from 'vitest';
import { answerWaiter, createTestCluster, realNodeBuilder, type TestCluster } from '../testing/cluster-harness.js';
import type { CallOutcome } from '../client/client.js';
import { clusterClient, peerURL, type ClusterClient } from '../client/cluster.js';
import type { Method } from '../wire.js';
import type { Member } from '../member.js';

type Out = CallOutcome<Method>;

function setup(seed: number, server: Record<string, unknown> = {}, spares = 2): { c: TestCluster; lead: Member; api: ClusterClient; wait: <T>(f: (done: (o: T) => void) => void) => T } {
  // A short health interval so a test need not wait etcd's 5 s before the first change.
  const c = createTestCluster({ members: 3, spares, node: realNodeBuilder('readindex', { snapshotCount: 50, catchUpEntries: 10 }), server: { healthIntervalUs: 200_000, ...server }, seed });
  c.runUntil(() => c.leader() !== undefined, 10_000_000);
  c.run(500_000);
  const lead = c.leader();
  if (lead === undefined) throw new Error('no leader');
  const client = c.addClient({ endpoints: [lead.id], maxRetries: 0 });
  const wait = answerWaiter(c);
  return { c, lead, api: clusterClient(client), wait };
}

const code = (o: Out): string => (o.status === 'ok' ? 'ok' : o.error.code);

describe('Cluster API: MemberAdd, MemberPromote, MemberRemove, MemberUpdate, MemberList', () => {
  it('a learner joins empty, catches up by snapshot, is refused promotion until ready, then votes', () => {
    const { c, api, wait } = setup(11);
    const client = c.addClient({ endpoints: [c.leader()!.id] });
    for (let i = 0; i < 120; i++) client.call('put', { key: `k${i % 7}`, value: `v${i}` }, undefined, { record: false });
    c.run(2_000_000);
    const added = wait<CallOutcome<'member-add'>>((d) => api.memberAddAsLearner([peerURL(4)], d));
    expect(added).toMatchObject({ status: 'ok', response: { member: { id: 4, name: '', isLearner: true } } });
    if (added.status !== 'ok') return;
    expect(added.response.members.map((m) => [m.id, m.isLearner])).toEqual([[1, false], [2, false], [3, false], [4, true]]);
    // Not started yet: match 0 of the leader's.
    expect(code(wait((d) => api.memberPromote(4, d)))).toBe('LearnerNotReady');
    const joiner = c.startJoiner(4);
    c.runUntil(() => joiner.status().kvAppliedIndex >= c.leader()!.status().kvAppliedIndex && joiner.status().revision > 100, 10_000_000);
    expect(c.trace.events().some((e) => e.host === 4 && e.kind === 'raft.snapshot' && e.fields.what === 'received')).toBe(true);
    expect(joiner.hashKV().ok && joiner.hashKV()).toEqual(c.leader()!.hashKV());
    // It published its name (etcd publishV3): listed as started.
    c.run(500_000);
    const listed = wait<CallOutcome<'member-list'>>((d) => api.memberList(d));
    expect(listed.status === 'ok' && listed.response.members.find((m) => m.id === 4)?.name).toBe('m4');
    expect(joiner.node.status().confState.learners).toEqual([4]);
    expect(code(wait((d) => api.memberPromote(4, d)))).toBe('ok');
    c.run(200_000);
    expect(joiner.node.status().confState.voters).toEqual([1, 2, 3, 4]);
    // Promoting a voter is refused at apply (ErrMemberNotLearner).
    expect(code(wait((d) => api.memberPromote(4, d)))).toBe('MemberNotLearner');
    // The learner limit (1) is checked at apply: one learner at a time.
    expect(code(wait((d) => api.memberAddAsLearner([peerURL(5)], d)))).toBe('ok');
    expect(code(wait((d) => api.memberAddAsLearner(['http://m6:2380'], d)))).toBe('TooManyLearners');
  });

  it('strict reconfiguration: voters that never started stop a further add (ErrMemberNotEnoughStarted); --strict-reconfig-check=false skips it', () => {
    const { api, wait } = setup(12, {}, 4);
    expect(code(wait((d) => api.memberAdd([peerURL(4)], d)))).toBe('ok');
    expect(code(wait((d) => api.memberAdd([peerURL(5)], d)))).toBe('ok');
    // 3 started of 5 voters: a sixth would need 4 started.
    expect(code(wait((d) => api.memberAdd([peerURL(6)], d)))).toBe('MemberNotEnoughStarted');
    // Removing a started voter would leave 2 started of 4.
    expect(code(wait((d) => api.memberRemove(1, d)))).toBe('MemberNotEnoughStarted');
    // A learner skips the started-quorum check but not the connection check, which counts the two
    // voters that never started as not connected: 3 of 5 is not a quorum of 6.
    expect(code(wait((d) => api.memberAddAsLearner([peerURL(6)], d)))).toBe('Unhealthy');
    const loose = setup(12, { strictReconfigCheck: false }, 4);
    loose.wait((d) => loose.api.memberAdd([peerURL(4)], d));
    loose.wait((d) => loose.api.memberAdd([peerURL(5)], d));
    expect(code(loose.wait((d) => loose.api.memberAdd([peerURL(6)], d)))).toBe('ok');
  });

  it('ErrUnhealthy: a change that the leader\'s connections say would break the active quorum', () => {
    const { c, lead, api, wait } = setup(13);
    const [down, other] = c.memberIds.filter((id) => id !== lead.id) as [number, number];
    c.crash(down);
    c.run(300_000);
    // Adding: the new member counts as not connected, so 2 of 4 connected is not a quorum.
    expect(code(wait((d) => api.memberAdd([peerURL(4)], d)))).toBe('Unhealthy');
    // Removing a live member with another down leaves 1 connected of 3.
    expect(code(wait((d) => api.memberRemove(other, d)))).toBe('Unhealthy');
    // A member that is down is not in the active quorum: removing it is safe.
    expect(code(wait((d) => api.memberRemove(down, d)))).toBe('ok');
  });

  it('a removed id cannot rejoin (ErrIDRemoved); bad URLs, taken URLs and unknown ids are refused; MemberUpdate changes peer URLs', () => {
    const { c, lead, api, wait } = setup(14);
    const victim = c.memberIds.find((id) => id !== lead.id) as number;
    expect(code(wait((d) => api.memberRemove(victim, d)))).toBe('ok');
    c.run(200_000);
    expect(lead.node.status().confState.voters).not.toContain(victim);
    const again = wait<Out>((d) => api.memberAdd([peerURL(victim)], d));
    expect(again).toMatchObject({ status: 'fail', error: { code: 'IDRemoved', message: 'etcdserver: member not found (membership: ID removed)' } });
    expect(code(wait((d) => api.memberRemove(victim, d)))).toBe('IDRemoved');
    expect(code(wait((d) => api.memberAdd(['http://10.0.0.9:2380'], d)))).toBe('MemberBadURLs');
    expect(code(wait((d) => api.memberRemove(42, d)))).toBe('MemberNotFound');
    const keep = c.memberIds.find((id) => id !== lead.id && id !== victim) as number;
    expect(code(wait((d) => api.memberUpdate(keep, [peerURL(lead.id)], d)))).toBe('PeerURLExist');
    expect(code(wait((d) => api.memberUpdate(keep, ['http://m9:2381'], d)))).toBe('ok');
    const listed = wait<CallOutcome<'member-list'>>((d) => api.memberList(d, { serializable: true }));
    expect(listed.status === 'ok' && listed.response.members.find((m) => m.id === keep)?.peerURLs).toEqual(['http://m9:2381']);
  });

  it('MemberPromote on a follower is NotLeader (only the leader knows the learner\'s progress)', () => {
    const { c, lead, api, wait } = setup(15);
    wait((d) => api.memberAddAsLearner([peerURL(4)], d));
    const follower = c.memberIds.find((id) => id !== lead.id) as number;
    const viaFollower = clusterClient(c.addClient({ endpoints: [follower], maxRetries: 0 }));
    expect(code(wait((d) => viaFollower.memberPromote(4, d)))).toBe('NotLeader');
  });
});
