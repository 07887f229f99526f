/**
 * The raft node's contract with the application above it (the kv server) and with the host that
 * runs it. This is the seam between raft/ and kv/: the kv layer builds a member process as
 * "a raft node + a state machine", and talks to the node only through `RaftNodeHandle`.
 *
 * The node owns: the RawNode, the WAL and snapshot files on the host's simulated disk, the
 * transport to its peers (stream + pipeline channels), the tick timer and the Ready loop, in
 * etcd's order (save snapshot, save entries and hard state, fsync when mustSync, send — a follower
 * only after persisting —, apply, advance). The application owns the state machine and decides
 * what entries mean.
 *
 * Everything is synchronous and runs on the host's gate: callbacks are invoked from the node's
 * own loop, never re-entrantly from inside a call the application made (a `propose` made during
 * `applyEntry` is queued to the next loop turn).
 */
import type { Message } from '../core/messages.js';
import type { ConfChange, ConfState, Entry, LogIndex, NodeId, ReadState, Role, Term } from '../core/types.js';

/** The replicated state machine, supplied by the application. */
export interface StateMachine {
  /**
   * Applies one committed entry of type `normal` with non-empty data, in log order, exactly once
   * per index per incarnation. (Empty entries — a leader's no-op — and conf changes are handled by
   * the node; conf changes are announced through `onConfChange`.)
   */
  applyEntry(entry: Entry): void;
  /**
   * A committed empty entry (a leader's no-op, the first entry of its term) was applied (optional).
   * etcd's applyEntryNormal promotes the lessor here when the member leads: only once every entry
   * of the previous terms is applied.
   */
  applyEmpty?(entry: Entry): void;
  /** An image of the whole state machine as of the last applied index, for a raft snapshot. */
  snapshot(): Uint8Array;
  /**
   * Replaces the state machine with a snapshot's image: at restart (the newest snapshot on disk),
   * or when the leader sent one. Entries after `index` follow through `applyEntry`.
   */
  restore(data: Uint8Array, index: LogIndex, term: Term, confState?: ConfState): void;
  /**
   * A committed conf change is about to be applied (optional; absent = always apply). False refuses
   * it: the node applies it to raft as a no-op (etcd sets the change's node id to None), so a change
   * the application's membership rules refuse at apply time changes no configuration.
   */
  applyConfChange?(entry: Entry, change: ConfChange): boolean;
  /**
   * A state machine with its own durable store (etcd's backend) opens it when the node starts,
   * before anything is applied, and says the last entry whose changes it holds (its consistent
   * index). At a restart the node then restores the newest snapshot only when it is newer than
   * that index; entries replayed from the WAL at or below it must be skipped by `applyEntry`
   * (etcd's applyEntries: `shouldApplyV3 = e.Index > ci`). An error keeps the node down with it.
   * Absent: the state lives in memory and every restart restores the snapshot.
   */
  recover?(): RecoveredState;
  /**
   * At a restart where `recover` said the store is at or past the newest snapshot, the snapshot is
   * not restored; this gets it instead, for what the store does not keep (etcd: the membership,
   * which lives in the v2 store's snapshot and is replayed from the WAL whatever the consistent
   * index).
   */
  restoreUnstored?(data: Uint8Array, index: LogIndex, confState?: ConfState): void;
}

export type RecoveredState =
  | { readonly ok: true; readonly index: LogIndex; readonly term: Term; readonly latencyUs: number }
  | { readonly ok: false; readonly error: string; readonly latencyUs: number };

/** Notifications to the application. All optional. Called from the node's loop. */
export interface NodeObserver {
  /** The leader or this node's role changed (etcd: leader changed ⇒ pending reads fail, lessor promotes/demotes). */
  onSoftState?(lead: NodeId, role: Role, term: Term): void;
  /** A ReadIndex request (by its context) may be served once applied ≥ `readState.index`. */
  onReadState?(readState: ReadState): void;
  /** A conf change was applied; the new membership. */
  onConfChange?(confState: ConfState, change: ConfChange): void;
  /** Entries up to `index` are applied (called once per Ready that applied something). */
  onApplied?(index: LogIndex): void;
  /** The node stopped for good in this incarnation (fail-stop after a disk fault, or an unrecoverable disk at start). */
  onStopped?(reason: string): void;
}

/** The outcome of a proposal at the moment it is made. */
export type ProposeResult =
  | { readonly ok: true }
  /** Refused before entering any log: a definite failure for the client. */
  | { readonly ok: false; readonly error: 'ProposalDropped' | 'Stopped' };

export interface NodeStatus {
  readonly id: NodeId;
  readonly term: Term;
  readonly lead: NodeId;
  readonly role: Role;
  readonly commit: LogIndex;
  readonly applied: LogIndex;
  readonly lastIndex: LogIndex;
  /** Index of the newest snapshot (0 if none). */
  readonly snapshotIndex: LogIndex;
  readonly confState: ConfState;
  /** Non-null once the node has stopped (the reason). */
  readonly stopped: string | null;
}

/** What the application can ask of the node. */
export interface RaftNodeHandle {
  readonly id: NodeId;
  /** Proposes a normal entry. A follower forwards it to the leader (it may be lost: the application must time out). */
  propose(data: Uint8Array): ProposeResult;
  proposeConfChange(change: ConfChange): ProposeResult;
  /** Starts a ReadIndex round; the answer arrives through `onReadState` with the same context. */
  readIndex(requestCtx: Uint8Array): ProposeResult;
  /** Asks the leader to hand leadership to `to` (etcd MoveLeader). */
  transferLeadership(to: NodeId): void;
  /**
   * A follower forgets its leader at once, so it grants (pre-)votes without waiting out an election
   * timeout (raft's ForgetLeader, which CockroachDB calls when it knows the leader is gone).
   * Refused by raft under lease-based reads and on the leader itself.
   */
  forgetLeader(): void;
  /** Since when (local µs) the connection to peer `id` has been up without a break, or null (etcd rafthttp ActiveSince). */
  peerActiveSince(id: NodeId): number | null;
  /** On the leader, each member's match index (its own included); null on any other member. */
  progressMatch(): ReadonlyMap<NodeId, LogIndex> | null;
  /** Campaign now (a test or nemesis hook; etcd's Campaign). */
  campaign(): void;
  status(): NodeStatus;
  /** `status().commit`, without building the whole status (the server asks on every write). */
  commitIndex(): LogIndex;
  /** `status().applied`, likewise. */
  appliedIndex(): LogIndex;
  /** A peer message arrived from the network (the member's demultiplexer calls this). */
  receive(from: NodeId, message: Message): void;
  /** Stops the node for good in this incarnation (a fatal error above it, as a backend commit failing). */
  stop?(reason: string): void;
}
