import { describe, expect, it } from 'vitest';
import { createHosts, type HostContext } from '../../sim/host.js';
import type { KvCall, KvReply } from '../wire.js';
import { createFakeRaftNode, type FakeRaftNode } from '../testing/fake-raft-node.js';
import type { ServerOptions } from './options.js';
import { createKvServer, type KvServer } from './server.js';
import { decodeRaftRequest, encodeRaftRequest } from './internal-request.js';
import { readIdFromContext } from './read-index.js';
import { createKernel } from '../../sim/kernel.js';

interface Rig {
  readonly server: KvServer;
  readonly node: FakeRaftNode;
  readonly ctx: HostContext;
  /** Sends a call and returns the box its reply lands in. */
  call(c: KvCall): { reply: KvReply | undefined };
  run(us?: number): void;
  now(): number;
  events(kind: string): Record<string, unknown>[];
}

function rig(options: Partial<ServerOptions> = {}, memberId = 1): Rig {
  const k = createKernel({ seed: 7 });
  const hosts = createHosts<{ server: KvServer; node: FakeRaftNode; ctx: HostContext }>(k);
  hosts.add(memberId);
  const p = hosts.start(memberId, (ctx) => {
    const server = createKvServer(ctx, { memberId, options });
    const node = createFakeRaftNode(ctx, server.stateMachine, server.observer);
    server.bind(node);
    return { server, node, ctx };
  });
  return {
    ...p,
    call(c) {
      const box: { reply: KvReply | undefined } = { reply: undefined };
      p.server.call(c, (r) => {
        expect(box.reply).toBeUndefined();
        box.reply = r;
      });
      return box;
    },
    run(us = 1_000) {
      k.scheduler.runUntil(k.scheduler.now + us);
    },
    now: () => k.scheduler.now,
    events: (kind) => k.trace.events().filter((e) => e.kind === kind).map((e) => ({ ...e.fields })),
  };
}

function okReply(box: { reply: KvReply | undefined }): { header: { revision: number; memberId: number; clusterId: number; raftTerm: number }; response: Record<string, unknown> } {
  const r = box.reply;
  expect(r).toBeDefined();
  if (r === undefined || !r.ok) throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return r as never;
}

function errCode(box: { reply: KvReply | undefined }): string {
  const r = box.reply;
  if (r === undefined || r.ok) throw new Error(`expected an error, got ${JSON.stringify(r)}`);
  return r.error.code;
}

