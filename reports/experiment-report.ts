/**
 * The experiment report, as HTML (charts as inline SVG, no script at all) and as Markdown (tables
 * and the same explanation, for a README or a terminal). Arms sit side by side: the representative
 * run of each arm drawn on the same kind of term chart, then each metric's distribution over seeds
 * with one row per arm.
 */
import { renderBarChart, renderDotPlot } from './charts-svg.js';
import { faultColor } from './colors.js';
import { escapeHtml, safeHref, withInlineCode } from './escape.js';
import type { ArmData, ExperimentData, RepresentativeRun } from './experiment-data.js';
import { armDistribution, armValues, checkedSeeds, explainExperiment, runsOtherScenario, seedVerdictText, specOf, titleOf, violationSeeds, type ExplanationSection } from './experiment-view.js';
import { experimentStem } from './file-names.js';
import { formatNumber, formatValue } from './format.js';
import { renderPage } from './page.js';
import { renderTermChart } from './term-chart-svg.js';

const CHART_W = 600;
/** Distributions get a full row: their dots need the width. */
const WIDE_W = 1000;
/** Per-seed rows shown at most in the per-seed table. */
const SEED_ROWS_MAX = 500;

export function renderExperimentHtml(result: ExperimentData): string {
  const sections = explainExperiment(result);
  const body = [
    `<header><h1>${escapeHtml(titleOf(result))}</h1>`,
    `<div class="facts"><span>experiment <b class="mono">${escapeHtml(result.experiment)}</b></span><span>seeds <b>${result.seeds.length}</b></span><span>arms <b>${result.arms.map((a) => escapeHtml(a.name)).join(' · ')}</b></span></div>`,
    result.command === undefined ? '' : `<p class="muted">Rerun it:</p><pre>${escapeHtml(result.command)}</pre>`,
    '</header>',
    result.summary === undefined || result.summary.length === 0 ? '' : `<section class="explain"><h2>In short</h2><div class="summary">${result.summary.map((p) => `<p>${withInlineCode(p)}</p>`).join('')}</div></section>`,
    explanationHtml(sections.slice(0, 2)),
    representativesHtml(result),
    panelsHtml(result),
    explanationHtml(sections.slice(2)),
    armsTableHtml(result),
    perSeedHtml(result),
  ].join('\n');
  return renderPage({ title: `raftsim experiment ${result.experiment}`, body, script: '' });
}

function explanationHtml(sections: readonly ExplanationSection[]): string {
  return sections.map((s) => `<section class="explain"><h2>${escapeHtml(s.heading)}</h2>${s.paragraphs.map((p) => `<p>${withInlineCode(p)}</p>`).join('')}</section>`).join('\n');
}

function representativeChart(a: ArmData, r: RepresentativeRun, i: number): string {
  const shades = r.faults.filter((f) => f.untilUs === null || f.untilUs > f.atUs).map((f) => ({ fromUs: f.atUs, untilUs: f.untilUs ?? r.endUs, label: f.label, color: faultColor(f.kind) }));
  const chart = renderTermChart(r.terms, { width: CHART_W, height: 230, x0: 46, endUs: r.endUs, shades, title: `${a.name} · seed ${r.seed}`, id: `rep-${i}` });
  const href = safeHref(r.reportHref);
  const isolated = r.isolated === null ? '' : ` The isolated member is <b>n${r.isolated}</b>.`;
  return `<div class="panel" data-arm="${escapeHtml(a.name)}"><div class="chart">${chart}</div><p class="muted">Term of every member over time; shaded: the faults.${isolated}${href === null ? '' : ` <a href="${escapeHtml(href)}">Open this run's report</a>.`}</p><pre>${escapeHtml(r.reproduce)}</pre></div>`;
}

function representativesHtml(result: ExperimentData): string {
  const reps = result.arms.map((a, i) => (a.representative === null ? '' : representativeChart(a, a.representative, i))).filter((s) => s !== '');
  if (reps.length === 0) return '';
  return `<section><h2>One seed, every arm</h2><div class="panels">${reps.join('')}</div></section>`;
}

function panelsHtml(result: ExperimentData): string {
  const spec = specOf(result);
  const panels: string[] = [];
  if (result.experiment === 'readindex') {
    const seeds = result.seeds.length;
    const note = (a: ArmData): string => {
      const checked = a.perSeed.length === 0 ? seeds : checkedSeeds(a, 'linearizable');
      return checked === seeds ? `${violationSeeds(a)} of ${seeds} seeds` : `${violationSeeds(a)} of ${checked} seeds checked`;
    };
    panels.push(renderBarChart(result.arms.map((a) => ({ label: a.name, value: violationSeeds(a), note: note(a) })), { width: WIDE_W, title: 'seeds with a linearizability violation', id: 'violation-seeds', max: Math.max(1, seeds) }));
    panels.push(renderBarChart(result.arms.map((a) => ({ label: a.name, value: armValues(a, 'staleReads').reduce((s, v) => s + v, 0) })), { width: WIDE_W, title: 'stale reads, all seeds', id: 'stale-reads' }));
  }
  if (result.experiment === 'fsync') panels.push(renderBarChart(result.arms.map((a) => ({ label: a.name, value: armValues(a, 'lostAckedWrites').reduce((s, v) => s + v, 0) })), { width: WIDE_W, title: 'acknowledged writes lost, all seeds', id: 'lost-writes' }));
  spec.metrics.forEach((m, i) => {
    const rows = result.arms.map((a) => ({ label: a.name, values: armValues(a, m.key) }));
    if (rows.every((r) => r.values.length === 0)) return;
    panels.push(renderDotPlot(rows, { width: WIDE_W, title: `${m.label}, per seed`, unit: m.unit, id: `dist-${i}` }));
  });
  if (panels.length === 0) return '';
  return `<section><h2>Over all seeds</h2><p class="muted">Each dot is one seed; equal values stack; the dark tick is the median.</p><div class="panels wide">${panels.map((p) => `<div class="panel"><div class="chart">${p}</div></div>`).join('')}</div></section>`;
}

