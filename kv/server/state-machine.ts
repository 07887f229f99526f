/**
 * The replicated state of one member (what raft entries change and a raft snapshot carries): the
 * MVCC store, the leases, the alarms and the modelled backend size; and the applier that changes
 * them (etcd's uberApplier chain: corrupt → capped → quota → backend).
 *
 * Everything here is a function of the entries applied, in order: two members that applied the
 * same log hold equal state (same hashKV, same leases, same alarms). The only per-member input is
 * `defragment`, which — as in etcd — is not replicated and only changes the modelled size.
 */
import type { KvError, KvErrorCode, KvResult, RequestOp, TxnRequest, WatchEvent } from '../api.js';
import { assert, unreachable } from '../../sim/assert.js';
import { MVCC_BUGS, createMvccStore, type MvccStore } from '../mvcc/store.js';
import { kvError } from '../mvcc/errors.js';
import { AlarmStore } from './alarms.js';
import type { InternalKind, RaftRequest } from './internal-request.js';
import { bugsOf, type ServerOptions } from './options.js';
import { KV_OVERHEAD_BYTES, LEASE_OVERHEAD_BYTES, eventsBytes, quotaAvailable, requestCost } from './quota.js';
import { LEASE_BUGS, createLessor, type Lessor } from '../lease/lessor.js';
import type { AlarmMember } from '../wire.js';
import type { Micros } from '../../sim/time.js';
import { MembershipStore, type MembershipJSON } from './membership.js';
import type { MemberBackend } from '../backend/member-backend.js';
import { AuthStore, type AuthInfo, type AuthStoreJSON, type Denied } from '../auth/store.js';
import { deleteDenied, leasePutsDenied, putDenied, txnDenied } from '../auth/apply-check.js';

/** What applying one entry did: the answer for the proposer, and the store's revision after it. */
export interface ApplyOutcome {
  readonly result: KvResult<unknown>;
  readonly revision: number;
}

/** One applied write, for the checkers: what each entry did to the store. */
export interface AppliedWrite {
  readonly index: number;
  readonly term: number;
  readonly requestId: number;
  /** The member that proposed it. */
  readonly proposer: number;
  readonly kind: InternalKind;
  readonly ok: boolean;
  readonly error?: KvErrorCode;
  /** The store revision after the entry (unchanged if it changed nothing). */
  readonly revision: number;
  /** The changes, in sub-revision order (empty if nothing changed). */
  readonly events: readonly WatchEvent[];
  /** Virtual time this member applied it (an observation for checkers, never a protocol input). */
  readonly atUs: Micros;
}

export interface StateMachineStats {
  readonly appliedIndex: number;
  readonly revision: number;
  readonly compactRevision: number;
  readonly dbSizeBytes: number;
  readonly keys: number;
  readonly leases: number;
  readonly alarms: readonly AlarmMember[];
  readonly appliedWritesDropped: number;
}

const SNAPSHOT_MAGIC = 0x6b767331; // "kvs1"

export class KvStateMachine {
  readonly mvcc: MvccStore;
  readonly lessor: Lessor;
  readonly alarms = new AlarmStore();
  /** Users, roles, permissions (replicated) and this member's simple tokens (not replicated). */
  readonly auth = new AuthStore();
  /** The cluster's members and removed ids (replicated: conf changes and published attributes). */
  readonly membership: MembershipStore;
  /** The last raft index applied (or restored from a snapshot). */
  appliedIndex = 0;
  dbSizeBytes = 0;
  /** The index of the entry being applied (a simple token's suffix). */
  private appliedIndexInProgress = 0;
  private writes: AppliedWrite[] = [];
  private writesDropped = 0;
  /** Events of the write txn being applied (the store tells us synchronously). */
  private pending: readonly WatchEvent[] = [];

