/**
 * One test per claim of the Raft paper (Ongaro & Ousterhout, "In Search of an Understandable
 * Consensus Algorithm", §5), after etcd-io/raft's raft_paper_test.go. Each drives a single node
 * (or a small group) by hand and checks what it sends and what it becomes.
 */
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../sim/random.js';
import type { Config } from './config.js';
import type { Message, MsgApp } from './messages.js';
import { RawNode } from './raw-node.js';
import { MemoryStorage } from './storage.js';
import type { Entry, LogIndex, NodeId, Term } from './types.js';
import { EMPTY_CONF_STATE } from './types.js';

const ELECTION = 10;

interface NodeSpec {
  readonly id?: number;
  readonly peers?: readonly number[];
  /** Terms of the log entries 1..n. */
  readonly log?: readonly number[];
  readonly term?: number;
  readonly vote?: number;
  readonly commit?: number;
  readonly config?: Partial<Config>;
}

function node(spec: NodeSpec = {}): { raw: RawNode; storage: MemoryStorage } {
  const peers = (spec.peers ?? [1, 2, 3]) as NodeId[];
  const storage = new MemoryStorage({ ...EMPTY_CONF_STATE, voters: peers });
  storage.append((spec.log ?? []).map((t, i) => entry(t, i + 1)));
  if (spec.term !== undefined) storage.setHardState({ term: spec.term as Term, vote: (spec.vote ?? 0) as NodeId, commit: (spec.commit ?? 0) as LogIndex });
  const id = (spec.id ?? 1) as NodeId;
  const raw = new RawNode({ id, electionTick: ELECTION, heartbeatTick: 1, storage, random: createRandom(`paper/${id}`), ...spec.config });
  return { raw, storage };
}

function entry(t: number, index: number, data = ''): Entry {
  return { term: t as Term, index: index as LogIndex, type: 'normal', data: new TextEncoder().encode(data) };
}

/** Handles one Ready as the application would (persist, then advance); returns what it sends. */
function drain(n: { raw: RawNode; storage: MemoryStorage }): Message[] {
  const out: Message[] = [];
  while (n.raw.hasReady()) {
    const rd = n.raw.ready();
    if (rd.snapshot !== null) n.storage.applySnapshot(rd.snapshot);
    n.storage.append(rd.entries);
    if (rd.hardState !== null) n.storage.setHardState(rd.hardState);
    out.push(...rd.messages, ...rd.messagesAfterAppend);
    n.raw.advance(rd);
  }
  return out;
}

/** A message with plain numbers for ids, term and indexes (tests only). */
type Draft = Message extends infer M ? (M extends Message ? { [K in keyof M]: M[K] extends number ? number : M[K] } : never) : never;

function msg(m: Draft): Message {
  return m as unknown as Message;
}

function app(from: number, to: number, t: number, index: number, logTerm: number, entries: readonly Entry[], commit: number): MsgApp {
  return msg({ type: 'MsgApp', from, to, term: t, index, logTerm, entries, commit }) as MsgApp;
}

function becomeLeader(n: { raw: RawNode; storage: MemoryStorage }): void {
  n.raw.campaign();
  drain(n);
  const t = n.raw.status().term;
  for (const peer of [2, 3]) n.raw.step(msg({ type: 'MsgVoteResp', from: peer, to: 1, term: t, reject: false }));
  drain(n);
  expect(n.raw.status().role).toBe('leader');
}

function logTerms(raw: RawNode): number[] {
  const v = raw.logView();
  return (v.entries(1 as LogIndex, (v.lastIndex() + 1) as LogIndex) ?? []).map((e) => e.term);
}

describe('§5.1 terms', () => {
  it('a server starts as a follower', () => {
    expect(node().raw.status().role).toBe('follower');
  });

  for (const role of ['follower', 'candidate', 'leader'] as const) {
    it(`a ${role} that sees a higher term updates its term and becomes follower`, () => {
      const n = node();
      if (role !== 'follower') n.raw.campaign();
      if (role === 'leader') becomeLeader(n);
      n.raw.step(app(2, 1, 5, 0, 0, [], 0));
      const s = n.raw.status();
      expect([s.term, s.role, s.lead]).toEqual([5, 'follower', 2]);
    });
  }

  it('a request with a stale term is rejected (ignored)', () => {
    const n = node({ term: 2 });
    n.raw.step(app(2, 1, 1, 0, 0, [entry(1, 1)], 0));
    expect(drain(n)).toEqual([]);
    expect(n.raw.logView().lastIndex()).toBe(0);
  });
});

