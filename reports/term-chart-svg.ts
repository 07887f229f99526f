/**
 * The term-over-time chart: one step line per member, on the same time axis as the timeline.
 *
 * Members that share a term would draw on top of each other, so each line is nudged by a pixel or
 * two (by member position); a reader sees every line and the legend names each. Shaded spans (the
 * faults) sit behind the lines. Points are thinned to at most two per pixel column (first and last
 * in it), so a long run with many elections stays a small path.
 */
import { seriesColor } from './colors.js';
import { escapeHtml } from './escape.js';
import { formatUs } from './format.js';
import type { TermSeries } from './node-lanes.js';
import { axisData, cursorLine, el, line, rect, renderAxis, svgRoot, text, xOf, type Axis } from './svg.js';

export interface Shade {
  readonly fromUs: number;
  readonly untilUs: number;
  readonly label: string;
  readonly color: string;
}

export interface TermChartOptions {
  readonly width: number;
  readonly height: number;
  /** Left gutter for the y axis labels. */
  readonly x0: number;
  readonly endUs: number;
  readonly shades: readonly Shade[];
  /** A title above the plot ('' for none). */
  readonly title: string;
  readonly id: string;
}

const TOP = 22;
const BOTTOM = 24;
const RIGHT = 64;

export function renderTermChart(series: readonly TermSeries[], o: TermChartOptions): string {
  const axis: Axis = { fromUs: 0, untilUs: Math.max(1, o.endUs), x0: o.x0, width: o.width - o.x0 - RIGHT };
  const plotBottom = o.height - BOTTOM;
  const maxTerm = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.term)));
  const yOf = (term: number): number => plotBottom - (term / maxTerm) * (plotBottom - TOP);
  let body = o.title === '' ? '' : text({ x: o.x0, y: 14, class: 'chart-title' }, o.title);
  for (const sh of o.shades) {
    const x1 = xOf(axis, Math.max(0, sh.fromUs));
    const x2 = xOf(axis, Math.min(axis.untilUs, sh.untilUs));
    body += rect({ x: x1, y: TOP, width: Math.max(1, x2 - x1), height: plotBottom - TOP, fill: sh.color, class: 'shade' }, sh.label);
  }
  body += yAxis(maxTerm, o.x0, axis.width, yOf);
  body += renderAxis(axis, plotBottom, TOP);
  series.forEach((s, i) => {
    body += stepPath(axis, s, yOf, nudge(i, series.length), seriesColor(i));
  });
  body += endLabels(axis, series, yOf);
  body += legend(series, o.width - RIGHT);
  body += cursorLine(TOP, plotBottom);
  return svgRoot(o.width, o.height, { id: o.id, class: 'seekable term-chart', role: 'img', 'aria-label': 'term of each member over time', ...axisData(axis) }, body);
}

/** Pixel offsets −2…+2 spread over the members, so equal lines stay visible side by side. */
function nudge(i: number, count: number): number {
  if (count <= 1) return 0;
  return -2 + (4 * i) / (count - 1);
}

function yAxis(maxTerm: number, x0: number, width: number, yOf: (t: number) => number): string {
  const step = Math.max(1, Math.ceil(maxTerm / 6));
  let s = '';
  for (let t = 0; t <= maxTerm; t += step) {
    s += line({ x1: x0, y1: yOf(t), x2: x0 + width, y2: yOf(t), class: 'grid' });
    s += text({ x: x0 - 6, y: yOf(t) + 4, class: 'tick', 'text-anchor': 'end' }, String(t));
  }
  return s + text({ x: 4, y: yOf(maxTerm / 2), class: 'tick' }, 'term');
}

function stepPath(axis: Axis, s: TermSeries, yOf: (t: number) => number, dy: number, color: string): string {
  const pts = thin(axis, s);
  const first = pts[0];
  if (first === undefined) return '';
  let d = `M${xOf(axis, first.tUs).toFixed(1)} ${(yOf(first.term) + dy).toFixed(1)}`;
  for (const p of pts.slice(1)) d += `H${xOf(axis, p.tUs).toFixed(1)}V${(yOf(p.term) + dy).toFixed(1)}`;
  const last = pts[pts.length - 1] ?? first;
  const title = `n${s.node}: term ${first.term} at ${formatUs(first.tUs)} → term ${last.term} at ${formatUs(last.tUs)}`;
  return el('path', { d, fill: 'none', stroke: color, 'stroke-width': 2, class: 'term-line', 'data-node': String(s.node) }, el('title', {}, escapeHtml(title)));
}

/** Names at the right end of the lines; members that end on the same term share one label. */
function endLabels(axis: Axis, series: readonly TermSeries[], yOf: (t: number) => number): string {
  const byTerm = new Map<number, number[]>();
  for (const s of series) {
    const last = s.points[s.points.length - 1];
    if (last !== undefined) byTerm.set(last.term, [...(byTerm.get(last.term) ?? []), s.node]);
  }
  let out = '';
  for (const [term, nodes] of byTerm) out += text({ x: axis.x0 + axis.width + 4, y: yOf(term) + 4, class: 'series-label' }, `n${nodes.join(',')}`);
  return out;
}

/** A colour key above the plot, right-aligned: which line is which member. */
function legend(series: readonly TermSeries[], right: number): string {
  let out = '';
  let x = right;
  for (let i = series.length - 1; i >= 0; i--) {
    const s = series[i] as TermSeries;
    x -= 34;
    out += rect({ x, y: 6, width: 10, height: 10, fill: seriesColor(i) }) + text({ x: x + 13, y: 15, class: 'tick' }, `n${s.node}`);
  }
  return out;
}

/** At most the first and last point per pixel column (the step keeps its shape at this zoom). */
function thin(axis: Axis, s: TermSeries): TermSeries['points'] {
  if (s.points.length <= axis.width * 2) return s.points;
  const out: TermSeries['points'][number][] = [];
  let column = Number.NaN;
  for (let i = 0; i < s.points.length; i++) {
    const p = s.points[i] as TermSeries['points'][number];
    const c = Math.floor(xOf(axis, p.tUs));
    const next = s.points[i + 1];
    const lastInColumn = next === undefined || Math.floor(xOf(axis, next.tUs)) !== c;
    if (c !== column || lastInColumn) out.push(p);
    column = c;
  }
  return out;
}
