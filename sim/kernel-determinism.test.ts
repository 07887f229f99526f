import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STEP_KINDS, runKernelWorkload, type Step, type WorkerJob, type WorkloadPlan, type WorkloadResult } from './kernel-determinism.worker.js';

const DURATION_US = 400_000;

const step: fc.Arbitrary<Step> = fc.record({
  at: fc.nat(DURATION_US - 1),
  kind: fc.constantFrom(...STEP_KINDS),
  a: fc.nat(4),
  b: fc.nat(4),
  n: fc.nat(100),
});

// Every plan sends at least one datagram, so the seed's delay draws always reach the trace.
const plan: fc.Arbitrary<WorkloadPlan> = fc.record({
  hosts: fc.integer({ min: 2, max: 5 }),
  durationUs: fc.constant(DURATION_US),
  steps: fc.tuple(fc.array(step, { maxLength: 60 }), fc.nat(DURATION_US - 1)).map(([steps, at]) => [...steps, { at, kind: 'datagram' as const, a: 0, b: 1, n: 1 }]),
});

/**
 * Runs the workload in a worker thread. The worker loads TypeScript through tsx's `register()`
 * (as bin/raftsim.js does): on Node 20.20, `execArgv: ['--import', 'tsx']` does not reach a
 * worker's `.ts` entry ("Unknown file extension"), so a one-line bootstrap registers tsx first.
 */
/**
 * Two seconds of five hosts in a 20-step cycle: traffic of every kind, then a partition and its
 * heal, a crash and its restart, a pause and its resume, a clock jump.
 */
function heavyPlan(): WorkloadPlan {
  const cycle: readonly Step['kind'][] = ['datagram', 'stream', 'pipeline', 'timer', 'write', 'isolate', 'stream', 'fsync', 'heal', 'crash', 'datagram', 'pause', 'split', 'stream', 'restart', 'resume', 'heal', 'bridge', 'cut-one-way', 'jump'];
  const steps: Step[] = [];
  for (let i = 0; i < 400; i++) {
    const round = Math.floor(i / cycle.length);
    const kind = cycle[i % cycle.length] as Step['kind'];
    // Faults hit host `round`, traffic goes between the other hosts; restart and resume undo the round's crash and pause.
    const target = kind === 'pause' || kind === 'resume' ? round + 1 : round;
    steps.push({ at: i * 5000, kind, a: kind === 'datagram' || kind === 'stream' || kind === 'pipeline' ? round + 1 + (i % 3) : target, b: round + 2 + (i % 2), n: (i * 13) % 101 });
  }
  return { hosts: 5, durationUs: 2_000_000, steps };
}

function inWorker(jobs: readonly WorkerJob[]): Promise<WorkloadResult[]> {
  const entry = new URL('./kernel-determinism.worker.ts', import.meta.url).href;
  // Resolved here, so the worker does not depend on the current directory.
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Promise((resolve, reject) => {
    const w = new Worker(bootstrap, { eval: true, workerData: jobs });
    w.once('message', (r: WorkloadResult[]) => {
      resolve(r);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

describe('kernel determinism', () => {
  it('two runs of the same seed and workload give the same trace hash', () => {
    fc.assert(
      fc.property(fc.integer(), plan, (seed, p) => {
        const a = runKernelWorkload(seed, p);
        const b = runKernelWorkload(seed, p);
        expect(b).toEqual(a);
        expect(a.events).toBeGreaterThan(10);
      }),
      { numRuns: 25 },
    );
  });

  it('different seeds give different hashes for the same workload', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), plan, (s1, s2, p) => {
        fc.pre(s1 !== s2);
        expect(runKernelWorkload(s1, p).hash).not.toBe(runKernelWorkload(s2, p).hash);
      }),
      { numRuns: 25 },
    );
  });

  it('a run in a worker thread gives the same hash as in this process', async () => {
    const jobs: WorkerJob[] = fc.sample(fc.tuple(fc.integer(), plan), { numRuns: 3, seed: 42 }).map(([seed, p]) => ({ seed, plan: p }));
    // A string seed too, and a workload heavy enough to exercise every kind of step.
    const heavy = heavyPlan();
    jobs.push({ seed: 'replay-me', plan: heavy });
    const there = await inWorker(jobs);
    const here = jobs.map((j) => runKernelWorkload(j.seed, j.plan));
    expect(there).toEqual(here);
    // The heavy workload is not vacuous: it reached every part of the kernel.
    const kinds = here[3]?.kinds ?? {};
    for (const k of ['net.deliver/datagram', 'net.deliver/stream', 'net.deliver/pipeline', 'net.drop/cut', 'net.drop/loss', 'net.drop/host-down', 'net.dup', 'chan.break', 'chan.connect', 'chan.transfer', 'host.crash', 'host.restart', 'host.pause', 'host.resume', 'host.clock', 'disk.crash', 'disk.fsync', 'disk.write', 'w.timer']) {
      expect(kinds[k], k).toBeGreaterThan(0);
    }
  });
});
