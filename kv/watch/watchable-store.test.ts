/**
 * The watch hub, case by case, each pinning an etcd behaviour or issue. The random comparison with
 * the reference model is in watchable-store.model.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { WatchResponse } from '../api.js';
import { prefixEnd } from '../api.js';
import { createMvccStore, type MvccStore } from '../mvcc/store.js';
import { createWatchHub, type WatchHub, type WatchStream } from './watchable-store.js';

interface Setup {
  store: MvccStore;
  hub: WatchHub;
  stream: WatchStream;
  log: WatchResponse[];
}

function setup(bufferMax = 128): Setup {
  const store = createMvccStore();
  const hub = createWatchHub({ store, streamBufferResponses: bufferMax, header: () => ({ clusterId: 7, memberId: 2, raftTerm: 3 }) });
  const log: WatchResponse[] = [];
  const stream = hub.openStream((r) => log.push(r));
  return { store, hub, stream, log };
}

function put(store: MvccStore, key: string, value: string): void {
  expect(store.put({ key, value }).ok).toBe(true);
}

/** Events received by `watchId`, as "TYPE key@rev=value". */
function events(log: WatchResponse[], watchId: number): string[] {
  return log.filter((r) => r.watchId === watchId).flatMap((r) => r.events.map((e) => `${e.type} ${e.kv.key}@${e.kv.modRevision}${e.type === 'PUT' ? `=${e.kv.value}` : ''}`));
}

describe('start revision (watchable_store.go watch)', () => {
  it('0 means after the current revision, not from the beginning (etcd #11496)', () => {
    const { store, hub, stream, log } = setup();
    put(store, 'a', '1');
    const id = stream.watch({ key: 'a', startRevision: 0 });
    expect(log[0]).toMatchObject({ watchId: id, created: true, header: { clusterId: 7, memberId: 2, raftTerm: 3, revision: 2 } });
    hub.syncWatchers();
    expect(events(log, id)).toEqual([]);
    put(store, 'a', '2');
    expect(events(log, id)).toEqual(['PUT a@3=2']);
  });

  it('a past revision replays history, then continues live', () => {
    const { store, hub, stream, log } = setup();
    put(store, 'a', '1');
    put(store, 'a', '2');
    expect(store.deleteRange({ key: 'a' }).ok).toBe(true);
    const id = stream.watch({ key: 'a', startRevision: 2, prevKv: true });
    expect(hub.stats().unsynced).toBe(1);
    hub.syncWatchers();
    put(store, 'a', '3');
    expect(events(log, id)).toEqual(['PUT a@2=1', 'PUT a@3=2', 'DELETE a@4', 'PUT a@5=3']);
    const replay = log.find((r) => r.watchId === id && r.events.length === 3);
    expect(replay?.events.map((e) => e.prevKv?.value)).toEqual([undefined, '1', '2']);
  });

  it('a future revision waits for it, and gets no bookmark before it (etcd #20221)', () => {
    const { store, hub, stream, log } = setup();
    const id = stream.watch({ key: 'a', startRevision: 4, progressNotify: true });
    hub.progressTick();
    stream.requestProgress();
    put(store, 'a', '1'); // revision 2
    hub.progressTick();
    expect(log.filter((r) => r.events.length === 0 && !r.created)).toEqual([]);
    put(store, 'a', '2'); // revision 3: the bookmark at 3 now says "nothing before 4"
    expect(log.at(-1)).toMatchObject({ watchId: -1, header: { revision: 3 } });
    put(store, 'a', '3'); // revision 4
    expect(events(log, id)).toEqual(['PUT a@4=3']);
  });

  it('a compacted start is canceled with the compaction revision', () => {
    const { store, hub, stream, log } = setup();
    for (const v of ['1', '2', '3']) put(store, 'a', v);
    expect(store.compact(3).ok).toBe(true);
    const id = stream.watch({ key: 'a', startRevision: 2 });
    hub.syncWatchers();
    expect(log.at(-1)).toMatchObject({ watchId: id, canceled: true, compactRevision: 3, events: [] });
    put(store, 'a', '4');
    expect(events(log, id)).toEqual([]);
    expect(hub.stats()).toMatchObject({ watchers: 0, compactedCanceled: 1 });
  });

  it('a start at exactly the compaction revision sees the DELETE there (etcd #18089)', () => {
    const { store, hub, stream, log } = setup();
    for (const v of ['1', '2', '3']) put(store, 'k', v); // 2, 3, 4
    expect(store.deleteRange({ key: 'k' }).ok).toBe(true); // 5
    put(store, 'k', '6'); // 6
    expect(store.compact(5).ok).toBe(true);
    const id = stream.watch({ key: 'k', startRevision: 5, prevKv: true });
    hub.syncWatchers();
    expect(events(log, id)).toEqual(['DELETE k@5', 'PUT k@6=6']);
    // No prevKv on either: etcd reads it at revision − 1 when sending, and 4 is compacted (found
    // against etcd 3.4 by the conformance harness); the PUT at 6 is a create event.
    const sent = log.find((r) => r.watchId === id && r.events.length > 0)?.events ?? [];
    expect(sent.map((e) => e.prevKv)).toEqual([undefined, undefined]);
    // From 6 on the revision before is not compacted: the DELETE's prevKv is there.
    put(store, 'k', '7');
    expect(store.deleteRange({ key: 'k' }).ok).toBe(true); // 8
    expect(log.filter((r) => r.watchId === id).flatMap((r) => r.events.map((e) => e.prevKv?.value ?? null))).toEqual([null, null, '6', '7']);
  });
});

