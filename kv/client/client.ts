/**
 * A clientv3-like client, as a program on a simulated host (client hosts have ids ≥ 100).
 *
 *   const client = createKvClient(ctx, env, { endpoints: [1, 2, 3], callTimeoutUs: 3_000_000 });
 *   client.call('put', { key: 'a', value: 'v1' }, (o) => o.status);   // 'ok' | 'fail' | 'unknown'
 *
 * Connections: one stream (sim/channels, label `grpc`) to every endpoint, opened at start; a broken
 * one redials by itself. Each attempt goes to the next *connected* endpoint in round-robin order
 * (gRPC's round_robin balancer). With no connected endpoint the call waits for one (gRPC
 * WaitForReady) until its deadline: it never left, so it may still be retried, even a write.
 *
 * Connection liveness (gRPC keepalive, clientv3 DialKeepAliveTime / DialKeepAliveTimeout; off by
 * default, as in clientv3 — etcdctl uses 2 s / 6 s): with `keepaliveTimeUs` > 0, a connection that
 * carries calls or watches and has been silent that long is pinged (`ping`, answered `pong` by the
 * member); if nothing at all arrives on it within `keepaliveTimeoutUs` of the ping, the connection
 * is declared dead (`client.conn-dead` {to, inflight, watches}): it is closed and dialled afresh,
 * each attempt in flight on it ends with TimeoutDueToConnectionLost — sent, so a write's outcome
 * is unknown and it is not retried, while a read is retried on the next endpoint — and its
 * watches move. This is what ends a call to a member that silently stopped answering (a paused
 * process, a reply path that died without the client sending anything) before the call's
 * deadline. A ping that meets a cut link breaks the stream at once (sim/channels), the same end.
 *
 * Retries (`retry.ts`): repeatable calls retry any Unavailable-class error on the next endpoint,
 * non-repeatable ones only if they never left; a connection that breaks with an attempt in flight
 * is an Unavailable error for that attempt (sent: a write's outcome is then unknown). At most
 * `maxRetries` retries, with clientv3's quorum backoff. Each call has a deadline (`callTimeoutUs`,
 * on the client's local clock): past it the call ends — unknown if any attempt was sent, failed if
 * none was. A reply to an abandoned attempt is ignored (counted as stale). A call that changes
 * state and ends with a definite error after an earlier attempt went unanswered ends unknown, not
 * failed: the earlier attempt may have taken effect, and caused the error (a retried lease revoke
 * answered LeaseNotFound).
 *
 * History: when the client is given a recorder, every call made with `record` (the default) is
 * invoked and completed there, as process `process` (see `history-op.ts` for the shape).
 * Trace events: `client.send` {call, method, to, attempt} per attempt; `client.done` {call, method,
 * status, code, attempts} per call (code '' when ok).
 */
import type { KvError, ResponseHeader, WatchCreateRequest } from '../api.js';
import { assert } from '../../sim/assert.js';
import type { Channels, Stream, StreamState } from '../../sim/channels.js';
import type { HistoryRecorder, PendingOp } from '../../sim/history.js';
import type { HostContext, HostId, TimerId } from '../../sim/host.js';
import type { Network } from '../../sim/network.js';
import type { Random } from '../../sim/random.js';
import type { Micros } from '../../sim/time.js';
import { CLIENT_STREAM_LABEL, type KvCall, type KvReply, type Method, type RequestOf, type ResponseOf, type Wire } from '../wire.js';
import { historyError, historyKey, historyOutput } from './history-op.js';
import { attemptAmbiguous, failureStatus, retryBackoffUs, shouldRetry } from './retry.js';
import { WatchClient, type WatchHandle, type WatchListener, type WatchLog } from './watch-client.js';

export interface ClientEnv {
  readonly network: Network<Wire>;
  readonly channels: Channels<Wire>;
  /** Where calls are recorded; none = not recorded. */
  readonly history?: HistoryRecorder;
  /** Where watches are recorded for the watch checker; none = not recorded. */
  readonly watchLog?: WatchLog;
}

