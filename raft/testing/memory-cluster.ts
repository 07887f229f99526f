/**
 * An in-memory cluster of RawNodes for tests: each node has a MemoryStorage and an "appender"
 * state machine; messages sit in one in-flight list that the test delivers, drops, duplicates or
 * reorders at will; partitions cut delivery between groups. Nothing here is timed: the test drives
 * every tick, every Ready and every delivery, so a failing schedule replays exactly.
 *
 * The node layer of the simulator does the same with a WAL, a simulated network and virtual time;
 * this is the smallest faithful host of the core.
 *
 * With `config.asyncStorageWrites`, a Ready's MsgStorageAppend / MsgStorageApply wait in the node's
 * append and apply queues until `processAppendThread` / `processApplyThread` work them off (in
 * order); then the responses to the node itself are stepped at once (local delivery is reliable)
 * and those to peers join the network like any message. A restart loses the queued writes.
 */
import { assert } from '../../sim/assert.js';
import type { Random } from '../../sim/random.js';
import { decodeConfChange } from '../core/conf-change-codec.js';
import type { Config } from '../core/config.js';
import type { Message, MsgStorageAppend, MsgStorageApply } from '../core/messages.js';
import type { Ready } from '../core/raw-node.js';
import { RawNode } from '../core/raw-node.js';
import { MemoryStorage } from '../core/storage.js';
import type { ConfChange, ConfState, Entry, LogIndex, NodeId, Snapshot, Term } from '../core/types.js';
import { EMPTY_CONF_STATE } from '../core/types.js';
import { AppliedStateStorage } from './applied-state-storage.js';

export interface ClusterOptions {
  /** Every node of the run, members or not. */
  readonly ids: readonly number[];
  /** Initial voters (default: all ids). Others start empty, outside the configuration. */
  readonly voters?: readonly number[];
  readonly learners?: readonly number[];
  /** Root of the election-timeout streams (`raft/n<ID>/election` is forked off it). */
  readonly random: Random;
  /** Config fields common to every node (id, storage, random, applied are filled in). */
  readonly config?: Partial<Omit<Config, 'id' | 'storage' | 'random' | 'applied'>>;
  /** Called with the entries each node applies, and with snapshots it installs. */
  readonly onApply?: (id: NodeId, entries: readonly Entry[]) => void;
  readonly onSnapshot?: (id: NodeId, index: LogIndex) => void;
  /** Called when a node restarts (its applied index goes back to its snapshot). */
  readonly onRestart?: (id: NodeId) => void;
}

/** The state machine as of an applied index. */
export interface AppliedState {
  readonly index: LogIndex;
  readonly term: Term;
  readonly confState: ConfState;
  /** A digest of the applied data (order-sensitive), to compare state machines. */
  readonly digest: string;
}

export class ClusterNode {
  raw: RawNode;
  readonly storage: AppliedStateStorage;
  applied: AppliedState;
  /** The state after each applied index, so a compaction can snapshot exactly that index. */
  readonly history = new Map<number, AppliedState>();
  /** asyncStorageWrites: writes handed out and not yet done, oldest first. */
  appendWork: MsgStorageAppend[] = [];
  applyWork: MsgStorageApply[] = [];

  constructor(
    readonly id: NodeId,
    private readonly cfg: Omit<Config, 'storage' | 'applied'>,
    bootstrap: Snapshot | null,
  ) {
    const mem = new MemoryStorage();
    if (bootstrap !== null) assert(mem.applySnapshot(bootstrap).ok, 'cluster: bootstrap snapshot');
    this.applied = stateOf(bootstrap ?? EMPTY_SNAPSHOT_AT_ZERO);
    this.history.set(this.applied.index, this.applied);
    this.storage = new AppliedStateStorage(mem, () => ({
      metadata: { index: this.applied.index, term: this.applied.term, confState: this.applied.confState },
      data: new TextEncoder().encode(this.applied.digest),
    }));
    this.raw = new RawNode({ ...cfg, storage: this.storage, applied: this.applied.index });
  }

  /**
   * A crash and restart: everything not in the storage is lost (here nothing unsynced exists,
   * every Ready is persisted before advance). The state machine restarts from the storage's
   * snapshot and re-applies the log after it (Config.applied = the snapshot index).
   */
  restart(): void {
    // Queued writes were never done: they are lost with the process.
    this.appendWork = [];
    this.applyWork = [];
    const snap = this.storage.mem.persistedSnapshot();
    this.applied = stateOf(snap);
    this.raw = new RawNode({ ...this.cfg, storage: this.storage, applied: this.applied.index });
  }
}

const EMPTY_SNAPSHOT_AT_ZERO: Snapshot = { metadata: { index: 0 as LogIndex, term: 0 as Term, confState: EMPTY_CONF_STATE }, data: new Uint8Array(0) };

