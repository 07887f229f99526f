/**
 * The auth store (etcd server/auth/store.go, range_perm_cache.go, simple_token.go), written for
 * raftsim: users, roles, key-range permissions, the enabled flag and the auth revision — the
 * replicated part, changed only by applied entries and carried in the state machine's snapshot —
 * plus the member-local simple tokens, which etcd keeps in memory only (assigned when an
 * Authenticate entry is applied, lost on restart, expired by a TTL on the member's own clock).
 *
 * The revision starts at 1 and moves by one on every change of users, roles or permissions and on
 * AuthDisable (not on AuthEnable, as in etcd). A request carries the revision its member's store had
 * when the request arrived (the simple token's AuthInfo); a check at apply refuses it with
 * AuthOldRevision when the store has moved on since, so a request is judged by the rules of the
 * revision it was admitted under or not at all.
 *
 * Passwords are kept as a deterministic digest made by the proposing server (etcd keeps a bcrypt
 * hash made there): the simulation needs the equality, not the secrecy.
 */
import type { KvError, KvErrorCode, KvResult } from '../api.js';
import { fail, kvError, ok } from '../mvcc/errors.js';
import { assert } from '../../sim/assert.js';

/** A refusal of a check (a failed KvResult of any value type). */
export interface Denied {
  readonly ok: false;
  readonly error: KvError;
}

function deny(code: KvErrorCode): Denied {
  return { ok: false, error: kvError(code) };
}

export const ROOT_USER = 'root';
export const ROOT_ROLE = 'root';

export type PermType = 'READ' | 'WRITE' | 'READWRITE';

/** authpb.Permission: `rangeEnd` absent or '' = the one key, '\0' = every key ≥ key. */
export interface Permission {
  readonly permType: PermType;
  readonly key: string;
  readonly rangeEnd?: string;
}

export interface AuthUserJSON {
  readonly name: string;
  /** The password digest; null for a user added with `noPassword`. */
  readonly password: string | null;
  /** Sorted, no duplicates. */
  readonly roles: readonly string[];
}

export interface AuthRoleJSON {
  readonly name: string;
  /** Sorted by key (etcd's permSlice order). */
  readonly perms: readonly Permission[];
}

/** The replicated state: what the snapshot carries and what members must agree on. */
export interface AuthStoreJSON {
  readonly enabled: boolean;
  readonly revision: number;
  readonly users: readonly AuthUserJSON[];
  readonly roles: readonly AuthRoleJSON[];
}

/** Who sent a request, as the receiving member's token table said, and its auth revision then. */
export interface AuthInfo {
  readonly username: string;
  readonly revision: number;
}

/** The auth management requests that go through raft (etcd's InternalRaftRequest auth fields). */
export type AuthRequest =
  | { readonly op: 'auth-enable' }
  | { readonly op: 'auth-disable' }
  | { readonly op: 'auth-status' }
  /**
   * The proposer checked the password already (etcd ≥ 3.5); the digest is checked again at apply
   * (as etcd 3.4 did), so a password changed in between fails here rather than yield a token.
   * `simpleToken` is the token's prefix; the entry's index is added at apply.
   */
  | { readonly op: 'authenticate'; readonly name: string; readonly hashedPassword: string; readonly simpleToken: string }
  | { readonly op: 'user-add'; readonly name: string; readonly hashedPassword?: string; readonly noPassword?: boolean }
  | { readonly op: 'user-delete'; readonly name: string }
  | { readonly op: 'user-change-password'; readonly name: string; readonly hashedPassword: string }
  | { readonly op: 'user-grant-role'; readonly user: string; readonly role: string }
  | { readonly op: 'user-revoke-role'; readonly name: string; readonly role: string }
  | { readonly op: 'user-get'; readonly name: string }
  | { readonly op: 'user-list' }
  | { readonly op: 'role-add'; readonly name: string }
  | { readonly op: 'role-delete'; readonly role: string }
  | { readonly op: 'role-grant-permission'; readonly name: string; readonly perm?: Permission }
  | { readonly op: 'role-revoke-permission'; readonly role: string; readonly key: string; readonly rangeEnd?: string }
  | { readonly op: 'role-get'; readonly role: string }
  | { readonly op: 'role-list' };

export type AuthOp = AuthRequest['op'];