export interface ClientOptions {
  /** Member host ids. */
  readonly endpoints: readonly HostId[];
  /** A call's deadline, in the client's local µs. Default 3 s. */
  readonly callTimeoutUs: Micros;
  /** Retries after the first attempt (clientv3 defaultUnaryMaxRetries). Default 100. */
  readonly maxRetries: number;
  /** clientv3's backoff between rounds over a quorum of endpoints. Default 25 ms. */
  readonly backoffWaitUs: Micros;
  /** Jitter fraction of that backoff. Default 0.1. */
  readonly backoffJitter: number;
  /** The process number in the history (a workload's client index). Default: the host id. */
  readonly process: number;
  /** Most calls open at once (a bound on the client's own queue). Default 1024. */
  readonly maxOpenCalls: number;
  /** Ping a connection with calls or watches after this much silence (gRPC keepalive Time); 0 = off. Default 0 (clientv3). */
  readonly keepaliveTimeUs: Micros;
  /** A pinged connection that hears nothing for this long is dead (gRPC keepalive Timeout). Default 20 s (gRPC). */
  readonly keepaliveTimeoutUs: Micros;
  /**
   * clientv3 Config.Username/Password: the client authenticates before its first call and sends
   * the token with every call; a call refused InvalidAuthToken or AuthOldRevision gets a fresh
   * token and is sent again, once (clientv3's shouldRefreshToken). None = no token is ever sent.
   */
  readonly auth?: { readonly name: string; readonly password: string };
}

export const CLIENT_DEFAULTS: Omit<ClientOptions, 'endpoints' | 'process'> = {
  callTimeoutUs: 3_000_000,
  maxRetries: 100,
  backoffWaitUs: 25_000,
  backoffJitter: 0.1,
  maxOpenCalls: 1024,
  keepaliveTimeUs: 0,
  keepaliveTimeoutUs: 20_000_000,
};

export type CallOutcome<M extends Method = Method> =
  | { readonly status: 'ok'; readonly header: ResponseHeader; readonly response: ResponseOf<M>; readonly member: HostId; readonly attempts: number }
  | { readonly status: 'fail' | 'unknown'; readonly error: KvError; readonly member: HostId | null; readonly attempts: number };

export interface CallOptions {
  /** Record this call in the history (when the client has a recorder). Default true. */
  readonly record?: boolean;
}

export interface ClientStats {
  readonly calls: number;
  readonly ok: number;
  readonly fail: number;
  readonly unknown: number;
  readonly attempts: number;
  readonly retries: number;
  readonly staleReplies: number;
  readonly waitedForConnection: number;
  /** Keepalive pings sent, and connections declared dead because none was answered in time. */
  readonly pings: number;
  readonly deadConnections: number;
}

export interface KvClient {
  readonly id: HostId;
  call<M extends Method>(method: M, request: RequestOf<M>, done?: (o: CallOutcome<M>) => void, options?: CallOptions): void;
  /** Opens a watch that survives member failures (resumed elsewhere from the last revision + 1). */
  watch(request: WatchCreateRequest, listener?: WatchListener): WatchHandle;
  /** Calls not finished yet. */
  readonly openCalls: number;
  /** The simple token sent with every call (set by a successful Authenticate through `authClient`, or by the `auth` option). */
  authToken: string | undefined;
  stats(): ClientStats;
}

interface Call {
  readonly id: number;
  readonly method: Method;
  readonly request: unknown;
  readonly done: ((o: CallOutcome) => void) | undefined;
  readonly op: PendingOp | undefined;
  attempts: number;
  /** Some attempt reached the network. */
  sent: boolean;
  /** Some attempt before the current one was sent and ended without a definite answer (it may have taken effect). */
  ambiguous: boolean;
  /** The attempt in flight: its wire id and endpoint. */
  inflight: { readonly wireId: number; readonly endpoint: HostId } | null;
  finished: boolean;
  deadline: TimerId;
  retryTimer: TimerId;
  lastError: KvError;
  /** The token was refreshed for this call once already. */
  reauthed?: boolean;
}

