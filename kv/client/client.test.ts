import { describe, expect, it } from 'vitest';
import { createTestCluster, fakeNodeBuilder, type TestCluster } from '../testing/cluster-harness.js';
import type { FakeRaftNode } from '../testing/fake-raft-node.js';
import type { ServerOptions } from '../server/options.js';
import type { Method } from '../wire.js';
import type { CallOutcome, KvClient } from './client.js';
import { attemptAmbiguous, failureStatus, retryBackoffUs, shouldRetry } from './retry.js';
import { createRandom } from '../../sim/random.js';

function cluster(server: Partial<ServerOptions> | ((id: number) => Partial<ServerOptions>) = {}): TestCluster {
  return createTestCluster({ members: 3, node: fakeNodeBuilder(), server });
}

function fake(c: TestCluster, id: number): FakeRaftNode {
  return c.member(id)?.node as FakeRaftNode;
}

/** Calls and collects the outcome. */
function call<M extends Method>(client: KvClient, method: M, request: Parameters<KvClient['call']>[1]): { o: CallOutcome<M> | undefined } {
  const box: { o: CallOutcome<M> | undefined } = { o: undefined };
  client.call(method, request as never, (o) => (box.o = o as CallOutcome<M>));
  return box;
}

describe('kv client: retry rules (clientv3 retry.go)', () => {
  it('repeatable calls retry Unavailable-class errors; non-repeatable ones only if they never left', () => {
    expect(shouldRetry('range', 'LeaderChanged', true)).toBe(true);
    expect(shouldRetry('range', 'Compacted', true)).toBe(false);
    expect(shouldRetry('put', 'LeaderChanged', true)).toBe(false);
    expect(shouldRetry('put', 'Unavailable', false)).toBe(true);
    expect(shouldRetry('txn', 'Unavailable', true)).toBe(false);
    expect(shouldRetry('lease-keepalive', 'NotLeader', true)).toBe(true);
  });

  it('outcome: never sent or a definite error = fail; otherwise unknown', () => {
    expect(failureStatus('Timeout', false)).toBe('fail');
    expect(failureStatus('Timeout', true)).toBe('unknown');
    expect(failureStatus('TimeoutDueToLeaderFail', true)).toBe('unknown');
    expect(failureStatus('NoSpace', true)).toBe('fail');
    expect(failureStatus('ProposalDropped', true)).toBe('fail');
  });

  it('outcome after an earlier attempt went unanswered: a definite error of a call with effects is unknown, of a read still fail', () => {
    expect(attemptAmbiguous('Unavailable', true)).toBe(true);
    expect(attemptAmbiguous('Unavailable', false)).toBe(false);
    expect(attemptAmbiguous('NotLeader', true)).toBe(false);
    expect(failureStatus('LeaseNotFound', true, 'lease-revoke', true)).toBe('unknown');
    expect(failureStatus('LeaseNotFound', true, 'lease-revoke', false)).toBe('fail');
    expect(failureStatus('LeaseNotFound', true, 'lease-keepalive', true)).toBe('unknown');
    expect(failureStatus('Compacted', true, 'range', true)).toBe('fail');
  });

  it('backoff waits 25 ms ± 10 % after every round over a quorum, else retries at once', () => {
    const r = createRandom(3);
    const waits = [1, 2, 3, 4, 5, 6].map((a) => retryBackoffUs(a, 3, r));
    expect(waits.filter((_, i) => (i + 1) % 2 === 0).every((w) => w >= 22_500 && w <= 27_500)).toBe(true);
    expect(waits.filter((_, i) => (i + 1) % 2 === 1)).toEqual([0, 0, 0]);
  });
});

