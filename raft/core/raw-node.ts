/**
 * The application's handle on the raft state machine (etcd's `RawNode`): synchronous, no
 * goroutines, no I/O. Input: `tick()`, `step(m)` and the propose/campaign/transfer/... calls.
 * Output: `ready()` batches, each handled in this order and then acknowledged with `advance()`:
 *
 *   const rd = raw.ready();
 *   // 1. persist: rd.snapshot (if any; always durably), rd.entries, rd.hardState — and fsync
 *   //    when rd.mustSync. Then update the Storage (applySnapshot / append / setHardState).
 *   // 2. send: rd.messages may go out as soon as they are read (even before step 1 — a leader
 *   //    sends its MsgApp in parallel with its own write, thesis §10.2.1); rd.messagesAfterAppend
 *   //    (votes, append acknowledgements) only once step 1 is durable.
 *   // 3. apply: rd.snapshot to the state machine, then rd.committedEntries in order (calling
 *   //    applyConfChange for conf-change entries); serve rd.readStates once applied ≥ their index.
 *   // 4. raw.advance(rd) — this also counts the node's own vote / acknowledgement, which is why
 *   //    a single-node group commits only after its entry is durable.
 *
 * Committed entries may include entries of the same Ready's `entries`: persist before applying.
 * At most one Ready may be outstanding. A MsgSnap sent must be followed by reportSnapshot().
 *
 * Restart: build a Storage holding the persisted snapshot, hard state and entries, and pass
 * `applied` (the last index the state machine applied) in the Config.
 *
 * With `asyncStorageWrites` (etcd's AsyncStorageWrites) there is no advance(): steps 1 and 3 are
 * messages in rd.messages addressed to LOCAL_APPEND_THREAD (MsgStorageAppend: hard state,
 * entries, snapshot) and LOCAL_APPLY_THREAD (MsgStorageApply: committed entries). Each thread
 * handles its messages in order (never dropped, never reordered) and, once done (for the append
 * thread: durably), delivers the message's `responses` — a MsgStorageAppendResp or
 * MsgStorageApplyResp back to the node, votes and acknowledgements to their addressees, the node
 * itself included. Readies may be taken before earlier ones are done; rd.messagesAfterAppend is
 * always empty; committed entries are handed out only once they are durable locally.
 */
import { assert } from '../../sim/assert.js';
import { confChangeEntryType, encodeConfChange } from './conf-change-codec.js';
import type { Config } from './config.js';
import { NO_LIMIT, resolveConfig } from './config.js';
import type { EntryId } from './log.js';
import { RaftLog } from './log.js';
import { appliedSnap, appliedTo, applyConfChange } from './membership.js';
import type { Message, MsgStorageAppend, MsgStorageApply } from './messages.js';
import { IS_LOCAL, IS_RESPONSE, LOCAL_APPEND_THREAD, LOCAL_APPLY_THREAD, isLocalThread } from './messages.js';
import type { ProgressState } from './progress.js';
import { Raft } from './raft.js';
import { reduceUncommittedSize } from './replication.js';
import type { StepResult } from './step-result.js';
import { payloadsSizeBytes } from './entry-size.js';
import type { ConfChange, ConfState, Entry, HardState, LogIndex, NodeId, ReadState, Role, Snapshot, SoftState, Term } from './types.js';
import { NONE, confChangeAsV2 } from './types.js';

/** One batch of work for the application; see the module comment for the order. */
export interface Ready {
  /** The leader and role, when they changed since the last Ready; else null. */
  readonly softState: SoftState | null;
  /** The hard state to persist, when it changed since the last Ready; else null. */
  readonly hardState: HardState | null;
  /** Reads that may be served once the application has applied their index. */
  readonly readStates: readonly ReadState[];
  /** Entries to append to stable storage. */
  readonly entries: readonly Entry[];
  /** A snapshot to persist and apply (it replaces the log), or null. */
  readonly snapshot: Snapshot | null;
  /** Entries to apply to the state machine, in order. */
  readonly committedEntries: readonly Entry[];
  /** Messages that may be sent now. */
  readonly messages: readonly Message[];
  /** Messages to send only after this Ready's snapshot, entries and hard state are durable. */
  readonly messagesAfterAppend: readonly Message[];
  /** Whether the write of step 1 must be fsynced (new entries, or a new term or vote). */
  readonly mustSync: boolean;
}

export interface PeerProgress {
  readonly match: LogIndex;
  readonly next: LogIndex;
  readonly state: ProgressState;
  readonly paused: boolean;
  readonly pendingSnapshot: LogIndex;
  readonly recentActive: boolean;
  readonly isLearner: boolean;
  readonly inflight: number;
}