export function createKvClient(ctx: HostContext, env: ClientEnv, options: Partial<ClientOptions> & Pick<ClientOptions, 'endpoints'>): KvClient {
  const o: ClientOptions = { ...CLIENT_DEFAULTS, process: ctx.id, ...options };
  assert(o.endpoints.length > 0, 'kv client: no endpoints');
  assert(new Set(o.endpoints).size === o.endpoints.length, 'kv client: duplicate endpoints');
  assert(Number.isInteger(o.callTimeoutUs) && o.callTimeoutUs > 0, () => `kv client: callTimeoutUs must be a positive integer, got ${o.callTimeoutUs}`);
  assert(Number.isInteger(o.maxRetries) && o.maxRetries >= 0, () => `kv client: maxRetries must be an integer ≥ 0, got ${o.maxRetries}`);
  assert(Number.isInteger(o.maxOpenCalls) && o.maxOpenCalls > 0, () => `kv client: maxOpenCalls must be a positive integer, got ${o.maxOpenCalls}`);
  assert(Number.isInteger(o.keepaliveTimeUs) && o.keepaliveTimeUs >= 0, () => `kv client: keepaliveTimeUs must be an integer ≥ 0, got ${o.keepaliveTimeUs}`);
  assert(Number.isInteger(o.keepaliveTimeoutUs) && o.keepaliveTimeoutUs > 0, () => `kv client: keepaliveTimeoutUs must be a positive integer, got ${o.keepaliveTimeoutUs}`);
  return new Client(ctx, env, o);
}

const NO_CONNECTION: KvError = { code: 'Unavailable', message: 'there is no connection available' };
const CONNECTION_LOST: KvError = { code: 'Unavailable', message: 'transport is closing' };
const DEADLINE: KvError = { code: 'Timeout', message: 'context deadline exceeded' };
const KEEPALIVE_FAILED: KvError = { code: 'TimeoutDueToConnectionLost', message: 'keepalive ping failed to receive ACK within timeout' };

/** A connection's keepalive state (gRPC http2Client keepalive), local µs. */
interface Liveness {
  /** When anything last arrived on this connection. */
  lastHeardUs: Micros;
  /** When the outstanding ping left, or -1. */
  pingSentUs: Micros;
  timer: TimerId;
  seq: number;
}

class Client implements KvClient {
  readonly id: HostId;
  private readonly conns = new Map<HostId, Stream<Wire>>();
  private cursor = 0;
  private nextCallId = 0;
  private nextWireId = 0;
  private readonly calls = new Map<number, Call>();
  private readonly byWire = new Map<number, Call>();
  /** Calls waiting for any connection (WaitForReady). */
  private parked: Call[] = [];
  private readonly random: Random;
  private readonly watches: WatchClient;
  private counts = { calls: 0, ok: 0, fail: 0, unknown: 0, attempts: 0, retries: 0, staleReplies: 0, waitedForConnection: 0, pings: 0, deadConnections: 0 };
  private readonly liveness = new Map<HostId, Liveness>();
  authToken: string | undefined = undefined;
  /** Calls waiting for the token the `auth` option asks for. */
  private waitingForToken: (() => void)[] = [];
  private authenticating = false;

  constructor(
    private readonly ctx: HostContext,
    private readonly env: ClientEnv,
    private readonly options: ClientOptions,
  ) {
    this.id = ctx.id;
    this.random = ctx.random.fork('retry');
    this.watches = new WatchClient(ctx, options.endpoints, (ep) => this.conns.get(ep), env.watchLog ?? null, options.process);
    env.network.listen(ctx.id, (from, msg) => this.receive(from, msg));
    for (const ep of options.endpoints) {
      this.dial(ep);
      if (options.keepaliveTimeUs > 0) {
        const l: Liveness = { lastHeardUs: ctx.localNow(), pingSentUs: -1, timer: -1, seq: 0 };
        l.timer = ctx.setTimer(options.keepaliveTimeUs, () => this.keepaliveCheck(ep, l));
        this.liveness.set(ep, l);
      }
    }
  }

