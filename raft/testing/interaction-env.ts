/**
 * A deterministic, message-by-message environment for raft nodes, driven by script commands
 * (etcd-io/raft's `rafttest.InteractionEnv`). Messages go into one in-flight list; commands decide
 * when Readies are handled and which messages are delivered or dropped. Output mirrors etcd's, so
 * a transcript here can be read side by side with etcd's testdata.
 *
 * Commands: add-nodes, campaign, propose, propose-conf-change, process-ready, deliver-msgs,
 * stabilize, tick-election, tick-heartbeat, tick, set-randomized-election-timeout, raft-state,
 * raft-log, status, compact, transfer-leadership, report-unreachable, report-snapshot,
 * send-snapshot, forget-leader, read-index, partition, heal, log-level, process-append-thread,
 * process-apply-thread.
 *
 * `add-nodes … async-storage-writes=true` gives nodes etcd's AsyncStorageWrites: a Ready's
 * MsgStorageAppend / MsgStorageApply go to the node's append and apply queues (its "threads"),
 * which process-append-thread / process-apply-thread (and stabilize) work off one message at a
 * time, delivering the responses into the in-flight list. Messages a node sends itself or its
 * threads are local: never dropped (by drop= or a partition), as in etcd's harness.
 *
 * As in etcd's harness, the lines under a command (before `----`) are further commands run in the
 * same block, except for propose-conf-change, whose input is the change itself.
 */
import { assert } from '../../sim/assert.js';
import type { Random } from '../../sim/random.js';
import { decodeConfChange } from '../core/conf-change-codec.js';
import type { Config } from '../core/config.js';
import type { RaftEvent } from '../core/events.js';
import { describeEvent } from '../core/events.js';
import type { Message, MsgStorageAppend, MsgStorageApply } from '../core/messages.js';
import { describeEntry, describeMessage, describeMessageWithoutResponses, describeSnapshot, isLocalThread } from '../core/messages.js';
import type { Ready } from '../core/raw-node.js';
import { RawNode } from '../core/raw-node.js';
import { MemoryStorage } from '../core/storage.js';
import type {
  ConfChange, ConfChangeSingle, ConfChangeTransition, ConfState, Entry, LogIndex, NodeId, Snapshot, Term,
} from '../core/types.js';
import { EMPTY_CONF_STATE, bytesKey, nodeId } from '../core/types.js';
import { AppliedStateStorage } from './applied-state-storage.js';
import type { CmdArg } from './datadriven.js';
import { parseCommand } from './datadriven.js';

interface EnvNode {
  readonly id: NodeId;
  readonly raw: RawNode;
  readonly storage: AppliedStateStorage;
  readonly electionTick: number;
  readonly heartbeatTick: number;
  /** Snapshots of the (appender) state machine after each applied entry. */
  readonly history: Snapshot[];
  /** Config.asyncStorageWrites. */
  readonly storageThreads: boolean;
  /** MsgStorageAppend not yet processed by the append thread, in order. */
  readonly appendWork: MsgStorageAppend[];
  /** MsgStorageApply not yet processed by the apply thread, in order. */
  readonly applyWork: MsgStorageApply[];
}

export interface InteractionOptions {
  /** The election-timeout stream of node `id`. */
  readonly randomFor: (id: NodeId) => Random;
}

/** A bound on stabilize rounds: a script that never quiesces is a bug in the core or the script. */
const STABILIZE_ROUNDS_MAX = 10_000;

export class InteractionEnv {
  private readonly nodes: EnvNode[] = [];
  private messages: Message[] = [];
  private out: string[] = [];
  private indent = '';
  /** etcd's levels: every event of the core is INFO; `none` also silences the harness. */
  private level: LogLevel = 'info';
  /** Partition groups: node → group number; messages across groups are dropped on delivery. */
  private group = new Map<NodeId, number>();

  constructor(private readonly opts: InteractionOptions) {}

  /** Runs one command and returns its output ("ok" when it printed nothing). */
  run(command: string, args: readonly CmdArg[], input: readonly string[]): string {
    this.out = [];
    this.indent = '';
    this.dispatch(command, args, input);
    if (command !== 'propose-conf-change') {
      for (const line of input) {
        if (line.trim() === '') continue;
        const next = parseCommand(line);
        this.dispatch(next.command, next.args, []);
      }
    }
    return this.out.length === 0 ? 'ok' : this.out.join('\n');
  }