export interface Status {
  readonly id: NodeId;
  readonly term: Term;
  readonly vote: NodeId;
  readonly commit: LogIndex;
  readonly applied: LogIndex;
  readonly lead: NodeId;
  readonly role: Role;
  readonly leadTransferee: NodeId;
  readonly config: ConfState;
  /** Per-peer progress; only on the leader (empty otherwise). */
  readonly progress: ReadonlyMap<NodeId, PeerProgress>;
}

/** A read-only view of the node's log (stable + unstable), for invariant checkers. */
export interface LogView {
  firstIndex(): LogIndex;
  lastIndex(): LogIndex;
  committed(): LogIndex;
  /** Term of entry i, or null when compacted or beyond the end. */
  term(i: LogIndex): Term | null;
  /** Entries [lo, hi), or null when lo is compacted. */
  entries(lo: LogIndex, hi: LogIndex): readonly Entry[] | null;
}

export type SnapshotStatus = 'finish' | 'failure';

/**
 * What advance() must do for the Ready that was handed out (etcd's stepsOnAdvance). One per
 * RawNode, refilled by every ready() and emptied by advance(): a Ready is made for nearly every
 * turn of a node.
 */
interface Accepted {
  /** A Ready was handed out and not yet advanced. */
  pending: boolean;
  selfMsgs: readonly Message[];
  stableTo: EntryId | null;
  termAtAccept: Term;
  snapshot: Snapshot | null;
  applied: readonly Entry[];
  /** Encoded and payload sizes of `applied`. */
  appliedSizeBytes: number;
  appliedPayloadBytes: number;
}

/** No messages to step on advance (internal: never handed out). */
const NOTHING: readonly never[] = [];

function countAddressedTo(msgs: readonly Message[], id: NodeId): number {
  let n = 0;
  for (const m of msgs) if (m.to === id) n++;
  return n;
}

export class RawNode {
  private readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  private readonly accepted: Accepted = {
    pending: false, selfMsgs: NOTHING, stableTo: null, termAtAccept: 0 as Term, snapshot: null, applied: NOTHING,
    appliedSizeBytes: 0, appliedPayloadBytes: 0,
  };
  private view: LogView | null = null;
  /** Config.asyncStorageWrites: storage messages instead of advance(). */
  private readonly storageThreads: boolean;

  constructor(config: Config) {
    const cfg = resolveConfig(config);
    this.raft = new Raft(cfg);
    this.storageThreads = cfg.asyncStorageWrites;
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
    if (cfg.peers.length > 0) this.bootstrap(cfg.peers);
  }

  /**
   * etcd's Bootstrap: a brand-new node of a brand-new group writes the initial voters as
   * committed conf-change entries 1..n of term 1 and applies them.
   */
  private bootstrap(peers: readonly NodeId[]): void {
    assert(this.raft.log.lastIndex() === 0, 'raw node: cannot bootstrap a non-empty storage (leave config.peers unset on restart)');
    this.prevHardState = { term: 0 as Term, vote: NONE, commit: 0 as LogIndex };
    this.raft.becomeFollower(1 as Term, NONE);
    const ents: Entry[] = peers.map((id, i) => {
      const cc: ConfChange = { version: 1, type: 'add-node', nodeId: id, context: new Uint8Array(0) };
      return { term: 1 as Term, index: (i + 1) as LogIndex, type: confChangeEntryType(cc), data: encodeConfChange(cc) };
    });
    this.raft.log.append(ents);
    this.raft.log.committed = ents.length as LogIndex;
    for (const id of peers) applyConfChange(this.raft, confChangeAsV2({ version: 1, type: 'add-node', nodeId: id, context: new Uint8Array(0) }));
  }

  /** Advances the logical clock by one tick. */
  tick(): void {
    this.raft.tick();
    this.raft.reportCommit();
  }

  /** Starts an election now (pre-vote first if configured). */
  campaign(): StepResult {
    return this.stepLocal(this.raft.local('MsgHup'));
  }

  /** Proposes data to be appended to the log; 'ProposalDropped' when it cannot be accepted here. */
  propose(data: Uint8Array): StepResult {
    return this.stepLocal({ type: 'MsgProp', from: this.raft.id, to: NONE, term: 0 as Term, entries: [{ type: 'normal', data }] });
  }

  /** Proposes a membership change; it takes effect when its entry is applied (applyConfChange). */
  proposeConfChange(cc: ConfChange): StepResult {
    const entry = { type: confChangeEntryType(cc), data: encodeConfChange(cc) };
    return this.stepLocal({ type: 'MsgProp', from: this.raft.id, to: NONE, term: 0 as Term, entries: [entry] });
  }

