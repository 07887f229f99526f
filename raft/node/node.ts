/**
 * The raft node (etcd's `etcdserver/raft.go` raftNode + the parts of `server.go` that snapshot):
 * a RawNode driven by the host's timers, persisting to a WAL and snapshot files on the host's
 * simulated disk, talking to its peers through the transport, applying committed entries to the
 * application's StateMachine. `createRaftNode` is called from the host's factory; the handle it
 * returns is what the kv member (or the test cluster) talks to.
 *
 * **The Ready loop**, in etcd's order. Ready is taken only when the previous one is finished, and
 * each disk step continues after the latency the disk charged (virtual time), so a slow fsync
 * stalls the loop as it stalls etcd's:
 *
 *   1. soft state → `raft.role`, onSoftState; read states → onReadState
 *   2. leader: send the messages now (before its own write, thesis §10.2.1)   [raftBeforeLeaderSend]
 *   3. snapshot from the leader: snapshot file, then the WAL's snapshot record  [raftBeforeSaveSnap]
 *   4. WAL: entries, then hard state; fsync if mustSync              [raftAfterSaveSnap, raftBeforeSave]
 *      (between that write and its fsync: the WAL's own point)          [walBeforeSync]
 *   5. with a snapshot: fsync again, so the hard state is durable before any release (etcd #10219)
 *                                                                                   [raftAfterSave]
 *   6. with a snapshot: MemoryStorage takes it, old WAL segments are released (up to the previous
 *      snapshot: one snapshot's worth of WAL stays, so an unreadable newest file can fall back)
 *                                                   [raftBeforeApplySnap, raftAfterApplySnap]
 *   7. MemoryStorage appends the entries                                      [raftAfterWALRelease]
 *   8. follower/candidate: send the messages (after persisting; a committed conf change is applied
 *      first, as etcd waits for it); everyone: send the after-append messages (acks, votes)
 *                                                                           [raftBeforeFollowerSend]
 *   9. apply: the snapshot to the state machine, then committed entries (conf changes through
 *      raft and onConfChange); onApplied                          [raftBeforeApply, raftAfterApply]
 *  10. advance — this steps the node's own acknowledgement: a lone node commits only what is
 *      durable (etcd #14370)
 *  11. every `snapshotCount` applied entries: snapshot the state machine, write the file, the WAL
 *      record, release WAL segments (up to the previous snapshot), compact the in-memory log to `catchUpEntries` behind
 *      (skipped while a snapshot is in flight to a peer)
 *                          [snapshotBeforeSave, snapshotAfterSaveFile, snapshotAfterSaveWAL, snapshotAfterWALRelease]
 *
 * Between the steps the node keeps receiving messages and proposals (raft's own goroutine does in
 * etcd). Ticks are not: etcd's ticker is read by the loop that is blocked in the fsync, and a Go
 * ticker keeps at most one pending tick — so a tick that comes due while a Ready is in progress is
 * kept (one at most, the rest are dropped and counted) and taken when it ends. (The disk's
 * latencies are virtual µs, waited on the host's local timer: a drifting clock stretches them by
 * its rate, which the host API leaves no way to avoid.)
 *
 * Node ids are host ids. The node opens a `message` stream and a `pipeline` to every member of
 * its configuration and every peer its WAL was created with (transport.ts).
 *
 * **Crash points** (crash-points.ts): at each bracketed name the `crashPoint` hook is asked; true
 * makes the node emit `node.crash-point`, call `crash()` (the composer's `hosts.crash(id)`) and
 * stop at once. **Disk faults** (EIO, ENOSPC) make it fail-stop, as etcd panics: `node.stopped`,
 * onStopped, connections closed; the host stays up but the node does nothing more.
 *
 * **Trace events** (names and field order are stable; reports draw from them):
 * - `raft.role` {role, term, lead} — every role or leader change (a follower learning its leader
 *   is reported by the next Ready)
 * - `raft.event` {kind, text} — each core RaftEvent, `text` = describeEvent
 * - `raft.send` {type, to, term[, index][, entries][, reject], id} / `raft.recv` {type, from, term, …[, id]}
 *   — index: MsgApp's prev index, MsgAppResp's index, a vote's last index, MsgSnap's snapshot
 *   index; entries: MsgApp's count; reject: on responses; id: the message's id, `<sender>.<incarnation>.<seq>`
 *   (a per-sender sequence number, unique in a run), given to `wrap` so the receiving side can hand it
 *   back to `receive` — a receive without it (a wire that does not carry it) has no `id` field, and
 *   the reports pair it first-in first-out instead (off with `traceMessages: false`)
 * - `raft.drop` {type, to|from, reason} — a message not sent or not stepped
 * - `raft.commit` {commit}; `raft.apply` {applied} — once per Ready that applied something
 * - `raft.snapshot` {index, term, what[, peer]} — what: taken, sent, delivered, failed (to peer),
 *   received (from the leader, in the core), saved (durable here), restored (state machine)
 * - `raft.tick-dropped` {dropped} — ticks lost while a Ready was in progress (one per Ready)
 * - `wal.cut` {seq, firstIndex, name}; `wal.release` {index, segments, firstSeq};
 *   `wal.repair` {name, offset, reason, droppedBytes}; `snap.save`, `snap.broken`, `snap.purge`
 * - `node.start` {bootstrap, peers} — a new member; `node.recovered` {snapshotIndex, lastIndex,
 *   commit, term} — a restart
 * - `node.crash-point` {name}; `node.stopped` {reason}
 */
import { assert, unreachable } from '../../sim/assert.js';
import type { Channels } from '../../sim/channels.js';
import type { Disk } from '../../sim/disk.js';
import type { HostContext, TimerId } from '../../sim/host.js';
import type { Fields } from '../../sim/trace.js';
import { decodeConfChange } from '../core/conf-change-codec.js';
import type { RaftCoreBug, ReadOnlyOption } from '../core/config.js';
import type { RaftEvent } from '../core/events.js';
import { describeEvent } from '../core/events.js';
import type { Message } from '../core/messages.js';
import type { LogView, Ready, SnapshotStatus, Status } from '../core/raw-node.js';
import { RawNode } from '../core/raw-node.js';
import { MemoryStorage } from '../core/storage.js';
import type { ConfChange, ConfState, Entry, LogIndex, NodeId, Role, Snapshot, Term } from '../core/types.js';
import { EMPTY_CONF_STATE, NONE } from '../core/types.js';
import type { NodeObserver, NodeStatus, ProposeResult, RaftNodeHandle, StateMachine } from './api.js';
import type { DiskOutcome } from './disk-ops.js';
import type { CrashPoint } from './crash-points.js';
import { recoverFromDisk } from './recovery.js';
import { Snapshotter } from './snapshotter.js';
import { Transport } from './transport.js';
import type { Wal, WalOptions } from './wal.js';
import { createWal } from './wal.js';
import type { WalMetadata } from './wal-record.js';

