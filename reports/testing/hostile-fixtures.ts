/**
 * Records and results written by an attacker: every string a report shows is markup that would
 * run script if it were not escaped. For the escaping tests (in the browser and out of it).
 */
import type { RunRecord } from '../../record/run-record.js';
import type { ExperimentData } from '../experiment-data.js';
import { makeOp, PASSING_CHECKS, staleReadRecord, TraceBuilder } from './fixtures.js';

/** Each payload sets `window.__pwned` to its number if it ever runs. */
export const PAYLOADS = [
  '<script>window.__pwned=1</script>',
  '<img src=x onerror="window.__pwned=2">',
  '</script><script>window.__pwned=3</script>',
  '"><svg onload="window.__pwned=4">',
  "'><iframe src=\"javascript:window.__pwned=5\"></iframe>",
  '<!--<script>window.__pwned=6</script>-->',
  '\u2028</SCRIPT ><script>window.__pwned=7</script>',
] as const;

const p = (i: number): string => PAYLOADS[i % PAYLOADS.length] as string;

export function hostileRecord(): RunRecord {
  const base = staleReadRecord();
  const t = new TraceBuilder();
  for (const e of base.trace) t.emit(e.timeUs, e.host, e.kind, e.fields);
  t.emit(1_200_000, 2, 'node.stopped', { reason: p(0) });
  t.emit(1_300_000, null, 'nemesis.note', { text: p(1) });
  t.emit(1_400_000, 1, 'raft.send', { type: p(2), to: 2, term: 2 });
  t.emit(1_400_500, 2, 'raft.recv', { type: p(2), from: 1, term: 2 });
  t.emit(1_450_000, 3, 'disk.fault', { op: p(3), path: p(4), error: p(5) });
  const history = [
    ...base.history,
    makeOp(5, 101, p(0), p(1), { value: p(2) }, 3_700_000, 3_750_000, 'ok', { value: p(3) }),
    makeOp(6, 102, 'put', p(4), { value: p(5) }, 3_760_000, 3_800_000, 'fail', p(6)),
  ];
  return {
    ...base,
    scenario: p(0),
    description: p(1),
    overrides: [p(2)],
    settings: { note: p(3), [p(4)]: p(5) },
    reproduce: `npx raftsim run ${p(6)}`,
    traceHash: p(5),
    checks: { ...PASSING_CHECKS, linearizable: { status: 'fail', summary: p(0), details: [p(1), p(2)] }, watch: { status: 'skipped', summary: p(3) } },
    metrics: { ...base.metrics, termRise: { [p(4)]: 1 }, extra: { [p(5)]: 2 } },
    faults: base.faults.map((f, i) => ({ ...f, label: p(i), kind: i === 0 ? 'partition' : p(i + 3) })),
    violation: { partition: p(6), linearizedPrefix: [0, 1, 5], failedOp: 2, relatedOps: [6], explanation: [p(0), `\`${p(1)}\` and ${p(2)}`] },
    history,
    trace: t.events(),
  };
}

export function hostileExperiment(): ExperimentData {
  return {
    experiment: p(0),
    seeds: [1, 2],
    description: p(1),
    command: p(2),
    arms: [0, 1].map((i) => ({
      name: p(i + 3),
      settings: { [p(i)]: p(i + 1) },
      metrics: { [p(i + 2)]: 1 },
      perSeed: [{ seed: 1, values: { [p(i + 4)]: 3 }, verdict: 'fail', failed: [p(i + 6)], reproduce: p(i + 5) }],
      representative: { seed: 1, reproduce: p(i), endUs: 1_000, members: [1], isolated: 1, faults: [{ atUs: 0, untilUs: 500, kind: p(i), hosts: [1], label: p(i + 1) }], terms: [{ node: 1, points: [{ tUs: 0, term: 1 }] }], reportHref: 'javascript:window.__pwned=8' },
    })),
  };
}