function stateOf(s: Snapshot): AppliedState {
  const m = s.metadata;
  return { index: m.index, term: m.term, confState: m.confState, digest: new TextDecoder().decode(s.data) };
}

/** A bound on stabilize rounds. */
const ROUNDS_MAX = 10_000;
/** Bootstrap snapshot index (as etcd's harness: > 1). */
export const BOOTSTRAP_INDEX = 10;

export class MemoryCluster {
  readonly nodes = new Map<NodeId, ClusterNode>();
  /** Messages in flight, in send order. */
  network: Message[] = [];
  /** node → partition group; empty = fully connected. */
  private group = new Map<NodeId, number>();

  constructor(private readonly opts: ClusterOptions) {
    const voters = (opts.voters ?? opts.ids) as NodeId[];
    const learners = (opts.learners ?? []) as NodeId[];
    const cs: ConfState = { ...EMPTY_CONF_STATE, voters, learners };
    const boot: Snapshot = { metadata: { index: BOOTSTRAP_INDEX as LogIndex, term: 1 as Term, confState: cs }, data: new Uint8Array(0) };
    for (const raw of opts.ids) {
      const id = raw as NodeId;
      const member = voters.includes(id) || learners.includes(id);
      const cfg = { electionTick: 10, heartbeatTick: 1, ...opts.config, id, random: opts.random.fork(`raft/n${id}/election`) };
      this.nodes.set(id, new ClusterNode(id, cfg, member ? boot : null));
    }
  }

  node(id: number): ClusterNode {
    const n = this.nodes.get(id as NodeId);
    assert(n !== undefined, () => `cluster: no node ${id}`);
    return n;
  }

  ids(): NodeId[] {
    return [...this.nodes.keys()];
  }

  /** Persists, applies and sends one Ready of node `id` (the etcd order), then advances. */
  processReady(id: number): boolean {
    const n = this.node(id);
    if (!n.raw.hasReady()) return false;
    const rd = n.raw.ready();
    if (this.opts.config?.asyncStorageWrites === true) {
      for (const m of rd.messages) {
        if (m.type === 'MsgStorageAppend') n.appendWork.push(m);
        else if (m.type === 'MsgStorageApply') this.queueApply(n, m);
        else this.network.push(m);
      }
      return true;
    }
    this.persist(n, rd);
    this.network.push(...rd.messages, ...rd.messagesAfterAppend);
    this.apply(n, rd);
    n.raw.advance(rd);
    return true;
  }

  private persist(n: ClusterNode, rd: Ready): void {
    if (rd.snapshot !== null) {
      assert(n.storage.mem.applySnapshot(rd.snapshot).ok, 'cluster: snapshot out of date');
    }
    n.storage.mem.append(rd.entries);
    if (rd.hardState !== null) n.storage.mem.setHardState(rd.hardState);
  }

  private apply(n: ClusterNode, rd: Ready): void {
    if (rd.snapshot !== null) {
      n.applied = stateOf(rd.snapshot);
      n.history.set(n.applied.index, n.applied);
      this.opts.onSnapshot?.(n.id, n.applied.index);
    }
    this.applyEntries(n, rd.committedEntries);
  }

  private applyEntries(n: ClusterNode, ents: readonly Entry[]): void {
    for (const e of ents) {
      let cs = n.applied.confState;
      if (e.type !== 'normal') cs = n.raw.applyConfChange(decodeConfChange(e.type, e.data));
      n.applied = { index: e.index, term: e.term, confState: cs, digest: digest(n.applied.digest, e) };
      n.history.set(e.index, n.applied);
    }
    if (ents.length > 0) this.opts.onApply?.(n.id, ents);
  }

  /**
   * asyncStorageWrites: only entries durable locally are handed out to apply; they were written
   * by an append already done (committed entries are never overwritten after).
   */
  private queueApply(n: ClusterNode, m: MsgStorageApply): void {
    for (const e of m.entries) {
      const t = n.storage.mem.term(e.index);
      assert(t.ok && t.value === e.term, () => `cluster: node ${n.id} handed out ${e.term}/${e.index} to apply before it was durable`);
    }
    n.applyWork.push(m);
  }

  /** asyncStorageWrites: node `id`'s append thread does its oldest write; false if none. */
  processAppendThread(id: number): boolean {
    const n = this.node(id);
    const m = n.appendWork.shift();
    if (m === undefined) return false;
    if (m.term !== 0 || m.vote !== 0 || m.commit !== 0) n.storage.mem.setHardState({ term: m.term, vote: m.vote, commit: m.commit });
    if (m.snapshot !== null) {
      assert(n.storage.mem.applySnapshot(m.snapshot).ok, 'cluster: snapshot out of date');
      n.applied = stateOf(m.snapshot);
      n.history.set(n.applied.index, n.applied);
      this.opts.onSnapshot?.(n.id, n.applied.index);
    }
    n.storage.mem.append(m.entries);
    this.respond(n, m.responses);
    return true;
  }

