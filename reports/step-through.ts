/**
 * The step-through model: the cluster at an instant — each member's role, term, commit and applied
 * index, whether its host is up, down or paused, which links are cut, which messages are in flight
 * — and a bounded list of such frames for the report's slider.
 *
 * One sweep over the trace in time order applies each event to the cluster state (`applyEvent`);
 * `clusterStateAt` replays up to one instant, `buildStepModel` takes a snapshot at each of a sorted
 * list of instants. Instants: every moment something structural happens (a role change, a crash, a
 * partition, a disk fault…), thinned evenly when there are too many, plus an even grid over the run
 * so that messages can be watched flowing between them. The total is at most `framesMax`.
 */
import type { RunRecord } from '../record/run-record.js';
import type { TraceEvent } from '../sim/trace.js';
import { linksAmong, parseCut, type CutLink } from './cut-links.js';
import { formatValue } from './format.js';
import { assert } from './invariant.js';
import { extractMessages, type MessageDrop, type MessageSpan, type MessageTraffic } from './messages-in-flight.js';
import { initialHostStates, readRole, type HostState, type NodeRole } from './node-lanes.js';

export interface NodeState {
  readonly node: number;
  readonly role: NodeRole;
  readonly term: number;
  readonly lead: number;
  readonly commit: number;
  readonly applied: number;
  readonly host: HostState;
}

export interface ClusterFrame {
  readonly tUs: number;
  readonly nodes: readonly NodeState[];
  /** Cut directed links between members. */
  readonly cuts: readonly CutLink[];
  /** Messages between members in flight at `tUs` (sent ≤ t < arrival), the most recent first, at most `inFlightMax`. */
  readonly inFlight: readonly MessageSpan[];
  readonly inFlightTotal: number;
  /** Drops since the previous frame, at most `dropsMax`. */
  readonly drops: readonly MessageDrop[];
  /** What happened since the previous frame, in words, at most `eventsMax`. */
  readonly events: readonly string[];
  readonly eventsTotal: number;
}

export interface StepOptions {
  readonly framesMax: number;
  readonly inFlightMax: number;
  readonly dropsMax: number;
  readonly eventsMax: number;
}

export const STEP_DEFAULTS: StepOptions = { framesMax: 1_000, inFlightMax: 24, dropsMax: 8, eventsMax: 6 };

export interface StepModel {
  readonly members: readonly number[];
  readonly messageSource: MessageTraffic['source'];
  readonly frames: readonly ClusterFrame[];
  /** Structural instants found, before thinning. */
  readonly structuralInstants: number;
  readonly sampled: boolean;
}

/** Kinds that change what the step-through draws other than counters: each gets a frame. */
const STRUCTURAL = new Set(['raft.role', 'host.crash', 'host.restart', 'host.start', 'host.pause', 'host.resume', 'net.partition', 'disk.fault', 'disk.bitflip', 'node.crash-point', 'node.stopped', 'node.recovered', 'wal.repair', 'host.clock']);

interface MutableNode {
  node: number;
  role: NodeRole;
  term: number;
  lead: number;
  commit: number;
  applied: number;
  host: HostState;
}

interface ClusterState {
  readonly nodes: Map<number, MutableNode>;
  cuts: CutLink[];
}

function initialState(trace: readonly TraceEvent[], members: readonly number[]): ClusterState {
  const nodes = new Map<number, MutableNode>();
  const hosts = initialHostStates(trace, members);
  for (const m of members) nodes.set(m, { node: m, role: 'unknown', term: 0, lead: 0, commit: 0, applied: 0, host: hosts.get(m) ?? 'up' });
  return { nodes, cuts: [] };
}

/** Applies one event; returns what it means in words when it is worth telling, else null. */
export function applyEvent(state: ClusterState, members: readonly number[], e: TraceEvent): string | null {
  if (e.kind === 'net.partition') {
    const cut = String(e.fields.cut ?? 'none');
    state.cuts = linksAmong(parseCut(cut), members);
    return cut === 'none' ? 'network healed: every link works' : `partition ${String(e.fields.verb ?? '')} ${String(e.fields.args ?? '')}: cut ${cut}`.replace(/\s+/g, ' ');
  }
  if (e.kind.startsWith('nemesis.')) return nemesisCaption(e);
  const n = e.host === null ? undefined : state.nodes.get(e.host);
  if (n === undefined) return null;
  return applyNodeEvent(n, e);
}