  private print(line: string): void {
    // `log-level none` silences everything, as etcd's harness does (set-up steps stay short).
    if (this.level === 'none') return;
    for (const l of line.split('\n')) this.out.push(this.indent + l);
  }

  private onEvent = (e: RaftEvent): void => {
    if (LOG_LEVELS.indexOf(this.level) > LOG_LEVELS.indexOf('info')) return;
    this.print(`INFO ${describeEvent(e)}`);
  };

  private dispatch(command: string, args: readonly CmdArg[], input: readonly string[]): void {
    switch (command) {
      case 'log-level':
        this.level = parseLogLevel(firstWord(args));
        return;
      case 'add-nodes':
        return this.addNodes(args);
      case 'campaign':
        return this.reportStep(this.node(args).raw.campaign());
      case 'propose':
        return this.reportStep(this.node(args).raw.propose(new TextEncoder().encode(word(args, 1))));
      case 'propose-conf-change':
        return this.reportStep(this.node(args).raw.proposeConfChange(parseConfChange(args, input)));
      case 'process-ready':
        return this.forEach(args, 'handling Ready', (n) => this.processReady(n));
      case 'deliver-msgs':
        return this.deliverMsgsCommand(args);
      case 'stabilize':
        return this.stabilizeCommand(args);
      default:
        return this.dispatchMore(command, args);
    }
  }

  private dispatchMore(command: string, args: readonly CmdArg[]): void {
    switch (command) {
      case 'tick-election':
        return this.tick(this.node(args), this.node(args).electionTick);
      case 'tick-heartbeat':
        return this.tick(this.node(args), this.node(args).heartbeatTick);
      case 'tick':
        return this.tick(this.node(args), Number(word(args, 1)));
      case 'set-randomized-election-timeout':
        return this.node(args).raw.setRandomizedElectionTimeoutForTest(Number(keyVal(args, 'timeout')));
      case 'raft-state':
        return this.raftState();
      case 'raft-log':
        return this.raftLog(this.node(args));
      case 'status':
        return this.node(args).raw.describeProgress().forEach((l) => this.print(l));
      default:
        return this.dispatchRest(command, args);
    }
  }

  private dispatchRest(command: string, args: readonly CmdArg[]): void {
    switch (command) {
      case 'compact': {
        const n = this.node(args);
        const res = n.storage.mem.compact(Number(word(args, 1)) as LogIndex);
        assert(res.ok, () => `compact: ${res.ok ? '' : res.error}`);
        return this.raftLog(n);
      }
      case 'transfer-leadership':
        return this.byId(Number(keyVal(args, 'from'))).raw.transferLeader(nodeId(Number(keyVal(args, 'to'))));
      case 'report-unreachable':
        return this.node(args).raw.reportUnreachable(nodeId(Number(word(args, 1))));
      case 'report-snapshot':
        return this.node(args).raw.reportSnapshot(nodeId(Number(word(args, 1))), word(args, 2) === 'failure' ? 'failure' : 'finish');
      case 'send-snapshot':
        return this.sendSnapshot(this.node(args), this.byId(Number(word(args, 1))));
      case 'forget-leader':
        return this.node(args).raw.forgetLeader();
      case 'read-index':
        return this.node(args).raw.readIndex(new TextEncoder().encode(word(args, 1)));
      case 'process-append-thread':
        return this.forEachThread(args, 'append', (n) => this.processAppendThread(n));
      case 'process-apply-thread':
        return this.forEachThread(args, 'apply', (n) => this.processApplyThread(n));
      case 'partition':
        return this.partition(args);
      case 'heal':
        this.group = new Map();
        return;
      default:
        assert(false, () => `interaction: unknown command ${command}`);
    }
  }

  private reportStep(res: { ok: boolean; error?: string }): void {
    if (!res.ok) this.print(`error: ${res.error ?? ''}`);
  }

  private node(args: readonly CmdArg[]): EnvNode {
    return this.byId(Number(word(args, 0)));
  }

