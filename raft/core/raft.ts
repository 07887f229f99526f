/**
 * The raft state machine (etcd's `raft` struct): state, the role transitions, and the first stage
 * of `step` — the message's term is handled before anything else (higher term: step down, except
 * pre-votes and votes inside the leader lease; lower term: the answers etcd gives), then the
 * messages every role handles alike (MsgHup, vote requests), then the role's own step function.
 *
 * A role is a pair of swapped functions (step, tick) set only by `becomeX`, which asserts that
 * the transition is legal. Role logic lives in step-leader.ts, step-candidate.ts and
 * step-follower.ts; elections in election.ts; replication in replication.ts; membership in
 * membership.ts; ReadIndex in read-index.ts. They all operate on this class; it is internal to
 * the core — the application talks to RawNode.
 */
import { assert } from '../../sim/assert.js';
import type { ResolvedConfig } from './config.js';
import { restoreConfState } from './confchange.js';
import { handleVoteRequest, hup } from './election.js';
import type { DropReason, RaftEvent } from './events.js';
import { Inflights } from './inflights.js';
import { RaftLog } from './log.js';
import type { Message, MessageType, MsgReadIndex, MsgStorageAppendResp, MsgStorageApplyResp } from './messages.js';
import { NEEDS_DURABILITY } from './messages.js';
import { appliedSnap, appliedTo, assertConfStatesEquivalent, switchToConfig } from './membership.js';
import { Progress } from './progress.js';
import { ProgressTracker } from './progress-tracker.js';
import { ReadOnly } from './read-only.js';
import { appendEntry, reduceUncommittedSize } from './replication.js';
import { payloadsSizeBytes } from './entry-size.js';
import type { StepResult } from './step-result.js';
import { STEP_OK } from './step-result.js';
import { stepCandidate } from './step-candidate.js';
import { stepFollower } from './step-follower.js';
import { stepLeader } from './step-leader.js';
import type { HardState, LogIndex, NodeId, ReadState, Role, SoftState, Term } from './types.js';
import { NONE, isEmptyHardState } from './types.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A message to send: `from` defaults to this node, `term` is filled in by `send` (etcd rules). */
export type MessageDraft = DistributiveOmit<Message, 'from' | 'term'> & { readonly from?: NodeId; readonly term?: Term };

export type StepFn = (r: Raft, m: Message) => StepResult;
type TickFn = (r: Raft) => void;

/** A bound on messages queued between two Readies: an application that never calls ready() is a bug. */
export const MSGS_MAX = 1 << 20;

export class Raft {
  readonly id: NodeId;
  readonly cfg: ResolvedConfig;
  term: Term = 0 as Term;
  vote: NodeId = NONE;
  readStates: ReadState[] = [];
  readonly log: RaftLog;
  trk: ProgressTracker;
  role: Role = 'follower';
  /** This node is a learner in the active configuration. */
  isLearner = false;
  /** Messages that may go out now. Never addressed to this node. */
  msgs: Message[] = [];
  /**
   * Votes and append acknowledgements: sent only after the unstable state they were decided on
   * is durable (etcd's msgsAfterAppend). Those addressed to this node are stepped on advance.
   */
  msgsAfterAppend: Message[] = [];
  lead: NodeId = NONE;
  /** Target of a leadership transfer in progress (Raft thesis §3.10), or NONE. */
  leadTransferee: NodeId = NONE;
  /** ≥ the index of the latest conf change in the log; another may be proposed once applied passes it. */
  pendingConfIndex: LogIndex = 0 as LogIndex;
  /** Estimate of the leader's uncommitted tail payload, bounded by maxUncommittedEntriesSizeBytes. */
  uncommittedSizeBytes = 0;
  readOnly: ReadOnly;
  /** Ticks since the last election timeout (leader, candidate) or since hearing from the leader. */
  electionElapsed = 0;
  /** Ticks since the last heartbeat (leader only). */
  heartbeatElapsed = 0;
  readonly electionTimeout: number;
  readonly heartbeatTimeout: number;
  /** Drawn in [electionTimeout, 2·electionTimeout − 1] on every reset. */
  randomizedElectionTimeout = 0;
  /** Read requests held until this leader commits an entry of its own term. */
  pendingReadIndexMessages: MsgReadIndex[] = [];
  private stepFn: StepFn = stepFollower;
  private tickFn: TickFn = tickElection;
  /** The commit index last reported in a 'commit' event. */
  private commitReported: LogIndex;

