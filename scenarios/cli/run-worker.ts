/**
 * A worker thread that runs jobs (scenarios/run-job.ts) for the pool in worker-pool.ts: one job
 * at a time, each answered with its result and the wall time it took. Started with
 * `execArgv: ['--import', 'tsx']` so that it loads the TypeScript sources directly.
 */
import { parentPort } from 'node:worker_threads';
import { runJob, type RunJob } from '../run-job.js';

const port = parentPort;
if (port === null) throw new Error('run-worker: must run as a worker thread');
port.on('message', (job: RunJob) => {
  const t0 = performance.now();
  const result = runJob(job);
  port.postMessage({ result, wallMs: performance.now() - t0 });
});
