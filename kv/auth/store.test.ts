/**
 * The auth store against etcd's documented behaviour (server/auth/store.go and its tests,
 * Documentation "Role-based access control"): case by case, each error as etcd returns it.
 */
import { describe, expect, it } from 'vitest';
import type { KvResult } from '../api.js';
import { AuthStore, SIMPLE_TOKEN_TTL_US, hashPassword, isValidPermissionRange, type AuthInfo, type AuthRequest } from './store.js';

const ROOT: AuthInfo = { username: 'root', revision: 0 };
let index = 100;

function run(s: AuthStore, r: AuthRequest, info?: AuthInfo, nowUs = 0): KvResult<unknown> {
  index += 1;
  return s.apply(r, info, index, nowUs);
}

function code(res: KvResult<unknown> | undefined): string {
  if (res === undefined) return 'permitted';
  return res.ok ? 'ok' : res.error.code;
}

/** root with the root role, auth on, user `alice` with role `app` reading [a, c) and writing key `k`. */
function seeded(): AuthStore {
  const s = new AuthStore();
  expect(code(run(s, { op: 'user-add', name: 'root', hashedPassword: hashPassword('rootpw') }))).toBe('ok');
  expect(code(run(s, { op: 'user-grant-role', user: 'root', role: 'root' }))).toBe('ok');
  expect(code(run(s, { op: 'user-add', name: 'alice', hashedPassword: hashPassword('pw') }))).toBe('ok');
  expect(code(run(s, { op: 'role-add', name: 'app' }))).toBe('ok');
  expect(code(run(s, { op: 'role-grant-permission', name: 'app', perm: { permType: 'READ', key: 'a', rangeEnd: 'c' } }))).toBe('ok');
  expect(code(run(s, { op: 'role-grant-permission', name: 'app', perm: { permType: 'WRITE', key: 'k' } }))).toBe('ok');
  expect(code(run(s, { op: 'user-grant-role', user: 'alice', role: 'app' }))).toBe('ok');
  expect(code(run(s, { op: 'auth-enable' }))).toBe('ok');
  return s;
}

function login(s: AuthStore, name: string, nowUs = 0): AuthInfo {
  const res = run(s, { op: 'authenticate', name, hashedPassword: hashPassword(name === 'root' ? 'rootpw' : 'pw'), simpleToken: `tok${name}` }, undefined, nowUs);
  if (!res.ok) throw new Error(res.error.code);
  const info = s.infoFromToken((res.value as { token: string }).token, nowUs);
  if (!info.ok || info.value === undefined) throw new Error('token unknown');
  return info.value;
}

describe('AuthEnable / AuthDisable', () => {
  it('refuses to enable without a root user, or while root lacks the root role', () => {
    const s = new AuthStore();
    expect(code(run(s, { op: 'auth-enable' }))).toBe('RootUserNotExist');
    run(s, { op: 'user-add', name: 'root', hashedPassword: hashPassword('x') });
    expect(code(run(s, { op: 'auth-enable' }))).toBe('RootRoleNotExist');
    run(s, { op: 'user-grant-role', user: 'root', role: 'root' });
    expect(code(run(s, { op: 'auth-enable' }))).toBe('ok');
    expect(s.isEnabled()).toBe(true);
  });

  it('moves the revision on disable, not on enable; disabling drops every token', () => {
    const s = seeded();
    const rev = s.revision();
    expect(code(run(s, { op: 'auth-enable' }, ROOT))).toBe('ok');
    expect(s.revision()).toBe(rev);
    login(s, 'alice');
    expect(s.tokenCount()).toBe(1);
    expect(code(run(s, { op: 'auth-disable' }, { username: 'alice', revision: rev }))).toBe('PermissionDenied');
    expect(code(run(s, { op: 'auth-disable' }, ROOT))).toBe('ok');
    expect(s.revision()).toBe(rev + 1);
    expect(s.tokenCount()).toBe(0);
    expect(s.isEnabled()).toBe(false);
  });

  it('starts at revision 1, and every user, role or permission change moves it by one', () => {
    const s = new AuthStore();
    expect(s.revision()).toBe(1);
    run(s, { op: 'user-add', name: 'u', hashedPassword: hashPassword('p') });
    run(s, { op: 'role-add', name: 'r' });
    run(s, { op: 'user-grant-role', user: 'u', role: 'r' });
    run(s, { op: 'user-grant-role', user: 'u', role: 'r' }); // already granted: ok, no change
    expect(s.revision()).toBe(4);
  });
});

