/**
 * The simulated cluster a scenario runs on: one kernel (scheduler, trace, one root random), the
 * hosts, a network and channels carrying kv `Wire` messages, a disk per host, member hosts
 * 1..size (+ spares, down until added) each running a kv member on a real raft node
 * (raft/node), workload client hosts from 100 (the pinned ones after them) and watcher hosts
 * from 200 (kv/workload) — all recording into one history and one watch log.
 *
 * Randomness comes from the root stream by name only: `clock/<id>` (skew and drift), the hosts'
 * own streams (sim/host), `net/…`, `disk/…`, `chan/…` (the kernel's), `nemesis` and the
 * workload's streams — so adding a stream never shifts another's draws.
 *
 * The cluster also implements the nemesis's `ClusterControl` (crash, restart, pause, armed crash
 * points, leader transfer, membership) and exposes what the online checks observe.
 */
import { assert } from '../sim/assert.js';
import type { Channels } from '../sim/channels.js';
import type { Disk, Disks } from '../sim/disk.js';
import { HistoryRecorder } from '../sim/history.js';
import type { ClockSettings, HostContext, HostId, HostRegistry, HostState, Kernel } from '../sim/host.js';
import { createWorld } from '../sim/kernel.js';
import type { Network } from '../sim/network.js';
import type { Scheduler } from '../sim/scheduler.js';
import { ms as msToUs } from '../sim/time.js';
import type { Trace } from '../sim/trace.js';
import type { NodeObserver, StateMachine } from '../raft/node/api.js';
import type { CrashPoint } from '../raft/node/crash-points.js';
import { createRaftNode, type RaftNode } from '../raft/node/node.js';
import type { ConfState, Entry, LogIndex, NodeId, Role, Term } from '../raft/core/types.js';
import { WatchLog } from '../kv/client/watch-client.js';
import { resolveWorkloadOptions, watcherFactory, workloadClientFactory, type Watcher, type WorkloadClient, type WorkloadOptions } from '../kv/workload/workload.js';
import { memberFactory, type Member } from '../kv/member.js';
import { lockClientFactory, LockLog, type LockClient } from '../kv/workload/lock-load.js';
import { wrapRaft, type KvCall, type Wire } from '../kv/wire.js';
import { peerURL } from '../kv/server/membership.js';
import { bugsForLayers, type LayerBugs } from './bugs.js';
import type { ClusterControl } from './nemesis.js';
import { pinnedMix, toLatencyModel, type PinnedClientOptions, type Scenario } from './schema.js';

/** Applied writes each member keeps (kv/server): the runner reads only the newest (scenarios/runner.ts). */
const APPLIED_WRITES_KEPT = 1_024;

export const FIRST_CLIENT_ID = 100;
/** Lock clients (`workload.locks`) run on hosts 300, 301, …. */
export const FIRST_LOCK_CLIENT_ID = 300;
export const FIRST_WATCHER_ID = 200;

export type Program = Member | WorkloadClient | Watcher | LockClient;

/** Hooks the runner's online checks hang on the members' raft nodes. */
export interface ClusterHooks {
  /** A member is about to apply a committed normal entry (any incarnation), in log order. */
  onApplyEntry?(id: HostId, entry: Entry): void;
  /** The member's state machine applied it (its applied writes now include it). */
  onAppliedEntry?(id: HostId, entry: Entry): void;
  /** A member's state machine was replaced by a snapshot's image at `index`. */
  onRestore?(id: HostId, index: LogIndex, term: Term): void;
  /** A member started (incarnation 1) or restarted: its volatile state is new. */
  onBoot?(id: HostId, incarnation: number): void;
  /** A member's raft role, term or leader changed (the node's soft state). */
  onRole?(id: HostId, role: Role, term: Term, lead: NodeId): void;
}