/**
 * Known etcd bugs of this layer that a node can switch back on, exactly as etcd had them before the
 * fix (scenarios/bugs.ts has the links and the check that should catch each):
 * - `etcd-14370`: etcd's raft loop hands a Ready's committed entries to the apply loop *before* it
 *   saves the Ready (`r.applyc <- ap` precedes `r.storage.Save` in etcdserver/raft.go) — safe only
 *   while raft never commits what is not durable, which the raft core's `etcd-14370` breaks for a
 *   lone voter. With it the leader applies (and its server acknowledges) before the WAL write;
 * - `etcd-10219`: a Ready with a snapshot releases the old WAL without first fsyncing the hard
 *   state that commits the snapshot (fixed in etcd PR #10356).
 */
export const RAFT_NODE_BUGS = ['etcd-14370', 'etcd-10219'] as const;
export type RaftNodeBug = (typeof RAFT_NODE_BUGS)[number];

/** The raft core's options a node passes through (etcd server's raft.Config). */
export interface RaftTuning {
  /** Ticks without a leader before campaigning. Default 10 (etcd: --election-timeout 1000 ms / 100 ms ticks). */
  readonly electionTick: number;
  /** Ticks between heartbeats. Default 1 (etcd). */
  readonly heartbeatTick: number;
  /** Default true (etcd ≥ 3.5 --pre-vote). */
  readonly preVote: boolean;
  /** Default true (etcd server always sets it). */
  readonly checkQuorum: boolean;
  /** Default 'safe'. */
  readonly readOnly: ReadOnlyOption;
  /** Default 1 MiB (etcd's maxSizePerMsg). */
  readonly maxSizePerMsgBytes: number;
  /** Default 512 (etcd's 4096 / 8). */
  readonly maxInflightMsgs: number;
  /** 0 = unlimited. Default 0. */
  readonly maxUncommittedEntriesSizeBytes: number;
  /** Default false. */
  readonly stepDownOnRemoval: boolean;
  /** A lone voter reads at max(commit, its match), etcd-io/raft PR #105. Default false (released etcd-raft). */
  readonly singletonReadIndexActuallyCommitted: boolean;
  /** Known raft-core bugs switched back on (raft/core/config.ts RAFT_CORE_BUGS). Default none. */
  readonly bugs: readonly RaftCoreBug[];
}

export const RAFT_TUNING_DEFAULTS: RaftTuning = {
  electionTick: 10,
  heartbeatTick: 1,
  preVote: true,
  checkQuorum: true,
  readOnly: 'safe',
  maxSizePerMsgBytes: 1024 * 1024,
  maxInflightMsgs: 512,
  maxUncommittedEntriesSizeBytes: 0,
  stepDownOnRemoval: false,
  singletonReadIndexActuallyCommitted: false,
  bugs: [],
};

export interface RaftNodeOptions<W> {
  /** The host's context for this incarnation (timers, trace, randomness). */
  readonly ctx: HostContext;
  /** The host's disk (`disks.of(ctx.id)`): it survives crashes. */
  readonly disk: Disk;
  /** The simulation's channels; the node opens a stream and a pipeline to each peer. */
  readonly channels: Channels<W>;
  /** A raft message as the network's message type; `id` is the message's trace id, for the receiver's `receive`. */
  readonly wrap: (m: Message, id: string) => W;
  /** Members of a new cluster (or the ones a joiner knows), including this node. On restart the disk's list wins. */
  readonly peers: readonly NodeId[];
  readonly stateMachine: StateMachine;
  /** Kills this host (the composer's `() => hosts.crash(id)`), called when a crash point fires. */
  readonly crash: () => void;
  /** Default `ctx.id`: node ids are host ids. */
  readonly id?: NodeId;
  /** A new node bootstraps a new cluster from `peers` (true), or joins one and learns the config from the leader. Default true. */
  readonly bootstrap?: boolean;
  /** Default 1. A disk holding another cluster's WAL is refused. */
  readonly clusterId?: number;
  readonly raft?: Partial<RaftTuning>;
  /** Local time per raft tick. Default 100 ms (etcd --heartbeat-interval). */
  readonly tickUs?: number;
  /** Snapshot the state machine every this many applied entries. Default 1,000 (etcd: 10,000; runs here are short). */
  readonly snapshotCount?: number;
  /** Entries kept in the in-memory log behind a snapshot, for slow followers. Default 500 (etcd: 5,000). */
  readonly catchUpEntries?: number;
  /** WAL segment size. Default 64 KiB (etcd: 64 MB; small here so runs roll over). */
  readonly walSegmentBytes?: number;
  /** Snapshot files kept, at least 2. Default 5 (etcd --max-snapshots). */
  readonly snapshotsKept?: number;
  /** Skip every fsync (etcd --unsafe-no-fsync). Default false. */
  readonly unsafeNoFsync?: boolean;
  readonly observer?: NodeObserver;
  /** Asked at each crash point; true crashes the host there. Default: never. */
  readonly crashPoint?: (name: CrashPoint) => boolean;
  /** Emit `raft.send` / `raft.recv` per message. Default true. */
  readonly traceMessages?: boolean;
  /** Directory of the WAL and snapshot files on the disk. Default `member` (→ member/wal, member/snap). */
  readonly dataDir?: string;
  /** Known bugs of the node layer switched back on (RAFT_NODE_BUGS). Default none. */
  readonly bugs?: readonly RaftNodeBug[];
}

/** The options with every default filled in (`crashPoint` null when there is no hook). */
type Resolved<W> = Required<Omit<RaftNodeOptions<W>, 'raft' | 'crashPoint' | 'bugs'>> & {
  readonly bugs: ReadonlySet<RaftNodeBug>;
  readonly raft: RaftTuning;
  readonly crashPoint: ((name: CrashPoint) => boolean) | null;
};

