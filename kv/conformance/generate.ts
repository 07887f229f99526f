/**
 * Random request sequences for the conformance harness, from a seed (sim/random streams only).
 *
 * Mostly what real clients send — puts and gets over a few keys and prefixes, CAS txns, leases with
 * attached keys, watches from old revisions, compaction — mixed with what only a hostile client
 * sends (and progress requests on the watch stream): empty keys, inverted and unbounded ranges, negative limits and revisions, unknown sort
 * enums, ignore_value with a value, leases that do not exist, TTLs out of range, txns breaking
 * several rules at once (which error wins), too many ops, nested txns, requests over the size
 * limits. The generator does not run anything: it keeps a rough count of the store's revision so
 * that revisions it asks for fall in the past, the present and the future.
 */
import type { Compare, CompareResult, RangeRequest, RequestOp, SortOrder, SortTarget, TxnRequest, WatchCreateRequest, WatchFilter } from '../api.js';
import { createRandom, type Random } from '../../sim/random.js';
import { bytePrefixEnd, SELF_MEMBER, SLOT_BASE, type SeqOp, type Sequence } from './sequence.js';

export interface GenerateOptions {
  /** Ops per sequence, both inclusive. Default 50–300. */
  readonly minOps?: number;
  readonly maxOps?: number;
}

const KEYS = ['a', 'b', 'c', 'a1', 'a2', 'ab', 'b1', 'foo', 'foo/x', 'foo/y'];
const HOSTILE_KEYS = ['\0', '\xff', 'a\0', '\xff\xff', ' ', 'a'.repeat(300)];
const RESULTS: readonly CompareResult[] = ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'];
const SORT_ORDERS: readonly SortOrder[] = ['NONE', 'ASCEND', 'DESCEND'];
const SORT_TARGETS: readonly SortTarget[] = ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'];
/** etcd's default --max-txn-ops. */
const MAX_TXN_OPS = 128;
const MIB = 1024 * 1024;

export function generateSequence(seed: number | string, index: number, options: GenerateOptions = {}): Sequence {
  const r = createRandom(seed).fork(`conformance-${index}`);
  // Progress requests come from a stream of their own, so that adding them left every other op
  // of a sequence as it was.
  const progress = createRandom(seed).fork(`conformance-${index}-progress`);
  // Cluster and Maintenance requests (issue 18) likewise: inserted between the ops of the older streams.
  const maintenance = createRandom(seed).fork(`conformance-${index}-maintenance`);
  const g = new Gen(r);
  const n = r.int(options.minOps ?? 50, options.maxOps ?? 300);
  while (g.ops.length < n) {
    g.step();
    if (progress.chance(0.03)) g.ops.push({ method: 'watch-progress' });
    if (maintenance.chance(0.05)) g.maintenance(maintenance);
  }
  return { name: `${seed}/${index}`, ops: g.ops.slice(0, n) };
}

class Gen {
  readonly ops: SeqOp[] = [];
  /** A rough store revision: 1 + the writes generated (some fail, so it runs ahead). */
  private rev = 1;
  private compacted = 0;
  private slots = 0;
  private literalLeases: number[] = [];
  private watchIds = 0;

  constructor(private readonly r: Random) {}

  step(): void {
    const x = this.r.float();
    if (x < 0.25) this.push({ method: 'put', request: this.put() });
    else if (x < 0.44) this.push({ method: 'range', request: this.range() });
    else if (x < 0.51) this.push({ method: 'delete', request: this.del() });
    else if (x < 0.66) this.push({ method: 'txn', request: this.txn(0) });
    else if (x < 0.70) this.compact();
    else if (x < 0.77) this.grant();
    else if (x < 0.80) this.push({ method: 'lease-revoke', request: { id: this.leaseRef() } });
    else if (x < 0.83) this.push({ method: 'lease-keepalive', request: { id: this.leaseRef() } });
    else if (x < 0.87) this.push({ method: 'lease-ttl', request: { id: this.leaseRef(), keys: this.r.chance(0.6) } });
    else if (x < 0.89) this.push({ method: 'lease-leases', request: {} });
    else if (x < 0.95) this.push({ method: 'watch', request: this.watch() });
    else if (x < 0.96) this.push({ method: 'watch-cancel', watchId: this.r.int(-1, this.watchIds + 1) });
    else if (x < 0.965) this.big();
    else this.push({ method: 'put', request: this.put() });
  }

