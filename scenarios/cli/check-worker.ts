/**
 * A worker thread of `raftsim check --workers N` (check-pool.ts): searches one partition at a
 * time (sim/check/linearizability.ts checkPartition) and answers with its result.
 */
import { parentPort } from 'node:worker_threads';
import { checkPartition } from '../../sim/check/linearizability.js';
import { CHECK_MODELS } from './check-models.js';
import type { CheckJob } from './check-pool.js';

const port = parentPort;
if (port === null) throw new Error('check-worker: must run as a worker thread');
port.on('message', (job: CheckJob) => {
  const result = checkPartition(CHECK_MODELS[job.model].model, job.part, { budgetSteps: job.budgetSteps, memoryBytes: job.memoryBytes });
  port.postMessage({ index: job.index, result });
});