/** The node as its composer sees it: the application's handle plus lifecycle and inspection. */
export interface RaftNode extends RaftNodeHandle {
  /** As RaftNodeHandle's, plus the message's trace `id` when the wire carried it (traced on `raft.recv`). */
  receive(from: NodeId, message: Message, id?: string): void;
  /** Stops the node for good in this incarnation (as a disk fault would), with `reason`. */
  stop(reason: string): void;
  /** The raft log as the core sees it (stable + unstable), for invariant checks. */
  logView(): LogView;
  /** The core's status (term, vote, commit, progress on a leader), for invariant checks and reports. */
  raftStatus(): Status;
  /** The core's election timer in ticks (raw-node's electionTimer), null before the node has raft state. */
  electionTimer(): { readonly elapsed: number; readonly timeout: number } | null;
  /** The WAL's segment names, oldest first (empty until the WAL is open). */
  walSegments(): readonly string[];
}

function resolve<W>(o: RaftNodeOptions<W>): Resolved<W> {
  const raft: RaftTuning = { ...RAFT_TUNING_DEFAULTS, ...o.raft };
  const r: Resolved<W> = {
    ctx: o.ctx,
    disk: o.disk,
    channels: o.channels,
    wrap: o.wrap,
    peers: o.peers,
    stateMachine: o.stateMachine,
    crash: o.crash,
    id: o.id ?? (o.ctx.id as NodeId),
    bootstrap: o.bootstrap ?? true,
    clusterId: o.clusterId ?? 1,
    raft,
    tickUs: o.tickUs ?? 100_000,
    snapshotCount: o.snapshotCount ?? 1_000,
    catchUpEntries: o.catchUpEntries ?? 500,
    walSegmentBytes: o.walSegmentBytes ?? 64 * 1024,
    snapshotsKept: o.snapshotsKept ?? 5,
    unsafeNoFsync: o.unsafeNoFsync ?? false,
    observer: o.observer ?? {},
    crashPoint: o.crashPoint ?? null,
    traceMessages: o.traceMessages ?? true,
    dataDir: o.dataDir ?? 'member',
    bugs: new Set(o.bugs ?? []),
  };
  const posInt = (x: number): boolean => Number.isSafeInteger(x) && x > 0;
  assert(posInt(r.id), () => `raftNode.id must be a positive integer (host ids are node ids; 0 means none), got ${r.id}`);
  assert(r.peers.every(posInt) && new Set(r.peers).size === r.peers.length, () => `raftNode.peers must be distinct positive integers, got [${r.peers.join(', ')}]`);
  assert(!r.bootstrap || r.peers.includes(r.id), () => `raftNode.peers must include the node itself (${r.id}) to bootstrap, got [${r.peers.join(', ')}]`);
  assert(Number.isSafeInteger(r.clusterId) && r.clusterId >= 0, () => `raftNode.clusterId must be an integer ≥ 0, got ${r.clusterId}`);
  assert(posInt(r.tickUs), () => `raftNode.tickUs must be a positive integer, got ${r.tickUs}`);
  assert(posInt(r.snapshotCount), () => `raftNode.snapshotCount must be a positive integer, got ${r.snapshotCount}`);
  assert(Number.isSafeInteger(r.catchUpEntries) && r.catchUpEntries >= 0, () => `raftNode.catchUpEntries must be an integer ≥ 0, got ${r.catchUpEntries}`);
  assert(posInt(r.walSegmentBytes) && r.walSegmentBytes >= 1024, () => `raftNode.walSegmentBytes must be an integer ≥ 1024, got ${r.walSegmentBytes}`);
  // Two at least: a new file is written (and older ones purged) before its WAL record, so the
  // previous file must survive to be the one a crash in between restarts from.
  assert(Number.isSafeInteger(r.snapshotsKept) && r.snapshotsKept >= 2, () => `raftNode.snapshotsKept must be an integer ≥ 2, got ${r.snapshotsKept}`);
  assert(posInt(raft.heartbeatTick) && posInt(raft.electionTick) && raft.electionTick > raft.heartbeatTick, () => `raftNode.raft: need 0 < heartbeatTick < electionTick, got ${raft.heartbeatTick}, ${raft.electionTick}`);
  assert(r.dataDir.length > 0 && !r.dataDir.endsWith('/') && !r.dataDir.startsWith('/'), () => `raftNode.dataDir must be a relative directory, got ${JSON.stringify(r.dataDir)}`);
  return r;
}

/** A step's answer: the latency to wait before the next step, or STOP (crashed or stopped). */
const STOP = -1;
/** A bound on remotes (senders outside the configuration): more than a cluster's hosts is a bug. */
const REMOTES_MAX = 64;

/** How many steps a Ready has (see `runStep` and the module comment). */
const READY_STEP_COUNT = 14;

type NodeState = 'starting' | 'running' | 'stopped' | 'crashed';

class Node<W> implements RaftNode {
  readonly id: NodeId;
  private readonly o: Resolved<W>;
  private state: NodeState = 'starting';
  private stopReason: string | null = null;
  private rawNode: RawNode | null = null;
  private storage = new MemoryStorage();
  private wal: Wal | null = null;
  private readonly snapshotter: Snapshotter;
  private readonly transport: Transport<W>;
  private bootstrapPeers: readonly NodeId[] = [];
  /** Senders this node answers though its applied configuration does not name them (addRemoteIfUnknown). */
  private readonly remotes = new Set<NodeId>();
  /** Members this node saw leave its configuration: their messages never make them remotes. */
  private readonly removedIds = new Set<NodeId>();
  /** Index of the newest durable snapshot: the WAL is released up to it when the next one is. */
  private lastSnapshotIndex = 0 as LogIndex;
  /** Last index applied to the state machine (this incarnation rebuilt it from the snapshot). */
  private applied = 0 as LogIndex;
  /** The state machine's consistent index when it has a backend (StateMachine.recover), else null. */
  private backendIndex: number | null = null;
  private role: Role = 'follower';
  private lastRole = { role: 'follower' as Role, term: -1, lead: -1 };
  /** The Ready being handled and the next step, or null between Readies. */
  private rd: Ready | null = null;
  private stepAt = 0;
  private appliedThisReady = false;
  /** The state-machine snapshot being written in steps 11, or null. */
  private taking: Snapshot | null = null;
  private turnScheduled = false;
  private tickPending = false;
  private ticksDropped = 0;
  private tickTimer: TimerId = -1;
  private readonly turn = (): void => this.onTurn();
  private readonly runSteps = (): void => this.continueReady();
  private readonly onTick = (): void => this.tick();

