/**
 * raftsim's side of the conformance harness: one fresh member — the same kv server (validation,
 * apply, reads, leases, watch hub) that every simulated cluster runs — on the fake raft node of
 * kv/server (a single voter: proposals commit at once, as on a one-member etcd), driven through the
 * simulated kernel synchronously: each request is sent, then virtual time runs until its answer.
 *
 * Nothing here may throw into the harness: a request that breaks an invariant of the simulation
 * (an assert) ends that member as a crash would — the op answers `crash`, later ops
 * `target-down` — and the run goes on to report it.
 */
import type { KvError, WatchResponse } from '../api.js';
import { createHosts, type HostContext, type Kernel } from '../../sim/host.js';
import { createKernel } from '../../sim/kernel.js';
import { createFakeRaftNode } from '../testing/fake-raft-node.js';
import type { ServerOptions } from '../server/options.js';
import type { ConfChangeV1, Entry, LogIndex, NodeId, Term } from '../../raft/core/types.js';
import { createKvServer, type KvServer } from '../server/server.js';
import { takesWatchSlot, type KvReply } from '../wire.js';
import { collectProgress, collectWatches, normaliseResponse } from './normalise.js';
import { SLOT_BASE, mapRequestLeases, mapRequestMember, mapResponseLeases, type Answer, type Outcome, type SeqOp, type Sequence } from './sequence.js';

/** The simulated member's id (and host id). */
const SIM_MEMBER = 1;
/** The watch client's host id on the simulated member (any id other than the member's). */
const WATCH_CLIENT = 100;
/** Virtual time allowed for one answer: far more than a one-member apply takes. */
const ANSWER_WITHIN_US = 30_000_000;
/** Virtual time after the last op so watchers catch up (etcd's sync loop runs every 100 ms). */
const SETTLE_US = 1_000_000;
/**
 * After a watch from a given revision, time for it to catch up before the next op (both targets
 * wait: etcd's sync loop, on its wall clock, and raftsim's, on virtual time, run every 100 ms), so a
 * later compaction never races the catch-up — a race whose outcome is timing, not behaviour.
 */
export const CATCH_UP_US = 150_000;
/** Lease id sent for a slot whose grant failed on this target (an id no test grants). */
export const MISSING_SLOT_ID = 987_654_321;

export interface SimTargetOptions {
  readonly server?: Partial<ServerOptions>;
}

/** Runs `seq` on a fresh simulated member and returns its normalised answers. */
export function runOnSim(seq: Sequence, options: SimTargetOptions = {}): Outcome {
  const t = new SimTarget(options);
  const answers: Answer[] = [];
  for (const op of seq.ops) {
    if (t.down !== undefined) {
      answers.push(isWatchOp(op) ? null : { ok: false, code: 'target-down' });
      continue;
    }
    answers.push(t.step(op));
  }
  t.settle();
  const responses = t.watchResponses.map((r) => mapResponseLeases(r, (id) => t.fromTarget(id)) as WatchResponse);
  const out: Outcome = { answers, watches: collectWatches(responses), progress: collectProgress(responses) };
  return t.down === undefined ? out : { ...out, targetError: t.down };
}

/** Whether `op` is a message on the watch stream (answered there, not by an RPC answer). */
export function isWatchOp(op: SeqOp): op is Extract<SeqOp, { method: 'watch' | 'watch-cancel' | 'watch-progress' }> {
  return op.method === 'watch' || op.method === 'watch-cancel' || op.method === 'watch-progress';
}

class SimTarget {
  private readonly kernel: Kernel;
  private readonly server: KvServer;
  private readonly slots: number[] = [];
  readonly watchResponses: WatchResponse[] = [];
  private unacked = 0;
  down: string | undefined;