describe('users and roles', () => {
  it('returns etcd errors for empty, duplicate and missing names', () => {
    const s = new AuthStore();
    expect(code(run(s, { op: 'user-add', name: '' }))).toBe('UserEmpty');
    expect(code(run(s, { op: 'role-add', name: '' }))).toBe('RoleEmpty');
    run(s, { op: 'user-add', name: 'u', hashedPassword: hashPassword('p') });
    expect(code(run(s, { op: 'user-add', name: 'u', hashedPassword: hashPassword('p') }))).toBe('UserAlreadyExist');
    run(s, { op: 'role-add', name: 'r' });
    expect(code(run(s, { op: 'role-add', name: 'r' }))).toBe('RoleAlreadyExist');
    expect(code(run(s, { op: 'user-grant-role', user: 'nobody', role: 'r' }))).toBe('UserNotFound');
    expect(code(run(s, { op: 'user-grant-role', user: 'u', role: 'nope' }))).toBe('RoleNotFound');
    expect(code(run(s, { op: 'user-revoke-role', name: 'u', role: 'r' }))).toBe('RoleNotGranted');
    expect(code(run(s, { op: 'user-delete', name: 'nobody' }))).toBe('UserNotFound');
    expect(code(run(s, { op: 'role-delete', role: 'nope' }))).toBe('RoleNotFound');
    expect(code(run(s, { op: 'user-get', name: 'nobody' }))).toBe('UserNotFound');
    expect(code(run(s, { op: 'role-get', role: 'nope' }))).toBe('RoleNotFound');
    expect(code(run(s, { op: 'user-change-password', name: 'nobody', hashedPassword: 'x' }))).toBe('UserNotFound');
  });

  it('grants the root role though no role of that name exists, and lists users and roles sorted', () => {
    const s = new AuthStore();
    run(s, { op: 'user-add', name: 'zed', hashedPassword: hashPassword('p') });
    run(s, { op: 'user-add', name: 'amy', hashedPassword: hashPassword('p') });
    run(s, { op: 'role-add', name: 'w' });
    run(s, { op: 'role-add', name: 'b' });
    expect(code(run(s, { op: 'user-grant-role', user: 'zed', role: 'root' }))).toBe('ok');
    run(s, { op: 'user-grant-role', user: 'zed', role: 'b' });
    expect(run(s, { op: 'user-get', name: 'zed' })).toEqual({ ok: true, value: { roles: ['b', 'root'] } });
    expect(run(s, { op: 'user-list' })).toEqual({ ok: true, value: { users: ['amy', 'zed'] } });
    expect(run(s, { op: 'role-list' })).toEqual({ ok: true, value: { roles: ['b', 'w'] } });
  });

  it('deleting a role revokes it from every user', () => {
    const s = new AuthStore();
    run(s, { op: 'user-add', name: 'u', hashedPassword: hashPassword('p') });
    run(s, { op: 'role-add', name: 'r' });
    run(s, { op: 'user-grant-role', user: 'u', role: 'r' });
    expect(code(run(s, { op: 'role-delete', role: 'r' }))).toBe('ok');
    expect(run(s, { op: 'user-get', name: 'u' })).toEqual({ ok: true, value: { roles: [] } });
  });
});

