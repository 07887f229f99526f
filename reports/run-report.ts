/**
 * The run report: one self-contained HTML page per run.
 *
 * Static parts are rendered here, as HTML and inline SVG: the header (verdicts, reproduce
 * command), the checks, the violation's explanation, the timeline of client operations and faults,
 * the node lanes, the term chart and the metrics. They show without scripts, print, and cost the
 * browser nothing to compute. The interactive parts — the step-through view and the zoomed timeline
 * around its instant — are drawn by one small inline script from the frames embedded as JSON
 * (run-page-data.ts, run-page-script.ts).
 */
import type { RunMetrics, RunRecord } from '../record/run-record.js';
import { FAULT_COLOR, ROLE_COLOR, STATUS_COLOR } from './colors.js';
import { escapeHtml, withInlineCode } from './escape.js';
import { formatNumber, formatUs } from './format.js';
import { renderNodeLanesSvg } from './node-lanes-svg.js';
import { renderPage } from './page.js';
import { encodeRunPageData } from './run-page-data.js';
import { RUN_PAGE_SCRIPT } from './run-page-script.js';
import { PICTURE_SCRIPT } from './picture/bundle.generated.js';
import type { FrameDetail } from './picture/model.js';
import { buildRunView, type RunView } from './run-view.js';
import type { StepOptions } from './step-through.js';
import { renderTermChart } from './term-chart-svg.js';
import { isBucketed, LABEL_WIDTH, renderTimelineSvg, SVG_WIDTH, timeAxis } from './timeline-svg.js';
import type { ViolationPanel } from './violation-view.js';

export interface RunReportOptions {
  /** Content-Security-Policy on (default). Only tests turn it off, to test escaping alone. */
  readonly csp: boolean;
  readonly step: Partial<StepOptions>;
  /**
   * What a replay of the run read at the step-through's instants (scenarios/report-pictures.ts):
   * logs, votes, timers, clients, slowed links. Null: the step-through draws what the trace tells.
   */
  readonly details: ReadonlyMap<number, FrameDetail> | null;
}

const DEFAULTS: RunReportOptions = { csp: true, step: {}, details: null };

export function renderRunReport(record: RunRecord, options: Partial<RunReportOptions> = {}): string {
  const o: RunReportOptions = { ...DEFAULTS, ...options };
  const view = buildRunView(record, o.step);
  const body = [
    header(record, view),
    toc(view),
    checksSection(view),
    view.violation === null ? '' : violationSection(view.violation),
    timelineSection(view),
    nodesSection(view),
    stepSection(view, o.details !== null),
    metricsSection(record),
    settingsSection(record),
    '<footer class="muted"><p>Rendered by raftsim from the run record. Same record, same bytes.</p></footer>',
  ].join('\n');
  return renderPage({ title: `raftsim ${view.verdict}: ${record.scenario} seed ${record.seed}`, body, script: `${PICTURE_SCRIPT}\n${RUN_PAGE_SCRIPT}`, data: encodeRunPageData(view, o.details), csp: o.csp });
}

export function verdictBadge(status: string): string {
  return `<span class="verdict ${escapeHtml(status)}">${escapeHtml(status)}</span>`;
}

function headline(view: RunView): string {
  const failed = view.checks.filter((c) => c.result.status === 'fail');
  if (failed.length > 0) return `A check failed: ${failed.map((c) => `<b>${escapeHtml(c.name)}</b> — ${withInlineCode(c.result.summary)}`).join('; ')}`;
  const unknown = view.checks.filter((c) => c.result.status === 'unknown');
  if (unknown.length > 0) return `No check failed, but ${unknown.map((c) => `<b>${escapeHtml(c.name)}</b>`).join(', ')} ran out of budget: no verdict.`;
  return 'Every check that ran passed.';
}

