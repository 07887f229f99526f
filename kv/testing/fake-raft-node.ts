/**
 * A test double of the raft node (`RaftNodeHandle`) for one member: proposals "commit" at once and
 * are applied on the next turn of the host's loop, as the real node applies them from its Ready
 * loop. Tests steer it: change the role and leader, hold applies back (so committed runs ahead of
 * applied), hold ReadIndex requests and answer them by hand (in any order, to replay etcd #20418),
 * drop proposals, stop the node.
 *
 * It is not raft: there is no log replication and no other member. It exists so the server's
 * apply path, limits and read modes can be tested without a cluster, and so client tests can run
 * against members that answer quickly and deterministically.
 */
import { assert } from '../../sim/assert.js';
import type { HostContext } from '../../sim/host.js';
import type { NodeObserver, NodeStatus, ProposeResult, RaftNodeHandle, StateMachine } from '../../raft/node/api.js';
import type { Message } from '../../raft/core/messages.js';
import type { ConfChange, Entry, LogIndex, NodeId, ReadState, Role, Term } from '../../raft/core/types.js';
import { EMPTY_CONF_STATE } from '../../raft/core/types.js';

export interface FakeRaftNode extends RaftNodeHandle {
  /** Becomes leader of `term` (default: term + 1): the observer hears of it at once. */
  becomeLeader(term?: number): void;
  /** Becomes a follower of `lead` (0 = no leader) in `term` (default: the current term). */
  becomeFollower(lead: number, term?: number): void;
  /** While true, committed entries wait (committed − applied grows); false applies them all. */
  holdApply(hold: boolean): void;
  /** While true, readIndex() requests are kept for `answerReadIndex`; false answers at once. */
  holdReadIndex(hold: boolean): void;
  /** ReadIndex contexts received and not answered yet, oldest first. */
  heldReadIndex(): readonly Uint8Array[];
  /** Answers a held ReadIndex (by position in `heldReadIndex()`) at the current commit index, or `index`. */
  answerReadIndex(position: number, index?: number): void;
  /** While true, propose() returns ProposalDropped. */
  dropProposals(drop: boolean): void;
  /** While true, proposals are accepted but never commit (lost on the way to a leader). */
  loseProposals(lose: boolean): void;
  /** Stops the node (the observer's onStopped). */
  stop(reason: string): void;
  /** Appends an entry as if another member had proposed it (a raft entry with this data). */
  commitForeign(data: Uint8Array): void;
  /** Every entry in the log, in order. */
  log(): readonly Entry[];
}

export function createFakeRaftNode(ctx: HostContext, sm: StateMachine, observer: NodeObserver, options: { leader?: boolean } = {}): FakeRaftNode {
  const node = new Fake(ctx, sm, observer);
  if (options.leader !== false) node.becomeLeader(1);
  return node;
}

class Fake implements FakeRaftNode {
  readonly id: NodeId;
  private entries: Entry[] = [];
  private applied = 0;
  private term = 0;
  private lead = 0;
  private role: Role = 'follower';
  private holdingApply = false;
  private holdingRead = false;
  private dropping = false;
  private losing = false;
  private held: Uint8Array[] = [];
  private stopped: string | null = null;
  private applyArmed = false;

  constructor(
    private readonly ctx: HostContext,
    private readonly sm: StateMachine,
    private readonly observer: NodeObserver,
  ) {
    this.id = ctx.id as NodeId;
  }

  propose(data: Uint8Array): ProposeResult {
    if (this.stopped !== null) return { ok: false, error: 'Stopped' };
    if (this.dropping || this.lead === 0) return { ok: false, error: 'ProposalDropped' };
    if (this.losing) return { ok: true };
    this.commitForeign(data);
    return { ok: true };
  }

  commitForeign(data: Uint8Array): void {
    const index = (this.entries.length + 1) as LogIndex;
    this.entries.push({ term: this.term as Term, index, type: 'normal', data });
    this.armApply();
  }

  proposeConfChange(_change: ConfChange): ProposeResult {
    return { ok: false, error: 'ProposalDropped' };
  }

