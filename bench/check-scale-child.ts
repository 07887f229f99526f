/**
 * One large check in a process of its own, so its peak RSS is its own (`process.resourceUsage().maxRSS`):
 * `node --import tsx bench/check-scale-child.ts seq_1m|kv_c50_100k` prints one JSON line
 * {"verdict", "ops", "cpuMs", "wallMs", "maxRssKiB"}. Run by bench/check.bench.ts; a benchmark, not the simulation.
 */
import { checkLinearizability } from '../sim/check/linearizability.js';
import { kvModel } from '../sim/check/kv-model.js';
import type { Model } from '../sim/check/model.js';
import { registerModel } from '../sim/check/register-model.js';
import type { RegisterOperation } from '../sim/check/register-model.js';
import { generateHistory } from '../sim/check/testing/histories.js';
import type { Operation } from '../sim/history.js';

/** n operations on one key, one after another: writes, each read seeing the write before it. */
function sequential(n: number): RegisterOperation[] {
  return Array.from({ length: n }, (_, i): RegisterOperation => {
    const base = { id: i, client: i % 5, key: 'x', call: 10 * i, return: 10 * i + 5, status: 'ok' as const };
    return i % 2 === 0 ? { ...base, op: 'write', input: { value: i } } : { ...base, op: 'read', output: { value: i - 1 } };
  });
}

const which = process.argv[2];
const [model, ops] =
  which === 'seq_1m'
    ? [registerModel as unknown as Model<unknown, Operation>, sequential(1_000_000)]
    : which === 'kv_c50_100k'
      ? [kvModel as unknown as Model<unknown, Operation>, generateHistory({ model: 'kv', ops: 100_000, clients: 50, keys: 10, unknownRatio: 0.05, corrupt: 0, seed: 1 })]
      : (() => {
          throw new Error(`check-scale-child: unknown case ${String(which)}`);
        })();
const t0 = process.cpuUsage();
const w0 = performance.now();
const r = checkLinearizability(model, ops);
const wallMs = Math.round(performance.now() - w0);
const used = process.cpuUsage(t0);
console.log(JSON.stringify({ verdict: r.verdict, ops: r.ops, cpuMs: Math.round((used.user + used.system) / 1000), wallMs, maxRssKiB: process.resourceUsage().maxRSS }));
