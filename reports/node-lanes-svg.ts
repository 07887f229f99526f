/**
 * Node lanes as inline SVG: one row per member, coloured by role, with the term written in when
 * there is room; a crashed member's row is dark and hatched, a paused one striped. Segments
 * narrower than a pixel are merged (the most telling role wins: leader, then candidate, then
 * pre-candidate), so a run with thousands of elections still draws at most one shape per pixel.
 */
import { ROLE_COLOR } from './colors.js';
import { formatUs } from './format.js';
import type { HostState, NodeLane, NodeRole, RoleSegment } from './node-lanes.js';
import { axisData, cursorLine, el, rect, renderAxis, svgRoot, text, xOf, type Axis } from './svg.js';
import { SVG_WIDTH, timeAxis } from './timeline-svg.js';

const ROW_H = 22;
const ROW_GAP = 4;
const AXIS_H = 22;

const ROLE_RANK: Readonly<Record<NodeRole, number>> = { unknown: 0, follower: 1, 'pre-candidate': 2, candidate: 3, leader: 4 };
const HOST_RANK: Readonly<Record<HostState, number>> = { up: 0, paused: 1, down: 2 };

export interface DrawnSegment extends RoleSegment {
  /** How many segments were merged into this one (1: none). */
  readonly merged: number;
}

/** Merges runs of segments narrower than `minPx` on `axis` (see the file comment). */
export function mergeNarrow(segments: readonly RoleSegment[], axis: Axis, minPx = 1): DrawnSegment[] {
  const out: DrawnSegment[] = [];
  let group: DrawnSegment | null = null;
  const flush = (): void => {
    if (group !== null) out.push(group);
    group = null;
  };
  for (const s of segments) {
    const w = xOf(axis, s.untilUs) - xOf(axis, s.fromUs);
    if (w >= minPx) {
      // A wide segment is drawn as itself; narrow ones before it stay their own (thin) group.
      flush();
      out.push({ ...s, merged: 1 });
      continue;
    }
    const g: DrawnSegment = group ?? { ...s, merged: 0 };
    group = {
      ...g,
      untilUs: s.untilUs,
      role: ROLE_RANK[s.role] > ROLE_RANK[g.role] ? s.role : g.role,
      term: Math.max(g.term, s.term),
      host: HOST_RANK[s.host] > HOST_RANK[g.host] ? s.host : g.host,
      merged: g.merged + 1,
    };
    if (xOf(axis, group.untilUs) - xOf(axis, group.fromUs) >= minPx) flush();
  }
  flush();
  return out;
}

export function renderNodeLanesSvg(lanes: readonly NodeLane[], endUs: number): string {
  const axis = timeAxis(endUs);
  const axisY = lanes.length * (ROW_H + ROW_GAP) + 6;
  let body = defs() + renderAxis(axis, axisY, 0);
  lanes.forEach((lane, i) => {
    const y = 4 + i * (ROW_H + ROW_GAP);
    body += text({ x: 4, y: y + 15, class: 'lane-label' }, `n${lane.node}`);
    for (const s of mergeNarrow(lane.segments, axis)) body += renderSegment(axis, lane.node, s, y);
  });
  body += cursorLine(0, axisY);
  return svgRoot(SVG_WIDTH, axisY + AXIS_H, { id: 'node-lanes', class: 'seekable', role: 'img', 'aria-label': 'role and term of each member over time', ...axisData(axis) }, body);
}

function defs(): string {
  const hatch = el('pattern', { id: 'hatch-down', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' }, rect({ width: 6, height: 6, fill: '#3b3b3b' }) + rect({ width: 2, height: 6, fill: '#777' }));
  const stripes = el('pattern', { id: 'stripes-paused', width: 8, height: 8, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(-45)' }, rect({ width: 3, height: 8, fill: 'rgba(255,255,255,0.75)' }));
  return el('defs', {}, hatch + stripes);
}

function renderSegment(axis: Axis, node: number, s: DrawnSegment, y: number): string {
  const x = xOf(axis, s.fromUs);
  const w = Math.max(0.5, xOf(axis, s.untilUs) - x);
  const state = s.host === 'up' ? '' : ` (${s.host})`;
  const merged = s.merged > 1 ? ` — ${s.merged} changes merged at this zoom` : '';
  const title = `n${node} ${s.role}${state}, term ${s.term}${s.lead > 0 ? `, leader n${s.lead}` : ''}: ${formatUs(s.fromUs)} to ${formatUs(s.untilUs)}${merged}`;
  const fill = s.host === 'down' ? 'url(#hatch-down)' : ROLE_COLOR[s.role];
  let out = rect({ x, y, width: w, height: ROW_H, fill, class: `seg role-${s.role} host-${s.host}`, 'data-node': String(node) }, title);
  if (s.host === 'paused') out += rect({ x, y, width: w, height: ROW_H, fill: 'url(#stripes-paused)', class: 'seg-paused' });
  const label = s.host === 'down' ? 'down' : `T${s.term}`;
  if (w >= label.length * 7 + 4) out += text({ x: x + 3, y: y + 15, class: s.host === 'down' ? 'seg-label light' : 'seg-label' }, label);
  return out;
}
