/**
 * The linearizability checker on Porcupine's own corpus (sim/check/testdata/porcupine, taken from Porcupine's test data, MIT), and the etcd
 * model on concurrent histories of a few thousand operations (`npm run bench -- --filter check`).
 *
 * - `check.corpus.<file>.ms`: checking one history (parsed beforehand), median of 5 runs after a
 *   warm-up pass over the whole corpus, in CPU milliseconds (`process.cpuUsage`: the machine is
 *   shared, and wall-clock time measures the neighbours).
 * - `check.corpus.total_ms`: the sum of those medians; `check.corpus.etcd_total_ms` the 102 etcd
 *   files; `check.corpus.cold_total_ms` the warm-up pass itself (a fresh process, as the CLI is).
 * - `check.corpus.vs_porcupine`: total_ms / 612, Porcupine's total on this machine (README of the
 *   corpus): below 1 is faster than Porcupine.
 * - `check.etcd.<shape>.ms` / `.steps`: the etcd model on a linearizable concurrent history
 *   (kv/testing/history-fixtures.ts) with unknown writes.
 * - `check.corpus.cpu_ms` / `.wall_ms`: the whole corpus once, warm, in CPU and wall milliseconds.
 * - `check.seq_1m.cpu_ms` / `.peak_rss_mb`: 1,000,000 sequential register operations on one key;
 *   `check.kv_c50_100k.*`: a generated 100,000-operation kv history, 50 clients, 10 keys, 5 %
 *   unknown writes (sim/check/testing/histories.ts). Each in a child process
 *   (bench/check-scale-child.ts), so the peak RSS is that check's (history built in it included);
 *   `.wall_ms` beside `.cpu_ms`.
 * - `check.baseline_cpu_ms`: the baseline measured in this run (bench/measure.ts baselineCpuMs), and
 *   each whole-check CPU figure divided by it (`….cpu_ms.vs_baseline`): wall time on a shared
 *   2-core machine swings 2× with the neighbours, CPU time much less, the ratio least.
 *
 * Clocks and files are read here on purpose: this is a benchmark, not the simulation.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Benchmark, Figure } from './run.js';
import { baselineCpuMs, cpuMs, medianCpuMs, wallAndCpu } from './measure.js';
import { percentile } from '../scenarios/history-metrics.js';
import { concurrentEtcdHistory } from '../kv/testing/history-fixtures.js';
import type { ConcurrentHistoryOptions } from '../kv/testing/history-fixtures.js';
import { etcdModel } from '../kv/check/etcd-model.js';
import type { Operation } from '../sim/history.js';
import { parseHistory } from '../sim/check/history-file.js';
import { checkLinearizability } from '../sim/check/linearizability.js';
import { kvModel, kvSchemas } from '../sim/check/kv-model.js';
import type { Model } from '../sim/check/model.js';
import { registerModel, registerSchemas } from '../sim/check/register-model.js';

const CORPUS = new URL('../sim/check/testdata/porcupine/', import.meta.url);
const PORCUPINE_TOTAL_MS = 612;
const RUNS = 5;

const round = (x: number): number => Math.round(x * 1000) / 1000;

interface Loaded {
  readonly file: string;
  readonly model: Model<unknown, Operation>;
  readonly ops: readonly Operation[];
  readonly linearizable: boolean;
}

function loadCorpus(): Loaded[] {
  const expected = JSON.parse(readFileSync(new URL('expected.json', CORPUS), 'utf8')) as Record<string, { model: string; linearizable: boolean }>;
  return readdirSync(CORPUS)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .map((file) => {
      const e = expected[file];
      if (e === undefined) throw new Error(`bench: no expected verdict for ${file}`);
      const kv = e.model === 'kv';
      const parsed = parseHistory<Operation>(readFileSync(new URL(file, CORPUS), 'utf8'), kv ? kvSchemas : registerSchemas);
      if (!parsed.ok) throw new Error(`bench: ${file}:${parsed.error.line}: ${parsed.error.message}`);
      return { file, model: (kv ? kvModel : registerModel) as unknown as Model<unknown, Operation>, ops: parsed.ops, linearizable: e.linearizable };
    });
}

function checkOnce(h: Loaded): void {
  const r = checkLinearizability(h.model, h.ops);
  if (r.verdict !== (h.linearizable ? 'ok' : 'illegal')) throw new Error(`bench: ${h.file} gave ${r.verdict}`);
}

function corpus(): Figure[] {
  const histories = loadCorpus();
  const cold = cpuMs(() => histories.forEach(checkOnce));
  const figures: Figure[] = [];
  let total = 0;
  let etcd = 0;
  for (const h of histories) {
    const ms = medianCpuMs(() => checkOnce(h), RUNS);
    total += ms;
    if (h.file.startsWith('etcd_')) etcd += ms;
    figures.push({ bench: `check.corpus.${h.file.replace(/\.jsonl$/, '')}.ms`, value: round(ms), unit: 'ms' });
  }
  figures.push({ bench: 'check.corpus.total_ms', value: round(total), unit: 'ms' });
  figures.push({ bench: 'check.corpus.etcd_total_ms', value: round(etcd), unit: 'ms' });
  figures.push({ bench: 'check.corpus.cold_total_ms', value: round(cold), unit: 'ms' });
  figures.push({ bench: 'check.corpus.vs_porcupine', value: round(total / PORCUPINE_TOTAL_MS), unit: 'ratio' });
  const once = wallAndCpu(() => histories.forEach(checkOnce));
  figures.push({ bench: 'check.corpus.cpu_ms', value: round(once.cpuMs), unit: 'ms' });
  figures.push({ bench: 'check.corpus.wall_ms', value: round(once.wallMs), unit: 'ms' });
  figures.push(...vsBaseline('check.corpus.cpu_ms', once.cpuMs));
  return figures;
}

const ETCD_SHAPES: readonly [string, ConcurrentHistoryOptions][] = [
  ['c10_3000ops', { seed: 1, clients: 10, opsPerClient: 300, keys: 5, unknownWriteRatio: 0.02, latencyUsMax: 1000 }],
  ['c20_3000ops', { seed: 1, clients: 20, opsPerClient: 150, keys: 20, unknownWriteRatio: 0.05, latencyUsMax: 1000 }],
  ['c50_3000ops', { seed: 1, clients: 50, opsPerClient: 60, keys: 10, unknownWriteRatio: 0.1, latencyUsMax: 1000 }],
];

function etcdHistories(): Figure[] {
  const figures: Figure[] = [];
  for (const [name, options] of ETCD_SHAPES) {
    const h = concurrentEtcdHistory(options);
    let steps = 0;
    const run = (): void => {
      const r = checkLinearizability(etcdModel, h);
      if (r.verdict !== 'ok') throw new Error(`bench: etcd ${name} gave ${r.verdict}`);
      steps = r.steps;
    };
    run();
    const timed = Array.from({ length: RUNS }, () => wallAndCpu(run));
    const ms = percentile(timed.map((t) => t.cpuMs), 50);
    figures.push({ bench: `check.etcd.${name}.ms`, value: round(ms), unit: 'ms' });
    figures.push({ bench: `check.etcd.${name}.wall_ms`, value: round(percentile(timed.map((t) => t.wallMs), 50)), unit: 'ms' });
    figures.push({ bench: `check.etcd.${name}.steps`, value: steps, unit: 'steps' });
  }
  return figures;
}

/** The baseline of this run, measured once, when the first check.* figure needs it. */
let baseline: number | undefined;
function baselineMs(): number {
  baseline ??= baselineCpuMs();
  return baseline;
}

