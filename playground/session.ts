/**
 * The playground's model of a run: scenarios/runner's steppable run (startRun), the very kernel,
 * raft, node, kv and checkers the CLI runs, plus what a learner needs to see and do.
 *
 *   const p = new Playground({ name: 'prevote-rejoin', scenario, seed: 1 });
 *   p.runFor(500_000);            // half a second of virtual time
 *   p.act({ kind: 'isolate', node: 3 });
 *   p.view();                     // members, messages in flight, clients, links, checks
 *   p.scenarioFile();             // a file `raftsim run` replays with the same trace hash
 *
 * Nothing here reads the real world: the page (playground/page/) decides how often to call it.
 * The session keeps a little state of its own beside the run, all of it fed from trace events
 * (a tap): messages sent and not yet received, each client's current call and last answer, the
 * last time each member heard from a leader, and the narration (narrate.ts). None of it feeds
 * back into the run, so the trace hash is the CLI's.
 */
import type { Operation } from '../sim/history.js';
import type { HostId } from '../sim/host.js';
import { ms as msToUs, toMs, type Micros } from '../sim/time.js';
import type { TraceEvent } from '../sim/trace.js';
import { keyWritesOf, type KeyWrite } from '../scenarios/history-metrics.js';
import { startRun, type RunSession } from '../scenarios/runner.js';
import { memberPicture, PICTURE_LOG_SHOWN, slowLinks } from '../scenarios/report-pictures.js';
import type { PictureEntry, PictureMember } from '../reports/picture/model.js';
import type { RunRecord } from '../record/run-record.js';
import type { Fault, Scenario } from '../scenarios/schema.js';
import type { ReadMode } from '../kv/server/options.js';
import { narrate, type Narration, type NarrationContext } from './narrate.js';

export interface PlaygroundSource {
  /** A built-in's name or a file name: the exported file's description says where it came from. */
  readonly name: string;
  /** A resolved scenario (defaults filled). */
  readonly scenario: Scenario;
  readonly seed: number;
}

/** The switches a learner may flip before a run starts. */
export interface PlaygroundOptions {
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly readMode: ReadMode;
  /** False: etcd's --unsafe-no-fsync. */
  readonly fsync: boolean;
}

/** What a learner can do to the cluster, now. */
export type Action =
  | { readonly kind: 'crash' | 'restart' | 'pause' | 'resume' | 'isolate' | 'fail-disk' | 'crash-writing'; readonly node: HostId }
  | { readonly kind: 'skew'; readonly node: HostId; readonly rate: number }
  /** Every link to and from `node` gets `delayMs` of delay for `forMs` (a congested or far-away path). */
  | { readonly kind: 'slow'; readonly node: HostId; readonly delayMs: number; readonly forMs: number }
  | { readonly kind: 'split'; readonly groups: readonly (readonly HostId[])[] }
  | { readonly kind: 'heal' };

export type LogEntryView = PictureEntry;

/** A member as the report's pictures draw it (scenarios/report-pictures.ts memberPicture), and more. */
export interface MemberView extends Omit<PictureMember, 'id' | 'log'> {
  readonly id: HostId;
  /** Why its node stopped (a disk fault), or null. */
  readonly stopped: string | null;
  /** The newest entries (at most LOG_SHOWN), oldest first; none when the log cannot be read. */
  readonly log: readonly LogEntryView[];
  /** Clock offset from virtual time. */
  readonly clockOffsetMs: number;
}

export interface MessageView {
  readonly id: string;
  readonly from: HostId;
  readonly to: HostId;
  readonly type: string;
  readonly term: number;
  readonly index: number;
  readonly sentUs: Micros;
}

export interface ClientView {
  /** History client index (c0, c1, …) and its host. */
  readonly client: number;
  readonly host: HostId;
  /** The member it talks to now (0: none yet). */
  readonly member: HostId;
  /** The call in progress, if any. */
  readonly pending: string | null;
  /** Its last answer: `range ok`, `put fail: ProposalDropped`. */
  readonly last: string | null;
}

export interface SlowLink {
  readonly from: HostId;
  readonly to: HostId;
  /** The typical delay of the link's model: fixed, the middle of a uniform range, a log-normal's median. */
  readonly delayMs: number;
}