describe('kv client: on a cluster of fake members', () => {
  it('round-robins over connected endpoints and records ok calls with the response header revision', () => {
    const c = cluster();
    const client = c.addClient();
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      const b = call(client, 'put', { key: `k${i}`, value: `v${i}` });
      c.run(20_000);
      expect(b.o?.status).toBe('ok');
      if (b.o?.status === 'ok') seen.push(b.o.member);
    }
    expect(seen).toEqual([1, 2, 3, 1, 2, 3]);
    const ops = c.operations();
    expect(ops).toHaveLength(6);
    expect(ops[0]).toMatchObject({ client: 0, op: 'put', key: 'k0', input: { key: 'k0', value: 'v0' }, status: 'ok', output: { revision: 2 } });
  });

  it('a write whose member crashes before answering is unknown and is not retried', () => {
    const c = cluster();
    const client = c.addClient();
    c.run(10_000);
    fake(c, 1).holdApply(true);
    const b = call(client, 'put', { key: 'a', value: '1' });
    c.run(5_000);
    c.crash(1);
    c.run(50_000);
    expect(b.o).toMatchObject({ status: 'unknown', attempts: 1, error: { code: 'Unavailable', message: 'transport is closing' } });
    expect(c.operations()[0]).toMatchObject({ op: 'put', status: 'unknown', return: null });
    expect(c.operations()[0]?.output).toBeUndefined();
  });

  it('a read in the same situation is retried on the next member and succeeds', () => {
    const c = cluster({ readMode: 'readindex' });
    const client = c.addClient();
    c.run(10_000);
    fake(c, 1).holdReadIndex(true);
    const b = call(client, 'range', { key: 'a' });
    c.run(5_000);
    c.crash(1);
    c.run(50_000);
    expect(b.o).toMatchObject({ status: 'ok', member: 2, attempts: 2 });
    expect(client.stats()).toMatchObject({ retries: 1 });
  });

  it('a server error that is definite ends the call as fail, without retry', () => {
    const c = cluster();
    const client = c.addClient();
    const b = call(client, 'put', { key: '', value: 'x' });
    c.run(20_000);
    expect(b.o).toMatchObject({ status: 'fail', attempts: 1, error: { code: 'EmptyKey' } });
    expect(c.operations()[0]).toMatchObject({ status: 'fail', output: { code: 'EmptyKey' } });
  });

  it('a write the server times out (lost proposal) is unknown; a read timing out server-side is retried elsewhere', () => {
    const c = cluster({ requestTimeoutUs: 100_000 });
    const client = c.addClient({ callTimeoutUs: 1_000_000 });
    c.run(10_000);
    fake(c, 1).loseProposals(true);
    const w = call(client, 'put', { key: 'a', value: '1' });
    c.run(200_000);
    expect(w.o).toMatchObject({ status: 'unknown', attempts: 1, error: { code: 'Timeout' } });
    fake(c, 2).holdReadIndex(true);
    const r = call(client, 'range', { key: 'a' });
    c.run(300_000);
    expect(r.o).toMatchObject({ status: 'ok', member: 3, attempts: 2 });
  });

  it('with no member reachable a write waits for a connection (WaitForReady) and is sent once one is up', () => {
    const c = cluster();
    const client = c.addClient();
    c.run(10_000);
    for (const id of [1, 2, 3]) c.crash(id);
    const b = call(client, 'put', { key: 'a', value: '1' });
    c.run(500_000);
    expect(b.o).toBeUndefined();
    c.restart(2);
    c.run(2_000_000);
    expect(b.o).toMatchObject({ status: 'ok', member: 2 });
  });

  it('a write that never left before its deadline is a definite fail', () => {
    const c = cluster();
    const client = c.addClient({ callTimeoutUs: 300_000 });
    c.run(10_000);
    for (const id of [1, 2, 3]) c.crash(id);
    const b = call(client, 'put', { key: 'a', value: '1' });
    c.run(400_000);
    expect(b.o).toMatchObject({ status: 'fail', attempts: 0, error: { code: 'Timeout', message: 'context deadline exceeded' } });
    expect(c.operations()[0]).toMatchObject({ status: 'fail' });
  });

  it('a sent call past its deadline is unknown', () => {
    const c = cluster();
    const client = c.addClient({ callTimeoutUs: 300_000 });
    c.run(10_000);
    fake(c, 1).holdApply(true);
    const b = call(client, 'put', { key: 'a', value: '1' });
    c.run(400_000);
    expect(b.o).toMatchObject({ status: 'unknown', attempts: 1 });
  });

  it('leader-local reads refused by followers (NotLeader) move on until the leader answers', () => {
    const c = cluster({ readMode: 'leader-local' });
    c.run(10_000);
    fake(c, 1).becomeFollower(3, 2);
    fake(c, 2).becomeFollower(3, 2);
    const client = c.addClient();
    c.run(10_000);
    const b = call(client, 'range', { key: 'a' });
    c.run(100_000);
    expect(b.o).toMatchObject({ status: 'ok', member: 3, attempts: 3 });
  });

  it('a partition between client and member breaks the connection; a read fails over, a write sent into it is unknown', () => {
    const c = cluster();
    const client = c.addClient({ callTimeoutUs: 1_000_000 });
    c.run(10_000);
    c.network.isolate(1, [client.id]);
    const r = call(client, 'range', { key: 'a' });
    c.run(50_000);
    expect(r.o).toMatchObject({ status: 'ok', member: 2, attempts: 2 });
    c.network.heal();
    c.run(3_000_000); // the connection to 1 redials
    const w1 = call(client, 'put', { key: 'a', value: '1' }); // goes to 3
    c.run(20_000);
    expect(w1.o).toMatchObject({ status: 'ok', member: 3 });
    const w2 = call(client, 'put', { key: 'b', value: '1' }); // goes to 1
    c.network.isolate(1, [client.id]);
    c.run(50_000);
    expect(w2.o).toMatchObject({ status: 'unknown', attempts: 1 });
  });
});

