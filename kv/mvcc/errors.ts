/**
 * Errors of the pure stores as values, with etcd's own messages so that traces and reports read
 * like etcd's (api/v3rpc/rpctypes, server/storage/mvcc, server/lease).
 */
import type { KvError, KvErrorCode, KvResult } from '../api.js';

const MESSAGES: Partial<Record<KvErrorCode, string>> = {
  EmptyKey: 'etcdserver: key is not provided',
  KeyNotFound: 'etcdserver: key not found',
  ValueProvided: 'etcdserver: value is provided',
  LeaseProvided: 'etcdserver: lease is provided',
  TooManyOps: 'etcdserver: too many operations in txn request',
  DuplicateKey: 'etcdserver: duplicate key given in txn request',
  InvalidSortOption: 'etcdserver: invalid sort option',
  Compacted: 'mvcc: required revision has been compacted',
  FutureRev: 'mvcc: required revision is a future revision',
  LeaseNotFound: 'lease not found',
  LeaseExist: 'lease already exists',
  LeaseTTLTooLarge: 'too large lease TTL',
  NotLeader: 'lease: not primary',
  Corrupt: 'etcdserver: corrupt cluster',
  BadLeaderTransferee: 'etcdserver: bad leader transferee',
  TimeoutLeaderTransfer: 'etcdserver: request timed out, leader transfer took too long',
  // Auth (api/v3rpc/rpctypes: the gRPC status messages a client sees).
  RootUserNotExist: 'etcdserver: root user does not exist',
  RootRoleNotExist: 'etcdserver: root user does not have root role',
  UserAlreadyExist: 'etcdserver: user name already exists',
  UserEmpty: 'etcdserver: user name is empty',
  UserNotFound: 'etcdserver: user name not found',
  RoleAlreadyExist: 'etcdserver: role name already exists',
  RoleNotFound: 'etcdserver: role name not found',
  RoleEmpty: 'etcdserver: role name is empty',
  AuthFailed: 'etcdserver: authentication failed, invalid user ID or password',
  NoPasswordUser: 'auth: authentication failed, password was given for no password user',
  PermissionNotGiven: 'etcdserver: permission not given',
  PermissionDenied: 'etcdserver: permission denied',
  RoleNotGranted: 'etcdserver: role is not granted to the user',
  PermissionNotGranted: 'etcdserver: permission is not granted to the role',
  AuthNotEnabled: 'etcdserver: authentication is not enabled',
  InvalidAuthToken: 'etcdserver: invalid auth token',
  InvalidAuthMgmt: 'etcdserver: invalid auth management',
  AuthOldRevision: 'etcdserver: revision of auth store is old',
};

/** A KvError with etcd's message for `code`, or `message` when given. */
export function kvError(code: KvErrorCode, message?: string): KvError {
  return { code, message: message ?? MESSAGES[code] ?? code };
}

/** A failed KvResult. */
export function fail<T>(code: KvErrorCode, message?: string): KvResult<T> {
  return { ok: false, error: kvError(code, message) };
}

/** A successful KvResult. */
export function ok<T>(value: T): KvResult<T> {
  return { ok: true, value };
}