function header(r: RunRecord, view: RunView): string {
  const facts: [string, string][] = [
    ['seed', String(r.seed)],
    ['trace hash', r.traceHash],
    ['virtual time', formatUs(r.virtualMs * 1_000)],
    ['events', String(r.events)],
    ['ops', `${r.ops.ok} ok · ${r.ops.fail} failed · ${r.ops.unknown} unknown`],
    ['members', r.members.map((m) => `n${m}`).join(' ')],
    ['clients', String(r.clients.length)],
  ];
  if (r.overrides.length > 0) facts.push(['overrides', r.overrides.join(' ')]);
  return [
    `<header><h1>${escapeHtml(r.scenario)} ${verdictBadge(view.verdict)}</h1>`,
    `<p class="headline" id="headline">${headline(view)}</p>`,
    r.description === '' ? '' : `<p>${escapeHtml(r.description)}</p>`,
    `<div class="facts">${facts.map(([k, v]) => `<span>${escapeHtml(k)} <b class="mono">${escapeHtml(v)}</b></span>`).join('')}</div>`,
    `<p class="muted">Reproduce this run exactly:</p><pre id="reproduce">${escapeHtml(r.reproduce)}</pre></header>`,
  ].join('\n');
}

function toc(view: RunView): string {
  const links: [string, string][] = [['checks', 'Checks']];
  if (view.violation !== null) links.push(['violation', 'Violation']);
  links.push(['timeline', 'Timeline'], ['nodes', 'Nodes'], ['step', 'Step through'], ['metrics', 'Metrics'], ['settings', 'Settings']);
  return `<nav class="toc">${links.map(([id, label]) => `<a href="#sec-${id}">${label}</a>`).join('')}</nav>`;
}

