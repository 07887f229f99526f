/**
 * Leases (etcd server/lease/lessor.go), pure: time arrives as an argument (virtual µs), ids come
 * from the caller, nothing expires by itself.
 *
 * Every member applies grants and revokes from the raft log. Only the primary (the leader) tracks
 * expiries: `expired(nowUs)` lists leases past their expiry so the server can *propose* a revoke;
 * the lease ends only when that revoke is applied. Followers hold every lease "forever". On becoming
 * leader, `promote(nowUs, extendUs)` refreshes every lease to its full TTL plus `extendUs` (etcd
 * passes the election timeout) — so leader churn extends leases (etcd #9395); on losing
 * leadership, `demote()`.
 *
 * Wiring, in this order (the store and the lessor refer to each other):
 *   const lessor = createLessor({ minTtlS: minLeaseTtlS(electionTicks, tickUs) });
 *   const store = createMvccStore({ leaseExists: (id) => lessor.exists(id) });
 *   lessor.bind(store);            // follows attachments through the store's write events
 *   // apply LeaseGrant:   lessor.grant(id, ttlS, nowUs)        (id chosen by the proposing server)
 *   // apply LeaseRevoke:  lessor.revoke(id)                    (its keys deleted in one revision)
 *   // leader, every 500 ms: for (const id of lessor.expired(nowUs, 500)) propose LeaseRevoke(id)
 *
 * Lease checkpointing (etcd's LeaseCheckpoint, PR #9924; off by default, as in etcd): with
 * `checkpointIntervalUs` set, the primary schedules every lease whose remaining TTL exceeds the
 * interval for a checkpoint one interval later; `dueCheckpoints(nowUs)` lists the due ones with their
 * remaining TTL (whole seconds, rounded up) for the server to propose as a LeaseCheckpoint entry, and
 * `checkpoint(id, remainingTtlS)` applies one on every member. A promote then refreshes each lease
 * to its checkpointed remaining TTL (not its full TTL) plus the extension, so leader churn no longer
 * renews leases indefinitely (etcd #9888). A renew clears the remaining TTL (`renew` says when a
 * clearing checkpoint must be proposed). `checkpointPersist` keeps the remaining TTLs in the
 * snapshot image (etcd's backend; PR #13508): without it a member restored from a snapshot has
 * forgotten them, and if it then leads it renews those leases in full (etcd #17132).
 */
import type { KvError, KvResult, LeaseGrantResponse, LeaseTimeToLiveResponse, WatchEvent } from '../api.js';
import { assert } from '../../sim/assert.js';
import { US_PER_S, type Micros } from '../../sim/time.js';
import { fail, kvError, ok } from '../mvcc/errors.js';
import { hashString } from '../mvcc/hash.js';
import type { MvccStore, StoreObserver } from '../mvcc/store.js';

/** etcd MaxLeaseTTL: 9 000 000 000 s. */
export const MAX_LEASE_TTL_S = 9_000_000_000;
/** etcd defaultLeaseRevokeRate: revokes per second the primary may propose. */
export const LEASE_REVOKE_RATE_PER_S = 1000;
/** etcd expiredLeaseRetryInterval: an expired lease is listed again after this if still not revoked. */
export const EXPIRED_RETRY_US: Micros = 3 * US_PER_S;

/** etcd's minimum TTL: ceil(((3 · electionTicks) / 2) · tick) in seconds (2 s with the defaults 10 × 100 ms). */
export function minLeaseTtlS(electionTicks: number, tickUs: Micros): number {
  assert(Number.isInteger(electionTicks) && electionTicks > 0 && tickUs > 0, 'lease: bad election ticks or tick');
  return Math.ceil((Math.floor((3 * electionTicks) / 2) * tickUs) / US_PER_S);
}

/**
 * Known etcd lessor bugs that can be switched back on (scenarios/bugs.ts):
 * - `etcd-20616`: a renew of a lease that expired but whose revoke is not applied yet refreshes it
 *   and succeeds — the revoke then applies, and the client was told its lease lives (etcd #20616,
 *   fixed by PR #20590 "Re-check that the lease still exists during the renew process");
 * - `etcd-17132`: lease checkpoints are not persisted (etcd before PR #13508, or 3.5 without
 *   --experimental-enable-lease-checkpoint-persist): the snapshot image leaves remaining TTLs out.
 */
export const LEASE_BUGS = ['etcd-20616', 'etcd-17132'] as const;
export type LeaseBug = (typeof LEASE_BUGS)[number];

