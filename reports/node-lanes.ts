/**
 * Node lanes and the term chart: each member's role and term over time, read from the trace's
 * `raft.role` events (role, term, lead) and the hosts' lifecycle (`host.crash`, `host.restart`,
 * `host.pause`, `host.resume`).
 *
 * Before a member's first `raft.role` event its role is `unknown` (a bounded trace may have lost
 * the start). A crashed member keeps its last term (the term is persisted in its hard state) but is
 * drawn `down` until it restarts.
 */
import type { Role } from '../raft/core/types.js';
import type { TraceEvent } from '../sim/trace.js';
import { assert } from './invariant.js';

export type NodeRole = Role | 'unknown';
export type HostState = 'up' | 'down' | 'paused';

export const ROLES: readonly NodeRole[] = ['follower', 'pre-candidate', 'candidate', 'leader', 'unknown'];

export interface RoleSegment {
  readonly fromUs: number;
  readonly untilUs: number;
  readonly role: NodeRole;
  readonly term: number;
  /** The leader this member believes in (0: none). */
  readonly lead: number;
  readonly host: HostState;
}

export interface NodeLane {
  readonly node: number;
  readonly segments: readonly RoleSegment[];
}

export interface TermPoint {
  readonly tUs: number;
  readonly term: number;
}

/** One member's term as a step function: each point holds until the next; the last is at the end. */
export interface TermSeries {
  readonly node: number;
  readonly points: readonly TermPoint[];
}

interface Current {
  role: NodeRole;
  term: number;
  lead: number;
  host: HostState;
  fromUs: number;
}

/** Reads a role from a trace field; anything else is a bug in whoever emitted it. */
export function readRole(value: unknown): Role {
  assert(value === 'follower' || value === 'pre-candidate' || value === 'candidate' || value === 'leader', () => `node-lanes: raft.role has role ${JSON.stringify(value)}`);
  return value;
}

/**
 * Each member's host state before the trace says anything: down if its first lifecycle event is
 * its start (a member added later, say), else up (the trace may have lost the start).
 */
export function initialHostStates(trace: readonly TraceEvent[], members: readonly number[]): Map<number, HostState> {
  const first = new Map<number, string>();
  for (const e of trace) if (e.host !== null && e.kind.startsWith('host.') && e.kind !== 'host.clock' && !first.has(e.host)) first.set(e.host, e.kind);
  return new Map(members.map((m) => [m, first.get(m) === 'host.start' ? 'down' : 'up']));
}

export function buildNodeLanes(trace: readonly TraceEvent[], members: readonly number[], endUs: number): NodeLane[] {
  const current = new Map<number, Current>();
  const segments = new Map<number, RoleSegment[]>();
  const initial = initialHostStates(trace, members);
  for (const m of members) {
    current.set(m, { role: 'unknown', term: 0, lead: 0, host: initial.get(m) ?? 'up', fromUs: 0 });
    segments.set(m, []);
  }
  for (const e of trace) {
    if (e.host === null) continue;
    const c = current.get(e.host);
    if (c === undefined) continue;
    const next = nextState(c, e);
    if (next === null) continue;
    if (e.timeUs > c.fromUs) (segments.get(e.host) as RoleSegment[]).push(segmentOf(c, e.timeUs));
    current.set(e.host, { ...next, fromUs: Math.max(c.fromUs, e.timeUs) });
  }
  return members.map((m) => {
    const c = current.get(m) as Current;
    const list = segments.get(m) as RoleSegment[];
    if (Math.max(endUs, c.fromUs) > c.fromUs || list.length === 0) list.push(segmentOf(c, Math.max(endUs, c.fromUs)));
    return { node: m, segments: list };
  });
}

function segmentOf(c: Current, untilUs: number): RoleSegment {
  return { fromUs: c.fromUs, untilUs, role: c.role, term: c.term, lead: c.lead, host: c.host };
}

/** The state after `e`, or null when `e` changes nothing drawn. */
function nextState(c: Current, e: TraceEvent): Omit<Current, 'fromUs'> | null {
  switch (e.kind) {
    case 'raft.role': {
      const role = readRole(e.fields.role);
      const term = Number(e.fields.term);
      const lead = Number(e.fields.lead ?? 0);
      assert(Number.isFinite(term), () => `node-lanes: raft.role on n${e.host} has term ${String(e.fields.term)}`);
      if (role === c.role && term === c.term && lead === c.lead) return null;
      return { role, term, lead, host: c.host };
    }
    case 'host.crash':
      return { role: c.role, term: c.term, lead: 0, host: 'down' };
    case 'host.start':
    case 'host.restart':
      // The node will announce its role as it starts; until then it is a follower of nobody.
      return { role: c.role === 'unknown' ? 'unknown' : 'follower', term: c.term, lead: 0, host: 'up' };
    case 'host.pause':
      return { ...c, host: 'paused' };
    case 'host.resume':
      return { ...c, host: 'up' };
    default:
      return null;
  }
}

/** Every member's term over time, from its first `raft.role` event to `endUs`. */
export function buildTermSeries(trace: readonly TraceEvent[], members: readonly number[], endUs: number): TermSeries[] {
  const points = new Map<number, TermPoint[]>(members.map((m) => [m, []]));
  for (const e of trace) {
    if (e.kind !== 'raft.role' || e.host === null) continue;
    const list = points.get(e.host);
    if (list === undefined) continue;
    const term = Number(e.fields.term);
    const last = list[list.length - 1];
    if (last !== undefined && last.term === term) continue;
    assert(last === undefined || e.timeUs >= last.tUs, 'term series: trace out of time order');
    list.push({ tUs: e.timeUs, term });
  }
  return members.map((m) => {
    const list = points.get(m) as TermPoint[];
    const last = list[list.length - 1];
    if (last !== undefined && endUs > last.tUs) list.push({ tUs: endUs, term: last.term });
    return { node: m, points: list };
  });
}

/** The highest term any member reached in `series` (0 for none). */
export function maxTermOf(series: readonly TermSeries[]): number {
  let max = 0;
  for (const s of series) for (const p of s.points) max = Math.max(max, p.term);
  return max;
}