/** What an applied auth request answers (the fields etcd's responses carry, by op). */
export type AuthResult =
  | { readonly token: string }
  | { readonly enabled: boolean; readonly authRevision: number }
  | { readonly roles: readonly string[] }
  | { readonly users: readonly string[] }
  | { readonly perm: readonly Permission[] }
  | Readonly<Record<string, never>>;

/** etcd's needAdminPermission: these need the root role once auth is on. */
function needsAdmin(op: AuthOp): boolean {
  switch (op) {
    case 'auth-enable':
    case 'auth-disable':
    case 'auth-status':
    case 'user-add':
    case 'user-delete':
    case 'user-change-password':
    case 'user-grant-role':
    case 'user-revoke-role':
    case 'role-add':
    case 'role-grant-permission':
    case 'role-revoke-permission':
    case 'role-delete':
    case 'user-list':
    case 'role-list':
      return true;
    case 'authenticate':
    case 'user-get':
    case 'role-get':
      return false;
    default:
      op satisfies never;
      return true;
  }
}

/** The whole key space as a permission (etcd's rootPerm). */
const ROOT_PERM: Permission = { permType: 'READWRITE', key: '', rangeEnd: '\0' };

/** Simple tokens expire after this long without use (etcd's simpleTokenTTLDefault). */
export const SIMPLE_TOKEN_TTL_US = 300_000_000;

/** A bound on the member-local token table (tokens of deleted users are dropped at once). */
const TOKENS_MAX = 100_000;

/** Half-open [begin, end) with end null = unbounded: one merged piece of a user's permitted key space. */
interface Span {
  readonly begin: string;
  readonly end: string | null;
}

interface UserPerms {
  readonly read: readonly Span[];
  readonly write: readonly Span[];
}

/** A deterministic password digest (FNV-1a, two rounds, as hex): equal passwords, equal digests. */
export function hashPassword(password: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ password.length;
  for (let i = 0; i < password.length; i++) {
    const c = password.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ (c + i), 0x01000193) >>> 0;
  }
  return `fnv:${a.toString(16).padStart(8, '0')}${b.toString(16).padStart(8, '0')}`;
}

/** etcd's isValidPermissionRange: a key; and no end, an end after the key, or '\0' (open-ended). */
export function isValidPermissionRange(key: string, rangeEnd: string | undefined): boolean {
  if (key.length === 0) return false;
  if (rangeEnd === undefined || rangeEnd === '') return true;
  return key < rangeEnd || rangeEnd === '\0';
}

function spanOf(p: { readonly key: string; readonly rangeEnd?: string }): Span {
  if (p.rangeEnd === undefined || p.rangeEnd === '') return { begin: p.key, end: p.key + '\0' };
  if (p.rangeEnd === '\0') return { begin: p.key, end: null };
  return { begin: p.key, end: p.rangeEnd };
}

/** Sorted, overlapping and touching spans merged (the union etcd's interval tree answers on). */
function merge(spans: Span[]): Span[] {
  spans.sort((x, y) => (x.begin < y.begin ? -1 : x.begin > y.begin ? 1 : 0));
  const out: Span[] = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (last !== undefined && (last.end === null || s.begin <= last.end)) {
      const end = last.end === null || s.end === null ? null : last.end > s.end ? last.end : s.end;
      out[out.length - 1] = { begin: last.begin, end };
    } else {
      out.push(s);
    }
  }
  return out;
}

/** Whether the union `spans` covers the request's keys (a point: holds the key; a range: covers all of it). */
function covers(spans: readonly Span[], key: string, rangeEnd: string | undefined): boolean {
  if (rangeEnd === undefined || rangeEnd === '') {
    return spans.some((s) => s.begin <= key && (s.end === null || key < s.end));
  }
  const want = spanOf({ key, rangeEnd });
  for (const s of spans) {
    if (s.begin > want.begin) continue;
    if (s.end === null) return true;
    if (want.end !== null && want.end <= s.end) return true;
  }
  return false;
}

interface TokenEntry {
  readonly username: string;
  /** The member's clock when last used: the TTL counts from here. */
  lastUsedUs: number;
}

export class AuthStore {
  private enabled = false;
  private rev = 1;
  private readonly users = new Map<string, { password: string | null; roles: string[] }>();
  private readonly roles = new Map<string, Permission[]>();
  /** Per-user merged permissions, rebuilt lazily after a change (etcd's rangePermCache). */
  private readonly permCache = new Map<string, UserPerms>();
  /** Member-local simple tokens: never replicated, never in the snapshot. */
  private readonly tokens = new Map<string, TokenEntry>();

