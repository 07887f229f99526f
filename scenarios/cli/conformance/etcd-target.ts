/**
 * The real etcd's side of the conformance harness: a gRPC client (@grpc/grpc-js with etcd's protos,
 * as the npm package etcd3 ships them) that sends a sequence's requests to a fresh single-member
 * etcd one at a time and turns each answer into the canonical shape of kv/conformance/normalise.ts.
 *
 * Wire rules: bytes are latin1 strings on our side (one char = one byte); an empty optional bytes
 * field is omitted, never sent as present (an empty `range_end` that is present is not "one key" to
 * every etcd version); int64 travels as strings (etcd's lease ids use all 63 bits), enums as numbers.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { KvErrorCode, WatchResponse } from '../../../kv/api.js';
import { collectProgress, collectWatches, normaliseResponse } from '../../../kv/conformance/normalise.js';
import { isWatchOp, MISSING_SLOT_ID } from '../../../kv/conformance/sim-target.js';
import { SELF_MEMBER, SLOT_BASE, type Answer, type Outcome, type RpcOp, type SeqOp, type Sequence } from '../../../kv/conformance/sequence.js';

type Obj = Record<string, unknown>;
type Txn = Extract<RpcOp, { method: 'txn' }>['request'];
type ReqOp = Txn['success'][number];

const RESULT = { EQUAL: 0, GREATER: 1, LESS: 2, NOT_EQUAL: 3 } as const;
const TARGET = { VERSION: 0, CREATE: 1, MOD: 2, VALUE: 3, LEASE: 4 } as const;
const SORT_ORDER: Obj = { NONE: 0, ASCEND: 1, DESCEND: 2 };
const SORT_TARGET: Obj = { KEY: 0, VERSION: 1, CREATE: 2, MOD: 3, VALUE: 4 };
const FILTER = { NOPUT: 0, NODELETE: 1 } as const;
const ALARM_ACTION = { GET: 0, ACTIVATE: 1, DEACTIVATE: 2 } as const;
const ALARM_TYPE = { NONE: 0, NOSPACE: 1, CORRUPT: 2 } as const;
const ALARM_NAMES = ['NONE', 'NOSPACE', 'CORRUPT'];

interface Services { KV: grpc.ServiceClientConstructor; Lease: grpc.ServiceClientConstructor; Watch: grpc.ServiceClientConstructor; Cluster: grpc.ServiceClientConstructor; Maintenance: grpc.ServiceClientConstructor }
let services: Services | undefined;

function loadServices(): Services {
  if (services !== undefined) return services;
  const require = createRequire(import.meta.url);
  const protoDir = join(dirname(require.resolve('etcd3/package.json')), 'proto');
  const def = protoLoader.loadSync(join(protoDir, 'rpc.proto'), { keepCase: true, longs: String, enums: Number, defaults: true, oneofs: true, includeDirs: [protoDir] });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { etcdserverpb: Services };
  services = { KV: pkg.etcdserverpb.KV, Lease: pkg.etcdserverpb.Lease, Watch: pkg.etcdserverpb.Watch, Cluster: pkg.etcdserverpb.Cluster, Maintenance: pkg.etcdserverpb.Maintenance };
  return services;
}

const buf = (s: string): Buffer => Buffer.from(s, 'latin1');
const str = (b: unknown): string => (b instanceof Uint8Array ? Buffer.from(b).toString('latin1') : '');
const num = (x: unknown): number => (typeof x === 'string' ? Number(x) : typeof x === 'number' ? x : 0);

/** Sets `o[k] = v` unless v is the field's zero value (omitted on the wire, as protobuf does). */
function set(o: Obj, k: string, v: unknown): void {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return;
  o[k] = v;
}