  constructor(
    private readonly options: ServerOptions,
    /** This host's local clock: the primary lessor's expiries start from it. */
    private readonly now: () => Micros,
    minLeaseTtlS: number,
    /** True virtual time, only to stamp the applied-writes record. */
    private readonly simNow: () => Micros = () => 0,
    /** This member's id: only the `etcd-18667` bug tells its own proposals from the others'. */
    private readonly selfId = 0,
    /** The persistent backend (etcd's bbolt), or null: the state lives in memory only. */
    readonly storage: MemberBackend | null = null,
  ) {
    this.membership = new MembershipStore(options.maxLearners);
    this.lessor = createLessor({
      minTtlS: minLeaseTtlS,
      revokeRatePerS: options.leaseRevokeRatePerS,
      bugs: bugsOf(options.bugs, LEASE_BUGS),
      checkpointIntervalUs: options.leaseCheckpoint ? options.leaseCheckpointIntervalUs : 0,
      checkpointPersist: options.leaseCheckpointPersist,
    });
    this.mvcc = createMvccStore({ leaseExists: (id) => this.lessor.exists(id), maxTxnOps: options.maxTxnOps, bugs: bugsOf(options.bugs, MVCC_BUGS) });
    this.lessor.bind(this.mvcc);
    this.mvcc.observe({
      onWrite: (rev, events) => {
        // Usually one write per entry: its events as the store keeps them (shared, not copied).
        this.pending = this.pending.length === 0 ? events : [...this.pending, ...events];
        this.dbSizeBytes += eventsBytes(events);
        this.storage?.onWrite(rev, events);
      },
    });
  }

  /**
   * Loads the state from the backend (a restart, or a new member's empty file): the consistent
   * index becomes the applied index; entries at or below it are skipped when raft replays them.
   */
  open(): { ok: true; index: number; term: number; latencyUs: number } | { ok: false; error: string; latencyUs: number } {
    assert(this.storage !== null, 'kv open: no backend');
    const r = this.storage.open(this.mvcc, this.lessor, (a) => this.alarms.replaceWith(a), (auth) => this.auth.replaceWith(auth === undefined ? undefined : (JSON.parse(auth) as AuthStoreJSON)));
    if (!r.ok) return r;
    this.appliedIndex = r.state.index;
    this.dbSizeBytes = r.state.dbSizeBytes;
    return { ok: true, index: r.state.index, term: r.state.term, latencyUs: r.state.latencyUs };
  }

  /** True while a NOSPACE alarm is active anywhere: writes that cost space are refused. */
  capped(): boolean {
    return this.alarms.has('NOSPACE');
  }

  /** Applies one entry's request at (index, term). */
  apply(index: number, term: number, r: RaftRequest): ApplyOutcome {
    assert(index > this.appliedIndex, () => `kv apply: index ${index} after ${this.appliedIndex}`);
    const revBefore = this.mvcc.rev();
    this.pending = [];
    this.storage?.beginApply(index, term);
    this.appliedIndexInProgress = index;
    const result = this.dispatch(r);
    const revision = this.mvcc.rev();
    assert(revision === revBefore || revision === revBefore + 1, () => `kv apply: revision jumped ${revBefore} → ${revision}`);
    assert((revision > revBefore) === (this.pending.length > 0), 'kv apply: revision moved without events or events without a revision');
    this.appliedIndex = index;
    this.storage?.endApply(index, term, this.dbSizeBytes);
    const { id: requestId, memberId: proposer } = r.header;
    const kind = r.body.kind;
    const events = this.pending;
    const atUs = this.simNow();
    // Two literals rather than a conditional spread (a slow generic copy, once per entry); the
    // fields keep their order.
    this.record(result.ok
      ? { index, term, requestId, proposer, kind, ok: true, revision, events, atUs }
      : { index, term, requestId, proposer, kind, ok: false, error: result.error.code, revision, events, atUs });
    return { result, revision };
  }

  /** An entry with no kv meaning (a leader's no-op, a conf change): only the index moves. */
  skip(index: number): void {
    assert(index > this.appliedIndex, () => `kv apply: index ${index} after ${this.appliedIndex}`);
    this.appliedIndex = index;
  }

