/**
 * The messages of the raft core: a discriminated union over etcd's message types, each carrying
 * only its own fields. `from`, `to` and `term` are common to all; `term` is 0 on local messages
 * and on MsgProp / MsgReadIndex (they are forwarded to the leader as if local), as in etcd.
 *
 * Classification tables are `Record<MessageType, boolean>`: adding a type does not compile until
 * it is classified.
 */
import { describeConfChanges, decodeConfChange } from './conf-change-codec.js';
import { entryEncodingSizeBytes, varintSizeBytes } from './entry-size.js';
import type { Entry, LogIndex, NodeId, ProposedEntry, Snapshot, Term } from './types.js';
import { unreachable } from '../../sim/assert.js';

interface Base<T extends string> {
  readonly type: T;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: Term;
}

/** Local: start an election (a tick that timed out, or `campaign()`). */
export type MsgHup = Base<'MsgHup'>;
/** Local: the leader's heartbeat tick. */
export type MsgBeat = Base<'MsgBeat'>;
/** A proposal; from the application, or forwarded by a follower to its leader. */
export interface MsgProp extends Base<'MsgProp'> {
  readonly entries: readonly ProposedEntry[];
}
/** Append entries after (`index`, `logTerm`); also carries the leader's commit. */
export interface MsgApp extends Base<'MsgApp'> {
  readonly index: LogIndex;
  readonly logTerm: Term;
  readonly entries: readonly Entry[];
  readonly commit: LogIndex;
}
/**
 * Answer to MsgApp / MsgSnap (and to a lower-term heartbeat, to free a stuck candidate).
 * Accepted: `index` is the last index the follower now matches. Rejected: `index` is the rejected
 * MsgApp's index; (`rejectHint`, `logTerm`) is the follower's guess at where the logs match.
 */
export interface MsgAppResp extends Base<'MsgAppResp'> {
  readonly index: LogIndex;
  readonly reject: boolean;
  readonly rejectHint: LogIndex;
  readonly logTerm: Term;
}
/** A vote request for `term`; (`index`, `logTerm`) is the candidate's last entry. */
export interface MsgVote extends Base<'MsgVote'> {
  readonly index: LogIndex;
  readonly logTerm: Term;
  /** Sent by a leadership transferee: skips the leader-lease check (etcd's campaignTransfer). */
  readonly transfer: boolean;
}
export interface MsgVoteResp extends Base<'MsgVoteResp'> {
  readonly reject: boolean;
}
/** A pre-vote for `term` = the candidate's term + 1; never changes the receiver's term. */
export interface MsgPreVote extends Base<'MsgPreVote'> {
  readonly index: LogIndex;
  readonly logTerm: Term;
  readonly transfer: boolean;
}
/** Carries the pre-vote's term when granted, the receiver's term when rejected. */
export interface MsgPreVoteResp extends Base<'MsgPreVoteResp'> {
  readonly reject: boolean;
}
export interface MsgSnap extends Base<'MsgSnap'> {
  readonly snapshot: Snapshot;
}
/** Local: the node layer reports whether a snapshot reached `from` (`reject` = failure). */
export interface MsgSnapStatus extends Base<'MsgSnapStatus'> {
  readonly reject: boolean;
}
/** Heartbeat; `commit` is min(follower's match, leader's commit); `context` a ReadIndex round. */
export interface MsgHeartbeat extends Base<'MsgHeartbeat'> {
  readonly commit: LogIndex;
  readonly context: Uint8Array;
}
export interface MsgHeartbeatResp extends Base<'MsgHeartbeatResp'> {
  readonly context: Uint8Array;
}
/** Local: the transport could not reach `from`. */
export type MsgUnreachable = Base<'MsgUnreachable'>;
/** Local: the leader checks that a quorum was active in the last election timeout. */
export type MsgCheckQuorum = Base<'MsgCheckQuorum'>;
/** Transfer leadership to `from` (the transferee); followers forward it to the leader. */
export type MsgTransferLeader = Base<'MsgTransferLeader'>;
/** Leader to transferee: campaign now, without pre-vote and past any lease. */
export type MsgTimeoutNow = Base<'MsgTimeoutNow'>;
/** A linearizable read request with an opaque context; followers forward it to the leader. */
export interface MsgReadIndex extends Base<'MsgReadIndex'> {
  readonly context: Uint8Array;
}
export interface MsgReadIndexResp extends Base<'MsgReadIndexResp'> {
  readonly index: LogIndex;
  readonly context: Uint8Array;
}
/** Local: a follower forgets its leader (so it grants pre-votes at once). */
export type MsgForgetLeader = Base<'MsgForgetLeader'>;

