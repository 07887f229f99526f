/**
 * End to end (issue 6): a 3-member cluster on the real raft node, a client doing puts and gets
 * through the servers, the leader crashed in the middle and restarted; every answer carries a
 * correct header, reads see the writes before them, and all members converge to the same hashKV at
 * the same revision with the same applied write sequence.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KvError, RangeResponse, ResponseHeader } from './api.js';
import type { CallOutcome, KvClient } from './client/client.js';
import { createTestCluster, realNodeBuilder, type TestCluster } from './testing/cluster-harness.js';
import type { Member } from './member.js';
import type { Method, RequestOf } from './wire.js';
import { resolveWorkloadOptions, watcherFactory, workloadClientFactory, type WorkloadClient } from './workload/workload.js';
import { checkLinearizability } from '../sim/check/linearizability.js';
import { etcdModel, type EtcdOperation } from './check/etcd-model.js';
import type { ReadMode } from './server/options.js';

/** The etcd model's verdict on a cluster's history. */
function verdict(c: TestCluster): string {
  const history = c.history.finish() as EtcdOperation[];
  return checkLinearizability(etcdModel, history, { budgetSteps: 2_000_000 }).verdict;
}

function callSync<M extends Method>(c: TestCluster, client: KvClient, method: M, request: RequestOf<M>, limitUs = 10_000_000): CallOutcome<M> {
  let out: CallOutcome<M> | undefined;
  client.call(method, request, (o) => (out = o));
  c.runUntil(() => out !== undefined, limitUs);
  if (out === undefined) throw new Error(`${method} did not finish within ${limitUs} µs`);
  return out;
}

function leaderOf(c: TestCluster, limitUs = 10_000_000): Member {
  c.runUntil(() => c.leader() !== undefined, limitUs);
  const l = c.leader();
  if (l === undefined) throw new Error('no leader');
  return l;
}

/** Every live member applied the same index and holds the same revision. */
function converged(c: TestCluster): boolean {
  const ms = c.liveMembers();
  if (ms.length !== c.memberIds.length) return false;
  const first = ms[0] as Member;
  const s0 = first.status();
  return ms.every((m) => {
    const s = m.status();
    return s.node.applied === s0.node.applied && s.revision === s0.revision && s.node.commit === s.node.applied;
  });
}

