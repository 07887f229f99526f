import { describe, expect, it } from 'vitest';
import { createTestCluster, realNodeBuilder, type TestCluster } from '../../testing/cluster-harness.js';
import type { HostContext } from '../../../sim/host.js';
import { createKvClient, type ClientEnv, type KvClient } from '../client.js';
import { Election, type CampaignResult } from './election.js';
import { Mutex, type LockResult } from './mutex.js';
import { Session, type SessionEnd } from './session.js';

interface Locker {
  readonly ctx: HostContext;
  readonly client: KvClient;
  readonly session: Session;
  readonly mutex: Mutex;
  ready: boolean | null;
  ended: SessionEnd | null;
  results: LockResult[];
}

function addLocker(c: TestCluster, ttlS: number): Locker {
  return c.addProgram((ctx: HostContext, env: ClientEnv) => {
    const client = createKvClient(ctx, env, { endpoints: c.memberIds, process: ctx.id - 100 });
    const l: Locker = {
      ctx,
      client,
      session: undefined as unknown as Session,
      mutex: undefined as unknown as Mutex,
      ready: null,
      ended: null,
      results: [],
    };
    const session = new Session(ctx, client, { ttlS }, { ready: (ok) => (l.ready = ok), done: (why) => (l.ended = why) });
    Object.assign(l, { session, mutex: new Mutex(client, session, 'lock/r') });
    // The client host's network and watch replies reach the client through its program.
    return Object.assign(client, { locker: l });
  }).locker as Locker;
}

/** Two lockers whose sessions (TTLs `ttlA`, `ttlB` seconds) have been granted. */
function twoSessions(c: TestCluster, ttlA: number, ttlB: number): [Locker, Locker] {
  const a = addLocker(c, ttlA);
  const b = addLocker(c, ttlB);
  a.session.start();
  b.session.start();
  c.runUntil(() => a.ready !== null && b.ready !== null, 5_000_000);
  expect([a.ready, b.ready]).toEqual([true, true]);
  return [a, b];
}

function cluster(): TestCluster {
  const c = createTestCluster({ members: 3, node: realNodeBuilder('readindex'), seed: 7 });
  c.runUntil(() => c.leader() !== undefined, 10_000_000);
  return c;
}