  constructor(options: Resolved<W>) {
    this.o = options;
    this.id = options.id;
    const emit = (kind: string, fields: Fields): void => options.ctx.emit(kind, fields);
    this.snapshotter = new Snapshotter(options.disk, { dir: `${options.dataDir}/snap`, keepMax: options.snapshotsKept, unsafeNoFsync: options.unsafeNoFsync, emit });
    this.transport = new Transport<W>({
      self: this.id,
      incarnation: options.ctx.incarnation,
      channels: options.channels,
      wrap: options.wrap,
      onUnreachable: (id) => this.report(() => this.raw.reportUnreachable(id)),
      onSnapshotStatus: (id, status) => this.reportSnapshot(id, status),
      emit,
    });
  }

  /** The core; it exists once the disk was read (a node refused at start has none). */
  private get raw(): RawNode {
    // Checked before the assertion: its message is built only when the check fails, not on every use.
    if (this.rawNode === null) assert(false, `node ${this.id}: no raft state (it refused to start: ${this.stopReason ?? '?'})`);
    return this.rawNode;
  }

  // ---- start ----------------------------------------------------------------------------------

  /** Reads the disk, builds the RawNode, and starts ticking after the reads' latency. */
  start(): void {
    const o = this.o;
    const walOpts = this.walOptions();
    const rec = recoverFromDisk(o.disk, walOpts, this.snapshotter, this.id, o.clusterId);
    if (rec.kind === 'failed') {
      this.refuseToStart(rec.reason);
      return;
    }
    let latencyUs = rec.latencyUs;
    // A state machine with its own backend opens it first (etcd opens the backend before raft).
    const sm = o.stateMachine.recover?.();
    if (sm !== undefined) {
      latencyUs += sm.latencyUs;
      if (!sm.ok) {
        this.refuseToStart(sm.error);
        return;
      }
      this.backendIndex = sm.index;
    }
    if (rec.kind === 'new') {
      const metadata: WalMetadata = { nodeId: this.id, clusterId: o.clusterId, peers: [...o.peers], bootstrap: o.bootstrap };
      const created = createWal(o.disk, walOpts, metadata);
      latencyUs += created.latencyUs;
      if (!created.ok) {
        this.refuseToStart(created.error);
        return;
      }
      this.wal = created.wal;
      this.bootNew(metadata);
    } else {
      this.wal = rec.wal;
      this.bootRestart(rec);
    }
    this.transport.setPeers(this.memberIds());
    this.o.ctx.setTimer(latencyUs, () => this.run());
  }

  private bootNew(metadata: WalMetadata): void {
    this.bootstrapPeers = metadata.peers;
    this.rawNode = this.makeRawNode(0 as LogIndex, metadata.bootstrap ? metadata.peers : undefined);
    this.o.ctx.emit('node.start', { bootstrap: metadata.bootstrap, peers: metadata.peers.join(',') });
  }

  private bootRestart(rec: Extract<ReturnType<typeof recoverFromDisk>, { kind: 'restart' }>): void {
    this.bootstrapPeers = rec.metadata.peers;
    this.storage = rec.storage;
    const empty = rec.snapshot === null && rec.lastIndex === 0 && rec.hardState.term === 0;
    if (empty) {
      // It crashed before its first save: nothing was promised to anyone, so it starts as new.
      this.rawNode = this.makeRawNode(0 as LogIndex, rec.metadata.bootstrap ? rec.metadata.peers : undefined);
      this.o.ctx.emit('node.start', { bootstrap: rec.metadata.bootstrap, peers: rec.metadata.peers.join(',') });
      return;
    }
    const snap = rec.snapshot;
    if (snap !== null) {
      // With a backend at or past the snapshot, its state is the newer one: raft replays from the
      // snapshot and the state machine skips what its consistent index covers.
      const m = snap.metadata;
      if (this.backendIndex === null || m.index > this.backendIndex) this.o.stateMachine.restore(snap.data, m.index, m.term, m.confState);
      else this.o.stateMachine.restoreUnstored?.(snap.data, m.index, m.confState);
      this.applied = snap.metadata.index;
      this.lastSnapshotIndex = snap.metadata.index;
    }
    this.rawNode = this.makeRawNode(this.applied, undefined);
    const hs = rec.hardState;
    this.o.ctx.emit('node.recovered', { snapshotIndex: snap?.metadata.index ?? 0, lastIndex: rec.lastIndex, commit: hs.commit, term: hs.term });
  }

  private makeRawNode(applied: LogIndex, peers: readonly NodeId[] | undefined): RawNode {
    const t = this.o.raft;
    return new RawNode({
      id: this.id,
      electionTick: t.electionTick,
      heartbeatTick: t.heartbeatTick,
      storage: this.storage,
      random: this.o.ctx.random.fork(`raft/n${this.id}/election`),
      applied,
      ...(peers === undefined ? {} : { peers }),
      maxSizePerMsgBytes: t.maxSizePerMsgBytes,
      maxInflightMsgs: t.maxInflightMsgs,
      maxUncommittedEntriesSizeBytes: t.maxUncommittedEntriesSizeBytes,
      checkQuorum: t.checkQuorum,
      preVote: t.preVote,
      readOnly: t.readOnly,
      stepDownOnRemoval: t.stepDownOnRemoval,
      singletonReadIndexActuallyCommitted: t.singletonReadIndexActuallyCommitted,
      bugs: t.bugs,
      onEvent: (e) => this.onRaftEvent(e),
    });
  }

  private walOptions(): WalOptions {
    return { dir: `${this.o.dataDir}/wal`, segmentBytes: this.o.walSegmentBytes, unsafeNoFsync: this.o.unsafeNoFsync, emit: (kind, fields) => this.o.ctx.emit(kind, fields) };
  }

  /** The disk cannot be trusted: the node stays down, saying why (told on the next event, not inside the factory). */
  private refuseToStart(reason: string): void {
    this.state = 'stopped';
    this.stopReason = reason;
    this.o.ctx.emit('node.stopped', { reason });
    this.o.ctx.setTimer(0, () => this.o.observer.onStopped?.(reason));
  }

  private run(): void {
    if (this.state !== 'starting') return;
    this.state = 'running';
    this.tickTimer = this.o.ctx.setTimer(this.o.tickUs, this.onTick);
    this.kick();
  }

  // ---- the loop ---------------------------------------------------------------------------------

  private tick(): void {
    if (this.state !== 'running') return;
    this.tickTimer = this.o.ctx.setTimer(this.o.tickUs, this.onTick);
    if (this.rd !== null) {
      // The loop is busy with a Ready (blocked in the disk, in etcd): one tick waits, more are lost.
      if (this.tickPending) this.ticksDropped++;
      this.tickPending = true;
      return;
    }
    this.raw.tick();
    this.kick();
  }

