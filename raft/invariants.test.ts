/** The safety checker fires on each broken property (so the property tests can fail). */
import fc from 'fast-check';
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

  it('leader completeness reads the leader log: a wrong term inside it, none past its end, nothing below its first index', () => {
    const c = new SafetyChecker();
    c.observe([obs(1, 1, 'leader', 3, [1, 1, 1]), obs(2, 1, 'follower', 3, [1, 1, 1])]);
    expect(() => new SafetyChecker().observe([obs(1, 1, 'leader', 3, [1, 1, 1])])).not.toThrow();
    // A later leader whose log was compacted up to index 2 holds the rest: fine.
    c.observe([{ id: 3 as NodeId, term: 2 as Term, role: 'leader', commit: 3 as LogIndex, log: view([1, 2], 3) }]);
    const d = new SafetyChecker();
    d.observe([obs(1, 1, 'leader', 3, [1, 1, 1]), obs(2, 1, 'follower', 3, [1, 1, 1])]);
    expect(() => d.observe([{ id: 3 as NodeId, term: 2 as Term, role: 'leader', commit: 1 as LogIndex, log: view([1, 2, 2]) }])).toThrow(/has term 2 at 2, where term 1 was committed/);
    const e = new SafetyChecker();
    e.observe([obs(1, 1, 'leader', 3, [1, 1, 1]), obs(2, 1, 'follower', 3, [1, 1, 1])]);
    expect(() => e.observe([{ id: 3 as NodeId, term: 2 as Term, role: 'leader', commit: 1 as LogIndex, log: view([1, 1]) }])).toThrow(/has term none at 3/);
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

  it('log matching: same terms everywhere, but different data at one index (distinct entry objects)', () => {
    const c = new SafetyChecker();
    const log = (data: number[], first = 1): LogView => dataView(data.map(() => 1), data, first);
    c.observe([{ ...obs(1, 1, 'follower', 0, []), log: log([1, 2, 3]) }, { ...obs(2, 1, 'follower', 0, []), log: log([1, 2, 3]) }]);
    expect(() => c.observe([{ ...obs(1, 1, 'follower', 0, []), log: log([1, 2, 3]) }, { ...obs(2, 1, 'follower', 0, []), log: log([1, 9, 3]) }])).toThrow(/log matching: n1 and n2 both hold 3\/1 but differ at 2/);
  });

  it('log matching agrees with the plain pairwise definition on arbitrary logs', () => {
    // Logs of up to 4 nodes, each a compacted prefix and a run of (term, data) entries; some
    // entries shared as objects between logs (as messages share them), others equal copies.
    const arbLog = fc.record({ first: fc.integer({ min: 1, max: 3 }), ents: fc.array(fc.record({ term: fc.integer({ min: 1, max: 3 }), data: fc.integer({ min: 0, max: 2 }) }), { maxLength: 8 }) });
    fc.assert(
      fc.property(fc.array(arbLog, { minLength: 2, maxLength: 4 }), (logs) => {
        const views = logs.map((l) => dataView(l.ents.map((e) => e.term), l.ents.map((e) => e.data), l.first));
        const nodes = views.map((v, i) => ({ ...obs(i + 1, 9, 'follower', 0, []), log: v }));
        let threw = false;
        try {
          new SafetyChecker().observe(nodes);
        } catch (e) {
          threw = /log matching/.test(String(e));
        }
        expect(threw).toBe(!naiveLogMatching(views));
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});

/** A log of entries with these terms and one-byte data, starting at `first`. */
function dataView(terms: number[], data: number[], first = 1): LogView {
  const ents: Entry[] = terms.map((t, i) => ({ term: t as Term, index: (first + i) as LogIndex, type: 'normal', data: new Uint8Array([data[i] ?? 0]) }));
  return { ...view(terms, first), entries: (lo, hi) => (lo < first ? null : ents.slice(lo - first, hi - first)) };
}

/** Log Matching straight from the definition: any two logs that hold one (index, term) agree on every entry both hold up to it. */
function naiveLogMatching(logs: LogView[]): boolean {
  for (const a of logs) {
    for (const b of logs) {
      const lo = Math.max(a.firstIndex(), b.firstIndex());
      const hi = Math.min(a.lastIndex(), b.lastIndex());
      for (let i = lo; i <= hi; i++) {
        if (a.term(i as LogIndex) !== b.term(i as LogIndex)) continue;
        for (let k = lo; k <= i; k++) {
          const x = a.entries(k as LogIndex, (k + 1) as LogIndex)?.[0];
          const y = b.entries(k as LogIndex, (k + 1) as LogIndex)?.[0];
          if (x?.term !== y?.term || x?.data[0] !== y?.data[0]) return false;
        }
      }
    }
  }
  return true;
}

