/**
 * A small deterministic cluster of raft nodes over the sim kernel, for tests (and for anyone who
 * needs raft without kv): N hosts (ids 1..N), each running `createRaftNode` with a trivial state
 * machine — an append-only log of applied payloads with a running hash — over the simulated
 * network, channels and disks. Crash, restart, partition, propose, run; and the cluster-level
 * checks raft promises:
 *
 * - **state machine safety**: no two nodes (or incarnations) apply different entries at the same
 *   index — checked at every apply;
 * - **election safety**: at most one leader per term — checked at every `raft.role` event;
 * - **durability of acknowledgements**: what a node acknowledged (its latest append
 *   acknowledgement and its latest granted vote) is on its disk when it restarts — checked at
 *   every restart, against the recovered state (`CrashRecord`);
 * - **convergence** (`checkConverged`): one leader, and every running node applied the same
 *   entries up to the same index, with the same state machine hash.
 * - and raft/invariants' SafetyChecker over every running node every `safetyCheckEveryUs` (log
 *   matching, leader completeness, term and commit monotonicity), fed every applied entry.
 * A broken check throws an InvariantViolation naming the seed.
 */
import { assert, InvariantViolation } from '../../sim/assert.js';
import type { ChannelOptions, Channels } from '../../sim/channels.js';
import type { Disks, DisksOptions } from '../../sim/disk.js';
import type { HostContext, HostRegistry, Kernel } from '../../sim/host.js';
import { createKernel, createWorld } from '../../sim/kernel.js';
import type { Network, NetworkOptions } from '../../sim/network.js';
import type { TraceEvent, TraceOptions } from '../../sim/trace.js';
import type { Micros } from '../../sim/time.js';
import type { Message } from '../core/messages.js';
import type { Entry, LogIndex, NodeId } from '../core/types.js';
import type { NodeObserver, StateMachine } from './api.js';
import type { CrashPoint } from './crash-points.js';
import type { RaftNode, RaftNodeOptions } from './node.js';
import { createRaftNode } from './node.js';
import type { NodeObservation } from '../invariants.js';
import { SafetyChecker } from '../invariants.js';

/** Node options a test may set (the cluster supplies the rest). */
export type TestNodeOptions = Partial<Pick<RaftNodeOptions<Message>, 'raft' | 'tickUs' | 'snapshotCount' | 'catchUpEntries' | 'walSegmentBytes' | 'snapshotsKept' | 'unsafeNoFsync' | 'traceMessages' | 'bugs'>>;

export interface TestClusterOptions {
  readonly seed: number | string;
  /** Nodes 1..size. Default 3. */
  readonly size?: number;
  readonly node?: TestNodeOptions;
  readonly network?: Partial<NetworkOptions>;
  readonly channels?: Partial<ChannelOptions>;
  readonly disk?: DisksOptions;
  readonly trace?: Partial<TraceOptions>;
  /** Asked at each crash point of each node: true crashes that node there. Default never. */
  readonly crashPoint?: (id: NodeId, name: CrashPoint) => boolean;
  /** The observer of node `id`'s current incarnation. Default none. */
  readonly observer?: (id: NodeId) => NodeObserver;
  /**
   * How often raft/invariants' SafetyChecker looks at every running node (election safety, log
   * matching, leader completeness, commit monotonicity); 0 turns it off. Default 50 ms.
   */
  readonly safetyCheckEveryUs?: Micros;
}

/**
 * The trivial state machine: a running hash of the applied payloads (and their indexes) and a
 * count. Its snapshot is those three numbers, so snapshotting costs nothing however long the run;
 * the cluster keeps the payloads themselves (`TestCluster.applied`) and recomputes the hash to
 * compare.
 */
export class AppendLog implements StateMachine {
  hash = 0;
  count = 0;
  lastIndex = 0 as LogIndex;

  constructor(
    private readonly onApply: (e: Entry) => void,
    private readonly onRestore: (index: LogIndex) => void = () => {},
  ) {}

