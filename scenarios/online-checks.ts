/**
 * The invariants checked while a run goes, stopping it at the first broken one (an
 * InvariantViolation, which the runner turns into a failed `invariants` check with the seed):
 *
 * - Raft's safety properties (paper Figure 3) over the members' raft logs, by raft/invariants.ts:
 *   election safety, log matching, leader completeness, term and commit monotonicity — observed
 *   every `raftEveryUs` and at once whenever a member's role changes (so a leader that lasts
 *   less than a sample is still seen);
 * - state machine safety at apply: no two members (or two incarnations of one) apply different
 *   entries at the same index;
 * - per member, the kv revision never goes backwards within an incarnation, and the revision at
 *   an applied index is the same on every member and incarnation;
 * - equal HashKV at equal (revision, compaction revision) across members — sampled every
 *   `kvEveryUs`.
 */
import { assert } from '../sim/assert.js';
import type { HostId } from '../sim/host.js';
import type { Micros } from '../sim/time.js';
import { SafetyChecker, type NodeObservation } from '../raft/invariants.js';
import { EntryTable } from '../raft/entry-table.js';
import type { Entry, LogIndex, NodeId } from '../raft/core/types.js';
import type { SimCluster } from './cluster.js';

export interface OnlineCheckOptions {
  readonly raftEveryUs: Micros;
  readonly kvEveryUs: Micros;
}

/** Remembered applied entries and hashes: bounds on the checker's memory. */
const APPLIED_MAX = 2_000_000;
const HASHES_MAX = 200_000;

export class OnlineChecks {
  private readonly safety = new SafetyChecker();
  /** Each index's entry as first applied, tagged with the member that applied it (compact: raft/entry-table.ts). */
  private readonly applied = new EntryTable();
  /** Revision after applying up to an index, as first seen. */
  private readonly revisionAt = new Map<number, { readonly revision: number; readonly by: HostId }>();
  private readonly hashAt = new Map<string, { readonly hash: number; readonly by: HostId }>();
  private readonly lastRevision = new Map<HostId, { readonly incarnation: number; readonly revision: number }>();
  samples = 0;

  constructor(
    private readonly cluster: SimCluster,
    private readonly options: OnlineCheckOptions,
  ) {}

  /** Starts the periodic samples (they draw nothing and trace nothing: the run's hash is the same with or without them). */
  start(): void {
    const raft = (): void => {
      this.observeRaft();
      this.cluster.scheduler.schedule(this.options.raftEveryUs, raft);
    };
    const kv = (): void => {
      this.observeKv();
      this.cluster.scheduler.schedule(this.options.kvEveryUs, kv);
    };
    this.cluster.scheduler.schedule(this.options.raftEveryUs, raft);
    this.cluster.scheduler.schedule(this.options.kvEveryUs, kv);
  }

  onBoot(id: HostId, incarnation: number): void {
    if (incarnation > 1) this.safety.onRestart(id as NodeId);
  }

  onApplyEntry(id: HostId, e: Entry): void {
    const seen = this.applied;
    if (!seen.has(e.index)) {
      assert(seen.size < APPLIED_MAX, 'online checks: too many applied entries remembered');
      seen.set(e.index, e, id);
      return;
    }
    assert(seen.matches(e.index, e), () => `state machine safety: n${id} applied ${e.term}/${e.index}, n${seen.tag(e.index)} applied ${seen.term(e.index) ?? '?'}/${e.index} there`);
  }

  onRoleChange(): void {
    this.observeRaft();
  }

  /** Every member whose raft node runs (up or paused: a paused node's state is still its state). */
  observeRaft(): void {
    this.samples++;
    const obs: NodeObservation[] = [];
    for (const id of this.cluster.hostIds()) {
      const node = this.cluster.raftNode(id);
      // A node that refused to start (an unreadable disk) has no raft state to observe.
      if (node === undefined || (node.status().stopped !== null && node.walSegments().length === 0)) continue;
      const st = node.raftStatus();
      obs.push({ id: id as NodeId, term: st.term, role: st.role, commit: st.commit, log: node.logView() });
    }
    this.safety.observe(obs);
  }

  observeKv(): void {
    for (const id of this.cluster.hostIds()) {
      const m = this.cluster.member(id);
      if (m === undefined) continue;
      const st = m.status();
      this.checkRevision(id, st.incarnation, st.revision, st.kvAppliedIndex);
      const h = m.hashKV(st.revision);
      if (!h.ok) continue;
      const key = `${h.value.hashRevision}/${h.value.compactRevision}`;
      const seen = this.hashAt.get(key);
      if (seen === undefined) {
        if (this.hashAt.size < HASHES_MAX) this.hashAt.set(key, { hash: h.value.hash, by: id });
        continue;
      }
      assert(seen.hash === h.value.hash, () => `equal HashKV at equal revision: n${id} hashes revision ${h.value.hashRevision} (compacted at ${h.value.compactRevision}) to ${h.value.hash}, n${seen.by} to ${seen.hash}`);
    }
  }

  private checkRevision(id: HostId, incarnation: number, revision: number, appliedIndex: LogIndex | number): void {
    const last = this.lastRevision.get(id);
    if (last !== undefined && last.incarnation === incarnation) {
      assert(revision >= last.revision, () => `revision monotonicity: n${id} went from revision ${last.revision} to ${revision}`);
    }
    this.lastRevision.set(id, { incarnation, revision });
    const seen = this.revisionAt.get(appliedIndex);
    if (seen === undefined) {
      if (this.revisionAt.size < APPLIED_MAX) this.revisionAt.set(appliedIndex, { revision, by: id });
      return;
    }
    assert(seen.revision === revision, () => `revision at applied index ${appliedIndex}: n${id} is at revision ${revision}, n${seen.by} was at ${seen.revision}`);
  }
}