  isEnabled(): boolean {
    return this.enabled;
  }

  revision(): number {
    return this.rev;
  }

  /** True for a store no request has changed: the snapshot leaves it out. */
  pristine(): boolean {
    return !this.enabled && this.rev === 1 && this.users.size === 0 && this.roles.size === 0;
  }

  /**
   * Applies one auth request from an entry. `info` is the header's user and revision (undefined
   * for none); `index` is the entry's raft index (the simple token's suffix); `nowUs` the
   * member's clock (the token's TTL).
   */
  apply(r: AuthRequest, info: AuthInfo | undefined, index: number, nowUs: number): KvResult<AuthResult> {
    if (needsAdmin(r.op)) {
      const denied = this.adminDenied(info);
      if (denied !== undefined) return denied;
    }
    switch (r.op) {
      case 'auth-enable':
        return this.authEnable();
      case 'auth-disable':
        if (this.enabled) {
          this.enabled = false;
          this.commit();
          this.tokens.clear();
        }
        return ok({});
      case 'auth-status':
        return ok({ enabled: this.enabled, authRevision: this.rev });
      case 'authenticate':
        return this.authenticate(r.name, r.hashedPassword, `${r.simpleToken}.${index}`, nowUs);
      case 'user-add':
        return this.userAdd(r.name, r.hashedPassword, r.noPassword === true);
      case 'user-delete':
        if (this.enabled && r.name === ROOT_USER) return fail('InvalidAuthMgmt');
        if (!this.users.delete(r.name)) return fail('UserNotFound');
        this.commit();
        this.invalidateUser(r.name);
        return ok({});
      case 'user-change-password': {
        const u = this.users.get(r.name);
        if (u === undefined) return fail('UserNotFound');
        if (u.password !== null) u.password = r.hashedPassword;
        this.commit();
        this.invalidateUser(r.name);
        return ok({});
      }
      case 'user-grant-role': {
        const u = this.users.get(r.user);
        if (u === undefined) return fail('UserNotFound');
        if (r.role !== ROOT_ROLE && !this.roles.has(r.role)) return fail('RoleNotFound');
        if (u.roles.includes(r.role)) return ok({}); // already granted: etcd answers ok and changes nothing
        u.roles = [...u.roles, r.role].sort();
        this.commit();
        return ok({});
      }
      case 'user-revoke-role': {
        if (this.enabled && r.name === ROOT_USER && r.role === ROOT_ROLE) return fail('InvalidAuthMgmt');
        const u = this.users.get(r.name);
        if (u === undefined) return fail('UserNotFound');
        if (!u.roles.includes(r.role)) return fail('RoleNotGranted');
        u.roles = u.roles.filter((x) => x !== r.role);
        this.commit();
        return ok({});
      }
      case 'user-get': {
        // etcd's authApplierV3.UserGet: root, or the user asking about itself.
        const denied = this.adminDenied(info);
        if (denied !== undefined && r.name !== info?.username) return denied;
        const u = this.users.get(r.name);
        if (u === undefined) return fail('UserNotFound');
        return ok({ roles: [...u.roles] });
      }
      case 'user-list':
        return ok({ users: [...this.users.keys()].sort() });
      case 'role-add':
        if (r.name.length === 0) return fail('RoleEmpty');
        if (this.roles.has(r.name)) return fail('RoleAlreadyExist');
        this.roles.set(r.name, []);
        this.commit();
        return ok({});
      case 'role-delete': {
        if (this.enabled && r.role === ROOT_ROLE) return fail('InvalidAuthMgmt');
        if (!this.roles.delete(r.role)) return fail('RoleNotFound');
        for (const u of this.users.values()) u.roles = u.roles.filter((x) => x !== r.role);
        this.commit();
        return ok({});
      }
      case 'role-grant-permission':
        return this.grantPermission(r.name, r.perm);
      case 'role-revoke-permission': {
        const perms = this.roles.get(r.role);
        if (perms === undefined) return fail('RoleNotFound');
        const end = r.rangeEnd ?? '';
        const kept = perms.filter((p) => p.key !== r.key || (p.rangeEnd ?? '') !== end);
        if (kept.length === perms.length) return fail('PermissionNotGranted');
        this.roles.set(r.role, kept);
        this.commit();
        return ok({});
      }
      case 'role-get': {
        // etcd's authApplierV3.RoleGet: root, or a user holding the role.
        const denied = this.adminDenied(info);
        if (denied !== undefined && !this.hasRole(info?.username ?? '', r.role)) return denied;
        const perms = this.roles.get(r.role);
        if (perms === undefined) return fail('RoleNotFound');
        return ok({ perm: r.role === ROOT_ROLE ? [ROOT_PERM] : perms.map((p) => ({ ...p })) });
      }
      case 'role-list':
        return ok({ roles: [...this.roles.keys()].sort() });
      default:
        r satisfies never;
        return fail('InvalidAuthMgmt');
    }
  }