/**
 * The two local storage "threads" of a node with `asyncStorageWrites` (etcd's LocalAppendThread
 * and LocalApplyThread): the targets of MsgStorageAppend / MsgStorageApply, and the senders of
 * their responses. Ids no member can have (etcd takes the two largest uint64 values).
 */
export const LOCAL_APPEND_THREAD = Number.MAX_SAFE_INTEGER as NodeId;
export const LOCAL_APPLY_THREAD = (Number.MAX_SAFE_INTEGER - 1) as NodeId;

export function isLocalThread(id: NodeId): boolean {
  return id === LOCAL_APPEND_THREAD || id === LOCAL_APPLY_THREAD;
}

/**
 * Node to its append thread (asyncStorageWrites): persist the hard state (`term`, `vote`,
 * `commit`: all 0 when it did not change), the entries and the snapshot, then deliver
 * `responses` — only once that write, and every earlier one, is durable.
 */
export interface MsgStorageAppend extends Base<'MsgStorageAppend'> {
  readonly vote: NodeId;
  readonly commit: LogIndex;
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | null;
  readonly responses: readonly Message[];
}
/**
 * Append thread to node: everything up to (`index`, `logTerm`) and `snapshot` is durable. `term`
 * is the node's term when the write was handed out: a response of an older term does not mark
 * entries stable (they may have been rewritten since; etcd's ABA guard). `index` 0: no entries.
 */
export interface MsgStorageAppendResp extends Base<'MsgStorageAppendResp'> {
  readonly index: LogIndex;
  readonly logTerm: Term;
  readonly snapshot: Snapshot | null;
}
/** Node to its apply thread: apply the committed `entries` in order, then deliver `responses`. */
export interface MsgStorageApply extends Base<'MsgStorageApply'> {
  readonly entries: readonly Entry[];
  readonly responses: readonly Message[];
}
/** Apply thread to node: `entries` are applied. */
export interface MsgStorageApplyResp extends Base<'MsgStorageApplyResp'> {
  readonly entries: readonly Entry[];
}

export type Message =
  | MsgHup
  | MsgBeat
  | MsgProp
  | MsgApp
  | MsgAppResp
  | MsgVote
  | MsgVoteResp
  | MsgPreVote
  | MsgPreVoteResp
  | MsgSnap
  | MsgSnapStatus
  | MsgHeartbeat
  | MsgHeartbeatResp
  | MsgUnreachable
  | MsgCheckQuorum
  | MsgTransferLeader
  | MsgTimeoutNow
  | MsgReadIndex
  | MsgReadIndexResp
  | MsgForgetLeader
  | MsgStorageAppend
  | MsgStorageAppendResp
  | MsgStorageApply
  | MsgStorageApplyResp;

export type MessageType = Message['type'];

/** The message of a type, for narrowing helpers. */
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;

/**
 * Messages that only the node itself (or its local storage threads) may create; stepping one that
 * came over the network is refused (`StepLocalMsg`), unless it comes from a local thread (the
 * storage responses). etcd's table leaves MsgForgetLeader out; it is only ever made by
 * `forgetLeader()`, so here a copy from the network is refused too.
 */
export const IS_LOCAL: Record<MessageType, boolean> = {
  MsgHup: true,
  MsgBeat: true,
  MsgProp: false,
  MsgApp: false,
  MsgAppResp: false,
  MsgVote: false,
  MsgVoteResp: false,
  MsgPreVote: false,
  MsgPreVoteResp: false,
  MsgSnap: false,
  MsgSnapStatus: true,
  MsgHeartbeat: false,
  MsgHeartbeatResp: false,
  MsgUnreachable: true,
  MsgCheckQuorum: true,
  MsgTransferLeader: false,
  MsgTimeoutNow: false,
  MsgReadIndex: false,
  MsgReadIndexResp: false,
  MsgForgetLeader: true,
  MsgStorageAppend: true,
  MsgStorageAppendResp: true,
  MsgStorageApply: true,
  MsgStorageApplyResp: true,
};

/** Responses: stepping one from a peer the node does not track is refused (`StepPeerNotFound`). */
export const IS_RESPONSE: Record<MessageType, boolean> = {
  MsgHup: false,
  MsgBeat: false,
  MsgProp: false,
  MsgApp: false,
  MsgAppResp: true,
  MsgVote: false,
  MsgVoteResp: true,
  MsgPreVote: false,
  MsgPreVoteResp: true,
  MsgSnap: false,
  MsgSnapStatus: false,
  MsgHeartbeat: false,
  MsgHeartbeatResp: true,
  MsgUnreachable: true,
  MsgCheckQuorum: false,
  MsgTransferLeader: false,
  MsgTimeoutNow: false,
  MsgReadIndex: false,
  MsgReadIndexResp: true,
  MsgForgetLeader: false,
  MsgStorageAppend: false,
  MsgStorageAppendResp: true,
  MsgStorageApply: false,
  MsgStorageApplyResp: true,
};