  constructor(cfg: ResolvedConfig) {
    this.id = cfg.id;
    this.cfg = cfg;
    this.electionTimeout = cfg.electionTick;
    this.heartbeatTimeout = cfg.heartbeatTick;
    this.log = new RaftLog(cfg.storage, cfg.maxCommittedSizePerReadyBytes);
    this.trk = new ProgressTracker(cfg.maxInflightMsgs, cfg.maxInflightBytes);
    this.readOnly = new ReadOnly(cfg.readOnly);
    const { hardState, confState } = cfg.storage.initialState();
    const restored = restoreConfState(this.trk, this.log.lastIndex(), confState);
    assert(restored.ok, () => `raft: cannot restore configuration: ${restored.ok ? '' : restored.error}`);
    assertConfStatesEquivalent(confState, switchToConfig(this, restored.config, restored.progress));
    if (!isEmptyHardState(hardState)) this.loadState(hardState);
    if (cfg.applied > 0) this.log.appliedTo(cfg.applied, 0);
    this.commitReported = this.log.committed;
    this.becomeFollower(this.term, NONE);
  }

  softState(): SoftState {
    return { lead: this.lead, role: this.role };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  emit(e: RaftEvent): void {
    this.cfg.onEvent?.(e);
  }

  dropped(type: MessageType, from: NodeId, reason: DropReason): void {
    this.emit({ kind: 'message-dropped', id: this.id, term: this.term, messageType: type, from, reason });
  }

  /** Reports a commit advance since the last report (called after every entry point). */
  reportCommit(): void {
    if (this.log.committed > this.commitReported) {
      this.emit({ kind: 'commit', id: this.id, term: this.term, from: this.commitReported, to: this.log.committed });
    }
    this.commitReported = this.log.committed;
  }

  tick(): void {
    this.tickFn(this);
  }

  /** A local message of this node (term 0). */
  local<T extends 'MsgHup' | 'MsgBeat' | 'MsgCheckQuorum'>(type: T): Message {
    return { type, from: this.id, to: NONE, term: 0 as Term } as Message;
  }

  step(m: Message): StepResult {
    if (m.term > this.term) {
      if (!this.stepHigherTerm(m)) return STEP_OK;
    } else if (m.term < this.term && m.term !== 0) {
      this.stepLowerTerm(m);
      return STEP_OK;
    }
    switch (m.type) {
      case 'MsgHup':
        hup(this, this.cfg.preVote ? 'pre-election' : 'election');
        return STEP_OK;
      case 'MsgVote':
      case 'MsgPreVote':
        handleVoteRequest(this, m);
        return STEP_OK;
      case 'MsgStorageAppendResp':
        stepStorageAppendResp(this, m);
        return STEP_OK;
      case 'MsgStorageApplyResp':
        stepStorageApplyResp(this, m);
        return STEP_OK;
      default:
        return this.stepFn(this, m);
    }
  }

  /** A message of a higher term; false when it is to be ignored altogether. */
  private stepHigherTerm(m: Message): boolean {
    if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
      // Within the minimum election timeout of hearing from a current leader, a vote request
      // neither updates the term nor is granted (§9.6 / CheckQuorum lease); a transfer forces it.
      const inLease = this.cfg.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
      if (!m.transfer && inLease) {
        this.dropped(m.type, m.from, 'lease-not-expired');
        return false;
      }
    }
    // A pre-vote never changes our term; a granted pre-vote response carries the future term
    // we asked for (we bump it when we win). Anything else: step down to the higher term.
    if (m.type === 'MsgPreVote' || (m.type === 'MsgPreVoteResp' && !m.reject)) return true;
    this.emit({ kind: 'higher-term', id: this.id, term: this.term, messageType: m.type, from: m.from, messageTerm: m.term });
    const fromLeader = m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap';
    this.becomeFollower(m.term, fromLeader ? m.from : NONE);
    return true;
  }

