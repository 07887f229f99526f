/**
 * Serializable reads (Range with `serializable: true`) are served from a member's local store
 * without ReadIndex: they may be stale, so they are not checked for linearizability (etcd's
 * robustness suite checks them apart too). Their rule:
 *
 * 1. the response equals the store's state at the response's header revision R (values,
 *    revisions, versions, count, more) — it is *some* real state, never a mix;
 * 2. R is not newer than the latest revision committed before the read returned — a member
 *    cannot serve what was not committed yet.
 *
 * Input: the history, and the committed revisions in order (sim/check/watch's CommittedRevision:
 * the changes of each revision and when it was first applied), which the runner gets from the
 * members' applied writes (watch-inputs.ts merges them).
 */
import type { KeyValue, RangeRequest, RangeResponse } from '../api.js';
import { assert } from '../../sim/assert.js';
import type { Operation } from '../../sim/history.js';
import type { CommittedRevision } from '../../sim/check/watch.js';
import { INITIAL_REVISION, evaluateRange, isSerializableRange, kvTable } from './etcd-model.js';
import type { KvTable } from './etcd-model.js';
import type { RangeOutput } from './etcd-model.js';

export interface SerializableReadViolation {
  /** The operation's id in the history. */
  readonly op: number;
  readonly revision: number;
  readonly message: string;
}

export interface SerializableReadsResult {
  readonly ok: boolean;
  /** Serializable ranges with status ok that were checked. */
  readonly checked: number;
  readonly violations: readonly SerializableReadViolation[];
}

interface Read {
  readonly op: Operation;
  readonly input: RangeRequest;
  readonly output: RangeOutput;
  /** The revision whose state the response must equal. */
  readonly contentRevision: number;
}

/** Checks every ok serializable range of `history` against `committed`. */
export function checkSerializableReads(history: readonly Operation[], committed: readonly CommittedRevision[]): SerializableReadsResult {
  const violations: SerializableReadViolation[] = [];
  const reads: Read[] = [];
  for (const op of history) {
    if (!isSerializableRange(op) || op.status !== 'ok') continue;
    const input = op.input as RangeRequest;
    const output = op.output as RangeOutput;
    const asked = input.revision ?? 0;
    reads.push({ op, input, output, contentRevision: asked > 0 ? asked : output.revision });
  }
  // Nothing to judge: skip indexing the committed history (most runs have no serializable reads).
  if (reads.length === 0) return { ok: true, checked: 0, violations };
  const lastCommittedBy = committedByTime(committed);
  for (const r of reads) {
    const bound = lastCommittedBy(r.op.return ?? Infinity);
    if (r.output.revision > bound) {
      violations.push({ op: r.op.id, revision: r.output.revision, message: `serializable read of ${r.input.key} answered at revision ${r.output.revision}, but when it returned (t=${r.op.return}) only revision ${bound} was committed` });
    }
  }
  // Replay the committed changes once, in revision order, judging each read at its revision.
  reads.sort((a, b) => a.contentRevision - b.contentRevision || a.op.id - b.op.id);
  const state = new Map<string, KeyValue>();
  let at = 0;
  let revision = INITIAL_REVISION;
  let table: KvTable | undefined;
  for (const r of reads) {
    while (at < committed.length && (committed[at] as CommittedRevision).revision <= r.contentRevision) {
      const c = committed[at] as CommittedRevision;
      assert(c.revision > revision || (at === 0 && c.revision >= revision), () => `serializable check: committed revisions must increase (${c.revision} after ${revision})`);
      for (const e of c.events) {
        if (e.type === 'PUT') state.set(e.kv.key, { ...e.kv, lease: e.kv.lease ?? 0 });
        else state.delete(e.kv.key);
      }
      revision = c.revision;
      table = undefined;
      at++;
    }
    table ??= kvTable(state.values());
    const want = evaluateRange(table, r.input);
    if (!sameResponse(r.output, want)) {
      violations.push({ op: r.op.id, revision: r.contentRevision, message: `serializable read of ${r.input.key} at revision ${r.contentRevision} returned ${describe(r.output)}, but the store then held ${describe(want)}` });
    }
  }
  violations.sort((a, b) => a.op - b.op);
  return { ok: violations.length === 0, checked: reads.length, violations };
}

/** The latest committed revision at a time: a step function over the revisions' commit times. */
function committedByTime(committed: readonly CommittedRevision[]): (t: number) => number {
  // Commit times need not grow with revisions across members, so take a running maximum.
  const points: [number, number][] = committed.map((c) => [c.at, c.revision]);
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const times = points.map((p) => p[0]);
  const best: number[] = [];
  let max = INITIAL_REVISION;
  for (const [, rev] of points) best.push((max = Math.max(max, rev)));
  return (t) => {
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((times[mid] as number) <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? INITIAL_REVISION : (best[lo - 1] as number);
  };
}

function sameKv(a: KeyValue | undefined, b: KeyValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.key === b.key && a.value === b.value && a.createRevision === b.createRevision && a.modRevision === b.modRevision && a.version === b.version && (a.lease ?? 0) === (b.lease ?? 0);
}

function sameResponse(got: RangeResponse, want: RangeResponse): boolean {
  return got.count === want.count && got.more === want.more && got.kvs.length === want.kvs.length && want.kvs.every((kv, i) => sameKv(got.kvs[i], kv));
}

function describe(r: RangeResponse): string {
  if (r.kvs.length === 0) return r.count > 0 ? `count ${r.count}` : 'nothing';
  const shown = r.kvs.slice(0, 4).map((kv) => `${kv.key}=${JSON.stringify(kv.value)}@${kv.modRevision}`);
  return shown.join(', ') + (r.kvs.length > 4 ? `, … ${r.kvs.length - 4} more` : '');
}
