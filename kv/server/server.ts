/**
 * The kv server of one member (etcd's EtcdServer + v3rpc): it answers the RPCs of `kv/wire`,
 * proposes writes through raft and applies committed entries to the replicated state
 * (`state-machine.ts`), serves reads in the configured mode, runs the leader's lease expiry and
 * serves watch streams (`watch-server.ts`).
 *
 * Built in two steps because the raft node needs the server's state machine and observer, and the
 * server needs the node:
 *
 *   const server = createKvServer(ctx, { memberId: 1, options: { readMode: 'readindex' } });
 *   const node = createRaftNode({ ..., stateMachine: server.stateMachine, observer: server.observer });
 *   server.bind(node);
 *   server.call({ method: 'put', request: { key: 'a', value: '1' } }, (reply) => …);
 *
 * Writes (put, delete, txn with writes, compact, lease grant/revoke, alarm changes): validated,
 * checked against the quota and the apply gap, encoded with a request id (`internal-request.ts`),
 * proposed; answered when this member applies the entry, with the header {clusterId, memberId,
 * revision after the entry, raft term}; or Timeout / TimeoutDueToLeaderFail after the request
 * timeout (indefinite: the entry may still commit).
 *
 * Reads (range, read-only txn): see `ReadMode` in options.ts; `serializable: true` on a range (or
 * on every range of a read-only txn) always reads locally.
 *
 * Leases: the lessor's expiry runs only on the leader, from this host's *local* clock; every
 * `leaseCheckIntervalUs` the leader proposes revokes of expired leases, after checking with the
 * raft node itself that it still leads (etcd PR #16822: an old leader whose loop was blocked must
 * not revoke leases kept alive on the new one; `leaseRevokeIgnoresOldLeader: false` trusts the
 * server's own view of its role instead, as etcd before the fix). Becoming leader promotes the lessor (every lease
 * refreshed to its full TTL + an election timeout, as etcd), losing it demotes.
 * KeepAlive (etcd LeaseRenew): the leader first confirms it leads (a ReadIndex round and its apply,
 * etcd's ensureLeadership — else NotLeader "lease: not primary"), waits until it applied what is
 * committed (`applyWaitTimeoutUs`, else TimeoutWaitAppliedIndex; PR #13690/#13932), then renews. A
 * lease past its expiry whose revoke is not applied yet is not renewed: the call waits for the
 * revoke and answers LeaseNotFound (PR #20616: a revoked lease is never renewed), or forwards if
 * this member stops leading first. TimeToLive is served by the leader after a ReadIndex round and
 * its apply. A member that does not lead forwards both to the leader over the peer network
 * (`lease-forward.ts`, etcd leasehttp), once the member has bound it (`bindLeaseForwarding`);
 * unbound (a server alone in a test) it refuses with NotLeader / NoLeader. The leader serves a
 * forwarded call (`leaseForwarded`) as etcd's leasehttp handler: wait for the apply of what is
 * committed, then ask the lessor (NotLeader when it is not primary, which the follower retries).
 *
 * Trace events (fields in this order):
 * - `kv.request` {method}: a call arrived;
 * - `kv.propose` {id, kind, bytes}: a write entered raft (or tried to);
 * - `kv.apply` {index, revision, kind, ok}: an entry applied to the state machine;
 * - `kv.read` {mode, revision}: a read served, and at which revision;
 * - `kv.error` {method, code}: a call answered with an error;
 * - `kv.readindex` {id, batch}, `kv.readindex.done` {id, index, batch}, `kv.readindex.stale` {id, index};
 * - `kv.lease` {action, id, ttlS}: grant / revoke / expire (revoke proposed) / promote / demote;
 * - `kv.forward` {method, lease, to, attempt}: a lease call sent to the leader (lease-forward.ts);
 *   `kv.forwarded` {method, from}: a lease call forwarded here by another member;
 * - `kv.alarm` {action, member, alarm}: an alarm applied;
 * - `kv.restore` {index, revision}: a snapshot replaced the state;
 * - `kv.stopped` {reason}.
 */
import type { HashKVResponse, KvError, KvResult, ResponseHeader, TxnRequest } from '../api.js';
import { assert, unreachable } from '../../sim/assert.js';
import type { HostContext, HostId, TimerId } from '../../sim/host.js';
import type { NodeObserver, RaftNodeHandle, StateMachine } from '../../raft/node/api.js';
import type { ConfChange, ConfChangeType, ConfState, Entry, LogIndex, NodeId, ReadState, Role, Term } from '../../raft/core/types.js';
import { MEMBERSHIP_ERRORS, MembershipStore, clientURL, decodeConfChangeContext, encodeConfChangeContext, idOfPeerURL, type ConfChangeContext } from './membership.js';
import type { MemberInfo } from '../wire.js';
import { kvError } from '../mvcc/errors.js';
import { isTxnReadOnly, validateDeleteRange, validatePut, validateRange, validateTxn } from '../mvcc/validate.js';
import type { CallOf, KvCall, KvReply, LeaseForwardCall, WatchStreamRequest } from '../wire.js';
import { WatchServer, type WatchSend, type WatchServerStats } from './watch-server.js';
import { ApplyWait } from './apply-wait.js';
import { decodeRaftRequest, encodeRaftRequest, requestId, type InternalRequest, type RaftRequest } from './internal-request.js';
import { bugsOf, minLeaseTtlS, resolveServerOptions, type ReadMode, type ServerOptions } from './options.js';
import { PendingCalls, type PendingCall, type PendingStats } from './pending.js';
import { quotaAvailable, requestCost } from './quota.js';
import { ReadIndexLoop, type ReadIndexStats, type ReadWaiter } from './read-index.js';
import { KvStateMachine, type AppliedWrite, type StateMachineStats } from './state-machine.js';
import { LeaseForwarder, type LeaseForwardSend, type LeaseForwardStats } from './lease-forward.js';
import { RevokeWaits } from './revoke-wait.js';
import { hashPassword, type AuthStore } from '../auth/store.js';
import { leasePutsDenied, txnDenied } from '../auth/apply-check.js';
import type { Disk } from '../../sim/disk.js';
import type { RecoveredState } from '../../raft/node/api.js';
import { BACKEND_BUGS, MemberBackend, type StorageCrashPoint } from '../backend/member-backend.js';

export interface KvServerConfig {
  /** This member's id (the raft node id). */
  readonly memberId: number;
  readonly options?: Partial<ServerOptions>;
  /** Where the backend lives (needed when `options.backend` is on). */
  readonly storage?: ServerStorage;
}

/** The member's disk for the backend, and its crash points. */
export interface ServerStorage {
  readonly disk: Disk;
  /** Asked at each storage crash point; true crashes the host there (through `crash`). */
  readonly crashPoint?: (name: StorageCrashPoint) => boolean;
  /** Kills this host (the composer's `hosts.crash(id)`). */
  readonly crash: () => void;
}