  /** Schedules a loop turn unless one is scheduled or a Ready is in progress. */
  private kick(): void {
    if (this.state !== 'running' || this.turnScheduled || this.rd !== null) return;
    this.turnScheduled = true;
    this.o.ctx.setTimer(0, this.turn);
  }

  private onTurn(): void {
    this.turnScheduled = false;
    if (this.state !== 'running' || this.rd !== null) return;
    if (this.tickPending) {
      this.tickPending = false;
      this.raw.tick();
    }
    if (!this.raw.hasReady()) return;
    this.rd = this.raw.ready();
    this.stepAt = 0;
    this.appliedThisReady = false;
    this.continueReady();
  }

  private continueReady(): void {
    // Bounded by the number of steps; a step with latency resumes here from a timer.
    while (this.stepAt < READY_STEP_COUNT) {
      if (this.state !== 'running') return;
      const latencyUs = this.runStep(this.stepAt++);
      if (latencyUs === STOP) return;
      if (latencyUs > 0) {
        this.o.ctx.setTimer(latencyUs, this.runSteps);
        return;
      }
    }
    this.rd = null;
    if (this.ticksDropped > 0) {
      this.o.ctx.emit('raft.tick-dropped', { dropped: this.ticksDropped });
      this.ticksDropped = 0;
    }
    this.kick();
  }

  /**
   * The Ready's step `at`, in order (see the module comment): a latency or STOP. A switch, not a
   * table of closures: the table's one call site saw 14 targets and inlined none of them.
   */
  private runStep(at: number): number {
    switch (at) {
      case 0: return this.stepBegin();
      case 1: return this.stepLeaderSend();
      case 2: return this.stepSaveSnap();
      case 3: return this.stepSave();
      case 4: return this.stepSyncForSnap();
      case 5: return this.stepApplySnapToStorage();
      case 6: return this.stepAppendToStorage();
      case 7: return this.stepFollowerSend();
      case 8: return this.stepApply();
      case 9: return this.stepAdvance();
      case 10: return this.stepSnapshotFile();
      case 11: return this.stepSnapshotRecord();
      case 12: return this.stepSnapshotRelease();
      case 13: return this.stepSnapshotDone();
      default: return unreachable(at as never, 'ready step');
    }
  }

  private ready(): Ready {
    assert(this.rd !== null, 'node: a Ready step without a Ready');
    return this.rd;
  }

  /** Asks the hook; on true, crashes the host and returns true (the caller returns STOP). */
  /** The WAL save's hook between write and fsync (bound once: a save per Ready). */
  private readonly beforeWalSync = (): boolean => this.crashAt('walBeforeSync');

  private crashAt(name: CrashPoint): boolean {
    if (this.o.crashPoint === null || !this.o.crashPoint(name)) return false;
    this.o.ctx.emit('node.crash-point', { name });
    this.state = 'crashed';
    this.o.crash();
    assert(!this.o.ctx.alive, () => `node: crash() at ${name} left host ${this.o.ctx.id} alive`);
    return true;
  }

  /** A disk operation failed: stop for good, as etcd panics. */
  private diskFailed(error: string): number {
    this.failStop(`disk: ${error}`);
    return STOP;
  }

  // ---- the steps ----------------------------------------------------------------------------------

  private stepBegin(): number {
    const rd = this.ready();
    if (rd.softState !== null) {
      this.role = rd.softState.role;
      const term = this.raw.status().term;
      this.traceRole(rd.softState.role, term, rd.softState.lead);
      this.o.observer.onSoftState?.(rd.softState.lead, rd.softState.role, term);
    }
    for (const rs of rd.readStates) this.o.observer.onReadState?.(rs);
    return 0;
  }

  private stepLeaderSend(): number {
    if (this.role !== 'leader') return 0;
    if (this.crashAt('raftBeforeLeaderSend')) return STOP;
    this.sendAll(this.ready().messages);
    // etcd-14370 switched on: etcd's loop gives the apply loop the committed entries before it
    // saves the Ready (etcd #14370; made safe by etcd PR #14413 in raft, not here).
    if (this.o.bugs.has('etcd-14370') && !this.applyReady()) return STOP;
    return 0;
  }

  private stepSaveSnap(): number {
    const snap = this.ready().snapshot;
    if (snap === null) return 0;
    if (this.crashAt('raftBeforeSaveSnap')) return STOP;
    const file = this.snapshotter.save(snap);
    if (!file.ok) return this.diskFailed(file.error);
    const rec = this.walOrFail().saveSnapshot({ index: snap.metadata.index, term: snap.metadata.term, confState: snap.metadata.confState });
    if (!rec.ok) return this.diskFailed(rec.error);
    this.o.ctx.emit('raft.snapshot', { index: snap.metadata.index, term: snap.metadata.term, what: 'saved' });
    return file.latencyUs + rec.latencyUs;
  }

  private stepSave(): number {
    const rd = this.ready();
    if (rd.snapshot !== null && this.crashAt('raftAfterSaveSnap')) return STOP;
    if (this.crashAt('raftBeforeSave')) return STOP;
    const saved = this.walOrFail().save(rd.hardState, rd.entries, rd.mustSync, this.o.crashPoint === null ? undefined : this.beforeWalSync);
    if (this.state === 'crashed') return STOP;
    return saved.ok ? saved.latencyUs : this.diskFailed(saved.error);
  }

  private stepSyncForSnap(): number {
    if (this.crashAt('raftAfterSave')) return STOP;
    if (this.ready().snapshot === null) return 0;
    // The hard state committing the snapshot must be durable before old segments go (etcd #10219).
    // etcd-10219 switched on: etcd before PR #10356 released the WAL without this fsync.
    if (this.o.bugs.has('etcd-10219')) return 0;
    const synced = this.walOrFail().sync();
    return synced.ok ? synced.latencyUs : this.diskFailed(synced.error);
  }

  private stepApplySnapToStorage(): number {
    const snap = this.ready().snapshot;
    if (snap === null) return 0;
    if (this.crashAt('raftBeforeApplySnap')) return STOP;
    const applied = this.storage.applySnapshot(snap);
    assert(applied.ok, () => `node ${this.id}: storage refused snapshot ${snap.metadata.index}: ${applied.ok ? '' : applied.error}`);
    if (this.crashAt('raftAfterApplySnap')) return STOP;
    const released = this.releaseWal(snap.metadata.index);
    return released.ok ? released.latencyUs : this.diskFailed(released.error);
  }