/**
 * Messages that may only be sent once the unstable state they were decided on is durable
 * (etcd's msgsAfterAppend): a vote, or an acknowledgement of appended entries.
 */
export const NEEDS_DURABILITY: Record<MessageType, boolean> = {
  MsgHup: false,
  MsgBeat: false,
  MsgProp: false,
  MsgApp: false,
  MsgAppResp: true,
  MsgVote: false,
  MsgVoteResp: true,
  MsgPreVote: false,
  MsgPreVoteResp: true,
  MsgSnap: false,
  MsgSnapStatus: false,
  MsgHeartbeat: false,
  MsgHeartbeatResp: false,
  MsgUnreachable: false,
  MsgCheckQuorum: false,
  MsgTransferLeader: false,
  MsgTimeoutNow: false,
  MsgReadIndex: false,
  MsgReadIndexResp: false,
  MsgForgetLeader: false,
  MsgStorageAppend: false,
  MsgStorageAppendResp: false,
  MsgStorageApply: false,
  MsgStorageApplyResp: false,
};

export function isVoteRequest(m: Message): m is MsgVote | MsgPreVote {
  return m.type === 'MsgVote' || m.type === 'MsgPreVote';
}

/** The response type of a (pre-)vote request. */
export function voteRespType(t: 'MsgVote' | 'MsgPreVote'): 'MsgVoteResp' | 'MsgPreVoteResp' {
  return t === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp';
}

/** `1/3 EntryNormal "data"`: an entry as etcd's DescribeEntry prints it. */
export function describeEntry(e: Entry): string {
  let body: string;
  if (e.type === 'normal') body = JSON.stringify(new TextDecoder().decode(e.data));
  else body = describeConfChanges(asV2Changes(e));
  const typeName = e.type === 'normal' ? 'EntryNormal' : e.type === 'conf-change' ? 'EntryConfChange' : 'EntryConfChangeV2';
  return `${e.term}/${e.index} ${typeName}${body === '' ? '' : ' ' + body}`;
}

function asV2Changes(e: Entry): readonly { type: 'add-node' | 'remove-node' | 'update-node' | 'add-learner-node'; nodeId: NodeId }[] {
  const cc = decodeConfChange(e.type, e.data);
  return cc.version === 1 ? [{ type: cc.type, nodeId: cc.nodeId }] : cc.changes;
}

/**
 * One line per message, in etcd's DescribeMessage format so traces compare with etcd's testdata:
 * `1->2 MsgApp Term:1 Log:1/2 Commit:2 Entries:[1/3 EntryNormal ""]`.
 */
export function describeMessage(m: Message): string {
  return describeMessageIndented(m, '', true);
}

/**
 * A storage message without its `Responses:[...]` list, as etcd's harness prints the message a
 * storage thread is processing.
 */
export function describeMessageWithoutResponses(m: Message): string {
  return describeMessageIndented(m, '', false);
}

function describeMessageIndented(m: Message, indent: string, withResponses: boolean): string {
  const f = fields(m);
  let s = `${indent}${describeTarget(m.from)}->${describeTarget(m.to)} ${m.type} Term:${m.term} Log:${f.logTerm}/${f.index}`;
  if (f.reject) s += ` Rejected (Hint: ${f.rejectHint})`;
  if (f.commit !== 0) s += ` Commit:${f.commit}`;
  if (f.vote !== 0) s += ` Vote:${f.vote}`;
  if (f.entries.length === 1) s += ` Entries:[${f.entries[0] as string}]`;
  else if (f.entries.length > 1) s += ` Entries:[${f.entries.map((e) => `\n${indent}  ${e}`).join('')}\n${indent}]`;
  if (f.snapshot !== null) s += `\n${indent}  Snapshot: ${describeSnapshot(f.snapshot)}`;
  const responses = m.type === 'MsgStorageAppend' || m.type === 'MsgStorageApply' ? m.responses : [];
  if (withResponses && responses.length > 0) {
    s += ` Responses:[${responses.map((r) => `\n${describeMessageIndented(r, indent + '  ', true)}`).join('')}\n${indent}]`;
  }
  return s;
}

/** A member's id, or the name of a local storage thread. */
function describeTarget(id: NodeId): string {
  if (id === LOCAL_APPEND_THREAD) return 'AppendThread';
  if (id === LOCAL_APPLY_THREAD) return 'ApplyThread';
  return String(id);
}

