/**
 * Start-up of the command (`npm run bench -- --filter cli`), as a user pays it on every call.
 *
 * - `cli.startup_ms`: wall ms of `raftsim --version` (bin/raftsim.js, from the build that `npm ci`
 *   made), median of 15 runs. Target ≤ 150 ms.
 * - `cli.startup_cpu_ms`: the CPU ms (user + system) that child spent, median of the same runs,
 *   read by the child itself at exit (the machine is shared: CPU time holds where wall time swings).
 * - `cli.node_baseline_ms` / `cli.node_baseline_cpu_ms`: the same for `node -e ''`, interleaved
 *   with the runs above — what Node itself costs here, now.
 * - `cli.bad_input_ms` / `cli.bad_input_cpu_ms`: `raftsim run no-such-scenario` (a one-line
 *   error, exit 2): the run command's code is loaded, the simulation never starts.
 * - `cli.from_source_ms`: `--version` through tsx without the build, the figure before the build
 *   step existed (median of 5).
 *
 * Clocks and child processes are used here on purpose.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Benchmark, Figure } from './run.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Preloaded into each child: it writes the CPU time it spent to stderr as its last line. */
const CPU_PROBE = `data:text/javascript,process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('\\ncpu-us '+(u.user+u.system)+'\\n')})`;

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
}

function sample(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Sample {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', CPU_PROBE, ...args], { cwd: ROOT, encoding: 'utf8', env });
  const wallMs = performance.now() - t0;
  const m = /cpu-us (\d+)\s*$/.exec(r.stderr);
  if (m === null) throw new Error(`cli bench: ${args.join(' ')} reported no CPU time (exit ${r.status}): ${r.stderr.slice(0, 300)}`);
  return { wallMs, cpuMs: Number(m[1]) / 1000 };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function figures(name: string, samples: readonly Sample[]): Figure[] {
  return [
    { bench: `cli.${name}_ms`, value: Math.round(median(samples.map((s) => s.wallMs))), unit: 'ms' },
    { bench: `cli.${name}_cpu_ms`, value: Math.round(median(samples.map((s) => s.cpuMs))), unit: 'ms' },
  ];
}

export const benchmarks: Benchmark[] = [
  {
    name: 'cli.startup',
    run(): Figure[] {
      if (!existsSync(`${ROOT}build/cli.js`)) throw new Error('cli bench: no build/ (run npm run build, or npm ci)');
      const version: Sample[] = [];
      const baseline: Sample[] = [];
      const badInput: Sample[] = [];
      for (let i = 0; i < 15; i++) {
        version.push(sample(['bin/raftsim.js', '--version']));
        baseline.push(sample(['-e', '']));
        badInput.push(sample(['bin/raftsim.js', 'run', 'no-such-scenario']));
      }
      const fromSource: Sample[] = [];
      for (let i = 0; i < 5; i++) fromSource.push(sample(['--import', 'tsx', 'scenarios/cli.ts', '--version']));
      return [
        ...figures('startup', version),
        ...figures('node_baseline', baseline),
        ...figures('bad_input', badInput),
        ...figures('from_source', fromSource),
      ];
    },
  },
];
