/**
 * The kv server, client and workload, in-process, on one core (`npm run bench -- --filter kv-`).
 *
 * - `kv-server.applied_puts_per_s`: puts proposed and applied by one server on the fake raft node
 *   (the apply path alone: encode, propose, decode, MVCC put, header, answer).
 * - `kv-cluster.ops_per_s`: client operations completed per CPU second by a 3-member cluster on
 *   real raft nodes (WAL, disks, channels) under the default op mix, 8 clients.
 * - `kv-cluster.virtual_s_per_s`: virtual seconds simulated per CPU second in that run.
 * - `kv-cluster.events_per_s`: scheduler events per CPU second in that run.
 *
 * Rates are per CPU second (`process.cpuUsage`: the machine is shared), best of 3 after a warm-up.
 * Clocks are read here on purpose: this is a benchmark, not the simulation.
 */
import type { Benchmark } from './run.js';
import { bestRateWith } from './measure.js';
import { createHosts } from '../sim/host.js';
import { createTestCluster, realNodeBuilder } from '../kv/testing/cluster-harness.js';
import { createFakeRaftNode } from '../kv/testing/fake-raft-node.js';
import { createKvServer, type KvServer } from '../kv/server/server.js';
import { resolveWorkloadOptions, workloadClientFactory } from '../kv/workload/workload.js';
import { createKernel } from '../sim/kernel.js';

function serverPuts(): { units: number } {
  const k = createKernel({ seed: 'bench', trace: { mode: 'hash-only' } });
  const hosts = createHosts<KvServer>(k);
  hosts.add(1);
  const server = hosts.start(1, (ctx) => {
    const s = createKvServer(ctx, { memberId: 1 });
    s.bind(createFakeRaftNode(ctx, s.stateMachine, s.observer));
    return s;
  });
  const n = 20_000;
  let done = 0;
  for (let i = 0; i < n; i++) {
    server.call({ method: 'put', request: { key: `k${i % 1000}`, value: `v${i}` } }, () => done++);
    if (i % 100 === 99) k.scheduler.runUntil(k.scheduler.now + 1_000);
  }
  k.scheduler.runUntil(k.scheduler.now + 1_000);
  if (done !== n) throw new Error(`bench: ${done} of ${n} puts answered`);
  return { units: n };
}

function clusterRun(): { units: number; extra: Record<string, number> } {
  const c = createTestCluster({ members: 3, node: realNodeBuilder('readindex', { traceMessages: false }), seed: 'bench', keepTrace: false });
  const o = resolveWorkloadOptions({ clients: 8, ratePerS: 2_000, durationUs: 5_000_000, keys: 100 });
  const clients = Array.from({ length: o.clients }, (_, k) => c.addProgram((ctx, env) => workloadClientFactory(env, c.memberIds, o, k, c.random.fork(`client/c${k}`))(ctx)));
  const events0 = c.scheduler.eventsRun;
  c.run(o.durationUs + 1_000_000);
  const ops = clients.reduce((n, w) => n + w.stats().ok + w.stats().fail + w.stats().unknown, 0);
  return { units: ops, extra: { virtual: (o.durationUs + 1_000_000) / 1e6, events: c.scheduler.eventsRun - events0 } };
}

export const benchmarks: Benchmark[] = [
  {
    name: 'kv-server',
    run: () => [{ bench: 'kv-server.applied_puts_per_s', value: bestRateWith(serverPuts).rate, unit: 'puts/s' }],
  },
  {
    name: 'kv-cluster',
    run: () => {
      const r = bestRateWith(clusterRun);
      return [
        { bench: 'kv-cluster.ops_per_s', value: r.rate, unit: 'ops/s' },
        { bench: 'kv-cluster.virtual_s_per_s', value: Math.round((r.extra.virtual ?? 0) * 100) / 100, unit: 'virtual s/s' },
        { bench: 'kv-cluster.events_per_s', value: Math.round(r.extra.events ?? 0), unit: 'events/s' },
      ];
    },
  },
];
