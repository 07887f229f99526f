/**
 * Forwarding lease calls to the leader (etcd v3_server.go LeaseRenew / leaseTimeToLive on a
 * member that is not the leader, over leasehttp): renewals and TTL lookups do not go through raft,
 * only the leader's lessor knows expiries, so a follower asks the leader over the peer network.
 *
 * One call's loop, until it is answered or its request timeout ends it (the server's pending call):
 *   1. no leader known: wait an election timeout and look again (etcd waitLeader); a call that
 *      times out while waiting fails NoLeader, as etcd's;
 *   2. send the call to the leader (a new `forwardId` per attempt); the leader answers after its
 *      apply wait (see server.ts `leaseForwarded`);
 *   3. an answer that is a success or LeaseNotFound ends the call; any other answer (the leader is
 *      not primary any more, its apply wait timed out), a broken connection, or no answer within
 *      `leaseForwardTimeoutUs` (the peer transport's read timeout) is retried after 50 ms (etcd's
 *      throttle), to whichever member leads then.
 * When this member is itself the leader by then, the call is served locally as a forwarded one
 * (etcd posts it to its own peer URL).
 *
 * The number of forwards is bounded by the server's pending calls: each belongs to one.
 */
import type { KvError } from '../api.js';
import { assert } from '../../sim/assert.js';
import type { HostContext, HostId, TimerId } from '../../sim/host.js';
import type { Micros } from '../../sim/time.js';
import type { KvReply, LeaseForwardCall } from '../wire.js';
import type { PendingCall } from './pending.js';

/** etcd's pause between forwarding attempts ("Throttle in case of e.g. connection problems"). */
export const LEASE_FORWARD_THROTTLE_US: Micros = 50_000;

/** Sends one attempt to `to`; false when the connection refused it (broken, full). */
export type LeaseForwardSend = (to: HostId, forwardId: number, call: LeaseForwardCall) => boolean;

export interface LeaseForwarderEnv {
  readonly ctx: HostContext;
  readonly electionTimeoutUs: Micros;
  readonly leaseForwardTimeoutUs: Micros;
  /** The leader this member knows now (0: none). */
  readonly lead: () => number;
  readonly memberId: number;
  /** Serves a forwarded call here (this member leads now). */
  readonly serveLocally: (call: LeaseForwardCall, reply: (r: KvReply) => void) => void;
  /** Ends the call with the leader's final answer (a success or LeaseNotFound). */
  readonly finish: (p: PendingCall, call: LeaseForwardCall, reply: KvReply) => void;
}

export interface LeaseForwardStats {
  readonly started: number;
  readonly attempts: number;
  readonly retries: number;
  readonly attemptTimeouts: number;
}

type State = 'waiting-leader' | 'sent' | 'throttled';

interface Forward {
  readonly p: PendingCall;
  readonly call: LeaseForwardCall;
  state: State;
  /** The attempt in flight: its id and where it went (-1, 0 when none). */
  attemptId: number;
  to: HostId;
  timer: TimerId;
  attempts: number;
}

export class LeaseForwarder {
  private send: LeaseForwardSend | null = null;
  private readonly byCall = new Map<PendingCall, Forward>();
  private readonly byAttempt = new Map<number, Forward>();
  private nextAttemptId = 0;
  private counts = { started: 0, attempts: 0, retries: 0, attemptTimeouts: 0 };

  constructor(private readonly env: LeaseForwarderEnv) {}

  /** The member's peer connection; without one (a server alone in a test) nothing is forwarded. */
  bind(send: LeaseForwardSend): void {
    assert(this.send === null, 'lease forward: bound twice');
    this.send = send;
  }

  get bound(): boolean {
    return this.send !== null;
  }

  stats(): LeaseForwardStats {
    return { ...this.counts };
  }

  start(p: PendingCall, call: LeaseForwardCall): void {
    assert(this.send !== null, 'lease forward: not bound to the peer network');
    assert(!this.byCall.has(p), 'lease forward: call forwarded twice');
    const f: Forward = { p, call, state: 'throttled', attemptId: -1, to: 0, timer: -1, attempts: 0 };
    this.byCall.set(p, f);
    this.counts.started++;
    this.attempt(f);
  }

