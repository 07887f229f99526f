/**
 * Cluster-level safety properties of Raft (paper Figure 3), checked online over a set of nodes:
 *
 * - Election Safety: at most one leader per term (over the whole run, not just one instant);
 * - Log Matching: if two logs hold an entry with the same index and term, the logs are identical
 *   in all entries up to that index;
 * - Leader Completeness: an entry committed in some term is in the log of every leader of every
 *   later term;
 * - State Machine Safety: no two nodes apply different entries at the same index (and every
 *   applied entry is the committed one).
 *
 * Also per node, within one incarnation: the term and the commit index never decrease. A crash
 * loses what was not yet persisted (a term or vote not yet handed out in a Ready, an unsynced
 * commit index), so call `onRestart` when a node restarts.
 *
 * A violation throws an InvariantViolation (sim/assert) naming the nodes, indexes and terms. The
 * checker keeps what it has seen (leaders per term, committed entries) across calls; feed it
 * every node after every step (or as often as affordable: each `observe` costs O(nodes² · log)).
 */
import { assert } from '../sim/assert.js';
import type { LogView } from './core/raw-node.js';
import type { Entry, LogIndex, NodeId, Role, Term } from './core/types.js';
import { bytesEqual } from './core/types.js';
import { EntryTable } from './entry-table.js';

/** What the checker needs to see of one node. */
export interface NodeObservation {
  readonly id: NodeId;
  readonly term: Term;
  readonly role: Role;
  readonly commit: LogIndex;
  readonly log: LogView;
}

/** A bound on the checker's memory: committed entries it remembers. */
export const KNOWN_ENTRIES_MAX = 10_000_000;

export class SafetyChecker {
  private readonly leaders = new Map<number, NodeId>();
  /**
   * Committed entries by index (compact: raft/entry-table.ts), each tagged with the lowest term of
   * a node seen holding it as committed (≥ the term it was committed in). Indexes are dense (a node
   * commits every index after its first) and every observation looks up each new one and, for a
   * leader, all of them.
   */
  private readonly committed = new EntryTable();
  private readonly applied = new EntryTable();
  private readonly lastTerm = new Map<NodeId, Term>();
  private readonly lastCommit = new Map<NodeId, LogIndex>();
  private readonly lastApplied = new Map<NodeId, LogIndex>();
  private maxCommitted = 0;

  /** Checks every property over the nodes as they are now. */
  observe(nodes: readonly NodeObservation[]): void {
    for (const n of nodes) this.checkNode(n);
    for (const n of nodes) this.recordCommitted(n);
    // Each log is read once per observation, then compared pairwise (reading a log is the costly
    // part: an entries() call copies the slice).
    const logs = nodes.map(readLog);
    for (let i = 0; i < logs.length; i++) {
      for (let j = i + 1; j < logs.length; j++) checkLogMatching(logs[i] as ReadLog, logs[j] as ReadLog);
    }
    for (const log of logs) if (log.n.role === 'leader') this.checkLeaderCompleteness(log);
  }

  /** A node restarted: its term and commit index may legitimately go back to what was persisted. */
  onRestart(id: NodeId): void {
    this.lastTerm.delete(id);
    this.lastCommit.delete(id);
    this.lastApplied.delete(id);
  }

  /** The node installed a snapshot covering up to `index`: its next applied entry is index + 1. */
  onSnapshotApplied(id: NodeId, index: LogIndex): void {
    const prev = this.lastApplied.get(id) ?? 0;
    assert(index >= prev, () => `state machine safety: n${id} applied a snapshot at ${index} below its applied index ${prev}`);
    this.lastApplied.set(id, index);
  }

  /** The node applied these committed entries (in order) to its state machine. */
  onApply(id: NodeId, entries: readonly Entry[]): void {
    for (const e of entries) {
      const prev = this.lastApplied.get(id);
      assert(prev === undefined || e.index === prev + 1, () => `state machine safety: n${id} applied ${e.index} after ${prev ?? 'nothing'}`);
      this.lastApplied.set(id, e.index);
      this.checkApplied(id, e);
    }
  }

  private checkApplied(id: NodeId, e: Entry): void {
    if (!this.applied.has(e.index)) {
      assert(this.applied.size < KNOWN_ENTRIES_MAX, 'safety checker: too many applied entries remembered');
      this.applied.set(e.index, e);
    } else {
      assert(this.applied.matches(e.index, e), () => `state machine safety: n${id} applied ${describe(e)} at index ${e.index}, another node applied term ${this.applied.term(e.index)}`);
    }
    assert(!this.committed.has(e.index) || this.committed.matches(e.index, e), () => `state machine safety: n${id} applied ${describe(e)}, but term ${this.committed.term(e.index)} was committed at ${e.index}`);
  }

