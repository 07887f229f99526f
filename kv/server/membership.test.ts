import { describe, expect, it } from 'vitest';
import type { ConfChangeType, ConfChangeV1, NodeId } from '../../raft/core/types.js';
import { MembershipStore, decodeConfChangeContext, encodeConfChangeContext, idOfPeerURL, peerURL, type ConfChangeContext } from './membership.js';
import { KvStateMachine } from './state-machine.js';
import { resolveServerOptions } from './options.js';

const cc = (type: ConfChangeType, id: number): ConfChangeV1 => ({ version: 1, type, nodeId: id as NodeId, context: new Uint8Array(0) });
const ctx = (extra: Partial<ConfChangeContext> = {}): ConfChangeContext => ({ requestId: 1, proposer: 1, ...extra });
const addCtx = (id: number, isLearner = false): ConfChangeContext => ctx({ member: { peerURLs: [peerURL(id)], isLearner } });

function bootstrapped(n: number, maxLearners = 1): MembershipStore {
  const s = new MembershipStore(maxLearners);
  for (let id = 1; id <= n; id++) expect(s.apply(cc('add-node', id), null).ok).toBe(true);
  return s;
}

describe('membership store (etcd membership.RaftCluster)', () => {
  it('names the bootstrapped members; an added member has no name until it publishes (IsStarted)', () => {
    const s = bootstrapped(3);
    expect(s.list().map((m) => [m.id, m.name, m.isLearner])).toEqual([[1, 'm1', false], [2, 'm2', false], [3, 'm3', false]]);
    expect(s.apply(cc('add-node', 4), addCtx(4)).ok).toBe(true);
    expect(s.member(4)).toEqual({ id: 4, name: '', peerURLs: [peerURL(4)], clientURLs: [], isLearner: false });
    expect(MembershipStore.started(s.member(4)!)).toBe(false);
    expect(s.setAttributes(4, 'm4', ['http://m4:2379'])).toBe(true);
    expect(MembershipStore.started(s.member(4)!)).toBe(true);
  });

  it('refuses at apply what etcd ValidateConfigurationChange refuses', () => {
    const s = bootstrapped(3);
    const refusal = (type: ConfChangeType, id: number, c: ConfChangeContext) => {
      const r = s.apply(cc(type, id), c);
      return r.ok ? 'ok' : r.error.code;
    };
    expect(refusal('add-node', 2, addCtx(2))).toBe('MemberExist');
    expect(refusal('add-node', 5, ctx({ member: { peerURLs: [peerURL(2)], isLearner: false } }))).toBe('PeerURLExist');
    expect(refusal('add-node', 3, ctx({ isPromote: true }))).toBe('MemberNotLearner');
    expect(refusal('add-node', 9, ctx({ isPromote: true }))).toBe('MemberNotFound');
    expect(refusal('remove-node', 9, ctx())).toBe('MemberNotFound');
    expect(refusal('update-node', 1, ctx({ member: { peerURLs: [peerURL(3)], isLearner: false } }))).toBe('PeerURLExist');
    // The learner limit (etcd --max-learners, default 1) counts the learner being added.
    expect(refusal('add-learner-node', 4, addCtx(4, true))).toBe('ok');
    expect(refusal('add-learner-node', 5, addCtx(5, true))).toBe('TooManyLearners');
    expect(refusal('add-node', 4, ctx({ isPromote: true }))).toBe('ok');
    expect(s.member(4)?.isLearner).toBe(false);
    expect(refusal('add-learner-node', 5, addCtx(5, true))).toBe('ok');
    // A removed id never comes back, whatever the change.
    expect(refusal('remove-node', 2, ctx())).toBe('ok');
    expect(s.isRemoved(2)).toBe(true);
    expect(refusal('add-node', 2, addCtx(2))).toBe('IDRemoved');
    expect(refusal('add-learner-node', 2, addCtx(2, true))).toBe('IDRemoved');
    expect(refusal('update-node', 2, addCtx(2))).toBe('IDRemoved');
    // A refused change left the store as it was.
    expect(s.list().map((m) => m.id)).toEqual([1, 3, 4, 5]);
  });

  it('counts started voters as etcd IsReadyToAdd/Remove/PromoteMember do', () => {
    const s = bootstrapped(3);
    expect(s.readyToAddVoter()).toBe(true);
    // Two voters added and never started: 3 started of 5, a sixth needs 4.
    s.apply(cc('add-node', 4), addCtx(4));
    expect(s.readyToAddVoter()).toBe(true);
    s.apply(cc('add-node', 5), addCtx(5));
    expect(s.readyToAddVoter()).toBe(false);
    // Removing a started voter leaves 2 started of 4: below quorum; removing an unstarted one is fine.
    expect(s.readyToRemoveVoter(1)).toBe(false);
    expect(s.readyToRemoveVoter(5)).toBe(true);
    // Promotion counts the learner as started: 3 started + it of 6.
    expect(s.readyToPromote()).toBe(true);
    // A lone member may take a second (restoring a cluster from one member's data).
    expect(bootstrapped(1).readyToAddVoter()).toBe(true);
  });

  it('peer URLs name hosts; contexts round-trip; the empty context is a bootstrap entry', () => {
    expect(idOfPeerURL('http://m12:2380')).toBe(12);
    expect(idOfPeerURL('http://10.0.0.1:2380')).toBeNull();
    expect(idOfPeerURL('http://m0:2380')).toBeNull();
    expect(decodeConfChangeContext(encodeConfChangeContext(addCtx(4, true)))).toEqual(addCtx(4, true));
    expect(decodeConfChangeContext(new Uint8Array(0))).toBeNull();
  });

  it('travels in the state machine snapshot only when it says more than the ConfState', () => {
    const opts = resolveServerOptions();
    const a = new KvStateMachine(opts, () => 0, 2);
    for (let id = 1; id <= 3; id++) a.membership.apply(cc('add-node', id), null);
    const plain = a.snapshot();
    expect(new TextDecoder().decode(plain)).not.toContain('membership');
    const b = new KvStateMachine(opts, () => 0, 2);
    expect(b.restore(plain, 5, 0, [1, 2, 3]).ok).toBe(true);
    expect(b.membership.list()).toEqual(a.membership.list());
    a.membership.apply(cc('add-learner-node', 4), addCtx(4, true));
    a.membership.apply(cc('remove-node', 2), ctx());
    const c = new KvStateMachine(opts, () => 0, 2);
    expect(c.restore(a.snapshot(), 7, 0, [1, 3]).ok).toBe(true);
    expect(c.membership.list()).toEqual(a.membership.list());
    expect(c.membership.isRemoved(2)).toBe(true);
  });
});