  applyEntry(entry: Entry): void {
    this.onApply(entry);
    this.hash = mixHash(this.hash, entry.index, new TextDecoder().decode(entry.data));
    this.count++;
    this.lastIndex = entry.index;
  }

  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify({ hash: this.hash, count: this.count, lastIndex: this.lastIndex }));
  }

  restore(data: Uint8Array, index: LogIndex): void {
    const img = JSON.parse(new TextDecoder().decode(data)) as { hash: number; count: number; lastIndex: LogIndex };
    assert(img.lastIndex <= index, () => `append log: snapshot image at ${img.lastIndex} for a snapshot at ${index}`);
    this.hash = img.hash;
    this.count = img.count;
    this.lastIndex = index;
    this.onRestore(index);
  }
}

/** The hash an AppendLog has after applying `entries` (index, payload) in index order. */
export function appendLogHash(entries: Iterable<readonly [number, string]>): number {
  let h = 0;
  for (const [index, data] of [...entries].sort((a, b) => a[0] - b[0])) h = mixHash(h, index, data);
  return h;
}

function mixHash(h: number, index: number, data: string): number {
  let x = (h ^ index) >>> 0;
  for (let i = 0; i < data.length; i++) x = Math.imul(x ^ data.charCodeAt(i), 0x01000193) >>> 0;
  return x;
}

export interface Member {
  readonly node: RaftNode;
  readonly sm: AppendLog;
}

/** What a node promised before it crashed, what it held, and what it found on restart. */
export interface CrashRecord {
  readonly id: NodeId;
  readonly atUs: Micros;
  /** The crash point, or 'external' for a crash from outside the node. */
  readonly point: CrashPoint | 'external';
  readonly role: string;
  readonly before: { readonly lastIndex: number; readonly commit: number; readonly applied: number; readonly term: number };
  /** Filled in by the restart. */
  after: { readonly lastIndex: number; readonly commit: number; readonly term: number; readonly snapshotIndex: number } | null;
  /** The latest append acknowledgement and granted vote of the crashed incarnation. */
  readonly lastAck: Ack | null;
  readonly lastVote: { readonly term: number; readonly to: number } | null;
}

interface Ack {
  readonly term: number;
  readonly index: number;
  /** The term of the node's entry at `index` when it acknowledged (null: compacted, so committed). */
  readonly entryTerm: number | null;
}

interface Promises {
  lastAck: Ack | null;
  lastVote: { term: number; to: number } | null;
}

export class TestCluster {
  readonly kernel: Kernel;
  readonly hosts: HostRegistry<Member>;
  readonly network: Network<Message>;
  readonly channels: Channels<Message>;
  readonly disks: Disks;
  /** The members: 1..size, then any that joined. */
  readonly ids: NodeId[];
  readonly crashes: CrashRecord[] = [];
  /** Every entry any node applied, by index (state machine safety). */
  readonly applied = new Map<number, { readonly term: number; readonly data: string }>();
  private readonly leaders = new Map<number, number>();
  private readonly promises = new Map<NodeId, Promises>();
  private readonly pendingCrash = new Map<NodeId, CrashPoint>();
  private readonly safety = new SafetyChecker();
  /** Per node, the last index fed to the safety checker's onApply (this incarnation). */
  private readonly fedApplied = new Map<NodeId, number>();
  private proposalSeq = 0;

  constructor(private readonly o: TestClusterOptions) {
    const size = o.size ?? 3;
    assert(Number.isInteger(size) && size >= 1 && size <= 9, () => `test cluster: size must be 1..9, got ${size}`);
    this.kernel = createKernel({ seed: o.seed, trace: { mode: 'hash-only', ...o.trace } });
    this.ids = Array.from({ length: size }, (_, i) => (i + 1) as NodeId);
    const world = createWorld<Member, Message>(this.kernel, {
      hosts: this.ids,
      network: { traceDeliveries: false, ...o.network },
      channels: o.channels ?? {},
      disks: { traceOps: false, ...o.disk },
    });
    this.hosts = world.hosts;
    this.network = world.network;
    this.channels = world.channels;
    this.disks = world.disks;
    this.kernel.trace.tap((e) => this.onTrace(e));
    for (const id of this.ids) this.hosts.start(id, (ctx) => this.build(ctx));
    const everyUs = o.safetyCheckEveryUs ?? 50_000;
    assert(Number.isInteger(everyUs) && everyUs >= 0, () => `test cluster: safetyCheckEveryUs must be an integer ≥ 0, got ${everyUs}`);
    if (everyUs > 0) {
      const check = (): void => {
        this.observeSafety();
        this.kernel.scheduler.schedule(everyUs, check);
      };
      this.kernel.scheduler.schedule(everyUs, check);
    }
  }