  private checkNode(n: NodeObservation): void {
    const prevTerm = this.lastTerm.get(n.id) ?? 0;
    assert(n.term >= prevTerm, () => `term monotonicity: n${n.id} went from term ${prevTerm} to ${n.term}`);
    this.lastTerm.set(n.id, n.term);
    const prevCommit = this.lastCommit.get(n.id) ?? 0;
    assert(n.commit >= prevCommit, () => `commit monotonicity: n${n.id} went from commit ${prevCommit} to ${n.commit}`);
    assert(n.commit <= n.log.lastIndex(), () => `commit bound: n${n.id} commit ${n.commit} > last index ${n.log.lastIndex()}`);
    if (n.role === 'leader') {
      const other = this.leaders.get(n.term);
      assert(other === undefined || other === n.id, () => `election safety: n${other} and n${n.id} are both leaders of term ${n.term}`);
      this.leaders.set(n.term, n.id);
    }
  }

  /** Records the entries this node knows committed, checking they agree with what others committed. */
  private recordCommitted(n: NodeObservation): void {
    const from = Math.max(this.lastCommit.get(n.id) ?? 0, n.log.firstIndex() - 1) + 1;
    this.lastCommit.set(n.id, n.commit);
    if (from > n.commit) return;
    const ents = n.log.entries(from as LogIndex, (n.commit + 1) as LogIndex) ?? [];
    const known = this.committed;
    for (const e of ents) {
      if (!known.has(e.index)) {
        assert(known.size < KNOWN_ENTRIES_MAX, 'safety checker: too many committed entries remembered');
        known.set(e.index, e, n.term);
        this.maxCommitted = Math.max(this.maxCommitted, e.index);
        continue;
      }
      assert(known.matches(e.index, e), () => `state machine safety: n${n.id} committed ${describe(e)} at ${e.index}, another node committed term ${known.term(e.index)}`);
      if (n.term < known.tag(e.index)) known.setTag(e.index, n.term);
    }
  }

  /** Over the leader's log as read for this observation (the terms its term() would answer). */
  private checkLeaderCompleteness(log: ReadLog): void {
    const leader = log.n;
    const { first, last, entries } = log;
    const known = this.committed;
    for (let i = first; i <= this.maxCommitted; i++) {
      const term = known.term(i);
      // Committed in a term before the leader's (observed no later than that term).
      if (term === undefined || known.tag(i) >= leader.term) continue;
      // Past the end of the log, term() answers null.
      const t = i <= last ? (entries[i - first] as Entry).term : null;
      assert(t === term, () => `leader completeness: n${leader.id}, leader of term ${leader.term}, has term ${t ?? 'none'} at ${i}, where term ${term} was committed by term ${known.tag(i)}`);
    }
  }
}

function sameEntry(a: { term: Term; type: Entry['type']; data: Uint8Array }, b: Entry): boolean {
  // Nodes usually hold the very entry object (and so data array) another node made.
  return a.term === b.term && a.type === b.type && (a.data === b.data || bytesEqual(a.data, b.data));
}

function describe(e: Entry): string {
  return `${e.term}/${e.index}`;
}

/** One node's whole log as read at one observation: entries[k] is at index first + k. */
interface ReadLog {
  readonly n: NodeObservation;
  readonly first: number;
  readonly last: number;
  readonly entries: readonly Entry[];
}

function readLog(n: NodeObservation): ReadLog {
  const first = n.log.firstIndex();
  const last = n.log.lastIndex();
  const entries = last < first ? [] : n.log.entries(first, (last + 1) as LogIndex) ?? [];
  assert(entries.length === Math.max(0, last - first + 1), () => `log matching: n${n.id} holds ${entries.length} entries in [${first}, ${last}]`);
  return { n, first, last, entries };
}

/**
 * Log Matching for one pair: find the highest index both logs hold with the same term; every
 * entry at or below it (that both still hold) must be identical. Entries travel between nodes as
 * objects, so two logs usually hold the very same entry object: that is the cheap case.
 */
function checkLogMatching(a: ReadLog, b: ReadLog): void {
  const lo = Math.max(a.first, b.first);
  const hi = Math.min(a.last, b.last);
  const ea = a.entries;
  const eb = b.entries;
  const da = a.first;
  const db = b.first;
  let top = hi;
  // Walk down to the highest common (index, term); bounded by hi - lo + 1 steps.
  while (top >= lo && (ea[top - da] as Entry).term !== (eb[top - db] as Entry).term) top--;
  for (let i = lo; i <= top; i++) {
    const x = ea[i - da] as Entry;
    const y = eb[i - db] as Entry;
    if (x === y) continue;
    assert(sameEntry(x, y), () => `log matching: n${a.n.id} and n${b.n.id} both hold ${top}/${a.n.log.term(top as LogIndex)} but differ at ${x.index}: ${describe(x)} vs ${describe(y)}`);
  }
}