export interface StaleRead {
  readonly op: number;
  readonly client: number;
  readonly key: string;
  readonly atUs: Micros;
  /** The revision the read saw (its key's modRevision, or the store's revision when absent). */
  readonly saw: number;
  /** The newest write acknowledged before the read began. */
  readonly newest: number;
  readonly text: string;
}

export interface PlaygroundView {
  readonly nowUs: Micros;
  readonly phase: RunSession['phase'];
  readonly events: number;
  readonly members: readonly MemberView[];
  readonly messages: readonly MessageView[];
  readonly clients: readonly ClientView[];
  /** Directed links that are cut now (between members and from clients). */
  readonly cutLinks: readonly (readonly [HostId, HostId])[];
  /** Directed links between members whose delay is not the network's (a link-delay fault), with its typical delay. */
  readonly slowLinks: readonly SlowLink[];
  readonly options: PlaygroundOptions;
  readonly staleReads: readonly StaleRead[];
  /** The broken online invariant that ended the run, if one did. */
  readonly violation: string | null;
  readonly injected: readonly Fault[];
}

/** Entries of each log the view carries. */
export const LOG_SHOWN = PICTURE_LOG_SHOWN;
/** A message not received this long after it was sent was lost (a cut, a broken stream): forget it. */
const MESSAGE_TTL_US = 1_000_000;
/** Narration lines kept (a ring of the newest). */
const NARRATION_KEPT = 400;

export function optionsOf(s: Scenario): PlaygroundOptions {
  return { preVote: s.cluster.preVote, checkQuorum: s.cluster.checkQuorum, readMode: s.readMode, fsync: !s.cluster.unsafeNoFsync };
}

/** `s` with the learner's switches applied. */
export function withOptions(s: Scenario, o: PlaygroundOptions): Scenario {
  return { ...s, readMode: o.readMode, cluster: { ...s.cluster, preVote: o.preVote, checkQuorum: o.checkQuorum, unsafeNoFsync: !o.fsync } };
}

export class Playground implements NarrationContext {
  readonly run: RunSession;
  readonly source: PlaygroundSource;
  readonly tickMs: number;
  /** Every narrated line so far (newest last; bounded). */
  readonly narration: Narration[] = [];
  /** Count of narrated lines ever (the ring drops old ones). */
  narrated = 0;
  private readonly inFlight = new Map<string, MessageView>();
  private readonly clientState = new Map<HostId, { member: HostId; pending: string | null; last: string | null }>();
  private readonly heardLeader = new Map<HostId, Micros>();
  private readonly diskFaults = new Set<HostId>();
  private readonly stale: StaleRead[] = [];
  private readonly writesByKey = new Map<string, KeyWrite[]>();
  private historySeen = 0;
  private eventsSeen = 0;
  private lastEvent: TraceEvent | null = null;
  private interesting = 0;
  private readonly listeners: ((e: TraceEvent, p: Playground) => void)[] = [];

  constructor(source: PlaygroundSource) {
    this.source = source;
    this.tickMs = source.scenario.cluster.tickMs;
    for (const host of clientHostsOf(source.scenario)) this.clientState.set(host, { member: 0, pending: null, last: null });
    this.run = startRun({ name: source.name, scenario: source.scenario, seed: source.seed, overrides: [], trace: 'hash-only', keepHistory: true }, { tap: (e) => this.observe(e) });
  }

  /** Calls `fn` on every trace event from now on (a lesson's listener). It must only read. */
  listen(fn: (e: TraceEvent, p: Playground) => void): void {
    this.listeners.push(fn);
  }

  get nowUs(): Micros {
    return this.run.cluster.scheduler.now;
  }

  get scenario(): Scenario {
    return this.source.scenario;
  }

  get events(): number {
    return this.eventsSeen;
  }

  /** The last trace event seen (what `step` stopped after). */
  get last(): TraceEvent | null {
    return this.lastEvent;
  }

  /** Runs scheduler events until at least one trace event is emitted (or the run ends). Returns the events emitted. */
  step(): number {
    const before = this.eventsSeen;
    while (this.eventsSeen === before && this.run.phase !== 'done') this.advance(Number.MAX_SAFE_INTEGER, 1);
    return this.eventsSeen - before;
  }