export interface SimCluster extends ClusterControl {
  readonly kernel: Kernel;
  readonly scheduler: Scheduler;
  readonly trace: Trace;
  readonly hosts: HostRegistry<Program>;
  readonly network: Network<Wire>;
  readonly channels: Channels<Wire>;
  readonly disks: Disks;
  readonly history: HistoryRecorder;
  readonly watchLog: WatchLog;
  /** The initial members, 1..size. */
  readonly initialMembers: readonly HostId[];
  /** Client hosts, the workload's then the pinned ones: history client k (`Operation.client`) runs on `clientIds[k]`. */
  readonly clientIds: readonly HostId[];
  readonly watcherIds: readonly HostId[];
  /** Lock client hosts (history processes after the clients' and the watchers'). */
  readonly lockClientIds: readonly HostId[];
  /** What the lock clients saw: acquisitions and accepted resource writes. */
  readonly lockLog: LockLog;
  /** The member program on `id` while it is up or paused. */
  member(id: HostId): Member | undefined;
  /** The raft node of the member on `id` while it is up or paused. */
  raftNode(id: HostId): RaftNode | undefined;
  /** Starts the initial members, the workload clients and the watchers. */
  start(): void;
  /** The workload clients stop issuing operations (those in flight finish or time out). */
  stopWorkload(): void;
  /** Watchers cancel their watches. */
  stopWatchers(): void;
}

export interface ClusterOptions {
  readonly scenario: Scenario;
  /** The run's kernel (sim/kernel.ts `createKernel`): its random is the run's root stream. */
  readonly kernel: Kernel;
  readonly hooks?: ClusterHooks;
}

export function createCluster(o: ClusterOptions): SimCluster {
  return new Cluster(o);
}

class Cluster implements SimCluster {
  readonly kernel: Kernel;
  readonly hosts: HostRegistry<Program>;
  readonly network: Network<Wire>;
  readonly channels: Channels<Wire>;
  readonly disks: Disks;
  readonly history = new HistoryRecorder();
  readonly watchLog = new WatchLog();
  readonly initialMembers: readonly HostId[];
  readonly clientIds: readonly HostId[];
  readonly watcherIds: readonly HostId[];
  readonly lockClientIds: readonly HostId[];
  readonly lockLog = new LockLog();
  private readonly workload: WorkloadOptions;
  private readonly spares: readonly HostId[];
  private readonly nodes = new Map<HostId, RaftNode>();
  private readonly armed = new Map<HostId, { readonly point: string; readonly onCrash: () => void }>();
  /** The newest configuration any member applied (by applied index): who the members are. */
  private conf: { index: number; voters: readonly HostId[] };
  private readonly s: Scenario;
  /** The scenario's bug switches, split by the layer that holds each (scenarios/bugs.ts). */
  private readonly bugs: LayerBugs;

  constructor(private readonly o: ClusterOptions) {
    this.s = o.scenario;
    this.bugs = bugsForLayers(this.s.bugs ?? []);
    this.kernel = o.kernel;
    const c = this.s.cluster;
    this.initialMembers = Array.from({ length: c.size }, (_, i) => i + 1);
    this.spares = Array.from({ length: c.spares }, (_, i) => c.size + i + 1);
    const w = this.s.workload;
    // Workload clients, then the pinned ones (`workload.pinned`): history client k runs on host 100 + k.
    this.clientIds = Array.from({ length: w.clients + w.pinned.length }, (_, i) => FIRST_CLIENT_ID + i);
    this.watcherIds = Array.from({ length: w.watchers }, (_, i) => FIRST_WATCHER_ID + i);
    this.lockClientIds = Array.from({ length: w.locks.clients }, (_, i) => FIRST_LOCK_CLIENT_ID + i);
    this.workload = resolveWorkloadOptions({
      clients: w.clients,
      keys: w.keys,
      distribution: w.distribution,
      zipfExponent: w.zipfExponent,
      mix: w.mix,
      ratePerS: w.ratePerS,
      serializableReadRatio: w.serializableReadRatio,
      txnPastRangeShare: w.txnPastRangeShare ?? 0,
      watchers: w.watchers,
      requestTimeoutUs: msToUs(w.requestTimeoutMs),
      durationUs: msToUs(this.s.durationMs),
      watchHoldUs: msToUs(w.watchHoldMs),
      compactEveryUs: msToUs(w.compactEveryMs),
      compactKeepRevisions: w.compactKeepRevisions,
      leases: { ...w.leases, keepAliveEveryUs: msToUs(w.leases.keepAliveEveryMs) },
    });
    this.conf = { index: 0, voters: this.initialMembers };
    const members = new Set([...this.initialMembers, ...this.spares]);
    const n = this.s.network;
    const d = this.s.disk;
    const world = createWorld<Program, Wire>(this.kernel, {
      hosts: [...members, ...this.clientIds, ...this.watcherIds, ...this.lockClientIds],
      // Members (and spares) get their clock's skew and drift; clients and watchers keep true time.
      hostOptions: (id) => (members.has(id) ? { clock: this.drawClock(id) } : {}),
      network: { delay: toLatencyModel(n.delay), lossRatio: n.lossRatio, duplicateRatio: n.duplicateRatio },
      disks: {
        ...(d.capacityBytes === null ? {} : { capacityBytes: d.capacityBytes }),
        latency: { read: toLatencyModel(d.latency.read), write: toLatencyModel(d.latency.write), fsync: toLatencyModel(d.latency.fsync), meta: toLatencyModel(d.latency.meta) },
        faults: d.faults,
        ...(d.sectorBytes === undefined ? {} : { sectorBytes: d.sectorBytes }),
      },
    });
    this.hosts = world.hosts;
    this.network = world.network;
    this.channels = world.channels;
    this.disks = world.disks;
  }