  private stepLowerTerm(m: Message): void {
    if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'MsgHeartbeat' || m.type === 'MsgApp')) {
      // A leader of a lower term: maybe just a delayed message, or maybe we raised our term in a
      // partition and can neither win nor rejoin. Answering with our term deposes that leader and
      // frees us (at the cost of one election; PreVote avoids getting here).
      this.send({ type: 'MsgAppResp', to: m.from, index: 0 as LogIndex, reject: false, rejectHint: 0 as LogIndex, logTerm: 0 as Term });
      return;
    }
    // etcd-8243 switched on: etcd-raft before PR #8288 ignored every lower-term message here,
    // MsgPreVote included, so a pre-candidate behind in term never learned the term it needs.
    if (m.type === 'MsgPreVote' && !this.cfg.bugs.has('etcd-8243')) {
      // A pre-candidate behind in term must learn our term, or it may never complete an
      // election after rejoining (etcd #8243).
      const last = this.log.lastEntryId();
      this.emit({
        kind: 'vote', id: this.id, term: this.term, voteType: m.type, candidate: m.from, granted: false,
        lastIndex: last.index, lastTerm: last.term, candidateIndex: m.index, candidateTerm: m.logTerm,
      });
      this.send({ type: 'MsgPreVoteResp', to: m.from, term: this.term, reject: true });
      return;
    }
    if (m.type === 'MsgStorageAppendResp') {
      // Written under an older term: the unstable tail may have been rewritten meanwhile, and a
      // later write still in the pipeline may overwrite what this one stored. Do not mark
      // entries stable; a snapshot holds committed state whatever the term.
      if (m.index !== 0) this.emit({ kind: 'stale-append-ignored', id: this.id, term: this.term, responseTerm: m.term });
      if (m.snapshot !== null) appliedSnap(this, m.snapshot);
      return;
    }
    this.dropped(m.type, m.from, 'lower-term');
  }

  /**
   * Queues a message, filling `from` and `term` as etcd's `send` does. `d` must be a fresh object
   * (it becomes the message). The hot senders (appends, heartbeats and their answers) pass
   * `from` and `term` already, with the values given here: the object then keeps the shape it was
   * built with instead of growing two properties, which costs V8 a new map and a backing store.
   */
  send(d: MessageDraft): void {
    const from = d.from ?? this.id;
    let t: Term;
    if (d.type === 'MsgVote' || d.type === 'MsgPreVote' || d.type === 'MsgVoteResp' || d.type === 'MsgPreVoteResp') {
      // The term of a (pre-)vote message is chosen by the caller: the campaign's term, or the
      // request's term for a granted response.
      if (d.term === undefined || d.term <= 0) assert(false, `raft: term must be set when sending ${d.type}`);
      t = d.term;
    } else {
      // Proposals and read requests are forwarded as if local: no term.
      t = d.type === 'MsgProp' || d.type === 'MsgReadIndex' ? (0 as Term) : this.term;
      // The caller does not choose the term of any other message: it leaves it out, or passes
      // the very term it gets.
      if (d.term !== undefined && d.term !== 0 && d.term !== t) assert(false, `raft: term must not be set when sending ${d.type}`);
    }
    // Completed in place: a spread over the dozen message shapes is a megamorphic copy, among
    // the costliest lines of a run.
    const w = d as { from?: NodeId; term?: Term };
    w.from = from;
    w.term = t;
    const m = d as Message;
    if (NEEDS_DURABILITY[m.type]) {
      assert(this.msgsAfterAppend.length < MSGS_MAX, 'raft: msgsAfterAppend overflow (is ready() being called?)');
      this.msgsAfterAppend.push(m);
    } else {
      if (m.to === this.id) assert(false, `raft: message should not be self-addressed when sending ${m.type}`);
      assert(this.msgs.length < MSGS_MAX, 'raft: msgs overflow (is ready() being called?)');
      this.msgs.push(m);
    }
  }

  becomeFollower(t: Term, lead: NodeId): void {
    this.stepFn = stepFollower;
    this.reset(t);
    this.tickFn = tickElection;
    this.lead = lead;
    this.role = 'follower';
    this.emit({ kind: 'become', id: this.id, role: this.role, term: this.term, lead });
  }

  becomeCandidate(): void {
    assert(this.role !== 'leader', 'raft: invalid transition [leader -> candidate]');
    this.stepFn = stepCandidate;
    this.reset((this.term + 1) as Term);
    this.tickFn = tickElection;
    this.vote = this.id;
    this.role = 'candidate';
    this.emit({ kind: 'become', id: this.id, role: this.role, term: this.term, lead: NONE });
  }

  /** Changes only the role and the step function: not the term, not the vote (§9.6). */
  becomePreCandidate(): void {
    assert(this.role !== 'leader', 'raft: invalid transition [leader -> pre-candidate]');
    this.stepFn = stepCandidate;
    this.trk.resetVotes();
    this.tickFn = tickElection;
    // Forget the leader, or we would refuse other pre-votes as "in lease" ourselves (etcd #9586).
    // etcd-9586 switched on: before etcd PR #8334 becomePreCandidate left r.lead as it was.
    if (!this.cfg.bugs.has('etcd-9586')) this.lead = NONE;
    this.role = 'pre-candidate';
    this.emit({ kind: 'become', id: this.id, role: this.role, term: this.term, lead: NONE });
  }

  becomeLeader(): void {
    assert(this.role !== 'follower', 'raft: invalid transition [follower -> leader]');
    this.stepFn = stepLeader;
    this.reset(this.term);
    this.tickFn = tickHeartbeat;
    this.lead = this.id;
    this.role = 'leader';
    const pr = this.trk.progress.get(this.id);
    assert(pr !== undefined, 'raft: a leader must be in its own configuration');
    // The leader trivially replicates to itself, and is always active.
    pr.becomeReplicate();
    pr.recentActive = true;
    // There may be a conf change in the uncommitted tail; refuse new ones until it is applied.
    this.pendingConfIndex = this.log.lastIndex();
    this.emit({ kind: 'become', id: this.id, role: this.role, term: this.term, lead: this.id });
    // The empty entry of the new term: committing it commits every earlier entry (§5.4.2).
    // Its payload is 0, so it never counts against the uncommitted-size limit.
    assert(appendEntry(this, [{ type: 'normal', data: new Uint8Array(0) }]), 'raft: the empty entry of a new leader was dropped');
  }

  /** Resets the per-term state; every peer's progress restarts from our last index. */
  reset(t: Term): void {
    if (this.term !== t) {
      assert(t > this.term, () => `raft: term must not decrease (${this.term} -> ${t})`);
      this.term = t;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.leadTransferee = NONE;
    this.trk.resetVotes();
    const last = this.log.lastIndex();
    // A new map, same ids in the same order (the tracker's map is never edited in place).
    const progress = new Map<NodeId, Progress>();
    for (const [id, pr] of this.trk.progress) {
      const fresh = new Progress({
        match: (id === this.id ? last : 0) as LogIndex,
        next: (last + 1) as LogIndex,
        inflights: new Inflights(this.trk.maxInflight, this.trk.maxInflightBytes),
        isLearner: pr.isLearner,
      });
      progress.set(id, fresh);
    }
    this.trk.progress = progress;
    this.pendingConfIndex = 0 as LogIndex;
    this.uncommittedSizeBytes = 0;
    this.readOnly = new ReadOnly(this.readOnly.option);
  }

  resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + this.cfg.random.int(0, this.electionTimeout - 1);
  }

  pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  /** Can this node become leader? It must be a voter and have no snapshot pending. */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.log.hasNextOrInProgressSnapshot();
  }

  private loadState(hs: HardState): void {
    assert(hs.commit >= this.log.committed && hs.commit <= this.log.lastIndex(), () => `raft: state.commit ${hs.commit} is out of range [${this.log.committed}, ${this.log.lastIndex()}]`);
    this.log.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }
}