  private dispatch(r: RaftRequest): KvResult<unknown> {
    const body = r.body;
    // etcd's corrupt applier: with a CORRUPT alarm, nothing but alarms is applied.
    if (this.alarms.has('CORRUPT') && body.kind !== 'alarm') return { ok: false, error: kvError('Corrupt') };
    const cost = requestCost(body);
    // etcd's capped applier: with a NOSPACE alarm, anything that costs space is refused.
    if (this.capped() && cost > 0) return { ok: false, error: kvError('NoSpace', 'etcdserver: mvcc: database space exceeded') };
    // etcd's auth applier: the sender's permissions, as the auth store stands at this entry.
    const denied = this.authDenied(r);
    if (denied !== undefined) return denied;
    const roomy = quotaAvailable(this.dbSizeBytes, cost, this.options.quotaBackendBytes);
    const res = this.dispatchBackend(r);
    if (res.ok && !roomy && this.options.noSpaceAfterApply) return { ok: false, error: kvError('NoSpace', 'etcdserver: mvcc: database space exceeded (applied)') };
    return res;
  }

  /** The header's sender (etcd's RequestHeader.Username/AuthRevision); undefined = none (a request without a token). */
  static authInfo(r: RaftRequest): AuthInfo | undefined {
    const rev = r.header.authRevision;
    return rev === undefined ? undefined : { username: r.header.username ?? '', revision: rev };
  }

  /** The keys attached to lease `id` (none when it does not exist). */
  readonly leaseKeys = (id: number): readonly string[] => {
    return this.lessor.keysOf(id);
  };

  /** etcd's authApplierV3 checks, before the request touches anything; undefined = permitted (or auth off). */
  private authDenied(r: RaftRequest): Denied | undefined {
    if (!this.auth.isEnabled()) return undefined;
    const body = r.body;
    const ai = KvStateMachine.authInfo(r);
    switch (body.kind) {
      case 'put':
        return putDenied(this.auth, ai, body.request, this.leaseKeys);
      case 'delete':
        return deleteDenied(this.auth, ai, body.request);
      case 'txn':
        return txnDenied(this.auth, ai, body.request, this.leaseKeys);
      case 'lease-revoke':
        // Lease expiry revokes come from the lessor (leaderTerm set), not from a user: never checked.
        return r.header.leaderTerm === undefined ? leasePutsDenied(this.auth, ai, body.request.id, this.leaseKeys) : undefined;
      default:
        // Auth requests check admin rights in the store; the rest are the servers' own or unchecked in etcd too.
        return undefined;
    }
  }

  private dispatchBackend(r: RaftRequest): KvResult<unknown> {
    const body = r.body;
    switch (body.kind) {
      case 'put':
        return this.mvcc.put(body.request);
      case 'delete':
        return this.mvcc.deleteRange(body.request);
      case 'txn':
        // etcd-18667 switched on: a member that did not propose the txn strips its range ops.
        if (this.options.bugs.includes('etcd-18667') && r.header.memberId !== this.selfId) return this.mvcc.txn(withoutRanges(body.request));
        return this.mvcc.txn(body.request);
      case 'compact': {
        const res = this.mvcc.compact(body.request.revision);
        if (res.ok) this.storage?.compacted(this.mvcc, body.request.revision);
        return res.ok ? { ok: true, value: {} } : res;
      }
      case 'lease-grant': {
        const res = this.lessor.grant(body.request.id, body.request.ttlS, this.now());
        if (res.ok) {
          this.dbSizeBytes += LEASE_OVERHEAD_BYTES;
          // etcd persists the lease's TTL after raising it to the minimum (lessor.Grant, persistTo).
          this.storage?.leaseGranted(body.request.id, res.value.ttlS);
        }
        return res;
      }
      case 'lease-revoke': {
        const res = this.lessor.revoke(body.request.id);
        if (res.ok) this.storage?.leaseRevoked(body.request.id);
        return res.ok ? { ok: true, value: {} } : res;
      }
      case 'alarm': {
        const res = this.applyAlarm(body.request.action, body.request.memberId, body.request.alarm);
        if (body.request.action !== 'GET') this.storage?.alarmsChanged(this.alarms.list());
        return res;
      }
      case 'lease-checkpoint':
        for (const cp of body.request.checkpoints) {
          this.lessor.checkpoint(cp, this.now());
          const ttl = this.lessor.ttlOf(cp.id);
          if (ttl !== undefined && this.lessor.persistsCheckpoints()) this.storage?.leaseCheckpointed(cp.id, ttl, cp.remainingTtlS);
        }
        return { ok: true, value: {} };
      case 'member-attr':
        this.applyMemberAttr(body.request);
        return { ok: true, value: {} };
      case 'auth': {
        const rev = this.auth.revision();
        const enabled = this.auth.isEnabled();
        const res = this.auth.apply(body.request, KvStateMachine.authInfo(r), this.appliedIndexInProgress, this.now());
        if (this.auth.revision() !== rev || this.auth.isEnabled() !== enabled) this.storage?.authChanged(JSON.stringify(this.auth.toJSON()));
        return res;
      }
      default:
        return unreachable(body, 'internal request');
    }
  }