function checksSection(view: RunView): string {
  const rows = view.checks.map((c) => {
    const details = c.result.details === undefined || c.result.details.length === 0 ? '' : `<ul>${c.result.details.map((d) => `<li>${withInlineCode(d)}</li>`).join('')}</ul>`;
    return `<tr data-check="${escapeHtml(c.name)}"><td>${escapeHtml(c.name)}</td><td>${verdictBadge(c.result.status)}</td><td>${withInlineCode(c.result.summary)}${details}</td></tr>`;
  });
  return `<section id="sec-checks"><h2>Checks</h2><table><thead><tr><th>check</th><th>verdict</th><th>what it found</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

/**
 * The violation told for a person (the run report's, and raftsim check --out's per key): `time`
 * writes a time of the history (a run's: µs as seconds), `suffix` tells the element ids of several
 * such sections on one page apart.
 */
export function violationSection(v: ViolationPanel, time: (t: number) => string = formatUs, suffix = ''): string {
  const opLine = (label: string, ref: ViolationPanel['failed']): string =>
    `<li>${label} <code>${escapeHtml(ref.text)}</code> <span class="muted">(op ${ref.id}, ${time(ref.callUs)} – ${ref.returnUs === null ? 'never returned' : time(ref.returnUs)})</span></li>`;
  const prefix =
    v.prefixLength === 0
      ? '<p>The longest linearizable prefix is empty: the very first operations cannot be ordered.</p>'
      : `<p>The longest linearizable prefix has <b>${v.prefixLength}</b> operations${v.prefixLength > v.prefixTail.length ? `; the last ${v.prefixTail.length}, in linearization order` : ', in linearization order'}:</p><ol class="mono">${v.prefixTail.map((r) => `<li>${escapeHtml(r.text)} <span class="muted">(op ${r.id})</span></li>`).join('')}</ol>`;
  return [
    `<section id="sec-violation${suffix}"><h2>The linearizability violation</h2><div class="violation">`,
    v.partition === null ? '' : `<p class="muted">In the part of the history the checker searched: <code>${escapeHtml(v.partition)}</code> (a key, for a model checked key by key).</p>`,
    `<div class="explanation" id="violation-explanation${suffix}">${v.explanation.map((l) => `<p>${withInlineCode(l)}</p>`).join('')}</div>`,
    v.explanationGenerated ? '<p class="muted">(Explanation written by the report from the history; the checker gave none.)</p>' : '',
    `<ul>${opLine('The violating operation:', v.failed)}${v.related.map((r) => opLine('Involved:', r)).join('')}</ul>`,
    prefix,
    '<p class="muted">On the timeline, the violating operation has a black outline, the ops involved a dashed purple one.</p>',
    '</div></section>',
  ].join('\n');
}

function swatch(color: string, label: string): string {
  return `<span><span class="swatch" style="background:${escapeHtml(color)}"></span>${escapeHtml(label)}</span>`;
}

function timelineSection(view: RunView): string {
  const legend = [
    swatch(STATUS_COLOR.ok, 'ok'),
    swatch(STATUS_COLOR.fail, 'failed (definitely not applied)'),
    swatch(STATUS_COLOR.unknown, 'unknown (may take effect until the end: dotted tail)'),
    ...Object.entries(FAULT_COLOR)
      .filter(([k]) => k !== 'crash-point')
      .map(([k, c]) => swatch(c, k)),
  ].join('');
  const axis = timeAxis(view.endUs);
  const bucketed = view.lanes.some((l) => isBucketed(l, axis));
  return [
    '<section id="sec-timeline"><h2>Timeline</h2>',
    '<p class="muted">One lane per client; each operation is a bar from its call to its return. Fault bands run across the top, shaded down through the lanes. Hover for details; click to move the step-through to that instant.</p>',
    `<div class="legend">${legend}</div>`,
    bucketed ? '<p class="muted">Busy lanes are drawn as density: per two pixels, the share of ok / failed / unknown operations as heights, their number as opacity. Zoom in with the step-through below.</p>' : '',
    `<div class="chart">${renderTimelineSvg(view)}</div></section>`,
  ].join('\n');
}

function nodesSection(view: RunView): string {
  const legend = (['follower', 'pre-candidate', 'candidate', 'leader'] as const).map((r) => swatch(ROLE_COLOR[r], r)).join('') + swatch('#3b3b3b', 'down (crashed)') + '<span>striped: paused</span>';
  const shades = view.bands.filter((b) => !b.instant).map((b) => ({ fromUs: b.fromUs, untilUs: b.untilUs, label: b.label, color: FAULT_COLOR[b.kind] ?? '#999' }));
  const chart = renderTermChart(view.terms, { width: SVG_WIDTH, height: 220, x0: LABEL_WIDTH, endUs: view.endUs, shades, title: 'Term of each member over time', id: 'term-chart' });
  return [
    '<section id="sec-nodes"><h2>Nodes</h2>',
    `<div class="legend">${legend}</div>`,
    `<div class="chart">${renderNodeLanesSvg(view.nodeLanes, view.endUs)}</div>`,
    `<div class="chart">${chart}</div></section>`,
  ].join('\n');
}

function stepSection(view: RunView, detailed: boolean): string {
  const spans = [10_000, 100_000, 1_000_000, 10_000_000].filter((s) => s < view.endUs);
  const defaultSpan = spans.filter((s) => s * 4 <= view.endUs).pop() ?? view.endUs;
  const options = [...spans.map((s) => `<option value="${s}"${s === defaultSpan ? ' selected' : ''}>${formatUs(s)}</option>`), `<option value="${view.endUs}"${defaultSpan === view.endUs ? ' selected' : ''}>whole run</option>`].join('');
  const source = view.step.messageSource === 'none' ? 'No message events in this trace: messages in flight are not shown.' : `Messages in flight from ${view.step.messageSource === 'raft' ? "raft's send and receive events" : "the network's deliveries"}.`;
  return [
    '<section id="sec-step"><h2>Step through</h2>',
    `<p class="muted">The cluster at one instant, drawn as the playground draws it: each member's role (colour), term${detailed ? ', vote and election timer (the bar below it)' : ''}; the links (vermillion dashes: cut, short dashes when one way only${detailed ? '; dotted reddish purple: slowed, with the delay' : ''}); messages in flight as dots (hollow: never arrives). ${escapeHtml(source)} ${view.step.frames.length} frames: every role change, crash, pause and partition${view.step.sampled ? ' (thinned evenly: there were ' + view.step.structuralInstants + ')' : ''}, and an even grid between.${detailed ? ' Logs and clients as a replay of the run found them at each frame.' : ' Logs and clients are drawn when the report is written by <code>raftsim run --out</code> or <code>raftsim report</code> (a replay of the run reads them).'}</p>`,
    '<div class="controls">',
    '<button id="step-first" title="first frame">|◀</button><button id="step-prev-event" title="previous frame where something happened">◀◀</button><button id="step-prev" title="previous frame">◀</button>',
    `<input type="range" id="step-slider" min="0" max="${Math.max(0, view.step.frames.length - 1)}" value="0" aria-label="instant">`,
    '<button id="step-next" title="next frame">▶</button><button id="step-next-event" title="next frame where something happened">▶▶</button><button id="step-last" title="last frame">▶|</button>',
    '<button id="step-play">▶ play</button><span id="step-time"></span><span id="step-index" class="muted"></span></div>',
    '<div class="step"><svg id="cluster" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 520 420" role="img" aria-label="the cluster at the chosen instant"></svg>',
    '<div><p id="step-summary"></p><h3>What happened since the previous frame</h3><ul id="step-events"></ul><h3>Clients</h3><ul id="step-clients" class="clients"></ul></div></div>',
    '<h3>Logs <span class="muted">(colour and number: the entry\'s term; faded: not committed; underlined: applied; ▌ the snapshot boundary)</span></h3><div id="step-logs" class="logs"></div>',
    `<h3>Operations around this instant</h3><div class="controls"><label>window <select id="detail-span">${options}</select></label><span id="detail-range" class="muted"></span></div>`,
    `<div class="chart"><svg id="detail" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${SVG_WIDTH} 40" width="${SVG_WIDTH}" height="40"></svg></div>`,
    '<p id="op-info" class="mono muted">Click an operation for its details.</p>',
    '</section>',
  ].join('\n');
}