describe('what a watcher sees', () => {
  it('a prefix range, NOPUT / NODELETE filters, prevKv only when asked', () => {
    const { store, stream, log } = setup();
    const all = stream.watch({ key: 'p/', rangeEnd: prefixEnd('p/') });
    const noPut = stream.watch({ key: 'p/', rangeEnd: prefixEnd('p/'), filters: ['NOPUT'], prevKv: true });
    const noDelete = stream.watch({ key: '\0', rangeEnd: '\0', filters: ['NODELETE'] });
    put(store, 'p/1', 'a');
    put(store, 'q', 'b');
    expect(store.deleteRange({ key: 'p/', rangeEnd: prefixEnd('p/') }).ok).toBe(true);
    expect(events(log, all)).toEqual(['PUT p/1@2=a', 'DELETE p/1@4']);
    expect(events(log, noPut)).toEqual(['DELETE p/1@4']);
    expect(events(log, noDelete)).toEqual(['PUT p/1@2=a', 'PUT q@3=b']);
    expect(log.find((r) => r.watchId === noPut)?.created).toBe(true);
    const del = log.find((r) => r.watchId === noPut && r.events.length > 0)?.events[0];
    expect(del).toMatchObject({ type: 'DELETE', kv: { key: 'p/1', createRevision: 0, version: 0, value: '' }, prevKv: { value: 'a' } });
    expect(log.find((r) => r.watchId === all && r.events.length > 0)?.events[0]?.prevKv).toBeUndefined();
  });

  it('all events of one txn arrive in one response', () => {
    const { store, stream, log } = setup();
    const id = stream.watch({ key: '\0', rangeEnd: '\0' });
    expect(store.txn({ compare: [], success: [{ type: 'put', request: { key: 'x', value: '1' } }, { type: 'put', request: { key: 'y', value: '2' } }], failure: [] }).ok).toBe(true);
    const withEvents = log.filter((r) => r.watchId === id && r.events.length > 0);
    expect(withEvents).toHaveLength(1);
    expect(withEvents[0]?.events.map((e) => e.kv.key)).toEqual(['x', 'y']);
  });

  it('refuses an empty range and a duplicate id; an empty key means "\\0"', () => {
    const { stream, log } = setup();
    expect(stream.watch({ key: 'b', rangeEnd: 'a' })).toBe(-1);
    expect(log.at(-1)).toMatchObject({ watchId: -1, created: true, canceled: true, cancelReason: 'mvcc: watcher range is empty' });
    expect(stream.watch({ key: 'a', watchId: 5 })).toBe(5);
    expect(stream.watch({ key: 'a', watchId: 5 })).toBe(-1);
    expect(stream.watch({ key: '', rangeEnd: '\0' })).toBe(0);
  });

  it('cancel is acknowledged and stops the events', () => {
    const { store, hub, stream, log } = setup();
    const id = stream.watch({ key: 'a' });
    expect(stream.cancel(id)).toBe(true);
    expect(log.at(-1)).toMatchObject({ watchId: id, canceled: true });
    put(store, 'a', '1');
    expect(events(log, id)).toEqual([]);
    expect(stream.cancel(id)).toBe(false);
    expect(hub.stats().watchers).toBe(0);
  });
});