describe('§5.2 leader election', () => {
  it('a leader sends heartbeats to every follower each heartbeat interval', () => {
    const n = node();
    becomeLeader(n);
    n.raw.tick();
    const hb = drain(n).filter((m) => m.type === 'MsgHeartbeat');
    expect(hb.map((m) => m.to).sort()).toEqual([2, 3]);
  });

  it('a follower that hears nothing for an election timeout becomes candidate, votes for itself and asks everyone', () => {
    const n = node();
    for (let i = 0; i < 2 * ELECTION; i++) n.raw.tick();
    const s = n.raw.status();
    expect([s.role, s.term, s.vote]).toEqual(['candidate', 1, 1]);
    const votes = drain(n).filter((m) => m.type === 'MsgVote');
    expect(votes.map((m) => [m.to, m.term])).toEqual([[2, 1], [3, 1]]);
  });

  it('a candidate that times out starts a new election at the next term', () => {
    const n = node();
    n.raw.campaign();
    for (let i = 0; i < 2 * ELECTION; i++) n.raw.tick();
    expect(n.raw.status()).toMatchObject({ role: 'candidate', term: 2 });
  });

  const rounds: [number, Record<number, boolean>, string][] = [
    [1, {}, 'leader'],
    [3, { 2: true, 3: true }, 'leader'],
    [3, { 2: true }, 'leader'],
    [5, { 2: true, 3: true, 4: true, 5: true }, 'leader'],
    [5, { 2: true, 3: true, 4: true }, 'leader'],
    [5, { 2: true, 3: true }, 'leader'],
    [3, { 2: false, 3: false }, 'follower'],
    [5, { 2: false, 3: false, 4: false, 5: false }, 'follower'],
    [5, { 2: true, 3: false, 4: false, 5: false }, 'follower'],
    [3, {}, 'candidate'],
    [5, { 2: true }, 'candidate'],
    [5, { 2: false, 3: false }, 'candidate'],
    [5, {}, 'candidate'],
  ];
  for (const [size, votes, want] of rounds) {
    it(`one round of votes: ${size} voters, votes ${JSON.stringify(votes)} -> ${want}`, () => {
      const peers = Array.from({ length: size }, (_, i) => i + 1);
      const n = node({ peers });
      n.raw.campaign();
      drain(n);
      for (const [from, granted] of Object.entries(votes)) {
        n.raw.step(msg({ type: 'MsgVoteResp', from: Number(from), to: 1, term: 1, reject: !granted }));
      }
      expect(n.raw.status().role).toBe(want);
    });
  }

  it('a follower grants at most one vote per term, first come first served', () => {
    const cases: [number, number, boolean][] = [
      [0, 2, false], [0, 3, false], [2, 2, false], [3, 3, false], [2, 3, true], [3, 2, true],
    ];
    for (const [vote, from, reject] of cases) {
      const n = node({ term: 1, vote });
      n.raw.step(msg({ type: 'MsgVote', from, to: 1, term: 1, index: 0, logTerm: 0, transfer: false }));
      const resp = drain(n).find((m) => m.type === 'MsgVoteResp');
      expect(resp).toMatchObject({ to: from, reject });
    }
  });

  it('a candidate that receives an append from a leader of its term (or later) steps down', () => {
    for (const t of [1, 2]) {
      const n = node();
      n.raw.campaign();
      n.raw.step(app(2, 1, t, 0, 0, [], 0));
      expect(n.raw.status()).toMatchObject({ role: 'follower', term: t, lead: 2 });
    }
  });

  it('election timeouts are randomized in [et, 2et) and the same seed gives the same timeouts', () => {
    const timeouts = (seed: string): number[] => {
      const out: number[] = [];
      for (let k = 0; k < 50; k++) {
        const n = node({ config: { random: createRandom(`${seed}/${k}`) } });
        let ticks = 0;
        while (n.raw.status().role === 'follower' && ticks < 3 * ELECTION) {
          n.raw.tick();
          ticks++;
        }
        out.push(ticks);
      }
      return out;
    };
    const a = timeouts('x');
    expect(Math.min(...a)).toBeGreaterThanOrEqual(ELECTION);
    expect(Math.max(...a)).toBeLessThanOrEqual(2 * ELECTION - 1);
    expect(new Set(a).size).toBeGreaterThan(5);
    expect(timeouts('x')).toEqual(a);
  });
});

