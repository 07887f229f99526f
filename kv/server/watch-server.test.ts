import { describe, expect, it } from 'vitest';
import { createHosts } from '../../sim/host.js';
import { createRandom } from '../../sim/random.js';
import { createScheduler } from '../../sim/scheduler.js';
import { createTrace } from '../../sim/trace.js';
import type { WatchCreateRequest, WatchResponse } from '../api.js';
import type { KvCall } from '../wire.js';
import { createFakeRaftNode, type FakeRaftNode } from './fake-raft-node.js';
import { createKvServer, type KvServer } from './server.js';

interface Rig {
  server: KvServer;
  node: FakeRaftNode;
  /** Responses sent to client 100, in order. */
  got: WatchResponse[];
  /** While false, sends are refused (a full buffer). */
  accept: boolean;
  put(key: string, value: string): void;
  call(c: KvCall): void;
  create(r: WatchCreateRequest, streamId?: number): void;
  run(us?: number): void;
}

function rig(): Rig {
  const k = { scheduler: createScheduler(), trace: createTrace(), random: createRandom(5) };
  const hosts = createHosts<{ server: KvServer; node: FakeRaftNode }>(k);
  hosts.add(1);
  const p = hosts.start(1, (ctx) => {
    const server = createKvServer(ctx, { memberId: 1, options: { watchSyncIntervalUs: 100_000 } });
    const node = createFakeRaftNode(ctx, server.stateMachine, server.observer);
    server.bind(node);
    return { server, node };
  });
  const r: Rig = {
    ...p,
    got: [],
    accept: true,
    call: (c) => p.server.call(c, () => {}),
    put(key, value) {
      r.call({ method: 'put', request: { key, value } });
      r.run(1);
    },
    create(req, streamId = 1) {
      p.server.watchRequest(100, streamId, { type: 'create', request: req }, (resp) => r.accept && (r.got.push(resp), true));
    },
    run: (us = 1_000) => k.scheduler.runUntil(k.scheduler.now + us),
  };
  return r;
}

const events = (rs: readonly WatchResponse[]): string[] => rs.flatMap((x) => x.events.map((e) => `${e.type} ${e.kv.key}@${e.kv.modRevision}${e.prevKv ? ` prev=${e.prevKv.value}` : ''}`));

describe('watch streams', () => {
  it('from "now": created at the current revision, then each write as it is applied, in range only', () => {
    const t = rig();
    t.put('a', '1');
    t.create({ watchId: 7, key: 'a', rangeEnd: 'b' });
    t.put('a', '2');
    t.put('b', 'x'); // out of range
    t.call({ method: 'delete', request: { key: 'a' } });
    t.run();
    expect(t.got[0]).toMatchObject({ watchId: 7, created: true, header: { revision: 2 } });
    expect(events(t.got)).toEqual(['PUT a@3', 'DELETE a@5']);
    expect(t.got.slice(1).map((x) => x.header.revision)).toEqual([3, 5]);
  });

  it('a past start replays history in one response, with prevKv when asked; filters drop events', () => {
    const t = rig();
    for (const v of ['1', '2', '3']) t.put('a', v);
    t.call({ method: 'delete', request: { key: 'a' } });
    t.run();
    t.create({ watchId: 1, key: 'a', startRevision: 3, prevKv: true });
    t.create({ watchId: 2, key: 'a', startRevision: 1, filters: ['NOPUT'] });
    t.run();
    const w1 = t.got.filter((x) => x.watchId === 1);
    expect(events(w1)).toEqual(['PUT a@3 prev=1', 'PUT a@4 prev=2', 'DELETE a@5 prev=3']);
    expect(w1.filter((x) => x.events.length > 0)).toHaveLength(1); // one catch-up batch
    expect(events(t.got.filter((x) => x.watchId === 2))).toEqual(['DELETE a@5']);
  });

  it('a start of 1 on an empty store waits for the first write; a future start waits for its revision', () => {
    const t = rig();
    t.create({ watchId: 5, key: 'z', startRevision: 1 });
    t.run(150_000);
    t.put('z', 'first');
    expect(events(t.got.filter((x) => x.watchId === 5))).toEqual(['PUT z@2']);
    t.create({ watchId: 1, key: 'a', startRevision: 4 });
    for (const v of ['1', '2', '3', '4']) t.put('a', v);
    expect(events(t.got.filter((x) => x.watchId === 1))).toEqual(['PUT a@4', 'PUT a@5', 'PUT a@6']);
  });

  it('a start below the compaction revision is canceled with the compact revision; at it, it is allowed', () => {
    const t = rig();
    for (const v of ['1', '2', '3', '4']) t.put('a', v);
    t.call({ method: 'compact', request: { revision: 4 } });
    t.run();
    t.create({ watchId: 1, key: 'a', startRevision: 3 });
    t.create({ watchId: 2, key: 'a', startRevision: 4 });
    t.run();
    expect(t.got.find((x) => x.watchId === 1 && x.canceled)).toMatchObject({ compactRevision: 4 });
    expect(events(t.got.filter((x) => x.watchId === 2))).toEqual(['PUT a@4', 'PUT a@5']);
  });

  it('refused sends are sent again later: nothing lost, nothing duplicated, revisions in order', () => {
    const t = rig();
    t.create({ watchId: 1, key: 'a', rangeEnd: '\0' });
    t.put('a', '0');
    t.accept = false;
    for (let i = 1; i <= 5; i++) t.put(`k${i}`, `${i}`);
    t.accept = true;
    t.put('z', 'last'); // the watcher is behind: this write is not sent out of order
    t.run(150_000); // the sync timer catches it up
    const evs = events(t.got);
    expect(evs).toEqual(['PUT a@2', 'PUT k1@3', 'PUT k2@4', 'PUT k3@5', 'PUT k4@6', 'PUT k5@7', 'PUT z@8']);
    expect(t.server.stats().watch.resends).toBeGreaterThan(0);
  });

  it('progress: answered with the current revision once every watcher of the stream is synced', () => {
    const t = rig();
    for (const v of ['1', '2']) t.put('a', v);
    t.accept = false;
    t.create({ watchId: 1, key: 'a', startRevision: 1 });
    t.accept = true;
    t.server.watchRequest(100, 1, { type: 'progress' }, (resp) => (t.got.push(resp), true));
    expect(t.got.filter((x) => x.watchId === -1)).toHaveLength(0); // unsynced: deferred
    t.run(150_000);
    const progress = t.got.filter((x) => x.watchId === -1);
    expect(progress).toEqual([{ header: expect.objectContaining({ revision: 3 }), watchId: -1, events: [] }]);
    expect(t.got.indexOf(progress[0] as WatchResponse)).toBeGreaterThan(t.got.findIndex((x) => x.events.length > 0));
  });

  it('a newer stream from the same client replaces the older one; cancel stops a watcher', () => {
    const t = rig();
    t.create({ watchId: 1, key: 'a' }, 1);
    t.create({ watchId: 1, key: 'a' }, 2);
    t.create({ watchId: 9, key: 'a' }, 1); // a late message of the old stream: ignored
    t.put('a', '1');
    expect(events(t.got)).toEqual(['PUT a@2']);
    expect(t.server.stats().watch).toMatchObject({ sessions: 1, watchers: 1 });
    t.server.watchRequest(100, 2, { type: 'cancel', watchId: 1 }, (resp) => (t.got.push(resp), true));
    t.put('a', '2');
    expect(events(t.got)).toEqual(['PUT a@2']);
    expect(t.got.at(-1)).toMatchObject({ watchId: 1, canceled: true });
  });
});