function cell(v: number | undefined): string {
  return v === undefined ? '—' : formatNumber(v);
}

/** The arms table's columns: the data's own (with headers) first, then every other metric. */
function tableColumns(result: ExperimentData): { metric: string; header: string }[] {
  const given = result.columns ?? [];
  const rest = [...new Set(result.arms.flatMap((a) => Object.keys(a.metrics)))].filter((k) => !given.some((c) => c.metric === k));
  return [...given, ...rest.map((metric) => ({ metric, header: metric }))];
}

function armsTableHtml(result: ExperimentData): string {
  const cols = tableColumns(result);
  const head = `<tr><th>arm</th>${cols.map((c) => `<th class="num" title="${escapeHtml(c.metric)}">${escapeHtml(c.header)}</th>`).join('')}<th>settings</th></tr>`;
  const on = (a: ArmData): string => (runsOtherScenario(result, a) ? ` <span class="muted">on ${escapeHtml(a.scenario ?? '')}</span>` : '');
  const rows = result.arms.map((a) => `<tr data-arm="${escapeHtml(a.name)}"><td><b>${escapeHtml(a.name)}</b>${on(a)}</td>${cols.map((c) => `<td class="num">${cell(a.metrics[c.metric])}</td>`).join('')}<td class="mono">${escapeHtml(formatValue(a.settings, 120))}</td></tr>`);
  return `<section><h2>The arms side by side</h2><table id="arms-table"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function perSeedHtml(result: ExperimentData): string {
  const keys = [...new Set(result.arms.flatMap((a) => a.perSeed.flatMap((s) => Object.keys(s.values))))];
  const rows: string[] = [];
  for (const a of result.arms) {
    for (const s of a.perSeed.slice(0, SEED_ROWS_MAX)) {
      rows.push(`<tr><td>${escapeHtml(a.name)}</td><td class="num">${s.seed}</td>${keys.map((k) => `<td class="num">${s.values[k] === undefined ? '—' : escapeHtml(formatNumber(s.values[k]))}</td>`).join('')}<td>${escapeHtml(seedVerdictText(s))}</td><td class="mono">${escapeHtml(s.reproduce)}</td></tr>`);
    }
  }
  const head = `<tr><th>arm</th><th class="num">seed</th>${keys.map((k) => `<th class="num">${escapeHtml(k)}</th>`).join('')}<th>verdict</th><th>reproduce</th></tr>`;
  return `<section><h2>Every seed</h2><details><summary>${rows.length} runs</summary><table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></details></section>`;
}

/** Markdown text: `code` spans kept, the characters that would make tables or markup escaped elsewhere. */
export function mdText(line: string): string {
  const parts = line.split('`');
  if (parts.length % 2 === 0) return mdEscape(line);
  return parts.map((p, i) => (i % 2 === 1 ? `\`${p.replace(/\|/g, '\\|')}\`` : mdEscape(p))).join('');
}

function mdEscape(s: string): string {
  return s.replace(/[\\|*_<>[\]#]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : `\\${c}`));
}

export function renderExperimentMarkdown(result: ExperimentData): string {
  const spec = specOf(result);
  const sections = explainExperiment(result);
  const out: string[] = [`# ${mdEscape(titleOf(result))}`, '', `Experiment \`${result.experiment.replace(/`/g, '')}\`, ${result.seeds.length} seeds, arms ${result.arms.map((a) => `\`${a.name.replace(/`/g, '')}\``).join(', ')}.`, ''];
  if (result.command !== undefined) out.push('```', result.command.replace(/```/g, ''), '```', '');
  const section = (s: ExplanationSection): void => {
    out.push(`## ${mdEscape(s.heading)}`, '');
    for (const p of s.paragraphs) out.push(mdText(p), '');
  };
  if (result.summary !== undefined && result.summary.length > 0) section({ heading: 'In short', paragraphs: result.summary });
  sections.slice(0, 2).forEach(section);
  const cols = tableColumns(result);
  out.push('## The arms side by side', '', `| arm | ${cols.map((c) => mdEscape(c.header)).join(' | ')} |`, `| --- |${cols.map(() => ' ---: |').join('')}`);
  for (const a of result.arms) out.push(`| ${mdEscape(a.name)}${runsOtherScenario(result, a) ? ` (on ${mdEscape(a.scenario ?? '')})` : ''} | ${cols.map((c) => cell(a.metrics[c.metric])).join(' | ')} |`);
  out.push('', '## Over all seeds', '', '| metric | arm | seeds | min | median | max | seeds > 0 |', '| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const m of spec.metrics) {
    for (const a of result.arms) {
      const d = armDistribution(a, m.key);
      if (d.n === 0) continue;
      out.push(`| ${mdEscape(m.label)}${m.unit === '' ? '' : ` (${m.unit})`} | ${mdEscape(a.name)} | ${d.n} | ${formatNumber(d.min)} | ${formatNumber(d.median)} | ${formatNumber(d.max)} | ${d.positive} |`);
    }
  }
  out.push('');
  sections.slice(2).forEach(section);
  const stem = experimentStem(result.experiment);
  out.push(`Charts: [${mdEscape(stem)}.html](${stem}.html)`, '');
  return out.join('\n');
}