  private dial(ep: HostId): void {
    const s = this.env.channels.openStream(this.ctx.id, ep, { label: CLIENT_STREAM_LABEL, onState: (st) => this.onConnState(ep, st) });
    this.conns.set(ep, s);
  }

  get openCalls(): number {
    return this.calls.size;
  }

  call<M extends Method>(method: M, request: RequestOf<M>, done?: (o: CallOutcome<M>) => void, options: CallOptions = {}): void {
    assert(this.ctx.alive, 'kv client: call on a crashed client');
    if (this.calls.size >= this.options.maxOpenCalls) {
      done?.({ status: 'fail', error: { code: 'TooManyRequests', message: 'client: too many open calls' }, member: null, attempts: 0 });
      return;
    }
    const kvCall = { method, request } as KvCall;
    const record = options.record !== false && this.env.history !== undefined;
    const op = record ? (this.env.history as HistoryRecorder).invoke(this.options.process, method, historyKey(kvCall), request, this.ctx.simNow()) : undefined;
    const c: Call = { id: this.nextCallId++, method, request, done: done as ((o: CallOutcome) => void) | undefined, op, attempts: 0, sent: false, ambiguous: false, inflight: null, finished: false, deadline: -1, retryTimer: -1, lastError: NO_CONNECTION };
    c.deadline = this.ctx.setTimer(this.options.callTimeoutUs, () => this.finishFailed(c, DEADLINE));
    this.calls.set(c.id, c);
    this.counts.calls++;
    if (method === 'auth' && (request as { op: string }).op === 'authenticate') this.attempt(c);
    else this.withToken(() => this.attempt(c));
  }

  /** Runs `then` once the client holds a token, if its `auth` option asks for one (authenticating first). */
  private withToken(then: () => void): void {
    const creds = this.options.auth;
    if (creds === undefined || this.authToken !== undefined) return then();
    this.waitingForToken.push(then);
    if (this.authenticating) return;
    this.authenticating = true;
    this.call('auth', { op: 'authenticate', name: creds.name, password: creds.password }, (o) => {
      this.authenticating = false;
      if (o.status === 'ok' && 'token' in o.response) this.authToken = o.response.token;
      // Without a token the calls go anyway, and the members refuse them (UserEmpty): definite.
      const waiting = this.waitingForToken;
      this.waitingForToken = [];
      for (const f of waiting) f();
    }, { record: false });
  }

  watch(request: WatchCreateRequest, listener?: WatchListener): WatchHandle {
    return this.watches.open(request, listener);
  }

  stats(): ClientStats {
    return { ...this.counts };
  }

  // ---- attempts -------------------------------------------------------------------------------

  private attempt(c: Call): void {
    c.retryTimer = -1;
    if (c.finished) return;
    const ep = this.pick();
    if (ep === undefined) {
      this.counts.waitedForConnection++;
      this.parked.push(c);
      return;
    }
    const wireId = this.nextWireId++;
    const stream = this.conns.get(ep) as Stream<Wire>;
    c.attempts++;
    this.counts.attempts++;
    this.ctx.emit('client.send', { call: c.id, method: c.method, to: ep, attempt: c.attempts });
    const kvCall = { method: c.method, request: c.request } as KvCall;
    if (!stream.send(this.authToken === undefined ? { kind: 'call', callId: wireId, call: kvCall } : { kind: 'call', callId: wireId, call: kvCall, token: this.authToken })) {
      // The connection was not usable after all: the request never left.
      return this.afterError(c, NO_CONNECTION, false);
    }
    c.sent = true;
    c.inflight = { wireId, endpoint: ep };
    this.byWire.set(wireId, c);
  }