  get scheduler(): Scheduler {
    return this.kernel.scheduler;
  }

  get trace(): Trace {
    return this.kernel.trace;
  }

  start(): void {
    for (const id of this.initialMembers) this.hosts.start(id, this.memberFactoryFor(true, this.initialMembers));
    const env = { network: this.network, channels: this.channels, history: this.history, watchLog: this.watchLog };
    const endpoints = this.hostIds();
    // Streams `client/c<k>` per workload client (kv/workload forks `ops` and `timing` below them).
    const load = this.s.workload;
    for (const [k, id] of this.clientIds.slice(0, load.clients).entries()) this.hosts.start(id, workloadClientFactory(env, endpoints, this.workload, k, this.kernel.random.fork(`client/c${k}`)));
    // Streams `client/p<i>` per pinned client: adding one never shifts the others' draws.
    for (const [i, p] of load.pinned.entries()) {
      const k = load.clients + i;
      this.hosts.start(this.clientIds[k] as HostId, workloadClientFactory(env, p.endpoints, this.pinnedOptions(p), k, this.kernel.random.fork(`client/p${i}`)));
    }
    const spread = load.watchersSpread === true;
    for (const [w, id] of this.watcherIds.entries()) {
      const mine = spread ? [...endpoints.slice((w + 1) % endpoints.length), ...endpoints.slice(0, (w + 1) % endpoints.length)] : endpoints;
      this.hosts.start(id, watcherFactory(env, mine, this.workload, this.clientIds.length + w));
    }
    // Streams `client/l<i>` per lock client; history processes after the clients' and the watchers'.
    const locks = load.locks;
    const lockOptions = { clients: locks.clients, ttlS: locks.ttlS, holdUs: msToUs(locks.holdMs), thinkUs: msToUs(locks.thinkMs), fenced: locks.fenced };
    for (const [i, id] of this.lockClientIds.entries()) {
      const process = this.clientIds.length + this.watcherIds.length + i;
      this.hosts.start(id, lockClientFactory(env, endpoints, lockOptions, process, this.lockLog, this.kernel.random.fork(`client/l${i}`), msToUs(load.requestTimeoutMs)));
    }
  }

  /** A pinned client's workload: one process, its own mix, window and pace, no compaction. */
  private pinnedOptions(p: PinnedClientOptions): WorkloadOptions {
    return resolveWorkloadOptions({
      ...this.workload,
      clients: 1,
      mix: pinnedMix(p, this.s.workload.mix),
      watchers: 0,
      requestTimeoutUs: msToUs(p.requestTimeoutMs ?? this.s.workload.requestTimeoutMs),
      startUs: msToUs(p.startMs ?? 0),
      durationUs: msToUs(p.endMs ?? this.s.durationMs),
      thinkUsMean: msToUs(p.thinkMs ?? 0),
      compactEveryUs: 0,
    });
  }

