/**
 * `npm run bench:hunt [-- --seeds N] [--workers W] [--bugs id,id] [--json]`: time-to-find of each
 * known bug by the generic swarm (scenarios/cli/hunt.ts, as `raftsim hunt` runs it, without the
 * shrink and the fix check). Prints `hunt.<bug>.cpu_s` (CPU seconds of the search, all threads) and
 * `hunt.<bug>.seeds` for each bug found within N seeds (default 300), and `hunt.found` / `hunt.bugs`.
 * Too long for the default `npm run bench` (minutes of CPU): its own script. Reads the clock on purpose.
 */
import { BUG_IDS } from '../scenarios/bugs.js';
import { huntBug } from '../scenarios/cli/hunt.js';
import type { Figure } from './run.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const seeds = Number(arg('--seeds') ?? 300);
const workers = Number(arg('--workers') ?? 2);
const bugs = arg('--bugs')?.split(',') ?? [...BUG_IDS];
const json = process.argv.includes('--json');
const figures: Figure[] = [];
const emit = (f: Figure): void => {
  figures.push(f);
  if (json) console.log(JSON.stringify(f));
  else console.log(`${f.bench.padEnd(48)} ${String(f.value).padStart(14)} ${f.unit}`);
};
let found = 0;
for (const bug of bugs) {
  const r = await huntBug(bug, { source: { kind: 'builtin', name: 'swarm' }, from: 1, seeds, workers, overrides: [], outDir: null, shrinkRuns: 0, skipFixCheck: true });
  if (!r.found) {
    process.stderr.write(`hunt.${bug}: not found in ${r.seedsRun} seeds (${r.cpuSeconds} CPU s)\n`);
    continue;
  }
  found++;
  emit({ bench: `hunt.${bug}.cpu_s`, value: r.cpuSeconds, unit: 'CPU s' });
  emit({ bench: `hunt.${bug}.seeds`, value: r.seedsToFind ?? 0, unit: 'seeds' });
}
emit({ bench: 'hunt.found', value: found, unit: 'bugs' });
emit({ bench: 'hunt.bugs', value: bugs.length, unit: 'bugs' });
