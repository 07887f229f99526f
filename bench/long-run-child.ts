/**
 * One long run of the default cluster in a process of its own, so its peak RSS is its own
 * (`process.resourceUsage().maxRSS`): `node --import tsx bench/long-run-child.ts <virtual minutes>`
 * runs the scenario file `{"durationMs": minutes × 60,000}` with seed 1 as `raftsim run` does
 * (hash-only trace, every check) and prints one JSON line {"minutes", "verdict", "ops",
 * "traceHash", "rssAtSafetyEndKiB", "maxRssKiB", "wallMs", "cpuMs"}. Run by bench/long-run.bench.ts;
 * a benchmark, not the simulation (it reads the clock and the process's memory on purpose).
 */
import { verdictOf } from '../scenarios/fuzz.js';
import { startRun } from '../scenarios/runner.js';
import { scenarioFor } from '../scenarios/scenario-source.js';

const minutes = Number(process.argv[2]);
if (!Number.isInteger(minutes) || minutes < 1 || minutes > 60) throw new Error(`long-run-child: virtual minutes 1–60, got ${String(process.argv[2])}`);
const durationMs = minutes * 60_000;
const t0 = performance.now();
const c0 = process.cpuUsage();
const resolved = scenarioFor({ kind: 'file', path: 'long-run.json', json: { durationMs } }, 1, []);
if (!resolved.ok) throw new Error(resolved.issue.message);
// startRun + finish is runScenario in slices (the same events): the slice lets us read the RSS where the safety phase ends.
const run = startRun({ name: 'long-run.json', scenario: resolved.scenario, seed: 1, overrides: [], trace: 'hash-only' });
run.advance(durationMs * 1_000, Number.MAX_SAFE_INTEGER);
const rssAtSafetyEndKiB = Math.round(process.memoryUsage().rss / 1024);
const record = run.finish();
const cpu = process.cpuUsage(c0);
console.log(JSON.stringify({
  minutes,
  verdict: verdictOf(record.checks).status,
  ops: record.ops.ok + record.ops.fail + record.ops.unknown,
  traceHash: record.traceHash,
  rssAtSafetyEndKiB,
  maxRssKiB: process.resourceUsage().maxRSS,
  wallMs: Math.round(performance.now() - t0),
  cpuMs: Math.round((cpu.user + cpu.system) / 1000),
}));