  stopWorkload(): void {
    for (const id of this.clientIds) (this.program(id) as WorkloadClient | undefined)?.stop();
    for (const id of this.lockClientIds) (this.program(id) as LockClient | undefined)?.stop();
  }

  stopWatchers(): void {
    for (const id of this.watcherIds) (this.program(id) as Watcher | undefined)?.stop();
  }

  private program(id: HostId): Program | undefined {
    return this.hosts.isUp(id) ? this.hosts.program(id) : undefined;
  }

  /** Skew within ±skewMsMax and drift within 1 ± driftMax, from the host's own `clock/<id>` stream. */
  private drawClock(id: HostId): ClockSettings {
    const r = this.kernel.random.fork(`clock/${id}`);
    const { skewMsMax, driftMax } = this.s.clocks;
    const offsetUs = skewMsMax > 0 ? r.int(-msToUs(skewMsMax), msToUs(skewMsMax)) : 0;
    const rate = driftMax > 0 ? 1 + (r.float() * 2 - 1) * driftMax : 1;
    return { rate, offsetUs };
  }

  private memberFactoryFor(bootstrap: boolean, peers: readonly HostId[]) {
    const c = this.s.cluster;
    const electionTimeoutUs = Math.round(msToUs(c.tickMs) * c.electionTick);
    return memberFactory(
      { network: this.network, channels: this.channels },
      {
        server: {
          readMode: this.s.readMode,
          electionTimeoutUs,
          readIndexReuseIdOnRetry: this.bugs.readIndexReuseIdOnRetry(this.s.server.readIndexReuseIdOnRetry),
          leaseRevokeIgnoresOldLeader: this.bugs.leaseRevokeIgnoresOldLeader(this.s.server.leaseRevokeIgnoresOldLeader ?? true),
          ...(this.s.server.strictReconfigCheck === undefined ? {} : { strictReconfigCheck: this.s.server.strictReconfigCheck }),
          ...(this.s.server.leaseCheckpoint === undefined ? {} : { leaseCheckpoint: this.s.server.leaseCheckpoint }),
          ...(this.s.server.leaseCheckpointIntervalMs === undefined ? {} : { leaseCheckpointIntervalUs: msToUs(this.s.server.leaseCheckpointIntervalMs) }),
          ...(this.s.server.priorityRequest === undefined ? {} : { priorityRequest: this.s.server.priorityRequest }),
          ...(this.s.server.maxLearners === undefined ? {} : { maxLearners: this.s.server.maxLearners }),
          ...(this.s.server.healthIntervalMs === undefined ? {} : { healthIntervalUs: msToUs(this.s.server.healthIntervalMs) }),
          bugs: this.bugs.kv,
          // The runner's hooks take each applied write as it is applied (AppliedLog, the lease
          // expiries): the members need not keep a long run's every write again.
          appliedWritesMax: APPLIED_WRITES_KEPT,
          ...(this.s.server.backend === true ? { backend: true } : {}),
        },
        node: (ctx, sm, observer) => this.buildNode(ctx, sm, observer, bootstrap, peers),
        storage: (ctx) => ({
          disk: this.disks.of(ctx.id),
          crashPoint: (name) => this.crashPointReached(ctx.id, name),
          crash: () => this.hosts.crash(ctx.id),
        }),
      },
    );
  }