describe('clientv3 concurrency: Session and Mutex', () => {
  it('hands the lock on in the order the sessions queued, each with a larger token', () => {
    const c = cluster();
    const a = addLocker(c, 5);
    const b = addLocker(c, 5);
    a.session.start();
    c.runUntil(() => a.ready !== null, 5_000_000);
    b.session.start();
    c.runUntil(() => b.ready !== null, 5_000_000);
    expect([a.ready, b.ready]).toEqual([true, true]);

    a.mutex.lock((r) => a.results.push(r));
    c.runUntil(() => a.results.length === 1, 5_000_000);
    b.mutex.lock((r) => b.results.push(r));
    c.run(3_000_000);
    // b queues behind a: it holds nothing while a does.
    expect(a.results[0]).toMatchObject({ ok: true });
    expect(b.results).toEqual([]);

    let unlocked = false;
    a.mutex.unlock((ok) => (unlocked = ok));
    c.runUntil(() => b.results.length === 1, 5_000_000);
    expect(unlocked).toBe(true);
    const ra = a.results[0];
    const rb = b.results[0];
    expect(rb).toMatchObject({ ok: true });
    if (ra?.ok !== true || rb?.ok !== true) throw new Error('unreachable');
    expect(rb.token).toBeGreaterThan(ra.token);
    expect(rb.acquiredRevision).toBeGreaterThan(ra.acquiredRevision);
    // Keepalives kept both sessions alive all along.
    expect([a.ended, b.ended]).toEqual([null, null]);
  });

  it('a paused holder loses its lease; the next session takes the lock while the first still believes it holds it', () => {
    const c = cluster();
    const [a, b] = twoSessions(c, 2, 2);
    a.mutex.lock((r) => a.results.push(r));
    c.runUntil(() => a.results.length === 1, 5_000_000);
    b.mutex.lock((r) => b.results.push(r));
    c.run(1_000_000);
    expect(b.results).toEqual([]);

    c.hosts.pause(a.ctx.id);
    // The lease (TTL 2 s, a little more after the leader's extension) runs out; its key is deleted; b's watch sees it.
    c.runUntil(() => b.results.length === 1, 10_000_000);
    expect(b.results[0]).toMatchObject({ ok: true });
    // a was paused the whole time: its session has not noticed anything yet.
    expect(a.ended).toBe(null);

    c.hosts.resume(a.ctx.id);
    c.runUntil(() => a.ended !== null, 5_000_000);
    expect(a.ended === 'expired' || a.ended === 'keepalive-timeout').toBe(true);

    // The fence: a write guarded by a's isOwner() is refused now; one guarded by b's goes through.
    const guarded = (l: Locker, value: string): boolean[] => {
      const out: boolean[] = [];
      l.client.call('txn', { compare: [l.mutex.isOwner()], success: [{ type: 'put', request: { key: 'r', value } }], failure: [] }, (o) => out.push(o.status === 'ok' && o.response.succeeded));
      return out;
    };
    const fa = guarded(a, 'from a');
    const fb = guarded(b, 'from b');
    c.run(2_000_000);
    expect(fa).toEqual([false]);
    expect(fb).toEqual([true]);
  });

  it('a lock whose key vanished while it waited reports the session expired', () => {
    const c = cluster();
    const [a, b] = twoSessions(c, 5, 2);
    a.mutex.lock((r) => a.results.push(r));
    c.runUntil(() => a.results.length === 1, 5_000_000);
    b.mutex.lock((r) => b.results.push(r));
    c.run(500_000);
    // b's client stops keeping its lease alive (paused), its key expires; a unlocks; b resumes and finds its key gone.
    c.hosts.pause(b.ctx.id);
    c.run(6_000_000);
    a.mutex.unlock(() => undefined);
    c.run(1_000_000);
    c.hosts.resume(b.ctx.id);
    c.runUntil(() => b.results.length === 1, 10_000_000);
    expect(b.results[0]).toMatchObject({ ok: false, reason: 'session-expired' });
  });
});

describe('clientv3 concurrency: Election', () => {
  it('elects the first campaigner, the next on resignation, and refuses a deposed leader’s proclaim', () => {
    const c = cluster();
    const [a, b] = twoSessions(c, 2, 2);
    const ea = new Election(a.client, a.session, 'elect/svc');
    const eb = new Election(b.client, b.session, 'elect/svc');
    const ra: CampaignResult[] = [];
    const rb: CampaignResult[] = [];
    ea.campaign('a', (r) => ra.push(r));
    c.runUntil(() => ra.length === 1, 5_000_000);
    eb.campaign('b', (r) => rb.push(r));
    c.run(1_000_000);
    expect(ra[0]).toMatchObject({ ok: true });
    expect(rb).toEqual([]);
    let seen: string | undefined;
    eb.leader((kv) => (seen = kv?.value));
    c.run(500_000);
    expect(seen).toBe('a');

    // a is paused past its lease: b is elected while a still thinks it leads; a's proclaim is then refused.
    c.hosts.pause(a.ctx.id);
    c.runUntil(() => rb.length === 1, 10_000_000);
    expect(rb[0]).toMatchObject({ ok: true });
    c.hosts.resume(a.ctx.id);
    const proclaimed: boolean[] = [];
    ea.proclaim('a again', (ok) => proclaimed.push(ok));
    c.run(2_000_000);
    expect(proclaimed).toEqual([false]);
    eb.leader((kv) => (seen = kv?.value));
    c.run(500_000);
    expect(seen).toBe('b');

    let resigned = false;
    eb.resign((ok) => (resigned = ok));
    c.run(1_000_000);
    expect(resigned).toBe(true);
    eb.leader((kv) => (seen = kv === undefined ? '(none)' : kv?.value));
    c.run(500_000);
    expect(seen).toBe('(none)');
  });
});
