/**
 * The data of the raft core: identities, log entries, persistent state, configurations and
 * snapshots. Everything here is plain immutable data, as in etcd's `raftpb`.
 *
 * Numbers are branded so that a term cannot be passed where a log index is expected. Use the
 * `nodeId`, `term` and `logIndex` constructors at the edges (tests, node layer); inside the core,
 * arithmetic results are re-branded explicitly.
 */
import { assert } from '../../sim/assert.js';

/** A member of the raft group. 0 (`NONE`) means "nobody", as etcd's `raft.None`. */
export type NodeId = number & { readonly __brand: 'NodeId' };
/** A raft term. 0 is the term before any election. */
export type Term = number & { readonly __brand: 'Term' };
/** A position in the raft log; the first entry has index 1, 0 means "before the log". */
export type LogIndex = number & { readonly __brand: 'LogIndex' };

/** "No node": no leader, no vote. */
export const NONE = 0 as NodeId;

export function nodeId(n: number): NodeId {
  assert(Number.isSafeInteger(n) && n >= 0, () => `nodeId: ${n} is not a non-negative integer`);
  return n as NodeId;
}

export function term(n: number): Term {
  assert(Number.isSafeInteger(n) && n >= 0, () => `term: ${n} is not a non-negative integer`);
  return n as Term;
}

export function logIndex(n: number): LogIndex {
  assert(Number.isSafeInteger(n) && n >= 0, () => `logIndex: ${n} is not a non-negative integer`);
  return n as LogIndex;
}

/** The kind of a log entry, as etcd's `EntryNormal`, `EntryConfChange`, `EntryConfChangeV2`. */
export type EntryType = 'normal' | 'conf-change' | 'conf-change-v2';

/** One log entry. `data` of a conf-change entry is an encoded ConfChange (conf-change-codec.ts). */
export interface Entry {
  readonly term: Term;
  readonly index: LogIndex;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What a proposal carries before the leader gives it a term and an index. */
export interface ProposedEntry {
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/**
 * The state a node must persist before it answers anybody (Raft paper Figure 2): the current
 * term, the vote cast in it, and the commit index (etcd persists commit too, without fsync).
 */
export interface HardState {
  readonly term: Term;
  readonly vote: NodeId;
  readonly commit: LogIndex;
}

export const EMPTY_HARD_STATE: HardState = { term: 0 as Term, vote: NONE, commit: 0 as LogIndex };

export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === NONE && hs.commit === 0;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/**
 * The membership of the group (etcd's `ConfState`). Outside a joint configuration
 * `votersOutgoing` and `learnersNext` are empty and `autoLeave` is false.
 */
export interface ConfState {
  /** Voters of the incoming (or only) configuration. */
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  /** Voters of the outgoing configuration while joint. */
  readonly votersOutgoing: readonly NodeId[];
  /** Voters of the outgoing configuration that become learners when the joint state is left. */
  readonly learnersNext: readonly NodeId[];
  /** Whether the leader leaves the joint configuration on its own once it is applied. */
  readonly autoLeave: boolean;
}

export const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };

export interface SnapshotMetadata {
  /** Index of the last entry the snapshot covers. */
  readonly index: LogIndex;
  /** Term of that entry. */
  readonly term: Term;
  /** Membership as of that entry. */
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  /** The application's state machine image; opaque to raft. */
  readonly data: Uint8Array;
}

export const EMPTY_SNAPSHOT: Snapshot = {
  metadata: { index: 0 as LogIndex, term: 0 as Term, confState: EMPTY_CONF_STATE },
  data: new Uint8Array(0),
};

export function isEmptySnapshot(s: Snapshot): boolean {
  return s.metadata.index === 0;
}

/** One membership operation (etcd's `ConfChangeType`). */
export type ConfChangeType = 'add-node' | 'remove-node' | 'update-node' | 'add-learner-node';

/** A single membership operation inside a ConfChangeV2. `nodeId` 0 is skipped, as in etcd. */
export interface ConfChangeSingle {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
}

/** One change at a time (etcd's `ConfChange`, what etcd server uses). */
export interface ConfChangeV1 {
  readonly version: 1;
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
  readonly context: Uint8Array;
}

/**
 * How a ConfChangeV2 moves through joint consensus (etcd's `ConfChangeTransition`):
 * - `auto`: a single change is applied directly; several changes enter a joint configuration
 *   that the leader leaves on its own (like `joint-implicit`).
 * - `joint-implicit`: always enter joint; the leader leaves it automatically.
 * - `joint-explicit`: always enter joint; the application must propose the leave (an empty
 *   ConfChangeV2).
 */
export type ConfChangeTransition = 'auto' | 'joint-implicit' | 'joint-explicit';

/** Several changes at once, possibly through joint consensus (etcd's `ConfChangeV2`). */
export interface ConfChangeV2 {
  readonly version: 2;
  readonly transition: ConfChangeTransition;
  readonly changes: readonly ConfChangeSingle[];
  readonly context: Uint8Array;
}

export type ConfChange = ConfChangeV1 | ConfChangeV2;

/** A V1 change seen as the V2 change it is equivalent to (etcd's `AsV2`). */
export function confChangeAsV2(cc: ConfChange): ConfChangeV2 {
  if (cc.version === 2) return cc;
  return { version: 2, transition: 'auto', changes: [{ type: cc.type, nodeId: cc.nodeId }], context: cc.context };
}

/** The empty ConfChangeV2, which means "leave the joint configuration" (etcd's `LeaveJoint`). */
export function isLeaveJoint(cc: ConfChangeV2): boolean {
  return cc.transition === 'auto' && cc.changes.length === 0;
}

/**
 * Whether the change enters a joint configuration, and if so whether it leaves automatically
 * (etcd's `EnterJoint`): a V2 change does unless it is `auto` with at most one change.
 */
export function entersJoint(cc: ConfChangeV2): { readonly joint: boolean; readonly autoLeave: boolean } {
  if (cc.transition === 'auto' && cc.changes.length <= 1) return { joint: false, autoLeave: false };
  return { joint: true, autoLeave: cc.transition !== 'joint-explicit' };
}

/** The role a node plays. */
export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** The volatile part of a node's state worth reporting when it changes. */
export interface SoftState {
  readonly lead: NodeId;
  readonly role: Role;
}

/**
 * A linearizable read that may now be served: once the application has applied up to `index`,
 * the read with context `requestCtx` sees every write committed before the read was issued.
 */
export interface ReadState {
  readonly index: LogIndex;
  readonly requestCtx: Uint8Array;
}

/** Byte-wise equality, for request contexts and entry data. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  // Entries travel between simulated nodes by reference: most comparisons are of one array.
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A context as a map key: bytes are mapped 1:1 to code units, so distinct contexts stay distinct. */
export function bytesKey(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i] as number);
  return s;
}
