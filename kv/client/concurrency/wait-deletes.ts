/**
 * clientv3/concurrency's waitDeletes: wait until no key under `pfx` with a create revision ≤
 * `maxCreateRev` is left — read the newest such key, watch it from the read's revision until it
 * is deleted, and read again. Shared by Mutex and Election (the queue of keys both are made of).
 *
 * `done` gets the revision of the read that found none: at that revision every older key was gone.
 */
import { prefixEnd } from '../../api.js';
import type { KvClient } from '../client.js';
import type { WatchHandle } from '../watch-client.js';

export type WaitResult = { readonly ok: true; readonly revision: number } | { readonly ok: false; readonly detail: string };

export function waitDeletes(client: KvClient, pfx: string, maxCreateRev: number, watching: (w: WatchHandle | null) => void, done: (r: WaitResult) => void): void {
  client.call('range', { key: pfx, rangeEnd: prefixEnd(pfx), sortTarget: 'CREATE', sortOrder: 'DESCEND', limit: 1, maxCreateRevision: maxCreateRev }, (o) => {
    if (o.status !== 'ok') return done({ ok: false, detail: `wait range: ${o.status} ${o.error.code}` });
    const last = o.response.kvs[0];
    if (last === undefined) return done({ ok: true, revision: o.header.revision });
    let w: WatchHandle | null = null;
    w = client.watch({ key: last.key, startRevision: o.header.revision, filters: ['NOPUT'] }, (resp) => {
      if (w === null) return;
      if (resp.canceled === true || resp.events.some((e) => e.type === 'DELETE')) {
        w.cancel();
        w = null;
        watching(null);
        waitDeletes(client, pfx, maxCreateRev, watching, done);
      }
    });
    watching(w);
  });
}