/** etcd's error messages (api/v3rpc/rpctypes) → raftsim's codes. */
const MESSAGES: readonly [string, KvErrorCode][] = [
  ['key is not provided', 'EmptyKey'],
  ['key not found', 'KeyNotFound'],
  ['value is provided', 'ValueProvided'],
  ['lease is provided', 'LeaseProvided'],
  ['too many operations in txn request', 'TooManyOps'],
  ['duplicate key given in txn request', 'DuplicateKey'],
  ['invalid sort option', 'InvalidSortOption'],
  ['required revision has been compacted', 'Compacted'],
  ['required revision is a future revision', 'FutureRev'],
  ['database space exceeded', 'NoSpace'],
  ['request is too large', 'RequestTooLarge'],
  ['too many requests', 'TooManyRequests'],
  ['requested lease not found', 'LeaseNotFound'],
  ['lease already exists', 'LeaseExist'],
  ['too large lease TTL', 'LeaseTTLTooLarge'],
  ['no leader', 'NoLeader'],
  ['not leader', 'NotLeader'],
  ['leader changed', 'LeaderChanged'],
  ['server stopped', 'Stopped'],
  ['request timed out', 'Timeout'],
];

function errorCode(e: unknown): Exclude<Answer, null | { ok: true }>['code'] {
  const err = e as { code?: number; details?: string };
  const details = err.details ?? String(e);
  for (const [m, code] of MESSAGES) if (details.includes(m)) return code;
  const name = grpc.status[err.code ?? grpc.status.UNKNOWN] ?? 'UNKNOWN';
  return `grpc:${name}`;
}

class Leases {
  readonly slots: string[] = [];
  toWire(id: number): string {
    if (id < SLOT_BASE) return String(id);
    const got = this.slots[id - SLOT_BASE];
    return got === undefined || got === '' ? String(MISSING_SLOT_ID) : got;
  }
  fromWire(x: unknown): number {
    const s = String(x ?? '0');
    const i = s === '' ? -1 : this.slots.indexOf(s);
    return i >= 0 ? SLOT_BASE + i : Number(s);
  }
}

function rangeReq(r: Extract<ReqOp, { type: 'range' }>['request']): Obj {
  const o: Obj = { key: buf(r.key) };
  set(o, 'range_end', r.rangeEnd === undefined || r.rangeEnd === '' ? undefined : buf(r.rangeEnd));
  set(o, 'limit', r.limit);
  set(o, 'revision', r.revision);
  set(o, 'sort_order', r.sortOrder === undefined ? undefined : (SORT_ORDER[r.sortOrder] ?? r.sortOrder));
  set(o, 'sort_target', r.sortTarget === undefined ? undefined : (SORT_TARGET[r.sortTarget] ?? r.sortTarget));
  set(o, 'serializable', r.serializable);
  set(o, 'keys_only', r.keysOnly);
  set(o, 'count_only', r.countOnly);
  set(o, 'min_mod_revision', r.minModRevision);
  set(o, 'max_mod_revision', r.maxModRevision);
  set(o, 'min_create_revision', r.minCreateRevision);
  set(o, 'max_create_revision', r.maxCreateRevision);
  return o;
}

function putReq(r: Extract<ReqOp, { type: 'put' }>['request'], leases: Leases): Obj {
  const o: Obj = { key: buf(r.key) };
  set(o, 'value', r.value === '' ? undefined : buf(r.value));
  set(o, 'lease', r.lease === undefined || r.lease === 0 ? undefined : leases.toWire(r.lease));
  set(o, 'prev_kv', r.prevKv);
  set(o, 'ignore_value', r.ignoreValue);
  set(o, 'ignore_lease', r.ignoreLease);
  return o;
}

function deleteReq(r: Extract<ReqOp, { type: 'delete' }>['request']): Obj {
  const o: Obj = { key: buf(r.key) };
  set(o, 'range_end', r.rangeEnd === undefined || r.rangeEnd === '' ? undefined : buf(r.rangeEnd));
  set(o, 'prev_kv', r.prevKv);
  return o;
}