export interface LessorOptions {
  /** Known bugs switched back on (LEASE_BUGS). Default none. */
  readonly bugs?: readonly LeaseBug[];
  /** TTLs below this are raised to it. Default 2 (etcd's defaults). */
  readonly minTtlS?: number;
  /** Revokes per second (etcd leaseRevokeRate); promote spreads pile-ups below ¾ of it. Default 1000. */
  readonly revokeRatePerS?: number;
  /** Default 3 s (etcd expiredLeaseRetryInterval). */
  readonly expiredRetryUs?: Micros;
  /** A bound on live leases. Default 1 000 000. */
  readonly leasesMax?: number;
  /** Lease checkpointing on, every this long (etcd --lease-checkpoint-interval, default 5 min there); 0 = off (etcd's default). Default 0. */
  readonly checkpointIntervalUs?: Micros;
  /** Remaining TTLs are part of the snapshot image (etcd ≥ 3.6, or --experimental-enable-lease-checkpoint-persist). Default true. */
  readonly checkpointPersist?: boolean;
}

/** One LeaseCheckpoint: the remaining TTL the primary saw; 0 clears it (a renew). */
export interface LeaseCheckpoint {
  readonly id: number;
  readonly remainingTtlS: number;
}

/** Renew's outcome: `pendingRevoke` marks a lease that expired but whose revoke is not applied yet. */
export type RenewResult =
  /** `clearCheckpoint`: the lease carried a checkpointed remaining TTL, to be cleared through raft (a LeaseCheckpoint of 0). */
  | { readonly ok: true; readonly value: { readonly ttlS: number }; readonly clearCheckpoint?: true }
  | { readonly ok: false; readonly error: KvError; readonly pendingRevoke?: true };

export interface LessorStats {
  readonly leases: number;
  readonly attachedKeys: number;
  /** Keys found on restore with a lease this lessor does not know (etcd logs and skips them). */
  readonly danglingAttachments: number;
}

export interface Lessor {
  /** Follows the store's writes to keep each lease's keys, and deletes through it on revoke. Once. */
  bind(store: MvccStore): void;
  /** LeaseGrant as applied: id 0 → LeaseNotFound, taken → LeaseExist, TTL > max → LeaseTTLTooLarge. */
  grant(id: number, ttlS: number, nowUs: Micros): KvResult<LeaseGrantResponse>;
  /** LeaseRevoke as applied: deletes the lease's keys in one revision (if any), then the lease. */
  revoke(id: number): KvResult<{ readonly deleted: number }>;
  exists(id: number): boolean;
  /** KeepAlive on the primary: back to full TTL. NotLeader on a follower (etcd ErrNotPrimary: forward). */
  renew(id: number, nowUs: Micros): RenewResult;
  /** LeaseTimeToLive on the primary (followers forward: NotLeader). TTL in whole seconds, truncated. */
  timeToLive(id: number, nowUs: Micros, withKeys?: boolean): KvResult<LeaseTimeToLiveResponse>;
  /** The keys attached to lease `id`, sorted (none if it does not exist), on any member: the auth applier's lease check. */
  keysOf(id: number): readonly string[];
  /** LeaseLeases: every lease id, ascending. */
  leases(): readonly number[];
  /** Primary only: up to `limit` leases past expiry not listed in the last retry interval, oldest first. */
  expired(nowUs: Micros, limit?: number): readonly number[];
  /** Becomes primary: every lease refreshed to full TTL + extendUs (pile-ups spread as etcd does). */
  promote(nowUs: Micros, extendUs: Micros): void;
  /** Stops being primary: every lease held forever, scheduled checkpoints dropped. */
  demote(): void;
  /** Primary, checkpointing on: the scheduled checkpoints that are due (at most `limit`), oldest first. */
  dueCheckpoints(nowUs: Micros, limit?: number): readonly LeaseCheckpoint[];
  /** LeaseCheckpoint as applied: the lease's remaining TTL (used by the next promote); the primary schedules the next. */
  checkpoint(cp: LeaseCheckpoint, nowUs: Micros): void;
  /** The checkpointed remaining TTL of a lease (0 = none, or no such lease). */
  remainingTtlS(id: number): number;
  /** Whether checkpointed remaining TTLs are persisted (etcd shouldPersistCheckpoints): in the snapshot image and the backend's lease bucket. */
  persistsCheckpoints(): boolean;
  isPrimary(): boolean;
  /** The leases (id, granted TTL) as bytes; expiries are not kept (a restored lessor is not primary). */
  snapshot(): Uint8Array;
  /** Replaces every lease by a snapshot's and re-derives attachments from the bound store. */
  restore(bytes: Uint8Array): KvResult<void>;
  /** The same from a list of (id, granted TTL): the backend's `lease` bucket at restart. */
  restoreLeases(leases: readonly (readonly [number, number, number?])[]): void;
  /** The granted TTL of lease `id`, or undefined. */
  ttlOf(id: number): number | undefined;
  stats(): LessorStats;
  /** Attachments agree with the bound store's live keys, both ways (tests). */
  checkInvariants(): void;
}

