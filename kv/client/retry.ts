/**
 * clientv3's retry rules (client/v3/retry.go, retry_interceptor.go) and the history's outcome
 * classification.
 *
 * Retry: a *repeatable* call (Range, lease calls, maintenance reads) is retried on any
 * Unavailable-class error, on another endpoint; a *non-repeatable* call (Put, DeleteRange, Txn,
 * Compact) is retried only when it certainly never left the client ("there is no connection
 * available"). Between attempts, clientv3's round-robin quorum backoff: after every ⌊n/2⌋+1
 * attempts wait 25 ms ± 10 %, else retry at once.
 *
 * Outcome, for the history: `ok`; `fail` when the call certainly had no effect — it never left,
 * or the error is in kv/api's DEFINITE_ERRORS; else `unknown` (it may have taken effect, at any
 * time after its invocation). When in doubt, unknown.
 */
import { DEFINITE_ERRORS, type KvErrorCode } from '../api.js';
import type { Random } from '../../sim/random.js';
import type { Micros } from '../../sim/time.js';
import { REPEATABLE, type Method } from '../wire.js';

/**
 * Errors etcd sends as gRPC `codes.Unavailable` (rpctypes): the server could not serve the call
 * now, another member may. NotLeader is etcd's FailedPrecondition; our members send it for a
 * leader-local read on a follower, and as "lease: not primary" (etcd ErrNotPrimary) when a
 * leader cannot confirm it leads before a renewal — a repeatable call moves on to another member.
 * ProposalDropped (a dropped proposal, or a dropped ReadIndex) means "no leader here now".
 */
export const UNAVAILABLE: Readonly<Record<KvErrorCode, boolean>> = {
  EmptyKey: false,
  KeyNotFound: false,
  ValueProvided: false,
  LeaseProvided: false,
  TooManyOps: false,
  DuplicateKey: false,
  Compacted: false,
  FutureRev: false,
  NoSpace: false,
  RequestTooLarge: false,
  TooManyRequests: false,
  InvalidSortOption: false,
  LeaseNotFound: false,
  LeaseExist: false,
  LeaseTTLTooLarge: false,
  BadLeaderTransferee: false,
  // etcd sends it as codes.Unavailable (rpctypes ErrGRPCTimeoutLeaderTransfer).
  TimeoutLeaderTransfer: true,
  NoLeader: true,
  NotLeader: true,
  LeaderChanged: true,
  Stopped: true,
  Timeout: true,
  TimeoutDueToLeaderFail: true,
  TimeoutDueToConnectionLost: true,
  TimeoutWaitAppliedIndex: true,
  Unhealthy: true,
  Corrupt: false,
  ProposalDropped: true,
  Unavailable: true,
  IDRemoved: false,
  MemberNotFound: false,
  MemberExist: false,
  PeerURLExist: false,
  MemberNotLearner: false,
  TooManyLearners: false,
  MemberNotEnoughStarted: false,
  LearnerNotReady: false,
  MemberBadURLs: false,
  // Auth errors are never Unavailable (clientv3 re-authenticates on InvalidAuthToken and
  // AuthOldRevision itself, in its auth interceptor, not through the retry rules).
  RootUserNotExist: false,
  RootRoleNotExist: false,
  UserAlreadyExist: false,
  UserEmpty: false,
  UserNotFound: false,
  RoleAlreadyExist: false,
  RoleNotFound: false,
  RoleEmpty: false,
  AuthFailed: false,
  NoPasswordUser: false,
  PermissionNotGiven: false,
  PermissionDenied: false,
  RoleNotGranted: false,
  PermissionNotGranted: false,
  AuthNotEnabled: false,
  InvalidAuthToken: false,
  InvalidAuthMgmt: false,
  AuthOldRevision: false,
};

/** Whether to try again after `code`. `sent`: the failed attempt reached the network. */
export function shouldRetry(method: Method, code: KvErrorCode, sent: boolean): boolean {
  if (!UNAVAILABLE[code]) return false;
  return REPEATABLE[method] || !sent;
}

/**
 * Calls that change nothing on the server: a definite error on a retry of one of these still
 * means "no effect", whatever the earlier attempts did.
 */
const READ_ONLY: Readonly<Record<Method, boolean>> = {
  range: true,
  put: false,
  delete: false,
  txn: false,
  compact: false,
  'lease-grant': false,
  'lease-revoke': false,
  'lease-keepalive': false,
  'lease-ttl': true,
  'lease-leases': true,
  alarm: false,
  status: true,
  'hash-kv': true,
  defragment: false,
  'move-leader': false,
  'member-add': false,
  'member-remove': false,
  'member-update': false,
  'member-promote': false,
  'member-list': true,
  auth: false,
};

/**
 * The history status of a call that ended with `code`. `sent`: some attempt reached the network;
 * `ambiguous`: an earlier attempt was sent and ended without a definite answer, so it may have
 * taken effect. A definite error then speaks only for the last attempt — and may be caused by the
 * earlier one (a retried revoke finds its lease gone: LeaseNotFound) — so a call that changes
 * state ends `unknown`, not `fail`.
 */
export function failureStatus(code: KvErrorCode, sent: boolean, method?: Method, ambiguous = false): 'fail' | 'unknown' {
  if (ambiguous && method !== undefined && !READ_ONLY[method]) return 'unknown';
  return !sent || DEFINITE_ERRORS[code] ? 'fail' : 'unknown';
}

/** Whether an attempt that was sent and ended with `code` may have taken effect. */
export function attemptAmbiguous(code: KvErrorCode, sent: boolean): boolean {
  return sent && !DEFINITE_ERRORS[code];
}

/** clientv3 roundRobinQuorumBackoff: the wait before attempt number `attempt` (≥ 1). */
export function retryBackoffUs(attempt: number, endpoints: number, random: Random, waitBetweenUs: Micros = 25_000, jitter = 0.1): Micros {
  const quorum = Math.floor(endpoints / 2) + 1;
  if (attempt % quorum !== 0) return 0;
  return Math.round(waitBetweenUs * (1 + jitter * (random.float() * 2 - 1)));
}
