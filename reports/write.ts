/**
 * The one module of reports/ that touches files: it writes what the pure renderers return. The CLI
 * calls it for `raftsim run --out DIR`, `raftsim report <run.json>` and `raftsim experiment …
 * --out DIR`, and `npm start` ends with `writeIndex`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../scenarios/run-record.js';
import { renderExperimentHtml, renderExperimentMarkdown } from './experiment-report.js';
import type { ExperimentResult } from './experiment-result.js';
import { experimentStem, fileStem } from './file-names.js';
import { renderIndexPage, type IndexEntry } from './index-page.js';
import { assert } from './invariant.js';
import { renderRunReport } from './run-report.js';

export interface RunReportFiles {
  readonly html: string;
  /** The run record as JSON (null when not written). */
  readonly json: string | null;
}

export interface WriteRunOptions {
  /** File name stem: `<stem>.html`, `<stem>.json`. Default `run`. */
  readonly stem: string;
  /** Also write the record as `<stem>.json` (default true; `raftsim report run.json` passes false). */
  readonly writeJson: boolean;
}

export function writeRunReport(dir: string, record: RunRecord, options: Partial<WriteRunOptions> = {}): RunReportFiles {
  const stem = fileStem(options.stem ?? 'run');
  mkdirSync(dir, { recursive: true });
  const html = join(dir, `${stem}.html`);
  writeFileSync(html, renderRunReport(record));
  let json: string | null = null;
  if (options.writeJson ?? true) {
    json = join(dir, `${stem}.json`);
    writeFileSync(json, `${JSON.stringify(record)}\n`);
  }
  return { html, json };
}

export interface ExperimentReportFiles {
  readonly html: string;
  readonly markdown: string;
  readonly json: string;
}

/** Writes `experiment-<name>.html`, `.md` and `.json` (the result as given). */
export function writeExperimentReport(dir: string, result: ExperimentResult): ExperimentReportFiles {
  assert(result.arms.length > 0, () => `experiment ${result.experiment}: no arms to report`);
  const stem = experimentStem(result.experiment);
  mkdirSync(dir, { recursive: true });
  const files = { html: join(dir, `${stem}.html`), markdown: join(dir, `${stem}.md`), json: join(dir, `${stem}.json`) };
  writeFileSync(files.html, renderExperimentHtml(result));
  writeFileSync(files.markdown, renderExperimentMarkdown(result));
  writeFileSync(files.json, `${JSON.stringify(result, null, 1)}\n`);
  return files;
}

/** Writes `index.html` linking `entries` (hrefs relative to `dir`). */
export function writeIndex(dir: string, entries: readonly IndexEntry[], title = 'raftsim reports'): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'index.html');
  writeFileSync(path, renderIndexPage(entries, title));
  return path;
}