export function createLessor(options: LessorOptions = {}): Lessor {
  const config: Config = {
    minTtlS: options.minTtlS ?? 2,
    revokeRatePerS: options.revokeRatePerS ?? LEASE_REVOKE_RATE_PER_S,
    expiredRetryUs: options.expiredRetryUs ?? EXPIRED_RETRY_US,
    leasesMax: options.leasesMax ?? 1_000_000,
  };
  const checkpointIntervalUs = options.checkpointIntervalUs ?? 0;
  assert(Number.isSafeInteger(checkpointIntervalUs) && checkpointIntervalUs >= 0, () => `lease: option checkpointIntervalUs must be an integer ≥ 0, got ${checkpointIntervalUs}`);
  for (const [name, v] of Object.entries(config)) {
    assert(Number.isSafeInteger(v) && v > 0, () => `lease: option ${name} must be a positive integer, got ${v}`);
  }
  const bugs = options.bugs ?? [];
  return new LessorImpl(config, bugs.includes('etcd-20616'), checkpointIntervalUs, (options.checkpointPersist ?? true) && !bugs.includes('etcd-17132'));
}

interface Config {
  readonly minTtlS: number;
  readonly revokeRatePerS: number;
  readonly expiredRetryUs: Micros;
  readonly leasesMax: number;
}

interface Lease {
  readonly id: number;
  readonly ttlS: number;
  /** When it expires, on the primary; Infinity ("forever") elsewhere. */
  expiryUs: number;
  /** Not listed by `expired` again before this (etcd re-queues an expired lease for 3 s). */
  retryAtUs: number;
  /** The checkpointed remaining TTL (etcd remainingTTL); 0 = none, the full TTL applies. */
  remainingTtlS: number;
  readonly keys: Set<string>;
}

const MAGIC = 'raftsim-lease/1';

class LessorImpl implements Lessor {
  private readonly leaseMap = new Map<number, Lease>();
  /** key → lease id (etcd itemMap). */
  private readonly itemMap = new Map<string, number>();
  private primary = false;
  private store: MvccStore | undefined;
  private dangling = 0;
  /** Scheduled checkpoints (etcd leaseCheckpointHeap), kept sorted by time then id. */
  private scheduled: { readonly id: number; readonly atUs: Micros }[] = [];

  constructor(
    private readonly config: Config,
    private readonly renewPastExpiry = false,
    private readonly checkpointIntervalUs: Micros = 0,
    private readonly checkpointPersist = true,
  ) {}

  bind(store: MvccStore): void {
    assert(this.store === undefined, 'lease: lessor bound twice');
    this.store = store;
    const observer: StoreObserver = {
      onWrite: (_rev, events) => this.follow(events),
      onRestore: () => this.rebuildAttachments(),
    };
    store.observe(observer);
    this.rebuildAttachments();
  }

  grant(id: number, ttlS: number, nowUs: Micros): KvResult<LeaseGrantResponse> {
    assert(Number.isSafeInteger(id) && Number.isSafeInteger(ttlS), () => `lease: grant of ${id} with TTL ${ttlS} is not integral`);
    if (id === 0) return fail('LeaseNotFound');
    if (ttlS > MAX_LEASE_TTL_S) return fail('LeaseTTLTooLarge');
    if (this.leaseMap.has(id)) return fail('LeaseExist');
    assert(this.leaseMap.size < this.config.leasesMax, () => `lease: more than ${this.config.leasesMax} leases`);
    const ttl = Math.max(ttlS, this.config.minTtlS);
    const lease: Lease = { id, ttlS: ttl, expiryUs: Infinity, retryAtUs: 0, remainingTtlS: 0, keys: new Set() };
    if (this.primary) refresh(lease, nowUs, 0);
    this.leaseMap.set(id, lease);
    if (this.primary) this.scheduleCheckpoint(lease, nowUs);
    return ok({ id, ttlS: ttl });
  }