describe('slow consumers (victims)', () => {
  it('a full buffer makes the watcher a victim; after acks it catches up with nothing lost or repeated', () => {
    const { store, hub, stream, log } = setup(2);
    const id = stream.watch({ key: 'a' });
    for (const v of ['1', '2', '3', '4', '5']) put(store, 'a', v);
    expect(events(log, id)).toEqual(['PUT a@2=1', 'PUT a@3=2']);
    expect(hub.stats()).toMatchObject({ victims: 1, synced: 0 });
    expect(hub.syncVictims()).toBe(0); // still full
    stream.ack(2);
    expect(hub.syncVictims()).toBe(1); // the batch of revision 4
    expect(hub.stats().unsynced).toBe(1);
    stream.ack(1);
    hub.syncWatchers(); // revision 5 from history
    expect(hub.stats().synced).toBe(1);
    put(store, 'a', '6');
    expect(events(log, id)).toEqual(['PUT a@2=1', 'PUT a@3=2', 'PUT a@4=3', 'PUT a@5=4', 'PUT a@6=5', 'PUT a@7=6']);
    hub.checkInvariants();
  });

  it('catch-up responses carry at most batchMaxRevs revisions and stay unsynced until done', () => {
    const store = createMvccStore();
    for (const v of ['1', '2', '3', '4', '5']) put(store, 'a', v);
    const hub = createWatchHub({ store, batchMaxRevs: 2 });
    const log: WatchResponse[] = [];
    const stream = hub.openStream((r) => log.push(r));
    const id = stream.watch({ key: 'a', startRevision: 2 });
    expect(hub.syncWatchers()).toBe(1);
    expect(hub.syncWatchers()).toBe(1);
    expect(hub.syncWatchers()).toBe(0);
    const sizes = log.filter((r) => r.watchId === id && r.events.length > 0).map((r) => [r.events.length, r.header.revision]);
    expect(sizes).toEqual([[2, 3], [2, 5], [1, 6]]);
  });
});

describe('progress (bookmarks)', () => {
  it('a stream-wide request is answered only when every watcher is synced (etcd #15220)', () => {
    const { store, hub, stream, log } = setup();
    put(store, 'a', '1');
    put(store, 'a', '2');
    stream.watch({ key: 'a', startRevision: 2 });
    stream.requestProgress();
    expect(log.filter((r) => r.watchId === -1)).toEqual([]);
    hub.syncWatchers(); // events 2 and 3, then the deferred bookmark at 3
    expect(log.map((r) => [r.watchId, r.events.length, r.header.revision]).slice(-2)).toEqual([[0, 2, 3], [-1, 0, 3]]);
  });

  it('a stream without watchers gets no answer, as in etcd', () => {
    const { stream, log } = setup();
    stream.requestProgress();
    expect(log).toEqual([]);
  });

  it('the ticker skips watchers that just got events, and counts what it drops for a full buffer', () => {
    const { store, hub, stream, log } = setup(1);
    const id = stream.watch({ key: 'a', progressNotify: true });
    put(store, 'a', '1');
    expect(hub.progressTick()).toBe(0); // it just got an event
    stream.ack(1);
    expect(hub.progressTick()).toBe(1);
    expect(log.at(-1)).toMatchObject({ watchId: id, events: [], header: { revision: 2 } });
    expect(hub.progressTick()).toBe(0); // buffer full
    expect(hub.stats().progressDropped).toBe(1);
  });
});

describe('restore', () => {
  it('watchers replay what the snapshot brought, from where they were', () => {
    const { store, hub, stream, log } = setup();
    const leader = createMvccStore();
    for (const s of [store, leader]) put(s, 'a', '1');
    const id = stream.watch({ key: 'a' });
    put(leader, 'a', '2');
    put(leader, 'a', '3');
    expect(leader.compact(3).ok).toBe(true);
    expect(store.restore(leader.snapshot()).ok).toBe(true);
    hub.syncWatchers();
    expect(events(log, id)).toEqual(['PUT a@3=2', 'PUT a@4=3']);
    put(store, 'a', '4');
    expect(events(log, id)).toEqual(['PUT a@3=2', 'PUT a@4=3', 'PUT a@5=4']);
  });
});
