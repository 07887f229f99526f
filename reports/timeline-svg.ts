/**
 * The run's timeline as inline SVG: fault bands on top, then one lane per client, on one time axis.
 *
 * Drawn on the server (here) rather than by the page's script, so it shows with scripts off and
 * costs the browser nothing to lay out. The element count is bounded whatever the run's size: a
 * lane with more operations than it has room for (`BARS_PER_PX_MAX`) is drawn as density buckets
 * two pixels wide — per bucket, the share of ok / failed / unknown operations as stacked heights
 * and the number of operations as opacity — and only the highlighted operations as bars on top.
 */
import { bucketOps, type ClientLane, type OpBar } from './client-lanes.js';
import { FAULT_COLOR_OTHER, faultColor, STATUS_COLOR } from './colors.js';
import type { FaultBand } from './fault-bands.js';
import { escapeHtml } from './escape.js';
import { formatUs } from './format.js';
import type { RunView } from './run-view.js';
import { axisData, cursorLine, el, fitText, line, rect, renderAxis, svgRoot, text, type Axis } from './svg.js';

export const SVG_WIDTH = 1200;
export const LABEL_WIDTH = 96;
const RIGHT_PAD = 64;
const BAND_ROW_H = 18;
const LANE_H = 16;
const LANE_GAP = 4;
const AXIS_H = 22;
/** Lanes with more than this many operations per pixel of width are bucketed. */
export const BARS_PER_PX_MAX = 0.5;
const BUCKET_PX = 2;

export function timeAxis(endUs: number): Axis {
  return { fromUs: 0, untilUs: endUs, x0: LABEL_WIDTH, width: SVG_WIDTH - LABEL_WIDTH - RIGHT_PAD };
}

/** Too many operations for one bar each at this width: drawn as density buckets. */
export function isBucketed(lane: ClientLane, axis: Axis): boolean {
  return lane.ops.length > axis.width * BARS_PER_PX_MAX;
}

export function renderTimelineSvg(view: Pick<RunView, 'endUs' | 'bands' | 'lanes'>): string {
  const axis = timeAxis(view.endUs);
  const rows = view.bands.length === 0 ? 0 : Math.max(...view.bands.map((b) => b.row)) + 1;
  const bandsTop = 4;
  const lanesTop = bandsTop + rows * BAND_ROW_H + (rows > 0 ? 8 : 0);
  const axisY = lanesTop + view.lanes.length * (LANE_H + LANE_GAP) + 4;
  const height = axisY + AXIS_H;
  let body = renderAxis(axis, axisY, bandsTop);
  if (rows > 0) body += text({ x: 4, y: bandsTop + 13, class: 'lane-label' }, 'faults');
  for (const b of view.bands) body += renderBand(axis, b, bandsTop + b.row * BAND_ROW_H, axisY);
  view.lanes.forEach((lane, i) => {
    body += renderLane(axis, lane, lanesTop + i * (LANE_H + LANE_GAP));
  });
  body += cursorLine(0, axisY);
  return svgRoot(SVG_WIDTH, height, { id: 'timeline', class: 'seekable', role: 'img', 'aria-label': 'client operations and faults over time', ...axisData(axis) }, body);
}

function renderBand(axis: Axis, b: FaultBand, y: number, axisY: number): string {
  const x1 = xClamp(axis, b.fromUs);
  const x2 = xClamp(axis, b.untilUs);
  const color = faultColor(b.kind);
  const title = `${b.label} — ${formatUs(b.fromUs)}${b.instant ? '' : ` to ${b.open ? 'the end' : formatUs(b.untilUs)}`}`;
  let s = '';
  // A faint shade down through the lanes, so a reader sees which operations ran during the fault.
  if (!b.instant) s += rect({ x: x1, y: y + BAND_ROW_H - 2, width: Math.max(1, x2 - x1), height: axisY - y - BAND_ROW_H + 2, fill: color, class: 'fault-shade' });
  const w = b.instant ? 3 : Math.max(2, x2 - x1);
  s += rect({ x: b.instant ? x1 - 1.5 : x1, y, width: w, height: BAND_ROW_H - 3, fill: color, class: `fault fault-${b.kind === '' ? 'other' : b.kind}${b.open ? ' open' : ''}`, 'data-kind': b.kind }, title);
  const label = fitText(b.label, b.instant ? 140 : w - 6);
  if (label !== '') s += text({ x: (b.instant ? x1 + 4 : x1 + 3), y: y + 11, class: b.instant ? 'band-label dark' : 'band-label', fill: b.instant ? color : undefined }, label);
  return s;
}