describe('kv server: apply path', () => {
  it('answers a put once its entry is applied, with the header of that revision and term', () => {
    const t = rig({ clusterId: 9 }, 3);
    const put = t.call({ method: 'put', request: { key: 'a', value: '1' } });
    expect(put.reply).toBeUndefined(); // proposed, not applied yet
    t.run();
    expect(okReply(put).header).toEqual({ clusterId: 9, memberId: 3, revision: 2, raftTerm: 1 });
    const put2 = t.call({ method: 'put', request: { key: 'b', value: '2', prevKv: true } });
    t.run();
    expect(okReply(put2).header.revision).toBe(3);
    const get = t.call({ method: 'range', request: { key: 'a' } });
    t.run();
    const g = okReply(get);
    expect(g.header.revision).toBe(3);
    expect(g.response).toMatchObject({ count: 1, kvs: [{ key: 'a', value: '1', createRevision: 2, modRevision: 2, version: 1 }] });
    expect(t.events('kv.apply')).toEqual([
      { index: 1, revision: 2, kind: 'put', ok: true },
      { index: 2, revision: 3, kind: 'put', ok: true },
    ]);
  });

  it('a txn compare-and-set: one revision for the whole txn; a failed compare does not bump it', () => {
    const t = rig();
    t.call({ method: 'put', request: { key: 'k', value: 'v1' } });
    t.run();
    const cas = (expect: string, next: string) =>
      t.call({ method: 'txn', request: { compare: [{ target: 'VALUE', result: 'EQUAL', key: 'k', value: expect }], success: [{ type: 'put', request: { key: 'k', value: next } }, { type: 'put', request: { key: 'j', value: next } }], failure: [{ type: 'range', request: { key: 'k' } }] } });
    const a = cas('v1', 'v2');
    t.run();
    expect(okReply(a).response).toMatchObject({ succeeded: true });
    expect(okReply(a).header.revision).toBe(3);
    const b = cas('v1', 'v3');
    t.run();
    expect(okReply(b).response).toMatchObject({ succeeded: false, responses: [{ type: 'range', response: { kvs: [{ value: 'v2' }] } }] });
    expect(okReply(b).header.revision).toBe(3);
  });

  it('refuses invalid requests at once with definite errors, before proposing', () => {
    const t = rig({ maxTxnOps: 2 });
    expect(errCode(t.call({ method: 'put', request: { key: '', value: 'x' } }))).toBe('EmptyKey');
    expect(errCode(t.call({ method: 'put', request: { key: 'a', value: 'x', ignoreValue: true } }))).toBe('ValueProvided');
    const ops = [1, 2, 3].map((i) => ({ type: 'put' as const, request: { key: `k${i}`, value: '' } }));
    expect(errCode(t.call({ method: 'txn', request: { compare: [], success: ops, failure: [] } }))).toBe('TooManyOps');
    const dup = [0, 1].map(() => ({ type: 'put' as const, request: { key: 'same', value: '' } }));
    expect(errCode(t.call({ method: 'txn', request: { compare: [], success: dup, failure: [] } }))).toBe('DuplicateKey');
    expect(t.node.log()).toHaveLength(0);
  });

  it('refuses a request larger than maxRequestBytes (checked on the encoded entry)', () => {
    const t = rig({ maxRequestBytes: 200 });
    expect(errCode(t.call({ method: 'put', request: { key: 'a', value: 'x'.repeat(200) } }))).toBe('RequestTooLarge');
    const small = t.call({ method: 'put', request: { key: 'a', value: 'x' } });
    t.run();
    expect(small.reply?.ok).toBe(true);
  });

  it('errors found at apply time come back as the proposer\'s answer (ignoreValue on a missing key)', () => {
    const t = rig();
    const r = t.call({ method: 'put', request: { key: 'missing', value: '', ignoreValue: true } });
    t.run();
    expect(errCode(r)).toBe('KeyNotFound');
  });

  it('TooManyRequests when committed − applied exceeds the bound; writes flow again once applied', () => {
    const t = rig({ maxCommittedGap: 3 });
    t.node.holdApply(true);
    const first = [0, 1, 2, 3].map((i) => t.call({ method: 'put', request: { key: `k${i}`, value: 'v' } }));
    const refused = t.call({ method: 'put', request: { key: 'k9', value: 'v' } });
    expect(errCode(refused)).toBe('TooManyRequests');
    t.node.holdApply(false);
    t.run();
    expect(first.every((b) => b.reply?.ok === true)).toBe(true);
    const again = t.call({ method: 'put', request: { key: 'k9', value: 'v' } });
    t.run();
    expect(again.reply?.ok).toBe(true);
  });

  it('a proposal the node drops is a definite ProposalDropped; a lost one times out (indefinite Timeout)', () => {
    const t = rig({ requestTimeoutUs: 50_000 });
    t.node.dropProposals(true);
    expect(errCode(t.call({ method: 'put', request: { key: 'a', value: '1' } }))).toBe('ProposalDropped');
    t.node.dropProposals(false);
    t.node.loseProposals(true);
    const lost = t.call({ method: 'put', request: { key: 'a', value: '1' } });
    t.run(49_000);
    expect(lost.reply).toBeUndefined();
    t.run(2_000);
    expect(errCode(lost)).toBe('Timeout');
  });

  it('a timeout that began shortly before a leader election is TimeoutDueToLeaderFail', () => {
    const t = rig({ requestTimeoutUs: 100_000, electionTimeoutUs: 50_000 });
    t.node.loseProposals(true);
    const r = t.call({ method: 'put', request: { key: 'a', value: '1' } });
    t.run(10_000);
    t.node.becomeFollower(0, 2);
    t.run(10_000);
    t.node.becomeFollower(2, 2); // a new leader is elected 20 ms after the request began
    t.run(100_000);
    expect(errCode(r)).toBe('TimeoutDueToLeaderFail');
  });

  it('an entry proposed by another member is applied but answers nobody here', () => {
    const t = rig();
    t.node.commitForeign(encodeRaftRequest({ header: { id: 42, memberId: 2 }, body: { kind: 'put', request: { key: 'x', value: 'from-2' } } }));
    t.run();
    const get = t.call({ method: 'range', request: { key: 'x', serializable: true } });
    expect(okReply(get).response).toMatchObject({ kvs: [{ value: 'from-2' }] });
    expect(t.server.appliedWrites()).toMatchObject([{ index: 1, proposer: 2, requestId: 42, kind: 'put', ok: true, revision: 2, events: [{ type: 'PUT', kv: { key: 'x' } }] }]);
  });

  it('compaction goes through raft; Compacted below it, FutureRev above the current revision', () => {
    const t = rig();
    for (const v of ['1', '2', '3']) t.call({ method: 'put', request: { key: 'a', value: v } });
    t.run();
    const c = t.call({ method: 'compact', request: { revision: 3 } });
    t.run();
    expect(c.reply?.ok).toBe(true);
    expect(t.node.log().map((e) => decodeRaftRequest(e.data).body.kind)).toEqual(['put', 'put', 'put', 'compact']);
    const old = t.call({ method: 'range', request: { key: 'a', revision: 2, serializable: true } });
    expect(errCode(old)).toBe('Compacted');
    const future = t.call({ method: 'range', request: { key: 'a', revision: 99, serializable: true } });
    expect(errCode(future)).toBe('FutureRev');
    const again = t.call({ method: 'compact', request: { revision: 2 } });
    t.run();
    expect(errCode(again)).toBe('Compacted');
  });

  it('hashKV and snapshot/restore: a member restored from a snapshot has the same hash and answers', () => {
    const a = rig();
    for (let i = 0; i < 20; i++) a.call({ method: 'put', request: { key: `k${i % 7}`, value: `v${i}` } });
    a.call({ method: 'delete', request: { key: 'k3' } });
    a.run();
    const image = a.server.stateMachine.snapshot();
    const b = rig({}, 2);
    b.server.stateMachine.restore(image, 21 as never, 1 as never);
    expect(b.server.hashKV()).toEqual(a.server.hashKV());
    expect(b.server.revision()).toBe(a.server.revision());
    expect(b.events('kv.restore')).toEqual([{ index: 21, revision: a.server.revision() }]);
  });
});

