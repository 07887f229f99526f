/**
 * The membership built-ins go through the Cluster API as their descriptions say: which calls are
 * refused and why, the new member joining by snapshot, and every check passing.
 */
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../sim/trace.js';
import { startRun } from '../runner.js';
import { scenarioFor } from '../scenario-source.js';
import type { RunRecord } from '../../record/run-record.js';

function run(name: string, seed: number, overrides: string[] = []): { record: RunRecord; events: TraceEvent[] } {
  const s = scenarioFor({ kind: 'builtin', name }, seed, overrides);
  if (!s.ok) throw new Error(s.error);
  const events: TraceEvent[] = [];
  const keep = /^(kv\.member|kv\.error|raft\.snapshot)$/;
  const session = startRun({ scenario: s.scenario, seed, trace: 'hash-only', name, overrides: [] }, { tap: (e) => { if (keep.test(e.kind)) events.push(e); } });
  return { record: session.finish(), events };
}

const apiErrors = (events: readonly TraceEvent[]): string[] => events.filter((e) => e.kind === 'kv.error' && String(e.fields.method).startsWith('member-')).map((e) => `${e.fields.method} ${e.fields.code}`);
/** The conf changes as the leader-side proposer's member applied them (one line per change, from host 2, a member throughout). */
const applied = (events: readonly TraceEvent[]): string[] => events.filter((e) => e.kind === 'kv.member' && e.host === 2).map((e) => `${e.fields.action}${e.fields.promote === true ? ' (promote)' : ''} ${e.fields.id}: ${e.fields.ok === true ? 'ok' : e.fields.error}`);

describe('membership built-ins', () => {
  it('learner-promote: add learner → promote refused until ready → promote → remove → re-add refused', () => {
    for (const seed of [1, 2, 3]) {
      const { record, events } = run('learner-promote', seed);
      expect(record.faults.map((f) => f.label)).toEqual(['add learner 4', 'promote member 4', 'promote member 4', 'remove member 1', 'add member 1']);
      expect(applied(events)).toEqual(['add-learner-node 4: ok', 'add-node (promote) 4: ok', 'remove-node 1: ok', 'add-node 1: IDRemoved']);
      // The early promote is refused by the leader before it proposes; the re-add of a removed id at apply.
      expect(apiErrors(events)).toEqual(['member-promote LearnerNotReady', 'member-add IDRemoved']);
      // Member 4 started empty and caught up by snapshot.
      expect(events.some((e) => e.host === 4 && e.kind === 'raft.snapshot' && e.fields.what === 'received')).toBe(true);
      expect(Object.entries(record.checks).map(([name, c]) => `${name}: ${c.status}`)).toEqual(Object.keys(record.checks).map((name) => `${name}: ${name === 'serializable' ? 'skipped' : 'pass'}`)); // no serializable reads: nothing to check
    }
  });

  it('membership-change: the early add is refused ErrUnhealthy (5 s health interval), the later one joins by snapshot', () => {
    const { record, events } = run('membership-change', 1);
    expect(record.faults.map((f) => f.label)).toEqual(['add member 4', 'add member 4', expect.stringMatching(/^remove member [123]$/)]);
    expect(apiErrors(events)).toEqual(['member-add Unhealthy']);
    expect(applied(events).slice(0, 1)).toEqual(['add-node 4: ok']);
    expect(events.some((e) => e.host === 4 && e.kind === 'raft.snapshot' && e.fields.what === 'received')).toBe(true);
    expect(Object.entries(record.checks).map(([name, c]) => `${name}: ${c.status}`)).toEqual(Object.keys(record.checks).map((name) => `${name}: ${name === 'serializable' ? 'skipped' : 'pass'}`)); // no serializable reads: nothing to check
  });

  it('cluster.stepDownOnRemoval=false is the run of the etcd-11038 switch: the removed leader keeps leading and no leader is left among the rest', () => {
    const setting = run('membership-change', 1, ['cluster.stepDownOnRemoval=false']).record;
    const bug = run('membership-change', 1, ['bugs=["etcd-11038"]']).record;
    expect(setting.traceHash).toBe(bug.traceHash);
    expect(setting.checks.liveness.status).toBe('fail');
    expect(setting.checks.liveness.summary).toMatch(/0 leaders among/);
    expect(run('membership-change', 1).record.checks.liveness.status).toBe('pass');
  });
});
