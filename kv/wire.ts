/**
 * What travels on the simulated network of a kv cluster: one message type for every host (the
 * network carries one type per simulation), so a member demultiplexes raft peer traffic from
 * client RPCs and watch streams by `kind`.
 *
 * RPCs (etcd's unary gRPC calls) are a `call` from a client to a member and a `reply` back with
 * the same `callId`; the call's method names one row of `KvMethods`. Watch streams (etcd's bidi
 * Watch stream) are `watch-*` messages from the client and `watch-response` messages back; a
 * client numbers each watch stream it opens to a member (`streamId`), so a member that sees a new
 * stream id from a client drops the watchers of the old one (the old gRPC stream died).
 *
 * Clients and members talk over sim/channels streams (gRPC runs on HTTP/2 over TCP): FIFO, no loss
 * while connected, and a broken connection is visible to the sender — which is exactly how
 * clientv3 tells "the request never left" (no connection available) from "sent, outcome unknown".
 */
import type {
  CompactionRequest, DeleteRangeRequest, DeleteRangeResponse, HashKVResponse, KvError, LeaseGrantResponse,
  LeaseTimeToLiveResponse, PutRequest, PutResponse, RangeRequest, RangeResponse, ResponseHeader, TxnRequest,
  TxnResponse, WatchCreateRequest, WatchResponse,
} from './api.js';
import type { Message } from '../raft/core/messages.js';
import type { AuthRequest, AuthResult } from './auth/store.js';

/** LeaseGrant: `ttlS` seconds; `id` 0 or absent = the server picks a deterministic id. */
export interface LeaseGrantRequest {
  readonly ttlS: number;
  readonly id?: number;
}

export interface LeaseIdRequest {
  readonly id: number;
}

/** LeaseTimeToLive; `keys` asks for the keys attached. */
export interface LeaseTimeToLiveRequest {
  readonly id: number;
  readonly keys?: boolean;
}

/** LeaseKeepAlive (one round of the stream): the lease's TTL after the renewal; ttlS ≤ 0 = gone. */
export interface LeaseKeepAliveResponse {
  readonly id: number;
  readonly ttlS: number;
}

export interface LeaseLeasesResponse {
  readonly leases: readonly number[];
}

export type AlarmType = 'NOSPACE' | 'CORRUPT';

export interface AlarmMember {
  readonly memberId: number;
  readonly alarm: AlarmType;
}

/**
 * Maintenance.Alarm. GET lists the active alarms of type `alarm` of every member (`NONE`: of every
 * type; etcd's GET does not filter by member); ACTIVATE/DEACTIVATE go through raft (of `NONE`: no-ops).
 */
export interface AlarmRequest {
  readonly action: 'GET' | 'ACTIVATE' | 'DEACTIVATE';
  /** The member the alarm is of (ACTIVATE/DEACTIVATE); GET ignores it. */
  readonly memberId: number;
  readonly alarm: AlarmType | 'NONE';
}

export interface AlarmResponse {
  readonly alarms: readonly AlarmMember[];
}

export interface HashKVRequest {
  /** 0 = the current revision. */
  readonly revision: number;
}

/** Maintenance.Status. */
export interface StatusResponse {
  readonly leader: number;
  readonly raftIndex: number;
  readonly raftTerm: number;
  readonly raftAppliedIndex: number;
  /** The modelled backend size (bytes written since the last defragment). */
  readonly dbSizeBytes: number;
  readonly dbSizeQuotaBytes: number;
  readonly errors: readonly string[];
}

export type Empty = Readonly<Record<string, never>>;

/** Maintenance.MoveLeader: hand leadership to the voting member `targetId`. */
export interface MoveLeaderRequest {
  readonly targetId: number;
}

/** A member as the Cluster API lists it (etcdserverpb.Member); `name` is '' until it has started. */
export interface MemberInfo {
  readonly id: number;
  readonly name: string;
  readonly peerURLs: readonly string[];
  readonly clientURLs: readonly string[];
  readonly isLearner: boolean;
}