  private stepAppendToStorage(): number {
    const rd = this.ready();
    if (rd.snapshot !== null && this.crashAt('raftAfterWALRelease')) return STOP;
    this.storage.append(rd.entries);
    if (rd.hardState !== null) this.storage.setHardState(rd.hardState);
    return 0;
  }

  private stepFollowerSend(): number {
    const rd = this.ready();
    if (this.role !== 'leader') {
      // etcd: a follower applies a committed conf change before it sends, lest it count votes
      // of removed members or campaign alone in a config it has not applied.
      if (hasConfChange(rd.committedEntries) && !this.applyReady()) return STOP;
      if (this.crashAt('raftBeforeFollowerSend')) return STOP;
      this.sendAll(rd.messages);
    }
    this.sendAll(rd.messagesAfterAppend);
    return 0;
  }

  private stepApply(): number {
    return this.applyReady() ? 0 : STOP;
  }

  private stepAdvance(): number {
    this.raw.advance(this.ready());
    return 0;
  }

  private stepSnapshotFile(): number {
    this.taking = null;
    const snapIndex = this.storage.snapshot();
    const last = snapIndex.ok ? snapIndex.value.metadata.index : 0;
    if (this.applied - last <= this.o.snapshotCount) return 0;
    if (this.crashAt('snapshotBeforeSave')) return STOP;
    const cs: ConfState = this.raw.status().config;
    const image = this.o.stateMachine.snapshot();
    // The state machine's backend commits first; a crash point there took the host down.
    if (!this.o.ctx.alive) return STOP;
    const created = this.storage.createSnapshot(this.applied, cs, image);
    assert(created.ok, () => `node ${this.id}: cannot snapshot at applied ${this.applied}: ${created.ok ? '' : created.error}`);
    const snap = created.value;
    this.taking = snap;
    this.o.ctx.emit('raft.snapshot', { index: snap.metadata.index, term: snap.metadata.term, what: 'taken' });
    const file = this.snapshotter.save(snap);
    return file.ok ? file.latencyUs : this.diskFailed(file.error);
  }

  private stepSnapshotRecord(): number {
    const snap = this.taking;
    if (snap === null) return 0;
    if (this.crashAt('snapshotAfterSaveFile')) return STOP;
    const rec = this.walOrFail().saveSnapshot({ index: snap.metadata.index, term: snap.metadata.term, confState: snap.metadata.confState });
    return rec.ok ? rec.latencyUs : this.diskFailed(rec.error);
  }

  private stepSnapshotRelease(): number {
    const snap = this.taking;
    if (snap === null) return 0;
    if (this.crashAt('snapshotAfterSaveWAL')) return STOP;
    // The record's fsync made every earlier record durable too, among them a hard state whose
    // commit covers the snapshot (it was saved before these entries were applied).
    const released = this.releaseWal(snap.metadata.index);
    if (!released.ok) return this.diskFailed(released.error);
    this.compactLog(snap.metadata.index);
    return released.latencyUs;
  }

  private stepSnapshotDone(): number {
    if (this.taking === null) return 0;
    this.taking = null;
    return this.crashAt('snapshotAfterWALRelease') ? STOP : 0;
  }

  /**
   * A new snapshot at `index` is durable: release the WAL up to the *previous* snapshot. Keeping
   * one snapshot's worth of WAL lets a restart fall back to the previous snapshot file when the
   * newest turns out unreadable (etcd keeps --max-wals=5 old segments for the same reason).
   */
  private releaseWal(index: LogIndex): DiskOutcome {
    const upTo = this.lastSnapshotIndex;
    assert(index > upTo, () => `node ${this.id}: snapshot ${index} is not newer than ${upTo}`);
    this.lastSnapshotIndex = index;
    return this.walOrFail().releaseTo(upTo);
  }

  /** Drops the in-memory log up to `catchUpEntries` behind the snapshot, unless a snapshot is in flight. */
  private compactLog(snapIndex: LogIndex): void {
    if (this.transport.snapshotsInFlight > 0) return;
    const compactTo = snapIndex > this.o.catchUpEntries ? snapIndex - this.o.catchUpEntries : 1;
    if (compactTo < this.storage.firstIndex()) return;
    const res = this.storage.compact(compactTo as LogIndex);
    assert(res.ok || res.error === 'compacted', () => `node ${this.id}: compact to ${compactTo}: ${res.ok ? '' : res.error}`);
  }

  /** Applies the Ready's snapshot and committed entries once; false if a crash point fired. */
  private applyReady(): boolean {
    if (this.appliedThisReady) return true;
    this.appliedThisReady = true;
    const rd = this.ready();
    if (this.crashAt('raftBeforeApply')) return false;
    const before = this.applied;
    if (rd.snapshot !== null) this.applySnapshot(rd.snapshot);
    for (const e of rd.committedEntries) {
      // A crash point inside the state machine (its backend) takes the host down mid-apply.
      if (this.state !== 'running' || !this.o.ctx.alive) return false;
      this.applyEntry(e);
    }
    if (!this.o.ctx.alive) return false;
    if (this.applied !== before) {
      this.o.ctx.emit('raft.apply', { applied: this.applied });
      this.o.observer.onApplied?.(this.applied);
    }
    return this.state === 'running' && !this.crashAt('raftAfterApply');
  }

  private applySnapshot(snap: Snapshot): void {
    assert(snap.metadata.index > this.applied, () => `node ${this.id}: snapshot ${snap.metadata.index} is not past applied ${this.applied}`);
    this.o.stateMachine.restore(snap.data, snap.metadata.index, snap.metadata.term, snap.metadata.confState);
    this.applied = snap.metadata.index;
    this.o.ctx.emit('raft.snapshot', { index: snap.metadata.index, term: snap.metadata.term, what: 'restored' });
    this.transport.setPeers(this.memberIds());
  }

  private applyEntry(e: Entry): void {
    if (e.index !== this.applied + 1) assert(false, `node ${this.id}: applying entry ${e.index} after ${this.applied}`);
    this.applied = e.index;
    if (e.type === 'normal') {
      if (e.data.length > 0) this.o.stateMachine.applyEntry(e);
      else this.o.stateMachine.applyEmpty?.(e);
      return;
    }
    const cc: ConfChange = decodeConfChange(e.type, e.data);
    const before = this.configIds();
    // The application may refuse a change at apply (etcd's ValidateConfigurationChange): raft
    // then applies it as a no-op, its node id None.
    const accepted = this.o.stateMachine.applyConfChange?.(e, cc) ?? true;
    const cs = this.raw.applyConfChange(accepted ? cc : asNoop(cc));
    this.noteRemoved(before);
    this.transport.setPeers(this.memberIds());
    this.o.observer.onConfChange?.(cs, cc);
  }