describe('kv server: read modes', () => {
  it('readindex: reads wait for a ReadIndex round and the apply of its index, then read locally', () => {
    const t = rig({ readMode: 'readindex' });
    t.node.holdReadIndex(true);
    t.call({ method: 'put', request: { key: 'a', value: '1' } });
    t.run();
    const r1 = t.call({ method: 'range', request: { key: 'a' } });
    const r2 = t.call({ method: 'range', request: { key: 'a' } });
    t.run();
    expect(t.node.heldReadIndex()).toHaveLength(1); // one round serves the batch
    t.node.answerReadIndex(0);
    expect(okReply(r1).response).toMatchObject({ kvs: [{ value: '1' }] });
    expect(okReply(r2).header.revision).toBe(2);
    expect(t.server.stats().readIndex).toMatchObject({ rounds: 1, sends: 1 });
    expect(t.events('kv.read')).toEqual([{ mode: 'readindex', revision: 2 }, { mode: 'readindex', revision: 2 }]);
  });

  it('readindex: a read arriving during a round waits for the next round', () => {
    const t = rig({ readMode: 'readindex' });
    t.node.holdReadIndex(true);
    const first = t.call({ method: 'range', request: { key: 'a' } });
    t.run();
    const second = t.call({ method: 'range', request: { key: 'a' } });
    t.run();
    expect(t.node.heldReadIndex()).toHaveLength(1);
    t.node.answerReadIndex(0);
    expect(first.reply?.ok).toBe(true);
    expect(second.reply).toBeUndefined();
    t.run();
    expect(t.node.heldReadIndex()).toHaveLength(1);
    t.node.answerReadIndex(0);
    expect(second.reply?.ok).toBe(true);
    expect(t.server.stats().readIndex.rounds).toBe(2);
  });

  it('readindex: the read waits until applied ≥ read index', () => {
    const t = rig({ readMode: 'readindex' });
    t.node.holdReadIndex(true);
    t.node.holdApply(true);
    t.call({ method: 'put', request: { key: 'a', value: 'new' } });
    const r = t.call({ method: 'range', request: { key: 'a' } });
    t.run();
    t.node.answerReadIndex(0); // read index 1: the put is committed, not applied
    expect(r.reply).toBeUndefined();
    t.node.holdApply(false);
    t.run();
    expect(okReply(r).response).toMatchObject({ kvs: [{ value: 'new' }] });
  });

  it('readindex (#20418): every retry uses a new id, and a late answer to an old id is ignored', () => {
    const t = rig({ readMode: 'readindex', readIndexRetryUs: 500_000 });
    t.node.holdReadIndex(true);
    const r = t.call({ method: 'range', request: { key: 'a' } });
    t.run(1_100_000); // two retries
    const held = t.node.heldReadIndex().map((c) => readIdFromContext(c));
    expect(held).toHaveLength(3);
    expect(new Set(held).size).toBe(3);
    t.node.answerReadIndex(0); // the first id, answered late: stale
    t.node.answerReadIndex(0); // the second id: stale too
    expect(r.reply).toBeUndefined();
    expect(t.server.stats().readIndex).toMatchObject({ retries: 2, staleReadStates: 2 });
    t.node.answerReadIndex(0); // the current id
    expect(r.reply?.ok).toBe(true);
  });

  it('readindex with readIndexReuseIdOnRetry (etcd before PR #21399): retries re-send the same id, so an answer to the first send completes the round', () => {
    const t = rig({ readMode: 'readindex', readIndexRetryUs: 500_000, readIndexReuseIdOnRetry: true });
    t.node.holdReadIndex(true);
    const r = t.call({ method: 'range', request: { key: 'a' } });
    t.run(1_100_000); // two retries
    const held = t.node.heldReadIndex().map((c) => readIdFromContext(c));
    expect(held).toHaveLength(3);
    expect(new Set(held).size).toBe(1);
    t.node.answerReadIndex(0); // the first send's answer, late: it carries the round's id
    expect(r.reply?.ok).toBe(true);
    expect(t.server.stats().readIndex).toMatchObject({ retries: 2, staleReadStates: 0 });
  });

  it('read ids are unique across members (etcd reqIDGen puts the member id on top): two members\' first rounds never share a context', () => {
    const ids = [1, 2, 3].map((member) => {
      const t = rig({ readMode: 'readindex' }, member);
      t.node.holdReadIndex(true);
      t.call({ method: 'range', request: { key: 'a' } });
      t.run();
      return readIdFromContext(t.node.heldReadIndex()[0] as Uint8Array);
    });
    expect(new Set(ids).size).toBe(3);
  });

  it('readindex: a leader change fails the round with LeaderChanged; no answer ends in Timeout', () => {
    const t = rig({ readMode: 'readindex', requestTimeoutUs: 2_000_000 });
    t.node.holdReadIndex(true);
    const r = t.call({ method: 'range', request: { key: 'a' } });
    t.run();
    t.node.becomeFollower(2, 2);
    expect(errCode(r)).toBe('LeaderChanged');
    const r2 = t.call({ method: 'range', request: { key: 'a' } });
    t.run(2_100_000);
    expect(errCode(r2)).toBe('Timeout');
  });

  it('readindex: no leader known — the request is re-sent every retry until the timeout', () => {
    const t = rig({ readMode: 'readindex', requestTimeoutUs: 1_200_000 });
    t.node.becomeFollower(0, 2);
    const r = t.call({ method: 'range', request: { key: 'a' } });
    t.run(1_300_000);
    expect(errCode(r)).toBe('Timeout');
    expect(t.server.stats().readIndex.sends).toBe(3);
  });

  it('leader-local: the member that believes it leads answers at once, without any round; a follower refuses', () => {
    const t = rig({ readMode: 'leader-local' });
    t.node.holdReadIndex(true);
    const r = t.call({ method: 'range', request: { key: 'a' } });
    expect(r.reply?.ok).toBe(true);
    expect(t.node.heldReadIndex()).toHaveLength(0);
    t.node.becomeFollower(2, 2);
    expect(errCode(t.call({ method: 'range', request: { key: 'a' } }))).toBe('NotLeader');
    t.node.becomeFollower(0, 3);
    expect(errCode(t.call({ method: 'range', request: { key: 'a' } }))).toBe('NoLeader');
  });

  it('serializable: any member answers at once from its own (possibly stale) state', () => {
    const t = rig({ readMode: 'serializable' });
    t.node.becomeFollower(0, 2);
    t.node.holdApply(true);
    t.node.commitForeign(encodeRaftRequest({ header: { id: 1, memberId: 2 }, body: { kind: 'put', request: { key: 'a', value: 'x' } } }));
    const r = t.call({ method: 'range', request: { key: 'a' } });
    expect(okReply(r).response).toMatchObject({ count: 0 }); // stale: committed, not applied
    expect(t.events('kv.read')).toEqual([{ mode: 'serializable', revision: 1 }]);
  });

  it('a range marked serializable is served locally even in readindex mode; a read-only txn goes through ReadIndex', () => {
    const t = rig({ readMode: 'readindex' });
    t.node.holdReadIndex(true);
    expect(t.call({ method: 'range', request: { key: 'a', serializable: true } }).reply?.ok).toBe(true);
    const txn = t.call({ method: 'txn', request: { compare: [], success: [{ type: 'range', request: { key: 'a' } }], failure: [] } });
    t.run();
    expect(txn.reply).toBeUndefined();
    expect(t.node.heldReadIndex()).toHaveLength(1);
    t.node.answerReadIndex(0);
    expect(okReply(txn).header.revision).toBe(1);
    expect(t.node.log()).toHaveLength(0); // a read-only txn is not proposed
  });
});