  revoke(id: number): KvResult<{ readonly deleted: number }> {
    const lease = this.leaseMap.get(id);
    if (lease === undefined) return fail('LeaseNotFound');
    const store = this.boundStore();
    // etcd sorts the keys and deletes them in one write txn: one revision, DELETE events in order.
    const keys = [...lease.keys].sort();
    const deleted = store.deleteKeys(keys);
    assert(lease.keys.size === 0, () => `lease ${id}: ${lease.keys.size} keys still attached after revoke`);
    this.leaseMap.delete(id);
    return ok({ deleted });
  }

  exists(id: number): boolean {
    return this.leaseMap.has(id);
  }

  renew(id: number, nowUs: Micros): RenewResult {
    if (!this.primary) return { ok: false, error: kvError('NotLeader') };
    const lease = this.leaseMap.get(id);
    if (lease === undefined) return { ok: false, error: kvError('LeaseNotFound') };
    // Expired but not yet revoked: etcd waits for the revoke, then answers LeaseNotFound (or
    // ErrNotPrimary if leadership is lost meanwhile). It must not succeed (etcd PR #20616).
    // etcd-20616 switched on: the renew goes ahead although the lease is being revoked.
    if (lease.expiryUs <= nowUs && !this.renewPastExpiry) return { ok: false, error: kvError('LeaseNotFound', 'lease: expired, revoke pending'), pendingRevoke: true };
    // etcd: a renew of a checkpointed lease clears its remaining TTL through raft (only the first
    // renew after a checkpoint writes an entry); the refresh itself is to the full TTL.
    const clear = this.checkpointIntervalUs > 0 && lease.remainingTtlS > 0;
    lease.remainingTtlS = 0;
    refresh(lease, nowUs, 0);
    return clear ? { ok: true, value: { ttlS: lease.ttlS }, clearCheckpoint: true } : { ok: true, value: { ttlS: lease.ttlS } };
  }

  timeToLive(id: number, nowUs: Micros, withKeys = false): KvResult<LeaseTimeToLiveResponse> {
    if (!this.primary) return fail('NotLeader');
    const lease = this.leaseMap.get(id);
    if (lease === undefined) return fail('LeaseNotFound');
    // etcd: int64(l.Remaining().Seconds()), a truncation toward zero.
    const ttlS = Math.trunc((lease.expiryUs - nowUs) / US_PER_S);
    return ok({ id, ttlS, grantedTtlS: lease.ttlS, keys: withKeys ? [...lease.keys].sort() : [] });
  }

  keysOf(id: number): readonly string[] {
    const lease = this.leaseMap.get(id);
    return lease === undefined ? [] : [...lease.keys].sort();
  }

  leases(): readonly number[] {
    return [...this.leaseMap.keys()].sort((a, b) => a - b);
  }

  expired(nowUs: Micros, limit = Math.floor(this.config.revokeRatePerS / 2)): readonly number[] {
    if (!this.primary) return [];
    const due = [...this.leaseMap.values()]
      .filter((l) => l.expiryUs <= nowUs && l.retryAtUs <= nowUs)
      .sort((a, b) => a.expiryUs - b.expiryUs || a.id - b.id)
      .slice(0, limit);
    for (const l of due) l.retryAtUs = nowUs + this.config.expiredRetryUs;
    return due.map((l) => l.id);
  }

  promote(nowUs: Micros, extendUs: Micros): void {
    assert(extendUs >= 0, 'lease: promote with a negative extension');
    this.primary = true;
    this.scheduled = [];
    for (const lease of this.leaseMap.values()) {
      refresh(lease, nowUs, extendUs);
      this.scheduleCheckpoint(lease, nowUs);
    }
    if (this.leaseMap.size >= this.config.revokeRatePerS) this.spreadPileUps(nowUs, extendUs);
  }

  dueCheckpoints(nowUs: Micros, limit = 1000): readonly LeaseCheckpoint[] {
    if (!this.primary || this.checkpointIntervalUs === 0) return [];
    const out: LeaseCheckpoint[] = [];
    while (this.scheduled.length > 0 && out.length < limit) {
      const next = this.scheduled[0] as { readonly id: number; readonly atUs: Micros };
      if (next.atUs > nowUs) break;
      this.scheduled.shift();
      const lease = this.leaseMap.get(next.id);
      if (lease === undefined || nowUs >= lease.expiryUs) continue;
      const remainingTtlS = Math.ceil((lease.expiryUs - nowUs) / US_PER_S);
      if (remainingTtlS >= lease.ttlS) continue;
      out.push({ id: next.id, remainingTtlS });
    }
    return out;
  }

