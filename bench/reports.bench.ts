/**
 * The reports (`npm run bench -- --filter reports`): how long a large run takes to render, and how
 * big the page is.
 *
 * - `reports.run_100k.render_ms`: CPU ms to build the view model and render the HTML of a
 *   100,000-operation, 300-virtual-second, 5-member run (hand-built: reports/testing/fixtures.ts
 *   `largeRecord`), best of 3 after a warm-up.
 * - `reports.run_100k.html_bytes`: the size of that page (the op data embedded for the zoomed
 *   timeline is most of it).
 * - `reports.run_100k.svg_rects`: shapes in its server-drawn SVG (bounded by bucketing, whatever
 *   the op count).
 * - `reports.run_small.render_ms`: the same for the 5-op stale-read story (the fixed cost: 1,000
 *   step-through frames).
 * - `reports.experiment_prevote.render_ms`: HTML + Markdown of a 20-seed prevote experiment.
 *
 * Times are per CPU (`process.cpuUsage`: the machine is shared). Clocks are read here on purpose.
 */
import { renderExperimentHtml, renderExperimentMarkdown } from '../reports/experiment-report.js';
import { renderRunReport } from '../reports/run-report.js';
import { largeRecord, prevoteExperiment, staleReadRecord } from '../reports/testing/fixtures.js';
import type { Benchmark, Figure } from './run.js';
import { bestCpuMs } from './measure.js';

export const benchmarks: Benchmark[] = [
  {
    name: 'reports.run_100k',
    run(): Figure[] {
      const record = largeRecord(100_000, 10, 300);
      let html = '';
      const ms = bestCpuMs(() => {
        html = renderRunReport(record);
      });
      const svg = html.slice(html.indexOf('<svg'), html.indexOf('<script type="application/json"'));
      return [
        { bench: 'reports.run_100k.render_ms', value: ms, unit: 'ms' },
        { bench: 'reports.run_100k.html_bytes', value: html.length, unit: 'bytes' },
        { bench: 'reports.run_100k.svg_rects', value: svg.match(/<rect/g)?.length ?? 0, unit: 'rects' },
      ];
    },
  },
  {
    name: 'reports.run_small',
    run(): Figure[] {
      const record = staleReadRecord();
      return [{ bench: 'reports.run_small.render_ms', value: bestCpuMs(() => renderRunReport(record), 5), unit: 'ms' }];
    },
  },
  {
    name: 'reports.experiment_prevote',
    run(): Figure[] {
      const data = prevoteExperiment(20);
      return [{ bench: 'reports.experiment_prevote.render_ms', value: bestCpuMs(() => renderExperimentHtml(data) + renderExperimentMarkdown(data), 5), unit: 'ms' }];
    },
  },
];