/** `figure` against the baseline, and the baseline itself (printed once). */
function vsBaseline(figure: string, cpu: number): Figure[] {
  const first = baseline === undefined;
  const b = baselineMs();
  const out: Figure[] = first ? [{ bench: 'check.baseline_cpu_ms', value: round(b), unit: 'ms CPU (bench/measure.ts baselineCpuMs)' }] : [];
  out.push({ bench: `${figure}.vs_baseline`, value: round(cpu / b), unit: `x check.baseline_cpu_ms (${round(b)} ms in this run)` });
  return out;
}

const CHILD = fileURLToPath(new URL('./check-scale-child.ts', import.meta.url));

function scale(name: 'seq_1m' | 'kv_c50_100k'): Figure[] {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, name], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`bench: check.${name} exited ${r.status}: ${r.stderr.slice(0, 300)}`);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { verdict: string; cpuMs: number; wallMs: number; maxRssKiB: number };
  if (out.verdict !== 'ok') throw new Error(`bench: check.${name} gave ${out.verdict}`);
  return [
    { bench: `check.${name}.cpu_ms`, value: out.cpuMs, unit: 'ms' },
    { bench: `check.${name}.wall_ms`, value: out.wallMs, unit: 'ms' },
    ...vsBaseline(`check.${name}.cpu_ms`, out.cpuMs),
    { bench: `check.${name}.peak_rss_mb`, value: Math.round(out.maxRssKiB / 1024), unit: 'MiB' },
  ];
}

export const benchmarks: Benchmark[] = [
  { name: 'check.corpus', run: corpus },
  { name: 'check.etcd', run: etcdHistories },
  { name: 'check.seq_1m', run: () => scale('seq_1m') },
  { name: 'check.kv_c50_100k', run: () => scale('kv_c50_100k') },
];
