/**
 * clientv3/concurrency's Election: leader election made of the same queue of keys as Mutex.
 *
 *   const e = new Election(client, session, 'elect/svc');
 *   e.campaign('n1', (r) => …);        // returns once this session leads (r.leaderRevision)
 *   e.proclaim('n1 v2', (ok) => …);    // a new value, only while still leader (fenced by leaderRevision)
 *   e.leader((kv) => …);               // who leads now: the oldest key of the prefix
 *   e.resign((ok) => …);
 *
 * As clientv3 (client/v3/concurrency/election.go): campaign puts `prefix/<lease hex>` with the value
 * if it is not there yet (one Txn; if it is there, a retried campaign keeps it and updates the value),
 * then waits until every key created before it is deleted, then checks that its key still exists.
 * proclaim and resign act only if the key still has the create revision it led with, so a
 * deposed leader cannot overwrite the new leader's value.
 */
import { prefixEnd, type KeyValue } from '../../api.js';
import { assert } from '../../../sim/assert.js';
import type { KvClient } from '../client.js';
import type { WatchHandle } from '../watch-client.js';
import type { Session } from './session.js';
import { waitDeletes } from './wait-deletes.js';

export type CampaignResult =
  | { readonly ok: true; readonly leaderKey: string; readonly leaderRevision: number; readonly electedAtRevision: number }
  | { readonly ok: false; readonly reason: 'session-expired' | 'call-failed'; readonly detail: string };

export class Election {
  private readonly pfx: string;
  private leaderKey = '';
  private leaderRev = 0;
  private watch: WatchHandle | null = null;

  constructor(
    private readonly client: KvClient,
    private readonly session: Session,
    prefix: string,
  ) {
    this.pfx = `${prefix}/`;
  }

  /** The create revision this session leads (or campaigns) with; 0 before a campaign. */
  get revision(): number {
    return this.leaderRev;
  }

  campaign(value: string, done: (r: CampaignResult) => void): void {
    assert(this.session.live, 'election: campaign without a live session');
    const key = `${this.pfx}${this.session.leaseId.toString(16)}`;
    this.client.call('txn', {
      compare: [{ target: 'CREATE', result: 'EQUAL', key, createRevision: 0 }],
      success: [{ type: 'put', request: { key, value, lease: this.session.leaseId } }],
      failure: [{ type: 'range', request: { key } }],
    }, (o) => {
      if (o.status !== 'ok') return done({ ok: false, reason: 'call-failed', detail: `campaign txn: ${o.status} ${o.error.code}` });
      this.leaderKey = key;
      if (o.response.succeeded) this.leaderRev = o.header.revision;
      else {
        const r = o.response.responses[0];
        assert(r !== undefined && r.type === 'range' && r.response.kvs[0] !== undefined, 'election: campaign failure branch');
        const kv = r.response.kvs[0];
        this.leaderRev = kv.createRevision;
        if (kv.value !== value) {
          // A retried campaign with a new value: clientv3 proclaims it before waiting.
          this.proclaim(value, (ok) => (ok ? this.wait(done) : done({ ok: false, reason: 'call-failed', detail: 'campaign: update of the value failed' })));
          return;
        }
      }
      this.wait(done);
    });
  }

  /** Sets a new value while still the leader. */
  proclaim(value: string, done: (ok: boolean) => void): void {
    assert(this.leaderRev > 0, 'election: proclaim before a campaign');
    this.client.call('txn', {
      compare: [{ target: 'CREATE', result: 'EQUAL', key: this.leaderKey, createRevision: this.leaderRev }],
      success: [{ type: 'put', request: { key: this.leaderKey, value, lease: this.session.leaseId } }],
      failure: [],
    }, (o) => done(o.status === 'ok' && o.response.succeeded));
  }

  /** Gives up leadership (or the place in the queue). */
  resign(done: (ok: boolean) => void): void {
    if (this.leaderRev === 0) return done(true);
    this.watch?.cancel();
    this.watch = null;
    this.client.call('txn', {
      compare: [{ target: 'CREATE', result: 'EQUAL', key: this.leaderKey, createRevision: this.leaderRev }],
      success: [{ type: 'delete', request: { key: this.leaderKey } }],
      failure: [],
    }, (o) => {
      const ok = o.status === 'ok';
      if (ok) this.leaderRev = 0;
      done(ok);
    });
  }

  /** The current leader's key and value, or undefined when nobody campaigns. */
  leader(done: (kv: KeyValue | undefined | null) => void): void {
    this.client.call('range', { key: this.pfx, rangeEnd: prefixEnd(this.pfx), sortTarget: 'CREATE', sortOrder: 'ASCEND', limit: 1 }, (o) => done(o.status === 'ok' ? o.response.kvs[0] : null));
  }

  private wait(done: (r: CampaignResult) => void): void {
    waitDeletes(this.client, this.pfx, this.leaderRev - 1, (w) => (this.watch = w), (r) => {
      if (!r.ok) return done({ ok: false, reason: 'call-failed', detail: r.detail });
      this.client.call('range', { key: this.leaderKey }, (o) => {
        if (o.status !== 'ok') return done({ ok: false, reason: 'call-failed', detail: `campaign check: ${o.status} ${o.error.code}` });
        const kv = o.response.kvs[0];
        if (kv === undefined || kv.createRevision !== this.leaderRev) return done({ ok: false, reason: 'session-expired', detail: `${this.leaderKey} is gone: its session's lease ended while it waited` });
        done({ ok: true, leaderKey: this.leaderKey, leaderRevision: this.leaderRev, electedAtRevision: r.revision });
      });
    });
  }
}