function applyNodeEvent(n: MutableNode, e: TraceEvent): string | null {
  switch (e.kind) {
    case 'raft.role': {
      const role = readRole(e.fields.role);
      const term = Number(e.fields.term);
      const lead = Number(e.fields.lead ?? 0);
      const changed = role !== n.role || term !== n.term;
      Object.assign(n, { role, term, lead });
      if (changed) return `n${n.node} became ${role} in term ${term}`;
      return lead === 0 ? null : `n${n.node} follows n${lead} (term ${term})`;
    }
    case 'raft.commit':
      n.commit = Number(e.fields.commit);
      return null;
    case 'raft.apply':
      n.applied = Number(e.fields.applied);
      return null;
    case 'host.crash':
      Object.assign(n, { host: 'down', lead: 0 });
      return `n${n.node} crashed`;
    case 'host.start':
    case 'host.restart':
      Object.assign(n, { host: 'up', lead: 0, role: n.role === 'unknown' ? 'unknown' : 'follower' });
      return `n${n.node} ${e.kind === 'host.start' ? 'started' : 'restarted'}`;
    case 'host.pause':
      n.host = 'paused';
      return `n${n.node} paused (its clock keeps running)`;
    case 'host.resume':
      n.host = 'up';
      return `n${n.node} resumed`;
    case 'node.recovered':
      return `n${n.node} recovered from its disk: ${formatFields(e)}`;
    case 'disk.fault':
    case 'disk.bitflip':
    case 'node.crash-point':
    case 'node.stopped':
    case 'host.clock':
    case 'wal.repair':
      return `n${n.node} ${e.kind} ${formatFields(e)}`.trim();
    default:
      return null;
  }
}

/** The nemesis's own words: its label when it gave one (`isolate 3 (the leader)`). */
function nemesisCaption(e: TraceEvent): string {
  const what = e.kind.slice('nemesis.'.length);
  const label = typeof e.fields.label === 'string' ? e.fields.label : null;
  if (what === 'undo') return `fault over: ${label ?? formatFields(e)}`;
  if (what === 'heal-all') return 'liveness phase: every fault healed, every member running';
  return `fault: ${label ?? `${what} ${formatFields(e)}`.trim()}`;
}

