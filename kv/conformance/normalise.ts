/**
 * One canonical shape per answer, which both targets produce from their own responses: every field
 * present (etcd omits zero values on the wire; raftsim omits absent optionals), keys and values as
 * latin1 strings. Only what must differ is normalised, each place saying why.
 */
import type { KeyValue, WatchEvent, WatchResponse } from '../api.js';
import { fullKv, type ConformanceMethod, type WatchRecord } from './sequence.js';

const kv = (x: unknown): KeyValue => fullKv(x as KeyValue);

function event(e: WatchEvent): WatchEvent {
  return e.prevKv === undefined ? { type: e.type, kv: kv(e.kv) } : { type: e.type, kv: kv(e.kv), prevKv: kv(e.prevKv) };
}

/** A response of `method` (raftsim's api.ts shape) in canonical form. */
export function normaliseResponse(method: ConformanceMethod | 'txn-op', res: unknown): unknown {
  const r = (res ?? {}) as Record<string, unknown>;
  switch (method) {
    case 'range': return { kvs: ((r.kvs ?? []) as unknown[]).map(kv), more: r.more === true, count: Number(r.count ?? 0) };
    case 'put': return r.prevKv === undefined || r.prevKv === null ? {} : { prevKv: kv(r.prevKv) };
    case 'delete': return { deleted: Number(r.deleted ?? 0), prevKvs: ((r.prevKvs ?? []) as unknown[]).map(kv) };
    case 'txn': {
      const ops = (r.responses ?? []) as { type: ConformanceMethod; response: unknown }[];
      return { succeeded: r.succeeded === true, responses: ops.map((o) => ({ type: o.type, response: normaliseResponse(o.type, o.response) })) };
    }
    case 'lease-grant': return { id: Number(r.id), ttlS: Number(r.ttlS) };
    case 'lease-keepalive': return { id: Number(r.id), ttlS: Number(r.ttlS) };
    // The keys of a lease are a set: etcd lists them in Go map order, so they are compared sorted.
    case 'lease-ttl': return { id: Number(r.id), ttlS: Number(r.ttlS), grantedTtlS: Number(r.grantedTtlS ?? 0), keys: [...((r.keys ?? []) as string[])].sort() };
    case 'lease-leases': return { leases: [...((r.leases ?? []) as number[])] };
    case 'compact':
    case 'lease-revoke':
      return {};
    default: return r;
  }
}

/**
 * The watch responses of one stream, per watcher. Events are concatenated: how a target cuts a
 * stream of events into responses (etcd: one response per revision batch when synced, up to 1000
 * revisions when catching up, and fragments; raftsim: likewise but not byte for byte) is not part
 * of the contract, the order and content of events is. Progress notifications (watch id -1, no
 * events) carry no per-watcher content and are left out (requested ones, watch id −1, are in `collectProgress`).
 */
export function collectProgress(responses: readonly WatchResponse[]): number[] {
  return responses.filter((r) => r.watchId === -1 && r.created !== true && r.canceled !== true && r.events.length === 0).map((r) => r.header.revision);
}

export function collectWatches(responses: readonly WatchResponse[]): WatchRecord[] {
  const records: { watchId: number; created: WatchRecord['created']; events: WatchEvent[]; canceled?: NonNullable<WatchRecord['canceled']> }[] = [];
  const open = new Map<number, (typeof records)[number]>();
  for (const r of responses) {
    if (r.created === true) {
      const rec = {
        watchId: r.watchId,
        created: { rev: r.header.revision, canceled: r.canceled === true, compactRevision: r.compactRevision ?? 0, cancelReason: r.cancelReason ?? '' },
        events: [] as WatchEvent[],
      };
      records.push(rec);
      if (r.canceled !== true) open.set(r.watchId, rec);
      continue;
    }
    const rec = open.get(r.watchId);
    if (rec === undefined) continue;
    rec.events.push(...r.events.map(event));
    if (r.canceled === true) {
      rec.canceled = { compactRevision: r.compactRevision ?? 0, cancelReason: r.cancelReason ?? '' };
      open.delete(r.watchId);
    }
  }
  return records;
}
