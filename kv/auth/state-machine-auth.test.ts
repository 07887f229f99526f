/**
 * The auth applier inside the state machine: requests judged at apply by the auth store of that
 * entry (a header revision older than the store's is AuthOldRevision, etcd's check), refusals
 * change nothing, expiry revokes are not checked, and the auth state rides in the snapshot.
 */
import { describe, expect, it } from 'vitest';
import { KvStateMachine } from '../server/state-machine.js';
import { resolveServerOptions } from '../server/options.js';
import type { InternalRequest, RaftRequestHeader } from '../server/internal-request.js';
import { hashPassword } from './store.js';

function machine(): { sm: KvStateMachine; apply: (body: InternalRequest, header?: Partial<RaftRequestHeader>) => string } {
  const sm = new KvStateMachine(resolveServerOptions({}), () => 0, 1);
  let index = 0;
  const apply = (body: InternalRequest, header: Partial<RaftRequestHeader> = {}): string => {
    index++;
    const out = sm.apply(index, 1, { header: { id: index, memberId: 1, ...header }, body });
    return out.result.ok ? 'ok' : out.result.error.code;
  };
  return { sm, apply };
}

function seeded(): ReturnType<typeof machine> {
  const m = machine();
  const root = { username: 'root', authRevision: 1 };
  for (const r of [
    { op: 'user-add', name: 'root', hashedPassword: hashPassword('r') },
    { op: 'user-grant-role', user: 'root', role: 'root' },
    { op: 'user-add', name: 'bob', hashedPassword: hashPassword('b') },
    { op: 'role-add', name: 'rw' },
    { op: 'role-grant-permission', name: 'rw', perm: { permType: 'READWRITE', key: 'b/', rangeEnd: 'b0' } },
    { op: 'user-grant-role', user: 'bob', role: 'rw' },
    { op: 'auth-enable' },
  ] as const) expect(m.apply({ kind: 'auth', request: r }, root)).toBe('ok');
  return m;
}

describe('auth at apply', () => {
  it('judges each entry by the auth store at that entry: an older header revision is AuthOldRevision', () => {
    const { sm, apply } = seeded();
    const rev = sm.auth.revision();
    const bob = { username: 'bob', authRevision: rev };
    expect(apply({ kind: 'put', request: { key: 'b/1', value: 'x' } }, bob)).toBe('ok');
    expect(apply({ kind: 'put', request: { key: 'c', value: 'x' } }, bob)).toBe('PermissionDenied');
    expect(apply({ kind: 'put', request: { key: 'b/1', value: 'x' } })).toBe('UserEmpty');
    // Root changes the rules; bob's next request was admitted under the old revision.
    expect(apply({ kind: 'auth', request: { op: 'role-revoke-permission', role: 'rw', key: 'b/', rangeEnd: 'b0' } }, { username: 'root', authRevision: rev })).toBe('ok');
    expect(apply({ kind: 'put', request: { key: 'b/2', value: 'y' } }, bob)).toBe('AuthOldRevision');
    expect(apply({ kind: 'put', request: { key: 'b/2', value: 'y' } }, { username: 'bob', authRevision: sm.auth.revision() })).toBe('PermissionDenied');
    // Nothing refused reached the store: only b/1 exists.
    const all = sm.mvcc.range({ key: '\0', rangeEnd: '\0' });
    expect(all.ok && all.value.kvs.map((kv) => kv.key)).toEqual(['b/1']);
  });

  it('checks a txn whole (compares read, ops by type) and a user revoke of a lease with keys', () => {
    const { sm, apply } = seeded();
    const bob = { username: 'bob', authRevision: sm.auth.revision() };
    const root = { username: 'root', authRevision: sm.auth.revision() };
    expect(apply({ kind: 'txn', request: { compare: [{ target: 'VERSION', result: 'EQUAL', key: 'z', version: 0 }], success: [], failure: [] } }, bob)).toBe('PermissionDenied');
    expect(apply({ kind: 'txn', request: { compare: [], success: [{ type: 'put', request: { key: 'b/t', value: '1' } }], failure: [{ type: 'delete', request: { key: 'q' } }] } }, bob)).toBe('PermissionDenied');
    expect(apply({ kind: 'lease-grant', request: { id: 7, ttlS: 60 } }, root)).toBe('ok');
    expect(apply({ kind: 'put', request: { key: 'secret', value: 's', lease: 7 } }, root)).toBe('ok');
    expect(apply({ kind: 'put', request: { key: 'b/l', value: 's', lease: 7 } }, bob)).toBe('PermissionDenied'); // the lease holds a key bob may not write
    expect(apply({ kind: 'lease-revoke', request: { id: 7 } }, bob)).toBe('PermissionDenied');
    // The lessor's own expiry revoke (leaderTerm set) is not a user's request.
    expect(apply({ kind: 'lease-revoke', request: { id: 7 } }, { leaderTerm: 1 })).toBe('ok');
  });

  it('carries the auth store in the snapshot, and leaves it out while untouched', () => {
    const plain = machine();
    const image = plain.sm.snapshot();
    expect(new TextDecoder().decode(image)).not.toContain('"auth"');
    const { sm } = seeded();
    const copy = machine();
    expect(copy.sm.restore(sm.snapshot(), sm.appliedIndex).ok).toBe(true);
    expect(copy.sm.auth.toJSON()).toEqual(sm.auth.toJSON());
    expect(copy.sm.auth.isEnabled()).toBe(true);
  });
});
