/**
 * The page `raftsim check <history> --out DIR` writes: the verdict of a linearizability check, key
 * by key, for a person — like Porcupine's visualisation, but told in words too.
 *
 * Per partition (a key, for the models checked key by key): its operations as bars on client
 * lanes, each bar from call to return (an unknown outcome runs on with a dotted tail: it may take
 * effect any time after its call, or never); the operations of the longest linearizable prefix the
 * search found, numbered in their linearization order; and, where the partition is not
 * linearizable, the operation that cannot be placed after that prefix (black outline), the ones
 * the explanation names (dashed purple), and the violation told in the run report's own words
 * (run-report.ts violationSection). Times are the history's own numbers (`t=N`): a history file's
 * unit is its writer's.
 *
 * Static HTML and SVG, no script: the page's Content-Security-Policy (page.ts) allows none, and
 * every string of the history goes through escapeHtml. The element count is bounded: a failing
 * key shows the window of operations around its violation, a passing key is drawn only while it
 * is small.
 */
import type { ViolationView } from '../record/run-record.js';
import type { Operation } from '../sim/history.js';
import { buildClientLanes, type ClientLane, type OpBar, type OpMark } from './client-lanes.js';
import { STATUS_COLOR } from './colors.js';
import { escapeHtml } from './escape.js';
import { niceTicks } from './format.js';
import { renderPage } from './page.js';
import { verdictBadge, violationSection } from './run-report.js';
import { el, line, rect, svgRoot, text, xOf, type Axis } from './svg.js';
import { buildViolationPanel } from './violation-view.js';

export type CheckVerdict = 'ok' | 'illegal' | 'unknown';

export interface CheckReportPartition {
  /** The key ('' when the model does not partition). */
  readonly label: string;
  readonly verdict: CheckVerdict;
  readonly steps: number;
  /** The partition's operations as the history gave them. */
  readonly ops: readonly Operation[];
  /** The longest linearizable prefix found (the whole linearization when ok): op ids in order. */
  readonly linearized: readonly number[];
  /** Where the partition is not linearizable: the violation, told as a run's is. */
  readonly violation: ViolationView | null;
}

export interface CheckReportData {
  readonly file: string;
  readonly model: string;
  readonly verdict: CheckVerdict;
  /** The command's own summary line (`h.jsonl: NOT linearizable (model kv: …)`). */
  readonly summary: string;
  /** The command's notes (operations left out, and why). */
  readonly notes: readonly string[];
  /** The command that reproduces the verdict; null when it is ok. */
  readonly reproduce: string | null;
  readonly partitions: readonly CheckReportPartition[];
}

/** Most operations drawn for one key: past it, the window around the violation is cut to the nearest. */
export const CHECK_OPS_DRAWN_MAX = 400;
/** Passing keys drawn at most (each only if it has at most CHECK_OPS_DRAWN_MAX operations). */
export const CHECK_PASSING_DRAWN_MAX = 12;
/** Prefix operations shown before the one that cannot be placed. */
const PREFIX_WINDOW = 30;

const BADGE: Readonly<Record<CheckVerdict, string>> = { ok: 'pass', illegal: 'fail', unknown: 'unknown' };
const VERDICT_WORDS: Readonly<Record<CheckVerdict, string>> = { ok: 'linearizable', illegal: 'NOT linearizable', unknown: 'no verdict (budget ran out)' };

/** A time of the history, in its own unit, as `raftsim check` prints it. */
export function checkTime(t: number): string {
  return Number.isFinite(t) ? `t=${t}` : 't=∞';
}

export function renderCheckReport(data: CheckReportData): string {
  let passingDrawn = 0;
  const sections = data.partitions.map((p, i) => {
    const draw = p.verdict !== 'ok' || (p.ops.length <= CHECK_OPS_DRAWN_MAX && passingDrawn++ < CHECK_PASSING_DRAWN_MAX);
    return draw ? partitionSection(p, i) : '';
  });
  const failing = data.partitions.filter((p) => p.verdict === 'illegal').length;
  const body = [
    `<header><h1>raftsim check: <code>${escapeHtml(data.file)}</code> ${verdictBadge(BADGE[data.verdict])}</h1>`,
    `<p class="headline" id="check-summary">${escapeHtml(data.summary)}</p>`,
    data.notes.length === 0 ? '' : `<ul class="muted">${data.notes.map((n) => `<li>${escapeHtml(n.trim())}</li>`).join('')}</ul>`,
    data.reproduce === null ? '' : `<p>Reproduce:</p><pre id="reproduce">${escapeHtml(data.reproduce)}</pre>`,
    '</header>',
    `<section id="sec-partitions"><h2>Keys</h2><p>${escapeHtml(`Model ${data.model}: ${data.partitions.length} part${data.partitions.length === 1 ? '' : 's'} searched one by one (independent keys), ${failing} not linearizable.`)}</p>`,
    partitionTable(data.partitions, sections),
    '</section>',
    legend(),
    ...sections,
    '<footer class="muted"><p>Rendered by raftsim check from the history and the checker\'s result. Same history, same bytes.</p></footer>',
  ].join('\n');
  return renderPage({ title: `raftsim check ${VERDICT_WORDS[data.verdict]}: ${data.file}`, body, script: '' });
}