  constructor(options: SimTargetOptions) {
    this.kernel = createKernel({ seed: 1, trace: { mode: 'hash-only' } });
    const hosts = createHosts<{ server: KvServer; ctx: HostContext }>(this.kernel);
    hosts.add(1);
    const p = hosts.start(1, (ctx) => {
      const server = createKvServer(ctx, { memberId: SIM_MEMBER, options: options.server ?? {} });
      const node = createFakeRaftNode(ctx, server.stateMachine, server.observer);
      server.bind(node);
      // The fake raft node has no log to bootstrap from: apply the bootstrap entry a one-member
      // cluster's log starts with (the initial member, no context: named at bootstrap, as
      // etcd's --initial-cluster), so MemberList answers as a fresh single-member etcd does.
      const bootstrap: ConfChangeV1 = { version: 1, type: 'add-node', nodeId: SIM_MEMBER as NodeId, context: new Uint8Array() };
      server.stateMachine.applyConfChange?.({ term: 1 as Term, index: 1 as LogIndex, type: 'conf-change', data: new Uint8Array() } as Entry, bootstrap);
      return { server, ctx };
    });
    this.server = p.server;
  }

  toTarget(id: number): number {
    if (id < SLOT_BASE) return id;
    const got = this.slots[id - SLOT_BASE];
    return got === undefined || Number.isNaN(got) ? MISSING_SLOT_ID : got;
  }

  fromTarget(id: number): number {
    const i = this.slots.indexOf(id);
    return i >= 0 ? SLOT_BASE + i : id;
  }

  step(op: SeqOp): Answer {
    try {
      return this.stepUnsafe(op);
    } catch (e) {
      this.down = `the simulated member failed on op ${JSON.stringify(op).slice(0, 200)}: ${e instanceof Error ? e.message : String(e)}`;
      return isWatchOp(op) ? null : { ok: false, code: 'crash' };
    }
  }

  private stepUnsafe(op: SeqOp): Answer {
    const sent = mapRequestMember(mapRequestLeases(op, (id) => this.toTarget(id)), SIM_MEMBER);
    if (sent.method === 'watch' || sent.method === 'watch-cancel' || sent.method === 'watch-progress') {
      const request = sent.method === 'watch' ? { type: 'create' as const, request: sent.request } : sent.method === 'watch-cancel' ? { type: 'cancel' as const, watchId: sent.watchId } : { type: 'progress' as const };
      this.server.watchRequest(WATCH_CLIENT, 1, request, (r) => this.onWatch(r));
      this.run(sent.method === 'watch' && (sent.request.startRevision ?? 0) > 0 ? CATCH_UP_US : 1_000);
      return null;
    }
    let reply: KvReply | undefined;
    this.server.call(sent, (r) => {
      reply = r;
    });
    const deadline = this.kernel.scheduler.now + ANSWER_WITHIN_US;
    while (reply === undefined && this.kernel.scheduler.now < deadline) this.run(1_000);
    const r: KvReply | undefined = reply;
    // Every server-chosen grant takes a slot, a failed one too (NaN: no id), so slots number the
    // grant ops of the sequence whatever each target answered.
    if (op.method === 'lease-grant' && (op.request.id ?? 0) === 0) this.slots.push(r !== undefined && r.ok ? (r.response as { id: number }).id : Number.NaN);
    if (r === undefined) return { ok: false, code: 'Timeout' };
    if (!r.ok) return { ok: false, code: (r.error as KvError).code };
    return { ok: true, rev: r.header.revision, res: mapResponseLeases(normaliseResponse(sent.method, r.response, String(SIM_MEMBER)), (id) => this.fromTarget(id)) };
  }

  settle(): void {
    if (this.down !== undefined) return;
    try {
      this.run(SETTLE_US);
    } catch (e) {
      this.down = `the simulated member failed while settling: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  private onWatch(r: WatchResponse): boolean {
    this.watchResponses.push(r);
    if (takesWatchSlot(r)) this.unacked++;
    return true;
  }

  /** Runs virtual time in 1 ms steps, acknowledging watch responses after each (a client that keeps up). */
  private run(us: number): void {
    const end = this.kernel.scheduler.now + us;
    while (this.kernel.scheduler.now < end) {
      this.kernel.scheduler.runUntil(Math.min(end, this.kernel.scheduler.now + 1_000));
      if (this.unacked > 0) {
        const count = this.unacked;
        this.unacked = 0;
        this.server.watchRequest(WATCH_CLIENT, 1, { type: 'ack', count }, (r) => this.onWatch(r));
      }
    }
  }
}