describe('kv server: quota and NOSPACE', () => {
  it('over quota: the alarm is proposed and replicated, writes are refused (NoSpace), reads and deletes allowed', () => {
    const t = rig({ quotaBackendBytes: 1_000 });
    const puts = [0, 1, 2].map((i) => t.call({ method: 'put', request: { key: `k${i}`, value: 'x'.repeat(40) } }));
    t.run();
    expect(puts.map((p) => p.reply?.ok)).toEqual([true, true, true]);
    const over = t.call({ method: 'put', request: { key: 'k3', value: 'x'.repeat(40) } });
    expect(errCode(over)).toBe('NoSpace');
    t.run();
    // The alarm went through raft: it is in the log and in the replicated alarm store.
    expect(t.node.log().map((e) => decodeRaftRequest(e.data).body.kind)).toContain('alarm');
    expect(t.server.state.alarms.list()).toEqual([{ memberId: 1, alarm: 'NOSPACE' }]);
    const status = t.call({ method: 'status', request: {} });
    expect(okReply(status).response).toMatchObject({ errors: ['memberID:1 alarm:NOSPACE'] });
    const del = t.call({ method: 'delete', request: { key: 'k0' } });
    t.run();
    expect(del.reply?.ok).toBe(true);
    expect(t.call({ method: 'range', request: { key: 'k1', serializable: true } }).reply?.ok).toBe(true);
    t.call({ method: 'defragment', request: {} });
    // Below quota again after defrag, but the alarm still caps the applier until deactivated.
    const capped = t.call({ method: 'put', request: { key: 'k5', value: 'y' } });
    t.run();
    expect(errCode(capped)).toBe('NoSpace');
    t.call({ method: 'alarm', request: { action: 'DEACTIVATE', memberId: 1, alarm: 'NOSPACE' } });
    t.run();
    const after = t.call({ method: 'put', request: { key: 'k5', value: 'y' } });
    t.run();
    expect(after.reply?.ok).toBe(true);
  });

  it('capped applier: an entry committed before the alarm is refused at apply if it needs space (a definite NoSpace, nothing applied)', () => {
    const t = rig();
    t.node.commitForeign(encodeRaftRequest({ header: { id: 1, memberId: 2 }, body: { kind: 'alarm', request: { action: 'ACTIVATE', memberId: 2, alarm: 'NOSPACE' } } }));
    t.run();
    const put = t.call({ method: 'put', request: { key: 'a', value: '1' } });
    t.run();
    expect(errCode(put)).toBe('NoSpace');
    expect(t.server.revision()).toBe(1);
    const txnDel = t.call({ method: 'txn', request: { compare: [], success: [{ type: 'delete', request: { key: 'a' } }], failure: [] } });
    t.run();
    expect(txnDel.reply?.ok).toBe(true);
  });

  it('a CORRUPT alarm stops every apply but alarms (definite Corrupt)', () => {
    const t = rig();
    t.call({ method: 'alarm', request: { action: 'ACTIVATE', memberId: 1, alarm: 'CORRUPT' } });
    t.run();
    const put = t.call({ method: 'put', request: { key: 'a', value: '1' } });
    const del = t.call({ method: 'delete', request: { key: 'a' } });
    t.run();
    expect([errCode(put), errCode(del)]).toEqual(['Corrupt', 'Corrupt']);
    expect(t.server.revision()).toBe(1);
  });

  it('noSpaceAfterApply reproduces etcd\'s apply-level quota: the write is applied and answered NoSpace', () => {
    const t = rig({ quotaBackendBytes: 400, noSpaceAfterApply: true });
    const a = t.call({ method: 'put', request: { key: 'a', value: 'x'.repeat(100) } });
    const b = t.call({ method: 'put', request: { key: 'b', value: 'x'.repeat(100) } }); // admitted: the size was checked before a applied
    t.run();
    expect(a.reply?.ok).toBe(true);
    expect(errCode(b)).toBe('NoSpace');
    expect(t.server.revision()).toBe(3); // but b was applied
  });
});