  /** The member of a running (or paused) host. */
  member(id: NodeId): Member | undefined {
    return this.hosts.program(id);
  }

  node(id: NodeId): RaftNode | undefined {
    return this.hosts.program(id)?.node;
  }

  /** The running node that leads at the highest term, or null. */
  leader(): NodeId | null {
    let best: { id: NodeId; term: number } | null = null;
    for (const id of this.ids) {
      const n = this.node(id);
      if (n === undefined || this.hosts.state(id) !== 'up') continue;
      const s = n.status();
      if (s.stopped === null && s.role === 'leader' && (best === null || s.term > best.term)) best = { id, term: s.term };
    }
    return best?.id ?? null;
  }

  /** Proposes a fresh payload (`p<seq>`) at the leader (or at `at`); returns it, or null if refused or nobody leads. */
  propose(at?: NodeId): string | null {
    const id = at ?? this.leader();
    if (id === null) return null;
    const n = this.node(id);
    if (n === undefined) return null;
    const data = `p${++this.proposalSeq}`;
    return n.propose(new TextEncoder().encode(data)).ok ? data : null;
  }

  /** Proposes every `everyUs` from now until `untilUs` (virtual), on a timer of the simulation itself. */
  proposeSteadily(everyUs: Micros, untilUs: Micros): void {
    const fire = (): void => {
      this.propose();
      if (this.kernel.scheduler.now + everyUs <= untilUs) this.kernel.scheduler.schedule(everyUs, fire);
    };
    this.kernel.scheduler.schedule(everyUs, fire);
  }

  runFor(us: Micros): void {
    this.kernel.scheduler.runUntil(this.kernel.scheduler.now + us);
  }

  /** Runs until `pred` holds or `limitUs` of virtual time passed; returns whether it held. */
  runUntil(pred: () => boolean, limitUs: Micros): boolean {
    return this.kernel.scheduler.runUntilHolds(pred, this.kernel.scheduler.now + limitUs);
  }

  /**
   * Starts a new host `id` that joins the cluster (the leader must have proposed adding it, and
   * the host must be registered — `hosts.add(id)` — before that change is applied, as the members
   * open connections to it): it starts with an empty log and learns the configuration.
   */
  join(id: NodeId): Member {
    assert(!this.ids.includes(id), () => `test cluster: node ${id} is already a member`);
    if (!this.hosts.ids().includes(id)) this.hosts.add(id);
    this.ids.push(id);
    return this.hosts.start(id, (ctx) => this.build(ctx, false));
  }

  /** Crashes a node from outside (a nemesis), recording what it held. */
  crash(id: NodeId): void {
    this.recordCrash(id, 'external');
    this.hosts.crash(id);
  }

  /** Restarts a crashed node; checks its recovered disk against what it promised. */
  restart(id: NodeId): Member {
    const m = this.hosts.restart(id);
    const rec = [...this.crashes].reverse().find((c) => c.id === id && c.after === null);
    if (rec !== undefined) this.checkRecovered(rec, m);
    return m;
  }

  get now(): Micros {
    return this.kernel.scheduler.now;
  }

  /**
   * Liveness: one running leader, every running node applied up to the leader's commit with the
   * same state machine hash. Throws an InvariantViolation otherwise.
   */
  checkConverged(): void {
    const problem = this.convergenceProblem();
    this.must(problem === null, () => `convergence: ${problem}`);
  }

  /** Why the cluster has not converged (see checkConverged), or null when it has. */
  convergenceProblem(): string | null {
    const lead = this.leader();
    if (lead === null) return 'no leader';
    const ls = (this.node(lead) as RaftNode).status();
    const sm = (this.member(lead) as Member).sm;
    for (const id of this.ids) {
      const m = this.member(id);
      if (m === undefined || this.hosts.state(id) !== 'up') return `node ${id} is ${this.hosts.state(id)}`;
      const s = m.node.status();
      if (s.stopped !== null) return `node ${id} stopped: ${s.stopped}`;
      if (s.applied !== ls.commit) return `node ${id} applied ${s.applied}, leader ${lead} committed ${ls.commit}`;
      if (m.sm.lastIndex !== sm.lastIndex || m.sm.hash !== sm.hash) return `node ${id} state machine (${m.sm.lastIndex}, ${m.sm.hash}) differs from leader ${lead}'s (${sm.lastIndex}, ${sm.hash})`;
    }
    return null;
  }