export interface ServerStats {
  readonly memberId: number;
  readonly readMode: ReadMode;
  readonly proposals: number;
  readonly proposalsDropped: number;
  readonly applied: number;
  readonly reads: Readonly<Record<ReadMode, number>>;
  readonly leaseRevokesProposed: number;
  readonly leaseRevokesSkippedNotLeader: number;
  /** Lease calls other members forwarded here. */
  readonly leaseForwardedServed: number;
  /** Lease calls this member forwarded to the leader. */
  readonly leaseForward: LeaseForwardStats;
  readonly calls: PendingStats;
  readonly readIndex: ReadIndexStats;
  readonly watch: WatchServerStats;
  readonly state: StateMachineStats;
}

export interface KvServer {
  readonly memberId: number;
  readonly options: ServerOptions;
  /** Give these to the raft node. */
  readonly stateMachine: StateMachine;
  readonly observer: NodeObserver;
  /** Binds the raft node (once, before any call). */
  bind(node: RaftNodeHandle): void;
  /** Serves one RPC; `reply` is called exactly once (perhaps synchronously). */
  call(call: KvCall, reply: (r: KvReply) => void, token?: string): void;
  /** This member's auth store (replicated users/roles, its own simple tokens): for checks and tests. */
  auth(): AuthStore;
  /** One message of `client`'s watch stream `streamId`; responses go out through `send` (false = not accepted). */
  watchRequest(client: HostId, streamId: number, request: WatchStreamRequest, send: WatchSend): void;
  /** The connection to `client` broke: its watch stream is gone. */
  clientGone(client: HostId): void;
  /** Lets this member forward lease calls to the leader over the peer network (once; the member does it). */
  bindLeaseForwarding(send: LeaseForwardSend): void;
  /** A lease call another member forwarded here (`from`); `reply` is called exactly once. */
  leaseForwarded(from: HostId, call: LeaseForwardCall, reply: (r: KvReply) => void): void;
  /** The leader's answer to this member's forwarding attempt `forwardId`. */
  leaseForwardReply(from: HostId, forwardId: number, reply: KvReply): void;
  /** The connection to peer `peer` broke: forwarding attempts in flight to it are lost. */
  peerGone(peer: HostId): void;
  /** HashKV of the local store at `revision` (0 = current), for the runner's convergence check. */
  hashKV(revision?: number): KvResult<HashKVResponse>;
  /** The store revision now. */
  revision(): number;
  /** What each applied entry did, in log order (this incarnation, since its snapshot). */
  appliedWrites(): readonly AppliedWrite[];
  stats(): ServerStats;
  /** The replicated state (tests and the runner's invariants read it). */
  readonly state: KvStateMachine;
}

export function createKvServer(ctx: HostContext, config: KvServerConfig): KvServer {
  return new Server(ctx, config.memberId, resolveServerOptions(config.options), config.storage ?? null);
}


class Server implements KvServer {
  readonly options: ServerOptions;
  readonly state: KvStateMachine;
  readonly stateMachine: StateMachine;
  readonly observer: NodeObserver;
  private node: RaftNodeHandle | null = null;
  private readonly pending: PendingCalls;
  private readonly applyWait: ApplyWait;
  private readonly reads: ReadIndexLoop;
  private readonly watches: WatchServer;
  private readonly forwarder: LeaseForwarder;
  private readonly revokeWaits: RevokeWaits;
  private lead = 0;
  private role: Role = 'follower';
  private term = 0;
  /** Local time the current leader was seen elected (etcd leadElectedTime). */
  private leadElectedUs = -1;
  private stoppedReason: string | null = null;
  private seq = 0;
  /** Simple tokens' prefixes made here (etcd draws 16 random letters; the entry index makes them unique anyway). */
  private tokenSeq = 0;
  private leaseTimer: TimerId = -1;
  /** The term of the newest empty entry (a leader's no-op) applied: the lessor is promoted once it is this leader's. */
  private emptyAppliedTerm = -1;
  /** Answers of conf changes this member proposed, by request id. */
  private readonly confAnswers = new Map<number, (members: MemberInfo[]) => unknown>();
  /** A conf change of ours applied to the membership, answered once raft applied it too. */
  private confApplied: { readonly p: PendingCall; readonly result: KvResult<unknown> } | null = null;
  private publishing = false;
  private counts = { proposals: 0, proposalsDropped: 0, applied: 0, leaseRevokesProposed: 0, leaseRevokesSkippedNotLeader: 0, leaseForwardedServed: 0 };
  private readonly readCounts: Record<ReadMode, number> = { readindex: 0, lease: 0, 'leader-local': 0, serializable: 0 };

  constructor(
    private readonly ctx: HostContext,
    readonly memberId: number,
    options: ServerOptions,
    storage: ServerStorage | null,
  ) {
    assert(Number.isSafeInteger(memberId) && memberId > 0, () => `kv server: member id must be a positive integer, got ${memberId}`);
    this.options = options;
    assert(!options.backend || storage !== null, 'kv server: the backend option needs the member\'s disk (ServerStorage)');
    const backend = options.backend && storage !== null ? this.makeBackend(storage) : null;
    this.state = new KvStateMachine(options, () => ctx.localNow(), minLeaseTtlS(options), () => ctx.simNow(), memberId, backend);
    this.pending = new PendingCalls(ctx, options.maxPendingRequests, options.requestTimeoutUs, (p) => this.timeoutError(p));
    this.applyWait = new ApplyWait(options.maxPendingRequests);
    this.reads = new ReadIndexLoop(ctx, () => this.boundNode(), this.applyWait, options);
    this.watches = new WatchServer(ctx, this.state.mvcc, () => ({ clusterId: options.clusterId, memberId, raftTerm: this.term }), options);
    this.revokeWaits = new RevokeWaits(options.maxPendingRequests);
    this.forwarder = new LeaseForwarder({
      ctx,
      electionTimeoutUs: options.electionTimeoutUs,
      leaseForwardTimeoutUs: options.leaseForwardTimeoutUs,
      lead: () => this.lead,
      memberId,
      serveLocally: (call, reply) => this.leaseForwarded(memberId, call, reply),
      finish: (p, call, reply) => this.forwardFinished(p, call, reply),
    });
    this.stateMachine = backend === null
      ? {
          applyEntry: (e) => this.applyEntry(e),
          applyEmpty: (e) => this.applyEmpty(e),
          snapshot: () => this.state.snapshot(),
          restore: (data, index, term, confState) => this.restore(data, index, term, confState),
          applyConfChange: (e, cc) => this.applyConfChange(e, cc),
        }
      : {
          applyEntry: (e) => this.applyEntry(e),
          applyEmpty: (e) => this.applyEmpty(e),
          snapshot: () => {
            // etcd's snapshot path force-commits the backend first.
            backend.forceCommit('snapshot');
            return this.state.snapshot();
          },
          restore: (data, index, term, confState) => this.restore(data, index, term, confState),
          applyConfChange: (e, cc) => this.applyConfChange(e, cc),
          recover: () => this.openBackend(),
          restoreUnstored: (data, index, confState) => this.restoreMembership(data, index, confState),
        };
    this.observer = {
      onSoftState: (lead, role, term) => this.onSoftState(lead, role, term),
      onReadState: (rs) => this.onReadState(rs),
      onApplied: (index) => this.applyWait.appliedTo(index),
      onConfChange: () => this.confChangeApplied(),
      onStopped: (reason) => this.stop(reason),
    };
  }

