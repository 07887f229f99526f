/**
 * Leases: etcd lessor behaviours case by case, then a random run of grants, leased puts, keepalives,
 * leader changes and expiry-driven revokes checked against a plain model of which keys must exist.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KvResult, WatchEvent, WatchResponse } from '../api.js';
import { US_PER_S, ms, seconds } from '../../sim/time.js';
import { createMvccStore, type MvccStore } from '../mvcc/store.js';
import { createWatchHub } from '../watch/watchable-store.js';
import { createLessor, minLeaseTtlS, type Lessor } from './lessor.js';

function value<T>(res: KvResult<T>): T {
  if (!res.ok) throw new Error(`expected ok, got ${res.error.code}`);
  return res.value;
}

function wired(options: Parameters<typeof createLessor>[0] = {}): { lessor: Lessor; store: MvccStore } {
  const lessor = createLessor(options);
  const store = createMvccStore({ leaseExists: (id) => lessor.exists(id) });
  lessor.bind(store);
  return { lessor, store };
}

describe('grant (lessor.Grant)', () => {
  it('raises a TTL below the minimum, refuses id 0, a taken id and a TTL above the maximum', () => {
    const { lessor } = wired({ minTtlS: 5 });
    expect(value(lessor.grant(1, 2, 0))).toEqual({ id: 1, ttlS: 5 });
    expect(value(lessor.grant(2, 60, 0))).toEqual({ id: 2, ttlS: 60 });
    expect(lessor.grant(0, 60, 0)).toMatchObject({ ok: false, error: { code: 'LeaseNotFound' } });
    expect(lessor.grant(1, 60, 0)).toMatchObject({ ok: false, error: { code: 'LeaseExist' } });
    expect(lessor.grant(3, 9_000_000_001, 0)).toMatchObject({ ok: false, error: { code: 'LeaseTTLTooLarge' } });
    expect(lessor.leases()).toEqual([1, 2]);
  });

  it('computes the minimum TTL as etcd: ceil((3·electionTicks/2)·tick)', () => {
    expect(minLeaseTtlS(10, ms(100))).toBe(2);
    expect(minLeaseTtlS(5, ms(100))).toBe(1); // (15 / 2 → 7) · 100 ms = 0.7 s → 1
    expect(minLeaseTtlS(50, ms(100))).toBe(8);
  });

  it('a put with an unknown lease is refused by the store', () => {
    const { store } = wired();
    expect(store.put({ key: 'a', value: '1', lease: 9 })).toMatchObject({ ok: false, error: { code: 'LeaseNotFound' } });
  });
});

describe('revoke (lessor.Revoke)', () => {
  it('deletes every attached key in one revision, in key order, and forgets the lease', () => {
    const { lessor, store } = wired();
    const log: WatchResponse[] = [];
    const hub = createWatchHub({ store });
    hub.openStream((r) => log.push(r)).watch({ key: '\0', rangeEnd: '\0' });
    value(lessor.grant(7, 10, 0));
    for (const key of ['c', 'a', 'b']) value(store.put({ key, value: 'v', lease: 7 }));
    value(store.put({ key: 'free', value: 'v' }));
    value(store.put({ key: 'b', value: 'moved' })); // a put without the lease detaches it
    const rev = store.rev();
    expect(value(lessor.revoke(7))).toEqual({ deleted: 2 });
    expect(store.rev()).toBe(rev + 1);
    const last = log.at(-1) as WatchResponse;
    expect(last.events.map((e: WatchEvent) => [e.type, e.kv.key, e.kv.modRevision])).toEqual([['DELETE', 'a', rev + 1], ['DELETE', 'c', rev + 1]]);
    expect(value(store.range({ key: '\0', rangeEnd: '\0' })).kvs.map((kv) => kv.key)).toEqual(['b', 'free']);
    expect(lessor.exists(7)).toBe(false);
    expect(lessor.revoke(7)).toMatchObject({ ok: false, error: { code: 'LeaseNotFound' } });
    lessor.checkInvariants();
  });

  it('a lease with no keys is revoked without taking a revision', () => {
    const { lessor, store } = wired();
    value(lessor.grant(1, 10, 0));
    expect(value(lessor.revoke(1))).toEqual({ deleted: 0 });
    expect(store.rev()).toBe(1);
  });
});

describe('expiry on the primary', () => {
  it('only the primary sees expiries; it lists a lease once, then again after the retry interval', () => {
    const { lessor } = wired();
    value(lessor.grant(1, 10, 0));
    expect(lessor.expired(seconds(100))).toEqual([]); // follower: held forever
    lessor.promote(seconds(100), seconds(1)); // expires at 100 + 1 + 10
    expect(lessor.expired(seconds(111) - 1)).toEqual([]);
    expect(lessor.expired(seconds(111))).toEqual([1]);
    expect(lessor.expired(seconds(112))).toEqual([]); // its revoke is in flight
    expect(lessor.expired(seconds(114))).toEqual([1]); // not revoked after 3 s: list it again
  });

  it('keepalive restores the full TTL; an expired lease is not renewed (etcd PR #20616)', () => {
    const { lessor } = wired();
    value(lessor.grant(1, 10, 0));
    expect(lessor.renew(1, 0)).toMatchObject({ ok: false, error: { code: 'NotLeader' } });
    lessor.promote(0, 0);
    expect(lessor.renew(1, seconds(9))).toEqual({ ok: true, value: { ttlS: 10 } });
    expect(lessor.expired(seconds(18))).toEqual([]);
    expect(value(lessor.timeToLive(1, seconds(18) + 500_000))).toMatchObject({ ttlS: 0, grantedTtlS: 10 });
    expect(lessor.renew(1, seconds(19))).toMatchObject({ ok: false, error: { code: 'LeaseNotFound' }, pendingRevoke: true });
    expect(lessor.renew(2, seconds(19))).toMatchObject({ ok: false, error: { code: 'LeaseNotFound' } });
  });

  it('promote refreshes every lease to its full TTL plus the extension; demote holds them forever', () => {
    const { lessor } = wired();
    value(lessor.grant(1, 10, 0));
    value(lessor.grant(2, 30, 0));
    lessor.promote(0, 0);
    lessor.demote();
    expect(lessor.timeToLive(1, seconds(50))).toMatchObject({ ok: false, error: { code: 'NotLeader' } });
    lessor.promote(seconds(50), seconds(2)); // a new leader, 50 s later: nothing expired yet
    expect(value(lessor.timeToLive(1, seconds(50))).ttlS).toBe(12);
    expect(value(lessor.timeToLive(2, seconds(50))).ttlS).toBe(32);
    expect(lessor.expired(seconds(61))).toEqual([]);
    expect(lessor.expired(seconds(62))).toEqual([1]);
  });

  it('promote refreshes leases even when they were already counting down', () => {
    const { lessor } = wired();
    value(lessor.grant(1, 10, 0));
    lessor.promote(0, 0);
    lessor.promote(seconds(8), 0);
    expect(value(lessor.timeToLive(1, seconds(8))).ttlS).toBe(10);
  });

  it('timeToLive lists the keys, sorted', () => {
    const { lessor, store } = wired();
    value(lessor.grant(1, 10, 0));
    for (const key of ['z', 'm']) value(store.put({ key, value: '', lease: 1 }));
    lessor.promote(0, 0);
    expect(value(lessor.timeToLive(1, seconds(3), true))).toEqual({ id: 1, ttlS: 7, grantedTtlS: 10, keys: ['m', 'z'] });
  });

  it('spreads a pile-up of expiries on promote, as etcd does with ≥ revokeRate leases', () => {
    const { lessor } = wired({ revokeRatePerS: 8 }); // ≤ 6 expiries per second
    for (let id = 1; id <= 12; id++) value(lessor.grant(id, 10, 0));
    lessor.promote(0, 0);
    const perSecond = [10, 11, 12].map((s) => lessor.expired(seconds(s) + 999_999, 100).length);
    expect(perSecond[0]).toBe(6);
    expect(perSecond.reduce((a, b) => a + b, 0)).toBe(12);
  });
});

describe('snapshot and restore', () => {
  it('restores leases, re-derives attachments from the store, and holds them until promote', () => {
    const { lessor, store } = wired();
    value(lessor.grant(1, 10, 0));
    value(lessor.grant(2, 20, 0));
    value(store.put({ key: 'a', value: '', lease: 1 }));
    const copy = wired();
    expect(copy.lessor.restore(lessor.snapshot())).toEqual({ ok: true, value: undefined });
    expect(copy.store.restore(store.snapshot()).ok).toBe(true);
    expect(copy.lessor.leases()).toEqual([1, 2]);
    copy.lessor.checkInvariants();
    expect(value(copy.lessor.revoke(1))).toEqual({ deleted: 1 });
    const damaged = new TextEncoder().encode('raftsim-lease/1 0\n{}');
    expect(copy.lessor.restore(damaged)).toMatchObject({ ok: false, error: { code: 'Corrupt' } });
  });
});

type LeaseAction =
  | { readonly type: 'grant'; readonly lease: number; readonly ttlS: number }
  | { readonly type: 'put'; readonly key: string; readonly lease: number }
  | { readonly type: 'keepalive'; readonly lease: number }
  | { readonly type: 'advance'; readonly ms: number }
  | { readonly type: 'revoke'; readonly lease: number }
  | { readonly type: 'leaderChange' };

const leaseActionArb: fc.Arbitrary<LeaseAction> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ lease: fc.integer({ min: 1, max: 4 }), ttlS: fc.integer({ min: 1, max: 8 }) }).map((a): LeaseAction => ({ type: 'grant', ...a })) },
  { weight: 4, arbitrary: fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd', 'e'), lease: fc.integer({ min: 0, max: 4 }) }).map((a): LeaseAction => ({ type: 'put', ...a })) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 4 }).map((lease): LeaseAction => ({ type: 'keepalive', lease })) },
  { weight: 4, arbitrary: fc.integer({ min: 100, max: 4000 }).map((n): LeaseAction => ({ type: 'advance', ms: n })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }).map((lease): LeaseAction => ({ type: 'revoke', lease })) },
  { weight: 1, arbitrary: fc.constant<LeaseAction>({ type: 'leaderChange' }) },
);

describe('leases over random runs', () => {
  it('keys vanish in one revision on revoke or expiry; a lease renewed in time never expires', () => {
    fc.assert(
      fc.property(fc.array(leaseActionArb, { minLength: 1, maxLength: 80, size: '+1' }), (actions) => {
        const { lessor, store } = wired({ minTtlS: 2 });
        const revisions: number[] = []; // revision of every write txn carrying a DELETE
        store.observe({ onWrite: (rev, evs) => { if (evs.some((e) => e.type === 'DELETE')) revisions.push(rev); } });
        let now = 0;
        lessor.promote(now, 0);
        /** The last moment each lease was granted or renewed, with its TTL: it must not expire before that + TTL. */
        const fresh = new Map<number, { atUs: number; ttlS: number }>();
        const revokeExpired = (): void => {
          for (const id of lessor.expired(now)) {
            const f = fresh.get(id);
            expect(f === undefined || now >= f.atUs + f.ttlS * US_PER_S, `lease ${id} expired at ${now} though renewed at ${f?.atUs}`).toBe(true);
            revokeAndCheck(id);
          }
        };
        const revokeAndCheck = (id: number): void => {
          const attached = value(store.range({ key: '\0', rangeEnd: '\0' })).kvs.filter((kv) => kv.lease === id).map((kv) => kv.key);
          const before = revisions.length;
          const res = lessor.revoke(id);
          if (!res.ok) return;
          expect(res.value.deleted).toBe(attached.length);
          expect(revisions.length - before).toBe(attached.length > 0 ? 1 : 0); // all in one revision
          const left = value(store.range({ key: '\0', rangeEnd: '\0' })).kvs.filter((kv) => attached.includes(kv.key));
          expect(left).toEqual([]);
          fresh.delete(id);
        };
        for (const a of actions) {
          switch (a.type) {
            case 'grant': {
              const res = lessor.grant(a.lease, a.ttlS, now);
              if (res.ok) fresh.set(a.lease, { atUs: now, ttlS: res.value.ttlS });
              break;
            }
            case 'put': store.put({ key: a.key, value: 'v', lease: a.lease }); break;
            case 'keepalive': {
              const res = lessor.renew(a.lease, now);
              if (res.ok) fresh.set(a.lease, { atUs: now, ttlS: res.value.ttlS });
              break;
            }
            case 'advance': now += ms(a.ms); revokeExpired(); break;
            case 'revoke': revokeAndCheck(a.lease); break;
            case 'leaderChange':
              lessor.demote();
              expect(lessor.expired(now + seconds(1000))).toEqual([]);
              lessor.promote(now, ms(500));
              for (const [id, f] of fresh) fresh.set(id, { atUs: now + ms(500), ttlS: f.ttlS });
              break;
          }
          lessor.checkInvariants();
        }
      }),
      { numRuns: 150 },
    );
  });
});