describe('§5.3 log replication', () => {
  it('the leader appends a proposal to its log and sends it to every follower', () => {
    const n = node();
    becomeLeader(n);
    // The followers acknowledge the leader's empty entry: they move from probe to replicate.
    for (const from of [2, 3]) n.raw.step(msg({ type: 'MsgAppResp', from, to: 1, term: 1, index: 1, reject: false, rejectHint: 0, logTerm: 0 }));
    drain(n);
    n.raw.propose(new TextEncoder().encode('some data'));
    const apps = drain(n).filter((m): m is MsgApp => m.type === 'MsgApp');
    expect(apps.map((m) => [m.to, m.index, m.logTerm, m.entries.length, m.commit])).toEqual([[2, 1, 1, 1, 1], [3, 1, 1, 1, 1]]);
    expect(logTerms(n.raw)).toEqual([1, 1]);
  });

  it('the leader commits an entry once a majority stored it, and tells followers', () => {
    const n = node();
    becomeLeader(n);
    n.raw.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 1, index: 1, reject: false, rejectHint: 0, logTerm: 0 }));
    drain(n);
    n.raw.propose(new TextEncoder().encode('x'));
    drain(n);
    expect(n.raw.status().commit).toBe(1);
    n.raw.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 1, index: 2, reject: false, rejectHint: 0, logTerm: 0 }));
    expect(n.raw.status().commit).toBe(2);
    const apps = drain(n).filter((m): m is MsgApp => m.type === 'MsgApp');
    expect(apps.every((m) => m.commit === 2)).toBe(true);
  });

  it('committing an entry commits all preceding entries, including those of earlier leaders', () => {
    const n = node({ log: [1, 2], term: 2 });
    becomeLeader(n);
    n.raw.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 3, index: 3, reject: false, rejectHint: 0, logTerm: 0 }));
    expect(n.raw.status().commit).toBe(3);
  });

  it('a follower applies entries once it learns they are committed', () => {
    const n = node({ id: 2 });
    n.raw.step(app(1, 2, 1, 0, 0, [entry(1, 1, 'a'), entry(1, 2, 'b')], 1));
    const rd = n.raw.ready();
    expect(rd.committedEntries.map((e) => e.index)).toEqual([1]);
    n.storage.append(rd.entries);
    n.raw.advance(rd);
  });

  it('a follower refuses an append whose previous entry does not match (§5.3 consistency check)', () => {
    const cases: [number, number, boolean, number][] = [
      // [prev index, prev term, rejected, reject hint]
      [0, 0, false, 0],
      [1, 1, false, 0],
      [2, 2, false, 0],
      [1, 2, true, 1],
      [3, 3, true, 2],
    ];
    for (const [index, logTerm, reject, hint] of cases) {
      const n = node({ id: 2, log: [1, 2], term: 2, commit: 1 });
      n.raw.step(app(1, 2, 2, index, logTerm, [], 1));
      const resp = drain(n).find((m) => m.type === 'MsgAppResp');
      expect(resp).toMatchObject({ reject, rejectHint: hint });
    }
  });

  it('a follower deletes conflicting entries and appends the new ones', () => {
    const cases: [number, number, number[], number[]][] = [
      [2, 2, [3], [1, 2, 3]],
      [1, 1, [3, 4], [1, 3, 4]],
      [0, 0, [1], [1, 2]],
      [0, 0, [3], [3]],
    ];
    for (const [index, logTerm, terms, want] of cases) {
      const n = node({ id: 2, log: [1, 2], term: 2 });
      n.raw.step(app(1, 2, 2, index, logTerm, terms.map((t, i) => entry(t, index + 1 + i)), 0));
      expect(logTerms(n.raw)).toEqual(want);
    }
  });

  it('a leader never overwrites or deletes its own entries (append-only)', () => {
    const n = node({ log: [1, 1, 2], term: 2 });
    becomeLeader(n);
    const before = logTerms(n.raw);
    // A stale append that would conflict with the leader's log is ignored (lower term)...
    n.raw.step(app(2, 1, 2, 1, 1, [entry(2, 2)], 0));
    // ...and a rejection from a follower only moves that follower's progress.
    n.raw.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 3, index: 3, reject: true, rejectHint: 1, logTerm: 1 }));
    drain(n);
    expect(logTerms(n.raw).slice(0, before.length)).toEqual(before);
  });

  // Figure 7: the leader for term 8 and the possible follower logs (a)-(f).
  const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const followers: Record<string, number[]> = {
    a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
    b: [1, 1, 1, 4],
    c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
    d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
    e: [1, 1, 1, 4, 4, 4, 4],
    f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
  };
  for (const [name, flog] of Object.entries(followers)) {
    it(`Figure 7 (${name}): the new leader brings the follower's log to its own`, () => {
      const lead = node({ log: leaderLog, term: 7, commit: 0 });
      const fol = node({ id: 2, log: flog, term: 7 });
      const voter = node({ id: 3, log: leaderLog, term: 7 });
      const nodes = new Map([[1, lead], [2, fol], [3, voter]]);
      lead.raw.campaign();
      const queue: Message[] = drain(lead);
      // Deliver until quiet; each node drains its Ready after every message.
      for (let steps = 0; queue.length > 0 && steps < 1000; steps++) {
        const m = queue.shift() as Message;
        const to = nodes.get(m.to);
        if (to === undefined) continue;
        to.raw.step(m);
        queue.push(...drain(to));
      }
      expect(lead.raw.status()).toMatchObject({ role: 'leader', term: 8 });
      expect(logTerms(fol.raw)).toEqual([...leaderLog, 8]);
    });
  }
});