function keyName(label: string): string {
  return label === '' ? '(the whole history)' : label;
}

function partitionTable(parts: readonly CheckReportPartition[], sections: readonly string[]): string {
  const rows = parts.map((p, i) => {
    const name = sections[i] === '' ? `<code>${escapeHtml(keyName(p.label))}</code>` : `<a href="#part-${i}"><code>${escapeHtml(keyName(p.label))}</code></a>`;
    const prefix = p.verdict === 'ok' ? 'all' : String(p.linearized.length);
    return `<tr data-key="${escapeHtml(p.label)}" data-verdict="${p.verdict}"><td>${name}</td><td>${verdictBadge(BADGE[p.verdict])}</td><td class="num">${p.ops.length}</td><td class="num">${prefix}</td><td class="num">${p.steps.toLocaleString('en-US')}</td></tr>`;
  });
  return `<table id="partitions"><thead><tr><th>key</th><th>verdict</th><th class="num">operations</th><th class="num">linearizable prefix</th><th class="num">search steps</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function legend(): string {
  const sw = (color: string, label: string, style = ''): string => `<span><span class="swatch" style="background:${escapeHtml(color)};${style}"></span>${escapeHtml(label)}</span>`;
  return [
    '<div class="legend" id="check-legend">',
    sw(STATUS_COLOR.ok, 'ok'),
    sw(STATUS_COLOR.unknown, 'unknown outcome (may take effect any time after its call, or never: dotted tail)'),
    sw('#ffffff', 'the operation that cannot be placed', 'border:2.5px solid #000'),
    sw('#ffffff', 'operations it conflicts with', 'border:2.5px dashed #6a1b9a'),
    '<span>#n: its place in the longest linearizable prefix</span>',
    '</div>',
  ].join('');
}

function partitionSection(p: CheckReportPartition, i: number): string {
  const byId = new Map(p.ops.map((op) => [op.id, op]));
  const v = p.violation;
  const panel = v === null ? null : buildViolationPanel({ violation: v, history: p.ops });
  const marks = panel?.marks ?? new Map<number, OpMark>();
  const placeOf = new Map(p.linearized.map((id, k) => [id, k + 1]));
  const shown = v === null ? p.ops : windowAround(p, v, byId);
  const cut = shown.length < p.ops.length;
  const words =
    p.verdict === 'ok'
      ? `linearizable: every one of its ${p.ops.length} operations placed in one order (numbered on the bars).`
      : p.verdict === 'illegal'
        ? `not linearizable: the longest linearizable prefix found places ${p.linearized.length} of ${p.ops.length} operations, and the next one due cannot be placed after it.`
        : `no verdict: the search budget ran out after ${p.steps.toLocaleString('en-US')} steps; the longest linearizable prefix found places ${p.linearized.length} of ${p.ops.length} operations.`;
  return [
    `<section id="part-${i}" class="partition" data-key="${escapeHtml(p.label)}" data-verdict="${p.verdict}">`,
    `<h2>Key <code>${escapeHtml(keyName(p.label))}</code> ${verdictBadge(BADGE[p.verdict])}</h2>`,
    `<p>${escapeHtml(words)}</p>`,
    panel === null ? '' : violationSection(panel, checkTime, `-${i}`),
    cut ? `<p class="muted">${escapeHtml(`Drawn: the ${shown.length} operations around the violation, of ${p.ops.length}.`)}</p>` : '',
    `<div class="chart">${lanesSvg(shown, marks, placeOf, i)}</div>`,
    '</section>',
  ].join('\n');
}

/** The operations around a violation: the prefix's last ones, the stuck one, the ones named, and what overlaps them. */
function windowAround(p: CheckReportPartition, v: ViolationView, byId: ReadonlyMap<number, Operation>): readonly Operation[] {
  const focus = [...p.linearized.slice(-PREFIX_WINDOW), ...v.relatedOps, v.failedOp].map((id) => byId.get(id)).filter((op): op is Operation => op !== undefined);
  if (focus.length === 0) return p.ops.slice(0, CHECK_OPS_DRAWN_MAX);
  const from = Math.min(...focus.map((op) => op.call));
  const until = Math.max(...focus.map((op) => op.return ?? op.call));
  const keep = new Set(focus.map((op) => op.id));
  const failed = byId.get(v.failedOp);
  const centre = failed?.call ?? from;
  const overlapping = p.ops.filter((op) => !keep.has(op.id) && op.call <= until && (op.return ?? Infinity) >= from);
  overlapping.sort((a, b) => Math.abs(a.call - centre) - Math.abs(b.call - centre) || a.id - b.id);
  for (const op of overlapping) {
    if (keep.size >= CHECK_OPS_DRAWN_MAX) break;
    keep.add(op.id);
  }
  return p.ops.filter((op) => keep.has(op.id));
}

const LABEL_W = 84;
const WIDTH = 1200;
const LANE_H = 18;
const LANE_GAP = 4;

function lanesSvg(ops: readonly Operation[], marks: ReadonlyMap<number, OpMark>, placeOf: ReadonlyMap<number, number>, i: number): string {
  if (ops.length === 0) return '<p class="muted">No operation to draw.</p>';
  const from = Math.min(...ops.map((op) => op.call));
  const ends = ops.map((op) => op.return ?? op.call);
  let until = Math.max(...ends);
  if (until <= from) until = from + 1;
  const pad = (until - from) * 0.04;
  const axis: Axis = { fromUs: from, untilUs: until + pad, x0: LABEL_W, width: WIDTH - LABEL_W - 24 };
  const lanes = buildClientLanes(ops, [], until + pad, marks);
  const axisY = 6 + lanes.length * (LANE_H + LANE_GAP);
  let body = axisSvg(axis, axisY);
  lanes.forEach((lane, k) => {
    body += laneSvg(axis, lane, 6 + k * (LANE_H + LANE_GAP), placeOf);
  });
  return svgRoot(WIDTH, axisY + 24, { id: `lanes-${i}`, class: 'check-lanes', role: 'img', 'aria-label': 'operations on client lanes' }, body);
}

function axisSvg(axis: Axis, y: number): string {
  const { ticks } = niceTicks(axis.fromUs, axis.untilUs, Math.max(2, Math.floor(axis.width / 110)));
  let s = line({ x1: axis.x0, y1: y, x2: axis.x0 + axis.width, y2: y, class: 'axis' });
  for (const t of ticks) {
    const x = xOf(axis, t);
    s += line({ x1: x, y1: 0, x2: x, y2: y, class: 'grid' });
    s += text({ x, y: y + 14, class: 'tick', 'text-anchor': 'middle' }, checkTime(t));
  }
  return s;
}

function laneSvg(axis: Axis, lane: ClientLane, y: number, placeOf: ReadonlyMap<number, number>): string {
  let s = el('text', { x: 4, y: y + 13, class: 'lane-label' }, escapeHtml(lane.label));
  s += rect({ x: axis.x0, y, width: axis.width, height: LANE_H, class: 'lane-bg' });
  for (const op of lane.ops) s += barSvg(axis, op, y, placeOf.get(op.id));
  return s;
}

function barSvg(axis: Axis, op: OpBar, y: number, place: number | undefined): string {
  const x1 = xOf(axis, op.callUs);
  const x2 = xOf(axis, op.returnUs ?? op.callUs);
  const width = Math.max(2, x2 - x1);
  const where = place === undefined ? 'not in the longest linearizable prefix' : `#${place} of the longest linearizable prefix`;
  const mark = op.mark === 'failed' ? ' — cannot be placed after the prefix' : op.mark === 'related' ? ' — conflicts with the operation that cannot be placed' : '';
  const title = `op ${op.id}: ${op.label} — called ${checkTime(op.callUs)}, ${op.returnUs === null ? 'never returned' : `returned ${checkTime(op.returnUs)}`}; ${where}${mark}`;
  const cls = `op op-${op.status}${op.mark === 'none' ? '' : ` mark-${op.mark}`}${place === undefined ? '' : ' in-prefix'}`;
  let s = '';
  if (op.status === 'unknown') s += line({ x1: x1 + width, y1: y + LANE_H / 2, x2: axis.x0 + axis.width, y2: y + LANE_H / 2, class: 'unknown-tail', stroke: STATUS_COLOR.unknown });
  const attrs = { x: x1, y: y + 1, width, height: LANE_H - 2, fill: STATUS_COLOR[op.status], 'fill-opacity': place === undefined && op.mark === 'none' ? 0.45 : 1, class: cls, 'data-op': String(op.id), 'data-place': place === undefined ? undefined : String(place) };
  s += rect(attrs, title);
  if (place !== undefined && width >= 14) s += text({ x: x1 + 2, y: y + 13, class: 'seg-label' }, `#${place}`);
  return s;
}