  private byId(id: number): EnvNode {
    const n = this.nodes[id - 1];
    assert(n !== undefined, () => `interaction: no node ${id}`);
    return n;
  }

  private forEach(args: readonly CmdArg[], what: string, fn: (n: EnvNode) => void): void {
    const ids = args.filter((a) => a.vals.length === 0).map((a) => Number(a.key));
    if (ids.length === 1) {
      fn(this.byId(ids[0] as number));
      return;
    }
    for (const id of ids) this.section(`> ${id} ${what}`, () => fn(this.byId(id)));
  }

  private forEachThread(args: readonly CmdArg[], thread: 'append' | 'apply', fn: (n: EnvNode) => void): void {
    this.forEach(args, `processing ${thread} thread`, fn);
  }

  private section(title: string, fn: () => void): void {
    this.print(title);
    const saved = this.indent;
    this.indent += '  ';
    fn();
    this.indent = saved;
  }

  private addNodes(args: readonly CmdArg[]): void {
    const count = Number(word(args, 0));
    const voters: NodeId[] = [];
    const learners: NodeId[] = [];
    let index = 0;
    const cfg: Record<string, unknown> = {};
    for (const a of args.slice(1)) {
      const v = a.vals[0] ?? '';
      if (a.key === 'voters') voters.push(...a.vals.map((x) => nodeId(Number(x))));
      else if (a.key === 'learners') learners.push(...a.vals.map((x) => nodeId(Number(x))));
      else if (a.key === 'index') index = Number(v);
      else cfg[a.key] = v;
    }
    for (let i = 0; i < count; i++) this.addNode({ ...EMPTY_CONF_STATE, voters, learners }, index, cfg);
  }

  private addNode(cs: ConfState, index: number, opts: Record<string, unknown>): void {
    const id = nodeId(this.nodes.length + 1);
    const mem = new MemoryStorage();
    const snap: Snapshot = { metadata: { index: index as LogIndex, term: (index > 0 ? 1 : 0) as Term, confState: cs }, data: new Uint8Array(0) };
    if (index > 0) {
      assert(index > 1, 'add-nodes: index must be > 1 (bootstrap)');
      assert(mem.applySnapshot(snap).ok, 'add-nodes: cannot apply the bootstrap snapshot');
    }
    const history: Snapshot[] = [snap];
    const storage = new AppliedStateStorage(mem, () => history[history.length - 1] as Snapshot);
    const config: Config = {
      id, electionTick: 3, heartbeatTick: 1, storage, random: this.opts.randomFor(id), applied: index as LogIndex,
      maxInflightMsgs: opts['inflight'] !== undefined ? Number(opts['inflight']) : 2 ** 31 - 1,
      preVote: opts['prevote'] === 'true',
      checkQuorum: opts['checkquorum'] === 'true',
      readOnly: opts['read-only'] === 'lease-based' ? 'lease-based' : 'safe',
      stepDownOnRemoval: opts['step-down-on-removal'] === 'true',
      asyncStorageWrites: opts['async-storage-writes'] === 'true',
      disableConfChangeValidation: opts['disable-conf-change-validation'] === 'true',
      maxUncommittedEntriesSizeBytes: Number(opts['max-uncommitted-size'] ?? 0),
      maxCommittedSizePerReadyBytes: Number(opts['max-committed-size-per-ready'] ?? 0),
      ...(opts['max-size-per-msg'] !== undefined ? { maxSizePerMsgBytes: Number(opts['max-size-per-msg']) } : {}),
      onEvent: this.onEvent,
    };
    this.nodes.push({
      id, raw: new RawNode(config), storage, electionTick: 3, heartbeatTick: 1, history,
      storageThreads: config.asyncStorageWrites === true, appendWork: [], applyWork: [],
    });
  }

