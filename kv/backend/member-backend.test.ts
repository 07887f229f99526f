/**
 * Members that keep their state in the backend: restart from backend + WAL, crash points of the
 * storage layer, and the etcd-13766 switch.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HostId } from '../../sim/host.js';
import type { KvClient } from '../client/client.js';
import type { Member } from '../member.js';
import type { ServerOptions } from '../server/options.js';
import { createTestCluster, realNodeBuilder, type TestCluster } from '../testing/cluster-harness.js';
import { BACKEND_CRASH_POINTS } from './backend.js';
import { MVCC_BACKEND_CRASH_POINTS, type StorageCrashPoint } from './member-backend.js';

const SERVER: Partial<ServerOptions> = { electionTimeoutUs: 100_000, backend: true, compactionBatchLimit: 5 };

interface Armed {
  host: HostId;
  point: StorageCrashPoint;
  /** Fire at this occurrence (0 = the first). */
  skip: number;
  fired: boolean;
}

function setUp(seed: string, extra: Partial<ServerOptions> = {}, armed: Armed | null = null, tornWriteRate = 0, onlyAfter: string | null = null): { c: TestCluster; client: KvClient; acked: Map<string, string> } {
  // eslint-disable-next-line prefer-const
  let c: TestCluster;
  c = createTestCluster({
    members: 3,
    node: realNodeBuilder('readindex', { tickUs: 10_000, snapshotCount: 40, catchUpEntries: 500 }),
    server: { ...SERVER, ...extra },
    seed,
    disk: { faults: { tornWriteRate } },
    storageCrashPoint: (id, name) => {
      if (armed === null || armed.fired || id !== armed.host || name !== armed.point) return false;
      // Only right after a commit of this reason (the trace's newest event is that commit).
      if (onlyAfter !== null && c.trace.events().at(-1)?.fields.reason !== onlyAfter) return false;
      if (armed.skip-- > 0) return false;
      armed.fired = true;
      // Back 200 ms later: soon enough to catch up from the WAL, not from a leader's snapshot.
      c.scheduler.schedule(200_000, () => { if (c.hosts.state(id) !== 'up') c.restart(id); });
      return true;
    },
  });
  const client = c.addClient({ callTimeoutUs: 2_000_000 });
  c.runUntil(() => c.leader() !== undefined, 3_000_000);
  return { c, client, acked: new Map() };
}

/** Puts, deletes, compactions and a defragmentation, spread over `us`; acknowledged puts into `acked`. */
function load(c: TestCluster, client: KvClient, acked: Map<string, string>, n: number, us: number): void {
  for (let i = 0; i < n; i++) {
    c.scheduler.schedule(Math.floor((us * i) / n), () => {
      const key = `k${i % 7}`;
      const value = `v${i}`;
      if (i % 11 === 10) client.call('delete', { key }, (o) => { if (o.status === 'ok') acked.delete(key); }, { record: false });
      else client.call('put', { key, value }, (o) => { if (o.status === 'ok') acked.set(key, value); }, { record: false });
      if (i % 25 === 24) {
        const m = c.liveMembers()[0];
        const rev = m === undefined ? 0 : m.server.revision() - 3;
        if (rev > 1) client.call('compact', { revision: rev }, undefined, { record: false });
      }
      if (i === Math.floor(n / 2)) client.call('defragment', {}, undefined, { record: false });
    });
  }
}

/** Restarts every down member, lets the cluster settle, and returns the members. */
function settle(c: TestCluster): Member[] {
  for (const id of c.memberIds) if (c.hosts.state(id) !== 'up') c.restart(id);
  c.run(3_000_000);
  return c.memberIds.map((id) => c.member(id) as Member);
}

function hashes(ms: readonly Member[]): { revs: number[]; hashes: number[] } {
  const rev = Math.min(...ms.map((m) => m.server.revision()));
  return { revs: ms.map((m) => m.server.revision()), hashes: ms.map((m) => (m.hashKV(rev).ok ? (m.hashKV(rev) as { value: { hash: number } }).value.hash : -1)) };
}

describe('members with a backend', () => {
  it('a restarted member loads the backend and applies only the entries after its consistent index', () => {
    const { c, client, acked } = setUp('restart');
    load(c, client, acked, 80, 1_500_000);
    c.run(1_000_000);
    const victim = c.memberIds.find((id) => id !== c.leader()?.id) as HostId;
    c.crash(victim);
    c.run(800_000);
    const ms = settle(c);
    const events = c.trace.events();
    const opened = events.filter((e) => e.kind === 'backend.open' && e.host === victim);
    expect(opened.length).toBe(2);
    const ci = Number(opened[1]?.fields.index);
    expect(ci).toBeGreaterThan(0);
    // No entry is applied twice: the second incarnation applies nothing at or below the index.
    const startedAt = opened[1]?.timeUs ?? 0;
    const again = events.filter((e) => e.kind === 'kv.apply' && e.host === victim && e.timeUs >= startedAt).map((e) => Number(e.fields.index));
    expect(again.every((i) => i > ci)).toBe(true);
    expect(events.some((e) => e.kind === 'backend.commit' && e.host === victim)).toBe(true);
    const h = hashes(ms);
    expect(new Set(h.revs).size).toBe(1);
    expect(new Set(h.hashes).size).toBe(1);
    // Every acknowledged put is there.
    const m = ms[0] as Member;
    for (const [key, value] of acked) {
      const r = m.server.state.mvcc.range({ key });
      expect(r.ok && r.value.kvs[0]?.value).toBe(value);
    }
  });

  /**
   * The acceptance property: a member crashing at any storage crash point (at its n-th occurrence,
   * with or without torn writes) restarts from backend + WAL with no acknowledged write lost, no
   * revision going back, and the same HashKV as its peers.
   */
  it('property: a crash at any storage crash point × torn writes loses nothing and keeps HashKV equal', () => {
    const points = [...BACKEND_CRASH_POINTS, ...MVCC_BACKEND_CRASH_POINTS];
    fc.assert(
      fc.property(fc.constantFrom(...points), fc.nat(3), fc.constantFrom(1, 2, 3), fc.boolean(), (point, skip, host, torn) => {
        const armed: Armed = { host, point, skip, fired: false };
        const { c, client, acked } = setUp(`p-${point}-${skip}-${host}`, {}, armed, torn ? 1 : 0);
        load(c, client, acked, 60, 1_200_000);
        c.run(1_500_000);
        const ms = settle(c);
        const h = hashes(ms);
        expect(new Set(h.revs).size, `revisions ${h.revs.join(', ')}`).toBe(1);
        expect(new Set(h.hashes).size, `hashes ${h.hashes.join(', ')}`).toBe(1);
        for (const m of ms) {
          for (const [key, value] of acked) {
            const r = m.server.state.mvcc.range({ key });
            expect(r.ok && r.value.kvs[0]?.value, `${key} on member ${m.id}`).toBe(value);
          }
        }
        expect(ms.every((m) => m.node.status().stopped === null)).toBe(true);
      }),
      { numRuns: 24, seed: 17 },
    );
  });
});

