/**
 * A member on the real raft node: what its demultiplexer carries between the network and the node.
 */
import { describe, expect, it } from 'vitest';
import type { HostId } from '../sim/host.js';
import type { CallOutcome, KvClient } from './client/client.js';
import { createTestCluster, realNodeBuilder, type TestCluster } from './testing/cluster-harness.js';
import type { Member } from './member.js';
import type { ServerOptions } from './server/options.js';
import type { Method, RequestOf } from './wire.js';

describe('member: raft messages carry their trace id through the wire', () => {
  it('every raft.recv names the id of exactly one raft.send, from that sender, of that type and term; ids are unique across senders and restarts', () => {
    const c = createTestCluster({ members: 3, node: realNodeBuilder('readindex', { tickUs: 10_000 }), server: { electionTimeoutUs: 100_000 }, seed: 'ids' });
    const client = c.addClient({ callTimeoutUs: 1_000_000 });
    c.runUntil(() => c.leader() !== undefined, 2_000_000);
    for (let i = 0; i < 5; i++) client.call('put', { key: `k${i}`, value: 'v' }, undefined, { record: false });
    c.run(300_000);
    const lead = c.leader();
    expect(lead).toBeDefined();
    c.crash(lead?.id ?? 1);
    c.run(300_000);
    c.restart(lead?.id ?? 1);
    for (let i = 0; i < 5; i++) client.call('range', { key: `k${i}` }, undefined, { record: false });
    c.run(1_000_000);

    const events = c.trace.events();
    const sends = new Map<string, { from: number; to: number; type: unknown; term: unknown }>();
    for (const e of events.filter((x) => x.kind === 'raft.send')) {
      const keys = Object.keys(e.fields);
      expect(keys.at(-1)).toBe('id'); // appended last: the other fields keep their order
      expect(keys.slice(0, 3)).toEqual(['type', 'to', 'term']);
      const id = String(e.fields.id);
      expect(sends.has(id)).toBe(false);
      expect(id.startsWith(`${e.host}.`)).toBe(true);
      sends.set(id, { from: e.host ?? -1, to: Number(e.fields.to), type: e.fields.type, term: e.fields.term });
    }
    const recvs = events.filter((x) => x.kind === 'raft.recv');
    expect(recvs.length).toBeGreaterThan(100);
    const received = new Set<string>();
    for (const e of recvs) {
      expect(Object.keys(e.fields).at(-1)).toBe('id');
      const id = String(e.fields.id);
      const s = sends.get(id);
      expect(s, `raft.recv ${id} has no raft.send`).toBeDefined();
      expect({ from: Number(e.fields.from), to: e.host, type: e.fields.type, term: e.fields.term }).toEqual({ from: s?.from, to: s?.to, type: s?.type, term: s?.term });
      expect(received.has(id)).toBe(false); // streams never duplicate
      received.add(id);
    }
    // The restarted incarnation numbers its messages afresh, under its own incarnation.
    const restartedIds = [...sends.keys()].filter((id) => id.startsWith(`${lead?.id}.2.`));
    expect(restartedIds.length).toBeGreaterThan(0);
  });
});