  private applyAlarm(action: 'GET' | 'ACTIVATE' | 'DEACTIVATE', memberId: number, alarm: 'NOSPACE' | 'CORRUPT' | 'NONE'): KvResult<unknown> {
    // etcd ≥ 3.5 skips activating NONE (3.4 stores a NONE alarm that caps nothing); nothing deactivates it.
    if (alarm === 'NONE' && action !== 'GET') return { ok: true, value: { alarms: [] } };
    switch (action) {
      case 'ACTIVATE': {
        // etcd's AlarmStore.Activate answers with the alarm, the one already active too (the
        // conformance harness found raftsim answering [] there).
        const m = this.alarms.activate(memberId, alarm as 'NOSPACE' | 'CORRUPT') ?? this.alarms.get(memberId, alarm as 'NOSPACE' | 'CORRUPT');
        return { ok: true, value: { alarms: m === undefined ? [] : [m] } };
      }
      case 'DEACTIVATE': {
        const m = this.alarms.deactivate(memberId, alarm as 'NOSPACE' | 'CORRUPT');
        return { ok: true, value: { alarms: m === undefined ? [] : [m] } };
      }
      case 'GET':
        // GET is answered locally by the server; an entry carrying it changes nothing.
        return { ok: true, value: { alarms: this.alarms.list(0, alarm === 'NONE' ? undefined : alarm) } };
      default:
        return unreachable(action, 'alarm action');
    }
  }

  /** etcd Defragment, modelled: the size drops to the live keys and leases. Per member, not replicated. */
  defragment(): void {
    const all = this.mvcc.range({ key: '\0', rangeEnd: '\0' });
    assert(all.ok, 'kv defragment: full range failed');
    let bytes = this.lessor.leases().length * LEASE_OVERHEAD_BYTES;
    for (const kv of all.value.kvs) bytes += KV_OVERHEAD_BYTES + kv.key.length + kv.value.length;
    this.dbSizeBytes = bytes;
    this.storage?.defragment();
  }

  /** The applied writes recorded so far (the oldest may have been dropped: see stats). */
  appliedWrites(): readonly AppliedWrite[] {
    return this.writes;
  }

  stats(): StateMachineStats {
    return {
      appliedIndex: this.appliedIndex,
      revision: this.mvcc.rev(),
      compactRevision: this.mvcc.compactRevision(),
      dbSizeBytes: this.dbSizeBytes,
      keys: this.mvcc.indexedKeys(),
      leases: this.lessor.leases().length,
      alarms: this.alarms.list(),
      appliedWritesDropped: this.writesDropped,
    };
  }

  private record(w: AppliedWrite): void {
    if (this.writes.length >= this.options.appliedWritesMax) {
      // Drop the older half at once: amortised O(1), and the drop count says what is missing.
      const drop = Math.ceil(this.writes.length / 2);
      this.writes = this.writes.slice(drop);
      this.writesDropped += drop;
    }
    this.writes.push(w);
  }

  /** The whole replicated state as bytes: [magic][meta length][meta JSON][mvcc length][mvcc][lease length][leases]. */
  snapshot(): Uint8Array {
    // The membership only when it says more than the snapshot's ConfState does (members added,
    // updated or removed through the API): the image of a cluster that never changed stays as it was.
    // Likewise the auth store only once a request changed it: images without auth stay byte for byte.
    const base = { appliedIndex: this.appliedIndex, dbSizeBytes: this.dbSizeBytes, alarms: this.alarms.toJSON() };
    const withMembers = this.membership.bootstrapOnly() ? base : { ...base, membership: this.membership.toJSON() };
    const meta = new TextEncoder().encode(JSON.stringify(this.auth.pristine() ? withMembers : { ...withMembers, auth: this.auth.toJSON() }));
    const mvcc = this.mvcc.snapshot();
    const leases = this.lessor.snapshot();
    const out = new Uint8Array(16 + meta.length + mvcc.length + leases.length);
    const view = new DataView(out.buffer);
    let at = 0;
    view.setUint32(at, SNAPSHOT_MAGIC);
    at += 4;
    for (const part of [meta, mvcc, leases]) {
      view.setUint32(at, part.length);
      out.set(part, at + 4);
      at += 4 + part.length;
    }
    assert(at === out.length, 'kv snapshot: length mismatch');
    return out;
  }