  /** Applies a committed conf change (the application decoded it from the entry); returns the new membership. */
  applyConfChange(cc: ConfChange): ConfState {
    const cs = applyConfChange(this.raft, confChangeAsV2(cc));
    this.raft.reportCommit();
    return cs;
  }

  /** Steps a message received from the network. */
  step(m: Message): StepResult {
    // Local messages must never come from the network (the storage threads' responses are local
    // and come from a thread).
    const fromThread = isLocalThread(m.from);
    if (IS_LOCAL[m.type] && !fromThread) return { ok: false, error: 'StepLocalMsg' };
    if (IS_RESPONSE[m.type] && !fromThread && !this.raft.trk.progress.has(m.from)) return { ok: false, error: 'StepPeerNotFound' };
    return this.stepLocal(m);
  }

  /** Requests a linearizable read; a ReadState with this context appears in a later Ready. */
  readIndex(ctx: Uint8Array): void {
    this.stepLocal({ type: 'MsgReadIndex', from: NONE, to: NONE, term: 0 as Term, context: ctx });
  }

  /** Asks the leader to hand leadership to `transferee`. */
  transferLeader(transferee: NodeId): void {
    this.stepLocal({ type: 'MsgTransferLeader', from: transferee, to: NONE, term: 0 as Term });
  }

  /** A follower forgets its leader (so it grants pre-votes at once); refused under lease-based reads. */
  forgetLeader(): void {
    this.stepLocal({ type: 'MsgForgetLeader', from: NONE, to: NONE, term: 0 as Term });
  }

  /** The transport could not deliver to `id`: its replication falls back to probing. */
  reportUnreachable(id: NodeId): void {
    this.stepLocal({ type: 'MsgUnreachable', from: id, to: NONE, term: 0 as Term });
  }

  /** Whether a snapshot sent to `id` landed; required after every MsgSnap, or `id` stays paused. */
  reportSnapshot(id: NodeId, status: SnapshotStatus): void {
    this.stepLocal({ type: 'MsgSnapStatus', from: id, to: NONE, term: 0 as Term, reject: status === 'failure' });
  }

  private stepLocal(m: Message): StepResult {
    const res = this.raft.step(m);
    this.raft.reportCommit();
    return res;
  }

  hasReady(): boolean {
    const r = this.raft;
    // Field by field rather than through softState()/hardState(): asked on every turn of the
    // node, mostly to answer no, it should not allocate.
    if (r.lead !== this.prevSoftState.lead || r.role !== this.prevSoftState.role) return true;
    if (this.hardStateChanged()) return true;
    if (r.log.nextUnstableSnapshot() !== null) return true;
    if (r.msgs.length > 0 || r.msgsAfterAppend.length > 0) return true;
    if (r.log.hasNextUnstableEnts() || r.log.hasNextCommittedEnts(!this.storageThreads)) return true;
    return r.readStates.length > 0;
  }

  /** The next batch of work. It must be handled and then passed to advance() before the next ready(). */
  ready(): Ready {
    if (this.storageThreads) return this.readyForStorageThreads();
    assert(!this.accepted.pending, 'raw node: two Readies without advance()');
    const r = this.raft;
    const maa = r.msgsAfterAppend;
    const toSelf = countAddressedTo(maa, r.id);
    // Usually one side is empty (a follower answers its leader, a leader acknowledges itself):
    // the array is then handed over whole instead of being filtered twice.
    const toPeers = toSelf === 0 ? (maa.length > 0 ? maa : []) : toSelf === maa.length ? [] : maa.filter((m) => m.to !== r.id);
    const selfMsgs = toSelf === 0 ? NOTHING : toSelf === maa.length ? maa : maa.filter((m) => m.to === r.id);
    const rd = this.readyWithoutAccept(toPeers);
    this.accept(rd, selfMsgs);
    return rd;
  }