  /** The next connected endpoint in round-robin order. */
  private pick(): HostId | undefined {
    const eps = this.options.endpoints;
    for (let i = 0; i < eps.length; i++) {
      const at = (this.cursor + i) % eps.length;
      const ep = eps[at] as HostId;
      if (this.conns.get(ep)?.state === 'connected') {
        this.cursor = at + 1;
        return ep;
      }
    }
    return undefined;
  }

  /** An attempt failed with `e`; `sent`: that attempt reached the network. */
  private afterError(c: Call, e: KvError, sent: boolean): void {
    c.lastError = e;
    if (c.finished) return;
    if ((e.code === 'InvalidAuthToken' || e.code === 'AuthOldRevision') && this.options.auth !== undefined && c.reauthed !== true) {
      // clientv3's retry interceptor: a stale token is refreshed and the call sent again (the
      // refusal was definite: nothing happened).
      c.reauthed = true;
      this.authToken = undefined;
      return this.withToken(() => this.attempt(c));
    }
    if (!shouldRetry(c.method, e.code, sent) || c.attempts > this.options.maxRetries) return this.finishFailed(c, e);
    // Retried: this attempt's outcome, if it was sent and not definitely refused, stays open.
    if (attemptAmbiguous(e.code, sent)) c.ambiguous = true;
    this.counts.retries++;
    const waitUs = retryBackoffUs(c.attempts, this.options.endpoints.length, this.random, this.options.backoffWaitUs, this.options.backoffJitter);
    c.retryTimer = this.ctx.setTimer(waitUs, () => this.attempt(c));
  }

  // ---- network --------------------------------------------------------------------------------

  private receive(from: HostId, msg: Wire): void {
    const l = this.liveness.get(from);
    if (l !== undefined) l.lastHeardUs = this.ctx.localNow();
    switch (msg.kind) {
      case 'reply':
        return this.onReply(from, msg.callId, msg.reply);
      case 'watch-response':
        return this.watches.onResponse(from, msg.streamId, msg.response);
      case 'pong':
        return; // heard: that is all a pong says
      default:
        // Raft traffic and calls are not for a client: a misrouted message is a bug.
        assert(false, () => `kv client ${this.id}: unexpected ${msg.kind} from ${from}`);
    }
  }

  private onReply(from: HostId, wireId: number, reply: KvReply): void {
    const c = this.byWire.get(wireId);
    if (c === undefined || c.finished || c.inflight?.wireId !== wireId) {
      this.counts.staleReplies++;
      return;
    }
    assert(c.inflight.endpoint === from, () => `kv client: reply to call ${c.id} from ${from}, sent to ${c.inflight?.endpoint}`);
    this.byWire.delete(wireId);
    c.inflight = null;
    if (reply.ok) return this.finishOk(c, reply.header, reply.response, from);
    this.afterError(c, reply.error, true);
  }

  private onConnState(ep: HostId, state: StreamState): void {
    this.watches.onConnState(ep, state);
    if (state === 'connected') {
      const waiting = this.parked;
      this.parked = [];
      for (const c of waiting) this.attempt(c);
      return;
    }
    // Broken or closed: attempts in flight on it are lost after being sent.
    this.failInflight(ep, CONNECTION_LOST);
  }

  private failInflight(ep: HostId, e: KvError): number {
    let n = 0;
    for (const c of [...this.calls.values()]) {
      if (c.inflight === null || c.inflight.endpoint !== ep) continue;
      this.byWire.delete(c.inflight.wireId);
      c.inflight = null;
      n++;
      this.afterError(c, e, true);
    }
    return n;
  }

  // ---- keepalive ------------------------------------------------------------------------------