describe('§5.4 safety', () => {
  it('§5.4.1 a vote request carries the candidate last log index and term', () => {
    const n = node({ log: [1, 2] , term: 2 });
    n.raw.campaign();
    const votes = drain(n).filter((m) => m.type === 'MsgVote');
    expect(votes.map((m) => (m.type === 'MsgVote' ? [m.index, m.logTerm, m.term] : []))).toEqual([[2, 2, 3], [2, 2, 3]]);
  });

  it('§5.4.1 a voter refuses a candidate whose log is less up to date (last term, then last index)', () => {
    const cases: [number[], number, number, boolean][] = [
      // [voter log, candidate last term, candidate last index, rejected]
      [[1, 1], 1, 2, false], [[1, 1], 1, 3, false], [[1, 1], 1, 1, true],
      [[1, 2], 1, 2, true], [[1, 2], 2, 2, false], [[1, 2], 3, 1, false], [[1, 2], 2, 1, true],
    ];
    for (const [log, logTerm, index, reject] of cases) {
      const n = node({ log, term: 2 });
      n.raw.step(msg({ type: 'MsgVote', from: 2, to: 1, term: 3, index, logTerm, transfer: false }));
      const resp = drain(n).find((m) => m.type === 'MsgVoteResp');
      expect(resp).toMatchObject({ reject });
    }
  });

  it('§5.4.2 (Figure 8) a leader never commits an entry of a previous term by counting replicas', () => {
    // The leader of term 3 holds entries of terms 1 and 2 that a majority also holds.
    const n = node({ log: [1, 2], term: 2 });
    becomeLeader(n);
    // Follower 2 acknowledges only the old entries (index 2, term 2): nothing may commit.
    n.raw.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 3, index: 2, reject: false, rejectHint: 0, logTerm: 0 }));
    expect(n.raw.status().commit).toBe(0);
    // Once the entry of the current term (index 3) is on a majority, everything up to it commits.
    n.raw.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 3, index: 3, reject: false, rejectHint: 0, logTerm: 0 }));
    expect(n.raw.status().commit).toBe(3);
  });
});