  private buildNode(ctx: HostContext, sm: StateMachine, observer: NodeObserver, bootstrap: boolean, peers: readonly HostId[]): RaftNode {
    const c = this.s.cluster;
    const id = ctx.id;
    this.o.hooks?.onBoot?.(id, ctx.incarnation);
    const node = createRaftNode<Wire>({
      ctx,
      disk: this.disks.of(id),
      channels: this.channels,
      wrap: wrapRaft,
      peers: peers as NodeId[],
      stateMachine: this.watchStateMachine(id, sm),
      crash: () => this.hosts.crash(id),
      bootstrap,
      raft: {
        electionTick: c.electionTick,
        heartbeatTick: c.heartbeatTick,
        preVote: c.preVote,
        checkQuorum: c.checkQuorum,
        readOnly: this.s.readMode === 'lease' ? 'lease-based' : 'safe',
        maxInflightMsgs: c.maxInflightMsgs,
        singletonReadIndexActuallyCommitted: this.bugs.singletonReadIndexActuallyCommitted(c.singletonReadIndexActuallyCommitted),
        stepDownOnRemoval: this.bugs.stepDownOnRemoval(c.stepDownOnRemoval ?? true),
        bugs: this.bugs.raftCore,
      },
      bugs: this.bugs.raftNode,
      tickUs: Math.round(msToUs(c.tickMs)),
      snapshotCount: c.snapshotCount,
      catchUpEntries: c.snapshotCatchUpEntries,
      walSegmentBytes: c.walSegmentBytes,
      unsafeNoFsync: c.unsafeNoFsync,
      observer: this.watchObserver(id, observer),
      crashPoint: (name: CrashPoint) => this.crashPointReached(id, name),
    });
    this.nodes.set(id, node);
    return node;
  }

  /** The state machine as the node sees it, with the runner's apply hooks in between. */
  private watchStateMachine(id: HostId, sm: StateMachine): StateMachine {
    const hooks = this.o.hooks;
    return {
      applyEntry: (e) => {
        hooks?.onApplyEntry?.(id, e);
        sm.applyEntry(e);
        hooks?.onAppliedEntry?.(id, e);
      },
      ...(sm.applyEmpty === undefined ? {} : { applyEmpty: (e: Entry) => (sm.applyEmpty as NonNullable<StateMachine['applyEmpty']>)(e) }),
      snapshot: () => sm.snapshot(),
      restore: (data, index, term, confState) => {
        hooks?.onRestore?.(id, index, term);
        sm.restore(data, index, term, confState);
      },
      applyConfChange: (e, cc) => sm.applyConfChange?.(e, cc) ?? true,
      ...(sm.recover === undefined ? {} : { recover: () => (sm.recover as NonNullable<StateMachine['recover']>)() }),
      ...(sm.restoreUnstored === undefined ? {} : { restoreUnstored: (data: Uint8Array, index: LogIndex, confState?: ConfState) => (sm.restoreUnstored as NonNullable<StateMachine['restoreUnstored']>)(data, index, confState) }),
    };
  }

  /** Keeps the newest applied configuration (who the members are), then tells the server. */
  private watchObserver(id: HostId, observer: NodeObserver): NodeObserver {
    const hooks = this.o.hooks;
    // Every method delegated by name (not spread: the observer may be a class instance).
    return {
      onReadState: (rs) => observer.onReadState?.(rs),
      onApplied: (index) => observer.onApplied?.(index),
      onStopped: (reason) => observer.onStopped?.(reason),
      onSoftState: (lead, role, term) => {
        hooks?.onRole?.(id, role, term, lead);
        observer.onSoftState?.(lead, role, term);
      },
      onConfChange: (cs: ConfState, change) => {
        const index = this.nodes.get(id)?.status().applied ?? 0;
        if (index >= this.conf.index) this.conf = { index, voters: [...cs.voters].sort((a, b) => a - b) };
        observer.onConfChange?.(cs, change);
      },
    };
  }

  private crashPointReached(id: HostId, name: string): boolean {
    const a = this.armed.get(id);
    if (a === undefined || a.point !== name) return false;
    this.armed.delete(id);
    // The node crashes the host right after this returns; the nemesis hears of it in the next event.
    this.scheduler.schedule(0, a.onCrash);
    return true;
  }

  // ---- ClusterControl ----------------------------------------------------------------------

  members(): readonly HostId[] {
    return this.conf.voters;
  }

  hostIds(): readonly HostId[] {
    return [...this.initialMembers, ...this.spares];
  }

  clientHosts(): readonly HostId[] {
    return [...this.clientIds, ...this.watcherIds, ...this.lockClientIds];
  }