  private processReady(n: EnvNode): void {
    const rd = n.raw.ready();
    this.print(describeReady(rd));
    if (n.storageThreads) {
      // The writes are messages to the node's threads; everything else goes on the wire.
      for (const m of rd.messages) {
        if (m.type === 'MsgStorageAppend') n.appendWork.push(m);
        else if (m.type === 'MsgStorageApply') n.applyWork.push(m);
        else this.messages.push(m);
      }
      return;
    }
    // Persist (snapshot, entries, hard state), then apply, then hand out the messages.
    if (rd.snapshot !== null) {
      const first = rd.entries[0];
      assert(first === undefined || first.index > rd.snapshot.metadata.index, 'ready: snapshot and overlapping entries');
      assert(n.storage.mem.applySnapshot(rd.snapshot).ok, 'ready: snapshot out of date');
      n.history.push(rd.snapshot);
    }
    n.storage.mem.append(rd.entries);
    if (rd.hardState !== null) n.storage.mem.setHardState(rd.hardState);
    for (const e of rd.committedEntries) this.apply(n, e);
    this.messages.push(...rd.messages, ...rd.messagesAfterAppend);
    n.raw.advance(rd);
  }

  /**
   * The append thread handles its oldest message: hard state (unless all zero), then the snapshot
   * or the entries, then its responses go in flight.
   */
  private processAppendThread(n: EnvNode): void {
    const m = n.appendWork.shift();
    if (m === undefined) {
      this.print('no append work to perform');
      return;
    }
    this.print('Processing:');
    this.print(describeMessageWithoutResponses(m));
    if (m.term !== 0 || m.vote !== 0 || m.commit !== 0) n.storage.mem.setHardState({ term: m.term, vote: m.vote, commit: m.commit });
    if (m.snapshot !== null) {
      assert(m.entries.length === 0, 'append thread: a snapshot and entries at the same time');
      assert(n.storage.mem.applySnapshot(m.snapshot).ok, 'append thread: snapshot out of date');
      n.history.push(m.snapshot);
    } else {
      n.storage.mem.append(m.entries);
    }
    this.deliverResponses(m.responses);
  }

  /** The apply thread applies its oldest message's entries, then its responses go in flight. */
  private processApplyThread(n: EnvNode): void {
    const m = n.applyWork.shift();
    if (m === undefined) {
      this.print('no apply work to perform');
      return;
    }
    this.print('Processing:');
    this.print(describeMessageWithoutResponses(m));
    for (const e of m.entries) this.apply(n, e);
    this.deliverResponses(m.responses);
  }

  private deliverResponses(resps: readonly Message[]): void {
    this.print('Responses:');
    for (const r of resps) this.print(describeMessage(r));
    this.messages.push(...resps);
  }

  /** An "appender" state machine: the state is the concatenation of applied payloads. */
  private apply(n: EnvNode, e: Entry): void {
    const last = n.history[n.history.length - 1] as Snapshot;
    let cs = last.metadata.confState;
    let update = e.data;
    if (e.type !== 'normal') {
      const cc = decodeConfChange(e.type, e.data);
      cs = n.raw.applyConfChange(cc);
      update = cc.context;
    }
    const data = new Uint8Array(last.data.length + update.length);
    data.set(last.data);
    data.set(update, last.data.length);
    n.history.push({ metadata: { index: e.index, term: e.term, confState: cs }, data });
  }

  private deliverMsgsCommand(args: readonly CmdArg[]): void {
    let type: string | null = null;
    const targets: { id: number; drop: boolean }[] = [];
    for (const a of args) {
      if (a.key === 'type') type = a.vals[0] ?? null;
      else if (a.key === 'drop') for (const v of a.vals) targets.push({ id: Number(v), drop: true });
      else targets.push({ id: Number(a.key), drop: false });
    }
    let count = 0;
    for (const t of targets) count += this.deliver(t.id, t.drop, type);
    if (count === 0) this.print('no messages');
  }

  /** Delivers (or drops) the in-flight messages to `to`, in order; returns how many. */
  private deliver(to: number, drop: boolean, type: string | null): number {
    // Local messages (to itself, from or to its threads) need reliable delivery: drop= leaves them.
    const picked = (m: Message): boolean => m.to === to && !(drop && isLocalMessage(m)) && (type === null || m.type === type);
    const mine = this.messages.filter(picked);
    this.messages = this.messages.filter((m) => !picked(m));
    for (const m of mine) {
      const cut = this.group.size > 0 && !isLocalMessage(m) && this.group.get(m.from) !== this.group.get(m.to);
      if (drop || cut) {
        this.print(`dropped: ${describeMessage(m)}`);
        continue;
      }
      this.print(describeMessage(m));
      const res = this.byId(to).raw.step(m);
      if (!res.ok) this.print(`error: ${res.error}`);
    }
    return mine.length;
  }