function renderLane(axis: Axis, lane: ClientLane, y: number): string {
  const title = `${lane.label}: ${lane.counts.ok} ok, ${lane.counts.fail} failed, ${lane.counts.unknown} unknown`;
  let s = el('text', { x: 4, y: y + 12, class: 'lane-label' }, el('title', {}, escapeHtml(title)) + escapeHtml(lane.label));
  s += rect({ x: axis.x0, y, width: axis.width, height: LANE_H, class: 'lane-bg' });
  const bucketed = isBucketed(lane, axis);
  if (bucketed) s += renderBuckets(axis, lane.ops, y);
  for (const op of lane.ops) if (!bucketed || op.mark !== 'none') s += renderBar(axis, op, y);
  return s;
}

function renderBar(axis: Axis, op: OpBar, y: number): string {
  const x1 = xClamp(axis, op.callUs);
  const solidEnd = xClamp(axis, op.returnUs ?? op.callUs);
  const width = Math.max(1.5, solidEnd - x1);
  const title = `op ${op.id}: ${op.label} — called ${formatUs(op.callUs)}, ${op.returnUs === null ? 'never returned' : `returned ${formatUs(op.returnUs)}`}${op.note === '' ? '' : ` (${op.note})`}`;
  const cls = `op op-${op.status}${op.mark === 'none' ? '' : ` mark-${op.mark}`}`;
  let s = '';
  // An unknown op may take effect any time until the end: a thin tail says so.
  if (op.status === 'unknown') s += line({ x1: x1 + width, y1: y + LANE_H / 2, x2: xClamp(axis, op.drawUntilUs), y2: y + LANE_H / 2, class: 'unknown-tail', stroke: STATUS_COLOR.unknown });
  s += rect({ x: x1, y: y + 1, width, height: LANE_H - 2, fill: STATUS_COLOR[op.status], class: cls, 'data-op': String(op.id) }, title);
  return s;
}

function renderBuckets(axis: Axis, ops: readonly OpBar[], y: number): string {
  const count = Math.max(1, Math.floor(axis.width / BUCKET_PX));
  const buckets = bucketOps(ops, axis.fromUs, axis.untilUs, count);
  const densest = Math.max(1, ...buckets.map((b) => b.ok + b.fail + b.unknown));
  let s = '';
  buckets.forEach((b, i) => {
    const total = b.ok + b.fail + b.unknown;
    if (total === 0) return;
    const x = axis.x0 + i * (axis.width / count);
    const opacity = 0.35 + 0.65 * (total / densest);
    let top = y + 1;
    for (const status of ['fail', 'unknown', 'ok'] as const) {
      const h = ((LANE_H - 2) * b[status]) / total;
      if (h <= 0) continue;
      s += rect({ x, y: top, width: axis.width / count, height: h, fill: STATUS_COLOR[status], 'fill-opacity': opacity, class: 'bucket' });
      top += h;
    }
  });
  return s + rect({ x: axis.x0, y, width: 0.1, height: 0.1, fill: FAULT_COLOR_OTHER, class: 'bucketed-marker', 'data-buckets': String(count) });
}

function xClamp(axis: Axis, us: number): number {
  const f = (us - axis.fromUs) / (axis.untilUs - axis.fromUs);
  return axis.x0 + Math.max(0, Math.min(1, f)) * axis.width;
}
