/**
 * The checks a finished run's records go through:
 * - **linearizable**: the history's etcd operations against the etcd model (kv/model.ts) with the
 *   Porcupine-style checker (sim/check), its budget counted in search steps (`unknown` past it);
 *   serializable ranges are left out — they have their own rule;
 * - **serializable**: every serializable range equals a state the store really had, at a
 *   revision already committed when it returned (kv/check-serializable-reads.ts);
 * - **watch**: etcd's nine watch guarantees over every watch the clients opened, against the
 *   committed revisions (sim/check/watch.ts);
 * and, on the way, the committed history itself: members that applied different changes at the
 * same revision have diverged (a safety violation, reported with the invariants).
 *
 * The committed revisions come from every member's applied writes, collected as they were applied
 * (`AppliedLog`), so a member's crash does not take its share away.
 */
import type { Operation } from '../sim/history.js';
import type { HostId } from '../sim/host.js';
import type { Micros } from '../sim/time.js';
import { explainViolations } from '../sim/check/explain.js';
import { checkLinearizability, type LinearizabilityResult } from '../sim/check/linearizability.js';
import { checkWatches, formatWatchViolation } from '../sim/check/watch.js';
import { checkSerializableReads } from '../kv/check-serializable-reads.js';
import { mergeCommitted, watchHistoryOf, type AppliedRevision } from '../kv/check-watch-inputs.js';
import { etcdModel, isModelledOp, isSerializableRange, type EtcdOperation } from '../kv/model.js';
import type { WatchRecord } from '../kv/client/watch-client.js';
import type { Member } from '../kv/member.js';
import { explainStaleRead } from '../reports/violation-view.js';
import { findStaleReads } from './history-metrics.js';
import type { CheckResult, ViolationView } from './run-record.js';
import type { Scenario } from './schema.js';

export interface HistoryChecks {
  readonly linearizable: CheckResult;
  readonly serializable: CheckResult;
  readonly watch: CheckResult;
  readonly violation: ViolationView | null;
  /** Revisions on which members applied different changes (empty when they agree). */
  readonly divergences: readonly string[];
}

/** Every applied write of every member incarnation, with the time it was applied. */
export class AppliedLog {
  private readonly lists = new Map<string, AppliedRevision[]>();
  /** Each host's list for its latest incarnation: no key string built per applied entry. */
  private readonly current = new Map<HostId, { readonly incarnation: number; readonly list: AppliedRevision[] }>();
  /** A bound on what is kept (a run writes far fewer revisions). */
  static readonly REVISIONS_MAX = 2_000_000;
  private count = 0;

  /** Called right after `member` applied the entry at `index`. */
  record(id: HostId, incarnation: number, member: Member, index: number, at: Micros): void {
    const writes = member.appliedWrites();
    const w = writes[writes.length - 1];
    if (w === undefined || w.index !== index || !w.ok || w.events.length === 0 || this.count >= AppliedLog.REVISIONS_MAX) return;
    let cur = this.current.get(id);
    if (cur === undefined || cur.incarnation !== incarnation) {
      const key = `${id}/${incarnation}`;
      let list = this.lists.get(key);
      if (list === undefined) this.lists.set(key, (list = []));
      this.current.set(id, (cur = { incarnation, list }));
    }
    cur.list.push({ revision: w.revision, at, events: w.events });
    this.count++;
  }

  members(): (readonly AppliedRevision[])[] {
    return [...this.lists.values()];
  }
}

export function checkHistory(s: Scenario, history: readonly Operation[], applied: AppliedLog, watches: readonly WatchRecord[]): HistoryChecks {
  const merged = mergeCommitted(applied.members());
  return {
    ...linearizable(s, history),
    serializable: s.checks.serializable ? serializable(history, merged.committed) : off('serializable'),
    watch: s.checks.watch ? watch(merged.committed, watches) : off('watch'),
    divergences: merged.divergences,
  };
}

function off(what: string): CheckResult {
  return { status: 'skipped', summary: `${what} check turned off in the scenario` };
}

