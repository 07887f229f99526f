/**
 * The etcd v3 KV API as raftsim models it (api/etcdserverpb/rpc.proto, api/mvccpb/kv.proto).
 *
 * Plain data shared by the MVCC store, the server, the client, the checker's etcd model and the
 * reports. Keys and values are strings (the simulator's workloads are text; byte order of keys is
 * the code-unit order of these strings, which equals byte order for the ASCII keys workloads use).
 * Revisions are plain numbers: main revisions count from 1, as etcd's store starts at revision 1.
 */

/** A stored key-value at some revision (mvccpb.KeyValue). */
export interface KeyValue {
  readonly key: string;
  /** Main revision of the put that started this key's current generation. */
  readonly createRevision: number;
  /** Main revision of the last change to this key. */
  readonly modRevision: number;
  /** Number of puts in the current generation (1 after a create). */
  readonly version: number;
  readonly value: string;
  /** Lease attached, 0 for none. */
  readonly lease: number;
}

export type SortOrder = 'NONE' | 'ASCEND' | 'DESCEND';
export type SortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';

/**
 * Range over [key, rangeEnd). rangeEnd absent or '' = the one key; '\0' = every key ≥ key;
 * prefix p = [p, prefixEnd(p)).
 */
export interface RangeRequest {
  readonly key: string;
  readonly rangeEnd?: string;
  /** 0 = no limit. */
  readonly limit?: number;
  /** ≤ 0 = the current revision. */
  readonly revision?: number;
  readonly sortOrder?: SortOrder;
  readonly sortTarget?: SortTarget;
  /** Served locally by any member, without ReadIndex (may be stale). */
  readonly serializable?: boolean;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  readonly minModRevision?: number;
  readonly maxModRevision?: number;
  readonly minCreateRevision?: number;
  readonly maxCreateRevision?: number;
}

export interface RangeResponse {
  readonly kvs: readonly KeyValue[];
  /** More keys matched than `limit` allowed. */
  readonly more: boolean;
  /** Keys that matched, before `limit`. */
  readonly count: number;
}

export interface PutRequest {
  readonly key: string;
  readonly value: string;
  /** Lease to attach, 0 for none. */
  readonly lease?: number;
  readonly prevKv?: boolean;
  /** Keep the current value (error if the key does not exist). */
  readonly ignoreValue?: boolean;
  /** Keep the current lease (error if the key does not exist). */
  readonly ignoreLease?: boolean;
}

export interface PutResponse {
  readonly prevKv?: KeyValue;
}

export interface DeleteRangeRequest {
  readonly key: string;
  readonly rangeEnd?: string;
  readonly prevKv?: boolean;
}

export interface DeleteRangeResponse {
  readonly deleted: number;
  readonly prevKvs: readonly KeyValue[];
}

export type CompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';

/** A Txn guard (etcdserverpb.Compare): the target of every key in [key, rangeEnd) against a value. */
export type Compare =
  | { readonly target: 'VALUE'; readonly result: CompareResult; readonly key: string; readonly rangeEnd?: string; readonly value: string }
  | { readonly target: 'VERSION'; readonly result: CompareResult; readonly key: string; readonly rangeEnd?: string; readonly version: number }
  | { readonly target: 'CREATE'; readonly result: CompareResult; readonly key: string; readonly rangeEnd?: string; readonly createRevision: number }
  | { readonly target: 'MOD'; readonly result: CompareResult; readonly key: string; readonly rangeEnd?: string; readonly modRevision: number }
  | { readonly target: 'LEASE'; readonly result: CompareResult; readonly key: string; readonly rangeEnd?: string; readonly lease: number };

export type RequestOp =
  | { readonly type: 'range'; readonly request: RangeRequest }
  | { readonly type: 'put'; readonly request: PutRequest }
  | { readonly type: 'delete'; readonly request: DeleteRangeRequest }
  | { readonly type: 'txn'; readonly request: TxnRequest };

