/**
 * `raftsim report <run.json> [--out DIR] [--json]`: renders a saved run record as its HTML report
 * (by default next to the record, with the same name). `--json` prints what was written and the
 * record's verdict: `{report, record, scenario, seed, traceHash, verdict}`.
 */
import { basename, dirname } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { writeRunReport } from '../../reports/write.js';
import { captureReportPictures } from '../report-pictures.js';
import { UserInputError } from '../errors.js';
import { verdictOf } from '../fuzz.js';
import { parseRunRecord } from '../run-record-file.js';
import { print, readText } from './io.js';

interface ReportArgs {
  readonly record: string;
  readonly out: string | undefined;
  readonly json: boolean;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <record>',
  describe: 'Render a run record (run.json) as an HTML report',
  builder: (y: Argv) =>
    y
      .positional('record', { type: 'string', describe: 'a run.json written by `raftsim run --out`' })
      .option('out', { type: 'string', describe: 'directory for the HTML (default: the record\'s)' })
      .option('json', { type: 'boolean', default: false, describe: 'print {report, record, scenario, seed, traceHash, verdict} as JSON' })
      .example('$0 report out/stale/run.json', 'writes out/stale/run.html') as unknown as Argv<ReportArgs>,
  handler: (args) => {
    const parsed = parseRunRecord(readText(args.record), args.record);
    if (!parsed.ok) throw new UserInputError(parsed.error);
    const stem = basename(args.record).replace(/\.json$/, '');
    const files = writeRunReport(args.out ?? dirname(args.record), parsed.value, { stem, writeJson: false, details: captureReportPictures(parsed.value) });
    const r = parsed.value;
    if (args.json) print(JSON.stringify({ report: files.html, record: args.record, scenario: r.scenario, seed: r.seed, traceHash: r.traceHash, verdict: verdictOf(r.checks).status }, null, 1));
    else print(`report: ${files.html}`);
  },
};
