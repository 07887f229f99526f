/**
 * Test support for the built-ins' own tests: one run of a built-in with its full record, and, for
 * those that reproduce a known anomaly (etcd-20418, etcd-15247, single-node-restart-stale-read),
 * the listing each must have — `expect: 'fail'`, and the `--set` that fixes it named in its
 * description, so that a reader can run both sides.
 */
import { runJob } from '../run-job.js';
import type { RunRecord } from '../../record/run-record.js';
import { findBuiltin } from './registry.js';

/** One run of built-in `name`, in this thread, with history and metrics. */
export function runBuiltin(name: string, seed: number, overrides: readonly string[] = []): RunRecord {
  const r = runJob({ id: 0, source: { kind: 'builtin', name }, seed, overrides: [...overrides], trace: 'hash-only', full: true });
  if (!r.ok) throw new Error(r.error);
  return r.record;
}

/** Why built-in `name` is not listed as an anomaly fixed by `--set fix`, or null when it is. */
export function anomalyListingProblem(name: string, fix: string): string | null {
  const b = findBuiltin(name);
  if (b === undefined) return `${name}: not a built-in`;
  if (b.expect !== 'fail') return `${name}: expect is ${b.expect}, not fail`;
  if (!b.description.includes(`--set ${fix}`)) return `${name}: the description does not name --set ${fix}`;
  return null;
}
