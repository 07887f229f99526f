/**
 * The checks a finished run's records go through:
 * - **linearizable**: the history's etcd operations against the etcd model (kv/check/etcd-model.ts) with the
 *   Porcupine-style checker (sim/check), its budget counted in search steps (`unknown` past it);
 *   serializable ranges are left out — they have their own rule;
 * - **serializable**: every serializable range equals a state the store really had, at a
 *   revision already committed when it returned (kv/check/serializable-reads.ts);
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
import { checkSerializableReads } from '../kv/check/serializable-reads.js';
import { CommittedMerger, watchHistoryOf, type MergedCommitted } from '../kv/check/watch-inputs.js';
import { etcdModel, isModelledOp, isSerializableRange, type EtcdOperation } from '../kv/check/etcd-model.js';
import type { WatchRecord } from '../kv/client/watch-client.js';
import type { Member } from '../kv/member.js';
import { formatSeconds } from '../reports/format.js';
import { explainStaleRead } from '../reports/violation-view.js';
import { findStaleReads } from './history-metrics.js';
import type { CheckResult, ViolationView } from '../record/run-record.js';
import type { Scenario } from './schema.js';
import type { Model } from '../sim/check/model.js';

export interface HistoryChecks {
  readonly linearizable: CheckResult;
  readonly serializable: CheckResult;
  readonly watch: CheckResult;
  readonly violation: ViolationView | null;
  /** Revisions on which members applied different changes (empty when they agree). */
  readonly divergences: readonly string[];
}

/**
 * Every member incarnation's applied writes, merged into the committed history as they are
 * applied (kv/check's CommittedMerger): one record per revision, each member's copy compared
 * with it on arrival. Member incarnations are numbered in order of their first write.
 */
export class AppliedLog {
  private readonly merger = new CommittedMerger();
  private incarnations = 0;
  /** Each host's number for its latest incarnation: no key string built per applied entry. */
  private readonly current = new Map<HostId, { readonly incarnation: number; readonly member: number }>();
  /** A bound on what is merged (a run writes far fewer revisions). */
  static readonly REVISIONS_MAX = 2_000_000;
  private count = 0;
  /**
   * Compactions as members applied them: when, and the store revision then (a bound on the
   * compaction revision). The watch check needs them: etcd may send an event without its prevKv
   * once the revision before it is compacted.
   */
  readonly compactions: { revision: number; at: Micros }[] = [];

  /** Called right after `member` applied the entry at `index`. */
  record(id: HostId, incarnation: number, member: Member, index: number, at: Micros): void {
    const writes = member.appliedWrites();
    const w = writes[writes.length - 1];
    if (w !== undefined && w.index === index && w.ok && w.kind === 'compact' && this.compactions.length < AppliedLog.REVISIONS_MAX) this.compactions.push({ revision: w.revision, at });
    if (w === undefined || w.index !== index || !w.ok || w.events.length === 0 || this.count >= AppliedLog.REVISIONS_MAX) return;
    let cur = this.current.get(id);
    if (cur === undefined || cur.incarnation !== incarnation) this.current.set(id, (cur = { incarnation, member: this.incarnations++ }));
    this.merger.add(cur.member, { revision: w.revision, at, events: w.events });
    this.count++;
  }

  /** The committed history (revision order, earliest apply time) and the revisions members disagree on. */
  merged(): MergedCommitted {
    return this.merger.result();
  }
}