describe('kv server: leases', () => {
  it('grant with a server-chosen id; keys attached vanish in one revision on revoke', () => {
    const t = rig();
    const g = t.call({ method: 'lease-grant', request: { ttlS: 10 } });
    t.run();
    const id = (okReply(g).response as { id: number }).id;
    expect(id).toBeGreaterThan(0);
    t.call({ method: 'put', request: { key: 'x', value: '1', lease: id } });
    t.call({ method: 'put', request: { key: 'y', value: '2', lease: id } });
    t.run();
    const rev = t.server.revision();
    const rv = t.call({ method: 'lease-revoke', request: { id } });
    t.run();
    expect(okReply(rv).header.revision).toBe(rev + 1);
    const w = t.server.appliedWrites().at(-1);
    expect(w).toMatchObject({ kind: 'lease-revoke', revision: rev + 1 });
    expect(w?.events.map((e) => [e.type, e.kv.key])).toEqual([['DELETE', 'x'], ['DELETE', 'y']]);
    const z = t.call({ method: 'put', request: { key: 'z', value: '3', lease: id } });
    t.run();
    expect(errCode(z)).toBe('LeaseNotFound');
  });

  it('expiry is decided by the leader from its local clock and carried out by a revoke through raft', () => {
    const t = rig({ electionTimeoutUs: 1_000_000, leaseCheckIntervalUs: 500_000 });
    const g = t.call({ method: 'lease-grant', request: { ttlS: 3 } });
    t.run();
    const id = (okReply(g).response as { id: number }).id;
    t.call({ method: 'put', request: { key: 'x', value: '1', lease: id } });
    t.run(2_000_000);
    const ka = t.call({ method: 'lease-keepalive', request: { id } });
    t.run();
    expect(okReply(ka).response).toEqual({ id, ttlS: 3 });
    t.run(2_900_000);
    expect(t.server.state.lessor.exists(id)).toBe(true); // kept alive 2.9 s ago: not yet due
    t.run(700_000);
    expect(t.server.state.lessor.exists(id)).toBe(false);
    const revoke = t.server.appliedWrites().find((w) => w.kind === 'lease-revoke');
    expect(revoke?.events.map((e) => e.kv.key)).toEqual(['x']);
    expect(t.events('kv.lease').map((e) => e.action)).toContain('expire');
  });

  it('a follower refuses keepalive (NotLeader) and never expires leases; a new leader refreshes them to full TTL', () => {
    const t = rig({ electionTimeoutUs: 1_000_000 });
    const g = t.call({ method: 'lease-grant', request: { ttlS: 2 } });
    t.run();
    const id = (okReply(g).response as { id: number }).id;
    t.node.becomeFollower(2, 2);
    expect(errCode(t.call({ method: 'lease-keepalive', request: { id } }))).toBe('NotLeader');
    t.run(10_000_000);
    expect(t.server.state.lessor.exists(id)).toBe(true);
    t.node.becomeLeader(3);
    const ttl = t.call({ method: 'lease-ttl', request: { id } });
    t.run();
    expect(okReply(ttl).response).toMatchObject({ id, grantedTtlS: 2, ttlS: 3 }); // TTL + election timeout
    t.run(3_600_000);
    expect(t.server.state.lessor.exists(id)).toBe(false);
  });

  it('PR #16822: a leader that raft has deposed does not propose revokes, even if the server has not heard yet', () => {
    const t = rig({ electionTimeoutUs: 1_000_000 });
    const g = t.call({ method: 'lease-grant', request: { ttlS: 2 } });
    t.run();
    expect(g.reply?.ok).toBe(true);
    // Raft's own status says follower while the server still believes it leads.
    const status = t.node.status.bind(t.node);
    t.node.status = () => ({ ...status(), role: 'follower' });
    t.run(5_000_000);
    expect(t.server.stats().leaseRevokesProposed).toBe(0);
    expect(t.server.stats().leaseRevokesSkippedNotLeader).toBeGreaterThan(0);
  });
});