  private makeBackend(storage: ServerStorage): MemberBackend {
    const o = this.options;
    const hook = storage.crashPoint;
    return new MemberBackend({
      disk: storage.disk,
      backend: { batchLimit: o.backendBatchLimit, batchIntervalUs: o.backendBatchIntervalUs },
      compactionBatchLimit: o.compactionBatchLimit,
      compactionSleepIntervalUs: o.compactionSleepIntervalUs,
      bugs: bugsOf(o.bugs, BACKEND_BUGS),
      crashPoint: (name) => {
        if (hook === undefined || !hook(name)) return false;
        this.ctx.emit('node.crash-point', { name });
        storage.crash();
        return true;
      },
      later: (us, fn) => { if (this.ctx.alive) this.ctx.setTimer(us, fn); },
      fatal: (reason) => {
        if (this.node?.stop !== undefined) this.node.stop(reason);
        else this.stop(reason);
      },
      emit: (kind, fields) => this.ctx.emit(kind, fields),
    });
  }

  /** Opens the backend when the node starts, and begins the batch-interval commits. */
  private openBackend(): RecoveredState {
    const r = this.state.open();
    const storage = this.state.storage;
    if (r.ok && storage !== null) {
      const every = this.options.backendBatchIntervalUs;
      const tick = (): void => {
        if (!storage.alive || this.stoppedReason !== null) return;
        storage.periodicCommit();
        // A crash point in the commit took the host down.
        if (this.ctx.alive) this.ctx.setTimer(every, tick);
      };
      this.ctx.setTimer(every, tick);
    }
    return r.ok ? { ok: true, index: r.index as LogIndex, term: r.term as Term, latencyUs: r.latencyUs } : r;
  }

  bind(node: RaftNodeHandle): void {
    assert(this.node === null, 'kv server: bound twice');
    assert(node.id === this.memberId, () => `kv server: member ${this.memberId} bound to raft node ${node.id}`);
    this.node = node;
    const s = node.status();
    this.applyWait.appliedTo(s.applied);
    this.onSoftState(s.lead, s.role, s.term);
  }

  auth(): AuthStore {
    return this.state.auth;
  }

  call(call: KvCall, reply: (r: KvReply) => void, token?: string): void {
    this.ctx.emit('kv.request', { method: call.method });
    const p = this.pending.begin(call.method, reply);
    if (p === undefined) return;
    if (this.stoppedReason !== null) {
      this.fail(p, kvError('Stopped', 'etcdserver: server stopped'));
      return;
    }
    // etcd's AuthInfoFromCtx: with auth on, a token names the caller and this member's auth
    // revision now; a token this member does not know is refused before anything else.
    if (this.state.auth.isEnabled()) {
      const ai = this.state.auth.infoFromToken(token, this.ctx.localNow());
      if (!ai.ok) return this.fail(p, ai.error);
      if (ai.value !== undefined) p.auth = ai.value;
      const denied = this.serverAuthDenied(p, call);
      if (denied !== undefined) return this.fail(p, denied);
    }
    this.dispatch(p, call);
  }