  /** Runs until the next narrated line marked interesting (election, leader change, commit, fault, violation), at most `maxUs` of virtual time ahead. */
  stepToInteresting(maxUs: Micros = 5_000_000): Narration | null {
    const seen = this.interesting;
    const limit = this.nowUs + maxUs;
    while (this.interesting === seen && this.run.phase !== 'done' && this.nowUs < limit) this.advance(limit, 50);
    return this.interesting === seen ? null : ([...this.narration].reverse().find((n) => n.interesting) ?? null);
  }

  /** Runs `us` of virtual time (or less when `maxEvents` events ran first). */
  runFor(us: Micros, maxEvents = Number.MAX_SAFE_INTEGER): number {
    return this.advance(this.nowUs + us, maxEvents);
  }

  /** Runs until virtual time `untilUs`, or `maxEvents` scheduler events, whichever comes first. */
  advance(untilUs: Micros, maxEvents = Number.MAX_SAFE_INTEGER): number {
    const n = this.run.advance(Math.max(Math.floor(untilUs), this.nowUs), maxEvents);
    this.checkHistory();
    return n;
  }

  /** Runs until `holds()` (checked every `chunk` events) or `limitUs` of virtual time. */
  runUntil(holds: (p: Playground) => boolean, limitUs: Micros, chunk = 20): boolean {
    while (!holds(this) && this.run.phase !== 'done' && this.nowUs < limitUs) this.advance(limitUs, chunk);
    return holds(this);
  }

  /**
   * Does what the learner asked, as a fault of the scenario format on the next free millisecond
   * (the runner's inject), so that the exported file replays it. Returns the fault, or null when
   * it cannot be done now (the safety phase is over, or it makes no sense: restart a running member).
   */
  act(a: Action): Fault | null {
    const faults = a.kind === 'slow' ? slowFaults(a, this.memberIds()) : [faultFor(a, this)];
    if (faults.length === 0 || faults[0] === null) return null;
    let placed: Fault | null = null;
    for (const fault of faults) {
      if (fault === null) continue;
      const at = this.run.inject(fault);
      if (at === null) return placed;
      placed ??= at;
    }
    if (placed === null) return null;
    if (a.kind === 'fail-disk') this.diskFaults.add(a.node);
    if (a.kind === 'restart') this.diskFaults.delete(a.node);
    this.say({ atUs: msToUs(placed.at), host: null, text: `You: ${describeAction(a)} — scheduled at t=${(placed.at / 1000).toFixed(3)} s.`, tags: ['fault'], interesting: true });
    return placed;
  }

  /** The scenario file that replays this session (`raftsim run file.json --seed <seed>`), with a description of where it came from. */
  scenarioFile(): Scenario {
    const s = this.run.scenarioFile();
    const actions = this.run.injected.length;
    return { ...s, description: `${this.source.name} in the playground, seed ${this.source.seed}: ${actions} learner action${actions === 1 ? '' : 's'} in the fault timeline` };
  }

  /** Runs to the end and returns the run record (every check, as `raftsim run` prints them). */
  finish(): RunRecord {
    const r = this.run.finish();
    this.checkHistory();
    return r;
  }

  view(): PlaygroundView {
    const c = this.run.cluster;
    const members = c.members().map((id) => this.memberView(id));
    const now = this.nowUs;
    for (const [id, m] of this.inFlight) if (now - m.sentUs > MESSAGE_TTL_US) this.inFlight.delete(id);
    const clients: ClientView[] = c.clientIds.map((host, k) => {
      const st = this.clientState.get(host);
      return { client: k, host, member: st?.member ?? 0, pending: st?.pending ?? null, last: st?.last ?? null };
    });
    return {
      nowUs: now,
      phase: this.run.phase,
      events: this.eventsSeen,
      members,
      messages: [...this.inFlight.values()],
      clients,
      cutLinks: c.network.cutLinks(),
      slowLinks: this.slowLinks(),
      options: optionsOf(this.source.scenario),
      staleReads: this.stale,
      violation: this.run.violation,
      injected: this.run.injected,
    };
  }

  slowLinks(): SlowLink[] {
    // The same reading of the network as the run report's pictures.
    return slowLinks(this.run.cluster);
  }