  checkpoint(cp: LeaseCheckpoint, nowUs: Micros): void {
    const lease = this.leaseMap.get(cp.id);
    if (lease === undefined) return;
    lease.remainingTtlS = cp.remainingTtlS;
    if (this.primary) this.scheduleCheckpoint(lease, nowUs);
  }

  remainingTtlS(id: number): number {
    return this.leaseMap.get(id)?.remainingTtlS ?? 0;
  }

  persistsCheckpoints(): boolean {
    return this.checkpointPersist;
  }

  demote(): void {
    this.primary = false;
    this.scheduled = [];
    for (const lease of this.leaseMap.values()) {
      lease.expiryUs = Infinity;
      lease.retryAtUs = 0;
    }
  }

  isPrimary(): boolean {
    return this.primary;
  }

  snapshot(): Uint8Array {
    // [id, ttl], or [id, ttl, remaining] for a checkpointed lease when checkpoints persist.
    const json = JSON.stringify({
      leases: this.leases().map((id) => {
        const l = this.leaseMap.get(id) as Lease;
        return this.checkpointPersist && l.remainingTtlS > 0 ? [id, l.ttlS, l.remainingTtlS] : [id, l.ttlS];
      }),
    });
    return new TextEncoder().encode(`${MAGIC} ${hashString(json).toString(16)}\n${json}`);
  }

  restore(bytes: Uint8Array): KvResult<void> {
    const parsed = parseSnapshot(bytes);
    if (!parsed.ok) return parsed;
    this.restoreLeases(parsed.value);
    return ok(undefined);
  }

  restoreLeases(leases: readonly (readonly [number, number, number?])[]): void {
    this.leaseMap.clear();
    for (const [id, ttlS, remainingTtlS = 0] of leases) this.leaseMap.set(id, { id, ttlS, expiryUs: Infinity, retryAtUs: 0, remainingTtlS, keys: new Set() });
    // etcd Recover: restored leases never expire until the next promote.
    this.primary = false;
    this.scheduled = [];
    this.rebuildAttachments();
  }

  ttlOf(id: number): number | undefined {
    return this.leaseMap.get(id)?.ttlS;
  }

  stats(): LessorStats {
    return { leases: this.leaseMap.size, attachedKeys: this.itemMap.size, danglingAttachments: this.dangling };
  }

  checkInvariants(): void {
    for (const [key, id] of this.itemMap) {
      assert(this.leaseMap.get(id)?.keys.has(key) === true, () => `lease: "${key}" mapped to ${id}, which does not list it`);
    }
    let listed = 0;
    for (const lease of this.leaseMap.values()) {
      listed += lease.keys.size;
      assert(this.primary || lease.expiryUs === Infinity, () => `lease ${lease.id}: expiry on a non-primary`);
    }
    assert(listed === this.itemMap.size, () => `lease: ${listed} keys listed, ${this.itemMap.size} mapped`);
    if (this.store === undefined) return;
    const live = this.store.range({ key: '\0', rangeEnd: '\0' });
    assert(live.ok, 'lease: cannot read the store');
    let leased = 0;
    for (const kv of live.value.kvs) {
      if (kv.lease === 0 || !this.leaseMap.has(kv.lease)) continue;
      leased++;
      assert(this.itemMap.get(kv.key) === kv.lease, () => `lease: "${kv.key}" has lease ${kv.lease} in the store, ${this.itemMap.get(kv.key)} here`);
    }
    assert(leased === this.itemMap.size, () => `lease: ${leased} leased keys in the store, ${this.itemMap.size} attached`);
  }

  /** Attach and detach as the store's puts and deletes go by (etcd storeTxnWrite.put / delete). */
  private follow(events: readonly WatchEvent[]): void {
    for (const ev of events) {
      const key = ev.kv.key;
      const old = this.itemMap.get(key);
      if (old !== undefined) {
        this.leaseMap.get(old)?.keys.delete(key);
        this.itemMap.delete(key);
      }
      if (ev.type !== 'PUT' || ev.kv.lease === 0) continue;
      const lease = this.leaseMap.get(ev.kv.lease);
      // etcd panics here too ("unexpected error from lease Attach"): the store must check leases.
      assert(lease !== undefined, () => `lease: "${key}" was put with unknown lease ${ev.kv.lease}; wire the store's leaseExists to this lessor`);
      lease.keys.add(key);
      this.itemMap.set(key, lease.id);
    }
  }