  private push(op: SeqOp): void {
    this.ops.push(op);
    if (op.method === 'put' || op.method === 'delete' || (op.method === 'txn' && !readOnly(op.request))) this.rev++;
  }

  private key(): string {
    return this.r.chance(0.03) ? this.r.pick(HOSTILE_KEYS) : this.r.pick(KEYS);
  }

  private value(): string {
    const x = this.r.float();
    if (x < 0.1) return '';
    if (x < 0.95) return `v${this.r.int(0, 30)}`;
    return 'x'.repeat(this.r.int(100, 5000));
  }

  /** A revision in the past, present or future, or hostile. */
  private revision(): number {
    const x = this.r.float();
    if (x < 0.05) return -this.r.int(1, 5);
    if (x < 0.3) return 0;
    if (x < 0.9) return this.r.int(1, this.rev + 1);
    if (x < 0.95) return this.compacted > 0 ? this.r.int(Math.max(1, this.compacted - 2), this.compacted + 1) : this.r.int(1, 3);
    return this.rev + this.r.int(2, 50);
  }

  /** [key, rangeEnd?] for a range, delete, compare or watch. */
  private keyRange(allowEmptyKey: boolean): [string, string | undefined] {
    const x = this.r.float();
    if (allowEmptyKey && x < 0.02) return ['', this.r.chance(0.5) ? undefined : '\0'];
    if (x < 0.5) return [this.key(), undefined];
    if (x < 0.7) {
      const p = this.r.pick(['a', 'b', 'foo/', 'f', '\xff']);
      return [p, bytePrefixEnd(p)];
    }
    if (x < 0.82) {
      const [lo, hi] = [this.r.pick(KEYS), this.r.pick(KEYS)];
      return [lo, hi]; // sometimes inverted or empty: hostile
    }
    if (x < 0.92) return [this.key(), '\0']; // from key
    return ['\0', '\0']; // every key
  }

  private range(): RangeRequest {
    const [key, rangeEnd] = this.keyRange(true);
    const o: { -readonly [K in keyof RangeRequest]: RangeRequest[K] } = { key };
    if (rangeEnd !== undefined) o.rangeEnd = rangeEnd;
    if (this.r.chance(0.3)) o.limit = this.r.chance(0.1) ? -this.r.int(1, 3) : this.r.int(0, 4);
    if (this.r.chance(0.3)) o.revision = this.revision();
    if (this.r.chance(0.25)) {
      // Unknown enum values come only from hostile clients (etcd's proto decoder keeps them).
      o.sortOrder = this.r.chance(0.01) ? (7 as unknown as SortOrder) : this.r.pick(SORT_ORDERS);
      o.sortTarget = this.r.chance(0.01) ? (9 as unknown as SortTarget) : this.r.pick(SORT_TARGETS);
    }
    if (this.r.chance(0.2)) o.serializable = true;
    if (this.r.chance(0.15)) o.keysOnly = true;
    if (this.r.chance(0.1)) o.countOnly = true;
    if (this.r.chance(0.07)) o.minModRevision = this.revision();
    if (this.r.chance(0.07)) o.maxModRevision = this.revision();
    if (this.r.chance(0.07)) o.minCreateRevision = this.revision();
    if (this.r.chance(0.07)) o.maxCreateRevision = this.revision();
    return o;
  }

