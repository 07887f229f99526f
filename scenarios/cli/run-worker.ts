/**
 * A worker thread that runs jobs (scenarios/run-job.ts) for the pool in worker-pool.ts: one job
 * at a time, each answered with its result and the wall time it took; or one shrink
 * (`{shrink: ShrinkJob}`), answered with the shrunk failure, so that the CLI's own thread stays
 * free to hear a signal while it runs.
 */
import { parentPort } from 'node:worker_threads';
import { shrinkFailure } from '../fuzz.js';
import { runJob, type RunJob, type ShrinkJob } from '../run-job.js';

const port = parentPort;
if (port === null) throw new Error('run-worker: must run as a worker thread');
port.on('message', (m: RunJob | { shrink: ShrinkJob }) => {
  if ('shrink' in m) {
    const j = m.shrink;
    port.postMessage({ shrunk: shrinkFailure(j.scenario, j.seed, j.failed, j.runsMax) });
    return;
  }
  const t0 = performance.now();
  const result = runJob(m);
  port.postMessage({ result, wallMs: performance.now() - t0 });
});