describe('root rules once auth is on', () => {
  it('cannot delete root, revoke root from root, or delete the root role', () => {
    const s = seeded();
    expect(code(run(s, { op: 'user-delete', name: 'root' }, ROOT))).toBe('InvalidAuthMgmt');
    expect(code(run(s, { op: 'user-revoke-role', name: 'root', role: 'root' }, ROOT))).toBe('InvalidAuthMgmt');
    expect(code(run(s, { op: 'role-delete', role: 'root' }, ROOT))).toBe('InvalidAuthMgmt');
  });

  it('management needs the root role: no user = UserEmpty, unknown user = UserNotFound, else PermissionDenied', () => {
    const s = seeded();
    expect(code(run(s, { op: 'role-add', name: 'x' }))).toBe('UserEmpty');
    expect(code(run(s, { op: 'role-add', name: 'x' }, { username: 'ghost', revision: s.revision() }))).toBe('UserNotFound');
    expect(code(run(s, { op: 'role-add', name: 'x' }, { username: 'alice', revision: s.revision() }))).toBe('PermissionDenied');
    expect(code(run(s, { op: 'user-list' }, { username: 'alice', revision: s.revision() }))).toBe('PermissionDenied');
    expect(code(run(s, { op: 'role-add', name: 'x' }, ROOT))).toBe('ok');
  });

  it('a user may get itself and the roles it holds, nothing else', () => {
    const s = seeded();
    const alice = { username: 'alice', revision: s.revision() };
    expect(run(s, { op: 'user-get', name: 'alice' }, alice)).toEqual({ ok: true, value: { roles: ['app'] } });
    expect(code(run(s, { op: 'user-get', name: 'root' }, alice))).toBe('PermissionDenied');
    expect(run(s, { op: 'role-get', role: 'app' }, alice)).toEqual({
      ok: true,
      value: { perm: [{ permType: 'READ', key: 'a', rangeEnd: 'c' }, { permType: 'WRITE', key: 'k' }] },
    });
    expect(code(run(s, { op: 'role-get', role: 'root' }, alice))).toBe('PermissionDenied');
  });

  it('RoleGet of root shows the whole key space read-write', () => {
    const s = seeded();
    run(s, { op: 'role-add', name: 'root' }, ROOT);
    expect(run(s, { op: 'role-get', role: 'root' }, ROOT)).toEqual({ ok: true, value: { perm: [{ permType: 'READWRITE', key: '', rangeEnd: '\0' }] } });
  });
});