/** Followers and candidates: campaign when the randomized election timeout passes. */
function tickElection(r: Raft): void {
  r.electionElapsed++;
  if (r.promotable() && r.pastElectionTimeout()) {
    r.electionElapsed = 0;
    r.step(r.local('MsgHup'));
  }
}

/** Leaders: heartbeat every heartbeatTimeout; check quorum and abort a stuck transfer every electionTimeout. */
function tickHeartbeat(r: Raft): void {
  r.heartbeatElapsed++;
  r.electionElapsed++;
  if (r.electionElapsed >= r.electionTimeout) {
    r.electionElapsed = 0;
    if (r.cfg.checkQuorum) r.step(r.local('MsgCheckQuorum'));
    // A transfer that did not finish within an election timeout is abandoned.
    if (r.role === 'leader' && r.leadTransferee !== NONE) {
      r.emit({ kind: 'leader-transfer', id: r.id, term: r.term, to: r.leadTransferee, phase: 'abort' });
      r.leadTransferee = NONE;
    }
  }
  if (r.role !== 'leader') return;
  if (r.heartbeatElapsed >= r.heartbeatTimeout) {
    r.heartbeatElapsed = 0;
    r.step(r.local('MsgBeat'));
  }
}

/**
 * asyncStorageWrites: the append thread made entries up to (index, logTerm) and the snapshot
 * durable, under this node's current term. Entries leave the unstable log only if they are still
 * the ones there (else the event says why not).
 */
function stepStorageAppendResp(r: Raft, m: MsgStorageAppendResp): void {
  if (m.index !== 0) {
    const u = r.log.unstable;
    const t = u.maybeTerm(m.index);
    const reason = t === null ? 'missing' : m.index < u.offset ? 'snapshot' : t !== m.logTerm ? 'term-mismatch' : null;
    if (reason !== null) {
      r.emit({ kind: 'stable-ignored', id: r.id, term: r.term, index: m.index, entryTerm: m.logTerm, reason, unstableTerm: t ?? (0 as Term) });
    } else {
      r.log.stableTo({ index: m.index, term: m.logTerm });
    }
  }
  if (m.snapshot !== null) appliedSnap(r, m.snapshot);
}

/** asyncStorageWrites: the apply thread applied these committed entries. */
function stepStorageApplyResp(r: Raft, m: MsgStorageApplyResp): void {
  const last = m.entries[m.entries.length - 1];
  if (last === undefined) return;
  appliedTo(r, last.index, RaftLog.sizeBytes(m.entries));
  reduceUncommittedSize(r, payloadsSizeBytes(m.entries));
}
