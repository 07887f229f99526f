/**
 * Quorum math against brute force over random configurations (etcd's quorum/quick_test.go and
 * quorum/testdata): the committed index is the largest index a majority acknowledged; a vote is
 * won with a majority of yes, lost when a majority can no longer say yes; a joint configuration
 * needs both halves.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JointConfig, VoteResult } from './quorum.js';
import { INDEX_MAX, jointCommittedIndex, jointQuorumAcked, jointVoteResult, majorityCommittedIndex, majorityVoteResult } from './quorum.js';
import type { LogIndex, NodeId } from './types.js';

const ids = fc.uniqueArray(fc.integer({ min: 1, max: 9 }), { maxLength: 7 }).map((xs) => new Set(xs as NodeId[]));
const acks = fc.dictionary(fc.integer({ min: 1, max: 9 }).map(String), fc.integer({ min: 0, max: 20 }));
const votes = fc.dictionary(fc.integer({ min: 1, max: 9 }).map(String), fc.boolean());

function bruteCommitted(c: ReadonlySet<NodeId>, acked: Record<string, number>): number {
  if (c.size === 0) return INDEX_MAX;
  const q = Math.floor(c.size / 2) + 1;
  let best = 0;
  for (let i = 0; i <= 20; i++) {
    const n = [...c].filter((id) => (acked[String(id)] ?? 0) >= i).length;
    if (n >= q) best = i;
  }
  return best;
}

function bruteVote(c: ReadonlySet<NodeId>, v: Record<string, boolean>): VoteResult {
  if (c.size === 0) return 'won';
  const q = Math.floor(c.size / 2) + 1;
  const yes = [...c].filter((id) => v[String(id)] === true).length;
  const missing = [...c].filter((id) => v[String(id)] === undefined).length;
  return yes >= q ? 'won' : yes + missing >= q ? 'pending' : 'lost';
}

function votesMap(v: Record<string, boolean>): Map<NodeId, boolean> {
  return new Map(Object.entries(v).map(([k, x]) => [Number(k) as NodeId, x]));
}

describe('quorum', () => {
  it('majority committed index matches brute force', () => {
    fc.assert(fc.property(ids, acks, (c, a) => {
      expect(majorityCommittedIndex(c, (id) => a[String(id)] as LogIndex | undefined)).toBe(bruteCommitted(c, a));
    }), { numRuns: 300 });
  });

  it('majority vote result matches brute force', () => {
    fc.assert(fc.property(ids, votes, (c, v) => {
      expect(majorityVoteResult(c, votesMap(v))).toBe(bruteVote(c, v));
    }), { numRuns: 300 });
  });

  it('joint committed index is the smaller of both halves, and an empty outgoing half changes nothing', () => {
    fc.assert(fc.property(ids, ids, acks, (inc, out, a) => {
      const j: JointConfig = { incoming: inc, outgoing: out };
      const acked = (id: NodeId): LogIndex | undefined => a[String(id)] as LogIndex | undefined;
      expect(jointCommittedIndex(j, acked)).toBe(Math.min(bruteCommitted(inc, a), bruteCommitted(out, a)));
      expect(jointCommittedIndex({ incoming: inc, outgoing: new Set() }, acked)).toBe(majorityCommittedIndex(inc, acked));
    }), { numRuns: 300 });
  });

  it('joint vote: won when both halves win, lost when either loses, pending otherwise', () => {
    fc.assert(fc.property(ids, ids, votes, (inc, out, v) => {
      const r1 = bruteVote(inc, v);
      const r2 = bruteVote(out, v);
      const want: VoteResult = r1 === 'won' && r2 === 'won' ? 'won' : r1 === 'lost' || r2 === 'lost' ? 'lost' : 'pending';
      expect(jointVoteResult({ incoming: inc, outgoing: out }, votesMap(v))).toBe(want);
    }), { numRuns: 300 });
  });

  it('jointQuorumAcked is jointVoteResult won for the acks voting yes', () => {
    const ackSet = fc.uniqueArray(fc.integer({ min: 1, max: 9 }), { maxLength: 9 }).map((xs) => new Set(xs as NodeId[]));
    fc.assert(fc.property(ids, ids, ackSet, (inc, out, a) => {
      const j: JointConfig = { incoming: inc, outgoing: out };
      const yes = new Map([...a].map((id): [NodeId, boolean] => [id, true]));
      expect(jointQuorumAcked(j, a)).toBe(jointVoteResult(j, yes) === 'won');
    }), { numRuns: 500 });
  });

  it('examples (etcd quorum/testdata/majority_commit.txt)', () => {
    const c = new Set([1, 2, 3] as NodeId[]);
    const at = (xs: number[]) => (id: NodeId): LogIndex | undefined => xs[id - 1] as LogIndex | undefined;
    expect(majorityCommittedIndex(c, at([100, 101, 99]))).toBe(100);
    expect(majorityCommittedIndex(c, at([100, 0, 0]))).toBe(0);
    expect(majorityCommittedIndex(new Set([1, 2, 3, 4] as NodeId[]), at([5, 4, 3, 2]))).toBe(3);
  });
});