function formatFields(e: TraceEvent): string {
  return Object.entries(e.fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? formatValue(v, 32).replace(/^"(.*)"$/, '$1') : String(v)}`)
    .join(' ');
}

/** Trace events in time order (stable: equal times keep trace order). */
function inTimeOrder(trace: readonly TraceEvent[]): readonly TraceEvent[] {
  for (let i = 1; i < trace.length; i++) {
    if ((trace[i] as TraceEvent).timeUs < (trace[i - 1] as TraceEvent).timeUs) return [...trace].sort((a, b) => a.timeUs - b.timeUs || a.index - b.index);
  }
  return trace;
}

/** The cluster at `tUs`: every event at or before it applied. For a single instant (tests, tooltips). */
export function clusterStateAt(record: Pick<RunRecord, 'trace' | 'members'>, tUs: number, options: Partial<StepOptions> = {}): ClusterFrame {
  const frames = sweep(record, [tUs], { ...STEP_DEFAULTS, ...options });
  return frames[0] as ClusterFrame;
}

export function buildStepModel(record: Pick<RunRecord, 'trace' | 'members'>, endUs: number, options: Partial<StepOptions> = {}): StepModel {
  const o: StepOptions = { ...STEP_DEFAULTS, ...options };
  assert(Number.isInteger(o.framesMax) && o.framesMax >= 2 && o.framesMax <= 100_000, () => `step-through: framesMax must be in [2, 100000], got ${o.framesMax}`);
  const structural = structuralInstants(record);
  const instants = chooseInstants(structural, endUs, o.framesMax);
  const traffic = extractMessages(record.trace, record.members);
  return {
    members: record.members,
    messageSource: traffic.source,
    frames: sweep(record, instants, o, traffic),
    structuralInstants: structural.length,
    sampled: structural.length > Math.floor(o.framesMax / 2),
  };
}

function structuralInstants(record: Pick<RunRecord, 'trace'>): number[] {
  return [...new Set(record.trace.filter((e) => STRUCTURAL.has(e.kind)).map((e) => e.timeUs))].sort((a, b) => a - b);
}

/** The instants `buildStepModel` takes its frames at (a replay samples the live cluster at the same ones: scenarios/report-pictures.ts). */
export function stepInstants(record: Pick<RunRecord, 'trace'>, endUs: number, options: Partial<StepOptions> = {}): number[] {
  return chooseInstants(structuralInstants(record), endUs, { ...STEP_DEFAULTS, ...options }.framesMax);
}

/** Structural instants (thinned evenly to half the budget at most) and an even grid for the rest. */
export function chooseInstants(structural: readonly number[], endUs: number, framesMax: number): number[] {
  const half = Math.floor(framesMax / 2);
  const kept = structural.length <= half ? structural : half >= 2 ? evenly(structural, half) : [];
  const gridCount = Math.max(2, framesMax - kept.length);
  const grid = Array.from({ length: gridCount }, (_, i) => Math.round((i * endUs) / (gridCount - 1)));
  const all = [...new Set([...kept, ...grid])].sort((a, b) => a - b);
  const result = all.length <= framesMax ? all : evenly(all, framesMax);
  assert(result.length <= framesMax, 'step-through: more instants than framesMax');
  return result;
}

/** `count` items spread evenly over `items`, first and last included. */
function evenly<T>(items: readonly T[], count: number): T[] {
  assert(count >= 2 && items.length >= count, 'evenly: need at least count items and count ≥ 2');
  return Array.from({ length: count }, (_, i) => items[Math.round((i * (items.length - 1)) / (count - 1))] as T);
}

function sweep(record: Pick<RunRecord, 'trace' | 'members'>, instants: readonly number[], o: StepOptions, traffic = extractMessages(record.trace, record.members)): ClusterFrame[] {
  const events = inTimeOrder(record.trace);
  const state = initialState(events, record.members);
  const frames: ClusterFrame[] = [];
  let ei = 0;
  let si = 0;
  let di = 0;
  let active: MessageSpan[] = [];
  for (const t of instants) {
    assert(frames.length === 0 || t >= (frames[frames.length - 1] as ClusterFrame).tUs, 'step-through: instants out of order');
    const told: string[] = [];
    for (; ei < events.length && (events[ei] as TraceEvent).timeUs <= t; ei++) {
      const said = applyEvent(state, record.members, events[ei] as TraceEvent);
      if (said !== null) told.push(said);
    }
    for (; si < traffic.spans.length && (traffic.spans[si] as MessageSpan).sentUs <= t; si++) active.push(traffic.spans[si] as MessageSpan);
    active = active.filter((m) => m.arriveUs > t);
    const drops: MessageDrop[] = [];
    for (; di < traffic.drops.length && (traffic.drops[di] as MessageDrop).atUs <= t; di++) drops.push(traffic.drops[di] as MessageDrop);
    frames.push(snapshot(state, t, active, drops, told, o));
  }
  return frames;
}

function snapshot(state: ClusterState, tUs: number, active: readonly MessageSpan[], drops: readonly MessageDrop[], told: readonly string[], o: StepOptions): ClusterFrame {
  const newestFirst = [...active].sort((a, b) => b.sentUs - a.sentUs || a.from - b.from || a.to - b.to);
  return {
    tUs,
    nodes: [...state.nodes.values()].map((n) => ({ ...n })),
    cuts: state.cuts,
    inFlight: newestFirst.slice(0, o.inFlightMax),
    inFlightTotal: active.length,
    drops: drops.slice(-o.dropsMax),
    events: told.slice(-o.eventsMax),
    eventsTotal: told.length,
  };
}