describe('kv client: connection liveness (gRPC keepalive)', () => {
  const keepalive = { keepaliveTimeUs: 200_000, keepaliveTimeoutUs: 300_000, callTimeoutUs: 3_000_000 } as const;

  it('off (the default, as clientv3): a read sent to a paused member waits for its deadline', () => {
    const c = cluster({ readMode: 'serializable' });
    const client = c.addClient({ callTimeoutUs: 3_000_000 });
    c.run(10_000);
    c.hosts.pause(1);
    const b = call(client, 'range', { key: 'a' });
    c.run(2_900_000);
    expect(b.o).toBeUndefined();
    c.run(200_000);
    expect(b.o).toMatchObject({ status: 'unknown', attempts: 1, error: { code: 'Timeout' } });
    expect(client.stats()).toMatchObject({ pings: 0, deadConnections: 0 });
  });

  it('on: the unanswered ping ends the attempt to a paused member with TimeoutDueToConnectionLost, and the read is retried on the next member long before its deadline', () => {
    const c = cluster({ readMode: 'serializable' });
    const client = c.addClient(keepalive);
    c.run(10_000);
    c.hosts.pause(1);
    const start = c.scheduler.now;
    const b = call(client, 'range', { key: 'a' });
    c.runUntil(() => b.o !== undefined, 3_000_000);
    expect(b.o).toMatchObject({ status: 'ok', member: 2, attempts: 2 });
    // Silent for keepaliveTime, then the ping's keepaliveTimeout: dead within ~0.5 s, not 3 s.
    expect(c.scheduler.now - start).toBeLessThan(700_000);
    expect(client.stats()).toMatchObject({ deadConnections: 1 });
    const dead = c.trace.events().filter((e) => e.kind === 'client.conn-dead');
    expect(dead.map((e) => e.fields)).toEqual([{ to: 1, inflight: 1, watches: false }]);
    expect(c.operations()[0]).toMatchObject({ op: 'range', status: 'ok' });
  });

  it('on: a write to a paused member ends unknown with TimeoutDueToConnectionLost before its deadline, and is not retried', () => {
    const c = cluster();
    const client = c.addClient(keepalive);
    c.run(10_000);
    c.hosts.pause(1);
    const start = c.scheduler.now;
    const b = call(client, 'put', { key: 'a', value: '1' });
    c.runUntil(() => b.o !== undefined, 3_000_000);
    expect(b.o).toMatchObject({ status: 'unknown', attempts: 1, error: { code: 'TimeoutDueToConnectionLost' } });
    expect(c.scheduler.now - start).toBeLessThan(700_000);
    expect(c.operations()[0]).toMatchObject({ op: 'put', status: 'unknown' });
    // The member resumes and applies it: the outcome really was unknown; its late reply is ignored.
    c.hosts.resume(1);
    c.run(50_000);
    expect(c.member(1)?.server.revision()).toBe(2);
    expect(client.stats().staleReplies).toBe(1);
  });

  it('on: a reply path that died silently is found by the ping, which breaks the connection at the cut (a read fails over before its deadline)', () => {
    const c = cluster({ readMode: 'readindex' });
    const client = c.addClient(keepalive);
    c.run(10_000);
    fake(c, 1).holdReadIndex(true);
    const b = call(client, 'range', { key: 'a' });
    c.run(5_000); // the request is at member 1
    c.network.cutOneWay(1, client.id); // its answer will be lost; the client sends nothing meanwhile
    fake(c, 1).answerReadIndex(0);
    c.runUntil(() => b.o !== undefined, 3_000_000);
    expect(b.o).toMatchObject({ status: 'ok', member: 2, attempts: 2 });
    expect(c.scheduler.now).toBeLessThan(1_000_000);
    expect(client.stats().pings).toBeGreaterThanOrEqual(1);
  });

  it('on: an idle connection is not pinged; a busy one whose member answers its pings stays up however long the call takes', () => {
    const c = cluster();
    const client = c.addClient({ ...keepalive, callTimeoutUs: 5_000_000 });
    c.run(2_000_000);
    expect(client.stats().pings).toBe(0);
    fake(c, 1).holdApply(true);
    const b = call(client, 'put', { key: 'a', value: '1' });
    c.run(2_000_000);
    expect(b.o).toBeUndefined();
    expect(client.stats().pings).toBeGreaterThanOrEqual(4);
    expect(client.stats().deadConnections).toBe(0);
    fake(c, 1).holdApply(false);
    c.run(20_000);
    expect(b.o).toMatchObject({ status: 'ok', member: 1, attempts: 1 });
  });

  it('on: a watch on a paused member counts as an active stream: its connection is declared dead and the watch moves to another member', () => {
    const c = cluster();
    const client = c.addClient(keepalive);
    c.run(10_000);
    const w = client.watch({ key: 'a' });
    c.run(20_000);
    const record = c.watchLog.records[0];
    expect(record?.placements.map((p) => p.member)).toEqual([1]);
    c.hosts.pause(1);
    c.run(1_000_000);
    expect(client.stats().deadConnections).toBeGreaterThanOrEqual(1);
    expect(record?.placements.length).toBeGreaterThanOrEqual(2);
    expect(record?.placements.at(-1)?.member).not.toBe(1);
    expect(w.ended).toBe(false);
  });
});
