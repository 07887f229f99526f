/**
 * Calls in progress on a server: each is answered exactly once — by its result, its error, or its
 * request timeout, whichever comes first — and their number is bounded (a call beyond the bound
 * is refused with TooManyRequests before it does anything).
 *
 * Write calls are also indexed by the id of the raft request they proposed, so the apply of that
 * entry on this member finds the call to answer (etcd's `wait.Wait` keyed by request id).
 */
import type { AuthInfo } from '../auth/store.js';
import type { KvError, ResponseHeader } from '../api.js';
import { assert } from '../../sim/assert.js';
import type { HostContext, TimerId } from '../../sim/host.js';
import type { Micros } from '../../sim/time.js';
import type { KvReply, Method } from '../wire.js';

export interface PendingCall {
  readonly method: Method;
  /** Local time the call arrived (for the TimeoutDueToLeaderFail classification). */
  readonly startUs: Micros;
  /** The raft request id, for proposed writes; -1 otherwise. */
  requestId: number;
  done: boolean;
  timer: TimerId;
  /** The caller as its token named it (auth on and a token given), set when the call arrives. */
  auth?: AuthInfo;
  readonly reply: (r: KvReply) => void;
}

export interface PendingStats {
  readonly open: number;
  readonly answered: number;
  readonly timedOut: number;
  readonly errors: Readonly<Partial<Record<KvError['code'], number>>>;
}

export class PendingCalls {
  private readonly byRequest = new Map<number, PendingCall>();
  private open = 0;
  private answered = 0;
  private timedOut = 0;
  private readonly errors: Partial<Record<KvError['code'], number>> = {};

  constructor(
    private readonly ctx: HostContext,
    private readonly max: number,
    private readonly timeoutUs: Micros,
    /** Chooses the error of a timed-out call (Timeout or TimeoutDueToLeaderFail). */
    private readonly timeoutError: (p: PendingCall) => KvError,
  ) {}

  /** Opens a call, or answers TooManyRequests at once and returns undefined. */
  begin(method: Method, reply: (r: KvReply) => void): PendingCall | undefined {
    if (this.open >= this.max) {
      this.count({ code: 'TooManyRequests', message: '' });
      reply({ ok: false, error: { code: 'TooManyRequests', message: 'etcdserver: too many requests' } });
      return undefined;
    }
    const p: PendingCall = { method, startUs: this.ctx.localNow(), requestId: -1, done: false, timer: -1, reply };
    p.timer = this.ctx.setTimer(this.timeoutUs, () => this.expire(p));
    this.open++;
    return p;
  }

  /** Indexes a write call by the id of the request it proposed. */
  proposed(p: PendingCall, requestId: number): void {
    assert(!this.byRequest.has(requestId), () => `pending: request id ${requestId} proposed twice`);
    p.requestId = requestId;
    this.byRequest.set(requestId, p);
  }

  /** The call waiting for `requestId`, if it is still open. */
  byRequestId(requestId: number): PendingCall | undefined {
    return this.byRequest.get(requestId);
  }

  ok(p: PendingCall, header: ResponseHeader, response: unknown): void {
    this.finish(p, { ok: true, header, response } as KvReply);
  }

  fail(p: PendingCall, error: KvError): void {
    this.count(error);
    this.finish(p, { ok: false, error });
  }

  /** Every open call fails with `error` (the member stopped). */
  failAll(calls: Iterable<PendingCall>, error: KvError): void {
    for (const p of [...calls]) this.fail(p, error);
  }

  /** Open write calls (waiting for their entry). */
  writes(): IterableIterator<PendingCall> {
    return this.byRequest.values();
  }

  stats(): PendingStats {
    return { open: this.open, answered: this.answered, timedOut: this.timedOut, errors: { ...this.errors } };
  }

  get size(): number {
    return this.open;
  }

  private expire(p: PendingCall): void {
    if (p.done) return;
    p.timer = -1;
    this.timedOut++;
    this.fail(p, this.timeoutError(p));
  }

  private finish(p: PendingCall, r: KvReply): void {
    if (p.done) return;
    p.done = true;
    if (p.timer >= 0) this.ctx.clearTimer(p.timer);
    if (p.requestId >= 0) this.byRequest.delete(p.requestId);
    this.open--;
    this.answered++;
    assert(this.open >= 0, 'pending: more calls closed than opened');
    p.reply(r);
  }

  private count(e: KvError): void {
    this.errors[e.code] = (this.errors[e.code] ?? 0) + 1;
  }
}
