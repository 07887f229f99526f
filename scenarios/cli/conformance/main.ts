/**
 * `npm run conformance`: differential testing of raftsim's server path against a real etcd.
 *
 *   npm run conformance -- [--sequences N] [--budget-s S] [--seed S] [--min-ops N] [--max-ops N]
 *                          [--no-shrink] [--record [--out FILE]] [--json] [--only I] [--ops JSON|@FILE]
 *
 * Each sequence is generated from the seed (kv/conformance/generate.ts), run on raftsim's server
 * (kv/conformance/sim-target.ts) and on a fresh single-member etcd (etcd-process.ts, etcd-target.ts),
 * and the answers are compared (kv/conformance/compare.ts). An unexplained difference is shrunk to a
 * minimal sequence, printed with the command that reproduces it, and the run exits 1. `--record`
 * stores the sequences with etcd's answers as the golden file that `npm test` replays without etcd.
 * Exit 0: no unexplained difference; 1: some; 2: bad input (or no etcd to run).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { KNOWN, type Difference } from '../../../kv/conformance/compare.js';
import { comparable, compareWithSim, encodeGolden, type GoldenEntry } from '../../../kv/conformance/golden.js';
import { generateSequence } from '../../../kv/conformance/generate.js';
import type { Outcome, Sequence } from '../../../kv/conformance/sequence.js';
import { runOnSim } from '../../../kv/conformance/sim-target.js';
import { etcdVersion, findEtcd, startEtcd } from './etcd-process.js';
import { runOnEtcd } from './etcd-target.js';

interface Args {
  sequences: number;
  budgetS: number;
  seed: string;
  minOps: number;
  maxOps: number;
  shrink: boolean;
  record: boolean;
  json: boolean;
  /** Runs only sequence i (and prints every difference in full). */
  only: number | undefined;
  parallel: number;
  /** Runs this one sequence (a JSON array of ops) and prints both answers in full. */
  ops: string | undefined;
  /** Where --record writes (default GOLDEN_FILE). */
  out: string;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const GOLDEN_FILE = join(ROOT, 'kv', 'conformance', 'golden', 'etcd-3.4.jsonl.gz');

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { sequences: 300, budgetS: 900, seed: '1', minOps: 50, maxOps: 300, shrink: true, record: false, json: false, only: undefined, ops: undefined, parallel: 3, out: GOLDEN_FILE };
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isSafeInteger(n) || n < min) bad(`${name}: expected an integer ≥ ${min}, got ${JSON.stringify(v ?? null)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    switch (k) {
      case '--sequences': a.sequences = int(k, argv[++i], 1); break;
      case '--budget-s': a.budgetS = int(k, argv[++i], 1); break;
      case '--seed': {
        const v = argv[++i];
        if (v === undefined || v === '') bad('--seed: expected a value');
        a.seed = v;
        break;
      }
      case '--min-ops': a.minOps = int(k, argv[++i], 1); break;
      case '--max-ops': a.maxOps = int(k, argv[++i], 1); break;
      case '--parallel': a.parallel = int(k, argv[++i], 1); break;
      case '--no-shrink': a.shrink = false; break;
      case '--record': a.record = true; break;
      case '--json': a.json = true; break;
      case '--only': a.only = int(k, argv[++i], 0); break;
      case '--out': {
        const v = argv[++i];
        if (v === undefined || v === '') bad('--out: expected a file path');
        a.out = v;
        break;
      }
      case '--ops': {
        const v = argv[++i];
        if (v === undefined) bad('--ops: expected a JSON array of ops');
        a.ops = v;
        break;
      }
      default: bad(`${k}: unknown option (see scenarios/cli/conformance/main.ts)`);
    }
  }
  if (a.minOps > a.maxOps) bad(`--min-ops: ${a.minOps} is more than --max-ops ${a.maxOps}`);
  if (a.record && (a.only !== undefined || a.ops !== undefined)) bad('--record: records a whole run, not with --only or --ops');
  return a;
}

/** JSON with long strings (the size-limit values) cut, for the terminal. */
function short(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => (typeof v === 'string' && v.length > 80 ? `${v.slice(0, 20)}…(${v.length} chars)` : v));
}

function bad(msg: string): never {
  process.stderr.write(`conformance: ${msg}\n`);
  process.exit(2);
}

async function onEtcd(bin: string, seq: Sequence, sim: Outcome): Promise<Outcome> {
  const etcd = await startEtcd(bin);
  try {
    const expectedEvents = sim.watches.reduce((n, w) => n + w.events.length, 0);
    const ready = await waitReady(etcd.endpoint, () => !etcd.exited());
    if (!ready) return { answers: [], watches: [], progress: [], targetError: `etcd did not start: ${etcd.logTail().slice(-300)}` };
    return await runOnEtcd(etcd.endpoint, seq, { expectedEvents }, () => !etcd.exited());
  } finally {
    await etcd.stop();
  }
}

/** Waits until the fresh etcd answers a read (it elected itself). */
async function waitReady(endpoint: string, alive: () => boolean): Promise<boolean> {
  const probe: Sequence = { name: 'probe', ops: [{ method: 'range', request: { key: 'probe', serializable: false } }] };
  const end = Date.now() + 20_000;
  while (Date.now() < end && alive()) {
    const o = await runOnEtcd(endpoint, probe, { expectedEvents: 0 }, alive);
    const a = o.answers[0];
    if (a !== undefined && a !== null && a.ok) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

const compare = compareWithSim;

/** Whether `seq` still shows an unexplained difference (a fresh etcd each time). */
async function unexplained(bin: string, seq: Sequence): Promise<Difference[]> {
  const sim = runOnSim(seq);
  const etcd = await onEtcd(bin, seq, sim);
  return compare(seq, etcd, sim).filter((d) => d.known === undefined);
}

/** ddmin-style: drop chunks of ops while the difference stays; at most `tries` etcd runs. */
async function shrink(bin: string, seq: Sequence, tries: number): Promise<Sequence> {
  let ops = [...seq.ops];
  let chunk = Math.max(1, Math.floor(ops.length / 2));
  let left = tries;
  while (left > 0) {
    let removed = false;
    for (let at = 0; at < ops.length && left > 0; ) {
      const cand = [...ops.slice(0, at), ...ops.slice(at + chunk)];
      left--;
      if (cand.length > 0 && (await unexplained(bin, { name: seq.name, ops: cand })).length > 0) {
        ops = cand;
        removed = true;
      } else at += chunk;
    }
    if (chunk === 1 && !removed) break;
    if (!removed) chunk = Math.max(1, Math.floor(chunk / 2));
  }
  return { name: `${seq.name} (shrunk)`, ops };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const bin = findEtcd();
  if (bin === undefined) bad('etcd: not installed (apt-get install etcd-server); the recorded suite runs in npm test without it');
  const version = etcdVersion(bin);
  if (args.ops !== undefined) {
    // `--ops @FILE` reads the array from a file: a shrunk sequence with a 1 MiB value does not fit
    // on a command line.
    let text = args.ops;
    if (text.startsWith('@')) {
      try {
        text = readFileSync(text.slice(1), 'utf8');
      } catch {
        bad(`--ops: cannot read ${text.slice(1)}`);
      }
    }
    let ops: unknown;
    try {
      ops = JSON.parse(text);
    } catch {
      bad('--ops: not JSON');
    }
    if (!Array.isArray(ops)) bad('--ops: expected a JSON array of ops');
    const seq: Sequence = { name: 'ops', ops: ops as Sequence['ops'] };
    const sim = runOnSim(seq);
    const etcd = await onEtcd(bin, seq, sim);
    process.stdout.write(`${JSON.stringify({ etcd, sim, differences: compare(seq, etcd, sim) }, null, 1)}\n`);
    return;
  }
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  const differences: (Difference & { shrunk?: unknown })[] = [];
  const knownCount = new Map<string, number>();
  const golden: GoldenEntry[] = [];
  let sequences = 0;
  let ops = 0;
  const first = args.only ?? 0;
  const end = args.only === undefined ? args.sequences : args.only + 1;
  const results: { seq: Sequence; etcd: Outcome; sim: Outcome }[] = [];
  let next = first;
  // Sequences run `parallel` at a time, each on its own etcd; results are taken in sequence order.
  const worker = async (): Promise<void> => {
    while (next < end && Date.now() - started <= args.budgetS * 1000) {
      const i = next++;
      const seq = generateSequence(args.seed, i, { minOps: args.minOps, maxOps: args.maxOps });
      const sim = runOnSim(seq);
      results[i - first] = { seq, sim, etcd: await onEtcd(bin, seq, sim) };
      if (!args.json && results.filter(Boolean).length % 25 === 0) process.stderr.write(`${results.filter(Boolean).length} sequences run\n`);
    }
  };
  await Promise.all(Array.from({ length: args.parallel }, () => worker()));
  for (const r of results) {
    if (r === undefined) continue;
    const { seq, sim, etcd } = r;
    sequences++;
    ops += seq.ops.length;
    // A sequence on which etcd crashed is recorded too (raftsim must not crash there); one on which
    // it never started says nothing about etcd.
    if (args.record && !(etcd.targetError ?? '').startsWith('etcd did not start')) golden.push({ name: seq.name, ops: seq.ops, etcd: comparable(seq, etcd) });
    const diffs = compare(seq, etcd, sim);
    for (const d of diffs) if (d.known !== undefined) knownCount.set(d.known, (knownCount.get(d.known) ?? 0) + 1);
    const bad = diffs.filter((d) => d.known === undefined);
    if (args.only !== undefined) for (const d of diffs) process.stderr.write(`${short({ ...d, request: d.op >= 0 ? seq.ops[d.op] : undefined })}\n`);
    if (bad.length > 0) {
      const first = bad[0] as Difference;
      const small = args.shrink ? await shrink(bin, seq, 120) : seq;
      const again = args.shrink ? await unexplained(bin, small) : bad;
      differences.push({ ...(again[0] ?? first), shrunk: small.ops });
      if (!args.json) process.stderr.write(`DIFF ${seq.name} op ${first.op} ${first.path}\n  etcd: ${short(first.etcd)}\n  sim:  ${short(first.sim)}\n  request: ${short(first.op >= 0 ? seq.ops[first.op] : null)}\n  minimal (${small.ops.length} ops): ${short(small.ops)}\n`);
    }
  }
  if (args.record) {
    mkdirSync(dirname(args.out), { recursive: true });
    writeFileSync(args.out, gzipSync(encodeGolden({ etcdVersion: version, seed: args.seed, minOps: args.minOps, maxOps: args.maxOps }, golden), { level: 9 }));
  }
  const cpu = process.cpuUsage(cpu0);
  const known = KNOWN.filter((k) => knownCount.has(k.id)).map((k) => ({ id: k.id, what: k.what, upstream: k.upstream, count: knownCount.get(k.id) }));
  const summary = { etcdVersion: version, sequences, ops, differences, known, wallS: Math.round((Date.now() - started) / 1000), cpuS: Math.round((cpu.user + cpu.system) / 1e5) / 10 };
  if (args.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stdout.write(`etcd ${version}: ${sequences} sequences, ${ops} ops, ${differences.length} unexplained differences; known: ${known.map((k) => `${k.id} ×${k.count}`).join(', ') || 'none'} (${summary.wallS} s wall, ${summary.cpuS} s CPU)\n`);
    if (args.record) process.stdout.write(`recorded ${golden.length} sequences: ${args.out}\n`);
  }
  if (differences.length > 0) {
    process.stdout.write(`reproduce: npm run conformance -- --seed ${args.seed} --sequences ${args.sequences} --min-ops ${args.minOps} --max-ops ${args.maxOps}\n`);
    process.exit(1);
  }
}

await main();