  lockHolder(): HostId | null {
    return this.lockClientIds.find((id) => this.hosts.state(id) !== 'down' && (this.program(id) as LockClient | undefined)?.holding() === true) ?? null;
  }

  leader(): HostId | null {
    let best: HostId | null = null;
    let bestTerm = -1;
    for (const id of this.hostIds()) {
      // A paused leader is still the leader: it believes so, and nobody has replaced it yet.
      if (this.hosts.state(id) === 'down') continue;
      const st = this.nodes.get(id)?.status();
      if (st === undefined || st.stopped !== null || st.role !== 'leader') continue;
      if (st.term > bestTerm) {
        best = id;
        bestTerm = st.term;
      }
    }
    return best;
  }

  state(id: HostId): HostState {
    return this.hosts.state(id);
  }

  crash(id: HostId): void {
    this.hosts.crash(id);
  }

  restart(id: HostId): void {
    assert(this.hosts.incarnation(id) > 0, () => `cluster: restart of ${id}, which never started`);
    this.hosts.restart(id);
  }

  pause(id: HostId): void {
    this.hosts.pause(id);
  }

  resume(id: HostId): void {
    this.hosts.resume(id);
  }

  stopped(id: HostId): boolean {
    if (!this.hosts.isUp(id)) return false;
    return (this.nodes.get(id)?.status().stopped ?? null) !== null;
  }

  armCrashPoint(id: HostId, point: string, onCrash: () => void): void {
    this.armed.set(id, { point, onCrash });
  }

  disarmCrashPoints(): void {
    this.armed.clear();
  }

  transferLeader(to: HostId): void {
    const lead = this.leader();
    if (lead !== null) this.nodes.get(lead)?.transferLeadership(to as NodeId);
  }

  /**
   * etcdctl `member add` against the leader (the Cluster API, with etcd's checks); once it answers,
   * the new host starts empty with --initial-cluster-state existing and catches up from the leader
   * (by snapshot when the log it needs is compacted). A refused add starts nothing; a host that ran
   * before (a removed member) is not started again (etcd refuses its id anyway: ErrIDRemoved).
   */
  addMember(id: HostId, learner = false): void {
    const lead = this.leader();
    if (lead === null) return;
    this.clusterCall(lead, { method: 'member-add', request: { peerURLs: [peerURL(id)], isLearner: learner } }, () => {
      if (this.hosts.incarnation(id) > 0) return;
      this.hosts.start(id, this.memberFactoryFor(false, [...new Set([...this.members(), id])]));
    });
  }

  /** etcdctl `member remove` against the leader. */
  removeMember(id: HostId): void {
    const lead = this.leader();
    if (lead !== null) this.clusterCall(lead, { method: 'member-remove', request: { id } });
  }

  /** etcdctl `member promote` against the leader (refused until the learner has caught up). */
  promoteMember(id: HostId): void {
    const lead = this.leader();
    if (lead !== null) this.clusterCall(lead, { method: 'member-promote', request: { id } });
  }

  /** A Cluster API call made on the member `to` itself (an etcdctl on its machine); `onOk` when it succeeded. */
  private clusterCall(to: HostId, call: KvCall, onOk?: () => void): void {
    const m = this.member(to);
    if (m === undefined) return;
    m.server.call(call, (r) => {
      if (r.ok) onOk?.();
    });
  }

  clock(id: HostId): ClockSettings {
    return this.hosts.clock(id);
  }

  setClockRate(id: HostId, rate: number): void {
    this.hosts.setClock(id, { rate });
  }

  jumpClock(id: HostId, deltaUs: number): void {
    this.hosts.jumpClock(id, deltaUs);
  }

  disk(id: HostId): Disk {
    return this.disks.of(id);
  }

  // ---- inspection --------------------------------------------------------------------------

  member(id: HostId): Member | undefined {
    const p = this.program(id);
    return p !== undefined && 'server' in p ? p : undefined;
  }

  raftNode(id: HostId): RaftNode | undefined {
    return this.hosts.isUp(id) ? this.nodes.get(id) : undefined;
  }
}