describe('kv server: lease renewals and forwarded lease calls', () => {
  /** Grants a lease of `ttlS` and attaches key `k` to it; returns the lease id. */
  function grantWithKey(t: Rig, ttlS: number): number {
    const g = t.call({ method: 'lease-grant', request: { ttlS } });
    t.run();
    const id = (okReply(g).response as { id: number }).id;
    t.call({ method: 'put', request: { key: 'k', value: 'v', lease: id } });
    t.run();
    return id;
  }

  /** A forwarded call, as another member's leasehttp request would arrive. */
  function forwarded(t: Rig, call: { method: 'lease-keepalive'; request: { id: number } } | { method: 'lease-ttl'; request: { id: number } }): { reply: KvReply | undefined } {
    const box: { reply: KvReply | undefined } = { reply: undefined };
    t.server.leaseForwarded(2, call, (r) => {
      expect(box.reply).toBeUndefined();
      box.reply = r;
    });
    return box;
  }

  it('a lease past its expiry whose revoke is not applied yet: the keepalive waits for the revoke, then LeaseNotFound — never a renewal, never an answer while the key still exists', () => {
    const t = rig({ electionTimeoutUs: 1_000_000, leaseCheckIntervalUs: 2_000_000 });
    const id = grantWithKey(t, 3);
    t.run(3_500_000); // expired at 3 s; the revoke loop looks at 2 s (not yet due) and 4 s
    expect(t.server.state.lessor.exists(id)).toBe(true);
    const ka = t.call({ method: 'lease-keepalive', request: { id } });
    t.run(400_000); // 3.9 s: the revoke is not proposed yet
    expect(ka.reply).toBeUndefined();
    expect(t.events('kv.lease').map((e) => e.action)).toContain('renew-waits-revoke');
    t.run(200_000);
    expect(errCode(ka)).toBe('LeaseNotFound');
    expect(t.server.state.lessor.exists(id)).toBe(false);
    const range = t.server.state.mvcc.range({ key: 'k' });
    expect(range.ok && range.value.kvs).toEqual([]);
  });

  it('a keepalive waiting for a revoke answers NotLeader when the member is demoted first (no peer network to forward on)', () => {
    const t = rig({ electionTimeoutUs: 1_000_000, leaseCheckIntervalUs: 2_000_000 });
    const id = grantWithKey(t, 3);
    t.run(3_500_000);
    const ka = t.call({ method: 'lease-keepalive', request: { id } });
    t.run(100_000);
    expect(ka.reply).toBeUndefined();
    t.node.becomeFollower(2, 2);
    expect(errCode(ka)).toBe('NotLeader');
    expect(t.server.state.lessor.exists(id)).toBe(true); // the lease lives on, for the next leader to expire
  });

  it('PR #20616: a keepalive racing a revoke does not renew once the revoke is applied', () => {
    const t = rig();
    const id = grantWithKey(t, 10);
    t.node.holdReadIndex(true);
    const ka = t.call({ method: 'lease-keepalive', request: { id } });
    const rv = t.call({ method: 'lease-revoke', request: { id } });
    t.run();
    expect(okReply(rv).header.revision).toBeGreaterThan(0);
    t.node.answerReadIndex(0);
    t.run();
    expect(errCode(ka)).toBe('LeaseNotFound');
  });

  it('the leader confirms it leads before renewing (etcd ensureLeadership): a keepalive whose ReadIndex round fails is NotLeader "lease: not primary"', () => {
    const t = rig();
    const id = grantWithKey(t, 10);
    t.node.holdReadIndex(true);
    const ka = t.call({ method: 'lease-keepalive', request: { id } });
    t.run();
    t.node.becomeFollower(2, 2); // the round fails LeaderChanged
    expect(ka.reply).toEqual({ ok: false, error: { code: 'NotLeader', message: 'lease: not primary' } });
  });

  it('etcd #13675 (PR #13690): a forwarded renewal of a lease granted but not yet applied on the leader waits for the apply, then renews', () => {
    const t = rig();
    t.node.holdApply(true);
    const g = t.call({ method: 'lease-grant', request: { ttlS: 5, id: 77 } });
    t.run();
    expect(g.reply).toBeUndefined(); // committed, not applied
    const ka = forwarded(t, { method: 'lease-keepalive', request: { id: 77 } });
    t.run();
    expect(ka.reply).toBeUndefined();
    t.node.holdApply(false);
    t.run();
    expect(okReply(ka).response).toEqual({ id: 77, ttlS: 5 });
    expect(t.events('kv.forwarded')).toEqual([{ method: 'lease-keepalive', from: 2 }]);
  });

  it('a forwarded call whose apply wait exceeds applyWaitTimeoutUs fails TimeoutWaitAppliedIndex (the follower tries again)', () => {
    const t = rig({ applyWaitTimeoutUs: 1_000_000 });
    const id = grantWithKey(t, 10);
    t.node.holdApply(true);
    t.call({ method: 'put', request: { key: 'other', value: '1' } });
    t.run();
    const ka = forwarded(t, { method: 'lease-keepalive', request: { id } });
    t.run(999_000);
    expect(ka.reply).toBeUndefined();
    t.run(2_000);
    expect(errCode(ka)).toBe('TimeoutWaitAppliedIndex');
  });

  it('a forwarded call on a member that is not primary is refused NotLeader; an unknown lease is LeaseNotFound; TTL is answered from the leader\'s lessor', () => {
    const t = rig({ electionTimeoutUs: 1_000_000 });
    const id = grantWithKey(t, 10);
    t.run(3_000_000);
    const ttl = forwarded(t, { method: 'lease-ttl', request: { id } });
    t.run();
    expect(okReply(ttl).response).toMatchObject({ id, grantedTtlS: 10, ttlS: 6 });
    const missing = forwarded(t, { method: 'lease-keepalive', request: { id: 12345 } });
    t.run();
    expect(errCode(missing)).toBe('LeaseNotFound');
    t.node.becomeFollower(2, 2);
    const refused = forwarded(t, { method: 'lease-keepalive', request: { id } });
    t.run();
    expect(errCode(refused)).toBe('NotLeader');
  });
});