  /**
   * asyncStorageWrites: the Ready carries its writes as messages to the local threads (etcd's
   * newStorageAppendMsg / newStorageApplyMsg), after the messages that may go out now.
   */
  private readyForStorageThreads(): Ready {
    const r = this.raft;
    const base = this.readyWithoutAccept([], false);
    const messages: Message[] = [...base.messages];
    const maa = r.msgsAfterAppend;
    if (base.entries.length > 0 || base.hardState !== null || base.snapshot !== null || maa.length > 0) {
      const responses: Message[] = [...maa];
      // The append thread reports what became durable, whenever anything unstable is left: a
      // response of an older term is ignored, so every term change must be followed by one of
      // the new term, or the unstable log would never be truncated.
      if (r.log.hasNextOrInProgressUnstableEnts() || base.snapshot !== null) {
        const last = r.log.hasNextOrInProgressUnstableEnts() ? r.log.lastEntryId() : { index: 0 as LogIndex, term: 0 as Term };
        responses.push({
          type: 'MsgStorageAppendResp', from: LOCAL_APPEND_THREAD, to: r.id, term: r.term, index: last.index, logTerm: last.term, snapshot: base.snapshot,
        });
      }
      const hs = base.hardState;
      const append: MsgStorageAppend = {
        type: 'MsgStorageAppend', from: r.id, to: LOCAL_APPEND_THREAD,
        term: hs?.term ?? (0 as Term), vote: hs?.vote ?? NONE, commit: hs?.commit ?? (0 as LogIndex),
        entries: base.entries, snapshot: base.snapshot, responses,
      };
      messages.push(append);
    }
    if (base.committedEntries.length > 0) {
      const ents = base.committedEntries;
      // Committed entries apply under no particular term.
      const apply: MsgStorageApply = {
        type: 'MsgStorageApply', from: r.id, to: LOCAL_APPLY_THREAD, term: 0 as Term, entries: ents,
        responses: [{ type: 'MsgStorageApplyResp', from: LOCAL_APPLY_THREAD, to: r.id, term: 0 as Term, entries: ents }],
      };
      messages.push(apply);
    }
    const rd: Ready = { ...base, messages };
    this.acceptAsync(rd);
    return rd;
  }

  private acceptAsync(rd: Ready): void {
    const r = this.raft;
    if (rd.softState !== null) this.prevSoftState = rd.softState;
    if (rd.hardState !== null) this.prevHardState = rd.hardState;
    if (r.readStates.length > 0) r.readStates = [];
    r.msgs = [];
    r.msgsAfterAppend = [];
    r.log.acceptUnstable();
    const applied = rd.committedEntries;
    const last = applied[applied.length - 1];
    if (last !== undefined) r.log.acceptApplying(last.index, RaftLog.sizeBytes(applied), false);
  }

  /** Whether term, vote or commit differ from the hard state handed out last (hardStateEqual, unallocated). */
  private hardStateChanged(): boolean {
    const r = this.raft;
    const prev = this.prevHardState;
    return r.term !== prev.term || r.vote !== prev.vote || r.log.committed !== prev.commit;
  }

  /**
   * An empty list is a new empty array (not a shared frozen one: V8 takes slow paths on frozen
   * arrays, at a cost far above the allocation); the raft's own empty arrays stay with it.
   */
  private readyWithoutAccept(messagesAfterAppend: readonly Message[], applyUnstable = true): Ready {
    const r = this.raft;
    const prevHs = this.prevHardState;
    const ssChanged = r.lead !== this.prevSoftState.lead || r.role !== this.prevSoftState.role;
    const entries = r.log.nextUnstableEnts();
    return {
      softState: ssChanged ? r.softState() : null,
      hardState: this.hardStateChanged() ? r.hardState() : null,
      readStates: r.readStates.length > 0 ? r.readStates : [],
      entries,
      snapshot: r.log.nextUnstableSnapshot(),
      committedEntries: r.log.nextCommittedEnts(applyUnstable),
      messages: r.msgs.length > 0 ? r.msgs : [],
      messagesAfterAppend,
      // Term and vote must be durable before any answer; commit alone need not be fsynced.
      mustSync: entries.length > 0 || r.term !== prevHs.term || r.vote !== prevHs.vote,
    };
  }

  private accept(rd: Ready, selfMsgs: readonly Message[]): void {
    const r = this.raft;
    if (rd.softState !== null) this.prevSoftState = rd.softState;
    if (rd.hardState !== null) this.prevHardState = rd.hardState;
    const a = this.accepted;
    a.pending = true;
    a.selfMsgs = selfMsgs;
    // What becomes stable once this Ready is persisted: the whole unstable tail as of now.
    a.stableTo = r.log.hasNextOrInProgressUnstableEnts() ? r.log.lastEntryId() : null;
    a.termAtAccept = r.term;
    a.snapshot = rd.snapshot;
    const applied = rd.committedEntries;
    a.applied = applied;
    // Sized once here; advance() needs the same sizes of the same (immutable) entries.
    a.appliedSizeBytes = applied.length > 0 ? RaftLog.sizeBytes(applied) : 0;
    a.appliedPayloadBytes = applied.length > 0 ? payloadsSizeBytes(applied) : 0;
    // The arrays handed out belong to the Ready now: the raft starts new ones (an empty one was
    // not handed out, it stays).
    if (r.readStates.length > 0) r.readStates = [];
    if (r.msgs.length > 0) r.msgs = [];
    if (r.msgsAfterAppend.length > 0) r.msgsAfterAppend = [];
    r.log.acceptUnstable();
    // Length first: reading index -1 of an empty array is a slow property lookup in V8.
    if (applied.length > 0) r.log.acceptApplying((applied[applied.length - 1] as Entry).index, a.appliedSizeBytes, true);
  }