  memberView(id: HostId): MemberView {
    const c = this.run.cluster;
    const picture = memberPicture(c, id, this.diskFaults.has(id));
    const node = c.hosts.state(id) === 'down' ? undefined : c.raftNode(id);
    return {
      ...picture,
      id,
      stopped: node?.status().stopped ?? null,
      log: picture.log ?? [],
      clockOffsetMs: toMs(c.hosts.clock(id).offsetUs),
    };
  }

  // NarrationContext
  member(id: HostId): MemberView {
    return this.memberView(id);
  }

  roleOf(id: HostId): { readonly role: string; readonly term: number } {
    const c = this.run.cluster;
    const node = c.hosts.state(id) === 'down' ? undefined : c.raftNode(id);
    if (node === undefined) return { role: 'down', term: 0 };
    const st = node.status();
    return { role: st.role, term: st.term };
  }

  memberIds(): readonly HostId[] {
    return this.run.cluster.members();
  }

  lastHeardFromLeaderUs(id: HostId): Micros | null {
    return this.heardLeader.get(id) ?? null;
  }

  options(): PlaygroundOptions {
    return optionsOf(this.source.scenario);
  }

  private observe(e: TraceEvent): void {
    this.eventsSeen++;
    this.lastEvent = e;
    const f = e.fields;
    if (e.kind === 'raft.send' && e.host !== null) {
      const id = String(f.id);
      this.inFlight.set(id, { id, from: e.host, to: Number(f.to), type: String(f.type), term: Number(f.term), index: Number(f.index ?? 0), sentUs: e.timeUs });
    } else if (e.kind === 'raft.recv' && e.host !== null) {
      this.inFlight.delete(String(f.id));
      if (f.type === 'MsgApp' || f.type === 'MsgHeartbeat' || f.type === 'MsgSnap') this.heardLeader.set(e.host, e.timeUs);
    } else if (e.kind === 'chan.break' && e.host !== null) {
      for (const [id, m] of this.inFlight) if (m.from === e.host && m.to === Number(f.to)) this.inFlight.delete(id);
    } else if (e.kind === 'host.crash' && e.host !== null) {
      for (const [id, m] of this.inFlight) if (m.from === e.host || m.to === e.host) this.inFlight.delete(id);
    } else if (e.kind === 'client.send' && e.host !== null) {
      const st = this.clientState.get(e.host);
      if (st !== undefined) {
        st.member = Number(f.to);
        st.pending = String(f.method);
      }
    } else if (e.kind === 'client.done' && e.host !== null) {
      const st = this.clientState.get(e.host);
      if (st !== undefined) {
        st.pending = null;
        st.last = `${String(f.method)} ${String(f.status)}${f.code === undefined ? '' : `: ${String(f.code)}`}`;
      }
    }
    const n = narrate(e, this);
    if (n !== null) this.say(n);
    for (const fn of this.listeners) fn(e, this);
  }

  private say(n: Narration): void {
    this.narration.push(n);
    this.narrated++;
    if (n.interesting) this.interesting++;
    if (this.narration.length > NARRATION_KEPT) this.narration.splice(0, this.narration.length - NARRATION_KEPT);
  }