describe('kv server bug switches (scenarios/bugs.ts): each differs from the fix on one schedule', () => {
  it('etcd-13675: with the switch the leader renews a lease at once, with no ReadIndex round to confirm it leads', () => {
    const keepAliveWhileReadIndexHeld = (bugs: ServerOptions['bugs']): boolean => {
      const t = rig({ electionTimeoutUs: 1_000_000, bugs });
      const g = t.call({ method: 'lease-grant', request: { ttlS: 3 } });
      t.run();
      const id = (okReply(g).response as { id: number }).id;
      t.node.holdReadIndex(true);
      const ka = t.call({ method: 'lease-keepalive', request: { id } });
      t.run();
      return ka.reply?.ok === true;
    };
    expect(keepAliveWhileReadIndexHeld([])).toBe(false);
    expect(keepAliveWhileReadIndexHeld(['etcd-13675'])).toBe(true);
  });

  it('etcd-20616: with the switch a keepalive on a lease past its expiry (revoke pending) succeeds', () => {
    const lateKeepAlive = (bugs: ServerOptions['bugs']): KvReply | undefined => {
      const t = rig({ electionTimeoutUs: 1_000_000, leaseCheckIntervalUs: 2_000_000, bugs });
      const g = t.call({ method: 'lease-grant', request: { ttlS: 3 } });
      t.run();
      const id = (okReply(g).response as { id: number }).id;
      t.run(3_500_000); // expired at 3 s; the revoke loop looks at 4 s
      const ka = t.call({ method: 'lease-keepalive', request: { id } });
      t.run(100_000);
      return ka.reply;
    };
    expect(lateKeepAlive([])).toBeUndefined(); // waits for the revoke, then LeaseNotFound
    expect(lateKeepAlive(['etcd-20616'])).toMatchObject({ ok: true });
  });

  it('etcd-18667: with the switch a member strips the range of a txn another member proposed, and applies the put the proposer refuses', () => {
    const revisionAfterForeignTxn = (bugs: ServerOptions['bugs']): number => {
      const t = rig({ bugs });
      for (const v of ['1', '2', '3']) t.call({ method: 'put', request: { key: 'a', value: v } });
      t.run();
      t.call({ method: 'compact', request: { revision: 3 } });
      t.run();
      const txn = { compare: [], success: [{ type: 'range' as const, request: { key: 'a', revision: 2 } }, { type: 'put' as const, request: { key: 'b', value: 'x' } }], failure: [] };
      t.node.commitForeign(encodeRaftRequest({ header: { id: 99, memberId: 2 }, body: { kind: 'txn', request: txn } }));
      t.run();
      return t.server.state.mvcc.rev();
    };
    expect(revisionAfterForeignTxn([])).toBe(4); // Compacted: nothing written, as on the proposer
    expect(revisionAfterForeignTxn(['etcd-18667'])).toBe(5);
  });
});