  private put(): { key: string; value: string; lease?: number; prevKv?: boolean; ignoreValue?: boolean; ignoreLease?: boolean } {
    const o: { key: string; value: string; lease?: number; prevKv?: boolean; ignoreValue?: boolean; ignoreLease?: boolean } = { key: this.r.chance(0.02) ? '' : this.key(), value: this.value() };
    if (this.r.chance(0.2)) o.lease = this.leaseRef();
    if (this.r.chance(0.3)) o.prevKv = true;
    if (this.r.chance(0.06)) {
      o.ignoreValue = true;
      if (this.r.chance(0.7)) o.value = '';
    }
    if (this.r.chance(0.06)) {
      o.ignoreLease = true;
      if (this.r.chance(0.7)) delete o.lease;
    }
    return o;
  }

  private del(): { key: string; rangeEnd?: string; prevKv?: boolean } {
    const [key, rangeEnd] = this.keyRange(true);
    const o: { key: string; rangeEnd?: string; prevKv?: boolean } = { key };
    if (rangeEnd !== undefined) o.rangeEnd = rangeEnd;
    if (this.r.chance(0.4)) o.prevKv = true;
    return o;
  }

  private compare(): Compare {
    const [key, rangeEnd] = this.r.chance(0.15) ? this.keyRange(true) : [this.r.chance(0.02) ? '' : this.key(), undefined];
    const result = this.r.pick(RESULTS);
    const base = rangeEnd === undefined ? { key, result } : { key, rangeEnd, result };
    switch (this.r.int(0, 4)) {
      case 0: return { ...base, target: 'VALUE', value: this.value() };
      case 1: return { ...base, target: 'VERSION', version: this.r.int(0, 4) };
      case 2: return { ...base, target: 'CREATE', createRevision: this.r.int(0, this.rev + 1) };
      case 3: return { ...base, target: 'MOD', modRevision: this.r.int(0, this.rev + 1) };
      default: return { ...base, target: 'LEASE', lease: this.r.chance(0.4) ? 0 : this.leaseRef() };
    }
  }

  private requestOp(depth: number): RequestOp {
    const x = this.r.float();
    if (x < 0.35) return { type: 'put', request: this.put() };
    if (x < 0.7) return { type: 'range', request: this.range() };
    if (x < 0.88 || depth >= 2) return { type: 'delete', request: this.del() };
    return { type: 'txn', request: this.txn(depth + 1) };
  }

  private txn(depth: number): TxnRequest {
    if (depth === 0 && this.r.chance(0.01)) {
      // Over --max-txn-ops, sometimes with another rule broken too (which error wins).
      const n = MAX_TXN_OPS + this.r.int(1, 3);
      const success: RequestOp[] = Array.from({ length: n }, (_, i) => ({ type: 'put', request: { key: `t${i}`, value: '' } }));
      if (this.r.chance(0.5)) success.push({ type: 'put', request: { key: 't0', value: 'dup' } });
      return { compare: [], success, failure: [] };
    }
    const ops = (): RequestOp[] => Array.from({ length: this.r.int(0, 3) }, () => this.requestOp(depth));
    return { compare: Array.from({ length: this.r.int(0, 3) }, () => this.compare()), success: ops(), failure: ops() };
  }

  private compact(): void {
    const x = this.r.float();
    const revision = x < 0.6 ? this.r.int(Math.max(1, this.compacted), this.rev) : x < 0.8 ? this.compacted : x < 0.9 ? this.rev + this.r.int(1, 10) : this.r.int(-2, 0);
    this.ops.push({ method: 'compact', request: this.r.chance(0.3) ? { revision, physical: true } : { revision } });
    if (revision > this.compacted && revision <= this.rev) this.compacted = revision;
  }