function linearizable(s: Scenario, history: readonly Operation[]): { linearizable: CheckResult; violation: ViolationView | null } {
  if (!s.checks.linearizable) return { linearizable: off('linearizability'), violation: null };
  const ops = history.filter((op): op is EtcdOperation => isModelledOp(op) && !isSerializableRange(op));
  const r = checkLinearizability(etcdModel, ops, { budgetSteps: s.checkerBudgetSteps });
  const counts = `${r.checked} operations in ${r.partitions.length} partition${r.partitions.length === 1 ? '' : 's'}, ${r.steps.toLocaleString('en-US')} search steps`;
  if (r.verdict === 'ok') return { linearizable: { status: 'pass', summary: `linearizable (${counts})` }, violation: null };
  if (r.verdict === 'unknown') return { linearizable: { status: 'unknown', summary: `no verdict: the search budget of ${s.checkerBudgetSteps.toLocaleString('en-US')} steps ran out (${counts}); raise checkerBudgetSteps` }, violation: null };
  const violation = violationOf(r, ops);
  return { linearizable: { status: 'fail', summary: `not linearizable: ${violation.explanation[0] ?? ''}`, details: violation.explanation.slice(1) }, violation };
}

/**
 * The violation for the report: the checker's own explanation (sim/check/explain.ts — a model
 * witness or a stale read in values) when it has one; when it only has the search's evidence, a
 * stale read of the same part found by the history metrics explains it in values first.
 */
function violationOf(r: LinearizabilityResult, history: readonly EtcdOperation[]): ViolationView {
  const part = r.partitions.find((p) => p.verdict === 'illegal');
  const failedOp = part?.stuck ?? -1;
  const e = explainViolations(etcdModel, history, r).find((x) => x.partition === (part?.label ?? ''));
  const lines = e === undefined ? ['no linearization exists'] : e.message.split('\n');
  const related = e === undefined ? [] : [e.op, ...(e.kind === 'unplaceable' ? [] : e.related)].filter((id) => id >= 0 && id !== failedOp);
  const view = (explanation: readonly string[], relatedOps: readonly number[]): ViolationView => ({ partition: part?.label ?? null, linearizedPrefix: part?.linearized ?? [], failedOp, relatedOps, explanation });
  const inPart = new Set(part?.opIds ?? []);
  const readId = findStaleReads(history).find((id) => inPart.has(id));
  const read = readId === undefined ? undefined : history.find((o) => o.id === readId);
  const stale = read === undefined ? null : explainStaleRead(history, read);
  if (stale === null || read === undefined) return view(lines, related);
  const staleRelated = [...stale.related, read.id].filter((id) => id !== failedOp);
  // A model witness comes first (it is the checker's proof); the per-key stale read adds values.
  if (e !== undefined && e.kind !== 'unplaceable') return view([...lines, ...stale.lines], [...new Set([...related, ...staleRelated])]);
  return view([...stale.lines, ...lines], staleRelated);
}

function serializable(history: readonly Operation[], committed: Parameters<typeof checkSerializableReads>[1]): CheckResult {
  const r = checkSerializableReads(history, committed);
  if (r.ok) return { status: 'pass', summary: r.checked === 0 ? 'no serializable reads in this run' : `${r.checked} serializable reads each saw a committed state` };
  return { status: 'fail', summary: `${r.violations.length} serializable reads broke their rule: ${r.violations[0]?.message ?? ''}`, details: r.violations.slice(1, 5).map((v) => v.message) };
}

function watch(committed: Parameters<typeof checkWatches>[0], records: readonly WatchRecord[]): CheckResult {
  const r = checkWatches(committed, records.map(watchHistoryOf));
  if (r.ok) return { status: 'pass', summary: r.watches === 0 ? 'no watches in this run' : `${r.watches} watches, ${r.events} events: all nine guarantees held` };
  const n = r.violations.length + r.violationsDropped;
  return { status: 'fail', summary: `${n} watch guarantee violations: ${r.violations[0] === undefined ? '' : formatWatchViolation(r.violations[0])}`, details: r.violations.slice(1, 5).map(formatWatchViolation) };
}
