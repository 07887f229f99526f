/**
 * `run.1h`: an hour of virtual time on the default cluster (`{"durationMs": 3600000}`, seed 1:
 * 3 members, 3 clients at 100 ops/s, a watcher, every check), in a child process of its own
 * (bench/long-run-child.ts), so the peak RSS is that run's. The bound is ~1 GB.
 *
 * - `run.1h.peak_rss_mb`: the child's peak resident set (maxRSS), checks included;
 * - `run.1h.rss_at_safety_end_mb`: its RSS when the hour of workload ends (before the checks);
 * - `run.1h.wall_s` / `run.1h.cpu_s`: the whole child, start-up and checks included;
 * - `run.1h.ops`: the client operations it recorded and checked;
 * - `run.1m.peak_rss_mb` / `run.1m.cpu_s`: the same for one virtual minute, measured in the same
 *   bench run: the baseline the hour grows from.
 *
 * Opt-in (about 10 minutes of CPU): it runs only when named, `npm run bench -- --filter run.1h`;
 * a plain `npm run bench` or `--filter run.` leaves it out. A run that fails a check is an error,
 * not a figure. This file reads the clock and spawns a process on purpose; it is not the simulation.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Benchmark, Figure } from './run.js';

const CHILD = fileURLToPath(new URL('./long-run-child.ts', import.meta.url));

interface ChildResult {
  readonly minutes: number;
  readonly verdict: string;
  readonly ops: number;
  readonly traceHash: string;
  readonly rssAtSafetyEndKiB: number;
  readonly maxRssKiB: number;
  readonly wallMs: number;
  readonly cpuMs: number;
}

function longRun(minutes: number): ChildResult & { readonly childWallMs: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, String(minutes)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const childWallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`bench run.1h: the ${minutes}-minute child exited ${String(r.status ?? r.signal)}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as ChildResult;
  if (out.verdict !== 'pass') throw new Error(`bench run.1h: the ${minutes}-minute run did not pass its checks (${out.verdict}, trace ${out.traceHash})`);
  return { ...out, childWallMs };
}

const mib = (kib: number): number => Math.round(kib / 1024);
const seconds = (ms: number): number => Math.round(ms / 100) / 10;

export const benchmarks: Benchmark[] = [
  {
    name: 'run.1h',
    optIn: true,
    run(): Figure[] {
      const base = longRun(1);
      const hour = longRun(60);
      return [
        { bench: 'run.1h.peak_rss_mb', value: mib(hour.maxRssKiB), unit: 'MiB' },
        { bench: 'run.1h.rss_at_safety_end_mb', value: mib(hour.rssAtSafetyEndKiB), unit: 'MiB' },
        { bench: 'run.1h.wall_s', value: seconds(hour.childWallMs), unit: 's' },
        { bench: 'run.1h.cpu_s', value: seconds(hour.cpuMs), unit: 's CPU' },
        { bench: 'run.1h.ops', value: hour.ops, unit: 'ops' },
        { bench: 'run.1m.peak_rss_mb', value: mib(base.maxRssKiB), unit: 'MiB' },
        { bench: 'run.1m.cpu_s', value: seconds(base.cpuMs), unit: 's CPU' },
      ];
    },
  },
];