  readIndex(requestCtx: Uint8Array): ProposeResult {
    if (this.stopped !== null) return { ok: false, error: 'Stopped' };
    // As etcd's raft: a follower without a leader drops the request silently.
    if (this.lead === 0) return { ok: false, error: 'ProposalDropped' };
    if (this.holdingRead) {
      this.held.push(requestCtx);
      return { ok: true };
    }
    const rs: ReadState = { index: this.entries.length as LogIndex, requestCtx };
    this.ctx.setTimer(0, () => this.observer.onReadState?.(rs));
    return { ok: true };
  }

  transferLeadership(_to: NodeId): void {}

  forgetLeader(): void {}

  /** No peers: every "connection" has been up since the start. */
  peerActiveSince(_id: NodeId): number | null {
    return 0;
  }

  progressMatch(): ReadonlyMap<NodeId, LogIndex> | null {
    return this.role === 'leader' ? new Map([[this.id, this.entries.length as LogIndex]]) : null;
  }

  campaign(): void {
    this.becomeLeader();
  }

  status(): NodeStatus {
    return {
      id: this.id,
      term: this.term as Term,
      lead: this.lead as NodeId,
      role: this.role,
      commit: this.entries.length as LogIndex,
      applied: this.applied as LogIndex,
      lastIndex: this.entries.length as LogIndex,
      snapshotIndex: 0 as LogIndex,
      confState: { ...EMPTY_CONF_STATE, voters: [this.id] },
      stopped: this.stopped,
    };
  }

  commitIndex(): LogIndex {
    return this.entries.length as LogIndex;
  }

  appliedIndex(): LogIndex {
    return this.applied as LogIndex;
  }

  receive(_from: NodeId, _message: Message): void {}

  becomeLeader(term = this.term + 1): void {
    assert(term >= this.term, 'fake node: term went back');
    this.term = term;
    this.lead = this.id;
    this.role = 'leader';
    this.observer.onSoftState?.(this.id, 'leader', this.term as Term);
    // The fake has no leader no-op in its log: it is "applied" at once, so the server promotes its
    // lessor as soon as it leads (a real node does so when its term's empty entry is applied).
    this.sm.applyEmpty?.({ term: this.term as Term, index: this.applied as LogIndex, type: 'normal', data: new Uint8Array(0) });
  }

  becomeFollower(lead: number, term = this.term): void {
    assert(term >= this.term, 'fake node: term went back');
    this.term = term;
    this.lead = lead;
    this.role = 'follower';
    this.observer.onSoftState?.(lead as NodeId, 'follower', this.term as Term);
  }

  holdApply(hold: boolean): void {
    this.holdingApply = hold;
    if (!hold) this.armApply();
  }

  holdReadIndex(hold: boolean): void {
    this.holdingRead = hold;
  }

  heldReadIndex(): readonly Uint8Array[] {
    return this.held;
  }

  answerReadIndex(position: number, index = this.entries.length): void {
    const ctx = this.held[position];
    assert(ctx !== undefined, () => `fake node: no held ReadIndex at ${position}`);
    this.held.splice(position, 1);
    this.observer.onReadState?.({ index: index as LogIndex, requestCtx: ctx });
  }

  dropProposals(drop: boolean): void {
    this.dropping = drop;
  }

  loseProposals(lose: boolean): void {
    this.losing = lose;
  }

  stop(reason: string): void {
    this.stopped = reason;
    this.observer.onStopped?.(reason);
  }

  log(): readonly Entry[] {
    return this.entries;
  }

  private armApply(): void {
    if (this.applyArmed || this.holdingApply) return;
    this.applyArmed = true;
    this.ctx.setTimer(0, () => this.applyCommitted());
  }

  private applyCommitted(): void {
    this.applyArmed = false;
    if (this.holdingApply || this.stopped !== null) return;
    const from = this.applied;
    while (this.applied < this.entries.length) {
      const e = this.entries[this.applied] as Entry;
      this.applied++;
      if (e.data.length > 0) this.sm.applyEntry(e);
    }
    if (this.applied > from) this.observer.onApplied?.(this.applied as LogIndex);
  }
}
