/**
 * clientv3's Auth interface on a kv client (client/v3/auth.go): etcd's Auth RPCs by name. They
 * change who may do what, not the keyspace, so they are not recorded in the kv history.
 * `authenticate` keeps the token on the client: every call after it carries it.
 *
 *   const auth = authClient(client);
 *   auth.userAdd('root', 'pw'); auth.userGrantRole('root', 'root'); auth.authEnable();
 *   auth.authenticate('root', 'pw', (o) => …);   // o.response.token, now sent with each call
 */
import type { Permission, PermType } from '../auth/store.js';
import type { AuthCallRequest } from '../wire.js';
import type { CallOutcome, KvClient } from './client.js';

type Done = (o: CallOutcome<'auth'>) => void;

export interface AuthClient {
  authEnable(done?: Done): void;
  authDisable(done?: Done): void;
  authStatus(done?: Done): void;
  /** On success the client keeps the token (etcd's simple token, bound to this member's auth revision when used). */
  authenticate(name: string, password: string, done?: Done): void;
  userAdd(name: string, password: string, done?: Done, options?: { readonly noPassword?: boolean }): void;
  userDelete(name: string, done?: Done): void;
  userChangePassword(name: string, password: string, done?: Done): void;
  userGrantRole(user: string, role: string, done?: Done): void;
  userRevokeRole(user: string, role: string, done?: Done): void;
  userGet(name: string, done?: Done): void;
  userList(done?: Done): void;
  roleAdd(name: string, done?: Done): void;
  roleDelete(role: string, done?: Done): void;
  /** `rangeEnd` '' = the key alone, '\0' = every key from `key` on, else [key, rangeEnd). */
  roleGrantPermission(role: string, key: string, rangeEnd: string, permType: PermType, done?: Done): void;
  roleRevokePermission(role: string, key: string, rangeEnd: string, done?: Done): void;
  roleGet(role: string, done?: Done): void;
  roleList(done?: Done): void;
}

export function authClient(client: KvClient): AuthClient {
  const call = (request: AuthCallRequest, done: Done | undefined): void => client.call('auth', request, done, { record: false });
  const perm = (key: string, rangeEnd: string, permType: PermType): Permission => (rangeEnd === '' ? { permType, key } : { permType, key, rangeEnd });
  return {
    authEnable: (done) => call({ op: 'auth-enable' }, done),
    authDisable: (done) => call({ op: 'auth-disable' }, done),
    authStatus: (done) => call({ op: 'auth-status' }, done),
    authenticate: (name, password, done) =>
      call({ op: 'authenticate', name, password }, (o) => {
        if (o.status === 'ok' && 'token' in o.response) client.authToken = o.response.token;
        done?.(o);
      }),
    userAdd: (name, password, done, options) => call(options?.noPassword === true ? { op: 'user-add', name, noPassword: true } : { op: 'user-add', name, password }, done),
    userDelete: (name, done) => call({ op: 'user-delete', name }, done),
    userChangePassword: (name, password, done) => call({ op: 'user-change-password', name, password }, done),
    userGrantRole: (user, role, done) => call({ op: 'user-grant-role', user, role }, done),
    userRevokeRole: (name, role, done) => call({ op: 'user-revoke-role', name, role }, done),
    userGet: (name, done) => call({ op: 'user-get', name }, done),
    userList: (done) => call({ op: 'user-list' }, done),
    roleAdd: (name, done) => call({ op: 'role-add', name }, done),
    roleDelete: (role, done) => call({ op: 'role-delete', role }, done),
    roleGrantPermission: (role, key, rangeEnd, permType, done) => call({ op: 'role-grant-permission', name: role, perm: perm(key, rangeEnd, permType) }, done),
    roleRevokePermission: (role, key, rangeEnd, done) => call(rangeEnd === '' ? { op: 'role-revoke-permission', role, key } : { op: 'role-revoke-permission', role, key, rangeEnd }, done),
    roleGet: (role, done) => call({ op: 'role-get', role }, done),
    roleList: (done) => call({ op: 'role-list' }, done),
  };
}