  /** Payloads any node applied (so committed), in index order. */
  committedPayloads(): string[] {
    return [...this.applied].sort((a, b) => a[0] - b[0]).map(([, e]) => e.data);
  }

  /**
   * Committed entries the state machine of `id` does not reflect: those past its last index,
   * or all of them if its hash differs from the hash of the committed entries up to that index.
   */
  missingCommitted(id: NodeId): number {
    const sm = (this.member(id) as Member).sm;
    const upTo = [...this.applied].filter(([index]) => index <= sm.lastIndex).map(([index, e]) => [index, e.data] as const);
    if (appendLogHash(upTo) !== sm.hash) return this.applied.size;
    return this.applied.size - upTo.length;
  }

  /** Runs raft/invariants' checker over every running node now. */
  observeSafety(): void {
    const nodes: NodeObservation[] = [];
    for (const id of this.ids) {
      const n = this.node(id);
      if (n === undefined || this.hosts.state(id) === 'down' || n.status().stopped !== null) continue;
      const s = n.raftStatus();
      nodes.push({ id, term: s.term, role: s.role, commit: s.commit, log: n.logView() });
    }
    this.withSeed(() => this.safety.observe(nodes));
  }

  private build(ctx: HostContext, bootstrap = true): Member {
    const id = ctx.id as NodeId;
    this.promises.set(id, { lastAck: null, lastVote: null });
    if (ctx.incarnation > 1) this.safety.onRestart(id);
    this.fedApplied.delete(id);
    const sm = new AppendLog(
      (e) => this.onApply(id, e),
      (index) => {
        this.withSeed(() => this.safety.onSnapshotApplied(id, index));
        this.fedApplied.set(id, index);
      },
    );
    const userObserver = this.o.observer?.(id) ?? {};
    const observer: NodeObserver = {
      ...userObserver,
      onApplied: (index) => {
        this.feedApplied(id, index);
        userObserver.onApplied?.(index);
      },
    };
    const node = createRaftNode<Message>({
      ...this.o.node,
      ctx,
      disk: this.disks.of(id),
      channels: this.channels,
      wrap: (m) => m,
      peers: [...this.ids],
      bootstrap,
      stateMachine: sm,
      observer,
      crash: () => {
        this.recordCrash(id, this.pendingCrash.get(id) ?? 'external');
        this.hosts.crash(id);
      },
      crashPoint: (name) => {
        const hit = this.o.crashPoint?.(id, name) ?? false;
        if (hit) this.pendingCrash.set(id, name);
        return hit;
      },
    });
    this.network.listen(id, (from, msg) => node.receive(from as NodeId, msg));
    return { node, sm };
  }

  /** Hands the checker every entry (empty, conf change or normal) the node applied up to `index`. */
  private feedApplied(id: NodeId, index: number): void {
    const from = (this.fedApplied.get(id) ?? 0) + 1;
    this.fedApplied.set(id, index);
    if (from > index) return;
    const ents = this.node(id)?.logView().entries(from as LogIndex, (index + 1) as LogIndex);
    this.must(ents !== null && ents !== undefined && ents.length === index - from + 1, () => `test cluster: node ${id} applied ${from}..${index} but its log does not hold them`);
    this.withSeed(() => this.safety.onApply(id, ents));
  }

