/**
 * A follower's progress as its leader sees it (etcd's `tracker.Progress`), and the flow-control
 * state machine over it:
 *
 * - `probe`: at most one MsgApp per heartbeat interval until the follower's match is found;
 * - `replicate`: optimistic pipelining; `next` runs ahead of `match`, bounded by the inflight
 *   window; when the window is full only empty MsgApp go out, so progress resumes after drops;
 * - `snapshot`: a snapshot is on its way; no MsgApp at all until it is reported or acknowledged.
 *
 * Invariant (asserted): match < next.
 */
import { assert } from '../../sim/assert.js';
import { Inflights } from './inflights.js';
import type { LogIndex } from './types.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  /** Highest index known to match the leader's log. */
  match: LogIndex;
  /** Next index to send; (match, next) is in flight. */
  next: LogIndex;
  /** Highest commit index sent to the follower (etcd's sentCommit). */
  sentCommit: LogIndex = 0 as LogIndex;
  state: ProgressState = 'probe';
  /** In `snapshot`: the leader's last index when it decided to send a snapshot. */
  pendingSnapshot: LogIndex = 0 as LogIndex;
  /** Heard from in the current CheckQuorum interval. Always true for the leader itself. */
  recentActive = false;
  /**
   * MsgApp flow paused: in `probe` after a probe went out, in `replicate` when the window is
   * full. Cleared by a heartbeat response, an acknowledgement, or a state change.
   */
  msgAppFlowPaused = false;
  readonly inflights: Inflights;
  isLearner: boolean;

  constructor(init: { match: LogIndex; next: LogIndex; inflights: Inflights; isLearner: boolean; recentActive?: boolean }) {
    this.match = init.match;
    this.next = init.next;
    this.inflights = init.inflights;
    this.isLearner = init.isLearner;
    this.recentActive = init.recentActive ?? false;
    this.checkInvariant();
  }

  /** A copy sharing nothing mutable except what the conf changer may flip (isLearner). */
  clone(): Progress {
    const p = new Progress({ match: this.match, next: this.next, inflights: this.inflights, isLearner: this.isLearner, recentActive: this.recentActive });
    p.sentCommit = this.sentCommit;
    p.state = this.state;
    p.pendingSnapshot = this.pendingSnapshot;
    p.msgAppFlowPaused = this.msgAppFlowPaused;
    return p;
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0 as LogIndex;
    this.state = state;
    this.inflights.reset();
  }

  /** Probe from match + 1 (or past the snapshot just delivered). */
  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1) as LogIndex;
    } else {
      this.resetState('probe');
      this.next = (this.match + 1) as LogIndex;
    }
    this.sentCommit = Math.min(this.sentCommit, this.next - 1) as LogIndex;
    this.checkInvariant();
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = (this.match + 1) as LogIndex;
    this.checkInvariant();
  }

  becomeSnapshot(snapshotIndex: LogIndex): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
    this.next = (snapshotIndex + 1) as LogIndex;
    this.sentCommit = snapshotIndex;
    this.checkInvariant();
  }

  /** A MsgApp with `entries` entries (and `bytes` of payload) starting at next went out. */
  sentEntries(entries: number, bytes: number): void {
    switch (this.state) {
      case 'replicate':
        if (entries > 0) {
          this.next = (this.next + entries) as LogIndex;
          this.inflights.add((this.next - 1) as LogIndex, bytes);
        }
        // A message that fills the window (or went out with it full) counts as a probe.
        this.msgAppFlowPaused = this.inflights.full();
        return;
      case 'probe':
        if (entries > 0) this.msgAppFlowPaused = true;
        return;
      case 'snapshot':
        assert(false, 'progress: sending append in state snapshot');
    }
  }

  /** Could sending `commit` advance the follower's commit index? */
  canBumpCommit(commit: LogIndex): boolean {
    return commit > this.sentCommit && this.sentCommit < this.next - 1;
  }

  sentCommitIndex(commit: LogIndex): void {
    this.sentCommit = commit;
  }

  /** An acknowledgement of index n; false if it is stale (n ≤ match). */
  maybeUpdate(n: LogIndex): boolean {
    if (n <= this.match) return false;
    this.match = n;
    this.next = Math.max(this.next, n + 1) as LogIndex;
    this.msgAppFlowPaused = false;
    this.checkInvariant();
    return true;
  }

  /**
   * A rejection of the MsgApp at index `rejected`, with the follower's hint. False when the
   * rejection is stale (reordered or duplicated); otherwise next is lowered and sending resumes.
   */
  maybeDecrTo(rejected: LogIndex, matchHint: LogIndex): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = (this.match + 1) as LogIndex;
      this.sentCommit = Math.min(this.sentCommit, this.next - 1) as LogIndex;
      return true;
    }
    // Probes go one at a time, so a genuine rejection is for next − 1.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1) as LogIndex;
    this.sentCommit = Math.min(this.sentCommit, this.next - 1) as LogIndex;
    this.msgAppFlowPaused = false;
    this.checkInvariant();
    return true;
  }

  isPaused(): boolean {
    return this.state === 'snapshot' ? true : this.msgAppFlowPaused;
  }

  /** `StateReplicate match=11 next=12 paused inflight=2[full]`, as etcd prints it. */
  describe(): string {
    const name = this.state === 'probe' ? 'StateProbe' : this.state === 'replicate' ? 'StateReplicate' : 'StateSnapshot';
    let s = `${name} match=${this.match} next=${this.next}`;
    if (this.isLearner) s += ' learner';
    if (this.isPaused()) s += ' paused';
    if (this.pendingSnapshot > 0) s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += ' inactive';
    const n = this.inflights.count();
    if (n > 0) s += ` inflight=${n}${this.inflights.full() ? '[full]' : ''}`;
    return s;
  }

  private checkInvariant(): void {
    if (this.match >= this.next) assert(false, `progress: match ${this.match} < next ${this.next}`);
  }
}