function metricsSection(r: RunRecord): string {
  const m: RunMetrics = r.metrics;
  const rows: [string, string][] = [
    ['max term', formatNumber(m.maxTerm)],
    ['term rise per member', Object.entries(m.termRise).map(([k, v]) => `n${k}: ${formatNumber(v)}`).join(', ') || '—'],
    ['leader changes', formatNumber(m.leaderChanges)],
    ['leader changes after heal', formatNumber(m.leaderChangesAfterHeal)],
    ['elections', formatNumber(m.elections)],
    ['longest write unavailability', `${formatNumber(m.unavailableMs)} ms`],
    ['stale reads', formatNumber(m.staleReads)],
    ['read latency p50 / p99', `${formatNumber(m.readLatencyMsP50)} / ${formatNumber(m.readLatencyMsP99)} ms`],
    ['write latency p50 / p99', `${formatNumber(m.writeLatencyMsP50)} / ${formatNumber(m.writeLatencyMsP99)} ms`],
    ['acknowledged writes lost', formatNumber(m.lostAckedWrites)],
    ...Object.entries(m.extra).map(([k, v]): [string, string] => [k, formatNumber(v)]),
  ];
  return `<section id="sec-metrics"><h2>Metrics</h2><table>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td class="num">${escapeHtml(v)}</td></tr>`).join('')}</table></section>`;
}

function settingsSection(r: RunRecord): string {
  const json = JSON.stringify(r.settings, null, 2) ?? 'null';
  return `<section id="sec-settings"><h2>Settings</h2><details><summary>The fully resolved scenario this run used</summary><pre>${escapeHtml(json)}</pre></details></section>`;
}