function txnReq(r: Txn, leases: Leases): Obj {
  const op = (x: ReqOp): Obj => {
    switch (x.type) {
      case 'range': return { request_range: rangeReq(x.request) };
      case 'put': return { request_put: putReq(x.request, leases) };
      case 'delete': return { request_delete_range: deleteReq(x.request) };
      case 'txn': return { request_txn: txnReq(x.request, leases) };
    }
  };
  const compare = r.compare.map((c) => {
    const o: Obj = { result: RESULT[c.result] ?? c.result, target: TARGET[c.target] ?? c.target, key: buf(c.key) };
    set(o, 'range_end', c.rangeEnd === undefined || c.rangeEnd === '' ? undefined : buf(c.rangeEnd));
    // The target_union oneof: the field of the target is sent even when zero, so etcd sees which it is.
    switch (c.target) {
      case 'VERSION': o.version = String(c.version); break;
      case 'CREATE': o.create_revision = String(c.createRevision); break;
      case 'MOD': o.mod_revision = String(c.modRevision); break;
      case 'VALUE': o.value = buf(c.value); break;
      case 'LEASE': o.lease = leases.toWire(c.lease); break;
    }
    return o;
  });
  return { compare, success: r.success.map(op), failure: r.failure.map(op) };
}

function kvOf(x: unknown, leases: Leases): Obj {
  const k = x as Obj;
  return { key: str(k.key), createRevision: num(k.create_revision), modRevision: num(k.mod_revision), version: num(k.version), value: str(k.value), lease: leases.fromWire(k.lease) };
}

/** A gRPC response in raftsim's api.ts shape (before normaliseResponse). */
function toApi(method: string, r: Obj, leases: Leases): unknown {
  switch (method) {
    case 'range': return { kvs: ((r.kvs ?? []) as unknown[]).map((k) => kvOf(k, leases)), more: r.more === true, count: num(r.count) };
    case 'put': return r.prev_kv === null || r.prev_kv === undefined ? {} : { prevKv: kvOf(r.prev_kv, leases) };
    case 'delete': return { deleted: num(r.deleted), prevKvs: ((r.prev_kvs ?? []) as unknown[]).map((k) => kvOf(k, leases)) };
    case 'txn': {
      const responses = ((r.responses ?? []) as Obj[]).map((o) => {
        if (o.response_range) return { type: 'range', response: toApi('range', o.response_range as Obj, leases) };
        if (o.response_put) return { type: 'put', response: toApi('put', o.response_put as Obj, leases) };
        if (o.response_delete_range) return { type: 'delete', response: toApi('delete', o.response_delete_range as Obj, leases) };
        return { type: 'txn', response: toApi('txn', (o.response_txn ?? {}) as Obj, leases) };
      });
      return { succeeded: r.succeeded === true, responses };
    }
    case 'lease-grant': return { id: leases.fromWire(r.ID), ttlS: num(r.TTL) };
    case 'lease-keepalive': return { id: leases.fromWire(r.ID), ttlS: num(r.TTL) };
    case 'lease-ttl': return { id: leases.fromWire(r.ID), ttlS: num(r.TTL), grantedTtlS: num(r.grantedTTL), keys: ((r.keys ?? []) as unknown[]).map(str) };
    case 'lease-leases': return { leases: ((r.leases ?? []) as Obj[]).map((l) => leases.fromWire(l.ID)) };
    // Member ids stay decimal strings (etcd's use all 64 bits); normaliseResponse names its own `self`.
    case 'member-list': return { members: ((r.members ?? []) as Obj[]).map((m) => ({ id: String(m.ID ?? '0'), name: String(m.name ?? ''), peerURLs: (m.peerURLs ?? []) as string[], clientURLs: (m.clientURLs ?? []) as string[], isLearner: m.isLearner === true })) };
    case 'status': return { leader: String(r.leader ?? '0'), errors: (r.errors ?? []) as string[] };
    case 'hash-kv': return { hash: num(r.hash), compactRevision: num(r.compact_revision) };
    case 'alarm': return { alarms: ((r.alarms ?? []) as Obj[]).map((a) => ({ memberId: String(a.memberID ?? '0'), alarm: ALARM_NAMES[num(a.alarm)] ?? String(a.alarm) })) };
    default: return {};
  }
}

