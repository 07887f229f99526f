/**
 * Small SVG builders. Every string that reaches an attribute or a text node goes through
 * escapeHtml here, so renderers can pass record data straight in. Coordinates are rounded to a
 * tenth of a pixel: shorter files, and the same bytes for the same record on any machine.
 */
import { escapeHtml } from './escape.js';
import { formatTick, niceTicks } from './format.js';
import { assert } from './invariant.js';

export type Attrs = Readonly<Record<string, string | number | null | undefined>>;

/** A number for an attribute: at most one decimal, no `-0`. */
export function px(n: number): string {
  assert(Number.isFinite(n), () => `svg: coordinate ${n} is not finite`);
  const r = Math.round(n * 10) / 10;
  return String(r === 0 ? 0 : r);
}

function attrs(a: Attrs): string {
  let s = '';
  for (const [k, v] of Object.entries(a)) {
    if (v === null || v === undefined) continue;
    s += ` ${k}="${typeof v === 'number' ? px(v) : escapeHtml(v)}"`;
  }
  return s;
}

/** An element; `children` are already-rendered markup, `text` is escaped. */
export function el(name: string, a: Attrs, children = ''): string {
  return `<${name}${attrs(a)}>${children}</${name}>`;
}

export function rect(a: Attrs, title?: string): string {
  return title === undefined ? `<rect${attrs(a)}/>` : el('rect', a, el('title', {}, escapeHtml(title)));
}

export function line(a: Attrs): string {
  return `<line${attrs(a)}/>`;
}

export function text(a: Attrs, content: string): string {
  return el('text', a, escapeHtml(content));
}

/** Text cut to fit `widthPx` at about `charPx` per character ('' when not even two characters fit). */
export function fitText(content: string, widthPx: number, charPx = 6.5): string {
  const chars = Math.floor(widthPx / charPx);
  if (chars < 2) return '';
  return content.length <= chars ? content : `${content.slice(0, chars - 1)}…`;
}

/** A time axis: [fromUs, untilUs] drawn over [x0, x0 + width] pixels. */
export interface Axis {
  readonly fromUs: number;
  readonly untilUs: number;
  readonly x0: number;
  readonly width: number;
}

export function xOf(axis: Axis, us: number): number {
  return axis.x0 + ((us - axis.fromUs) / (axis.untilUs - axis.fromUs)) * axis.width;
}

/** Ticks with labels at `y`, and faint grid lines from `gridTop` down to `y`. */
export function renderAxis(axis: Axis, y: number, gridTop: number): string {
  const { stepUs, ticks } = niceTicks(axis.fromUs, axis.untilUs, Math.max(2, Math.floor(axis.width / 110)));
  let s = line({ x1: axis.x0, y1: y, x2: axis.x0 + axis.width, y2: y, class: 'axis' });
  for (const t of ticks) {
    const x = xOf(axis, t);
    s += line({ x1: x, y1: gridTop, x2: x, y2: y, class: 'grid' });
    s += text({ x, y: y + 14, class: 'tick', 'text-anchor': 'middle' }, formatTick(t, stepUs));
  }
  return s;
}

/** The root element. `data` attributes let the page's script map a click or the slider's time to x. */
export function svgRoot(width: number, height: number, a: Attrs, children: string): string {
  return el('svg', { xmlns: 'http://www.w3.org/2000/svg', viewBox: `0 0 ${px(width)} ${px(height)}`, width: px(width), height: px(height), ...a }, children);
}

/** The attributes that tie an SVG's x axis to time for the page's script (cursor, click to seek). */
export function axisData(axis: Axis): Attrs {
  return { 'data-t0': axis.fromUs, 'data-t1': axis.untilUs, 'data-x0': axis.x0, 'data-w': axis.width };
}

/** The vertical line the page's script moves to the step-through's instant. */
export function cursorLine(y1: number, y2: number): string {
  return line({ class: 'cursor', x1: -10, y1, x2: -10, y2 });
}