  /** `stabilize [ids] [log-level=L]`: no ids means every node; the level holds for this command only. */
  private stabilizeCommand(args: readonly CmdArg[]): void {
    const ids = args.filter((a) => a.vals.length === 0).map((a) => this.byId(Number(a.key)));
    const level = args.find((a) => a.key === 'log-level')?.vals[0];
    const saved = this.level;
    if (level !== undefined) this.level = parseLogLevel(level);
    try {
      this.stabilize(ids.length === 0 ? this.nodes : ids);
    } finally {
      this.level = saved;
    }
  }

  /**
   * `send-snapshot 1 3`: queues a MsgSnap from 1 to 3 carrying 1's current snapshot (its applied
   * state) at 1's term, as an application would send one outside raft; 1's progress of 3 is not
   * touched. The message is printed and waits for deliver-msgs like any other.
   */
  private sendSnapshot(from: EnvNode, to: EnvNode): void {
    const snap = from.storage.snapshot();
    assert(snap.ok, () => `send-snapshot: ${snap.ok ? '' : snap.error}`);
    const m: Message = { type: 'MsgSnap', from: from.id, to: to.id, term: from.raw.status().term, snapshot: snap.value };
    this.messages.push(m);
    this.print(describeMessage(m));
  }

  private stabilize(nodes: readonly EnvNode[]): void {
    for (let round = 0; round < STABILIZE_ROUNDS_MAX; round++) {
      let done = true;
      for (const n of nodes) {
        if (!n.raw.hasReady()) continue;
        done = false;
        this.section(`> ${n.id} handling Ready`, () => this.processReady(n));
      }
      for (const n of nodes) {
        if (!this.messages.some((m) => m.to === n.id)) continue;
        done = false;
        this.section(`> ${n.id} receiving messages`, () => this.deliver(n.id, false, null));
      }
      for (const n of nodes) {
        if (n.appendWork.length === 0) continue;
        done = false;
        this.section(`> ${n.id} processing append thread`, () => {
          while (n.appendWork.length > 0) this.processAppendThread(n);
        });
      }
      for (const n of nodes) {
        if (n.applyWork.length === 0) continue;
        done = false;
        this.section(`> ${n.id} processing apply thread`, () => {
          while (n.applyWork.length > 0) this.processApplyThread(n);
        });
      }
      if (done) return;
    }
    assert(false, 'interaction: stabilize did not quiesce');
  }

  private tick(n: EnvNode, count: number): void {
    for (let i = 0; i < count; i++) n.raw.tick();
  }

  private raftState(): void {
    for (const n of this.nodes) {
      const s = n.raw.status();
      const role = { follower: 'StateFollower', 'pre-candidate': 'StatePreCandidate', candidate: 'StateCandidate', leader: 'StateLeader' }[s.role];
      // As etcd's harness: a learner, like a node outside the configuration, is a "Non-Voter".
      const kind = s.config.voters.includes(n.id) || s.config.votersOutgoing.includes(n.id) ? 'Voter' : 'Non-Voter';
      this.print(`${n.id}: ${role} (${kind}) Term:${s.term} Lead:${s.lead}`);
    }
  }

  private raftLog(n: EnvNode): void {
    const s = n.storage.mem;
    const first = s.firstIndex();
    const last = s.lastIndex();
    if (last < first) {
      this.print(`log is empty: first index=${first}, last index=${last}`);
      return;
    }
    const ents = s.entries(first, (last + 1) as LogIndex, Number.MAX_SAFE_INTEGER);
    assert(ents.ok, 'raft-log: storage entries unavailable');
    for (const e of ents.value) this.print(describeEntry(e));
  }

  /** `partition 1 2 | 3`: messages between groups are dropped when delivered, until `heal`. */
  private partition(args: readonly CmdArg[]): void {
    this.group = new Map();
    let g = 0;
    for (const a of args) {
      if (a.key === '|') g++;
      else this.group.set(nodeId(Number(a.key)), g);
    }
  }