function watchResponseOf(r: Obj, leases: Leases): WatchResponse {
  const h = (r.header ?? {}) as Obj;
  const events = ((r.events ?? []) as Obj[]).map((e) => {
    const ev: { type: 'PUT' | 'DELETE'; kv: never; prevKv?: never } = { type: num(e.type) === 1 ? 'DELETE' : 'PUT', kv: kvOf(e.kv, leases) as never };
    if (e.prev_kv !== null && e.prev_kv !== undefined) ev.prevKv = kvOf(e.prev_kv, leases) as never;
    return ev;
  });
  const out: { -readonly [K in keyof WatchResponse]: WatchResponse[K] } = {
    header: { clusterId: 0, memberId: 0, revision: num(h.revision), raftTerm: 0 },
    watchId: num(r.watch_id),
    events,
  };
  if (r.created === true) out.created = true;
  if (r.canceled === true) out.canceled = true;
  if (num(r.compact_revision) !== 0) out.compactRevision = num(r.compact_revision);
  if (typeof r.cancel_reason === 'string' && r.cancel_reason !== '') out.cancelReason = r.cancel_reason;
  return out;
}

/** How long one RPC may take before the harness calls it lost (a wedged etcd). */
const RPC_DEADLINE_MS = 10_000;

export interface EtcdRunHints {
  /** Events raftsim's watchers got: the etcd side waits (boundedly) until it saw at least as many. */
  readonly expectedEvents: number;
}

