import { describe, expect, it } from 'vitest';
import { createHosts } from '../../sim/host.js';
import type { WatchCreateRequest, WatchResponse } from '../api.js';
import { takesWatchSlot, type KvCall } from '../wire.js';
import { createFakeRaftNode, type FakeRaftNode } from '../testing/fake-raft-node.js';
import { createKvServer, type KvServer } from './server.js';
import { createKernel } from '../../sim/kernel.js';

interface Rig {
  server: KvServer;
  node: FakeRaftNode;
  /** Responses sent to client 100, in order. */
  got: WatchResponse[];
  /** While true, every response that takes a buffer slot is acked at once (a fast consumer). */
  autoAck: boolean;
  /** While false, the connection refuses responses (it broke). */
  accept: boolean;
  ack(n: number, streamId?: number): void;
  put(key: string, value: string): void;
  call(c: KvCall): void;
  create(r: WatchCreateRequest, streamId?: number): void;
  sink(resp: WatchResponse, streamId: number): boolean;
  run(us?: number): void;
}

function rig(): Rig {
  const k = createKernel({ seed: 5 });
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
    autoAck: true,
    accept: true,
    ack(n, streamId = 1) {
      p.server.watchRequest(100, streamId, { type: 'ack', count: n }, (resp) => r.sink(resp, streamId));
    },
    call: (c) => p.server.call(c, () => {}),
    put(key, value) {
      r.call({ method: 'put', request: { key, value } });
      r.run(1);
    },
    create(req, streamId = 1) {
      p.server.watchRequest(100, streamId, { type: 'create', request: req }, (resp) => r.sink(resp, streamId));
    },
    sink(resp, streamId) {
      if (!r.accept) return false;
      r.got.push(resp);
      if (r.autoAck && takesWatchSlot(resp)) k.scheduler.schedule(0, () => r.ack(1, streamId));
      return true;
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
    t.run(150_000); // unsynced watchers catch up on the sync timer
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
    t.run(150_000);
    expect(t.got.find((x) => x.watchId === 1 && x.canceled)).toMatchObject({ compactRevision: 4 });
    expect(events(t.got.filter((x) => x.watchId === 2))).toEqual(['PUT a@4', 'PUT a@5']);
  });

  it('a slow consumer (no acks) makes its watcher a victim; acks let it catch up: nothing lost or duplicated, in order', () => {
    const t = rig();
    t.create({ watchId: 1, key: 'a', rangeEnd: '\0' });
    t.autoAck = false;
    for (let i = 0; i < 140; i++) t.put(`k${String(i).padStart(3, '0')}`, `${i}`); // more than the 128-response buffer
    const before = t.got.filter((x) => x.events.length > 0).length;
    expect(before).toBe(128);
    expect(t.server.stats().watch.victimized).toBeGreaterThan(0);
    t.autoAck = true;
    t.ack(before);
    t.run(300_000); // the victim and sync loops catch it up
    const evs = events(t.got);
    expect(evs).toHaveLength(140);
    expect(evs).toEqual(Array.from({ length: 140 }, (_, i) => `PUT k${String(i).padStart(3, '0')}@${i + 2}`));
  });

  it('a response the connection refuses closes the stream (the client resumes elsewhere)', () => {
    const t = rig();
    t.create({ watchId: 1, key: 'a' });
    t.accept = false;
    t.put('a', '1');
    t.run();
    expect(t.server.stats().watch).toMatchObject({ refused: 1, sessions: 0, watchers: 0 });
  });

  it('progress: answered with the current revision once every watcher of the stream is synced', () => {
    const t = rig();
    for (const v of ['1', '2']) t.put('a', v);
    t.create({ watchId: 1, key: 'a', startRevision: 1 });
    t.server.watchRequest(100, 1, { type: 'progress' }, (resp) => t.sink(resp, 1));
    expect(t.got.filter((x) => x.watchId === -1)).toHaveLength(0); // unsynced (replaying): deferred
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
    expect(t.server.stats().watch).toMatchObject({ sessions: 1, watchers: 1, ackOverruns: 0 });
    t.server.watchRequest(100, 2, { type: 'cancel', watchId: 1 }, (resp) => t.sink(resp, 2));
    t.put('a', '2');
    expect(events(t.got)).toEqual(['PUT a@2']);
    expect(t.got.at(-1)).toMatchObject({ watchId: 1, canceled: true });
  });
});