describe('permissions', () => {
  it('validates ranges as etcd: a key, and no end, a later end or the open end', () => {
    expect(isValidPermissionRange('', undefined)).toBe(false);
    expect(isValidPermissionRange('a', undefined)).toBe(true);
    expect(isValidPermissionRange('a', 'b')).toBe(true);
    expect(isValidPermissionRange('b', 'a')).toBe(false);
    expect(isValidPermissionRange('a', 'a')).toBe(false);
    expect(isValidPermissionRange('a', '\0')).toBe(true);
    const s = new AuthStore();
    run(s, { op: 'role-add', name: 'r' });
    expect(code(run(s, { op: 'role-grant-permission', name: 'r' }))).toBe('PermissionNotGiven');
    expect(code(run(s, { op: 'role-grant-permission', name: 'r', perm: { permType: 'READ', key: 'b', rangeEnd: 'a' } }))).toBe('InvalidAuthMgmt');
    expect(code(run(s, { op: 'role-grant-permission', name: 'nope', perm: { permType: 'READ', key: 'a' } }))).toBe('RoleNotFound');
  });

  it('a grant of the same range replaces its type; revoke needs the exact range', () => {
    const s = new AuthStore();
    run(s, { op: 'role-add', name: 'r' });
    run(s, { op: 'role-grant-permission', name: 'r', perm: { permType: 'READ', key: 'a', rangeEnd: 'b' } });
    run(s, { op: 'role-grant-permission', name: 'r', perm: { permType: 'READWRITE', key: 'a', rangeEnd: 'b' } });
    expect(run(s, { op: 'role-get', role: 'r' })).toEqual({ ok: true, value: { perm: [{ permType: 'READWRITE', key: 'a', rangeEnd: 'b' }] } });
    expect(code(run(s, { op: 'role-revoke-permission', role: 'r', key: 'a' }))).toBe('PermissionNotGranted');
    expect(code(run(s, { op: 'role-revoke-permission', role: 'nope', key: 'a' }))).toBe('RoleNotFound');
    expect(code(run(s, { op: 'role-revoke-permission', role: 'r', key: 'a', rangeEnd: 'b' }))).toBe('ok');
    expect(run(s, { op: 'role-get', role: 'r' })).toEqual({ ok: true, value: { perm: [] } });
  });

  it('checks points and ranges against the union of the user roles, by type', () => {
    const s = seeded();
    const alice = login(s, 'alice');
    expect(code(s.rangeDenied(alice, 'a'))).toBe('permitted');
    expect(code(s.rangeDenied(alice, 'bz'))).toBe('permitted');
    expect(code(s.rangeDenied(alice, 'c'))).toBe('PermissionDenied');
    expect(code(s.rangeDenied(alice, 'a', 'c'))).toBe('permitted');
    expect(code(s.rangeDenied(alice, 'a', 'd'))).toBe('PermissionDenied');
    expect(code(s.rangeDenied(alice, 'a', '\0'))).toBe('PermissionDenied');
    expect(code(s.rangeDenied(alice, 'k'))).toBe('PermissionDenied'); // WRITE only
    expect(code(s.putDenied(alice, 'k'))).toBe('permitted');
    expect(code(s.putDenied(alice, 'a'))).toBe('PermissionDenied'); // READ only
    expect(code(s.deleteDenied(alice, 'k', 'l'))).toBe('PermissionDenied'); // [k, l) is more than the key k
    const root = login(s, 'root');
    expect(code(s.deleteDenied(root, '\0', '\0'))).toBe('permitted');
  });

  it('merges touching ranges of different roles into one cover', () => {
    const s = seeded();
    run(s, { op: 'role-add', name: 'more' }, ROOT);
    run(s, { op: 'role-grant-permission', name: 'more', perm: { permType: 'READWRITE', key: 'c', rangeEnd: 'e' } }, ROOT);
    run(s, { op: 'user-grant-role', user: 'alice', role: 'more' }, ROOT);
    const alice = login(s, 'alice');
    expect(code(s.rangeDenied(alice, 'a', 'e'))).toBe('permitted');
    expect(code(s.rangeDenied(alice, 'a', 'e\0'))).toBe('PermissionDenied');
    expect(code(s.putDenied(alice, 'd'))).toBe('permitted');
  });

  it('is open to all with auth off, and UserEmpty for a request without a user when on', () => {
    const s = new AuthStore();
    expect(code(s.putDenied(undefined, 'x'))).toBe('permitted');
    const on = seeded();
    expect(code(on.putDenied(undefined, 'x'))).toBe('UserEmpty');
    expect(code(on.rangeDenied({ username: '', revision: 0 }, 'x'))).toBe('UserEmpty');
  });
});