describe('kv cluster end to end (3 members, real raft node)', () => {
  it('puts and gets across a leader crash: correct headers, fresh reads, and all members converge on one hashKV', () => {
    const c = createTestCluster({ members: 3, node: realNodeBuilder('readindex', { tickUs: 10_000, snapshotCount: 40, catchUpEntries: 10 }), server: { electionTimeoutUs: 100_000 }, seed: 'e2e', keepTrace: false });
    const client = c.addClient({ callTimeoutUs: 2_000_000 });
    const other = c.addClient({ callTimeoutUs: 2_000_000 });
    const first = leaderOf(c);
    const expected = new Map<string, string>();
    /** Values of puts whose outcome is unknown: a later read may see them. */
    const maybe = new Map<string, Set<string>>();
    let lastRevision = 1;
    let lastTerm = 0;
    const headers: ResponseHeader[] = [];

    const put = (key: string, value: string): CallOutcome<'put'> => {
      const o = callSync(c, client, 'put', { key, value });
      if (o.status === 'ok') {
        expect(o.header.clusterId).toBe(1);
        expect(o.header.memberId).toBe(o.member);
        expect(o.header.revision).toBeGreaterThan(lastRevision); // every put is a new revision
        expect(o.header.raftTerm).toBeGreaterThanOrEqual(lastTerm);
        lastRevision = o.header.revision;
        lastTerm = o.header.raftTerm;
        headers.push(o.header);
        expected.set(key, value);
        maybe.delete(key);
      } else {
        expect(o.status).toBe('unknown'); // sent writes never fail definitely here
        maybe.set(key, (maybe.get(key) ?? new Set()).add(value));
      }
      return o;
    };
    const get = (key: string): void => {
      const o = callSync(c, client, 'range', { key });
      if (o.status !== 'ok') return;
      expect(o.header.revision).toBeGreaterThanOrEqual(lastRevision); // linearizable: no older state
      lastRevision = o.header.revision;
      const value = (o.response as RangeResponse).kvs[0]?.value;
      const allowed = new Set([expected.get(key), ...(maybe.get(key) ?? [])]);
      expect(allowed.has(value)).toBe(true);
      if (value !== undefined && value !== expected.get(key)) {
        expected.set(key, value); // an unknown put is now known to have happened
        maybe.delete(key);
      }
    };

    for (let i = 0; i < 30; i++) {
      put(`k${i % 4}`, `a${i}`);
      get(`k${(i + 1) % 4}`);
    }
    const termBefore = first.node.status().term;
    // Crash the leader with another client's write in flight.
    other.call('put', { key: 'k0', value: 'in-flight' }, undefined);
    c.run(2_000);
    c.crash(first.id);
    maybe.set('k0', new Set(['in-flight']));
    c.run(200_000);
    const second = leaderOf(c);
    expect(second.id).not.toBe(first.id);
    let unknown = 0;
    for (let i = 30; i < 60; i++) {
      if (put(`k${i % 4}`, `b${i}`).status === 'unknown') unknown++;
      get(`k${(i + 1) % 4}`);
    }
    expect(unknown).toBeLessThan(5);
    expect(headers.at(-1)?.raftTerm).toBeGreaterThan(termBefore);
    c.restart(first.id);
    for (let i = 60; i < 80; i++) put(`k${i % 4}`, `c${i}`);
    expect(c.runUntil(() => converged(c), 10_000_000)).toBe(true);

    const hashes = c.liveMembers().map((m) => m.hashKV());
    expect(hashes.every((h) => h.ok)).toBe(true);
    const values = hashes.map((h) => (h.ok ? h.value : null));
    expect(new Set(values.map((v) => `${v?.hash}@${v?.hashRevision}`)).size).toBe(1);
    expect(values[0]?.hashRevision).toBe(lastRevision);
    // The same writes at the same indexes, wherever two members both applied them.
    const byIndex = new Map<number, string>();
    for (const m of c.liveMembers()) {
      for (const w of m.appliedWrites()) {
        const sig = `${w.requestId}/${w.revision}/${w.ok}`;
        const seen = byIndex.get(w.index);
        if (seen !== undefined) expect(sig).toBe(seen);
        byIndex.set(w.index, sig);
      }
    }
    expect(c.history.completed().filter((o) => o.status === 'fail')).toEqual([]);
    expect(verdict(c)).toBe('ok');
  });

  it('a follower partitioned away serves no stale linearizable read, while a serializable one may be stale', () => {
    const c = createTestCluster({ members: 3, node: realNodeBuilder('readindex', { tickUs: 10_000 }), server: { electionTimeoutUs: 100_000, requestTimeoutUs: 500_000 }, seed: 'stale', keepTrace: false });
    const lead = leaderOf(c);
    const follower = c.memberIds.find((id) => id !== lead.id) as number;
    const writer = c.addClient({ endpoints: [lead.id] });
    expect(callSync(c, writer, 'put', { key: 'x', value: 'old' }).status).toBe('ok');
    c.runUntil(() => converged(c), 2_000_000);
    c.network.isolate(follower, c.memberIds);
    expect(callSync(c, writer, 'put', { key: 'x', value: 'new' }).status).toBe('ok');
    const reader = c.addClient({ endpoints: [follower], callTimeoutUs: 1_000_000 });
    const ser = callSync(c, reader, 'range', { key: 'x', serializable: true });
    expect(ser.status === 'ok' && (ser.response as RangeResponse).kvs[0]?.value).toBe('old');
    const lin = callSync(c, reader, 'range', { key: 'x' });
    expect(lin.status).not.toBe('ok');
    expect((lin as { error: KvError }).error.code).toBe('Timeout');
  });

  it('a workload and a watcher across a leader crash: the watch sees every committed event once, in order, resumed on another member', () => {
    const c = createTestCluster({ members: 3, node: realNodeBuilder('readindex', { tickUs: 10_000, snapshotCount: 200, catchUpEntries: 50 }), server: { electionTimeoutUs: 100_000 }, seed: 'watch', keepTrace: false });
    const lead = leaderOf(c);
    const options = resolveWorkloadOptions({ clients: 3, keys: 4, ratePerS: 150, durationUs: 3_000_000, requestTimeoutUs: 1_000_000, mix: { get: 30, put: 40, delete: 10, txn: 20 } });
    const clients: WorkloadClient[] = [];
    for (let k = 0; k < 3; k++) clients.push(c.addProgram((ctx, env) => workloadClientFactory(env, c.memberIds, options, k, c.random.fork(`client/c${k}`))(ctx)));
    // The watcher starts on the leader, so the crash forces a resumption.
    const endpoints = [lead.id, ...c.memberIds.filter((id) => id !== lead.id)];
    c.addProgram((ctx, env) => watcherFactory(env, endpoints, options, 9)(ctx));
    c.run(1_500_000);
    c.crash(lead.id);
    c.run(1_000_000);
    c.restart(lead.id);
    expect(c.runUntil(() => clients.every((w) => w.finished) && converged(c), 10_000_000)).toBe(true);
    c.run(500_000); // the watcher's last responses
    const survivor = c.liveMembers().find((m) => m.id !== lead.id && m.status().incarnation === 1) as Member;
    const committed = survivor.appliedWrites().flatMap((w) => w.events.map((e) => `${e.type} ${e.kv.key}@${e.kv.modRevision} ${e.kv.value}`));
    expect(committed.length).toBeGreaterThan(100);
    const record = c.watchLog.records[0];
    expect(record?.placements.length).toBeGreaterThanOrEqual(2);
    expect(record?.placements[1]?.member).not.toBe(lead.id);
    const seen = (record?.responses ?? []).flatMap((r) => r.response.events.map((e) => `${e.type} ${e.kv.key}@${e.kv.modRevision} ${e.kv.value}`));
    expect(seen).toEqual(committed);
    for (const m of c.liveMembers()) expect(m.stats().watch.ackOverruns).toBe(0);
    expect(c.history.completed().filter((o) => o.status === 'ok').length).toBeGreaterThan(200);
    expect(verdict(c)).toBe('ok');
  });

  it('leases on real members: a kept-alive lease survives a leader crash; an abandoned one expires through one replicated revoke', () => {
    const c = createTestCluster({ members: 3, node: realNodeBuilder('readindex', { tickUs: 10_000 }), server: { electionTimeoutUs: 100_000, leaseCheckIntervalUs: 100_000 }, seed: 'lease', keepTrace: false });
    const lead = leaderOf(c);
    const client = c.addClient({ callTimeoutUs: 1_000_000 });
    const grant = (): number => {
      const g = callSync(c, client, 'lease-grant', { ttlS: 2 });
      if (g.status !== 'ok') throw new Error(`grant: ${g.status}`);
      return g.response.id;
    };
    const kept = grant();
    const abandoned = grant();
    expect(callSync(c, client, 'put', { key: 'kept', value: '1', lease: kept }).status).toBe('ok');
    expect(callSync(c, client, 'put', { key: 'gone', value: '1', lease: abandoned }).status).toBe('ok');
    const keeper = c.addClient({ callTimeoutUs: 400_000 });
    const keepAlive = (): void => {
      keeper.call('lease-keepalive', { id: kept }, () => undefined, { record: false });
    };
    for (let t = 0; t < 60; t++) {
      if (t % 5 === 0) keepAlive();
      if (t === 10) c.crash(lead.id);
      if (t === 30) c.restart(lead.id);
      c.run(100_000);
    }
    expect(c.runUntil(() => converged(c), 5_000_000)).toBe(true);
    for (const m of c.liveMembers()) {
      expect(m.server.state.lessor.exists(kept)).toBe(true);
      expect(m.server.state.lessor.exists(abandoned)).toBe(false);
    }
    const survivor = c.liveMembers().find((m) => m.status().incarnation === 1) as Member;
    const revoke = survivor.appliedWrites().find((w) => w.kind === 'lease-revoke');
    expect(revoke?.events.map((e) => `${e.type} ${e.kv.key}`)).toEqual(['DELETE gone']);
    const get = callSync(c, client, 'range', { key: 'g', rangeEnd: 'l' });
    expect(get.status === 'ok' && (get.response as RangeResponse).kvs.map((kv) => kv.key)).toEqual(['kept']);
  });

  it('the lease read mode: raft answers ReadIndex from the leader lease, reads stay fresh on a healthy cluster', () => {
    const c = createTestCluster({ members: 3, node: realNodeBuilder('lease', { tickUs: 10_000 }), server: { readMode: 'lease', electionTimeoutUs: 100_000 }, seed: 'lease-read', keepTrace: false });
    leaderOf(c);
    c.run(50_000); // followers hear of the new leader (a follower without one drops proposals: a definite fail)
    const client = c.addClient();
    for (let i = 0; i < 20; i++) {
      expect(callSync(c, client, 'put', { key: 'x', value: `${i}` }).status).toBe('ok');
      const r = callSync(c, client, 'range', { key: 'x' });
      expect(r.status === 'ok' && (r.response as RangeResponse).kvs[0]?.value).toBe(`${i}`);
    }
    const reads = c.liveMembers().reduce((n, m) => n + m.stats().reads.lease, 0);
    expect(reads).toBe(20);
  });

  it('is deterministic on real members: the same seed gives the same history and trace hash', () => {
    const run = (seed: string): { history: string; hash: string } => {
      const c = createTestCluster({ members: 3, node: realNodeBuilder('readindex', { tickUs: 10_000 }), server: { electionTimeoutUs: 100_000 }, seed, keepTrace: false });
      const options = resolveWorkloadOptions({ clients: 2, keys: 3, ratePerS: 200, durationUs: 1_000_000, requestTimeoutUs: 500_000 });
      for (let k = 0; k < 2; k++) c.addProgram((ctx, env) => workloadClientFactory(env, c.memberIds, options, k, c.random.fork(`client/c${k}`))(ctx));
      c.run(500_000);
      c.crash(1);
      c.run(1_000_000);
      return { history: JSON.stringify(c.history.finish()), hash: c.trace.hash() };
    };
    const a = run('det');
    expect(run('det')).toEqual(a);
    expect(run('det2').hash).not.toBe(a.hash);
  });

  /**
   * The headline contrast at the smallest scale: a leader cut off from its peers (CheckQuorum off,
   * so it never steps down) keeps believing it leads. With leader-local reads it answers a read
   * with the old value after the majority committed a new one — the checker finds the history not
   * linearizable. With ReadIndex the same read cannot be confirmed by a quorum and times out.
   */
  const deposedLeaderRead = (mode: ReadMode): { verdict: string; read: CallOutcome<'range'> } => {
    const c = createTestCluster({ members: 3, node: realNodeBuilder(mode, { tickUs: 10_000, raft: { checkQuorum: false } }), server: { readMode: mode, electionTimeoutUs: 100_000, requestTimeoutUs: 500_000 }, seed: `deposed-${mode}`, keepTrace: false });
    const old = leaderOf(c);
    c.run(50_000);
    const others = c.memberIds.filter((id) => id !== old.id);
    const writer = c.addClient({ endpoints: [old.id] });
    expect(callSync(c, writer, 'put', { key: 'x', value: 'old' }).status).toBe('ok');
    c.runUntil(() => converged(c), 1_000_000);
    c.network.isolate(old.id, c.memberIds);
    c.runUntil(() => others.some((id) => c.member(id)?.node.status().role === 'leader'), 5_000_000);
    c.run(50_000);
    const majority = c.addClient({ endpoints: others });
    expect(callSync(c, majority, 'put', { key: 'x', value: 'new' }).status).toBe('ok');
    expect(old.node.status().role).toBe('leader'); // it still believes it leads
    c.run(1_000); // the read begins strictly after the write returned
    const reader = c.addClient({ endpoints: [old.id], callTimeoutUs: 1_000_000 });
    const read = callSync(c, reader, 'range', { key: 'x' });
    return { verdict: verdict(c), read };
  };

  it('leader-local reads on a deposed leader go stale and the etcd model rejects the history', () => {
    const { verdict: v, read } = deposedLeaderRead('leader-local');
    expect(read.status === 'ok' && (read.response as RangeResponse).kvs[0]?.value).toBe('old');
    expect(v).toBe('illegal');
  });

  it('readindex reads on the same deposed leader cannot be confirmed: no stale answer, a linearizable history', () => {
    const { verdict: v, read } = deposedLeaderRead('readindex');
    expect(read.status).not.toBe('ok');
    expect(v).toBe('ok');
  });

  it('random seeds, crash and partition times: linearizable histories and one hashKV after healing (readindex)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 200, max: 900 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), (seed, faultMs, crashed, isolated) => {
        const c = createTestCluster({ members: 3, node: realNodeBuilder('readindex', { tickUs: 10_000, snapshotCount: 50, catchUpEntries: 10 }), server: { electionTimeoutUs: 100_000 }, seed, keepTrace: false });
        const options = resolveWorkloadOptions({ clients: 3, keys: 3, ratePerS: 150, durationUs: 1_500_000, requestTimeoutUs: 400_000, mix: { get: 40, put: 35, delete: 10, txn: 15 } });
        const clients: WorkloadClient[] = [];
        for (let k = 0; k < 3; k++) clients.push(c.addProgram((ctx, env) => workloadClientFactory(env, c.memberIds, options, k, c.random.fork(`client/c${k}`))(ctx)));
        c.run(faultMs * 1_000);
        c.crash(crashed);
        c.network.isolate(isolated, c.memberIds);
        c.run(300_000);
        c.restart(crashed);
        c.run(200_000);
        c.network.heal();
        expect(c.runUntil(() => clients.every((w) => w.finished) && converged(c), 10_000_000)).toBe(true);
        const hashes = new Set(c.liveMembers().map((m) => JSON.stringify(m.hashKV())));
        expect(hashes.size).toBe(1);
        expect(verdict(c)).toBe('ok');
      }),
      { numRuns: 4 },
    );
  });
});