export type ResponseOp =
  | { readonly type: 'range'; readonly response: RangeResponse }
  | { readonly type: 'put'; readonly response: PutResponse }
  | { readonly type: 'delete'; readonly response: DeleteRangeResponse }
  | { readonly type: 'txn'; readonly response: TxnResponse };

export interface TxnRequest {
  readonly compare: readonly Compare[];
  readonly success: readonly RequestOp[];
  readonly failure: readonly RequestOp[];
}

export interface TxnResponse {
  readonly succeeded: boolean;
  readonly responses: readonly ResponseOp[];
}

export interface CompactionRequest {
  readonly revision: number;
  /** Wait until the compaction is applied to the backend before answering. */
  readonly physical?: boolean;
}

/** Every response carries a header (etcdserverpb.ResponseHeader). */
export interface ResponseHeader {
  readonly clusterId: number;
  readonly memberId: number;
  /** The store's revision when the request was served. */
  readonly revision: number;
  readonly raftTerm: number;
}

export type EventType = 'PUT' | 'DELETE';

/** A watch event (mvccpb.Event). A DELETE's kv carries the key and its mod revision only. */
export interface WatchEvent {
  readonly type: EventType;
  readonly kv: KeyValue;
  readonly prevKv?: KeyValue;
}

export type WatchFilter = 'NOPUT' | 'NODELETE';

export interface WatchCreateRequest {
  /** Client-chosen watch id (etcd 3.4+); absent or 0 = the stream assigns the next free id. */
  readonly watchId?: number;
  readonly key: string;
  readonly rangeEnd?: string;
  /** 0 = from the next revision ("now"); a past revision replays history. */
  readonly startRevision?: number;
  readonly progressNotify?: boolean;
  readonly filters?: readonly WatchFilter[];
  readonly prevKv?: boolean;
}

export interface WatchResponse {
  readonly header: ResponseHeader;
  readonly watchId: number;
  readonly created?: boolean;
  readonly canceled?: boolean;
  /** Set when the watch was canceled because its start revision was compacted. */
  readonly compactRevision?: number;
  readonly cancelReason?: string;
  readonly events: readonly WatchEvent[];
}

export interface LeaseGrantResponse {
  readonly id: number;
  readonly ttlS: number;
}

export interface LeaseTimeToLiveResponse {
  readonly id: number;
  /** Remaining seconds; -1 when the lease does not exist (expired or revoked). */
  readonly ttlS: number;
  readonly grantedTtlS: number;
  readonly keys: readonly string[];
}

/**
 * Errors, named as etcd names them. Each is classified for the history: a definite error means the
 * request certainly did not take effect; an availability error after the request was sent is an
 * indefinite (unknown) outcome for a write.
 */
export type KvErrorCode =
  | 'EmptyKey'
  | 'KeyNotFound'
  | 'ValueProvided'
  | 'LeaseProvided'
  | 'TooManyOps'
  | 'DuplicateKey'
  | 'Compacted'
  | 'FutureRev'
  | 'NoSpace'
  | 'RequestTooLarge'
  | 'TooManyRequests'
  | 'InvalidSortOption'
  | 'LeaseNotFound'
  | 'LeaseExist'
  | 'LeaseTTLTooLarge'
  | 'BadLeaderTransferee'
  | 'TimeoutLeaderTransfer'
  | 'NoLeader'
  | 'NotLeader'
  | 'LeaderChanged'
  | 'Stopped'
  | 'Timeout'
  | 'TimeoutDueToLeaderFail'
  | 'TimeoutDueToConnectionLost'
  | 'TimeoutWaitAppliedIndex'
  | 'Unhealthy'
  | 'Corrupt'
  | 'ProposalDropped'
  | 'Unavailable'
  | 'IDRemoved'
  | 'MemberNotFound'
  | 'MemberExist'
  | 'PeerURLExist'
  | 'MemberNotLearner'
  | 'TooManyLearners'
  | 'MemberNotEnoughStarted'
  | 'LearnerNotReady'
  | 'MemberBadURLs'
  | 'RootUserNotExist'
  | 'RootRoleNotExist'
  | 'UserAlreadyExist'
  | 'UserEmpty'
  | 'UserNotFound'
  | 'RoleAlreadyExist'
  | 'RoleNotFound'
  | 'RoleEmpty'
  | 'AuthFailed'
  | 'NoPasswordUser'
  | 'PermissionNotGiven'
  | 'PermissionDenied'
  | 'RoleNotGranted'
  | 'PermissionNotGranted'
  | 'AuthNotEnabled'
  | 'InvalidAuthToken'
  | 'InvalidAuthMgmt'
  | 'AuthOldRevision';

