import { describe, expect, it } from 'vitest';
import { createTestCluster, realNodeBuilder } from '../testing/cluster-harness.js';
import type { CallOutcome } from '../client/client.js';

describe('Maintenance.MoveLeader', () => {
  it('the leader hands over to a voter; a follower says NotLeader; a non-member is a bad transferee', () => {
    const c = createTestCluster({ members: 3, node: realNodeBuilder('readindex'), seed: 3 });
    c.runUntil(() => c.leader() !== undefined, 10_000_000);
    const lead = c.leader();
    if (lead === undefined) throw new Error('no leader');
    const follower = c.memberIds.find((id) => id !== lead.id) as number;
    const toLeader = c.addClient({ endpoints: [lead.id] });
    // NotLeader is FailedPrecondition for MoveLeader in etcd: not worth a retry here.
    const toFollower = c.addClient({ endpoints: [follower], maxRetries: 0 });

    const out: Record<string, CallOutcome<'move-leader'>> = {};
    toFollower.call('move-leader', { targetId: lead.id }, (o) => (out.follower = o));
    toLeader.call('move-leader', { targetId: 9 }, (o) => (out.stranger = o));
    c.run(1_000_000);
    expect(out.follower).toMatchObject({ status: 'fail', error: { code: 'NotLeader' } });
    expect(out.stranger).toMatchObject({ status: 'fail', error: { code: 'BadLeaderTransferee', message: 'etcdserver: bad leader transferee' } });

    toLeader.call('move-leader', { targetId: follower }, (o) => (out.moved = o));
    c.runUntil(() => out.moved !== undefined, 5_000_000);
    expect(out.moved).toMatchObject({ status: 'ok' });
    expect(c.leader()?.id).toBe(follower);
  });

  it('a transfer to a member that cannot answer times out with ErrTimeoutLeaderTransfer', () => {
    const c = createTestCluster({ members: 3, node: realNodeBuilder('readindex'), seed: 4 });
    c.runUntil(() => c.leader() !== undefined, 10_000_000);
    const lead = c.leader();
    if (lead === undefined) throw new Error('no leader');
    const target = c.memberIds.find((id) => id !== lead.id) as number;
    c.crash(target);
    const client = c.addClient({ endpoints: [lead.id], callTimeoutUs: 20_000_000, maxRetries: 0 });
    let o: CallOutcome<'move-leader'> | undefined;
    client.call('move-leader', { targetId: target }, (x) => (o = x));
    c.runUntil(() => o !== undefined, 20_000_000);
    // The transfer may still complete later: an indefinite outcome.
    expect(o).toMatchObject({ status: 'unknown', error: { code: 'TimeoutLeaderTransfer' } });
    expect(c.leader()?.id).toBe(lead.id);
  });
});
