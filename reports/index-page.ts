/**
 * The index page (`index.html`): links to every report a command produced — experiments first,
 * then runs — each with its verdict and a one-line summary.
 */
import type { RunRecord } from '../record/run-record.js';
import { escapeHtml, safeHref } from './escape.js';
import type { ExperimentData } from './experiment-data.js';
import { titleOf } from './experiment-view.js';
import { experimentStem } from './file-names.js';
import { renderPage } from './page.js';
import { overallVerdict } from './run-view.js';

export interface IndexEntry {
  readonly kind: 'experiment' | 'run' | 'other';
  readonly title: string;
  /** Relative to the index page. */
  readonly href: string;
  /** `pass`, `fail`, `unknown`, or null when it has none (experiments). */
  readonly verdict: string | null;
  readonly summary: string;
  /** Further files (the Markdown, the JSON), relative hrefs with a label. */
  readonly extra?: readonly { readonly label: string; readonly href: string }[];
}

export function indexEntryForRun(record: RunRecord, href: string): IndexEntry {
  return {
    kind: 'run',
    title: `${record.scenario} · seed ${record.seed}`,
    href,
    verdict: overallVerdict(record.checks),
    summary: `${record.ops.ok} ok, ${record.ops.fail} failed, ${record.ops.unknown} unknown ops over ${record.virtualMs} ms; ${record.faults.length} faults`,
  };
}

/** `hrefDir`: where the experiment's files are, relative to the index ('' for the same folder). */
export function indexEntryForExperiment(result: ExperimentData, hrefDir = ''): IndexEntry {
  const prefix = hrefDir === '' ? '' : `${hrefDir.replace(/\/$/, '')}/`;
  const stem = `${prefix}${experimentStem(result.experiment)}`;
  const runs = result.arms.flatMap((a) => (a.representative?.reportHref == null ? [] : [{ label: `${a.name} seed ${a.representative.seed}`, href: `${prefix}${a.representative.reportHref}` }]));
  const counts = `${result.seeds.length} seeds × ${result.arms.length} arms (${result.arms.map((a) => a.name).join(', ')})`;
  return {
    kind: 'experiment',
    title: titleOf(result),
    href: `${stem}.html`,
    verdict: null,
    summary: result.question === undefined ? `${result.experiment}: ${counts}` : `${result.question} ${counts}`,
    extra: [{ label: 'Markdown', href: `${stem}.md` }, { label: 'JSON', href: `${stem}.json` }, ...runs],
  };
}

function link(href: string, label: string): string {
  const safe = safeHref(href);
  return safe === null ? escapeHtml(label) : `<a href="${escapeHtml(safe)}">${escapeHtml(label)}</a>`;
}

function entryHtml(e: IndexEntry): string {
  const verdict = e.verdict === null ? '' : ` <span class="verdict ${escapeHtml(e.verdict)}">${escapeHtml(e.verdict)}</span>`;
  const extra = (e.extra ?? []).map((x) => link(x.href, x.label)).join(' · ');
  return `<li>${link(e.href, e.title)}${verdict}<br><span class="muted">${escapeHtml(e.summary)}</span>${extra === '' ? '' : ` <span class="muted">(${extra})</span>`}</li>`;
}

/** The playground page, written beside the index by `npm start` (bin/playground.js). */
export const PLAYGROUND_HREF = 'playground.html';

export function renderIndexPage(entries: readonly IndexEntry[], title = 'raftsim reports'): string {
  const groups: [IndexEntry['kind'], string][] = [
    ['experiment', 'Experiments'],
    ['run', 'Runs'],
    ['other', 'Other'],
  ];
  const sections = groups
    .map(([kind, heading]) => {
      const list = entries.filter((e) => e.kind === kind);
      return list.length === 0 ? '' : `<section><h2>${heading}</h2><ul>${list.map(entryHtml).join('')}</ul></section>`;
    })
    .join('\n');
  const body = `<header><h1>${escapeHtml(title)}</h1><p class="muted">Every page here is a single file that works offline.</p><p>${link(PLAYGROUND_HREF, 'The playground')}: the same simulator live in the browser — guided lessons, click to crash, pause, isolate or split members (<code>npm run playground</code> builds it; <code>npm start</code> writes it beside this index).</p></header>\n${entries.length === 0 ? '<p>Nothing was produced.</p>' : sections}`;
  return renderPage({ title, body, script: '' });
}