  /**
   * The Ready handed out last was persisted, sent and applied. Steps the node's own votes and
   * acknowledgements, marks the entries stable, and moves the apply cursor.
   */
  advance(_rd?: Ready): void {
    assert(!this.storageThreads, 'raw node: advance() must not be called with asyncStorageWrites (the storage responses take its place)');
    const a = this.accepted;
    assert(a.pending, 'raw node: advance() without a Ready');
    a.pending = false;
    const { selfMsgs, stableTo, termAtAccept, snapshot, applied, appliedSizeBytes, appliedPayloadBytes } = a;
    // Let go of the Ready's data now that it is done with.
    a.selfMsgs = NOTHING;
    a.stableTo = null;
    a.snapshot = null;
    a.applied = NOTHING;
    const r = this.raft;
    for (const m of selfMsgs) r.step(m);
    // If the term moved meanwhile (our self-vote made us candidate, say), the unstable tail may
    // have been rewritten since it was handed out: do not mark it stable (etcd's ABA guard).
    if (stableTo !== null && r.term === termAtAccept) r.log.stableTo(stableTo);
    if (snapshot !== null) appliedSnap(r, snapshot);
    if (applied.length > 0) {
      appliedTo(r, (applied[applied.length - 1] as Entry).index, appliedSizeBytes);
      reduceUncommittedSize(r, appliedPayloadBytes);
    }
    r.reportCommit();
  }

  status(): Status {
    const r = this.raft;
    const progress = new Map<NodeId, PeerProgress>();
    if (r.role === 'leader') {
      r.trk.visit((id, pr) => {
        progress.set(id, {
          match: pr.match, next: pr.next, state: pr.state, paused: pr.isPaused(), pendingSnapshot: pr.pendingSnapshot,
          recentActive: pr.recentActive, isLearner: pr.isLearner, inflight: pr.inflights.count(),
        });
      });
    }
    return {
      id: r.id, term: r.term, vote: r.vote, commit: r.log.committed, applied: r.log.applied, lead: r.lead, role: r.role,
      leadTransferee: r.leadTransferee, config: r.trk.confState(), progress,
    };
  }

  /**
   * The election timer, read-only (for observers such as the playground): ticks since it was last
   * reset, and the (randomized, on a follower or candidate) count at which it fires; a leader's
   * counts toward its CheckQuorum check at `electionTimeout`.
   */
  electionTimer(): { readonly elapsed: number; readonly timeout: number } {
    const r = this.raft;
    return { elapsed: r.electionElapsed, timeout: r.role === 'leader' ? r.electionTimeout : r.randomizedElectionTimeout };
  }

  /** The log as this node sees it now (stable and unstable), read-only. */
  logView(): LogView {
    // One view per node: it reads the live log on every call, and building its five closures is
    // not free (status() asks for it on every client write).
    this.view ??= makeLogView(this.raft.log);
    return this.view;
  }

  /** `StateReplicate match=11 next=12` per peer, as etcd's harness prints `status`. */
  describeProgress(): string[] {
    const lines: string[] = [];
    this.raft.trk.visit((id, pr) => lines.push(`${id}: ${pr.describe()}`));
    return lines;
  }

  /** Test hook (etcd's SetRandomizedElectionTimeout): pins the current randomized election timeout. */
  setRandomizedElectionTimeoutForTest(ticks: number): void {
    assert(Number.isInteger(ticks) && ticks > 0, 'raw node: election timeout must be a positive integer');
    this.raft.randomizedElectionTimeout = ticks;
  }
}

function makeLogView(log: RaftLog): LogView {
  return {
    firstIndex: () => log.firstIndex(),
    lastIndex: () => log.lastIndex(),
    committed: () => log.committed,
    term: (i) => {
      const t = log.term(i);
      return t.ok ? t.value : null;
    },
    entries: (lo, hi) => {
      const res = log.slice(lo, hi, NO_LIMIT);
      return res.ok ? res.value : null;
    },
  };
}
