/**
 * The watch hub's and the MVCC store's bug switches (scenarios/bugs.ts), each on one schedule with
 * the switch off (etcd's fix) and on (etcd before it): the responses must differ the way the
 * upstream issue describes, so a switch that does nothing fails here.
 */
import { describe, expect, it } from 'vitest';
import type { WatchResponse } from '../api.js';
import { createMvccStore, type MvccBug, type MvccStore } from '../mvcc/store.js';
import { createWatchHub, type WatchBug, type WatchHub, type WatchStream } from './watchable-store.js';

interface Setup {
  store: MvccStore;
  hub: WatchHub;
  stream: WatchStream;
  log: WatchResponse[];
}

function setup(bugs: readonly WatchBug[], storeBugs: readonly MvccBug[] = []): Setup {
  const store = createMvccStore({ bugs: storeBugs });
  const hub = createWatchHub({ store, bugs });
  const log: WatchResponse[] = [];
  const stream = hub.openStream((r) => log.push(r));
  return { store, hub, stream, log };
}

function put(store: MvccStore, key: string, value: string): void {
  expect(store.put({ key, value }).ok).toBe(true);
}

/** What `watchId` received: events as "TYPE key@rev", progress as "progress@rev". */
function seen(log: WatchResponse[], watchId: number): string[] {
  return log
    .filter((r) => r.watchId === watchId && r.created !== true)
    .flatMap((r) => (r.events.length === 0 ? [`progress@${r.header.revision}`] : r.events.map((e) => `${e.type} ${e.kv.key}@${e.kv.modRevision}`)));
}

/** A follower's store with a watcher on `a`, then a restore from a leader that wrote more. */
function restoreSchedule(bugs: readonly WatchBug[]): string[] {
  const { store, hub, stream, log } = setup(bugs);
  const leader = createMvccStore();
  for (const s of [store, leader]) put(s, 'a', '1'); // rev 2
  const id = stream.watch({ key: 'a' }); // synced, from rev 3
  for (const s of [store, leader]) put(s, 'a', '2'); // rev 3: delivered live
  put(leader, 'a', '3'); // rev 4: only in the snapshot
  put(leader, 'b', 'x'); // rev 5
  expect(store.restore(leader.snapshot()).ok).toBe(true);
  hub.syncWatchers();
  put(store, 'a', '4'); // rev 6
  return seen(log, id);
}

describe('watch bug switches', () => {
  it('etcd-8411: with the switch a synced watcher misses what a restore brought; without it, it replays it', () => {
    expect(restoreSchedule([])).toEqual(['PUT a@3', 'PUT a@4', 'PUT a@6']);
    expect(restoreSchedule(['etcd-8411'])).toEqual(['PUT a@3', 'PUT a@6']);
  });

  it('etcd-15271: with the switch a restore sends a synced watcher back to where it became synced: an event twice', () => {
    expect(restoreSchedule(['etcd-15271'])).toEqual(['PUT a@3', 'PUT a@3', 'PUT a@4', 'PUT a@6']);
  });

  it('etcd-15220: with the switch a progress request is answered while a watcher is still catching up', () => {
    /** The stream's responses in order, as "progress@rev" / "PUT key@rev". */
    const order = (bugs: readonly WatchBug[]): string[] => {
      const { store, hub, stream, log } = setup(bugs);
      put(store, 'a', '1'); // rev 2
      put(store, 'a', '2'); // rev 3
      stream.watch({ key: 'a', startRevision: 2 }); // unsynced: revisions 2..3 to replay
      stream.requestProgress();
      hub.syncWatchers();
      return log.filter((r) => r.created !== true).flatMap((r) => (r.events.length === 0 ? [`progress@${r.header.revision}`] : r.events.map((e) => `${e.type} ${e.kv.key}@${e.kv.modRevision}`)));
    };
    // Fixed: the bookmark waits for the replay. Bug: a bookmark at 3 before the events ≤ 3.
    expect(order([])).toEqual(['PUT a@2', 'PUT a@3', 'progress@3']);
    expect(order(['etcd-15220'])).toEqual(['progress@3', 'PUT a@2', 'PUT a@3']);
  });

  it('etcd-15220: with the switch a progress request on a stream without watchers is answered too (as etcd 3.4.23 does)', () => {
    const answers = (bugs: readonly WatchBug[]): string[] => {
      const { store, stream, log } = setup(bugs);
      put(store, 'a', '1'); // rev 2
      stream.requestProgress();
      return log.map((r) => `${r.watchId} progress@${r.header.revision}`);
    };
    expect(answers([])).toEqual([]);
    expect(answers(['etcd-15220'])).toEqual(['-1 progress@2']);
  });

  it('etcd-20221: with the switch a watcher from a future revision gets a progress notification below its start', () => {
    const progress = (bugs: readonly WatchBug[]): string[] => {
      const { store, hub, stream, log } = setup(bugs);
      put(store, 'a', '1'); // rev 2
      const id = stream.watch({ key: 'a', startRevision: 10, progressNotify: true });
      hub.progressTick();
      return seen(log, id);
    };
    expect(progress([])).toEqual([]);
    expect(progress(['etcd-20221'])).toEqual(['progress@2']);
  });

  it('etcd-20221: with the switch a restore lowers a future watcher\'s next revision and it gets events below its start', () => {
    const afterRestore = (bugs: readonly WatchBug[]): string[] => {
      const { store, hub, stream, log } = setup(bugs);
      const leader = createMvccStore();
      for (const s of [store, leader]) put(s, 'a', '1'); // rev 2
      const id = stream.watch({ key: 'a', startRevision: 6 });
      put(leader, 'a', '2'); // rev 3
      put(leader, 'a', '3'); // rev 4
      expect(store.restore(leader.snapshot()).ok).toBe(true);
      hub.syncWatchers();
      return seen(log, id);
    };
    expect(afterRestore([])).toEqual([]);
    expect(afterRestore(['etcd-20221'])).toEqual(['PUT a@3', 'PUT a@4']);
  });

  it('etcd-18089: with the switch a watch from the compaction revision misses the DELETE at that revision', () => {
    const fromCompaction = (storeBugs: readonly MvccBug[]): string[] => {
      const { store, hub, stream, log } = setup([], storeBugs);
      put(store, 'k', '1'); // 2
      put(store, 'k', '2'); // 3
      put(store, 'k', '3'); // 4
      expect(store.deleteRange({ key: 'k' }).ok).toBe(true); // 5
      put(store, 'k', '4'); // 6
      expect(store.compact(5).ok).toBe(true);
      const id = stream.watch({ key: 'k', startRevision: 5 });
      hub.syncWatchers();
      return seen(log, id);
    };
    expect(fromCompaction([])).toEqual(['DELETE k@5', 'PUT k@6']);
    expect(fromCompaction(['etcd-18089'])).toEqual(['PUT k@6']);
  });
});
