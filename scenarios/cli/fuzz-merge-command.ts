/**
 * `raftsim fuzz merge <dir|files…> [--junit FILE] [--json]`: joins the JSON summaries of a
 * campaign's shards (`raftsim fuzz --shard k/n --json > shard-k.json` on each CI machine) into one
 * summary and one JUnit file, failures de-duplicated by check and signature (scenarios/fuzz-summary.ts).
 * A directory contributes its `.json` files that are fuzz summaries (shrunk scenario files beside
 * them are passed over); a file named on its own must be one. Summaries of different campaigns, or
 * two of one shard, are refused: one line, exit 2. Exit 1 when a merged shard failed, 3 when the
 * only problem is a checker's budget, else 0 (missing shards are reported, not failed: their CI
 * job failed already).
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { EXIT_BUDGET_EXHAUSTED, EXIT_CHECK_FAILED, UserInputError } from '../errors.js';
import { FUZZ_SCHEMA, mergeFuzzSummaries, parseFuzzSummary, type FuzzSummary, type MergedSummary } from '../fuzz-summary.js';
import { shardSeeds } from '../fuzz.js';
import { print, readJson } from './io.js';

interface MergeArgs {
  readonly inputs: string[];
  readonly junit: string | undefined;
  readonly json: boolean;
}

export const fuzzMergeCommand: CommandModule<object, MergeArgs> = {
  command: 'merge <inputs..>',
  describe: 'Join the shards\' --json summaries of one campaign into one summary and one JUnit file',
  builder: (y: Argv) =>
    y
      .positional('inputs', { type: 'string', array: true, describe: 'summary files, or directories holding them' })
      .option('junit', { type: 'string', describe: 'write the JUnit XML of the whole campaign here (one test suite per shard)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the merged summary as JSON (schema "raftsim.fuzz-merge/1")' })
      .example('$0 fuzz merge shards/ --junit fuzz.xml', 'every shard-*.json in shards/') as unknown as Argv<MergeArgs>,
  handler: (args) => {
    const inputs = readSummaries(args.inputs.map(String));
    const merged = mergeFuzzSummaries(inputs);
    if (!merged.ok) throw new UserInputError({ file: merged.file, message: merged.message });
    if (args.junit !== undefined) writeFileSync(args.junit, merged.junit);
    if (args.json) print(JSON.stringify(merged.summary, null, 1));
    else report(merged.summary, inputs, args.junit);
    const s = merged.summary;
    if (s.failed > 0 || s.errors > 0) process.exitCode = EXIT_CHECK_FAILED;
    else if (s.unknown > 0) process.exitCode = EXIT_BUDGET_EXHAUSTED;
  },
};

function readSummaries(args: readonly string[]): { file: string; summary: FuzzSummary }[] {
  const out: { file: string; summary: FuzzSummary }[] = [];
  for (const arg of args) {
    const isDir = (() => {
      try {
        return statSync(arg).isDirectory();
      } catch {
        return false;
      }
    })();
    if (!isDir) {
      out.push({ file: arg, summary: parsed(arg, readJson(arg)) });
      continue;
    }
    const files = readdirSync(arg).filter((f) => f.endsWith('.json')).sort();
    let found = 0;
    for (const f of files) {
      const file = join(arg, f);
      const json = readJson(file);
      if (typeof json !== 'object' || json === null || (json as { schema?: unknown }).schema !== FUZZ_SCHEMA) continue;
      out.push({ file, summary: parsed(file, json) });
      found++;
    }
    if (found === 0) throw new UserInputError({ file: arg, message: `no fuzz summary in this directory (a .json file with "schema": "${FUZZ_SCHEMA}", as \`raftsim fuzz --json\` prints)` });
  }
  return out;
}

function parsed(file: string, json: unknown): FuzzSummary {
  const r = parseFuzzSummary(json);
  if (!r.ok) throw new UserInputError({ file, path: r.path, message: r.message });
  return r.value;
}

function report(s: MergedSummary, inputs: readonly { file: string }[], junit: string | undefined): void {
  const n = s.campaign.shards;
  print(`fuzz merge ${s.scenario}: ${s.shardsMerged.length} of ${n} shards (${inputs.length} files), ${s.ran} of ${s.seeds} seeds run, ${s.passed} passed, ${s.failed} failed, ${s.unknown} unknown, ${s.errors} crashed`);
  if (s.shardsMissing.length > 0) {
    const seeds = s.shardsMissing.reduce((a, k) => a + shardSeeds(s.campaign.from, s.campaign.seeds, { k, n }).length, 0);
    print(`INCOMPLETE: no summary of shard ${s.shardsMissing.map((k) => `${k}/${n}`).join(', ')} (${seeds} seeds not run)`);
  }
  if (s.interrupted) print('interrupted: a shard was stopped by a signal; its seeds not run are skipped in the JUnit file');
  if (s.notRun > 0) print(`${s.notRun} seeds not run in all${junit === undefined ? '' : ` (skipped in ${junit})`}`);
  if (s.failures.length === 0) return;
  const total = s.failures.reduce((a, f) => a + f.count, 0);
  print(`${total} failing seeds, ${s.failures.length} distinct ${s.failures.length === 1 ? 'failure' : 'failures'} (by check and signature):`);
  for (const f of s.failures) {
    const seeds = f.seeds.length > 10 ? `${f.seeds.slice(0, 10).join(', ')}, …` : f.seeds.join(', ');
    print(`  ${f.check} ×${f.count} (seed ${seeds}): ${f.first.summary}`);
    if (f.shrunk !== null) print(`    shrunk: ${f.shrunk.file} (reproduce: ${f.shrunk.reproduce})`);
    print(`    reproduce: ${f.first.reproduce}`);
  }
}
