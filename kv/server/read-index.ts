/**
 * etcd's linearizable read loop (server/etcdserver/v3_server.go linearizableReadLoop,
 * requestCurrentIndex): reads that arrive while a round is in progress wait for the next round,
 * so one ReadIndex serves a whole batch. A round:
 *
 *   1. on the next turn of the host's loop (so that reads arriving at one instant share a round, as
 *      etcd's loop picks up every read queued before it wakes), takes the waiting batch and sends
 *      ReadIndex with a fresh 8-byte request id as context — unique in the cluster, as etcd's
 *      reqIDGen puts the member id in the top bits (two members' rounds never share a context);
 *   2. every `readIndexRetryUs` without an answer, sends again with a **new** id (etcd PR #21399,
 *      the fix of #20418). With `reuseIdOnRetry` (etcd before that PR) it re-sends the *same* id:
 *      a leader that already answered that id adds it again, and heartbeat acknowledgements of its
 *      first round that are still on their way count for the new one — a deposed leader can then
 *      release, at its stale commit index, every read queued before it (kv/etcd-20418.test.ts);
 *   3. a ReadState whose context is not the current id is ignored (it answers an abandoned round);
 *   4. a leader change fails the batch with LeaderChanged; no answer within the request timeout
 *      fails it with Timeout; a stopped node with Stopped;
 *   5. the answer's index is the read index: the loop waits until the member applied it (it
 *      starts no other round meanwhile, as etcd's loop), then serves the batch locally.
 *
 * A ReadIndex the raft node drops (no leader known) is not an error here, as in etcd (raft drops
 * it silently): the retry timer sends it again, and the request timeout ends the wait.
 *
 * The same loop serves the `lease` read mode: the member's raft then answers ReadIndex from its
 * leader lease without a heartbeat round, which is the whole difference.
 */
import type { KvError } from '../api.js';
import { assert } from '../../sim/assert.js';
import type { HostContext, TimerId } from '../../sim/host.js';
import { kvError } from '../mvcc/errors.js';
import type { RaftNodeHandle } from '../../raft/node/api.js';
import type { ReadState } from '../../raft/core/types.js';
import type { ApplyWait } from './apply-wait.js';

export interface ReadWaiter {
  readonly serve: () => void;
  readonly fail: (e: KvError) => void;
}

export interface ReadIndexLoopOptions {
  readonly readIndexRetryUs: number;
  readonly requestTimeoutUs: number;
  readonly maxPendingRequests: number;
  /** Re-send a round's ReadIndex with the id it was first sent with (etcd before PR #21399). Default false. */
  readonly readIndexReuseIdOnRetry?: boolean;
}

export interface ReadIndexStats {
  readonly rounds: number;
  readonly sends: number;
  readonly retries: number;
  /** ReadStates that answered an abandoned round (a retried or failed one) and were ignored. */
  readonly staleReadStates: number;
  readonly leaderChanged: number;
  readonly timeouts: number;
}

interface Round {
  readonly batch: readonly ReadWaiter[];
  ctx: Uint8Array;
  id: number;
  retryTimer: TimerId;
  readonly errorTimer: TimerId;
}

const ID_SEQ_SPAN = 2 ** 32;
/** Read ids: member (16 bits) · incarnation (12 bits, wrapping) · sequence (25 bits) — 53 bits, a safe integer. */
const ID_MEMBER_UNIT = 2 ** 37;
const ID_INCARNATION_UNIT = 2 ** 25;
const ID_INCARNATIONS = 2 ** 12;

/** The read id `seq` of `member`'s incarnation `incarnation`: unique in a cluster (etcd's reqIDGen has the member id on top). */
export function readId(member: number, incarnation: number, seq: number): number {
  assert(Number.isInteger(member) && member >= 0 && member < 2 ** 16, () => `read index: member id ${member} does not fit 16 bits`);
  assert(Number.isInteger(seq) && seq >= 0 && seq < ID_INCARNATION_UNIT, () => `read index: id sequence ${seq} exhausted`);
  // Incarnations wrap: ids 4096 restarts apart may repeat, long after any answer to the older one.
  return member * ID_MEMBER_UNIT + (incarnation % ID_INCARNATIONS) * ID_INCARNATION_UNIT + seq;
}

/** The 8-byte big-endian context of a read id (etcd uint64ToBigEndianBytes). */
export function readIdContext(id: number): Uint8Array {
  assert(Number.isSafeInteger(id) && id >= 0, () => `read index: bad id ${id}`);
  // Byte by byte rather than through a DataView, whose creation cost more than the rest of a round's send.
  const out = new Uint8Array(8);
  putUint32(out, 0, Math.floor(id / ID_SEQ_SPAN));
  putUint32(out, 4, id % ID_SEQ_SPAN);
  return out;
}

export function readIdFromContext(ctx: Uint8Array): number | undefined {
  if (ctx.length !== 8) return undefined;
  return getUint32(ctx, 0) * ID_SEQ_SPAN + getUint32(ctx, 4);
}

/** Big-endian, as DataView's setUint32: `v` is an integer in [0, 2^32). */
function putUint32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