  private walOrFail(): Wal {
    assert(this.wal !== null, 'node: the WAL is not open');
    return this.wal;
  }

  /** Members of the current configuration and the ones the disk was created with, and the remotes. */
  private memberIds(): NodeId[] {
    return [...new Set([...this.bootstrapPeers, ...this.configIds(), ...this.remotes])];
  }

  /** Every id of the applied configuration (voters, learners, both halves of a joint one). */
  private configIds(): Set<NodeId> {
    const cs = this.raw.status().config;
    return new Set([...cs.voters, ...cs.learners, ...cs.votersOutgoing, ...cs.learnersNext]);
  }

  /** Ids of `before` that the applied configuration no longer holds are removed members: never remotes again. */
  private noteRemoved(before: Iterable<NodeId>): void {
    const now = this.configIds();
    for (const id of [...before]) {
      if (now.has(id)) continue;
      this.removedIds.add(id);
      this.remotes.delete(id);
    }
  }

  /**
   * A message from a sender this node does not know: a member added after this node's applied
   * configuration (it is behind, and the newcomer may even lead). etcd's rafthttp adds such a
   * sender as a *remote* — a peer to answer, not a member — unless it was removed
   * (rafthttp/http.go: "local etcd falls behind of the cluster, and cannot recognize the members
   * that joined after its current progress"). Without it this node's answers to the newcomer are
   * dropped as unknown-peer, the newcomer never learns how far this node got, and it never
   * catches up (swarm seed 285's liveness).
   */
  private addRemoteIfUnknown(from: NodeId): void {
    if (from === this.id || this.removedIds.has(from) || this.remotes.has(from) || this.configIds().has(from) || this.bootstrapPeers.includes(from)) return;
    assert(this.remotes.size < REMOTES_MAX, () => `node ${this.id}: more than ${REMOTES_MAX} remotes`);
    this.remotes.add(from);
    this.transport.setPeers(this.memberIds());
  }

  // ---- messages ---------------------------------------------------------------------------------

  private sendAll(msgs: readonly Message[]): void {
    for (const original of msgs) {
      if (this.state !== 'running') return;
      const m = original.type === 'MsgSnap' ? this.mergedSnapshotIfNeeded(original) : original;
      const id = this.transport.nextMessageId();
      if (this.o.traceMessages) this.o.ctx.emit('raft.send', sendFields(m, id));
      if (m.type === 'MsgSnap') this.o.ctx.emit('raft.snapshot', { index: m.snapshot.metadata.index, term: m.snapshot.metadata.term, what: 'sent', peer: m.to });
      this.transport.send(m, id);
    }
  }

  /**
   * A MsgSnap whose snapshot's configuration does not hold its receiver (a member added since the
   * snapshot was taken, which raft would refuse: "not in config") carries instead a snapshot of the
   * applied state now, with the configuration now — etcd's createMergedSnapshotMessage, which etcd
   * builds for every MsgSnap (raftsim keeps the stored snapshot otherwise).
   */
  private mergedSnapshotIfNeeded(m: Extract<Message, { type: 'MsgSnap' }>): Message {
    const cs = m.snapshot.metadata.confState;
    const holds = (xs: readonly NodeId[]): boolean => xs.includes(m.to);
    if (holds(cs.voters) || holds(cs.learners) || holds(cs.votersOutgoing) || holds(cs.learnersNext)) return m;
    const term = this.storage.term(this.applied);
    if (!term.ok) return m;
    const confState = this.raw.status().config;
    return { ...m, snapshot: { metadata: { index: this.applied, term: term.value, confState }, data: this.o.stateMachine.snapshot() } };
  }

  /** Steps a report from the transport (it may arrive between the steps of a Ready, which raft allows). */
  private report(fn: () => void): void {
    if (this.state !== 'running' && this.state !== 'starting') return;
    fn();
    this.kick();
  }

  private reportSnapshot(id: NodeId, status: SnapshotStatus): void {
    this.report(() => {
      if (status === 'failure') this.raw.reportUnreachable(id);
      this.raw.reportSnapshot(id, status);
    });
  }

  private onRaftEvent(e: RaftEvent): void {
    const ctx = this.o.ctx;
    ctx.emit('raft.event', { kind: e.kind, text: describeEvent(e) });
    if (e.kind === 'become') this.traceRole(e.role, e.term, e.lead);
    else if (e.kind === 'commit') ctx.emit('raft.commit', { commit: e.to });
    else if (e.kind === 'snapshot-restored') ctx.emit('raft.snapshot', { index: e.index, term: e.snapshotTerm, what: 'received' });
  }

  private traceRole(role: Role, term: Term, lead: NodeId): void {
    const last = this.lastRole;
    if (last.role === role && last.term === term && last.lead === lead) return;
    this.lastRole = { role, term, lead };
    this.o.ctx.emit('raft.role', { role, term, lead });
  }

  // ---- the handle -------------------------------------------------------------------------------

  propose(data: Uint8Array): ProposeResult {
    if (!this.accepting()) return STOPPED;
    const res = this.raw.propose(data);
    this.kick();
    return res.ok ? OK : DROPPED;
  }

  proposeConfChange(change: ConfChange): ProposeResult {
    if (!this.accepting()) return STOPPED;
    const res = this.raw.proposeConfChange(change);
    this.kick();
    return res.ok ? OK : DROPPED;
  }

  readIndex(requestCtx: Uint8Array): ProposeResult {
    if (!this.accepting()) return STOPPED;
    this.raw.readIndex(requestCtx);
    this.kick();
    return OK;
  }

  transferLeadership(to: NodeId): void {
    if (!this.accepting()) return;
    this.raw.transferLeader(to);
    this.kick();
  }

  forgetLeader(): void {
    if (!this.accepting()) return;
    this.raw.forgetLeader();
    this.kick();
  }

  peerActiveSince(id: NodeId): number | null {
    return this.transport.activeSince(id);
  }