  /**
   * The live stale-read check: the rule of scenarios/history-metrics (a single-key read that
   * returned an older version than a write acknowledged before the read began), applied to each
   * operation as it completes. Every write acknowledged before a read began completed before the
   * read did, so it is already folded in when the read is judged.
   */
  private checkHistory(): void {
    const done = this.run.cluster.history.completed();
    for (; this.historySeen < done.length; this.historySeen++) {
      const op = done[this.historySeen] as Operation;
      for (const w of keyWritesOf(op)) {
        const list = this.writesByKey.get(w.key) ?? [];
        list.push(w);
        this.writesByKey.set(w.key, list);
      }
      if (op.op !== 'range' || op.status !== 'ok' || op.return === null || ((op.input as { rangeEnd?: string } | undefined)?.rangeEnd ?? '') !== '') continue;
      const key = (op.input as { key: string }).key;
      let newest: KeyWrite | null = null;
      for (const w of this.writesByKey.get(key) ?? []) if (w.returnUs < op.call && (newest === null || w.revision > newest.revision)) newest = w;
      if (newest === null) continue;
      const out = op.output as { revision?: number; kvs?: readonly { modRevision: number }[] } | undefined;
      const kv = out?.kvs?.[0];
      const saw = kv === undefined ? (out?.revision ?? 0) : kv.modRevision;
      if (saw >= newest.revision) continue;
      const served = op.note === undefined ? '' : ` (${op.note})`;
      const text = `STALE READ: c${op.client} read ${key} at t=${(toMs(op.call) / 1000).toFixed(3)} s and got revision ${saw}${served}, but a write of ${key} at revision ${newest.revision} had been acknowledged at t=${(toMs(newest.returnUs) / 1000).toFixed(3)} s, before the read began.`;
      const s: StaleRead = { op: op.id, client: op.client, key, atUs: op.return, saw, newest: newest.revision, text };
      this.stale.push(s);
      this.say({ atUs: op.return, host: null, text, tags: ['violation'], interesting: true });
    }
  }
}

/** History client k's host: workload clients from 100, then the pinned ones (scenarios/cluster). */
function clientHostsOf(s: Scenario): HostId[] {
  const n = s.workload.clients + s.workload.pinned.length;
  return Array.from({ length: n }, (_, k) => 100 + k);
}

/** The link-delay faults of a `slow` action: every link to and from the member, both ways. */
function slowFaults(a: Extract<Action, { kind: 'slow' }>, ids: readonly HostId[]): Fault[] {
  const delay = { kind: 'fixed' as const, us: Math.round(a.delayMs * 1000) };
  return ids.filter((x) => x !== a.node).flatMap((x): Fault[] => [
    { type: 'link-delay', at: 0, from: a.node, to: x, delay, for: a.forMs },
    { type: 'link-delay', at: 0, from: x, to: a.node, delay, for: a.forMs },
  ]);
}

function faultFor(a: Action, p: Playground): Fault | null {
  const at = 0; // the runner places it on the next free millisecond
  switch (a.kind) {
    case 'crash':
      return { type: 'crash', at, node: a.node };
    case 'crash-writing':
      // Power fails between the node's next WAL write and its fsync (etcd's walBeforeSync point):
      // the write is still pending, and the disk may tear it.
      return { type: 'crash-point', at, node: a.node, point: 'walBeforeSync' };
    case 'restart':
      return { type: 'restart', at, node: a.node };
    case 'pause':
      return { type: 'pause', at, node: a.node };
    case 'resume':
      return { type: 'resume', at, node: a.node };
    case 'isolate':
      return { type: 'isolate', at, node: a.node };
    case 'fail-disk':
      // Every fsync fails from now on: the member stops, as etcd does on a WAL sync error.
      return { type: 'disk-fault', at, node: a.node, fault: 'fsync-eio', count: 1_000_000 };
    case 'skew':
      return { type: 'clock', at, node: a.node, rate: a.rate };
    case 'split':
      if (a.groups.length < 2 || a.groups.some((g) => g.length === 0)) return null;
      return { type: 'split', at, groups: a.groups.map((g) => [...g]) };
    case 'heal':
      return p.run.cluster.network.cutLinks().length === 0 ? null : { type: 'heal', at };
    case 'slow':
      return null; // several faults: slowFaults
  }
}

export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'crash':
      return `crash n${a.node}`;
    case 'crash-writing':
      return `cut n${a.node}'s power while it writes its WAL`;
    case 'restart':
      return `restart n${a.node}`;
    case 'pause':
      return `pause n${a.node}`;
    case 'resume':
      return `resume n${a.node}`;
    case 'isolate':
      return `cut n${a.node} off from every other member`;
    case 'fail-disk':
      return `make n${a.node}'s disk fail every fsync`;
    case 'skew':
      return `make n${a.node}'s clock run at ${a.rate}× real time`;
    case 'split':
      return `split the cluster into ${a.groups.map((g) => `{${g.map((x) => `n${x}`).join(', ')}}`).join(' and ')}`;
    case 'heal':
      return 'heal every cut link';
    case 'slow':
      return `slow every link of n${a.node} to ${a.delayMs} ms for ${a.forMs / 1000} s`;
  }
}