function getUint32(b: Uint8Array, at: number): number {
  return ((b[at] as number) * 0x100_0000) + (((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number));
}

export class ReadIndexLoop {
  private queued: ReadWaiter[] = [];
  private round: Round | null = null;
  /** A round got its index and waits for the apply: no new round starts meanwhile. */
  private applying = false;
  private seq = 0;
  private stopped = false;
  private counts = { rounds: 0, sends: 0, retries: 0, staleReadStates: 0, leaderChanged: 0, timeouts: 0 };
  private readonly retry = (): void => this.onRetry();
  private readonly timeout = (): void => this.onTimeout();
  private readonly start = (): void => this.startRound();
  private startArmed = false;

  constructor(
    private readonly ctx: HostContext,
    private readonly node: () => RaftNodeHandle,
    private readonly applyWait: ApplyWait,
    private readonly options: ReadIndexLoopOptions,
  ) {}

  /** Queues a read; false (nothing queued) when too many wait. */
  enqueue(w: ReadWaiter): boolean {
    if (this.stopped) {
      w.fail(kvError('Stopped', 'etcdserver: server stopped'));
      return true;
    }
    if (this.queued.length >= this.options.maxPendingRequests) return false;
    this.queued.push(w);
    this.kick();
    return true;
  }

  /** A ReadState from the node: the current round's answer, or a stale one to ignore. */
  onReadState(rs: ReadState): void {
    const r = this.round;
    const id = readIdFromContext(rs.requestCtx);
    if (r === null || id !== r.id) {
      this.counts.staleReadStates++;
      this.ctx.emit('kv.readindex.stale', { id: id ?? -1, index: rs.index });
      return;
    }
    this.endRound(r);
    this.applying = true;
    this.ctx.emit('kv.readindex.done', { id, index: rs.index, batch: r.batch.length });
    const queued = this.applyWait.wait(rs.index, () => this.served(r.batch), () => this.failBatch(r.batch, kvError('Stopped', 'etcdserver: server stopped')));
    // The apply wait is bounded by the same pending bound; a full one fails the batch definitely.
    if (!queued) {
      this.applying = false;
      this.failBatch(r.batch, kvError('TooManyRequests', 'etcdserver: too many requests'));
      this.kick();
    }
  }

  /** The leader changed: the round in flight cannot be trusted to complete (etcd ErrLeaderChanged). */
  onLeaderChange(): void {
    const r = this.round;
    if (r === null) return;
    this.endRound(r);
    this.counts.leaderChanged++;
    this.failBatch(r.batch, kvError('LeaderChanged', 'etcdserver: leader changed'));
    this.kick();
  }

  /** The node stopped: everything fails with Stopped, now and later. */
  stop(): void {
    this.stopped = true;
    const err = kvError('Stopped', 'etcdserver: server stopped');
    if (this.round !== null) {
      const r = this.round;
      this.endRound(r);
      this.failBatch(r.batch, err);
    }
    const q = this.queued;
    this.queued = [];
    this.failBatch(q, err);
  }

  stats(): ReadIndexStats {
    return { ...this.counts };
  }

  /** Reads waiting for a round, in a round, or in the apply wait's batch. */
  get pending(): number {
    return this.queued.length + (this.round?.batch.length ?? 0);
  }

  /** Starts a round on the next turn of the loop, so reads arriving at the same instant share it. */
  private kick(): void {
    if (this.round !== null || this.applying || this.stopped || this.queued.length === 0 || this.startArmed) return;
    this.startArmed = true;
    this.ctx.setTimer(0, this.start);
  }

  private startRound(): void {
    this.startArmed = false;
    if (this.round !== null || this.applying || this.stopped || this.queued.length === 0) return;
    const batch = this.queued;
    this.queued = [];
    this.counts.rounds++;
    const r: Round = { batch, ctx: new Uint8Array(0), id: -1, retryTimer: -1, errorTimer: this.ctx.setTimer(this.options.requestTimeoutUs, this.timeout) };
    this.round = r;
    this.send(r);
  }

  private send(r: Round): void {
    if (r.id < 0 || this.options.readIndexReuseIdOnRetry !== true) {
      r.id = readId(this.ctx.id, this.ctx.incarnation, this.seq++);
      r.ctx = readIdContext(r.id);
    }
    this.counts.sends++;
    r.retryTimer = this.ctx.setTimer(this.options.readIndexRetryUs, this.retry);
    this.ctx.emit('kv.readindex', { id: r.id, batch: r.batch.length });
    const res = this.node().readIndex(r.ctx);
    if (!res.ok && res.error === 'Stopped') this.stop();
  }

  private onRetry(): void {
    const r = this.round;
    assert(r !== null, 'read index: retry timer without a round');
    this.counts.retries++;
    this.send(r);
  }

  private onTimeout(): void {
    const r = this.round;
    assert(r !== null, 'read index: error timer without a round');
    this.endRound(r, false);
    this.counts.timeouts++;
    this.failBatch(r.batch, kvError('Timeout', 'etcdserver: request timed out'));
    this.kick();
  }

  private endRound(r: Round, clearError = true): void {
    assert(this.round === r, 'read index: ending a round that is not current');
    this.ctx.clearTimer(r.retryTimer);
    if (clearError) this.ctx.clearTimer(r.errorTimer);
    this.round = null;
  }

  private served(batch: readonly ReadWaiter[]): void {
    this.applying = false;
    for (const w of batch) w.serve();
    this.kick();
  }

  private failBatch(batch: readonly ReadWaiter[], e: KvError): void {
    for (const w of batch) w.fail(e);
  }
}