  /** asyncStorageWrites: node `id`'s apply thread applies its oldest batch; false if none. */
  processApplyThread(id: number): boolean {
    const n = this.node(id);
    const m = n.applyWork.shift();
    if (m === undefined) return false;
    this.applyEntries(n, m.entries);
    this.respond(n, m.responses);
    return true;
  }

  private respond(n: ClusterNode, resps: readonly Message[]): void {
    for (const r of resps) {
      if (r.to === n.id) n.raw.step(r);
      else this.network.push(r);
    }
  }

  /** Delivers the k-th in-flight message (dropped if a partition separates its ends). */
  deliver(k: number): Message | null {
    const m = this.network[k];
    if (m === undefined) return null;
    this.network.splice(k, 1);
    const from = this.nodes.get(m.from);
    if (this.cut(m.from, m.to)) {
      if (m.type === 'MsgSnap') from?.raw.reportSnapshot(m.to, 'failure');
      return m;
    }
    this.node(m.to).raw.step(m);
    // The transport reports a snapshot once it is through.
    if (m.type === 'MsgSnap') from?.raw.reportSnapshot(m.to, 'finish');
    return m;
  }

  /** Drops the k-th in-flight message; the sender may learn the peer was unreachable. */
  drop(k: number, reportUnreachable = false): void {
    const m = this.network[k];
    if (m === undefined) return;
    this.network.splice(k, 1);
    const from = this.nodes.get(m.from);
    if (m.type === 'MsgSnap') from?.raw.reportSnapshot(m.to, 'failure');
    else if (reportUnreachable) from?.raw.reportUnreachable(m.to);
  }

  duplicate(k: number): void {
    const m = this.network[k];
    if (m !== undefined) this.network.push(m);
  }

  partition(groups: readonly (readonly number[])[]): void {
    this.group = new Map();
    groups.forEach((g, i) => g.forEach((id) => this.group.set(id as NodeId, i)));
  }

  heal(): void {
    this.group = new Map();
  }

  cut(a: NodeId, b: NodeId): boolean {
    return this.group.size > 0 && this.group.get(a) !== this.group.get(b);
  }

  tick(id: number): void {
    this.node(id).raw.tick();
  }

  propose(id: number, data: string): boolean {
    return this.node(id).raw.propose(new TextEncoder().encode(data)).ok;
  }

  proposeConfChange(id: number, cc: ConfChange): boolean {
    return this.node(id).raw.proposeConfChange(cc).ok;
  }

  /** Compacts node `id`'s log up to its applied index (keeping `keep` entries before it). */
  compact(id: number, keep = 0): void {
    const n = this.node(id);
    const at = (n.applied.index - keep) as LogIndex;
    const state = n.history.get(at);
    if (state === undefined || at <= n.storage.mem.firstIndex() - 1 || at > n.storage.mem.lastIndex()) return;
    // Snapshot the state machine at `at` first, then drop the log it covers (etcd's order).
    const snap = n.storage.mem.createSnapshot(at, state.confState, new TextEncoder().encode(state.digest));
    assert(snap.ok, 'cluster: create snapshot');
    assert(n.storage.mem.compact(at).ok, 'cluster: compact');
  }

  /** Crashes and restarts node `id` from its storage (in-flight messages stay in flight). */
  restart(id: number): void {
    const n = this.node(id);
    n.restart();
    this.opts.onRestart?.(n.id);
    this.opts.onSnapshot?.(n.id, n.applied.index);
  }

  /** Handles every Ready and delivers every message until nothing moves. */
  stabilize(): void {
    for (let round = 0; round < ROUNDS_MAX; round++) {
      let moved = false;
      for (const id of this.ids()) moved = this.processReady(id) || moved;
      for (const id of this.ids()) {
        while (this.processAppendThread(id)) moved = true;
        while (this.processApplyThread(id)) moved = true;
      }
      while (this.network.length > 0) {
        this.deliver(0);
        moved = true;
      }
      if (!moved) return;
    }
    assert(false, 'cluster: stabilize did not quiesce');
  }

  /** Ticks every node `ticks` times, stabilizing after each round. */
  tickAll(ticks: number): void {
    for (let i = 0; i < ticks; i++) {
      for (const id of this.ids()) this.tick(id);
      this.stabilize();
    }
  }

  leaders(): NodeId[] {
    return this.ids().filter((id) => this.node(id).raw.status().role === 'leader');
  }
}

/** A rolling digest of the applied entries (order-sensitive), to compare state machines. */
function digest(prev: string, e: Entry): string {
  let h = 0;
  const s = `${prev}|${e.term}/${e.index}/${e.type}/${Array.from(e.data).join(',')}`;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return (h >>> 0).toString(16);
}
