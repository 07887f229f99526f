/**
 * Runs jobs on worker threads (or in this thread when `workers` is 0), handing each worker one
 * job at a time, in the order given, and reporting every result as it arrives. Dispatch stops
 * early when `shouldStop()` says so (a failure found, the time budget spent); jobs already on a
 * worker finish. An abort (`signal`: the user's Ctrl-C or SIGTERM) abandons them instead: the
 * workers are terminated at once and their results never arrive.
 */
import { cpus } from 'node:os';
import { UserInputError } from '../errors.js';
import type { ShrunkFailure } from '../fuzz.js';
import { runJob, type JobResult, type RunJob, type ShrinkJob } from '../run-job.js';
import { startWorker } from './start-worker.js';

export interface PoolOptions {
  /** Worker threads; 0 runs the jobs in this thread. */
  readonly workers: number;
  /** Called with each result as it arrives (in completion order); a throw stops the pool and rejects it. */
  readonly onResult: (result: JobResult, wallMs: number) => void;
  /** Asked before each dispatch; true stops handing out jobs. */
  readonly shouldStop?: () => boolean;
  /** Aborted: dispatch no more and abandon the jobs on the workers (the pool resolves at once). */
  readonly signal?: AbortSignal;
}

/** The default worker count: 2 (this machine's CI), never more than the cores. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(2, cpus().length));
}

/** The most worker threads a command starts: 4 per core, and never more than 64 (each holds a whole simulator). */
export function maxWorkers(cores = cpus().length): number {
  return Math.min(64, 4 * Math.max(1, cores));
}

/** `--workers W` checked against maxWorkers (exit 2 past it), or the default when it is not given. */
export function workersOption(given: number | undefined, cores = cpus().length): number {
  if (given === undefined) return defaultWorkers();
  const max = maxWorkers(cores);
  if (given > max) throw new UserInputError({ path: '--workers', message: `at most ${max} worker threads (4 per core on this machine's ${cores} cores, 64 at most), got ${given}` });
  return given;
}

/** Runs `jobs`; resolves with how many were dispatched once all dispatched jobs have answered (or at once on an abort). */
export async function runPool(jobs: readonly RunJob[], o: PoolOptions): Promise<number> {
  if (o.workers <= 0) return runInline(jobs, o);
  let next = 0;
  const n = Math.min(o.workers, jobs.length);
  const workers = Array.from({ length: n }, () => startWorker('run-worker'));
  const stopped = (): boolean => o.signal?.aborted === true || o.shouldStop?.() === true;
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            let done = false;
            const finish = (): void => {
              done = true;
              resolve();
            };
            const give = (): void => {
              if (next >= jobs.length || stopped()) {
                finish();
                return;
              }
              w.postMessage(jobs[next++]);
            };
            w.on('message', (m: { result: JobResult; wallMs: number }) => {
              if (o.signal?.aborted === true) return;
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
              if (code !== 0 && !done && o.signal?.aborted !== true) reject(new Error(`run worker exited with code ${code}`));
            });
            o.signal?.addEventListener('abort', finish, { once: true });
            give();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return next;
}

/**
 * Shrinks a failure on a worker thread, so that this thread stays free to answer a signal: on an
 * abort the worker is terminated and the promise resolves with null.
 */
export async function shrinkOnWorker(job: ShrinkJob, signal?: AbortSignal): Promise<ShrunkFailure | null> {
  if (signal?.aborted === true) return null;
  const w = startWorker('run-worker');
  try {
    return await new Promise<ShrunkFailure | null>((resolve, reject) => {
      w.on('message', (m: { shrunk: ShrunkFailure }) => resolve(m.shrunk));
      w.on('error', reject);
      w.on('exit', (code) => {
        if (signal?.aborted !== true) reject(new Error(`shrink worker exited with code ${code}`));
      });
      signal?.addEventListener('abort', () => resolve(null), { once: true });
      w.postMessage({ shrink: job });
    });
  } finally {
    await w.terminate();
  }
}

/** In this thread: between two jobs it yields to the event loop, so that a signal is heard (a job itself cannot be abandoned). */
async function runInline(jobs: readonly RunJob[], o: PoolOptions): Promise<number> {
  let dispatched = 0;
  for (const job of jobs) {
    await new Promise((resolve) => setImmediate(resolve));
    if (o.signal?.aborted === true || o.shouldStop?.() === true) break;
    dispatched++;
    const t0 = performance.now();
    const r = runJob(job);
    o.onResult(r, performance.now() - t0);
  }
  return dispatched;
}
