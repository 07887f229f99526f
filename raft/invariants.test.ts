/** The safety checker fires on each broken property (so the property tests can fail). */
import { describe, expect, it } from 'vitest';
import type { LogView } from './core/raw-node.js';
import type { Entry, LogIndex, NodeId, Role, Term } from './core/types.js';
import type { NodeObservation } from './invariants.js';
import { SafetyChecker } from './invariants.js';

function view(terms: number[], first = 1): LogView {
  const ents: Entry[] = terms.map((t, i) => ({ term: t as Term, index: (first + i) as LogIndex, type: 'normal', data: new Uint8Array(0) }));
  return {
    firstIndex: () => first as LogIndex,
    lastIndex: () => (first + terms.length - 1) as LogIndex,
    committed: () => 0 as LogIndex,
    term: (i) => (i === first - 1 ? (0 as Term) : ents[i - first]?.term ?? null),
    entries: (lo, hi) => (lo < first ? null : ents.slice(lo - first, hi - first)),
  };
}

function obs(id: number, term: number, role: Role, commit: number, terms: number[]): NodeObservation {
  return { id: id as NodeId, term: term as Term, role, commit: commit as LogIndex, log: view(terms) };
}

describe('SafetyChecker', () => {
  it('accepts a consistent cluster', () => {
    const c = new SafetyChecker();
    c.observe([obs(1, 2, 'leader', 2, [1, 2]), obs(2, 2, 'follower', 1, [1, 2]), obs(3, 1, 'follower', 1, [1])]);
  });

  it('election safety: two leaders of one term, even at different moments', () => {
    const c = new SafetyChecker();
    c.observe([obs(1, 2, 'leader', 0, [])]);
    expect(() => c.observe([obs(1, 2, 'follower', 0, []), obs(2, 2, 'leader', 0, [])])).toThrow(/election safety/);
  });

  it('log matching: same (index, term) but a different earlier entry', () => {
    const c = new SafetyChecker();
    expect(() => c.observe([obs(1, 3, 'follower', 0, [1, 1, 3]), obs(2, 3, 'follower', 0, [1, 2, 3])])).toThrow(/log matching/);
  });

  it('leader completeness: a later leader without a committed entry', () => {
    const c = new SafetyChecker();
    c.observe([obs(1, 1, 'leader', 2, [1, 1]), obs(2, 1, 'follower', 2, [1, 1])]);
    expect(() => c.observe([obs(3, 2, 'leader', 0, [1])])).toThrow(/leader completeness/);
  });

  it('state machine safety: different entries applied (or committed) at one index', () => {
    const c = new SafetyChecker();
    const e = (t: number): Entry => ({ term: t as Term, index: 1 as LogIndex, type: 'normal', data: new Uint8Array(0) });
    c.onApply(1 as NodeId, [e(1)]);
    expect(() => c.onApply(2 as NodeId, [e(2)])).toThrow(/state machine safety/);
    expect(() => c.onApply(1 as NodeId, [{ ...e(1), index: 3 as LogIndex }])).toThrow(/applied 3 after 1/);
  });

  it('term and commit never decrease', () => {
    const c = new SafetyChecker();
    c.observe([obs(1, 3, 'follower', 1, [1])]);
    expect(() => c.observe([obs(1, 2, 'follower', 1, [1])])).toThrow(/term monotonicity/);
    const d = new SafetyChecker();
    d.observe([obs(1, 1, 'follower', 1, [1])]);
    expect(() => d.observe([obs(1, 1, 'follower', 0, [1])])).toThrow(/commit monotonicity/);
    d.onRestart(1 as NodeId);
    d.observe([obs(1, 1, 'follower', 0, [1])]);
    c.onRestart(1 as NodeId);
    c.observe([obs(1, 2, 'follower', 1, [1])]);
  });
});
