/**
 * How every benchmark measures (one helper, so all figures mean the same thing): CPU time of this
 * process (user + system, `process.cpuUsage`), not wall time — the machine is shared, and wall
 * time would measure the neighbours. CPU time includes V8's GC helper threads, so rates are if
 * anything low for one core. Each measurement runs once untimed first, so the JIT has settled.
 *
 * Clocks are read here on purpose: this is a benchmark, not the simulation.
 */
import { percentile } from '../scenarios/history-metrics.js';

/** A floor on a measured duration, so a run too short for the clock's resolution is no division by zero. */
const CPU_S_MIN = 1e-6;

/** `fn`'s result and the CPU seconds it took. */
export function cpuSeconds<T>(fn: () => T): [T, number] {
  const t0 = process.cpuUsage();
  const out = fn();
  const used = process.cpuUsage(t0);
  return [out, Math.max(CPU_S_MIN, (used.user + used.system) / 1e6)];
}

/** The CPU milliseconds `fn` took. */
export function cpuMs(fn: () => void): number {
  return cpuSeconds(fn)[1] * 1_000;
}

/** Best rate (units per CPU second, rounded) of `runs` timed runs of `fn`, which returns the units it did. */
export function bestRate(fn: () => number, runs = 3): number {
  return bestRateWith(() => ({ units: fn() }), runs).rate;
}

/**
 * The same, for a run that also counts other things (`extra`: events, virtual seconds, …): each
 * comes back per CPU second of the best run, unrounded.
 */
export function bestRateWith(fn: () => { readonly units: number; readonly extra?: Readonly<Record<string, number>> }, runs = 3): { rate: number; extra: Record<string, number> } {
  fn();
  let rate = 0;
  let extra: Record<string, number> = {};
  for (let i = 0; i < runs; i++) {
    const [r, s] = cpuSeconds(fn);
    if (r.units / s <= rate) continue;
    rate = r.units / s;
    extra = Object.fromEntries(Object.entries(r.extra ?? {}).map(([k, v]) => [k, v / s]));
  }
  return { rate: Math.round(rate), extra };
}

/** Fewest CPU milliseconds (rounded) of `runs` timed runs of `fn`. */
export function bestCpuMs(fn: () => void, runs = 3): number {
  fn();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) best = Math.min(best, cpuMs(fn));
  return Math.round(best);
}

/** Median CPU milliseconds of `runs` timed runs of `fn` (no warm-up: the caller decides). */
export function medianCpuMs(fn: () => void, runs: number): number {
  return percentile(Array.from({ length: runs }, () => cpuMs(fn)), 50);
}

/** Wall milliseconds and CPU milliseconds (user + system, every thread of this process) `fn` took. */
export function wallAndCpu<T>(fn: () => T): { readonly out: T; readonly wallMs: number; readonly cpuMs: number } {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const out = fn();
  const wallMs = performance.now() - w0;
  const used = process.cpuUsage(c0);
  return { out, wallMs, cpuMs: Math.max(CPU_S_MIN * 1000, (used.user + used.system) / 1000) };
}

/**
 * The baseline a group of benchmarks compares with, measured in the same run: a fixed piece of
 * plain JavaScript (a seeded shuffle sorted, and a Map of string keys filled and read — the
 * checker's and the simulator's kind of work), median CPU ms of 5 after a warm-up. A figure
 * divided by it (`…vs_baseline`) moves with the code, not with how fast the machine is today:
 * a busy neighbour, a throttled core or a slower CI machine slows both alike.
 */
export function baselineCpuMs(): number {
  const work = (): void => {
    let x = 0x9e3779b9;
    const a = new Float64Array(200_000);
    for (let i = 0; i < a.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      a[i] = (x >>> 0) / 4294967296;
    }
    a.sort();
    const m = new Map<string, number>();
    for (let i = 0; i < 100_000; i++) m.set(`k${i}`, i);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) sum += m.get(`k${(i * 7919) % 100_000}`) ?? 0;
    if (sum !== 4_999_950_000 || (a[0] as number) > (a[1] as number)) throw new Error('bench: the baseline computed a wrong result');
  };
  work();
  return medianCpuMs(work, 5);
}