  /** Messages in flight, for tests that inspect them. */
  inFlight(): readonly Message[] {
    return this.messages;
  }
}

/** The Ready as etcd's DescribeReady prints it (both message lists under `Messages:`). */
export function describeReady(rd: Ready): string {
  const lines: string[] = [];
  if (rd.softState !== null) lines.push(`Lead:${rd.softState.lead} State:${roleName(rd.softState.role)}`);
  if (rd.hardState !== null) {
    const hs = rd.hardState;
    lines.push(`HardState Term:${hs.term}${hs.vote !== 0 ? ` Vote:${hs.vote}` : ''} Commit:${hs.commit}`);
  }
  if (rd.readStates.length > 0) lines.push(`ReadStates ${rd.readStates.map((s) => `{index:${s.index} ctx:${JSON.stringify(bytesKey(s.requestCtx))}}`).join(' ')}`);
  if (rd.entries.length > 0) lines.push('Entries:', ...rd.entries.map(describeEntry));
  if (rd.snapshot !== null) lines.push(`Snapshot ${describeSnapshot(rd.snapshot)}`);
  if (rd.committedEntries.length > 0) lines.push('CommittedEntries:', ...rd.committedEntries.map(describeEntry));
  const msgs = [...rd.messages, ...rd.messagesAfterAppend];
  if (msgs.length > 0) lines.push('Messages:', ...msgs.map(describeMessage));
  return lines.length === 0 ? '<empty Ready>' : `Ready MustSync=${rd.mustSync}:\n${lines.join('\n')}`;
}

/** A message a node sends itself, or one to or from its storage threads. */
function isLocalMessage(m: Message): boolean {
  return m.from === m.to || isLocalThread(m.from) || isLocalThread(m.to);
}

function roleName(r: 'follower' | 'pre-candidate' | 'candidate' | 'leader'): string {
  return { follower: 'StateFollower', 'pre-candidate': 'StatePreCandidate', candidate: 'StateCandidate', leader: 'StateLeader' }[r];
}


const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'none'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

function parseLogLevel(s: string): LogLevel {
  const l = LOG_LEVELS.find((x) => x === s.toLowerCase());
  assert(l !== undefined, () => `log-level: unknown level ${s}`);
  return l;
}

function word(args: readonly CmdArg[], i: number): string {
  const a = args[i];
  assert(a !== undefined && a.vals.length === 0, () => `interaction: argument ${i} missing`);
  return a.key;
}

function firstWord(args: readonly CmdArg[]): string {
  return word(args, 0);
}

function keyVal(args: readonly CmdArg[], key: string): string {
  const a = args.find((x) => x.key === key);
  assert(a !== undefined && a.vals[0] !== undefined, () => `interaction: ${key}= missing`);
  return a.vals[0];
}

/** `v2 l3 r1 u4` (etcd's ConfChangesFromString) → changes; `v1=true` makes a V1 change. */
function parseConfChange(args: readonly CmdArg[], input: readonly string[]): ConfChange {
  const changes: ConfChangeSingle[] = input.join(' ').split(/\s+/).filter((t) => t !== '').map((t) => {
    const type = ({ v: 'add-node', r: 'remove-node', u: 'update-node', l: 'add-learner-node' } as const)[t[0] as 'v' | 'r' | 'u' | 'l'];
    assert(type !== undefined, () => `propose-conf-change: unknown change ${t}`);
    return { type, nodeId: nodeId(Number(t.slice(1))) };
  });
  const v1 = args.find((a) => a.key === 'v1')?.vals[0] === 'true';
  if (v1) {
    const [c] = changes;
    assert(c !== undefined && changes.length === 1, 'propose-conf-change: v1 takes exactly one change');
    return { version: 1, type: c.type, nodeId: c.nodeId, context: new Uint8Array(0) };
  }
  const t = args.find((a) => a.key === 'transition')?.vals[0] ?? 'auto';
  const transition: ConfChangeTransition = t === 'implicit' ? 'joint-implicit' : t === 'explicit' ? 'joint-explicit' : 'auto';
  return { version: 2, transition, changes, context: new Uint8Array(0) };
}