  private rebuildAttachments(): void {
    for (const lease of this.leaseMap.values()) lease.keys.clear();
    this.itemMap.clear();
    this.dangling = 0;
    if (this.store === undefined) return;
    const live = this.store.range({ key: '\0', rangeEnd: '\0' });
    assert(live.ok, 'lease: cannot read the store');
    for (const kv of live.value.kvs) {
      if (kv.lease === 0) continue;
      const lease = this.leaseMap.get(kv.lease);
      if (lease === undefined) {
        this.dangling++;
        continue;
      }
      lease.keys.add(kv.key);
      this.itemMap.set(kv.key, kv.lease);
    }
  }

  /** etcd scheduleCheckpointIfNeeded: a lease with more left than one interval is checkpointed an interval from now. */
  private scheduleCheckpoint(lease: Lease, nowUs: Micros): void {
    if (this.checkpointIntervalUs === 0) return;
    const left = lease.remainingTtlS > 0 ? lease.remainingTtlS : lease.ttlS;
    if (left * US_PER_S <= this.checkpointIntervalUs) return;
    const item = { id: lease.id, atUs: nowUs + this.checkpointIntervalUs };
    let i = this.scheduled.length;
    while (i > 0 && (this.scheduled[i - 1] as typeof item).atUs > item.atUs) i--;
    this.scheduled.splice(i, 0, item);
  }

  private boundStore(): MvccStore {
    assert(this.store !== undefined, 'lease: revoke before bind(store)');
    return this.store;
  }

  /**
   * etcd Promote with ≥ revokeRate leases: leases whose expiries would pile up in one second are
   * pushed later so at most ¾ of the revoke rate expire per second. etcd subtracts a count of
   * seconds from nanoseconds in `rateDelay`; kept, it shifts expiries by nanoseconds only.
   */
  private spreadPileUps(nowUs: Micros, extendUs: Micros): void {
    const leases = [...this.leaseMap.values()].sort((a, b) => a.ttlS - b.ttlS || a.id - b.id);
    const target = Math.floor((3 * this.config.revokeRatePerS) / 4);
    let baseWindow = (leases[0] as Lease).ttlS;
    let nextWindow = baseWindow + 1;
    let expires = 0;
    for (const lease of leases) {
      const remaining = lease.ttlS;
      if (remaining > nextWindow) {
        baseWindow = remaining;
        nextWindow = baseWindow + 1;
        expires = 1;
        continue;
      }
      expires++;
      if (expires <= target) continue;
      const delayNs = Math.trunc(1e9 * (expires / target) - (remaining - baseWindow));
      nextWindow = baseWindow + Math.trunc(delayNs / 1e9) + 1;
      refresh(lease, nowUs, extendUs + Math.trunc(delayNs / 1000));
    }
  }
}

/** The checkpointed remaining TTL, else the full TTL, from now, plus `extendUs` (etcd Lease.refresh). */
function refresh(lease: Lease, nowUs: Micros, extendUs: Micros): void {
  lease.expiryUs = nowUs + extendUs + (lease.remainingTtlS > 0 ? lease.remainingTtlS : lease.ttlS) * US_PER_S;
  lease.retryAtUs = 0;
}

function parseSnapshot(bytes: Uint8Array): KvResult<[number, number, number][]> {
  const text = new TextDecoder().decode(bytes);
  const nl = text.indexOf('\n');
  const [magic, sum] = text.slice(0, Math.max(0, nl)).split(' ');
  const json = text.slice(nl + 1);
  if (nl < 0 || magic !== MAGIC || sum !== hashString(json).toString(16)) return fail('Corrupt', 'lease snapshot: bad header or checksum');
  let body: unknown;
  try {
    body = JSON.parse(json);
  } catch {
    return fail('Corrupt', 'lease snapshot: body is not JSON');
  }
  const leases = (body as { leases?: unknown }).leases;
  if (!Array.isArray(leases)) return fail('Corrupt', 'lease snapshot: no lease list');
  const out: [number, number, number][] = [];
  for (const entry of leases) {
    if (!Array.isArray(entry) || (entry.length !== 2 && entry.length !== 3) || !entry.every((n) => Number.isSafeInteger(n))) return fail('Corrupt', 'lease snapshot: bad lease entry');
    out.push([entry[0] as number, entry[1] as number, (entry[2] as number | undefined) ?? 0]);
  }
  return ok(out);
}