describe('tokens and the auth revision', () => {
  it('authenticates only with auth on and a user with a password', () => {
    const s = new AuthStore();
    run(s, { op: 'user-add', name: 'np', noPassword: true });
    expect(code(run(s, { op: 'authenticate', name: 'np', hashedPassword: hashPassword(''), simpleToken: 't' }))).toBe('AuthNotEnabled');
    expect(code(s.checkPassword('np', 'x'))).toBe('AuthNotEnabled');
    const on = seeded();
    run(on, { op: 'user-add', name: 'np', noPassword: true }, ROOT);
    expect(code(run(on, { op: 'authenticate', name: 'np', hashedPassword: hashPassword(''), simpleToken: 't' }))).toBe('AuthFailed');
    expect(code(run(on, { op: 'authenticate', name: 'ghost', hashedPassword: hashPassword('pw'), simpleToken: 't' }))).toBe('AuthFailed');
    expect(code(on.checkPassword('np', 'x'))).toBe('NoPasswordUser');
    expect(code(on.checkPassword('alice', 'wrong'))).toBe('AuthFailed');
    expect(on.checkPassword('alice', 'pw')).toEqual({ ok: true, value: on.revision() });
  });

  it('names the token by prefix and entry index; unknown tokens are InvalidAuthToken', () => {
    const s = seeded();
    const res = s.apply({ op: 'authenticate', name: 'alice', hashedPassword: hashPassword('pw'), simpleToken: 'abc' }, undefined, 77, 0);
    expect(res).toEqual({ ok: true, value: { token: 'abc.77' } });
    expect(s.infoFromToken('abc.77', 0)).toEqual({ ok: true, value: { username: 'alice', revision: s.revision() } });
    expect(code(s.infoFromToken('abc.78', 0))).toBe('InvalidAuthToken');
    expect(s.infoFromToken(undefined, 0)).toEqual({ ok: true, value: undefined });
    // The digest is checked at apply too: a password changed after the proposer checked it fails here.
    expect(code(s.apply({ op: 'authenticate', name: 'alice', hashedPassword: hashPassword('old'), simpleToken: 'abc' }, undefined, 78, 0))).toBe('AuthFailed');
  });

  it('a request admitted under an older revision is refused with AuthOldRevision', () => {
    const s = seeded();
    const alice = login(s, 'alice');
    expect(code(s.putDenied(alice, 'k'))).toBe('permitted');
    run(s, { op: 'role-revoke-permission', role: 'app', key: 'k' }, ROOT);
    expect(code(s.putDenied(alice, 'k'))).toBe('AuthOldRevision');
    // A fresh request carries the new revision and meets the new rules.
    const again = login(s, 'alice');
    expect(code(s.putDenied(again, 'k'))).toBe('PermissionDenied');
  });

  it('invalidates a user tokens on delete and password change; expires them after the TTL unused', () => {
    const s = seeded();
    const a = s.apply({ op: 'authenticate', name: 'alice', hashedPassword: hashPassword('pw'), simpleToken: 'x' }, undefined, 500, 0);
    expect(a.ok).toBe(true);
    run(s, { op: 'user-change-password', name: 'alice', hashedPassword: hashPassword('new') }, ROOT);
    expect(code(s.infoFromToken('x.500', 0))).toBe('InvalidAuthToken');
    expect(code(s.checkPassword('alice', 'pw'))).toBe('AuthFailed');
    expect(s.checkPassword('alice', 'new').ok).toBe(true);
    s.apply({ op: 'authenticate', name: 'alice', hashedPassword: hashPassword('new'), simpleToken: 'y' }, undefined, 501, 0);
    expect(s.infoFromToken('y.501', SIMPLE_TOKEN_TTL_US).ok).toBe(true); // use resets the TTL
    expect(s.infoFromToken('y.501', 2 * SIMPLE_TOKEN_TTL_US).ok).toBe(true);
    expect(code(s.infoFromToken('y.501', 3 * SIMPLE_TOKEN_TTL_US + 1))).toBe('InvalidAuthToken');
    s.apply({ op: 'authenticate', name: 'alice', hashedPassword: hashPassword('new'), simpleToken: 'z' }, undefined, 502, 0);
    run(s, { op: 'user-delete', name: 'alice' }, ROOT);
    expect(code(s.infoFromToken('z.502', 0))).toBe('InvalidAuthToken');
  });
});

describe('snapshot', () => {
  it('round-trips the replicated state, not the tokens; a fresh store is pristine', () => {
    expect(new AuthStore().pristine()).toBe(true);
    const s = seeded();
    login(s, 'alice');
    const copy = new AuthStore();
    copy.replaceWith(s.toJSON());
    expect(copy.toJSON()).toEqual(s.toJSON());
    expect(copy.tokenCount()).toBe(0);
    expect(copy.pristine()).toBe(false);
    const alice = { username: 'alice', revision: copy.revision() };
    expect(code(copy.putDenied(alice, 'k'))).toBe('permitted');
    copy.replaceWith(undefined);
    expect(copy.pristine()).toBe(true);
  });
});