export function describeSnapshot(s: Snapshot): string {
  const cs = s.metadata.confState;
  const list = (ids: readonly NodeId[]): string => `[${ids.join(' ')}]`;
  return (
    `Index:${s.metadata.index} Term:${s.metadata.term} ConfState:Voters:${list(cs.voters)} ` +
    `VotersOutgoing:${list(cs.votersOutgoing)} Learners:${list(cs.learners)} LearnersNext:${list(cs.learnersNext)} AutoLeave:${cs.autoLeave}`
  );
}

interface Fields {
  readonly index: number;
  readonly logTerm: number;
  readonly commit: number;
  readonly reject: boolean;
  readonly rejectHint: number;
  readonly vote: number;
  readonly entries: readonly string[];
  readonly snapshot: Snapshot | null;
}

const NO_FIELDS: Fields = { index: 0, logTerm: 0, commit: 0, reject: false, rejectHint: 0, vote: 0, entries: [], snapshot: null };

/** The etcd wire fields of a message, zero where the type has none. */
function fields(m: Message): Fields {
  switch (m.type) {
    case 'MsgApp':
      return { ...NO_FIELDS, index: m.index, logTerm: m.logTerm, commit: m.commit, entries: m.entries.map(describeEntry) };
    case 'MsgAppResp':
      return { ...NO_FIELDS, index: m.index, logTerm: m.logTerm, reject: m.reject, rejectHint: m.rejectHint };
    case 'MsgVote':
    case 'MsgPreVote':
      return { ...NO_FIELDS, index: m.index, logTerm: m.logTerm };
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
    case 'MsgSnapStatus':
      return { ...NO_FIELDS, reject: m.reject };
    case 'MsgHeartbeat':
      return { ...NO_FIELDS, commit: m.commit };
    // etcd carries a read's context as a single entry; shown the same way.
    case 'MsgReadIndexResp':
      return { ...NO_FIELDS, index: m.index, entries: [describeContext(m.context)] };
    case 'MsgReadIndex':
      return { ...NO_FIELDS, entries: [describeContext(m.context)] };
    case 'MsgProp':
      return { ...NO_FIELDS, entries: m.entries.map((e) => describeEntry({ ...e, term: 0 as Term, index: 0 as LogIndex })) };
    case 'MsgSnap':
      return { ...NO_FIELDS, snapshot: m.snapshot };
    case 'MsgStorageAppend':
      return { ...NO_FIELDS, commit: m.commit, vote: m.vote, entries: m.entries.map(describeEntry), snapshot: m.snapshot };
    case 'MsgStorageAppendResp':
      return { ...NO_FIELDS, index: m.index, logTerm: m.logTerm, snapshot: m.snapshot };
    case 'MsgStorageApply':
    case 'MsgStorageApplyResp':
      return { ...NO_FIELDS, entries: m.entries.map(describeEntry) };
    case 'MsgHup':
    case 'MsgBeat':
    case 'MsgHeartbeatResp':
    case 'MsgUnreachable':
    case 'MsgCheckQuorum':
    case 'MsgTransferLeader':
    case 'MsgTimeoutNow':
    case 'MsgForgetLeader':
      return NO_FIELDS;
    default:
      return unreachable(m, 'message');
  }
}

function describeContext(ctx: Uint8Array): string {
  return describeEntry({ term: 0 as Term, index: 0 as LogIndex, type: 'normal', data: ctx });
}

/** Fixed header of every message: type, from, to, term, index, logTerm, commit, reject flags. */
const HEADER_BYTES = 2;

/**
 * Approximate wire size of a message (protobuf-like: varint fields plus entry and snapshot
 * bytes). The transport uses it to choose between its stream and pipeline channels and to bound
 * its queues; it need not be exact, only monotone in what the message carries.
 */
export function messageSizeBytes(m: Message): number {
  let size = HEADER_BYTES + varintSizeBytes(m.from) + varintSizeBytes(m.to) + varintSizeBytes(m.term) + 3;
  const f = fields(m);
  size += varintSizeBytes(f.index) + varintSizeBytes(f.logTerm) + varintSizeBytes(f.commit) + varintSizeBytes(f.rejectHint);
  switch (m.type) {
    case 'MsgApp':
      for (const e of m.entries) size += 2 + entryEncodingSizeBytes(e);
      return size;
    case 'MsgProp':
      for (const e of m.entries) size += 8 + e.data.length;
      return size;
    case 'MsgSnap':
      return size + 16 + 4 * confStateSize(m.snapshot) + m.snapshot.data.length;
    case 'MsgHeartbeat':
    case 'MsgHeartbeatResp':
    case 'MsgReadIndex':
    case 'MsgReadIndexResp':
      return size + m.context.length;
    default:
      return size;
  }
}

function confStateSize(s: Snapshot): number {
  const cs = s.metadata.confState;
  return cs.voters.length + cs.learners.length + cs.votersOutgoing.length + cs.learnersNext.length;
}