  private withSeed(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (err instanceof InvariantViolation && err.seed === undefined) throw new InvariantViolation(err.invariant, String(this.o.seed));
      throw err;
    }
  }

  private onApply(id: NodeId, e: Entry): void {
    const data = new TextDecoder().decode(e.data);
    const seen = this.applied.get(e.index);
    if (seen === undefined) {
      this.applied.set(e.index, { term: e.term, data });
      return;
    }
    this.must(seen.term === e.term && seen.data === data, () => `state machine safety: node ${id} applied ${e.term}/${e.index} ${JSON.stringify(data)}, another node applied ${seen.term}/${e.index} ${JSON.stringify(seen.data)}`);
  }

  private onTrace(e: TraceEvent): void {
    if (e.kind === 'raft.role' && e.fields['role'] === 'leader') {
      const term = e.fields['term'] as number;
      const prev = this.leaders.get(term);
      this.must(prev === undefined || prev === e.host, () => `election safety: nodes ${prev} and ${e.host} both led term ${term}`);
      this.leaders.set(term, e.host as number);
      return;
    }
    if (e.kind !== 'raft.send' || e.host === null) return;
    const p = this.promises.get(e.host as NodeId);
    if (p === undefined) return;
    const f = e.fields;
    if (f['type'] === 'MsgAppResp' && f['reject'] === false) {
      const index = f['index'] as number;
      const t = this.node(e.host as NodeId)?.logView().term(index as LogIndex) ?? null;
      p.lastAck = { term: f['term'] as number, index, entryTerm: t };
    } else if (f['type'] === 'MsgVoteResp' && f['reject'] === false) {
      p.lastVote = { term: f['term'] as number, to: f['to'] as number };
    }
  }

  private recordCrash(id: NodeId, point: CrashPoint | 'external'): void {
    this.pendingCrash.delete(id);
    const n = this.node(id);
    if (n === undefined) return;
    const s = n.raftStatus();
    const p = this.promises.get(id) ?? { lastAck: null, lastVote: null };
    this.crashes.push({
      id,
      atUs: this.now,
      point,
      role: s.role,
      before: { lastIndex: n.logView().lastIndex(), commit: s.commit, applied: n.status().applied, term: s.term },
      after: null,
      lastAck: p.lastAck,
      lastVote: p.lastVote,
    });
  }

  /** What the node promised before the crash must be on its disk. */
  private checkRecovered(rec: CrashRecord, m: Member): void {
    const st = m.node.status();
    if (st.stopped !== null) throw new InvariantViolation(`recovery: node ${rec.id} refused to start after a crash at ${rec.point}: ${st.stopped}`, String(this.o.seed));
    const s = m.node.raftStatus();
    const log = m.node.logView();
    rec.after = { lastIndex: log.lastIndex(), commit: s.commit, term: s.term, snapshotIndex: st.snapshotIndex };
    // Entries are persisted before they are applied: whatever the node applied (and a lone node
    // acknowledged to its clients, etcd #14370) is in its recovered log or snapshot.
    const held = Math.max(log.lastIndex(), st.snapshotIndex);
    this.must(held >= rec.before.applied, () => `durability: node ${rec.id} applied up to ${rec.before.applied} but recovered only up to ${held} (crash at ${rec.point})`);
    const ack = rec.lastAck;
    if (ack !== null) {
      this.must(s.term >= ack.term, () => `durability: node ${rec.id} acknowledged at term ${ack.term} but recovered term ${s.term} (crash at ${rec.point})`);
      // Log matching: holding the acknowledged entry (same index and term) means holding everything
      // before it. A newer leader's entries made durable since may have replaced it.
      const have = ack.index <= st.snapshotIndex ? ack.entryTerm : log.term(ack.index as LogIndex);
      const superseded = log.lastIndex() >= 1 && (log.term(log.lastIndex()) ?? 0) > ack.term;
      this.must(ack.entryTerm === null || have === ack.entryTerm || ack.index <= st.snapshotIndex || superseded, () => `durability: node ${rec.id} acknowledged entry ${ack.entryTerm}/${ack.index} but recovered ${have}/${ack.index} (crash at ${rec.point})`);
    }
    const vote = rec.lastVote;
    if (vote !== null) {
      const votedNow = s.term > vote.term || (s.term === vote.term && s.vote === vote.to);
      this.must(votedNow, () => `durability: node ${rec.id} voted for ${vote.to} at term ${vote.term} but recovered term ${s.term} vote ${s.vote} (crash at ${rec.point})`);
    }
  }

  private must(cond: unknown, message: string | (() => string)): asserts cond {
    if (!cond) throw new InvariantViolation(typeof message === 'string' ? message : message(), String(this.o.seed));
  }
}

/** A cluster of `options.size` nodes, started. */
export function createTestCluster(options: TestClusterOptions): TestCluster {
  return new TestCluster(options);
}
