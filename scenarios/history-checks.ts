/**
 * The checks a finished history goes through: linearizability against the etcd model,
 * serializable reads by their own rule, and the watch guarantees.
 *
 * The checkers live in sim/check (generic) and kv/ (the etcd model); this module picks the
 * history apart for them and turns their verdicts into the run record's CheckResults.
 */
import type { Operation } from '../sim/history.js';
import type { SimCluster } from './cluster.js';
import type { CheckResult, ViolationView } from './run-record.js';
import type { Scenario } from './schema.js';

export interface HistoryChecks {
  readonly linearizable: CheckResult;
  readonly serializable: CheckResult;
  readonly watch: CheckResult;
  readonly violation: ViolationView | null;
}

const NOT_LANDED: CheckResult = { status: 'skipped', summary: 'not run: the checker it needs is not in this build yet' };

export function checkHistory(s: Scenario, _history: readonly Operation[], _cluster: SimCluster): HistoryChecks {
  const off = (what: string): CheckResult => ({ status: 'skipped', summary: `${what} check turned off in the scenario` });
  return {
    linearizable: s.checks.linearizable ? NOT_LANDED : off('linearizability'),
    serializable: s.checks.serializable ? NOT_LANDED : off('serializable'),
    watch: s.checks.watch ? NOT_LANDED : off('watch'),
    violation: null,
  };
}