  private authEnable(): KvResult<AuthResult> {
    if (this.enabled) return ok({});
    const root = this.users.get(ROOT_USER);
    if (root === undefined) return fail('RootUserNotExist');
    if (!root.roles.includes(ROOT_ROLE)) return fail('RootRoleNotExist');
    this.enabled = true;
    return ok({});
  }

  private authenticate(name: string, hashedPassword: string, token: string, nowUs: number): KvResult<AuthResult> {
    if (!this.enabled) return fail('AuthNotEnabled');
    const u = this.users.get(name);
    if (u === undefined || u.password === null || u.password !== hashedPassword) return fail('AuthFailed');
    assert(!this.tokens.has(token), () => `auth: simple token ${token} assigned twice`);
    this.expireTokens(nowUs);
    assert(this.tokens.size < TOKENS_MAX, () => `auth: more than ${TOKENS_MAX} live simple tokens`);
    this.tokens.set(token, { username: name, lastUsedUs: nowUs });
    return ok({ token });
  }

  private userAdd(name: string, hashedPassword: string | undefined, noPassword: boolean): KvResult<AuthResult> {
    if (name.length === 0) return fail('UserEmpty');
    if (this.users.has(name)) return fail('UserAlreadyExist');
    this.users.set(name, { password: noPassword ? null : (hashedPassword ?? hashPassword('')), roles: [] });
    this.commit();
    return ok({});
  }

  private grantPermission(role: string, perm: Permission | undefined): KvResult<AuthResult> {
    if (perm === undefined) return fail('PermissionNotGiven');
    if (!isValidPermissionRange(perm.key, perm.rangeEnd)) return fail('InvalidAuthMgmt');
    const perms = this.roles.get(role);
    if (perm.permType !== 'READ' && perm.permType !== 'WRITE' && perm.permType !== 'READWRITE') return fail('InvalidAuthMgmt');
    if (perms === undefined) return fail('RoleNotFound');
    const end = perm.rangeEnd ?? '';
    const same = perms.findIndex((p) => p.key === perm.key && (p.rangeEnd ?? '') === end);
    const stored: Permission = end === '' ? { permType: perm.permType, key: perm.key } : { permType: perm.permType, key: perm.key, rangeEnd: end };
    const next = same >= 0 ? perms.map((p, i) => (i === same ? stored : p)) : [...perms, stored];
    next.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    this.roles.set(role, next);
    this.commit();
    return ok({});
  }

  /** etcd's commitRevision: every change moves the revision; the permission cache is rebuilt lazily. */
  private commit(): void {
    this.rev += 1;
    this.permCache.clear();
  }

  private hasRole(username: string, role: string): boolean {
    return this.users.get(username)?.roles.includes(role) === true;
  }

  /** etcd's IsAdminPermitted: undefined when permitted (or auth is off), else the refusal. No revision check. */
  adminDenied(info: AuthInfo | undefined): Denied | undefined {
    if (!this.enabled) return undefined;
    if (info === undefined || info.username === '') return deny('UserEmpty');
    const u = this.users.get(info.username);
    if (u === undefined) return deny('UserNotFound');
    if (!u.roles.includes(ROOT_ROLE)) return deny('PermissionDenied');
    return undefined;
  }

  isAdmin(info: AuthInfo | undefined): boolean {
    return this.adminDenied(info) === undefined;
  }

  /** etcd's isOpPermitted: undefined when `info` may do `kind` on [key, rangeEnd), else the refusal. */
  opDenied(info: AuthInfo | undefined, key: string, rangeEnd: string | undefined, kind: 'READ' | 'WRITE'): Denied | undefined {
    if (!this.enabled) return undefined;
    if (info === undefined || info.revision === 0) return deny('UserEmpty');
    if (info.revision < this.rev) return deny('AuthOldRevision');
    const u = this.users.get(info.username);
    if (u === undefined) return deny('PermissionDenied');
    if (u.roles.includes(ROOT_ROLE)) return undefined;
    const perms = this.permsOf(info.username, u.roles);
    return covers(kind === 'READ' ? perms.read : perms.write, key, rangeEnd) ? undefined : deny('PermissionDenied');
  }