  /** gRPC's keepalive loop for one connection: ping after silence, declare it dead if the ping goes unanswered. */
  private keepaliveCheck(ep: HostId, l: Liveness): void {
    const { keepaliveTimeUs, keepaliveTimeoutUs } = this.options;
    const now = this.ctx.localNow();
    const rearm = (afterUs: Micros): void => {
      l.timer = this.ctx.setTimer(Math.max(1, afterUs), () => this.keepaliveCheck(ep, l));
    };
    if (l.pingSentUs >= 0) {
      if (l.lastHeardUs < l.pingSentUs) {
        if (now - l.pingSentUs >= keepaliveTimeoutUs) return this.connectionDead(ep, l);
        return rearm(l.pingSentUs + keepaliveTimeoutUs - now);
      }
      l.pingSentUs = -1; // something arrived since the ping: alive
    }
    if (now - l.lastHeardUs < keepaliveTimeUs) return rearm(l.lastHeardUs + keepaliveTimeUs - now);
    // Dormant without calls or watches on it (gRPC PermitWithoutStream false): look again later.
    if (!this.activeOn(ep)) return rearm(keepaliveTimeUs);
    this.counts.pings++;
    l.pingSentUs = now;
    this.conns.get(ep)?.send({ kind: 'ping', seq: l.seq++ });
    rearm(keepaliveTimeoutUs);
  }

  private activeOn(ep: HostId): boolean {
    for (const c of this.calls.values()) if (c.inflight?.endpoint === ep) return true;
    return this.watches.hasWatchesOn(ep);
  }

  /** The ping went unanswered: close the connection, fail what was in flight on it, dial again. */
  private connectionDead(ep: HostId, l: Liveness): void {
    this.counts.deadConnections++;
    const watches = this.watches.hasWatchesOn(ep);
    // First the attempts, with the keepalive's error (retries are armed, not run, here) …
    const inflight = this.failInflight(ep, KEEPALIVE_FAILED);
    this.ctx.emit('client.conn-dead', { to: ep, inflight, watches });
    // … then the connection: closing it moves its watches (onConnState 'closed'); dial afresh.
    (this.conns.get(ep) as Stream<Wire>).close();
    this.dial(ep);
    l.pingSentUs = -1;
    l.lastHeardUs = this.ctx.localNow();
    l.timer = this.ctx.setTimer(this.options.keepaliveTimeUs, () => this.keepaliveCheck(ep, l));
  }

  // ---- outcomes -------------------------------------------------------------------------------

  private finishOk(c: Call, header: ResponseHeader, response: unknown, member: HostId): void {
    this.counts.ok++;
    this.close(c);
    if (c.op !== undefined) (this.env.history as HistoryRecorder).complete(c.op, 'ok', historyOutput(header, response), this.ctx.simNow(), `member=${member} attempts=${c.attempts}`);
    this.ctx.emit('client.done', { call: c.id, method: c.method, status: 'ok', code: '', attempts: c.attempts });
    c.done?.({ status: 'ok', header, response: response as never, member, attempts: c.attempts });
  }

  private finishFailed(c: Call, e: KvError): void {
    if (c.finished) return;
    const status = failureStatus(e.code, c.sent, c.method, c.ambiguous);
    const member = c.inflight?.endpoint ?? null;
    this.counts[status]++;
    this.close(c);
    if (c.op !== undefined) (this.env.history as HistoryRecorder).complete(c.op, status, status === 'fail' ? historyError(e) : undefined, this.ctx.simNow(), `${e.code}: ${e.message} attempts=${c.attempts}`);
    this.ctx.emit('client.done', { call: c.id, method: c.method, status, code: e.code, attempts: c.attempts });
    c.done?.({ status, error: e, member, attempts: c.attempts });
  }

  private close(c: Call): void {
    assert(!c.finished, () => `kv client: call ${c.id} finished twice`);
    c.finished = true;
    this.ctx.clearTimer(c.deadline);
    if (c.retryTimer >= 0) this.ctx.clearTimer(c.retryTimer);
    if (c.inflight !== null) this.byWire.delete(c.inflight.wireId);
    this.calls.delete(c.id);
    const at = this.parked.indexOf(c);
    if (at >= 0) this.parked.splice(at, 1);
  }
}
