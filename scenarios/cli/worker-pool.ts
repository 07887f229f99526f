/**
 * Runs jobs on worker threads (or in this thread when `workers` is 0), handing each worker one
 * job at a time, in the order given, and reporting every result as it arrives. Dispatch stops
 * early when `shouldStop()` says so (a failure found, the time budget spent); jobs already on a
 * worker finish.
 */
import { cpus } from 'node:os';
import { runJob, type JobResult, type RunJob } from '../run-job.js';
import { startWorker } from './start-worker.js';

export interface PoolOptions {
  /** Worker threads; 0 runs the jobs in this thread. */
  readonly workers: number;
  /** Called with each result as it arrives (in completion order); a throw stops the pool and rejects it. */
  readonly onResult: (result: JobResult, wallMs: number) => void;
  /** Asked before each dispatch; true stops handing out jobs. */
  readonly shouldStop?: () => boolean;
}

/** The default worker count: 2 (this machine's CI), never more than the cores. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(2, cpus().length));
}

/** Runs `jobs`; resolves with how many were dispatched once all dispatched jobs have answered. */
export async function runPool(jobs: readonly RunJob[], o: PoolOptions): Promise<number> {
  if (o.workers <= 0) return runInline(jobs, o);
  let next = 0;
  const n = Math.min(o.workers, jobs.length);
  const workers = Array.from({ length: n }, () => startWorker('run-worker'));
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const give = (): void => {
              if (next >= jobs.length || o.shouldStop?.() === true) {
                resolve();
                return;
              }
              w.postMessage(jobs[next++]);
            };
            w.on('message', (m: { result: JobResult; wallMs: number }) => {
              // A throw here (bad input met on one seed) would escape the event handler and end
              // the process with a stack trace: it rejects the pool instead, for the caller to report.
              try {
                o.onResult(m.result, m.wallMs);
              } catch (err) {
                next = jobs.length; // no more dispatch on any worker
                reject(err);
                return;
              }
              give();
            });
            w.on('error', reject);
            w.on('exit', (code) => {
              if (code !== 0) reject(new Error(`run worker exited with code ${code}`));
            });
            give();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return next;
}

function runInline(jobs: readonly RunJob[], o: PoolOptions): number {
  let dispatched = 0;
  for (const job of jobs) {
    if (o.shouldStop?.() === true) break;
    dispatched++;
    const t0 = performance.now();
    const r = runJob(job);
    o.onResult(r, performance.now() - t0);
  }
  return dispatched;
}
