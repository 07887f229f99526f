/**
 * One canonical shape per answer, which both targets produce from their own responses: every field
 * present (etcd omits zero values on the wire; raftsim omits absent optionals), keys and values as
 * latin1 strings. Only what must differ is normalised, each place saying why.
 */
import type { KeyValue, WatchEvent, WatchResponse } from '../api.js';
import { fullKv, SELF, type ConformanceMethod, type WatchRecord } from './sequence.js';

const kv = (x: unknown): KeyValue => fullKv(x as KeyValue);

function event(e: WatchEvent): WatchEvent {
  return e.prevKv === undefined ? { type: e.type, kv: kv(e.kv) } : { type: e.type, kv: kv(e.kv), prevKv: kv(e.prevKv) };
}

/** A member id as the canonical answers name it: `self` for the answering member, else its decimal id. */
function memberName(id: unknown, self: string): string {
  return String(id) === self ? SELF : String(id);
}

const byJson = (a: unknown, b: unknown): number => {
  const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * A response of `method` (raftsim's api.ts shape) in canonical form. `self` is the answering
 * member's id (a decimal string: etcd's ids use all 64 bits), named `self` in the answer.
 */
export function normaliseResponse(method: ConformanceMethod | 'txn-op', res: unknown, self = ''): unknown {
  const r = (res ?? {}) as Record<string, unknown>;
  switch (method) {
    // A member's name, peer and client URLs are what each target was started with (etcd: a name and
    // 127.0.0.1 ports the harness picks; raftsim: m<id> and its host's URLs): compared are its id
    // (self or not), whether it has published its name (started), how many URLs it has, and isLearner.
    case 'member-list': {
      const ms = ((r.members ?? []) as Record<string, unknown>[]).map((m) => ({
        id: memberName(m.id, self),
        started: typeof m.name === 'string' && m.name !== '',
        peerURLs: ((m.peerURLs ?? []) as unknown[]).length,
        clientURLs: ((m.clientURLs ?? []) as unknown[]).length,
        isLearner: m.isLearner === true,
      }));
      return { members: ms.sort(byJson) };
    }
    // Status: who leads (self, another member, or none) and the errors (the alarms, each naming its
    // member; etcd lists them in Go map order, so sorted). Not compared, because they must differ:
    // raft index, applied index and term (etcd's log also holds its bootstrap conf change, the
    // election's empty entries, its member-attribute and cluster-version entries, which raftsim's
    // single-member path does not write), the backend size (bbolt pages vs raftsim's modelled
    // bytes), and etcd's version string and dbSizeInUse, which raftsim does not model.
    case 'status': {
      const errors = ((r.errors ?? []) as string[]).map((e) => e.trim().replace(/memberID:(\d+)/, (_m, id: string) => `memberID:${memberName(id, self)}`));
      const leader = Number(r.leader ?? 0) === 0 ? 'none' : memberName(r.leader, self);
      return { leader, errors: errors.sort() };
    }
    // HashKV: the hash is of each target's own encoding (etcd: CRC-32C over bbolt's key bucket rows;
    // raftsim: FNV-1a over its versions), so it is compared by equality pattern within a sequence
    // (compare.ts `hashClasses`); the compact revision as is. etcd 3.4's answer has no hash_revision
    // (its header revision is the current revision, as raftsim's).
    case 'hash-kv': return { hash: Number(r.hash ?? 0), compactRevision: Number(r.compactRevision ?? 0) };
    // Alarms are a set (etcd lists them in Go map order): sorted.
    case 'alarm': {
      const alarms = ((r.alarms ?? []) as Record<string, unknown>[]).map((a) => ({ memberId: memberName(a.memberId, self), alarm: String(a.alarm) }));
      return { alarms: alarms.sort(byJson) };
    }
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