/** Cluster.MemberAdd: the new member's peer URLs (`http://m<id>:2380` names host `id`), as a learner or a voter. */
export interface MemberAddRequest {
  readonly peerURLs: readonly string[];
  readonly isLearner?: boolean;
}

export interface MemberAddResponse {
  readonly member: MemberInfo;
  readonly members: readonly MemberInfo[];
}

/** Cluster.MemberRemove / MemberPromote. */
export interface MemberIdRequest {
  readonly id: number;
}

/** Cluster.MemberUpdate: new peer URLs of member `id`. */
export interface MemberUpdateRequest {
  readonly id: number;
  readonly peerURLs: readonly string[];
}

/** Cluster.MemberList; `linearizable` waits for a ReadIndex round first (etcd ≥ 3.5). */
export interface MemberListRequest {
  readonly linearizable?: boolean;
}

export interface MembersResponse {
  readonly members: readonly MemberInfo[];
}

/**
 * etcd's Auth service, one method for all its RPCs (AuthEnable, UserAdd, Authenticate, RoleGet, …):
 * as the auth store's requests, but with the password in clear where the client gives one (the
 * server makes the digest, as etcd hashes it before proposing).
 */
export type AuthCallRequest =
  | Exclude<AuthRequest, { readonly op: 'authenticate' | 'user-add' | 'user-change-password' }>
  | { readonly op: 'authenticate'; readonly name: string; readonly password: string }
  | { readonly op: 'user-add'; readonly name: string; readonly password?: string; readonly noPassword?: boolean }
  | { readonly op: 'user-change-password'; readonly name: string; readonly password: string };

/** Every RPC a member serves: request and response shapes per method. */
export interface KvMethods {
  range: { request: RangeRequest; response: RangeResponse };
  put: { request: PutRequest; response: PutResponse };
  delete: { request: DeleteRangeRequest; response: DeleteRangeResponse };
  txn: { request: TxnRequest; response: TxnResponse };
  compact: { request: CompactionRequest; response: Empty };
  'lease-grant': { request: LeaseGrantRequest; response: LeaseGrantResponse };
  'lease-revoke': { request: LeaseIdRequest; response: Empty };
  'lease-keepalive': { request: LeaseIdRequest; response: LeaseKeepAliveResponse };
  'lease-ttl': { request: LeaseTimeToLiveRequest; response: LeaseTimeToLiveResponse };
  'lease-leases': { request: Empty; response: LeaseLeasesResponse };
  alarm: { request: AlarmRequest; response: AlarmResponse };
  status: { request: Empty; response: StatusResponse };
  'hash-kv': { request: HashKVRequest; response: HashKVResponse };
  defragment: { request: Empty; response: Empty };
  'move-leader': { request: MoveLeaderRequest; response: Empty };
  'member-add': { request: MemberAddRequest; response: MemberAddResponse };
  'member-remove': { request: MemberIdRequest; response: MembersResponse };
  'member-update': { request: MemberUpdateRequest; response: MembersResponse };
  'member-promote': { request: MemberIdRequest; response: MembersResponse };
  'member-list': { request: MemberListRequest; response: MembersResponse };
  auth: { request: AuthCallRequest; response: AuthResult };
}

export type Method = keyof KvMethods;
export type RequestOf<M extends Method> = KvMethods[M]['request'];
export type ResponseOf<M extends Method> = KvMethods[M]['response'];

/** One call: a method and its request, as a discriminated union over methods. */
export type KvCall = { [M in Method]: { readonly method: M; readonly request: RequestOf<M> } }[Method];
export type CallOf<M extends Method> = Extract<KvCall, { method: M }>;

/** A call's answer: the response with its header, or an error (a value, as etcd's status codes). */
export type KvReply<M extends Method = Method> =
  | { readonly ok: true; readonly header: ResponseHeader; readonly response: ResponseOf<M> }
  | { readonly ok: false; readonly error: KvError };