  /** Replaces the state with a snapshot's; Corrupt if the bytes do not decode. */
  restore(bytes: Uint8Array, index: number, term = 0, voters: readonly number[] = []): KvResult<void> {
    const parts = splitSnapshot(bytes);
    if (parts === undefined) return { ok: false, error: corrupt('kv snapshot: bad framing') };
    const [metaBytes, mvccBytes, leaseBytes] = parts;
    const meta = JSON.parse(new TextDecoder().decode(metaBytes)) as { appliedIndex: number; dbSizeBytes: number; alarms: AlarmMember[]; membership?: MembershipJSON; auth?: AuthStoreJSON };
    const m = this.mvcc.restore(mvccBytes);
    if (!m.ok) return m;
    const l = this.lessor.restore(leaseBytes);
    if (!l.ok) return l;
    assert(meta.appliedIndex <= index, () => `kv snapshot: image of index ${meta.appliedIndex} restored as ${index}`);
    this.alarms.replaceWith(meta.alarms);
    this.auth.replaceWith(meta.auth);
    if (meta.membership !== undefined) this.membership.replaceWith(meta.membership);
    else this.membership.resetToBootstrap(voters);
    this.dbSizeBytes = meta.dbSizeBytes;
    this.appliedIndex = index;
    this.storage?.replaceAll(this.mvcc, this.lessor, this.alarms.list(), index, term, this.dbSizeBytes, this.auth.pristine() ? undefined : JSON.stringify(this.auth.toJSON()));
    return { ok: true, value: undefined };
  }

  /** Only the membership of a snapshot (a restart whose backend is newer than it); Corrupt if it does not decode. */
  restoreMembership(bytes: Uint8Array, voters: readonly number[] = []): KvResult<void> {
    const parts = splitSnapshot(bytes);
    if (parts === undefined) return { ok: false, error: corrupt('kv snapshot: bad framing') };
    const meta = JSON.parse(new TextDecoder().decode(parts[0])) as { membership?: MembershipJSON };
    if (meta.membership !== undefined) this.membership.replaceWith(meta.membership);
    else this.membership.resetToBootstrap(voters);
    return { ok: true, value: undefined };
  }

  /** A member's published attributes (etcd's UpdateAttributes; a removed or unknown member is skipped). */
  applyMemberAttr(request: { readonly memberId: number; readonly name: string; readonly clientURLs: readonly string[] }): void {
    this.membership.setAttributes(request.memberId, request.name, request.clientURLs);
  }
}

function corrupt(message: string): KvError {
  return kvError('Corrupt', message);
}

function splitSnapshot(bytes: Uint8Array): [Uint8Array, Uint8Array, Uint8Array] | undefined {
  if (bytes.length < 16) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== SNAPSHOT_MAGIC) return undefined;
  const parts: Uint8Array[] = [];
  let at = 4;
  for (let i = 0; i < 3; i++) {
    if (at + 4 > bytes.length) return undefined;
    const len = view.getUint32(at);
    if (at + 4 + len > bytes.length) return undefined;
    parts.push(bytes.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  if (at !== bytes.length) return undefined;
  return parts as [Uint8Array, Uint8Array, Uint8Array];
}

/**
 * etcd #18667 (open): the txn as a member that did not propose it applies it — its range ops
 * removed (their answers would go to nobody), nested txns likewise — so a range at a compacted
 * revision no longer fails the txn there.
 */
function withoutRanges(r: TxnRequest): TxnRequest {
  const strip = (ops: readonly RequestOp[]): RequestOp[] =>
    ops.filter((op) => op.type !== 'range').map((op) => (op.type === 'txn' ? { type: 'txn', request: withoutRanges(op.request) } : op));
  return { ...r, success: strip(r.success), failure: strip(r.failure) };
}