  /** The leader's answer to attempt `forwardId` (a late answer to an abandoned attempt is ignored). */
  onReply(from: HostId, forwardId: number, reply: KvReply): void {
    const f = this.byAttempt.get(forwardId);
    if (f === undefined || f.state !== 'sent' || f.attemptId !== forwardId) return;
    assert(from === f.to, () => `lease forward: answer to attempt ${forwardId} from ${from}, sent to ${f.to}`);
    this.endAttempt(f);
    if (f.p.done) return this.drop(f);
    if (reply.ok || reply.error.code === 'LeaseNotFound') {
      this.drop(f);
      this.env.finish(f.p, f.call, reply);
      return;
    }
    this.throttle(f);
  }

  /** The connection to `peer` broke: attempts in flight to it are lost; try again. */
  peerGone(peer: HostId): void {
    for (const f of [...this.byCall.values()]) {
      if (f.state !== 'sent' || f.to !== peer) continue;
      this.endAttempt(f);
      this.throttle(f);
    }
  }

  /** Whether `p` is waiting for a leader to be known (its timeout is then NoLeader, as etcd's). */
  waitingForLeader(p: PendingCall): boolean {
    return this.byCall.get(p)?.state === 'waiting-leader';
  }

  /** Forgets `p` (it was answered some other way: its timeout, the member stopping). */
  abandon(p: PendingCall): void {
    const f = this.byCall.get(p);
    if (f === undefined) return;
    if (f.state === 'sent') this.endAttempt(f);
    this.drop(f);
  }

  /** Every forward ends with `e` (the member stopped). */
  failAll(fail: (p: PendingCall, e: KvError) => void, e: KvError): void {
    for (const f of [...this.byCall.values()]) {
      this.abandon(f.p);
      fail(f.p, e);
    }
  }

  private attempt(f: Forward): void {
    f.timer = -1;
    if (f.p.done) return this.drop(f);
    const lead = this.env.lead();
    if (lead === 0) {
      f.state = 'waiting-leader';
      f.timer = this.env.ctx.setTimer(this.env.electionTimeoutUs, () => this.attempt(f));
      return;
    }
    const id = this.nextAttemptId++;
    f.attempts++;
    this.counts.attempts++;
    f.state = 'sent';
    f.attemptId = id;
    f.to = lead;
    this.byAttempt.set(id, f);
    this.env.ctx.emit('kv.forward', { method: f.call.method, lease: f.call.request.id, to: lead, attempt: f.attempts });
    if (lead === this.env.memberId) {
      this.env.serveLocally(f.call, (r) => this.onReply(lead, id, r));
      return;
    }
    f.timer = this.env.ctx.setTimer(this.env.leaseForwardTimeoutUs, () => this.onAttemptTimeout(f, id));
    if (!(this.send as LeaseForwardSend)(lead, id, f.call)) {
      this.endAttempt(f);
      this.throttle(f);
    }
  }

  private onAttemptTimeout(f: Forward, id: number): void {
    if (f.state !== 'sent' || f.attemptId !== id) return;
    f.timer = -1;
    this.counts.attemptTimeouts++;
    this.endAttempt(f);
    this.throttle(f);
  }

  private throttle(f: Forward): void {
    if (f.p.done) return this.drop(f);
    this.counts.retries++;
    f.state = 'throttled';
    f.timer = this.env.ctx.setTimer(LEASE_FORWARD_THROTTLE_US, () => this.attempt(f));
  }

  private endAttempt(f: Forward): void {
    assert(f.state === 'sent', 'lease forward: no attempt in flight');
    this.byAttempt.delete(f.attemptId);
    if (f.timer >= 0) this.env.ctx.clearTimer(f.timer);
    f.timer = -1;
    f.attemptId = -1;
    f.state = 'throttled';
  }

  private drop(f: Forward): void {
    if (f.timer >= 0) this.env.ctx.clearTimer(f.timer);
    f.timer = -1;
    this.byCall.delete(f.p);
  }
}