describe('member: lease calls a follower forwards to the leader (etcd leasehttp)', () => {
  const fast = { tickUs: 10_000 } as const;
  const server = { electionTimeoutUs: 100_000, leaseCheckIntervalUs: 100_000 } as const;

  function callSync<M extends Method>(c: TestCluster, client: KvClient, method: M, request: RequestOf<M>, limitUs = 10_000_000): CallOutcome<M> {
    let out: CallOutcome<M> | undefined;
    client.call(method, request, (o) => (out = o), { record: false });
    c.runUntil(() => out !== undefined, limitUs);
    if (out === undefined) throw new Error(`${method} did not finish within ${limitUs} µs`);
    return out;
  }

  function setUp(seed: string, extra: Partial<ServerOptions> = {}): { c: TestCluster; leader: Member; follower: HostId; client: KvClient; lease: number } {
    const c = createTestCluster({ members: 3, node: realNodeBuilder('readindex', fast), server: { ...server, ...extra }, seed });
    c.runUntil(() => c.leader() !== undefined, 2_000_000);
    c.run(200_000);
    const leader = c.leader() as Member;
    const follower = c.memberIds.find((id) => id !== leader.id) as HostId;
    const client = c.addClient({ endpoints: [follower], callTimeoutUs: 3_000_000 });
    const g = callSync(c, client, 'lease-grant', { ttlS: 2 });
    if (g.status !== 'ok') throw new Error(`grant: ${JSON.stringify(g)}`);
    expect(callSync(c, client, 'put', { key: 'held', value: '1', lease: g.response.id }).status).toBe('ok');
    return { c, leader, follower, client, lease: g.response.id };
  }

  it('a client that talks only to a follower keeps its lease alive: keepalive and TTL are served by the leader\'s lessor through the follower', () => {
    const { c, leader, follower, client, lease } = setUp('forward');
    for (let i = 0; i < 10; i++) {
      const ka = callSync(c, client, 'lease-keepalive', { id: lease });
      expect(ka.status, JSON.stringify(ka)).toBe('ok');
      expect(ka.status === 'ok' && ka.response).toEqual({ id: lease, ttlS: 2 });
      expect(ka.member).toBe(follower);
      expect(ka.attempts).toBe(1); // forwarded, not retried elsewhere by the client
      c.run(500_000);
    }
    // 5 s later, well past the 2 s TTL: alive, with its key.
    expect(leader.server.state.lessor.exists(lease)).toBe(true);
    const ttl = callSync(c, client, 'lease-ttl', { id: lease, keys: true });
    expect(ttl.status === 'ok' && ttl.response).toMatchObject({ id: lease, grantedTtlS: 2, keys: ['held'] });
    expect(ttl.status === 'ok' && ttl.response.ttlS).toBeGreaterThanOrEqual(1);
    const unknown = callSync(c, client, 'lease-ttl', { id: 424242 });
    expect(unknown.status === 'ok' && unknown.response.ttlS).toBe(-1);
    const missing = callSync(c, client, 'lease-keepalive', { id: 424242 });
    expect(missing.status === 'fail' && missing.error.code).toBe('LeaseNotFound');
    const forwards = c.trace.events().filter((e) => e.kind === 'kv.forward');
    expect(forwards.length).toBeGreaterThanOrEqual(13);
    expect(forwards.every((e) => e.host === follower && e.fields.to === leader.id)).toBe(true);
    expect(c.trace.events().filter((e) => e.kind === 'kv.forwarded').every((e) => e.host === leader.id && e.fields.from === follower)).toBe(true);
    expect(leader.stats().leaseForwardedServed).toBe(forwards.length);
    // Once the client stops, the leader expires it through one replicated revoke.
    c.run(3_000_000);
    expect(c.liveMembers().every((m) => !m.server.state.lessor.exists(lease))).toBe(true);
  });

  it('a forward to a leader that went silent (paused) gives up after leaseForwardTimeoutUs and goes to the new leader, within the call\'s deadline', () => {
    const { c, leader, follower, client, lease } = setUp('forward-pause', { leaseForwardTimeoutUs: 300_000 });
    c.hosts.pause(leader.id);
    const ka = callSync(c, client, 'lease-keepalive', { id: lease });
    expect(ka.status, JSON.stringify(ka)).toBe('ok');
    expect(ka.attempts).toBe(1);
    const stats = (c.member(follower) as Member).stats().leaseForward;
    expect(stats.attemptTimeouts).toBeGreaterThanOrEqual(1);
    const newLeader = c.liveMembers().find((m) => m.id !== leader.id && m.node.status().role === 'leader');
    expect(newLeader?.server.state.lessor.exists(lease)).toBe(true);
    const lastForward = c.trace.events().filter((e) => e.kind === 'kv.forward').at(-1);
    expect(lastForward?.fields.to).toBe(newLeader?.id);
  });

  it('a forward in flight when the leader crashes is lost with the connection and sent again to the new leader', () => {
    const { c, leader, follower, client, lease } = setUp('forward-crash');
    let out: CallOutcome<'lease-keepalive'> | undefined;
    client.call('lease-keepalive', { id: lease }, (o) => (out = o), { record: false });
    c.runUntil(() => c.trace.events().some((e) => e.kind === 'kv.forwarded' && e.host === leader.id && e.timeUs >= c.scheduler.now - 1), 1_000_000);
    c.crash(leader.id);
    c.runUntil(() => out !== undefined, 3_000_000);
    expect(out?.status, JSON.stringify(out)).toBe('ok');
    const stats = (c.member(follower) as Member).stats().leaseForward;
    expect(stats.retries).toBeGreaterThanOrEqual(1);
    expect(stats.attemptTimeouts).toBe(0); // the broken connection told, no timeout needed
  });
});