  progressMatch(): ReadonlyMap<NodeId, LogIndex> | null {
    if (this.rawNode === null) return null;
    const s = this.rawNode.status();
    if (s.role !== 'leader') return null;
    const out = new Map<NodeId, LogIndex>();
    for (const [id, p] of s.progress) out.set(id, p.match);
    return out;
  }

  campaign(): void {
    if (!this.accepting()) return;
    this.raw.campaign();
    this.kick();
  }

  receive(from: NodeId, message: Message, id?: string): void {
    if (!this.accepting()) {
      this.o.ctx.emit('raft.drop', { type: message.type, from, reason: this.state });
      return;
    }
    // `from` is the sending host; `message.from` may differ (a follower forwards a transfer request
    // with the transferee as its sender, as etcd does).
    if (this.o.traceMessages) this.o.ctx.emit('raft.recv', id === undefined ? recvFieldsWithoutId(message, from) : recvFields(message, from, id));
    this.addRemoteIfUnknown(from);
    const res = this.raw.step(message);
    if (!res.ok) this.o.ctx.emit('raft.drop', { type: message.type, from, reason: res.error });
    this.kick();
  }

  status(): NodeStatus {
    if (this.rawNode === null) {
      const zero = 0 as LogIndex;
      return { id: this.id, term: 0 as Term, lead: NONE, role: 'follower', commit: zero, applied: zero, lastIndex: zero, snapshotIndex: zero, confState: EMPTY_CONF_STATE, stopped: this.stopReason };
    }
    const s = this.raw.status();
    const snap = this.storage.snapshot();
    return {
      id: this.id,
      term: s.term,
      lead: s.lead,
      role: s.role,
      commit: s.commit,
      applied: this.applied,
      lastIndex: this.raw.logView().lastIndex(),
      snapshotIndex: snap.ok ? snap.value.metadata.index : (0 as LogIndex),
      confState: s.config,
      stopped: this.stopReason,
    };
  }

  commitIndex(): LogIndex {
    // The log's commit is what raw.status() reports, without its progress map and conf state.
    return this.rawNode === null ? (0 as LogIndex) : this.rawNode.logView().committed();
  }

  appliedIndex(): LogIndex {
    return this.rawNode === null ? (0 as LogIndex) : this.applied;
  }

  stop(reason: string): void {
    this.failStop(reason);
  }

  logView(): LogView {
    return this.raw.logView();
  }

  raftStatus(): Status {
    return this.raw.status();
  }

  electionTimer(): { readonly elapsed: number; readonly timeout: number } | null {
    return this.rawNode === null ? null : this.rawNode.electionTimer();
  }

  walSegments(): readonly string[] {
    return this.wal?.segmentNames() ?? [];
  }

  private accepting(): boolean {
    return (this.state === 'running' || this.state === 'starting') && this.o.ctx.alive;
  }

  private failStop(reason: string): void {
    if (this.state === 'stopped' || this.state === 'crashed') return;
    this.state = 'stopped';
    this.stopReason = reason;
    this.o.ctx.emit('node.stopped', { reason });
    if (this.tickTimer >= 0) this.o.ctx.clearTimer(this.tickTimer);
    this.transport.close();
    this.o.observer.onStopped?.(reason);
  }
}

/** Whether `entries` hold a conf change (a loop: no closure per follower Ready). */
/** A refused conf change as raft applies it: the same change with node id None (a no-op). */
function asNoop(cc: ConfChange): ConfChange {
  if (cc.version === 1) return { ...cc, nodeId: NONE };
  return { ...cc, changes: cc.changes.map((c) => ({ ...c, nodeId: NONE })) };
}

function hasConfChange(entries: readonly Entry[]): boolean {
  for (const e of entries) if (e.type !== 'normal') return true;
  return false;
}

const OK: ProposeResult = { ok: true };
const DROPPED: ProposeResult = { ok: false, error: 'ProposalDropped' };
const STOPPED: ProposeResult = { ok: false, error: 'Stopped' };

/*
 * Trace fields of a message: {type, to|from, term[, index][, entries][, reject], id}. One object
 * literal per shape, `id` included: a computed key (`[dir]: peer`) and a spread (`{...f, id}`)
 * each cost more than the rest of the send (one of each per message, the node's hottest path).
 * index: MsgApp's prev index, MsgAppResp's index, a vote's last index, MsgSnap's snapshot index;
 * entries: MsgApp's count; reject: on responses.
 */

function sendFields(m: Message, id: string): Fields {
  switch (m.type) {
    case 'MsgApp':
      return { type: m.type, to: m.to, term: m.term, index: m.index, entries: m.entries.length, id };
    case 'MsgAppResp':
      return { type: m.type, to: m.to, term: m.term, index: m.index, reject: m.reject, id };
    case 'MsgVote':
    case 'MsgPreVote':
      return { type: m.type, to: m.to, term: m.term, index: m.index, id };
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      return { type: m.type, to: m.to, term: m.term, reject: m.reject, id };
    case 'MsgSnap':
      return { type: m.type, to: m.to, term: m.term, index: m.snapshot.metadata.index, id };
    default:
      return { type: m.type, to: m.to, term: m.term, id };
  }
}

/** `from` is the sending host (see `receive`), not always `m.from`. */
function recvFields(m: Message, from: NodeId, id: string): Fields {
  switch (m.type) {
    case 'MsgApp':
      return { type: m.type, from, term: m.term, index: m.index, entries: m.entries.length, id };
    case 'MsgAppResp':
      return { type: m.type, from, term: m.term, index: m.index, reject: m.reject, id };
    case 'MsgVote':
    case 'MsgPreVote':
      return { type: m.type, from, term: m.term, index: m.index, id };
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      return { type: m.type, from, term: m.term, reject: m.reject, id };
    case 'MsgSnap':
      return { type: m.type, from, term: m.term, index: m.snapshot.metadata.index, id };
    default:
      return { type: m.type, from, term: m.term, id };
  }
}

/** A receive from a wire that carries no id (tests): the same fields without `id` (rare: a copy is fine). */
function recvFieldsWithoutId(m: Message, from: NodeId): Fields {
  const { id: _id, ...fields } = recvFields(m, from, '');
  return fields;
}

/**
 * Builds a raft node on the host of `options.ctx` (call it from the host's factory): reads the
 * disk (a new member, a restart, or a disk it refuses — then it stays stopped with the reason),
 * opens connections to its peers, and starts ticking once the disk reads' latency has passed.
 */
export function createRaftNode<W>(options: RaftNodeOptions<W>): RaftNode {
  const node = new Node<W>(resolve(options));
  node.start();
  return node;
}
