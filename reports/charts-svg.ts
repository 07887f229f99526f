/**
 * Charts for the experiment report, as inline SVG written here: a dot plot of a metric's values
 * over seeds, one row per arm (every seed is a dot, equal values stack, the median is a tick), and a
 * horizontal bar chart. No charting library: these two shapes are a few dozen lines each, the
 * output is deterministic bytes, and the report needs nothing at view time.
 */
import { seriesColor } from './colors.js';
import { formatNumber, niceTicks } from './format.js';
import { el, line, px, rect, svgRoot, text } from './svg.js';
import { escapeHtml } from './escape.js';

export interface DotRow {
  readonly label: string;
  readonly values: readonly number[];
}

const LABEL_W = 150;
const RIGHT = 70;

function nice(maxValue: number): { max: number; ticks: readonly number[] } {
  if (!(maxValue > 0)) return { max: 1, ticks: [0, 1] };
  return { max: maxValue, ticks: niceTicks(0, maxValue, 5).ticks };
}

/** One row per arm; x from 0 to the largest value. */
export function renderDotPlot(rows: readonly DotRow[], o: { readonly width: number; readonly title: string; readonly unit: string; readonly id: string }): string {
  const rowH = 46;
  const top = 26;
  const plotW = o.width - LABEL_W - RIGHT;
  const all = rows.flatMap((r) => r.values);
  const { max, ticks } = nice(Math.max(0, ...all));
  const xOf = (v: number): number => LABEL_W + (v / max) * plotW;
  const axisY = top + rows.length * rowH;
  let body = text({ x: 4, y: 15, class: 'chart-title' }, o.title + (o.unit === '' ? '' : ` (${o.unit})`));
  for (const t of ticks) {
    body += line({ x1: xOf(t), y1: top, x2: xOf(t), y2: axisY, class: 'grid' });
    body += text({ x: xOf(t), y: axisY + 14, class: 'tick', 'text-anchor': 'middle' }, formatNumber(t));
  }
  body += line({ x1: LABEL_W, y1: axisY, x2: LABEL_W + plotW, y2: axisY, class: 'axis' });
  rows.forEach((r, i) => {
    body += dotRow(r, top + i * rowH, rowH, xOf, seriesColor(i));
  });
  return svgRoot(o.width, axisY + 22, { id: o.id, class: 'dot-plot', role: 'img', 'aria-label': o.title }, body);
}

function dotRow(r: DotRow, y: number, rowH: number, xOf: (v: number) => number, color: string): string {
  let s = text({ x: 4, y: y + rowH / 2 + 2, class: 'lane-label' }, r.label);
  const stacks = new Map<string, number>();
  const maxStack = Math.max(1, ...countEqual(r.values));
  const spacing = Math.min(7, (rowH - 10) / maxStack);
  for (const v of r.values) {
    const key = px(xOf(v));
    const k = stacks.get(key) ?? 0;
    stacks.set(key, k + 1);
    s += el('circle', { cx: xOf(v), cy: y + rowH - 6 - k * spacing, r: 3.5, fill: color, 'fill-opacity': 0.75, class: 'dot' }, el('title', {}, escapeHtml(`${r.label}: ${formatNumber(v)}`)));
  }
  if (r.values.length > 0) {
    const sorted = [...r.values].sort((a, b) => a - b);
    const median = sorted[Math.max(0, Math.ceil(sorted.length / 2) - 1)] as number;
    s += line({ x1: xOf(median), y1: y + 4, x2: xOf(median), y2: y + rowH - 2, stroke: '#1d2330', 'stroke-width': 2, class: 'median' });
    s += text({ x: 4, y: y + rowH / 2 + 18, class: 'tick' }, `median ${formatNumber(median)} · max ${formatNumber(Math.max(...r.values))}`);
  } else s += text({ x: LABEL_W + 4, y: y + rowH / 2 + 4, class: 'tick' }, 'no values');
  return s;
}

function countEqual(values: readonly number[]): number[] {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.values()];
}

export interface Bar {
  readonly label: string;
  readonly value: number;
  /** Text after the bar (defaults to the value). */
  readonly note?: string;
}

/** Horizontal bars; `max` fixes the scale (e.g. the number of seeds), else the largest value. */
export function renderBarChart(bars: readonly Bar[], o: { readonly width: number; readonly title: string; readonly id: string; readonly max?: number }): string {
  const barH = 20;
  const gap = 8;
  const top = 26;
  const plotW = o.width - LABEL_W - RIGHT - 40;
  const max = o.max ?? Math.max(1, ...bars.map((b) => b.value));
  let body = text({ x: 4, y: 15, class: 'chart-title' }, o.title);
  bars.forEach((b, i) => {
    const y = top + i * (barH + gap);
    const w = max > 0 ? (Math.max(0, b.value) / max) * plotW : 0;
    body += text({ x: 4, y: y + 14, class: 'lane-label' }, b.label);
    body += rect({ x: LABEL_W, y, width: plotW, height: barH, class: 'lane-bg' });
    body += rect({ x: LABEL_W, y, width: Math.max(b.value > 0 ? 2 : 0, w), height: barH, fill: seriesColor(i), class: 'bar' }, `${b.label}: ${formatNumber(b.value)}`);
    body += text({ x: LABEL_W + Math.max(2, w) + 6, y: y + 14, class: 'tick' }, b.note ?? formatNumber(b.value));
  });
  return svgRoot(o.width, top + bars.length * (barH + gap) + 6, { id: o.id, class: 'bar-chart', role: 'img', 'aria-label': o.title }, body);
}