describe('etcd-13766: the consistent index committed before the entry it names', () => {
  /** A follower crashes right after a periodic commit; the member's hash then diverges only with the switch on. */
  function run(bug: boolean, seed: string): { hashes: number[]; fired: boolean } {
    const armed: Armed = { host: 0, point: 'afterCommit', skip: 3, fired: false };
    const { c, client, acked } = setUp(seed, bug ? { bugs: ['etcd-13766'] } : {}, armed, 0, 'interval');
    armed.host = c.memberIds.find((id) => id !== c.leader()?.id) as HostId;
    load(c, client, acked, 120, 1_500_000);
    c.run(2_000_000);
    const ms = settle(c);
    return { hashes: hashes(ms).hashes, fired: armed.fired };
  }

  it.each(['a', 'b', 'c'])('seed %s: HashKV diverges with the switch on, not with it off', (seed) => {
    const buggy = run(true, seed);
    const fixed = run(false, seed);
    expect(buggy.fired && fixed.fired).toBe(true);
    expect(new Set(buggy.hashes).size).toBeGreaterThan(1);
    expect(new Set(fixed.hashes).size).toBe(1);
  });
});

describe("lease checkpoints in the backend's lease bucket (etcd lessor.Checkpoint → persistTo)", () => {
  /** A lease checkpointed once, then a follower crashed and restarted from its backend: its remaining TTL after the restart. */
  function remainingAfterRestart(extra: Partial<ServerOptions>): { before: number; after: number; opened: number } {
    const { c, client } = setUp('lease-cp', { leaseCheckpoint: true, leaseCheckpointIntervalUs: 1_000_000, ...extra });
    let id = 0;
    client.call('lease-grant', { ttlS: 30 }, (o) => { if (o.status === 'ok') id = o.response.id; }, { record: false });
    c.runUntil(() => id !== 0, 2_000_000);
    // Past one checkpoint interval: the leader proposes the lease's remaining TTL (under 30 s).
    c.run(2_500_000);
    const victim = c.memberIds.find((m) => m !== c.leader()?.id) as HostId;
    const before = (c.member(victim) as Member).server.state.lessor.remainingTtlS(id);
    c.crash(victim);
    c.run(300_000);
    c.restart(victim);
    c.run(50_000);
    const opened = c.trace.events().filter((e) => e.kind === 'backend.open' && e.host === victim).length;
    // The second incarnation has applied nothing yet that checkpoints again (the next is an interval away).
    return { before, after: (c.member(victim) as Member).server.state.lessor.remainingTtlS(id), opened };
  }

  it('with checkpoints persisted, a member restarted from its backend keeps the remaining TTL', () => {
    const r = remainingAfterRestart({});
    expect(r.opened).toBe(2);
    expect(r.before).toBeGreaterThan(0);
    expect(r.before).toBeLessThan(30);
    expect(r.after).toBe(r.before);
  });

  it('etcd-17132 (not persisted): the restarted member has only the granted TTL', () => {
    const r = remainingAfterRestart({ bugs: ['etcd-17132'] });
    expect(r.before).toBeGreaterThan(0);
    expect(r.after).toBe(0);
  });
});

describe("the lease bucket's granted TTL (etcd lessor.Grant → persistTo)", () => {
  it('a TTL below the minimum is raised before it is written: a member restarted from its backend has the raised TTL', () => {
    // An election timeout of 0.7 s makes the minimum TTL 2 s (1.5 × the election timeout, rounded up).
    const { c, client } = setUp('lease-min-ttl', { electionTimeoutUs: 700_000 });
    let id = 0;
    client.call('lease-grant', { ttlS: 1 }, (o) => { if (o.status === 'ok') id = o.response.id; }, { record: false });
    c.runUntil(() => id !== 0, 2_000_000);
    const victim = c.memberIds.find((m) => m !== c.leader()?.id) as HostId;
    const granted = (c.member(victim) as Member).server.state.lessor.ttlOf(id) as number;
    expect(granted).toBeGreaterThan(1);
    c.run(500_000); // the backend's batch commits the grant (well inside the lease's 2 s)
    c.crash(victim);
    c.run(300_000);
    c.restart(victim);
    c.run(50_000);
    expect(c.trace.events().filter((e) => e.kind === 'backend.open' && e.host === victim).length).toBe(2);
    expect((c.member(victim) as Member).server.state.lessor.ttlOf(id)).toBe(granted);
  });
});
