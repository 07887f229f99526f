/**
 * The one module of reports/ that touches files: it writes what the pure renderers return. The CLI
 * calls it for `raftsim run --out DIR`, `raftsim report <run.json>`, `raftsim experiment …
 * --out DIR` and `raftsim check <history> --out DIR`, and `npm start` ends with `writeIndex`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../record/run-record.js';
import { renderCheckReport, type CheckReportData } from './check-report.js';
import { renderExperimentHtml, renderExperimentMarkdown } from './experiment-report.js';
import type { ExperimentResult } from '../record/experiment-record.js';
import { experimentDataOf } from './experiment-adapter.js';
import type { ExperimentData } from './experiment-data.js';
import { experimentStem, fileStem } from './file-names.js';
import { renderIndexPage, type IndexEntry } from './index-page.js';
import { assert } from './invariant.js';
import { renderRunReport } from './run-report.js';
import type { FrameDetail } from './picture/model.js';

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
  /** What a replay read at the step-through's instants (scenarios/report-pictures.ts): logs and clients in the step-through. */
  readonly details: ReadonlyMap<number, FrameDetail> | null;
}

export function writeRunReport(dir: string, record: RunRecord, options: Partial<WriteRunOptions> = {}): RunReportFiles {
  const stem = fileStem(options.stem ?? 'run');
  mkdirSync(dir, { recursive: true });
  const html = join(dir, `${stem}.html`);
  writeFileSync(html, renderRunReport(record, { details: options.details ?? null }));
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
  /** The report's input (ExperimentData) as JSON: enough to render it again. */
  readonly json: string;
  /** The representative runs' own reports (one per arm that kept one). */
  readonly runs: readonly string[];
  /** What was rendered, e.g. for `indexEntryForExperiment(files.data, 'prevote')`. */
  readonly data: ExperimentData;
}

/**
 * Writes the experiment report for the runner's result: `experiment-<name>.html`, `.md` and
 * `.json`, and each arm's representative run as its own run report
 * (`experiment-<name>-<arm>-seed<N>.html`), linked from the experiment report.
 */
export function writeExperimentReport(dir: string, result: ExperimentResult): ExperimentReportFiles {
  mkdirSync(dir, { recursive: true });
  const runs: string[] = [];
  const data = experimentDataOf(result, (arm) => {
    if (arm.representative === null) return null;
    const stem = `${experimentStem(result.experiment)}-${fileStem(arm.name)}-seed${arm.representative.seed}`;
    runs.push(writeRunReport(dir, arm.representative, { stem, writeJson: false }).html);
    return `${stem}.html`;
  });
  return { ...writeExperimentData(dir, data), runs, data };
}

/** Writes `experiment-<name>.html`, `.md` and `.json` for data already in the report's shape. */
export function writeExperimentData(dir: string, data: ExperimentData): { readonly html: string; readonly markdown: string; readonly json: string } {
  assert(data.arms.length > 0, () => `experiment ${data.experiment}: no arms to report`);
  const stem = experimentStem(data.experiment);
  mkdirSync(dir, { recursive: true });
  const files = { html: join(dir, `${stem}.html`), markdown: join(dir, `${stem}.md`), json: join(dir, `${stem}.json`) };
  writeFileSync(files.html, renderExperimentHtml(data));
  writeFileSync(files.markdown, renderExperimentMarkdown(data));
  writeFileSync(files.json, `${JSON.stringify(data)}\n`);
  return files;
}

/** Writes `index.html` linking `entries` (hrefs relative to `dir`). */
export function writeIndex(dir: string, entries: readonly IndexEntry[], title = 'raftsim reports'): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'index.html');
  writeFileSync(path, renderIndexPage(entries, title));
  return path;
}

/** Writes `DIR/check.html`, the page of one `raftsim check` (check-report.ts); returns its path. */
export function writeCheckReport(dir: string, data: CheckReportData): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'check.html');
  writeFileSync(path, renderCheckReport(data));
  return path;
}
