import { describe, expect, it } from 'vitest';
import type { KeyValue, WatchResponse } from './api.js';
import { mergeCommitted, watchHistoryOf } from './check-watch-inputs.js';
import type { WatchRecord } from './client/watch-client.js';
import { checkWatches } from '../sim/check/watch.js';

const kv = (key: string, value: string, create: number, mod: number, version: number): KeyValue => ({ key, value, createRevision: create, modRevision: mod, version, lease: 0 });
const header = (revision: number) => ({ clusterId: 1, memberId: 1, revision, raftTerm: 2 });
const A2 = kv('a', '1', 2, 2, 1);
const A3 = kv('a', '2', 2, 3, 2);

describe('mergeCommitted', () => {
  it('merges members, keeps the earliest apply time, skips empty writes', () => {
    const m1 = [{ revision: 2, at: 10, events: [{ type: 'PUT' as const, kv: A2 }] }, { revision: 2, at: 11, events: [] }];
    const m2 = [{ revision: 2, at: 8, events: [{ type: 'PUT' as const, kv: A2 }] }, { revision: 3, at: 30, events: [{ type: 'PUT' as const, kv: A3 }] }];
    expect(mergeCommitted([m1, m2])).toEqual({ committed: [{ revision: 2, at: 8, events: m2[0]?.events }, { revision: 3, at: 30, events: m2[1]?.events }], divergences: [] });
  });

  it('reports members that applied different changes at one revision', () => {
    const r = mergeCommitted([[{ revision: 2, at: 10, events: [{ type: 'PUT', kv: A2 }] }], [{ revision: 2, at: 10, events: [{ type: 'PUT', kv: { ...A2, value: 'x' } }] }]]);
    expect(r.divergences).toHaveLength(1);
    expect(r.divergences[0]).toMatch(/^revision 2: member #0 applied .* member #1 applied /);
  });
});

describe('watchHistoryOf', () => {
  it('turns placements and responses into items the watch checker accepts', () => {
    const resp = (revision: number, extra: Partial<WatchResponse>): WatchResponse => ({ header: header(revision), watchId: 1, events: [], ...extra });
    const record: WatchRecord = {
      client: 3,
      watchId: 1,
      request: { key: 'a' },
      placements: [{ member: 1, streamId: 1, startRevision: 0, atUs: 0 }, { member: 2, streamId: 1, startRevision: 3, atUs: 50 }],
      responses: [
        { atUs: 5, member: 1, response: resp(1, { created: true }) },
        { atUs: 20, member: 1, response: resp(2, { events: [{ type: 'PUT', kv: A2 }] }) },
        { atUs: 60, member: 2, response: resp(3, { created: true }) },
        { atUs: 70, member: 2, response: resp(3, { events: [{ type: 'PUT', kv: A3 }] }) },
        { atUs: 90, member: 2, response: resp(3, {}) },
      ],
      end: null,
    };
    const w = watchHistoryOf(record);
    expect(w.id).toBe('c3/w1');
    expect(w.items.map((i) => i.kind)).toEqual(['created', 'events', 'resumed', 'created', 'events', 'progress']);
    const committed = [{ revision: 2, at: 10, events: [{ type: 'PUT' as const, kv: A2 }] }, { revision: 3, at: 30, events: [{ type: 'PUT' as const, kv: A3 }] }];
    expect(checkWatches(committed, [w]).violations).toEqual([]);
    // Had the resumption started at 4, the event at 3 would be a gap.
    const skipped = { ...record, placements: [record.placements[0], { ...record.placements[1], startRevision: 4 }], responses: record.responses.slice(0, 3) } as WatchRecord;
    expect(checkWatches(committed, [watchHistoryOf(skipped)]).violations.map((v) => v.guarantee)).toEqual(['reliable']);
  });
});