export function checkHistory(s: Scenario, history: readonly Operation[], applied: AppliedLog, watches: readonly WatchRecord[]): HistoryChecks {
  const merged = applied.merged();
  return {
    ...linearizable(s, history),
    serializable: s.checks.serializable ? serializable(history, merged.committed) : off('serializable'),
    watch: s.checks.watch ? watch(merged.committed, watches, applied.compactions) : off('watch'),
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
 * The violation, told once: one operation (`failedOp`) and one story about it, shared by the
 * check's headline, its details and the report — never a headline about one read and an
 * explanation about another. Times are in seconds with millisecond precision.
 *
 * The story, in order of preference:
 * 1. a stale read of one key in concrete values ("read of `k0` returned "c3-9" at 5.129 s, but put
 *    `k0="c1-7"` completed at 5.098 s, before the read began"): the read the checker's own witness
 *    points at when it is one, else the read the search got stuck on, else the first such read;
 * 2. else the checker's explanation (sim/check/explain.ts): the model's witness (a revision that
 *    goes back in real time), a stale or unwritten read in values, or the search's evidence.
 * Both are certain proofs that no linearization exists. `linearizedPrefix` stays the search's own
 * evidence (the longest prefix it could order).
 */
function violationOf(r: LinearizabilityResult, history: readonly EtcdOperation[]): ViolationView {
  const first = violationsOf(etcdModel, history, r, { staleReads: findStaleReads(history), formatTime: formatSeconds })[0];
  return first ?? { partition: null, linearizedPrefix: [], failedOp: -1, relatedOps: [], explanation: ['no linearization exists'] };
}

export interface ViolationOptions {
  /**
   * The reads known to be stale (a run's: findStaleReads); the story prefers them. Without it
   * (a model other than etcd's), the checker's operation and the stuck one are tried as stale reads
   * — unless the partition has appends, whose values a put-and-read story cannot tell.
   */
  readonly staleReads?: readonly number[];
  /** How a time of the history is written (a run's: seconds). */
  readonly formatTime: (t: number) => string;
}

/**
 * One violation per illegal partition of `r`, in partition order, each told as `violationOf`
 * tells a run's: the run report and `raftsim check --out` use the same story and wording.
 */
export function violationsOf<S, Op extends Operation>(model: Model<S, Op>, history: readonly Op[], r: LinearizabilityResult, o: ViolationOptions): ViolationView[] {
  const explanations = explainViolations(model, history, r, { formatTime: o.formatTime });
  const byId = new Map<number, Op>(history.map((op) => [op.id, op]));
  return r.partitions
    .filter((part) => part.verdict === 'illegal')
    .map((part) => {
      const view = (failedOp: number, explanation: readonly string[], relatedOps: readonly number[]): ViolationView => ({
        partition: part.label,
        linearizedPrefix: part.linearized,
        failedOp,
        relatedOps: [...new Set(relatedOps)].filter((id) => id >= 0 && id !== failedOp),
        explanation,
      });
      const e = explanations.find((x) => x.partition === part.label);
      const candidates = [e?.kind === 'unplaceable' ? undefined : e?.op, part.stuck].filter((id): id is number => id !== undefined);
      let preferred: number | undefined;
      if (o.staleReads !== undefined) {
        const inPart = new Set(part.opIds);
        const staleIds = o.staleReads.filter((id) => inPart.has(id));
        preferred = candidates.find((id) => staleIds.includes(id)) ?? staleIds[0];
      } else if (!part.opIds.some((id) => byId.get(id)?.op === 'append')) {
        preferred = candidates.find((id) => {
          const op = byId.get(id);
          return op !== undefined && explainStaleRead(history, op, o.formatTime) !== null;
        });
      }
      const read = preferred === undefined ? undefined : byId.get(preferred);
      const stale = read === undefined ? null : explainStaleRead(history, read, o.formatTime);
      if (stale !== null && read !== undefined) return view(read.id, stale.lines, stale.related);
      if (e === undefined) return view(part.stuck ?? -1, ['no linearization exists'], []);
      return view(e.op >= 0 ? e.op : (part.stuck ?? -1), e.message.split('\n'), e.kind === 'unplaceable' ? [] : e.related);
    });
}

function serializable(history: readonly Operation[], committed: Parameters<typeof checkSerializableReads>[1]): CheckResult {
  const r = checkSerializableReads(history, committed);
  if (r.ok) return { status: 'pass', summary: r.checked === 0 ? 'no serializable reads in this run' : `${r.checked} serializable reads each saw a committed state` };
  return { status: 'fail', summary: `${r.violations.length} serializable reads broke their rule: ${r.violations[0]?.message ?? ''}`, details: r.violations.slice(1, 5).map((v) => v.message) };
}

function watch(committed: Parameters<typeof checkWatches>[0], records: readonly WatchRecord[], compactions: AppliedLog['compactions']): CheckResult {
  const r = checkWatches(committed, records.map(watchHistoryOf), { compactions });
  if (r.ok) return { status: 'pass', summary: r.watches === 0 ? 'no watches in this run' : `${r.watches} watches, ${r.events} events: all nine guarantees held` };
  const n = r.violations.length + r.violationsDropped;
  return { status: 'fail', summary: `${n} watch guarantee violations: ${r.violations[0] === undefined ? '' : formatWatchViolation(r.violations[0])}`, details: r.violations.slice(1, 5).map(formatWatchViolation) };
}