/** Runs `seq` against the etcd serving at `endpoint` (fresh, empty) and returns its normalised answers. */
export async function runOnEtcd(endpoint: string, seq: Sequence, hints: EtcdRunHints, alive: () => boolean): Promise<Outcome> {
  const s = loadServices();
  const opts = { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 };
  const creds = grpc.credentials.createInsecure();
  const kv = new s.KV(endpoint, creds, opts);
  const lease = new s.Lease(endpoint, creds, opts);
  const watch = new s.Watch(endpoint, creds, opts);
  const cluster = new s.Cluster(endpoint, creds, opts);
  const maintenance = new s.Maintenance(endpoint, creds, opts);
  const leases = new Leases();
  const watchResponses: WatchResponse[] = [];
  let watchStream: grpc.ClientDuplexStream<Obj, Obj> | undefined;
  let keepAlive: { stream: grpc.ClientDuplexStream<Obj, Obj>; waiting: ((r: Obj | Error) => void)[] } | undefined;
  let targetError: string | undefined;

  const unary = (client: grpc.Client, name: string, req: Obj): Promise<Obj> =>
    new Promise((resolve, reject) => {
      const fn = (client as unknown as Record<string, (r: Obj, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: Error | null, r: Obj) => void) => void>)[name] as (r: Obj, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: Error | null, r: Obj) => void) => void;
      fn.call(client, req, new grpc.Metadata(), { deadline: Date.now() + RPC_DEADLINE_MS }, (e, r) => (e ? reject(e) : resolve(r)));
    });

  const keepAliveOnce = (id: string): Promise<Obj> => {
    if (keepAlive === undefined) {
      const stream = (lease as unknown as { LeaseKeepAlive(): grpc.ClientDuplexStream<Obj, Obj> }).LeaseKeepAlive();
      const k = { stream, waiting: [] as ((r: Obj | Error) => void)[] };
      stream.on('data', (r: Obj) => k.waiting.shift()?.(r));
      stream.on('error', (e: Error) => {
        for (const w of k.waiting.splice(0)) w(e);
        if (keepAlive === k) keepAlive = undefined;
      });
      stream.on('end', () => {
        for (const w of k.waiting.splice(0)) w(new Error('keepalive stream ended'));
        if (keepAlive === k) keepAlive = undefined;
      });
      keepAlive = k;
    }
    const k = keepAlive;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(Object.assign(new Error('keepalive: no answer'), { code: grpc.status.DEADLINE_EXCEEDED })), RPC_DEADLINE_MS);
      k.waiting.push((r) => {
        clearTimeout(timer);
        if (r instanceof Error) reject(r);
        else resolve(r);
      });
      k.stream.write({ ID: id });
    });
  };

  const watchSend = (req: Obj): void => {
    if (watchStream === undefined) {
      watchStream = (watch as unknown as { Watch(): grpc.ClientDuplexStream<Obj, Obj> }).Watch();
      watchStream.on('data', (r: Obj) => watchResponses.push(watchResponseOf(r, leases)));
      watchStream.on('error', () => undefined);
    }
    watchStream.write(req);
  };

  // This member's id, to name it `self` (and to send for SELF_MEMBER): a Status read first, which
  // changes nothing on the member.
  let self = '';
  try {
    self = String(((await unary(maintenance, 'Status', {})).header as Obj | undefined)?.member_id ?? '');
  } catch {
    // An etcd that does not answer Status answers no op either: the ops report it.
  }
  const answers: Answer[] = [];
  for (const op of seq.ops) {
    if (targetError !== undefined) {
      answers.push(isWatchOp(op) ? null : { ok: false, code: 'target-down' });
      continue;
    }
    if (isWatchOp(op)) {
      watchSend(op.method === 'watch' ? { create_request: watchCreate(op.request) } : op.method === 'watch-cancel' ? { cancel_request: { watch_id: String(op.watchId) } } : { progress_request: {} });
      // Let the create (or cancel) reach etcd before the next write, as the simulated member sees it;
      // a watch from a past revision also gets time for etcd's sync loop (every 100 ms) to catch it up.
      await waitFor(() => false, op.method === 'watch' && (op.request.startRevision ?? 0) > 0 ? 250 : 5);
      answers.push(null);
      continue;
    }
    // Every server-chosen grant takes a slot, a failed one too ('' = no id): see sim-target.ts.
    const slot = op.method === 'lease-grant' && (op.request.id ?? 0) === 0 ? leases.slots.push('') - 1 : -1;
    try {
      const [client, name, req] = rpcOf(op, leases, { kv, lease, cluster, maintenance }, self);
      const r = name === 'LeaseKeepAlive' ? await keepAliveOnce(String(req.ID)) : await unary(client, name, req);
      // etcd's keepalive stream reports a missing lease as TTL 0, where raftsim's unary call answers
      // LeaseNotFound (its client turns that into the same "lease gone" as clientv3 does for TTL ≤ 0).
      if (op.method === 'lease-keepalive' && num(r.TTL) <= 0) {
        answers.push({ ok: false, code: 'LeaseNotFound' });
        continue;
      }
      if (slot >= 0) leases.slots[slot] = String(r.ID);
      const h = (r.header ?? {}) as Obj;
      answers.push({ ok: true, rev: num(h.revision), res: normaliseResponse(op.method, toApi(op.method, r, leases), self) });
    } catch (e) {
      // An unavailable etcd may be one that just crashed on this request: give it a moment to exit.
      if ((e as { code?: number }).code === grpc.status.UNAVAILABLE) await waitFor(() => !alive(), 1_000);
      if (!alive()) targetError = `etcd exited during op ${answers.length}`;
      // The op on which etcd exited answers `crash`, as raftsim's member answers one that fails it.
      answers.push({ ok: false, code: alive() ? errorCode(e) : 'crash' });
    }
  }
  // Watchers: wait (bounded) until etcd sent at least the events raftsim's did, then a little more
  // so that events raftsim did not send would show up too.
  const seen = (): number => watchResponses.reduce((n, r) => n + r.events.length, 0);
  if (watchStream !== undefined) {
    await waitFor(() => seen() >= hints.expectedEvents, 3_000);
    await waitFor(() => false, 150);
  }
  watchStream?.cancel();
  keepAlive?.stream.cancel();
  kv.close();
  lease.close();
  watch.close();
  cluster.close();
  maintenance.close();
  const out: Outcome = { answers, watches: collectWatches(watchResponses), progress: collectProgress(watchResponses) };
  return targetError === undefined ? out : { ...out, targetError };
}

