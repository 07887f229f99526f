/**
 * `raftsim check --workers N`: the partitions of one check (independent by P-compositionality)
 * searched on worker threads (check-worker.ts), the largest first so the threads end together.
 *
 * Each partition is searched alone with the whole step budget; without `firstFailure` every one
 * is searched and the results are then cut to what the serial check's shared round-robin budget
 * would have reached (shareBudget), so verdicts and step counts are the serial path's. With
 * `firstFailure` the first illegal partition to come back ends the check: the threads still
 * searching are stopped and the partitions not reached are reported unsearched (verdict unknown).
 */
import { availableParallelism } from 'node:os';
import type { Operation } from '../../sim/history.js';
import { shareBudget, unsearched } from '../../sim/check/linearizability.js';
import type { CheckPlan, PartitionResult } from '../../sim/check/linearizability.js';
import type { Partition } from '../../sim/check/model.js';
import type { CheckModelName } from './check-models.js';
import { startWorker } from './start-worker.js';

export interface CheckJob {
  readonly index: number;
  readonly model: CheckModelName;
  readonly part: Partition<Operation>;
  readonly budgetSteps: number;
  readonly memoryBytes: number;
}

export interface PoolCheckOptions {
  readonly workers: number;
  readonly budgetSteps: number;
  /** Memory of the whole check: each thread's memo tables get an equal share. */
  readonly memoryBytes: number;
  readonly firstFailure: boolean;
}

/** Most threads a check starts: this machine's cores (more only share them, with a copy of the history each). */
export function checkWorkerCap(): number {
  return Math.max(1, availableParallelism());
}

/** The threads a check with `requested` workers and `partitions` partitions starts. */
export function checkWorkers(requested: number, partitions: number): number {
  return Math.max(1, Math.min(requested, checkWorkerCap(), partitions));
}

/** One result per partition of `plan`, in its order. */
export async function checkOnWorkers(model: CheckModelName, plan: CheckPlan<Operation>, o: PoolCheckOptions): Promise<PartitionResult[]> {
  const parts = plan.parts;
  const results: (PartitionResult | undefined)[] = parts.map(() => undefined);
  const order = parts.map((_, i) => i).sort((a, b) => (parts[b] as Partition<Operation>).ops.length - (parts[a] as Partition<Operation>).ops.length || a - b);
  const n = Math.min(o.workers, parts.length);
  const memoryBytes = Math.floor(o.memoryBytes / Math.max(1, n));
  let next = 0;
  let stopped = false;
  const workers = Array.from({ length: n }, () => startWorker('check-worker'));
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const give = (): void => {
              if (stopped || next >= order.length) {
                resolve();
                return;
              }
              const index = order[next++] as number;
              const job: CheckJob = { index, model, part: parts[index] as Partition<Operation>, budgetSteps: o.budgetSteps, memoryBytes };
              w.postMessage(job);
            };
            w.on('message', (m: { index: number; result: PartitionResult }) => {
              results[m.index] = m.result;
              if (o.firstFailure && m.result.verdict === 'illegal') {
                stopped = true;
                // The other threads' searches are moot now: stop them instead of waiting for them.
                for (const other of workers) if (other !== w) void other.terminate();
              }
              give();
            });
            w.on('error', reject);
            w.on('exit', (code) => {
              if (stopped) resolve();
              else if (code !== 0) reject(new Error(`check worker exited with code ${code}`));
            });
            give();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (stopped) return parts.map((part, i) => results[i] ?? unsearched(part));
  return shareBudget(results as PartitionResult[], o.budgetSteps, true);
}
