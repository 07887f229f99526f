/**
 * clientv3/concurrency's Mutex: a lock made of keys under a prefix, one per waiting session, each
 * attached to its session's lease. The oldest key (lowest create revision) holds the lock.
 *
 *   const m = new Mutex(client, session, 'lock/r');
 *   m.lock((r) => { if (r.ok) { … r.token … ; m.unlock(() => …) } });
 *   m.isOwner();          // the Txn guard that fences a write: CreateRevision(myKey) = token
 *
 * As clientv3 does it (client/v3/concurrency/mutex.go):
 * 1. One Txn: if `myKey` (= prefix/ + the lease id in hex) has create revision 0, put it with the
 *    lease and read the owner (the key of the prefix with the lowest create revision); else read
 *    `myKey` and the owner. `token` is the header revision (a fresh put) or myKey's create revision
 *    (a retry that finds its key). If the owner is `myKey`, the lock is held.
 * 2. Else wait until every key created before `myKey` is gone: read the newest of them
 *    (max create revision token − 1), watch it from the read's revision until it is deleted,
 *    and again, until the read finds none.
 * 3. Read `myKey`: gone (the session's lease ran out while waiting) is ErrSessionExpired.
 * `unlock` deletes `myKey`. Every call is recorded in the history; the watches are not calls.
 *
 * What the lock promises is what etcd's keys promise: at the revision a holder's acquisition was
 * decided (`acquiredRevision`), its key was the oldest. Nothing stops a holder whose lease has
 * since expired — paused, partitioned, or just slow — from going on as if it held the lock; only
 * the resource can refuse it, by checking the holder's token (`isOwner()` in the same Txn as the
 * write, or a fencing token the resource compares).
 */
import { prefixEnd, type Compare, type KeyValue, type RangeRequest } from '../../api.js';
import { assert } from '../../../sim/assert.js';
import type { KvClient } from '../client.js';
import { waitDeletes } from './wait-deletes.js';
import type { Session } from './session.js';

export type LockResult =
  | {
      readonly ok: true;
      /** myKey's create revision: the fencing token. */
      readonly token: number;
      /** The revision at which the lock was found held by this key. */
      readonly acquiredRevision: number;
    }
  | { readonly ok: false; readonly reason: 'session-expired' | 'call-failed'; readonly detail: string };

export class Mutex {
  private readonly pfx: string;
  private myKey = '';
  private myRev = 0;
  private busy = false;

  constructor(
    private readonly client: KvClient,
    private readonly session: Session,
    prefix: string,
  ) {
    this.pfx = `${prefix}/`;
  }

  /** The key this session queues with ('' before the first lock). */
  get key(): string {
    return this.myKey;
  }

  /** The fencing token of the last acquisition (0 if none). */
  get token(): number {
    return this.myRev;
  }

  /** A Txn guard that holds only while this session's key is the one that took the lock. */
  isOwner(): Compare {
    assert(this.myRev > 0, 'mutex: isOwner before a lock');
    return { target: 'CREATE', result: 'EQUAL', key: this.myKey, createRevision: this.myRev };
  }

  lock(done: (r: LockResult) => void): void {
    assert(!this.busy, 'mutex: lock while a lock or unlock is running');
    assert(this.session.live && this.session.leaseId !== 0, 'mutex: lock without a live session');
    this.busy = true;
    const finish = (r: LockResult): void => {
      this.busy = false;
      done(r);
    };
    this.myKey = `${this.pfx}${this.session.leaseId.toString(16)}`;
    const owner: RangeRequest = { key: this.pfx, rangeEnd: prefixEnd(this.pfx), sortTarget: 'CREATE', sortOrder: 'ASCEND', limit: 1 };
    this.client.call('txn', {
      compare: [{ target: 'CREATE', result: 'EQUAL', key: this.myKey, createRevision: 0 }],
      success: [{ type: 'put', request: { key: this.myKey, value: '', lease: this.session.leaseId } }, { type: 'range', request: owner }],
      failure: [{ type: 'range', request: { key: this.myKey } }, { type: 'range', request: owner }],
    }, (o) => {
      if (o.status !== 'ok') return finish({ ok: false, reason: 'call-failed', detail: `lock txn: ${o.status} ${o.error.code}` });
      const [mine, top] = o.response.responses;
      assert(mine !== undefined && top !== undefined && top.type === 'range', 'mutex: txn responses');
      if (o.response.succeeded) this.myRev = o.header.revision;
      else {
        assert(mine.type === 'range', 'mutex: txn failure branch');
        const kv = mine.response.kvs[0];
        // The compare failed, so the key existed at that revision.
        assert(kv !== undefined, 'mutex: my key vanished inside one txn');
        this.myRev = kv.createRevision;
      }
      const first: KeyValue | undefined = top.response.kvs[0];
      if (first === undefined || first.createRevision === this.myRev) return finish({ ok: true, token: this.myRev, acquiredRevision: o.header.revision });
      this.waitDeletes(finish);
    });
  }

  unlock(done: (ok: boolean) => void): void {
    assert(!this.busy, 'mutex: unlock while a lock or unlock is running');
    this.busy = true;
    this.client.call('delete', { key: this.myKey }, (o) => {
      this.busy = false;
      done(o.status === 'ok');
    });
  }

  /** Waits until no key created before myKey is left, then checks that myKey itself still is. */
  private waitDeletes(finish: (r: LockResult) => void): void {
    waitDeletes(this.client, this.pfx, this.myRev - 1, () => undefined, (r) => {
      if (!r.ok) return finish({ ok: false, reason: 'call-failed', detail: r.detail });
      this.confirm(r.revision, finish);
    });
  }

  private confirm(freeAt: number, finish: (r: LockResult) => void): void {
    this.client.call('range', { key: this.myKey }, (o) => {
      if (o.status !== 'ok') return finish({ ok: false, reason: 'call-failed', detail: `confirm range: ${o.status} ${o.error.code}` });
      const kv = o.response.kvs[0];
      if (kv === undefined || kv.createRevision !== this.myRev) return finish({ ok: false, reason: 'session-expired', detail: `${this.myKey} is gone: its session's lease ended while it waited` });
      // No older key at `freeAt`, and myKey (created at myRev ≤ freeAt) lived through it to now.
      finish({ ok: true, token: this.myRev, acquiredRevision: freeAt });
    });
  }
}