  /**
   * The checks etcd makes in the server rather than at apply: maintenance calls need root
   * (authMaintenanceServer), a keepalive needs write permission on the lease's keys
   * (checkLeaseRenew), TimeToLive read permission on them (checkLeaseTimeToLive).
   */
  private serverAuthDenied(p: PendingCall, call: KvCall): KvError | undefined {
    const auth = this.state.auth;
    switch (call.method) {
      case 'hash-kv':
      case 'defragment':
      case 'move-leader': {
        const d = auth.adminDenied(p.auth);
        return d === undefined ? undefined : d.error;
      }
      case 'lease-keepalive': {
        if (p.auth === undefined) return kvError('UserEmpty');
        return leasePutsDenied(auth, p.auth, call.request.id, this.state.leaseKeys)?.error;
      }
      case 'lease-ttl': {
        if (p.auth === undefined) return kvError('UserEmpty');
        if (auth.isAdmin(p.auth)) return undefined;
        for (const k of this.state.leaseKeys(call.request.id)) {
          const d = auth.rangeDenied(p.auth, k);
          if (d !== undefined) return d.error;
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  /** etcd's Auth service: passwords become digests here, before the request enters the log. */
  private authCall(p: PendingCall, call: CallOf<'auth'>): void {
    const r = call.request;
    switch (r.op) {
      case 'authenticate': {
        // etcd CheckPassword before proposing; the digest is checked again at apply.
        const checked = this.state.auth.checkPassword(r.name, r.password);
        if (!checked.ok) return this.fail(p, checked.error);
        const simpleToken = `m${this.memberId}i${this.ctx.incarnation}t${this.tokenSeq++}`;
        return this.write(p, { kind: 'auth', request: { op: 'authenticate', name: r.name, hashedPassword: hashPassword(r.password), simpleToken } });
      }
      case 'user-add':
        return this.write(p, { kind: 'auth', request: r.noPassword === true ? { op: 'user-add', name: r.name, noPassword: true } : { op: 'user-add', name: r.name, hashedPassword: hashPassword(r.password ?? '') } });
      case 'user-change-password':
        return this.write(p, { kind: 'auth', request: { op: 'user-change-password', name: r.name, hashedPassword: hashPassword(r.password) } });
      default:
        return this.write(p, { kind: 'auth', request: r });
    }
  }

  watchRequest(client: HostId, streamId: number, request: WatchStreamRequest, send: WatchSend): void {
    if (this.stoppedReason !== null) return;
    this.watches.request(client, streamId, request, send);
  }

  clientGone(client: HostId): void {
    this.watches.clientGone(client);
  }

  bindLeaseForwarding(send: LeaseForwardSend): void {
    this.forwarder.bind(send);
  }

  /** etcd leasehttp on the leader: wait for the apply of what is committed, then ask the lessor. */
  leaseForwarded(from: HostId, call: LeaseForwardCall, reply: (r: KvReply) => void): void {
    this.ctx.emit('kv.forwarded', { method: call.method, from });
    const p = this.pending.begin(call.method, reply);
    if (p === undefined) return;
    if (this.stoppedReason !== null) return this.fail(p, STOPPED);
    this.counts.leaseForwardedServed++;
    // etcd-13675 switched on: the leasehttp handler renewed without waiting for the apply either.
    if (call.method === 'lease-keepalive' && this.options.bugs.includes('etcd-13675')) return this.renewOnPrimary(p, call.request.id, () => this.fail(p, NOT_PRIMARY));
    this.afterApplyWait(p, () => {
      if (call.method === 'lease-ttl') return this.ok(p, this.state.lessor.timeToLive(call.request.id, this.ctx.localNow(), call.request.keys === true));
      this.renewOnPrimary(p, call.request.id, () => this.fail(p, NOT_PRIMARY));
    });
  }

  leaseForwardReply(from: HostId, forwardId: number, reply: KvReply): void {
    this.forwarder.onReply(from, forwardId, reply);
  }

  peerGone(peer: HostId): void {
    this.forwarder.peerGone(peer);
  }

  hashKV(revision = 0): KvResult<HashKVResponse> {
    return this.state.mvcc.hashKV(revision);
  }

  revision(): number {
    return this.state.mvcc.rev();
  }

  appliedWrites(): readonly AppliedWrite[] {
    return this.state.appliedWrites();
  }

  stats(): ServerStats {
    return {
      memberId: this.memberId,
      readMode: this.options.readMode,
      ...this.counts,
      leaseForward: this.forwarder.stats(),
      reads: { ...this.readCounts },
      calls: this.pending.stats(),
      readIndex: this.reads.stats(),
      watch: this.watches.stats(),
      state: this.state.stats(),
    };
  }

  // ---- dispatch -------------------------------------------------------------------------------

  private dispatch(p: PendingCall, call: KvCall): void {
    switch (call.method) {
      case 'range': return this.range(p, call);
      case 'txn': return this.txn(p, call);
      case 'put': return this.writeIfValid(p, validatePut(call.request), { kind: 'put', request: call.request });
      case 'delete': return this.writeIfValid(p, validateDeleteRange(call.request), { kind: 'delete', request: call.request });
      case 'compact': return this.write(p, { kind: 'compact', request: call.request });
      case 'lease-grant': return this.leaseGrant(p, call);
      case 'lease-revoke': return this.write(p, { kind: 'lease-revoke', request: call.request });
      case 'lease-keepalive': return this.leaseRenew(p, call);
      case 'lease-ttl': return this.leaseTimeToLive(p, call);
      case 'lease-leases': return this.linearizable(p, false, () => this.ok(p, { ok: true, value: { leases: [...this.state.lessor.leases()] } }));
      case 'alarm': return this.alarm(p, call);
      case 'status': return this.ok(p, { ok: true, value: this.status() });
      case 'hash-kv': return this.ok(p, this.hashKV(call.request.revision));
      case 'defragment':
        this.state.defragment();
        return this.ok(p, { ok: true, value: {} });
      case 'move-leader': return this.moveLeader(p, call);
      case 'member-add': return this.memberAdd(p, call);
      case 'member-remove': return this.memberRemove(p, call);
      case 'member-update': return this.memberUpdate(p, call);
      case 'member-promote': return this.memberPromote(p, call);
      case 'member-list': return this.memberList(p, call);
      case 'auth': return this.authCall(p, call);
      default: return unreachable(call, 'kv call');
    }
  }

  private range(p: PendingCall, call: CallOf<'range'>): void {
    const invalid = validateRange(call.request);
    if (invalid !== undefined) return this.fail(p, invalid);
    // etcd doSerialize: the permission is checked when the read is served, against the store then.
    this.linearizable(p, call.request.serializable === true, () => {
      const denied = this.state.auth.rangeDenied(p.auth, call.request.key, call.request.rangeEnd);
      this.ok(p, denied ?? this.state.mvcc.range(call.request));
    });
  }

  private txn(p: PendingCall, call: CallOf<'txn'>): void {
    const r = call.request;
    const invalid = validateTxn(r, this.options.maxTxnOps);
    if (invalid !== undefined) return this.fail(p, invalid);
    if (!isTxnReadOnly(r)) return this.write(p, { kind: 'txn', request: r });
    this.linearizable(p, isTxnSerializable(r), () => this.ok(p, txnDenied(this.state.auth, p.auth, r, this.state.leaseKeys) ?? this.state.mvcc.txn(r)));
  }

  private leaseGrant(p: PendingCall, call: CallOf<'lease-grant'>): void {
    const { ttlS } = call.request;
    // A TTL over etcd's maximum is refused where etcd refuses it, at apply (lessor.Grant), so a
    // NOSPACE-capped applier's NoSpace wins over it as in etcd (the conformance harness found raftsim
    // refusing it before proposing). Only a TTL past 2^53, which the entry cannot carry, is refused here.
    if (!Number.isSafeInteger(ttlS)) return this.fail(p, kvError('LeaseTTLTooLarge'));
    // The id is chosen here, by the proposer, so every member applies the same one (etcd reqIDGen).
    const id = call.request.id !== undefined && call.request.id !== 0 ? call.request.id : this.nextRequestId();
    this.write(p, { kind: 'lease-grant', request: { id, ttlS } });
  }

  // ---- leases: keepalive and time-to-live ------------------------------------------------------

  /** etcd LeaseRenew: the leader confirms it leads, waits for its apply, renews; others forward. */
  private leaseRenew(p: PendingCall, call: CallOf<'lease-keepalive'>): void {
    if (this.role !== 'leader') return this.forwardOrRefuse(p, call);
    // etcd-13675 switched on: etcd before PR #13690 / #13932 renewed on the spot, with neither the
    // ReadIndex round that confirms leadership nor the wait for the apply of what is committed.
    if (this.options.bugs.includes('etcd-13675')) return this.renewOnPrimary(p, call.request.id, () => this.forwardOrRefuse(p, call));
    const queued = this.reads.enqueue({
      // ensureLeadership: a failed round, or a round after which we no longer lead, is ErrNotPrimary.
      serve: () => {
        if (this.role !== 'leader') return this.fail(p, NOT_PRIMARY);
        this.afterApplyWait(p, () => this.renewOnPrimary(p, call.request.id, () => this.forwardOrRefuse(p, call)));
      },
      fail: () => this.fail(p, NOT_PRIMARY),
    });
    if (!queued) this.fail(p, TOO_MANY_REQUESTS);
  }

  /**
   * The lessor's renew (etcd lessor.Renew): not primary → `notPrimary`; past its expiry with the
   * revoke pending → wait for the revoke (LeaseNotFound) or the demotion (`notPrimary`).
   */
  private renewOnPrimary(p: PendingCall, id: number, notPrimary: () => void): void {
    const r = this.state.lessor.renew(id, this.ctx.localNow());
    if (r.ok) {
      // etcd: the first renew after a checkpoint clears it through raft (a LeaseCheckpoint of 0).
      // etcd waits for that entry before answering; raftsim proposes it and answers at once.
      if (r.clearCheckpoint === true) this.proposeUnwaited({ kind: 'lease-checkpoint', request: { checkpoints: [{ id, remainingTtlS: 0 }] } });
      return this.ok(p, { ok: true, value: { id, ttlS: r.value.ttlS } });
    }
    if (r.error.code === 'NotLeader') return notPrimary();
    if (r.pendingRevoke !== true) return this.fail(p, r.error);
    this.ctx.emit('kv.lease', { action: 'renew-waits-revoke', id, ttlS: 0 });
    const queued = this.revokeWaits.add({ p, leaseId: id, revoked: () => this.fail(p, kvError('LeaseNotFound')), notPrimary, stopped: () => this.fail(p, STOPPED) });
    if (!queued) this.fail(p, TOO_MANY_REQUESTS);
  }

  /** TimeToLive: the leader serves it after a ReadIndex round and its apply; others forward. */
  private leaseTimeToLive(p: PendingCall, call: CallOf<'lease-ttl'>): void {
    if (this.role !== 'leader') return this.forwardOrRefuse(p, call);
    const { id, keys } = call.request;
    const queued = this.reads.enqueue({ serve: () => this.answerTimeToLive(p, id, this.state.lessor.timeToLive(id, this.ctx.localNow(), keys === true)), fail: (e) => this.fail(p, e) });
    if (!queued) this.fail(p, TOO_MANY_REQUESTS);
  }

  /** etcd v3rpc LeaseTimeToLive: a lease that is not found is answered with TTL -1, not an error. */
  private answerTimeToLive(p: PendingCall, id: number, r: KvResult<unknown>): void {
    if (!r.ok && r.error.code === 'LeaseNotFound') return this.ok(p, { ok: true, value: { id, ttlS: -1, grantedTtlS: 0, keys: [] } });
    this.ok(p, r);
  }

  /** Not the leader: forward to it (etcd), or refuse when the member has no peer connection (tests). */
  private forwardOrRefuse(p: PendingCall, call: LeaseForwardCall): void {
    if (this.stoppedReason !== null) return this.fail(p, STOPPED);
    if (this.forwarder.bound) return this.forwarder.start(p, call);
    this.fail(p, this.lead === 0 ? kvError('NoLeader', 'etcdserver: no leader') : NOT_PRIMARY);
  }

  /** The leader's final answer to a forwarded call: a success, or LeaseNotFound. */
  private forwardFinished(p: PendingCall, call: LeaseForwardCall, reply: KvReply): void {
    if (reply.ok) return this.ok(p, { ok: true, value: reply.response });
    if (call.method === 'lease-ttl') return this.answerTimeToLive(p, call.request.id, { ok: false, error: reply.error });
    this.fail(p, reply.error);
  }

  /**
   * etcd waitAppliedIndex: runs `then` once this member applied what is committed now, or fails
   * the call TimeoutWaitAppliedIndex after `applyWaitTimeoutUs` (Stopped if the member stops).
   */
  private afterApplyWait(p: PendingCall, then: () => void): void {
    const index = this.boundNode().commitIndex();
    if (index <= this.applyWait.appliedIndex) return then();
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      this.ctx.clearTimer(timer);
      return !p.done;
    };
    const timer = this.ctx.setTimer(this.options.applyWaitTimeoutUs, () => {
      if (settle()) this.fail(p, kvError('TimeoutWaitAppliedIndex'));
    });
    const queued = this.applyWait.wait(index, () => settle() && then(), () => settle() && this.fail(p, STOPPED));
    if (!queued && settle()) this.fail(p, TOO_MANY_REQUESTS);
  }

  private alarm(p: PendingCall, call: CallOf<'alarm'>): void {
    const r = call.request;
    // etcd's GET lists the alarms of the asked type (NONE: all) of every member: its member id is not a filter.
    if (r.action === 'GET') return this.ok(p, { ok: true, value: { alarms: this.state.alarms.list(0, r.alarm === 'NONE' ? undefined : r.alarm) } });
    this.write(p, { kind: 'alarm', request: r });
  }

  // ---- writes ---------------------------------------------------------------------------------

  private writeIfValid(p: PendingCall, invalid: KvError | undefined, body: InternalRequest): void {
    if (invalid !== undefined) return this.fail(p, invalid);
    this.write(p, body);
  }

  /** etcd processInternalRaftRequestOnce, preceded by the gRPC layer's quota check. */
  private write(p: PendingCall, body: InternalRequest): void {
    const node = this.boundNode();
    const cost = requestCost(body);
    if (!quotaAvailable(this.state.dbSizeBytes, cost, this.options.quotaBackendBytes)) {
      // etcd v3rpc/quota.go: raise the alarm through raft, refuse the request (definitely).
      this.proposeUnwaited({ kind: 'alarm', request: { action: 'ACTIVATE', memberId: this.memberId, alarm: 'NOSPACE' } });
      return this.fail(p, kvError('NoSpace', 'etcdserver: mvcc: database space exceeded'));
    }
    // etcd exceedsRequestLimit: with the PriorityRequest feature a LeaseRevoke may use twice the gap.
    const gap = this.options.priorityRequest && body.kind === 'lease-revoke' ? 2 * this.options.maxCommittedGap : this.options.maxCommittedGap;
    if (node.commitIndex() > node.appliedIndex() + gap) return this.fail(p, kvError('TooManyRequests', 'etcdserver: too many requests'));
    const id = this.nextRequestId();
    // etcd processInternalRaftRequestOnce: the caller's name and auth revision go in the header
    // (not for Authenticate, whose caller has no token yet).
    const ai = body.kind === 'auth' && body.request.op === 'authenticate' ? undefined : p.auth;
    const header = ai === undefined ? { id, memberId: this.memberId } : { id, memberId: this.memberId, username: ai.username, authRevision: ai.revision };
    const data = encodeRaftRequest({ header, body });
    if (data.length > this.options.maxRequestBytes) return this.fail(p, kvError('RequestTooLarge', 'etcdserver: request is too large'));
    this.pending.proposed(p, id);
    this.counts.proposals++;
    this.ctx.emit('kv.propose', { id, kind: body.kind, bytes: data.length });
    const res = node.propose(data);
    if (!res.ok) {
      this.counts.proposalsDropped++;
      this.fail(p, kvError(res.error, res.error === 'Stopped' ? 'etcdserver: server stopped' : 'raft proposal dropped'));
    }
  }

  /** A proposal nobody waits for (alarm activation, lease expiry). */
  private proposeUnwaited(body: InternalRequest, leaderTerm?: number): void {
    const id = this.nextRequestId();
    const header = leaderTerm === undefined ? { id, memberId: this.memberId } : { id, memberId: this.memberId, leaderTerm };
    const data = encodeRaftRequest({ header, body });
    this.counts.proposals++;
    this.ctx.emit('kv.propose', { id, kind: body.kind, bytes: data.length });
    if (!this.boundNode().propose(data).ok) this.counts.proposalsDropped++;
  }

  private nextRequestId(): number {
    return requestId(this.memberId, this.ctx.incarnation, this.seq++);
  }

  /** etcd parseProposeCtxErr: a timeout that began around a leader election blames the election. */
  private timeoutError(p: PendingCall): KvError {
    // A forwarded lease call still waiting for a leader ends as etcd's waitLeader does.
    const noLeader = this.forwarder.waitingForLeader(p);
    this.forwarder.abandon(p);
    this.revokeWaits.drop(p);
    if (noLeader) return kvError('NoLeader', 'etcdserver: no leader');
    const electionWindowUs = 2 * this.options.electionTimeoutUs;
    if (this.leadElectedUs >= 0 && p.startUs > this.leadElectedUs - electionWindowUs && p.startUs < this.leadElectedUs) {
      return kvError('TimeoutDueToLeaderFail', 'etcdserver: request timed out, possibly due to previous leader failure');
    }
    return kvError('Timeout', 'etcdserver: request timed out');
  }

  // ---- reads ----------------------------------------------------------------------------------

  /** Runs `serve` when this member may answer a read in the configured mode (or at once if serializable). */
  private linearizable(p: PendingCall, serializable: boolean, serve: () => void): void {
    const mode: ReadMode = serializable ? 'serializable' : this.options.readMode;
    switch (mode) {
      case 'serializable':
        return this.serveRead(mode, serve);
      case 'leader-local':
        // The unsafe baseline: believing it leads is enough.
        if (this.role === 'leader') return this.serveRead(mode, serve);
        return this.fail(p, this.lead === 0 ? kvError('NoLeader', 'etcdserver: no leader') : kvError('NotLeader', 'etcdserver: not leader'));
      case 'readindex':
      case 'lease':
        if (!this.reads.enqueue(readWaiter(() => this.serveRead(mode, serve), (e) => this.fail(p, e)))) this.fail(p, kvError('TooManyRequests', 'etcdserver: too many requests'));
        return;
      default:
        return unreachable(mode, 'read mode');
    }
  }

  /** Counts and traces a read the mode allows now, then serves it. */
  private serveRead(mode: ReadMode, serve: () => void): void {
    this.readCounts[mode]++;
    this.ctx.emit('kv.read', { mode, revision: this.state.mvcc.rev() });
    serve();
  }

  private onReadState(rs: ReadState): void {
    this.reads.onReadState(rs);
  }

  // ---- apply ----------------------------------------------------------------------------------

  private applyEntry(e: Entry): void {
    assert(e.type === 'normal' && e.data.length > 0, () => `kv apply: entry ${e.index} is not a normal entry with data`);
    // With a backend, raft replays from the snapshot: what the consistent index covers is skipped.
    const r: RaftRequest = decodeRaftRequest(e.data);
    if (this.state.storage !== null && e.index <= this.state.appliedIndex) {
      // The membership is not in the backend (etcd keeps it in the v2 store, replayed whatever the
      // consistent index): a member's attributes are applied again.
      if (r.body.kind === 'member-attr') this.state.applyMemberAttr(r.body.request);
      return;
    }
    const outcome = this.state.apply(e.index, e.term, r);
    // A storage crash point inside the apply took the host down: nothing more happens here.
    if (!this.ctx.alive) return;
    this.counts.applied++;
    this.ctx.emit('kv.apply', { index: e.index, revision: outcome.revision, kind: r.body.kind, ok: outcome.result.ok });
    this.traceApplied(r, outcome.result.ok);
    if (r.body.kind === 'lease-revoke' && outcome.result.ok) this.revokeWaits.revoked(r.body.request.id);
    if (r.header.memberId !== this.memberId) return;
    const p = this.pending.byRequestId(r.header.id);
    if (p === undefined) return; // timed out, or proposed by an earlier incarnation / unwaited
    if (outcome.result.ok) this.pending.ok(p, this.header(outcome.revision), outcome.result.value);
    else this.fail(p, outcome.result.error);
  }

  private traceApplied(r: RaftRequest, ok: boolean): void {
    const b = r.body;
    if (b.kind === 'alarm' && ok) this.ctx.emit('kv.alarm', { action: b.request.action, member: b.request.memberId, alarm: b.request.alarm });
    if (b.kind === 'lease-grant' && ok) this.ctx.emit('kv.lease', { action: 'grant', id: b.request.id, ttlS: b.request.ttlS });
    if (b.kind === 'lease-revoke' && ok) this.ctx.emit('kv.lease', { action: 'revoke', id: b.request.id, ttlS: 0 });
  }

  private restore(data: Uint8Array, index: LogIndex, term: Term, confState?: ConfState): void {
    const res = this.state.restore(data, index, term, confState?.voters ?? []);
    // The node checked the snapshot's CRC: bytes that do not decode are a broken invariant.
    assert(res.ok, () => `kv restore: snapshot at index ${index} does not decode: ${res.ok ? '' : res.error.message}`);
    this.ctx.emit('kv.restore', { index, revision: this.state.mvcc.rev() });
    this.applyWait.appliedTo(index);
    this.revokeWaits.revokedUnless((id) => this.state.lessor.exists(id));
    this.maybePublish();
  }

  /** A restart whose backend is at or past the snapshot: only the membership comes from the snapshot. */
  private restoreMembership(data: Uint8Array, index: LogIndex, confState?: ConfState): void {
    const res = this.state.restoreMembership(data, confState?.voters ?? []);
    assert(res.ok, () => `kv restore: snapshot at index ${index} does not decode: ${res.ok ? '' : res.error.message}`);
  }

  // ---- leadership and leases -------------------------------------------------------------------

  private onSoftState(lead: NodeId, role: Role, term: Term): void {
    const prevLead = this.lead;
    const prevRole = this.role;
    this.lead = lead;
    this.role = role;
    this.term = term;
    if (lead !== prevLead) {
      if (lead !== 0) this.leadElectedUs = this.ctx.localNow();
      this.reads.onLeaderChange();
    }
    if (lead !== 0) this.maybePublish();
    // etcd promotes the lessor when it applies its term's empty entry (applyEntryNormal), not when
    // it wins: the revokes and grants of earlier terms are applied first.
    if (role === 'leader' && prevRole !== 'leader' && this.emptyAppliedTerm === term) this.promote();
    if (role !== 'leader' && prevRole === 'leader') this.demote();
  }

  /**
   * A leader's no-op entry applied (etcd applyEntryNormal with no data): a leader promotes its
   * lessor now, once everything committed in earlier terms is applied — a revoke it proposed in
   * an earlier term commits with this entry, so it can no longer renew a lease that revoke ends.
   */
  private applyEmpty(e: Entry): void {
    this.emptyAppliedTerm = e.term;
    if (this.role === 'leader' && e.term === this.term && !this.state.lessor.isPrimary()) this.promote();
  }

  private promote(): void {
    const now = this.ctx.localNow();
    this.state.lessor.promote(now, this.options.electionTimeoutUs);
    this.ctx.emit('kv.lease', { action: 'promote', id: 0, ttlS: 0 });
    if (this.leaseTimer < 0) this.leaseTimer = this.ctx.setTimer(this.options.leaseCheckIntervalUs, () => this.checkLeases());
  }

  private demote(): void {
    this.state.lessor.demote();
    this.revokeWaits.demoted();
    this.ctx.emit('kv.lease', { action: 'demote', id: 0, ttlS: 0 });
    if (this.leaseTimer >= 0) this.ctx.clearTimer(this.leaseTimer);
    this.leaseTimer = -1;
  }

  /** The leader's revoke loop: propose revokes of leases past their expiry on this host's clock. */
  private checkLeases(): void {
    this.leaseTimer = this.ctx.setTimer(this.options.leaseCheckIntervalUs, () => this.checkLeases());
    if (this.stoppedReason !== null) return;
    const now = this.ctx.localNow();
    const max = Math.max(1, Math.floor((this.options.leaseRevokeRatePerS * this.options.leaseCheckIntervalUs) / 1_000_000));
    // The lessor lists an expired lease again only after its retry interval (etcd: 3 s).
    this.proposeCheckpoints(now);
    const due = this.state.lessor.expired(now, max);
    if (due.length === 0) return;
    // etcd PR #16822: ask raft itself, not our cached role, whether we still lead (unless turned
    // off, as etcd before the fix: then the cached role, which a blocked Ready loop leaves stale).
    const s = this.boundNode().status();
    if (this.options.leaseRevokeIgnoresOldLeader && (s.role !== 'leader' || s.term !== this.term)) {
      this.counts.leaseRevokesSkippedNotLeader += due.length;
      return;
    }
    for (const id of due) {
      this.counts.leaseRevokesProposed++;
      this.ctx.emit('kv.lease', { action: 'expire', id, ttlS: 0 });
      this.proposeUnwaited({ kind: 'lease-revoke', request: { id } }, this.term);
    }
  }

  /** etcd checkpointScheduledLeases: the due checkpoints, in batches of at most 1000 per entry. */
  private proposeCheckpoints(now: number): void {
    if (!this.options.leaseCheckpoint) return;
    const cps = this.state.lessor.dueCheckpoints(now, 1000);
    if (cps.length === 0) return;
    this.ctx.emit('kv.lease', { action: 'checkpoint', id: cps[0]?.id ?? 0, ttlS: cps.length });
    this.proposeUnwaited({ kind: 'lease-checkpoint', request: { checkpoints: cps } });
  }

  private stop(reason: string): void {
    if (this.stoppedReason !== null) return;
    this.stoppedReason = reason;
    this.ctx.emit('kv.stopped', { reason });
    const err = kvError('Stopped', 'etcdserver: server stopped');
    this.reads.stop();
    this.applyWait.failAll();
    this.pending.failAll(this.pending.writes(), err);
    this.revokeWaits.stop();
    this.forwarder.failAll((p, e) => this.fail(p, e), err);
    if (this.leaseTimer >= 0) this.ctx.clearTimer(this.leaseTimer);
    this.leaseTimer = -1;
  }

  // ---- answers --------------------------------------------------------------------------------

  private header(revision: number): ResponseHeader {
    return { clusterId: this.options.clusterId, memberId: this.memberId, revision, raftTerm: this.term };
  }

  private ok(p: PendingCall, res: KvResult<unknown>): void {
    // etcd's Cluster service answers with a header of cluster id, member id and raft term only
    // (v3rpc ClusterServer.header): no revision (the conformance harness found raftsim sending one).
    if (res.ok) this.pending.ok(p, this.header(p.method.startsWith('member-') ? 0 : this.state.mvcc.rev()), res.value);
    else this.fail(p, res.error);
  }

  private fail(p: PendingCall, e: KvError): void {
    this.ctx.emit('kv.error', { method: p.method, code: e.code });
    this.pending.fail(p, e);
  }

  /**
   * Maintenance.MoveLeader as etcd serves it (v3rpc maintenance server, EtcdServer.MoveLeader): only
   * the leader takes it (else NotLeader); the target must be a voting member (else
   * BadLeaderTransferee, learners included); then raft's leader transfer, and the call waits,
   * looking every tick, until this member sees the target lead. etcd waits as long as the client's
   * context allows and answers ErrTimeoutLeaderTransfer past it; here the server's request timeout
   * bounds the wait (a tick before it, so this error, not the generic Timeout, ends the call).
   */
  private moveLeader(p: PendingCall, call: CallOf<'move-leader'>): void {
    const node = this.boundNode();
    const st = node.status();
    if (st.role !== 'leader') return this.fail(p, kvError('NotLeader', 'etcdserver: not leader'));
    const target = call.request.targetId;
    if (!st.confState.voters.includes(target as NodeId)) return this.fail(p, kvError('BadLeaderTransferee'));
    node.transferLeadership(target as NodeId);
    const tickUs = Math.max(1, Math.floor(this.options.electionTimeoutUs / 10));
    const giveUpUs = p.startUs + this.options.requestTimeoutUs - tickUs;
    const poll = (): void => {
      if (p.done) return;
      if (node.status().lead === target) return this.ok(p, { ok: true, value: {} });
      if (this.ctx.localNow() >= giveUpUs) return this.fail(p, kvError('TimeoutLeaderTransfer'));
      this.ctx.setTimer(tickUs, poll);
    };
    poll();
  }

  private status(): { leader: number; raftIndex: number; raftTerm: number; raftAppliedIndex: number; dbSizeBytes: number; dbSizeQuotaBytes: number; errors: string[] } {
    const s = this.boundNode().status();
    // etcd writes each alarm as protobuf text (AlarmMember.String()), which leaves out a zero member id.
    const errors = this.state.alarms.list().map((a) => (a.memberId === 0 ? `alarm:${a.alarm}` : `memberID:${a.memberId} alarm:${a.alarm}`));
    return { leader: s.lead, raftIndex: s.commit, raftTerm: s.term, raftAppliedIndex: s.applied, dbSizeBytes: this.state.dbSizeBytes, dbSizeQuotaBytes: this.options.quotaBackendBytes, errors };
  }

  // ---- cluster membership (etcd's Cluster API) -------------------------------------------------

  /** etcd AddMember: the URLs name the new member's host, strict reconfiguration checks, then the conf change. */
  private memberAdd(p: PendingCall, call: CallOf<'member-add'>): void {
    const urls = call.request.peerURLs;
    const ids = urls.map(idOfPeerURL);
    const id = ids[0];
    if (id === undefined || id === null || ids.some((x) => x !== id)) return this.fail(p, MEMBERSHIP_ERRORS.MemberBadURLs);
    const isLearner = call.request.isLearner === true;
    const refused = this.mayAddMember(isLearner);
    if (refused !== undefined) return this.fail(p, refused);
    const member: MemberInfo = { id, name: '', peerURLs: [...urls], clientURLs: [], isLearner };
    this.configure(p, isLearner ? 'add-learner-node' : 'add-node', id, { member: { peerURLs: [...urls], isLearner } }, (members) => ({ member, members }));
  }

  /** etcd RemoveMember: strict reconfiguration checks, then the conf change. */
  private memberRemove(p: PendingCall, call: CallOf<'member-remove'>): void {
    const refused = this.mayRemoveMember(call.request.id);
    if (refused !== undefined) return this.fail(p, refused);
    this.configure(p, 'remove-node', call.request.id, {}, (members) => ({ members }));
  }

  /** etcd UpdateMember: new peer URLs, checked at apply (the id exists, no other member has them). */
  private memberUpdate(p: PendingCall, call: CallOf<'member-update'>): void {
    const { id, peerURLs } = call.request;
    this.configure(p, 'update-node', id, { member: { peerURLs: [...peerURLs], isLearner: false } }, (members) => ({ members }));
  }

  /**
   * etcd PromoteMember on the leader (promoteMember): wait for the apply of what is committed, the
   * learner must have caught up (isLearnerReady: its match ≥ 0.9 of the leader's), the promoted
   * voter must not leave started voters short of a quorum; then an add-node with isPromote. Only
   * the leader knows the learner's progress: any other member answers NotLeader (etcd forwards the
   * call to the leader over peer HTTP; raftsim leaves the retry to the caller).
   */
  private memberPromote(p: PendingCall, call: CallOf<'member-promote'>): void {
    const id = call.request.id;
    this.afterApplyWait(p, () => {
      const match = this.boundNode().progressMatch();
      if (match === null) return this.fail(p, kvError('NotLeader', 'etcdserver: not leader'));
      const learner = match.get(id as NodeId);
      if (learner === undefined) return this.fail(p, MEMBERSHIP_ERRORS.MemberNotFound);
      const leader = match.get(this.memberId as NodeId) ?? 0;
      if (leader > 0 && learner / leader < LEARNER_READY_PERCENT) return this.fail(p, MEMBERSHIP_ERRORS.LearnerNotReady);
      if (this.options.strictReconfigCheck && !this.state.membership.readyToPromote()) return this.fail(p, MEMBERSHIP_ERRORS.MemberNotEnoughStarted);
      this.configure(p, 'add-node', id, { isPromote: true }, (members) => ({ members }));
    });
  }

  /** etcd MemberList: linearizable (a ReadIndex round first) when asked, else this member's view. */
  private memberList(p: PendingCall, call: CallOf<'member-list'>): void {
    const answer = (): void => this.ok(p, { ok: true, value: { members: this.state.membership.list() } });
    if (call.request.linearizable !== true) return answer();
    if (!this.reads.enqueue(readWaiter(answer, (e) => this.fail(p, e)))) this.fail(p, TOO_MANY_REQUESTS);
  }

  /** etcd mayAddMember (with --strict-reconfig-check). */
  private mayAddMember(isLearner: boolean): KvError | undefined {
    if (!this.options.strictReconfigCheck) return undefined;
    const ms = this.state.membership;
    if (!isLearner && !ms.readyToAddVoter()) return MEMBERSHIP_ERRORS.MemberNotEnoughStarted;
    // The new member counts as not connected: this member must reach a quorum of the grown cluster.
    const voters = ms.voters();
    if (voters.length !== 1 && this.connectedSince(voters) < Math.floor((voters.length + 1) / 2) + 1) return MEMBERSHIP_ERRORS.Unhealthy;
    return undefined;
  }

  /** etcd mayRemoveMember (with --strict-reconfig-check). */
  private mayRemoveMember(id: number): KvError | undefined {
    if (!this.options.strictReconfigCheck) return undefined;
    const ms = this.state.membership;
    if (ms.member(id)?.isLearner === true) return undefined;
    if (!ms.readyToRemoveVoter(id)) return MEMBERSHIP_ERRORS.MemberNotEnoughStarted;
    // A member this one has no connection to is not part of the active quorum: safe to remove.
    if (id !== this.memberId && this.boundNode().peerActiveSince(id as NodeId) === null) return undefined;
    const voters = ms.voters();
    if (this.connectedSince(voters) - 1 < 1 + Math.floor((voters.length - 1) / 2)) return MEMBERSHIP_ERRORS.Unhealthy;
    return undefined;
  }

  /** etcd numConnectedSince: this member and the peers connected for longer than the health interval. */
  private connectedSince(members: readonly MemberInfo[]): number {
    const since = this.ctx.localNow() - this.options.healthIntervalUs;
    const node = this.boundNode();
    let n = 0;
    for (const m of members) {
      if (m.id === this.memberId) {
        n++;
        continue;
      }
      const t = node.peerActiveSince(m.id as NodeId);
      if (t !== null && t < since) n++;
    }
    return n;
  }

  /** etcd configure: propose the conf change with a request id in its context; answered when this member applies it. */
  private configure(p: PendingCall, type: ConfChangeType, nodeId: number, extra: Omit<ConfChangeContext, 'requestId' | 'proposer'>, answer: (members: MemberInfo[]) => unknown): void {
    const node = this.boundNode();
    const id = this.nextRequestId();
    const context = encodeConfChangeContext({ requestId: id, proposer: this.memberId, ...extra });
    this.pending.proposed(p, id);
    this.counts.proposals++;
    this.ctx.emit('kv.propose', { id, kind: `conf-change:${type}`, bytes: context.length });
    this.confAnswers.set(id, answer);
    const res = node.proposeConfChange({ version: 1, type, nodeId: nodeId as NodeId, context });
    if (!res.ok) {
      this.confAnswers.delete(id);
      this.counts.proposalsDropped++;
      this.fail(p, kvError(res.error, res.error === 'Stopped' ? 'etcdserver: server stopped' : 'raft proposal dropped'));
    }
  }

  /** A committed conf change, before raft applies it: validate and apply it to the membership (etcd applyConfChange). */
  private applyConfChange(_e: Entry, cc: ConfChange): boolean {
    // The server proposes V1 changes only; a V2 change (tests of the raft core) is raft's business.
    if (cc.version !== 1) return true;
    const ctx = decodeConfChangeContext(cc.context);
    const res = this.state.membership.apply(cc, ctx);
    // Bootstrap entries (the initial members, no context) are not traced: every run has them.
    if (ctx !== null) this.ctx.emit('kv.member', { action: cc.type, id: cc.nodeId, promote: ctx?.isPromote === true, ok: res.ok, ...(res.ok ? {} : { error: res.error.code }) });
    if (ctx !== null && ctx.proposer === this.memberId) {
      const answer = this.confAnswers.get(ctx.requestId);
      this.confAnswers.delete(ctx.requestId);
      const p = this.pending.byRequestId(ctx.requestId);
      // Answered once raft has applied it too (etcd #15528): in onConfChange, right after.
      if (p !== undefined && answer !== undefined) this.confApplied = { p, result: res.ok ? { ok: true, value: answer(this.state.membership.list()) } : res };
    }
    return res.ok;
  }

  /** Raft applied the conf change: answer its proposer, and publish if this member was just added. */
  private confChangeApplied(): void {
    const done = this.confApplied;
    this.confApplied = null;
    if (done !== null) this.ok(done.p, done.result);
    this.maybePublish();
  }

  /**
   * etcd publishV3: a member listed without a name proposes its name and client URLs once it has a
   * leader, again after a request timeout until it is named. (etcd publishes on every start;
   * raftsim's initial members are named at bootstrap and a named member does not publish again.)
   */
  private maybePublish(): void {
    if (this.publishing || this.stoppedReason !== null || this.node === null || this.lead === 0) return;
    const me = this.state.membership.member(this.memberId);
    if (me === undefined || MembershipStore.started(me)) return;
    this.publishing = true;
    this.proposeUnwaited({ kind: 'member-attr', request: { memberId: this.memberId, name: `m${this.memberId}`, clientURLs: [clientURL(this.memberId)] } });
    this.ctx.setTimer(this.options.requestTimeoutUs, () => {
      this.publishing = false;
      this.maybePublish();
    });
  }

  private boundNode(): RaftNodeHandle {
    assert(this.node !== null, 'kv server: used before bind(node)');
    return this.node;
  }
}

const STOPPED: KvError = kvError('Stopped', 'etcdserver: server stopped');
/** etcd readyPercentThreshold: a learner may be promoted once its match is 90 % of the leader's. */
const LEARNER_READY_PERCENT = 0.9;
const NOT_PRIMARY: KvError = kvError('NotLeader', 'lease: not primary');
const TOO_MANY_REQUESTS: KvError = kvError('TooManyRequests', 'etcdserver: too many requests');

/**
 * A read waiter of two callbacks, made by a function rather than an object literal of arrow
 * functions: tsx (esbuild's keepNames) names every arrow stored in a literal's property with a
 * defineProperty call, which on the path of every linearizable read is measurable.
 */
function readWaiter(serve: () => void, fail: (e: KvError) => void): ReadWaiter {
  return { serve, fail };
}

/** etcd isTxnSerializable: every top-level op is a serializable range. */
function isTxnSerializable(r: TxnRequest): boolean {
  const all = [...r.success, ...r.failure];
  return all.length > 0 && all.every((op) => op.type === 'range' && op.request.serializable === true);
}