  private grant(): void {
    const short = this.r.chance(0.15);
    const ttlS = short ? this.r.pick([0, 1, -5, 2]) : this.r.chance(0.08) ? this.r.pick([9_000_000_000, 9_000_000_001, 2 ** 40]) : this.r.pick([60, 300, 3600, 86_400]);
    const literal = this.r.chance(0.3);
    const id = literal ? (this.r.chance(0.1) ? -this.r.int(1, 3) : this.r.int(1, 6)) : 0;
    this.ops.push({ method: 'lease-grant', request: { ttlS, id } });
    if (literal) this.literalLeases.push(id);
    else this.slots++;
    // A lease of a TTL near etcd's minimum would expire (in wall time, on etcd) within a sequence:
    // revoke it at once, so that expiry, which the two targets time differently, never decides.
    if (short) this.ops.push({ method: 'lease-revoke', request: { id: literal ? id : SLOT_BASE + this.slots - 1 } });
  }

  /** A lease id to use: a granted slot or literal, one never granted, or 0. */
  private leaseRef(): number {
    const x = this.r.float();
    if (x < 0.55 && this.slots > 0) return SLOT_BASE + this.r.int(0, this.slots - 1);
    if (x < 0.8 && this.literalLeases.length > 0) return this.r.pick(this.literalLeases);
    if (x < 0.95) return this.r.int(1, 8);
    return this.r.pick([0, -1, 2 ** 53 - 1]);
  }

  private watch(): WatchCreateRequest {
    const [key, rangeEnd] = this.keyRange(true);
    const o: { -readonly [K in keyof WatchCreateRequest]: WatchCreateRequest[K] } = { key };
    if (rangeEnd !== undefined) o.rangeEnd = rangeEnd;
    if (this.r.chance(0.6)) o.startRevision = this.revision();
    if (this.r.chance(0.2)) o.filters = this.r.pick<WatchFilter[]>([['NOPUT'], ['NODELETE'], ['NOPUT', 'NODELETE']]);
    if (this.r.chance(0.4)) o.prevKv = true;
    if (this.r.chance(0.1)) o.watchId = this.r.int(1, 4);
    // A negative start is refused by raftsim without an id, taken by etcd 3.4 with one (a known
    // difference): such a watch names its id, so the ids of the watches after it stay comparable.
    if ((o.startRevision ?? 0) < 0) o.watchId = 1000 + this.watchIds;
    this.watchIds++;
    return o;
  }

  /**
   * One of the Cluster and Maintenance requests a single-member etcd answers, drawn from `m` only:
   * MemberList, Status, HashKV at a past, current, future or compacted revision, and Alarm — mostly
   * GET (of every type, or one), sometimes activating or deactivating NOSPACE for this member, for
   * member 0 or for a member that does not exist (etcd checks neither), which caps the writes after it.
   */
  maintenance(m: Random): void {
    const x = m.float();
    if (x < 0.2) this.ops.push({ method: 'member-list', request: m.chance(0.3) ? { linearizable: true } : {} });
    else if (x < 0.4) this.ops.push({ method: 'status', request: {} });
    else if (x < 0.7) {
      const y = m.float();
      const revision = y < 0.4 ? 0 : y < 0.8 ? m.int(1, this.rev + 1) : y < 0.9 ? this.compacted + m.int(-1, 1) : y < 0.95 ? this.rev + m.int(2, 20) : -m.int(1, 3);
      this.ops.push({ method: 'hash-kv', request: { revision } });
    } else {
      const y = m.float();
      const action = y < 0.6 ? 'GET' : y < 0.8 ? 'ACTIVATE' : 'DEACTIVATE';
      const memberId = m.pick([SELF_MEMBER, SELF_MEMBER, 0, 7]);
      const alarm = action === 'GET' ? m.pick(['NONE', 'NONE', 'NOSPACE', 'CORRUPT'] as const) : 'NOSPACE';
      this.ops.push({ method: 'alarm', request: { action, memberId, alarm } });
    }
  }

  /** Requests at the size limits: under, over etcd's --max-request-bytes, over its gRPC limit. */
  private big(): void {
    const size = this.r.pick([1 * MIB, 1.6 * MIB, 2.5 * MIB]);
    this.push({ method: 'put', request: { key: this.key(), value: 'z'.repeat(size) } });
  }
}

function readOnly(t: TxnRequest): boolean {
  return [...t.success, ...t.failure].every((o) => o.type === 'range');
}