function watchCreate(r: Extract<SeqOp, { method: 'watch' }>['request']): Obj {
  const o: Obj = { key: buf(r.key) };
  set(o, 'range_end', r.rangeEnd === undefined || r.rangeEnd === '' ? undefined : buf(r.rangeEnd));
  set(o, 'start_revision', r.startRevision);
  set(o, 'progress_notify', r.progressNotify);
  if (r.filters !== undefined && r.filters.length > 0) o.filters = r.filters.map((f) => FILTER[f] ?? f);
  set(o, 'prev_kv', r.prevKv);
  set(o, 'watch_id', r.watchId === undefined || r.watchId === 0 ? undefined : String(r.watchId));
  return o;
}

function rpcOf(op: RpcOp, leases: Leases, c: { kv: grpc.Client; lease: grpc.Client; cluster: grpc.Client; maintenance: grpc.Client }, self: string): [grpc.Client, string, Obj] {
  const { kv, lease } = c;
  switch (op.method) {
    case 'range': return [kv, 'Range', rangeReq(op.request)];
    case 'put': return [kv, 'Put', putReq(op.request, leases)];
    case 'delete': return [kv, 'DeleteRange', deleteReq(op.request)];
    case 'txn': return [kv, 'Txn', txnReq(op.request, leases)];
    case 'compact': {
      const o: Obj = {};
      set(o, 'revision', op.request.revision);
      set(o, 'physical', op.request.physical);
      return [kv, 'Compact', o];
    }
    case 'lease-grant': {
      const o: Obj = {};
      set(o, 'TTL', op.request.ttlS === 0 ? undefined : String(op.request.ttlS));
      set(o, 'ID', op.request.id === undefined || op.request.id === 0 ? undefined : leases.toWire(op.request.id));
      return [lease, 'LeaseGrant', o];
    }
    case 'lease-revoke': return [lease, 'LeaseRevoke', { ID: leases.toWire(op.request.id) }];
    case 'lease-keepalive': return [lease, 'LeaseKeepAlive', { ID: leases.toWire(op.request.id) }];
    case 'lease-ttl': {
      const o: Obj = { ID: leases.toWire(op.request.id) };
      set(o, 'keys', op.request.keys);
      return [lease, 'LeaseTimeToLive', o];
    }
    case 'lease-leases': return [lease, 'LeaseLeases', {}];
    case 'member-list': {
      const o: Obj = {};
      set(o, 'linearizable', op.request.linearizable);
      return [c.cluster, 'MemberList', o];
    }
    case 'status': return [c.maintenance, 'Status', {}];
    case 'hash-kv': {
      const o: Obj = {};
      set(o, 'revision', op.request.revision);
      return [c.maintenance, 'HashKV', o];
    }
    case 'alarm': {
      const o: Obj = {};
      set(o, 'action', ALARM_ACTION[op.request.action]);
      set(o, 'memberID', op.request.memberId === SELF_MEMBER ? self : op.request.memberId === 0 ? undefined : String(op.request.memberId));
      set(o, 'alarm', ALARM_TYPE[op.request.alarm]);
      return [c.maintenance, 'Alarm', o];
    }
  }
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
}
