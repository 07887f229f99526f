/**
 * Auth on a real three-member cluster: requests go through raft, are checked at apply against the
 * auth store of that entry, and the answers are etcd's errors. Also: every member holds the same
 * auth state, a snapshot carries it to a lagging member, and a stale token revision is refused.
 */
import { describe, expect, it } from 'vitest';
import { answerWaiter, createTestCluster, realNodeBuilder, type TestCluster } from '../testing/cluster-harness.js';
import type { CallOutcome, KvClient } from '../client/client.js';
import { authClient, type AuthClient } from '../client/auth.js';
import type { Method, RequestOf } from '../wire.js';

function setup(seed: number): { c: TestCluster; wait: <T>(f: (done: (o: T) => void) => void) => T } {
  const c = createTestCluster({ members: 3, node: realNodeBuilder('readindex', { snapshotCount: 40, catchUpEntries: 10 }), seed });
  c.runUntil(() => c.leader() !== undefined, 10_000_000);
  c.run(500_000);
  const wait = answerWaiter(c);
  return { c, wait };
}

const code = (o: CallOutcome): string => (o.status === 'ok' ? 'ok' : o.error.code);

function kv<M extends Method>(wait: ReturnType<typeof setup>['wait'], client: KvClient, method: M, request: RequestOf<M>): CallOutcome<M> {
  return wait<CallOutcome<M>>((d) => client.call(method, request, d, { record: false }));
}

/** root (root role), auth on; `alice` may read [a, c) and write `k`. */
function seed(wait: ReturnType<typeof setup>['wait'], admin: AuthClient): void {
  const steps: ((d: (o: CallOutcome<'auth'>) => void) => void)[] = [
    (d) => admin.userAdd('root', 'rootpw', d),
    (d) => admin.userGrantRole('root', 'root', d),
    (d) => admin.userAdd('alice', 'pw', d),
    (d) => admin.roleAdd('app', d),
    (d) => admin.roleGrantPermission('app', 'a', 'c', 'READ', d),
    (d) => admin.roleGrantPermission('app', 'k', '', 'WRITE', d),
    (d) => admin.userGrantRole('alice', 'app', d),
    (d) => admin.authEnable(d),
  ];
  for (const s of steps) expect(code(wait(s))).toBe('ok');
}

describe('auth on a cluster', () => {
  it('refuses without a token, checks permissions at apply, and lets root do anything', () => {
    const { c, wait } = setup(3);
    const anon = c.addClient({ endpoints: [1, 2, 3] });
    seed(wait, authClient(anon));
    expect(code(kv(wait, anon, 'put', { key: 'k', value: 'v' }))).toBe('UserEmpty');
    expect(code(kv(wait, anon, 'range', { key: 'a' }))).toBe('UserEmpty');
    expect(code(wait((d) => authClient(anon).roleAdd('x', d)))).toBe('UserEmpty');
    expect(code(wait((d) => authClient(anon).authenticate('alice', 'wrong', d)))).toBe('AuthFailed');

    const alice = c.addClient({ endpoints: [1, 2, 3], auth: { name: 'alice', password: 'pw' } });
    expect(code(kv(wait, alice, 'put', { key: 'k', value: 'v1' }))).toBe('ok');
    expect(alice.authToken).toMatch(/^m\di\d+t\d+\.\d+$/);
    expect(code(kv(wait, alice, 'put', { key: 'a', value: 'x' }))).toBe('PermissionDenied');
    expect(code(kv(wait, alice, 'range', { key: 'k' }))).toBe('PermissionDenied');
    expect(code(kv(wait, alice, 'range', { key: 'a', rangeEnd: 'c' }))).toBe('ok');
    expect(code(kv(wait, alice, 'range', { key: 'a', rangeEnd: 'd' }))).toBe('PermissionDenied');
    expect(code(kv(wait, alice, 'txn', { compare: [], success: [{ type: 'put', request: { key: 'k', value: 'v2', prevKv: true } }], failure: [] }))).toBe('PermissionDenied');
    expect(code(kv(wait, alice, 'delete', { key: 'k' }))).toBe('ok');
    expect(code(kv(wait, alice, 'defragment', {}))).toBe('PermissionDenied');
    expect(code(wait((d) => authClient(alice).userList(d)))).toBe('PermissionDenied');

    const root = c.addClient({ endpoints: [1, 2, 3], auth: { name: 'root', password: 'rootpw' } });
    expect(code(kv(wait, root, 'put', { key: 'zzz', value: '1' }))).toBe('ok');
    expect(wait<CallOutcome<'auth'>>((d) => authClient(root).userList(d))).toMatchObject({ status: 'ok', response: { users: ['alice', 'root'] } });
    expect(code(wait((d) => authClient(root).userDelete('root', d)))).toBe('InvalidAuthMgmt');
    // Refused writes changed nothing: the key alice may not write was never written.
    c.run(500_000);
    const hashes = c.liveMembers().map((m) => m.hashKV());
    expect(new Set(hashes.map((h) => JSON.stringify(h))).size).toBe(1);
    expect(new Set(c.liveMembers().map((m) => JSON.stringify(m.server.auth().toJSON()))).size).toBe(1);
  });

  it('a permission revoked after the token was issued binds the next call at once (a simple token takes the member revision when the call arrives)', () => {
    const { c, wait } = setup(5);
    const anon = c.addClient({ endpoints: [1, 2, 3] });
    seed(wait, authClient(anon));
    const alice = c.addClient({ endpoints: [1], auth: { name: 'alice', password: 'pw' } });
    expect(code(kv(wait, alice, 'put', { key: 'k', value: '1' }))).toBe('ok');
    const root = c.addClient({ endpoints: [1], auth: { name: 'root', password: 'rootpw' } });
    expect(code(wait((d) => authClient(root).roleRevokePermission('app', 'k', '', d)))).toBe('ok');
    expect(code(kv(wait, alice, 'put', { key: 'k', value: '2' }))).toBe('PermissionDenied');
    // A token issued before a grant carries the grant's revision on its next call.
    const bare = c.addClient({ endpoints: [1] });
    expect(code(wait((d) => authClient(bare).authenticate('alice', 'pw', d)))).toBe('ok');
    expect(code(wait((d) => authClient(root).roleGrantPermission('app', 'k', '', 'WRITE', d)))).toBe('ok');
    expect(code(kv(wait, bare, 'put', { key: 'k', value: '3' }))).toBe('ok'); // the token's revision is read when the call arrives
    const before = c.member(1)!.server.auth().revision();
    expect(before).toBeGreaterThan(1);
  });

  it('tokens are per member: a token from member 1 is unknown to a member that has not applied its Authenticate', () => {
    const { c, wait } = setup(7);
    const anon = c.addClient({ endpoints: [1, 2, 3] });
    seed(wait, authClient(anon));
    const one = c.addClient({ endpoints: [1] });
    expect(code(wait((d) => authClient(one).authenticate('alice', 'pw', d)))).toBe('ok');
    c.run(500_000);
    // Applied everywhere: every member knows the token (assigned at apply).
    for (const m of c.liveMembers()) expect(m.server.auth().tokenCount()).toBe(1);
    const two = c.addClient({ endpoints: [2] });
    two.authToken = 'bogus.1';
    expect(code(kv(wait, two, 'range', { key: 'a' }))).toBe('InvalidAuthToken');
    two.authToken = one.authToken;
    expect(code(kv(wait, two, 'range', { key: 'a' }))).toBe('ok');
  });
});