export interface KvError {
  readonly code: KvErrorCode;
  readonly message: string;
}

/**
 * Errors that prove the request had no effect, whatever kind of request it was. Every other error
 * on a write that was sent is indefinite.
 */
export const DEFINITE_ERRORS: Readonly<Record<KvErrorCode, boolean>> = {
  EmptyKey: true,
  KeyNotFound: true,
  ValueProvided: true,
  LeaseProvided: true,
  TooManyOps: true,
  DuplicateKey: true,
  Compacted: true,
  FutureRev: true,
  NoSpace: true,
  RequestTooLarge: true,
  TooManyRequests: true,
  InvalidSortOption: true,
  LeaseNotFound: true,
  LeaseExist: true,
  LeaseTTLTooLarge: true,
  BadLeaderTransferee: true,
  NoLeader: true,
  NotLeader: true,
  ProposalDropped: true,
  Corrupt: true,
  LeaderChanged: false,
  // The transfer may still complete after the server stopped waiting for it.
  TimeoutLeaderTransfer: false,
  Stopped: false,
  Timeout: false,
  TimeoutDueToLeaderFail: false,
  TimeoutDueToConnectionLost: false,
  TimeoutWaitAppliedIndex: false,
  Unhealthy: false,
  Unavailable: false,
  // Membership refusals (etcd's cluster API): answered before proposing or at apply, the change not made.
  IDRemoved: true,
  MemberNotFound: true,
  MemberExist: true,
  PeerURLExist: true,
  MemberNotLearner: true,
  TooManyLearners: true,
  MemberNotEnoughStarted: true,
  LearnerNotReady: true,
  MemberBadURLs: true,
  // Auth refusals (etcd's auth store): answered before proposing or checked at apply, nothing changed or read.
  RootUserNotExist: true,
  RootRoleNotExist: true,
  UserAlreadyExist: true,
  UserEmpty: true,
  UserNotFound: true,
  RoleAlreadyExist: true,
  RoleNotFound: true,
  RoleEmpty: true,
  AuthFailed: true,
  NoPasswordUser: true,
  PermissionNotGiven: true,
  PermissionDenied: true,
  RoleNotGranted: true,
  PermissionNotGranted: true,
  AuthNotEnabled: true,
  InvalidAuthToken: true,
  InvalidAuthMgmt: true,
  AuthOldRevision: true,
};

/** The end of the prefix range for `prefix` (clientv3.GetPrefixRangeEnd): all keys starting with it. */
export function prefixEnd(prefix: string): string {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xffff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return '\0';
}

/** Whether `key` lies in [start, end) with etcd's conventions for `end` ('' = just start, '\0' = no upper bound). */
export function inRange(key: string, start: string, end: string | undefined): boolean {
  if (end === undefined || end === '') return key === start;
  if (end === '\0') return key >= start;
  return key >= start && key < end;
}

/**
 * The outcome of a store operation: a value, or an expected failure as a value (never an exception).
 * Shared by the MVCC, watch and lease stores and the server above them.
 */
export type KvResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: KvError };

/** Maintenance.HashKV: a hash of the MVCC store at `hashRevision`, to compare members. */
export interface HashKVResponse {
  readonly hash: number;
  /** The store's compaction revision when hashed (-1 if never compacted, as etcd's compactMainRev). */
  readonly compactRevision: number;
  readonly hashRevision: number;
}
