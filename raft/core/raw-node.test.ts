/** The RawNode contract: Ready/advance order, refusals as values, config validation, bootstrap. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../sim/random.js';
import { decodeConfChange, encodeConfChange } from './conf-change-codec.js';
import type { Config } from './config.js';
import { resolveConfig } from './config.js';
import type { RaftEvent } from './events.js';
import { IS_LOCAL, IS_RESPONSE, LOCAL_APPEND_THREAD, LOCAL_APPLY_THREAD, describeMessage, messageSizeBytes } from './messages.js';
import type { Message, MessageType } from './messages.js';
import { RawNode } from './raw-node.js';
import { MemoryStorage } from './storage.js';
import type { ConfChange, LogIndex, NodeId, Term } from './types.js';
import { EMPTY_CONF_STATE } from './types.js';

function config(over: Partial<Config> = {}): Config {
  const storage = new MemoryStorage({ ...EMPTY_CONF_STATE, voters: [1, 2, 3] as NodeId[] });
  return { id: 1 as NodeId, electionTick: 10, heartbeatTick: 1, storage, random: createRandom('raw-node'), ...over };
}

describe('RawNode', () => {
  it('refuses local messages from the network and responses from unknown peers, as values', () => {
    const raw = new RawNode(config());
    expect(raw.step({ type: 'MsgHup', from: 2 as NodeId, to: 1 as NodeId, term: 0 as Term })).toEqual({ ok: false, error: 'StepLocalMsg' });
    expect(raw.step({ type: 'MsgAppResp', from: 9 as NodeId, to: 1 as NodeId, term: 1 as Term, index: 0 as LogIndex, reject: false, rejectHint: 0 as LogIndex, logTerm: 0 as Term }))
      .toEqual({ ok: false, error: 'StepPeerNotFound' });
  });

  it('drops a proposal without a leader with a definite ProposalDropped', () => {
    const raw = new RawNode(config());
    expect(raw.propose(new Uint8Array([1]))).toEqual({ ok: false, error: 'ProposalDropped' });
  });

  it('the self-vote counts only at advance(); the vote and the term are in the Ready with mustSync', () => {
    const raw = new RawNode(config({ id: 1 as NodeId, storage: new MemoryStorage({ ...EMPTY_CONF_STATE, voters: [1 as NodeId] }) }));
    raw.campaign();
    const rd = raw.ready();
    expect(rd.hardState).toEqual({ term: 1, vote: 1, commit: 0 });
    expect(rd.mustSync).toBe(true);
    expect(raw.status().role).toBe('candidate');
    raw.advance(rd);
    expect(raw.status().role).toBe('leader');
  });

  it('vote responses wait for persistence; requests may go out at once', () => {
    const raw = new RawNode(config({ id: 2 as NodeId }));
    raw.step({ type: 'MsgVote', from: 1 as NodeId, to: 2 as NodeId, term: 1 as Term, index: 0 as LogIndex, logTerm: 0 as Term, transfer: false });
    const rd = raw.ready();
    expect(rd.messages).toEqual([]);
    expect(rd.messagesAfterAppend.map((m) => m.type)).toEqual(['MsgVoteResp']);
    raw.advance(rd);
  });

  it('splits messagesAfterAppend: peers\' in the Ready in order, its own stepped on advance', () => {
    const events: RaftEvent[] = [];
    const raw = new RawNode(config({ id: 2 as NodeId, onEvent: (e) => events.push(e) }));
    // A vote for 1 in term 1 (to a peer), then our own campaign in term 2 (a vote to ourselves).
    raw.step({ type: 'MsgVote', from: 1 as NodeId, to: 2 as NodeId, term: 1 as Term, index: 0 as LogIndex, logTerm: 0 as Term, transfer: false });
    raw.campaign();
    const rd = raw.ready();
    expect(rd.messagesAfterAppend.map((m) => `${m.type} ${m.to} term ${m.term}`)).toEqual(['MsgVoteResp 1 term 1']);
    expect(rd.messages.map((m) => `${m.type} ${m.to}`)).toEqual(['MsgVote 1', 'MsgVote 3']);
    expect(events.some((e) => e.kind === 'votes-tallied')).toBe(false);
    raw.advance(rd);
    expect(events.filter((e) => e.kind === 'votes-tallied').map((e) => e.kind === 'votes-tallied' && [e.from, e.granted])).toEqual([[2, 1]]);
  });

  it('a Ready keeps its lists: what is sent after ready() goes into the next one', () => {
    const raw = new RawNode(config({ id: 2 as NodeId }));
    const vote = (term: number): Message => ({ type: 'MsgVote', from: 1 as NodeId, to: 2 as NodeId, term: term as Term, index: 0 as LogIndex, logTerm: 0 as Term, transfer: false });
    raw.step(vote(1));
    const rd = raw.ready();
    expect(rd.messages).toEqual([]);
    raw.step({ type: 'MsgHeartbeat', from: 1 as NodeId, to: 2 as NodeId, term: 1 as Term, commit: 0 as LogIndex, context: new Uint8Array(0) });
    raw.step(vote(2));
    expect(rd.messagesAfterAppend.map((m) => m.term)).toEqual([1]);
    expect(rd.messages).toEqual([]);
    raw.advance(rd);
    const next = raw.ready();
    expect(next.messages.map((m) => m.type)).toEqual(['MsgHeartbeatResp']);
    expect(next.messagesAfterAppend.map((m) => m.term)).toEqual([2]);
    raw.advance(next);
    expect(raw.hasReady()).toBe(false);
  });

  it('asserts the Ready protocol: no second Ready before advance, no advance without Ready', () => {
    const raw = new RawNode(config());
    raw.campaign();
    raw.ready();
    expect(() => raw.ready()).toThrow(/two Readies/);
    raw.advance();
    expect(() => raw.advance()).toThrow(/without a Ready/);
  });

  it('asyncStorageWrites: a single voter leads and applies only through its storage threads; advance() is refused', () => {
    const storage = new MemoryStorage({ ...EMPTY_CONF_STATE, voters: [1 as NodeId] });
    const raw = new RawNode(config({ storage, asyncStorageWrites: true }));
    expect(() => raw.advance()).toThrow(/asyncStorageWrites/);
    // A storage response from the network (not from a local thread) is refused.
    expect(raw.step({ type: 'MsgStorageApplyResp', from: 2 as NodeId, to: 1 as NodeId, term: 0 as Term, entries: [] })).toEqual({ ok: false, error: 'StepLocalMsg' });
    raw.campaign();
    const rd = raw.ready();
    expect(rd.messagesAfterAppend).toEqual([]);
    const [append] = rd.messages;
    expect(append?.type).toBe('MsgStorageAppend');
    expect(append?.to).toBe(LOCAL_APPEND_THREAD);
    // Nothing counts until the write is done and its responses are delivered: still a candidate.
    expect(raw.status().role).toBe('candidate');
    const ackLoop = (m: Message | undefined): void => {
      if (m?.type !== 'MsgStorageAppend') throw new Error(`expected MsgStorageAppend, got ${m?.type}`);
      if (m.term !== 0) storage.setHardState({ term: m.term, vote: m.vote, commit: m.commit });
      storage.append(m.entries);
      for (const r of m.responses) expect(raw.step(r)).toEqual({ ok: true });
    };
    ackLoop(append);
    expect(raw.status().role).toBe('leader');
    // The empty entry of the new term: appended, durable, committed, then applied by the apply thread.
    const rd2 = raw.ready();
    ackLoop(rd2.messages.find((m) => m.type === 'MsgStorageAppend'));
    const rd3 = raw.ready();
    const apply = rd3.messages.find((m) => m.type === 'MsgStorageApply');
    if (apply?.type !== 'MsgStorageApply') throw new Error('expected MsgStorageApply');
    expect(apply.to).toBe(LOCAL_APPLY_THREAD);
    expect(apply.entries.map((e) => e.index)).toEqual([1]);
    expect(raw.status().applied).toBe(0);
    for (const r of apply.responses) raw.step(r);
    expect(raw.status().applied).toBe(1);
    // Readies may be taken back to back: no second-Ready assertion in this mode.
    raw.propose(new Uint8Array([7]));
    raw.ready();
    raw.propose(new Uint8Array([8]));
    expect(raw.ready().entries.map((e) => e.index)).toEqual([3]);
  });

  it('bootstraps a new group from peers (etcd StartNode) and reports typed events', () => {
    const events: RaftEvent[] = [];
    const raw = new RawNode(config({ storage: new MemoryStorage(), peers: [1, 2, 3] as NodeId[], onEvent: (e) => events.push(e) }));
    const rd = raw.ready();
    expect(rd.entries.map((e) => e.type)).toEqual(['conf-change', 'conf-change', 'conf-change']);
    expect(rd.committedEntries.length).toBe(3);
    expect(rd.hardState).toEqual({ term: 1, vote: 0, commit: 3 });
    expect(raw.status().config.voters).toEqual([1, 2, 3]);
    expect(events.some((e) => e.kind === 'conf-change-applied')).toBe(true);
  });

  it('is deterministic: the same seed and inputs give the same outputs', () => {
    const run = (): string[] => {
      const raw = new RawNode(config({ random: createRandom('det') }));
      const out: string[] = [];
      for (let i = 0; i < 60; i++) {
        raw.tick();
        if (!raw.hasReady()) continue;
        const rd = raw.ready();
        out.push(...rd.messages.map(describeMessage), String(raw.status().term));
        raw.advance(rd);
      }
      return out;
    };
    expect(run()).toEqual(run());
    expect(run().length).toBeGreaterThan(0);
  });
});

describe('config validation (once, at construction)', () => {
  const bad: [Partial<Config>, RegExp][] = [
    [{ id: 0 as NodeId }, /config.id/],
    [{ heartbeatTick: 0 }, /heartbeatTick/],
    [{ electionTick: 1 }, /electionTick/],
    [{ maxInflightMsgs: 0 }, /maxInflightMsgs/],
    [{ maxSizePerMsgBytes: 100, maxInflightBytes: 10 }, /maxInflightBytes/],
    [{ readOnly: 'lease-based' }, /lease-based reads require checkQuorum/],
  ];
  for (const [over, re] of bad) it(`rejects ${JSON.stringify(over)}`, () => expect(() => resolveConfig(config(over))).toThrow(re));
});

describe('messages', () => {
  it('every type is classified; local and response sets are etcd\'s (plus MsgForgetLeader as local)', () => {
    const local = (Object.keys(IS_LOCAL) as MessageType[]).filter((t) => IS_LOCAL[t]).sort();
    expect(local).toEqual([
      'MsgBeat', 'MsgCheckQuorum', 'MsgForgetLeader', 'MsgHup', 'MsgSnapStatus', 'MsgStorageAppend', 'MsgStorageAppendResp',
      'MsgStorageApply', 'MsgStorageApplyResp', 'MsgUnreachable',
    ]);
    const resp = (Object.keys(IS_RESPONSE) as MessageType[]).filter((t) => IS_RESPONSE[t]).sort();
    expect(resp).toEqual([
      'MsgAppResp', 'MsgHeartbeatResp', 'MsgPreVoteResp', 'MsgReadIndexResp', 'MsgStorageAppendResp', 'MsgStorageApplyResp',
      'MsgUnreachable', 'MsgVoteResp',
    ]);
  });

  it('describes and sizes messages; size grows with the payload', () => {
    const m = (n: number): Message => ({
      type: 'MsgApp', from: 1 as NodeId, to: 2 as NodeId, term: 1 as Term, index: 2 as LogIndex, logTerm: 1 as Term, commit: 2 as LogIndex,
      entries: [{ term: 1 as Term, index: 3 as LogIndex, type: 'normal', data: new Uint8Array(n) }],
    });
    expect(describeMessage(m(0))).toBe('1->2 MsgApp Term:1 Log:1/2 Commit:2 Entries:[1/3 EntryNormal ""]');
    expect(messageSizeBytes(m(1000)) - messageSizeBytes(m(0))).toBeGreaterThanOrEqual(1000);
  });
});

describe('conf change encoding', () => {
  const single = fc.record({ type: fc.constantFrom('add-node', 'remove-node', 'update-node', 'add-learner-node' as const), nodeId: fc.integer({ min: 0, max: 1e9 }).map((n) => n as NodeId) });
  const ctx = fc.uint8Array({ maxLength: 20 });
  const cc: fc.Arbitrary<ConfChange> = fc.oneof(
    fc.record({ version: fc.constant(1 as const), type: single.map((s) => s.type), nodeId: single.map((s) => s.nodeId), context: ctx }),
    fc.record({ version: fc.constant(2 as const), transition: fc.constantFrom('auto', 'joint-implicit', 'joint-explicit' as const), changes: fc.array(single, { maxLength: 5 }), context: ctx }),
  );
  it('round-trips every change; the empty V2 change (leave joint) is zero bytes', () => {
    fc.assert(fc.property(cc, (c) => {
      const type = c.version === 1 ? 'conf-change' : 'conf-change-v2';
      expect(decodeConfChange(type, encodeConfChange(c))).toEqual(c);
    }), { numRuns: 300 });
    expect(encodeConfChange({ version: 2, transition: 'auto', changes: [], context: new Uint8Array(0) }).length).toBe(0);
    expect(() => decodeConfChange('conf-change', new Uint8Array([1, 9]))).toThrow(/unknown change type/);
  });
});