/**
 * etcd's classification of methods for clientv3's retry interceptor: a repeatable call may be
 * retried on any Unavailable error; a non-repeatable one only if it certainly never left.
 */
export const REPEATABLE: Readonly<Record<Method, boolean>> = {
  range: true,
  put: false,
  delete: false,
  txn: false,
  compact: false,
  'lease-grant': true,
  'lease-revoke': true,
  'lease-keepalive': true,
  'lease-ttl': true,
  'lease-leases': true,
  alarm: true,
  status: true,
  'hash-kv': true,
  defragment: false,
  'move-leader': true,
  // clientv3's cluster client: only MemberList is retried as repeatable.
  'member-add': false,
  'member-remove': false,
  'member-update': false,
  'member-promote': false,
  'member-list': true,
  // One method for etcd's Auth RPCs: treated as non-repeatable (clientv3 repeats its reads, such
  // as UserGet, on any Unavailable error; here every auth call is retried only if it never left).
  auth: false,
};

/**
 * Messages from a client on a watch stream. `ack` frees `count` slots of the stream's buffer: the
 * client took that many responses that carried events, a progress notification or a compaction
 * cancel (gRPC flow control, modelled).
 */
export type WatchStreamRequest =
  | { readonly type: 'create'; readonly request: WatchCreateRequest }
  | { readonly type: 'cancel'; readonly watchId: number }
  | { readonly type: 'progress' }
  | { readonly type: 'ack'; readonly count: number };

/** Whether a watch response takes a slot of the member's stream buffer, so the client must ack it. */
export function takesWatchSlot(r: WatchResponse): boolean {
  if (r.events.length > 0) return true;
  if (r.canceled === true) return r.compactRevision !== undefined && r.created !== true;
  return r.created !== true; // a progress notification
}

/**
 * Lease calls a follower forwards to the leader over the peer network (etcd's leasehttp: a POST
 * to the leader's `/leases` or `/leases/internal`). Every attempt has its own `forwardId`; the
 * leader answers with a `lease-forward-reply` carrying it.
 */
export type LeaseForwardCall = CallOf<'lease-keepalive'> | CallOf<'lease-ttl'>;

/** The one message type of a kv cluster's network. */
export type Wire =
  /** A raft peer message; `id` is its trace id from the sender's node (`raft.send`/`raft.recv` pair by it). */
  | { readonly kind: 'raft'; readonly message: Message; readonly id?: string }
  /** `token`: the caller's simple token (etcd's `token` gRPC metadata), when it authenticated. */
  | { readonly kind: 'call'; readonly callId: number; readonly call: KvCall; readonly token?: string }
  | { readonly kind: 'reply'; readonly callId: number; readonly reply: KvReply }
  | { readonly kind: 'watch'; readonly streamId: number; readonly request: WatchStreamRequest }
  | { readonly kind: 'watch-response'; readonly streamId: number; readonly response: WatchResponse }
  | { readonly kind: 'lease-forward'; readonly forwardId: number; readonly call: LeaseForwardCall }
  | { readonly kind: 'lease-forward-reply'; readonly forwardId: number; readonly reply: KvReply }
  /** gRPC keepalive on a client's connection: a member answers `ping` with `pong` of the same seq. */
  | { readonly kind: 'ping'; readonly seq: number }
  | { readonly kind: 'pong'; readonly seq: number };

/** The raft node's `wrap`: a peer message as it travels, with its trace id when given. */
export function wrapRaft(message: Message, id?: string): Wire {
  return id === undefined ? { kind: 'raft', message } : { kind: 'raft', message, id };
}

/** Stream labels on sim/channels, so kv connections never collide with raft's `message`/`msgappv2`. */
export const CLIENT_STREAM_LABEL = 'grpc';
/** Member-to-member connections for forwarded lease calls (etcd's peer HTTP, apart from raft's streams). */
export const LEASE_FORWARD_STREAM_LABEL = 'leasehttp';
