/**
 * The run report's view model: everything the page draws, computed from a RunRecord by pure
 * functions, so it can be tested without a browser. The HTML renderer only lays it out.
 */
import type { CheckResult, Checks, RunRecord } from '../record/run-record.js';
import { buildClientLanes, type ClientLane, type OpMark } from './client-lanes.js';
import { buildFaultBands, type FaultBand } from './fault-bands.js';
import { buildNodeLanes, buildTermSeries, type NodeLane, type TermSeries } from './node-lanes.js';
import { buildStepModel, type StepModel, type StepOptions } from './step-through.js';
import { buildViolationPanel, type ViolationPanel } from './violation-view.js';

export type Verdict = 'pass' | 'fail' | 'unknown';

export interface CheckRow {
  readonly name: keyof Checks;
  readonly result: CheckResult;
}

export interface RunView {
  /** The overall verdict: fail if any check failed, else unknown if any ran out of budget, else pass. */
  readonly verdict: Verdict;
  readonly checks: readonly CheckRow[];
  /** The time axis: [0, endUs]. */
  readonly endUs: number;
  readonly lanes: readonly ClientLane[];
  readonly bands: readonly FaultBand[];
  readonly nodeLanes: readonly NodeLane[];
  readonly terms: readonly TermSeries[];
  readonly violation: ViolationPanel | null;
  readonly step: StepModel;
}

export const CHECK_ORDER: readonly (keyof Checks)[] = ['invariants', 'linearizable', 'serializable', 'watch', 'liveness'];

export function overallVerdict(checks: Checks): Verdict {
  const statuses = CHECK_ORDER.map((name) => checks[name].status);
  if (statuses.includes('fail')) return 'fail';
  if (statuses.includes('unknown')) return 'unknown';
  return 'pass';
}

/** The end of the time axis: the run's virtual time, or later if an event or return came later. */
export function runEndUs(record: Pick<RunRecord, 'virtualMs' | 'history' | 'trace' | 'faults'>): number {
  let end = Math.round(record.virtualMs * 1_000);
  for (const op of record.history) end = Math.max(end, op.return ?? op.call);
  const last = record.trace[record.trace.length - 1];
  if (last !== undefined) end = Math.max(end, last.timeUs);
  for (const f of record.faults) end = Math.max(end, f.untilUs ?? f.atUs);
  return Math.max(1, end);
}

export function buildRunView(record: RunRecord, stepOptions: Partial<StepOptions> = {}): RunView {
  const endUs = runEndUs(record);
  const violation = buildViolationPanel(record);
  const marks: ReadonlyMap<number, OpMark> = violation?.marks ?? new Map();
  return {
    verdict: overallVerdict(record.checks),
    checks: CHECK_ORDER.map((name) => ({ name, result: record.checks[name] })),
    endUs,
    lanes: buildClientLanes(record.history, record.clients, endUs, marks),
    bands: buildFaultBands(record, endUs),
    nodeLanes: buildNodeLanes(record.trace, record.members, endUs),
    terms: buildTermSeries(record.trace, record.members, endUs),
    violation,
    step: buildStepModel(record, endUs, stepOptions),
  };
}
