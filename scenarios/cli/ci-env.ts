/**
 * `--shard k/n` from a CI engine's own variables, when the flag is not given (the flag wins). Read
 * here, in the CLI, only: nothing in a run sees the environment.
 *
 * - GitLab CI `parallel: n`: CI_NODE_INDEX (1-based) and CI_NODE_TOTAL;
 * - Buildkite `parallelism: n`: BUILDKITE_PARALLEL_JOB (0-based) and BUILDKITE_PARALLEL_JOB_COUNT;
 * - Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX (0-based), with RAFTSIM_SHARD_TOTAL (the Job's
 *   `completions`: Kubernetes does not pass the total to the pod).
 * GitHub Actions has no such variables: a matrix passes `--shard ${{ matrix.shard }}/N` itself.
 * A bad or half-given pair is one line naming the variable (exit 2).
 */
import { UserInputError } from '../errors.js';
import type { Shard } from '../fuzz.js';

interface Engine {
  readonly index: string;
  readonly total: string;
  /** Whether `index` counts from 0. */
  readonly zeroBased: boolean;
}

const ENGINES: readonly Engine[] = [
  { index: 'CI_NODE_INDEX', total: 'CI_NODE_TOTAL', zeroBased: false },
  { index: 'BUILDKITE_PARALLEL_JOB', total: 'BUILDKITE_PARALLEL_JOB_COUNT', zeroBased: true },
  { index: 'JOB_COMPLETION_INDEX', total: 'RAFTSIM_SHARD_TOTAL', zeroBased: true },
];

export interface EnvShard {
  readonly shard: Shard;
  /** `CI_NODE_INDEX=2, CI_NODE_TOTAL=4`, for the start line. */
  readonly from: string;
}

/** The shard the environment names, or null when it names none. */
export function shardFromEnv(env: Readonly<Record<string, string | undefined>>): EnvShard | null {
  for (const e of ENGINES) {
    const index = env[e.index];
    const total = env[e.total];
    if (index === undefined && total === undefined) continue;
    // Buildkite and GitLab set both or neither; RAFTSIM_SHARD_TOTAL alone is a typo'd set-up too.
    if (index === undefined) throw new UserInputError({ path: e.index, message: `${e.total} is set (${JSON.stringify(total)}) but ${e.index} is not: set both, or pass --shard k/n` });
    if (total === undefined) throw new UserInputError({ path: e.total, message: `${e.index} is set (${JSON.stringify(index)}) but ${e.total} is not: set it to the number of shards, or pass --shard k/n` });
    const n = whole(total, e.total, 1);
    const i = whole(index, e.index, 0);
    const k = e.zeroBased ? i + 1 : i;
    const range = e.zeroBased ? `0 to ${n - 1}` : `1 to ${n}`;
    if (k < 1 || k > n) throw new UserInputError({ path: e.index, message: `expected a shard index from ${range} (${e.total}=${n}), got ${JSON.stringify(index)}` });
    return { shard: { k, n }, from: `${e.index}=${index}, ${e.total}=${total}` };
  }
  return null;
}

function whole(text: string, name: string, min: 0 | 1): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UserInputError({ path: name, message: `expected a whole number ${min === 0 ? '≥ 0' : '> 0'}, got ${JSON.stringify(text)}` });
  return n;
}
