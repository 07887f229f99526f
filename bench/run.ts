/**
 * `npm run bench`: runs every `bench/*.bench.ts` module and prints its figures.
 *
 * Each module exports `benchmarks: Benchmark[]`. A benchmark returns figures; it never asserts a
 * time. `npm run bench -- --json` prints one JSON object per line:
 * `{"bench": "<name>", "value": <number>, "unit": "<unit>"}`. `--filter <substring>` runs only the
 * benchmarks whose name contains it; an opt-in benchmark (a long one) runs only when the filter
 * contains its whole name (`--filter run.1h`).
 *
 * This file runs outside the simulation: it reads the directory and the wall clock on purpose.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface Figure {
  readonly bench: string;
  readonly value: number;
  readonly unit: string;
}

export interface Benchmark {
  /** Prefix of the figures it prints, e.g. `sim.scheduler`. */
  readonly name: string;
  /** Long: runs only when `--filter` names it (contains its whole name), never in a plain `npm run bench`. */
  readonly optIn?: boolean;
  run(): Figure[] | Promise<Figure[]>;
}

const args = process.argv.slice(2);
const json = args.includes('--json');
const filterAt = args.indexOf('--filter');
const filter = filterAt >= 0 ? args[filterAt + 1] ?? '' : '';

const here = dirname(fileURLToPath(import.meta.url));
const files = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).sort();

for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { benchmarks?: Benchmark[] };
  for (const b of mod.benchmarks ?? []) {
    if (b.optIn === true ? !filter.includes(b.name) : filter !== '' && !b.name.includes(filter)) continue;
    const figures = await b.run();
    for (const f of figures) {
      if (json) console.log(JSON.stringify(f));
      else console.log(`${f.bench.padEnd(48)} ${formatValue(f.value).padStart(14)} ${f.unit}`);
    }
  }
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 2 });
}