  rangeDenied(info: AuthInfo | undefined, key: string, rangeEnd?: string): Denied | undefined {
    return this.opDenied(info, key, rangeEnd, 'READ');
  }

  putDenied(info: AuthInfo | undefined, key: string): Denied | undefined {
    return this.opDenied(info, key, undefined, 'WRITE');
  }

  deleteDenied(info: AuthInfo | undefined, key: string, rangeEnd?: string): Denied | undefined {
    return this.opDenied(info, key, rangeEnd, 'WRITE');
  }

  private permsOf(username: string, roles: readonly string[]): UserPerms {
    const cached = this.permCache.get(username);
    if (cached !== undefined) return cached;
    const read: Span[] = [];
    const write: Span[] = [];
    for (const role of roles) {
      for (const p of this.roles.get(role) ?? []) {
        const s = spanOf(p);
        if (p.permType !== 'WRITE') read.push(s);
        if (p.permType !== 'READ') write.push(s);
      }
    }
    const perms = { read: merge(read), write: merge(write) };
    this.permCache.set(username, perms);
    return perms;
  }

  /**
   * The proposer's password check (etcd's CheckPassword): the auth revision it was checked at, or
   * the refusal. The server proposes Authenticate only after it passes.
   */
  checkPassword(name: string, password: string): KvResult<number> {
    if (!this.enabled) return fail('AuthNotEnabled');
    const u = this.users.get(name);
    if (u === undefined) return fail('AuthFailed');
    if (u.password === null) return fail('NoPasswordUser');
    if (u.password !== hashPassword(password)) return fail('AuthFailed');
    return ok(this.rev);
  }

  /**
   * The sender of a request carrying `token`, as etcd's AuthInfoFromCtx finds it: undefined with
   * auth off or no token; InvalidAuthToken for a token this member does not know (never assigned
   * here, expired, invalidated, or of an Authenticate not yet applied here — etcd waits for that
   * index instead). The revision is this member's auth revision now, as etcd's simple token gives.
   */
  infoFromToken(token: string | undefined, nowUs: number): KvResult<AuthInfo | undefined> {
    if (!this.enabled || token === undefined) return ok(undefined);
    const t = this.tokens.get(token);
    if (t === undefined || nowUs - t.lastUsedUs > SIMPLE_TOKEN_TTL_US) {
      this.tokens.delete(token);
      return fail('InvalidAuthToken');
    }
    t.lastUsedUs = nowUs;
    return ok({ username: t.username, revision: this.rev });
  }

  private invalidateUser(name: string): void {
    for (const [k, t] of this.tokens) if (t.username === name) this.tokens.delete(k);
  }

  private expireTokens(nowUs: number): void {
    for (const [k, t] of this.tokens) if (nowUs - t.lastUsedUs > SIMPLE_TOKEN_TTL_US) this.tokens.delete(k);
  }

  /** Live simple tokens on this member (for tests and stats). */
  tokenCount(): number {
    return this.tokens.size;
  }

  /** Forgets every token (a restart: etcd keeps them in memory only). */
  dropTokens(): void {
    this.tokens.clear();
  }

  toJSON(): AuthStoreJSON {
    return {
      enabled: this.enabled,
      revision: this.rev,
      users: [...this.users.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, u]) => ({ name, password: u.password, roles: [...u.roles] })),
      roles: [...this.roles.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, perms]) => ({ name, perms: perms.map((p) => ({ ...p })) })),
    };
  }

  /**
   * Replaces the replicated state with a snapshot's (etcd's Recover). Tokens stay: they are this
   * member's, and a token of a deleted user simply finds no user (PermissionDenied), as in etcd.
   */
  replaceWith(j: AuthStoreJSON | undefined): void {
    this.users.clear();
    this.roles.clear();
    this.permCache.clear();
    const wasEnabled = this.enabled;
    this.enabled = j?.enabled ?? false;
    this.rev = j?.revision ?? 1;
    for (const u of j?.users ?? []) this.users.set(u.name, { password: u.password, roles: [...u.roles] });
    for (const r of j?.roles ?? []) this.roles.set(r.name, r.perms.map((p) => ({ ...p })));
    if (wasEnabled && !this.enabled) this.tokens.clear();
  }
}
