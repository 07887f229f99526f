/**
 * What `raftsim run` prints: a short text summary of a run record (verdicts, faults, metrics, the
 * reproduce command as the last line), or the `--json` object (the record without its history
 * and trace). Pure functions of the record, so they are tested without a terminal.
 */
import { formatTime } from '../sim/time.js';
import { verdictOf } from './fuzz.js';
import type { Checks, RunRecord } from '../record/run-record.js';

const CHECK_ORDER = ['invariants', 'linearizable', 'serializable', 'watch', 'liveness'] as const satisfies readonly (keyof Checks)[];

/** The `--json` shape of issue 8, plus the verdict. */
export function runJson(r: RunRecord): Record<string, unknown> {
  const v = verdictOf(r.checks);
  return {
    scenario: r.scenario,
    seed: r.seed,
    traceHash: r.traceHash,
    virtualMs: r.virtualMs,
    events: r.events,
    ops: r.ops,
    checks: r.checks,
    metrics: r.metrics,
    faults: r.faults,
    verdict: v.status,
    reproduce: r.reproduce,
  };
}

export function formatRunSummary(r: RunRecord, wallMs: number | null = null): string[] {
  const v = verdictOf(r.checks);
  const wall = wallMs === null ? '' : `, ${(wallMs / 1000).toFixed(1)} s wall`;
  const lines = [
    `${r.scenario}  seed ${r.seed}  trace ${r.traceHash}`,
    `${formatTime(Math.round(r.virtualMs * 1000))} virtual, ${r.events.toLocaleString('en-US')} events${wall}`,
    `ops: ${r.ops.ok} ok, ${r.ops.fail} failed, ${r.ops.unknown} unknown`,
  ];
  if (r.faults.length > 0) {
    lines.push('faults:');
    for (const f of r.faults) lines.push(`  ${formatTime(f.atUs).padStart(8)}${f.untilUs === null || f.untilUs === f.atUs ? '          ' : ` – ${formatTime(f.untilUs).padStart(7)}`}  ${f.label}`);
  }
  lines.push('checks:');
  for (const c of CHECK_ORDER) {
    const res = r.checks[c];
    lines.push(`  ${c.padEnd(13)} ${res.status.padEnd(7)} ${res.summary}`);
    for (const d of res.details ?? []) lines.push(`  ${' '.repeat(21)} ${d}`);
  }
  const m = r.metrics;
  lines.push(
    'metrics:',
    `  max term ${m.maxTerm}; leader changes ${m.leaderChanges} (${m.leaderChangesAfterHeal} after the last heal); elections ${m.elections}`,
    `  writes unavailable ${Math.round(m.unavailableMs)} ms; stale reads ${m.staleReads}; lost acknowledged writes ${m.lostAckedWrites}`,
    `  read latency p50 ${m.readLatencyMsP50.toFixed(1)} ms, p99 ${m.readLatencyMsP99.toFixed(1)} ms; write p50 ${m.writeLatencyMsP50.toFixed(1)} ms, p99 ${m.writeLatencyMsP99.toFixed(1)} ms`,
  );
  const rise = Object.entries(m.termRise).filter(([, x]) => x > 0);
  if (rise.length > 0) lines.push(`  term rise since the first fault: ${rise.map(([id, x]) => `n${id} +${x}`).join(', ')}`);
  if (r.violation !== null) {
    lines.push('violation:');
    for (const e of r.violation.explanation) lines.push(`  ${e}`);
  }
  lines.push(`verdict: ${v.status === 'pass' ? 'PASS' : v.status === 'fail' ? `FAIL (${v.failed.join(', ')})` : `UNKNOWN (${v.failed.join(', ')}: checker budget exhausted)`}`);
  lines.push(`reproduce: ${r.reproduce}`);
  return lines;
}
