/**
 * Field-by-field comparison of two outcomes of one sequence (the real etcd's and raftsim's), and the
 * decisions about the differences found: each is either unexplained (a failure of the harness's
 * check), or one of the `KNOWN` differences — an etcd 3.4 behaviour fixed later upstream, or a
 * deliberate deviation of raftsim — recognised by a rule that looks at the request and both answers.
 */
import type { KvBug } from '../server/options.js';
import { SLOT_BASE, type Answer, type Outcome, type SeqOp, type Sequence, type WatchRecord } from './sequence.js';

/** What a rule may consult beyond the op and the two answers. */
export interface MatchContext {
  /** raftsim's outcome of the same sequence with these known etcd bugs switched back on. */
  readonly withBugs: (bugs: readonly KvBug[]) => Outcome;
}

export interface Difference {
  readonly sequence: string;
  /** Index of the op in the sequence, or -1 for the watch streams / the target as a whole. */
  readonly op: number;
  /** Where in the answer the two differ (`res.kvs[0].version`, `watch[1].events`, …). */
  readonly path: string;
  readonly etcd: unknown;
  readonly sim: unknown;
  /** The known difference this is, when one of the rules recognises it. */
  readonly known?: string;
}

export interface KnownDifference {
  readonly id: string;
  /** What differs and which side is right, in one sentence. */
  readonly what: string;
  /** Upstream issue / fix, or `deliberate` for a deviation raftsim keeps on purpose. */
  readonly upstream: string;
  /** Whether this op and these answers are an instance of it. */
  readonly matches: (op: SeqOp | undefined, etcd: unknown, sim: unknown, path: string, ctx: MatchContext) => boolean;
}

const SORT_ORDERS: ReadonlySet<unknown> = new Set([undefined, 'NONE', 'ASCEND', 'DESCEND']);
const SORT_TARGETS: ReadonlySet<unknown> = new Set([undefined, 'KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE']);

type AnyReq = Record<string, unknown>;

/** Whether `op` carries a range (at any depth of a txn) with a sort order or target etcd's enum does not name. */
function hasInvalidSort(op: SeqOp | undefined): boolean {
  const bad = (r: AnyReq): boolean => !SORT_ORDERS.has(r.sortOrder) || !SORT_TARGETS.has(r.sortTarget);
  const inTxn = (t: { success: readonly { type: string; request: unknown }[]; failure: readonly { type: string; request: unknown }[] }): boolean =>
    [...t.success, ...t.failure].some((o) => (o.type === 'range' ? bad(o.request as AnyReq) : o.type === 'txn' ? inTxn(o.request as never) : false));
  if (op?.method === 'range') return bad(op.request as unknown as AnyReq);
  if (op?.method === 'txn') return inTxn(op.request as never);
  return false;
}

const code = (a: unknown): string | undefined => (a !== null && typeof a === 'object' && (a as { ok?: boolean }).ok === false ? (a as { code: string }).code : undefined);

export const KNOWN: readonly KnownDifference[] = [
  {
    id: 'range-invalid-sort',
    what: 'A range with a sort order or target outside the enum: etcd 3.4 does not check it (and may panic sorting, which ends the member); later etcd refuses it with InvalidSortOption, as raftsim does.',
    upstream: 'https://github.com/etcd-io/etcd/issues/13554 (fixed by https://github.com/etcd-io/etcd/pull/13555)',
    matches: (op, _e, s) => hasInvalidSort(op) && code(s) === 'InvalidSortOption',
  },
  {
    id: 'txn-check-order',
    what: 'A txn whose chosen branch has both a put that fails (lease not found, key not found) and a range that fails (future or compacted revision): etcd 3.4 checks every put of the path before any range, later etcd checks the ops in order in one pass, as raftsim does.',
    upstream: 'https://github.com/etcd-io/etcd/pull/16372',
    matches: (op, e, s) => op?.method === 'txn' && ['LeaseNotFound', 'KeyNotFound'].includes(code(e) ?? '') && ['FutureRev', 'Compacted'].includes(code(s) ?? ''),
  },
  {
    id: 'alarm-no-header',
    what: 'An Alarm answer: etcd 3.4 sends it without a response header (revision 0); later etcd fills the header (the current revision), as raftsim does.',
    upstream: 'https://github.com/etcd-io/etcd/issues/11581 (fixed by https://github.com/etcd-io/etcd/pull/11600, in 3.5)',
    matches: (op, e, s, path) =>
      op?.method === 'alarm' && path === 'rev' && (e as { ok?: boolean; rev?: number } | null)?.ok === true && (e as { rev: number }).rev === 0 && (s as { ok?: boolean } | null)?.ok === true,
  },
  {
    id: 'hashkv-at-compaction',
    what: 'HashKV at exactly the compaction revision: etcd 3.4.23 refuses it as compacted; later etcd hashes it (only a revision below the compaction is compacted), as raftsim does.',
    upstream: 'https://github.com/etcd-io/etcd/pull/14457 (3.4: https://github.com/etcd-io/etcd/pull/16047, in 3.4.27)',
    matches: (op, e, s) =>
      op?.method === 'hash-kv' && code(e) === 'Compacted' && (s as { ok?: boolean } | null)?.ok === true && (s as { res: { compactRevision: number } }).res.compactRevision === op.request.revision,
  },
  {
    id: 'grpc-message-limit',
    what: 'A request larger than etcd\'s gRPC receive limit (--max-request-bytes + 512 KiB): etcd\'s gRPC layer refuses it (ResourceExhausted) before the server sees it; raftsim has no gRPC layer and answers RequestTooLarge, the error of every request over --max-request-bytes.',
    upstream: 'deliberate',
    matches: (_op, e, s) => code(e) === 'grpc:RESOURCE_EXHAUSTED' && code(s) === 'RequestTooLarge',
  },
  {
    id: 'watch-negative-start',
    what: 'A watch from a negative start revision: etcd 3.4 creates it and cancels it at its next sync with whatever the compaction revision is then (a timing-dependent answer); raftsim refuses it at once as compacted (created and canceled, no watch id).',
    upstream: 'deliberate',
    matches: (op, e, s) =>
      op?.method === 'watch' && (op.request.startRevision ?? 0) < 0 &&
      (s as WatchRecord | null)?.created.canceled === true && (e as WatchRecord | null)?.created.canceled === false,
  },
  {
    id: 'watch-cancel-race',
    what: 'A watcher canceled by request while events are still on their way: etcd 3.4 forgets the watcher\'s prevKv option when it reads the cancel (recvLoop) and stops its events at the cancel, so the events still queued go out without prevKv, or not at all (timing-dependent: a 1 MiB event is slow enough to be overtaken); raftsim delivers every event before the cancel, with prevKv. Recognised only when etcd\'s events are raftsim\'s, in order, less a tail and less the prevKv of a tail.',
    upstream: 'deliberate (etcd 3.4 etcdserver/api/v3rpc/watch.go: recvLoop deletes prevKV[id] on a cancel request; sendLoop reads it per response)',
    matches: (_op, e, s, path) => /^watch\[\d+\]\.events/.test(path) && isCancelRaceOf(e as WatchRecord | null, s as WatchRecord | null),
  },
  {
    id: 'watch-compacted-tombstone',
    what: 'A watch from exactly the compaction revision where a key was deleted: etcd 3.4.23\'s compaction drops that tombstone, so the watch misses the DELETE (etcd #18089); later etcd keeps it and sends the event, as raftsim does. Recognised only when raftsim with its switch etcd-18089 on sends exactly what etcd 3.4 sent.',
    upstream: 'https://github.com/etcd-io/etcd/issues/18089 (fixed by https://github.com/etcd-io/etcd/pull/18274; 3.4: https://github.com/etcd-io/etcd/pull/18475, in 3.4.34)',
    matches: (_op, e, _s, path, ctx) => {
      const m = /^watch\[(\d+)\]/.exec(path);
      return m !== null && JSON.stringify(ctx.withBugs(['etcd-18089']).watches[Number(m[1])]) === JSON.stringify(e);
    },
  },
  {
    id: 'progress-request-3.4',
    what: 'A progress request on the watch stream: etcd 3.4.23 answers it at once at the current revision — while a watcher still catches up, below a watcher\'s future start, and on a stream without watchers; later etcd answers only once every watcher is synced and not before its start, as raftsim does. Recognised only when raftsim with its switches etcd-15220 and etcd-20221 on answers exactly as etcd 3.4 did.',
    upstream: 'https://github.com/etcd-io/etcd/issues/15220 (fixed by https://github.com/etcd-io/etcd/pull/15237; 3.4: https://github.com/etcd-io/etcd/pull/15697, in 3.4.25) and https://github.com/etcd-io/etcd/issues/20221 (fixed by https://github.com/etcd-io/etcd/pull/20229; 3.4: https://github.com/etcd-io/etcd/pull/20250, in 3.4.38)',
    matches: (_op, e, _s, path, ctx) => path.startsWith('progress') && JSON.stringify(ctx.withBugs(['etcd-15220', 'etcd-20221']).progress) === JSON.stringify(e),
  },
];

function mayWrite(op: SeqOp | undefined): boolean {
  if (op === undefined) return false;
  if (op.method === 'txn') return JSON.stringify(op.request).includes('"type":"put"') || JSON.stringify(op.request).includes('"type":"delete"');
  if (op.method === 'alarm') return op.request.action !== 'GET';
  return !['range', 'lease-ttl', 'lease-leases', 'member-list', 'status', 'hash-kv', 'watch', 'watch-cancel', 'watch-progress'].includes(op.method);
}

/**
 * Whether etcd's watcher `e` is raftsim's `s` as seen through etcd 3.4's cancel race: both canceled
 * by request (no compaction, no reason), the same create answer, etcd's events a prefix of
 * raftsim's in which, from some event on, prevKv is missing.
 */
function isCancelRaceOf(e: WatchRecord | null, s: WatchRecord | null): boolean {
  const same = (x: unknown, y: unknown): boolean => diffPaths(x, y, '').length === 0;
  if (e === null || s === null || e.canceled === undefined || s.canceled === undefined) return false;
  const byRequest = (c: { readonly compactRevision: number; readonly cancelReason: string }): boolean => c.compactRevision === 0 && c.cancelReason === '';
  if (!byRequest(e.canceled) || !byRequest(s.canceled) || !same(e.created, s.created)) return false;
  if (e.events.length > s.events.length) return false;
  let lost = false;
  for (let i = 0; i < e.events.length; i++) {
    const [ev, sv] = [e.events[i] as WatchRecord['events'][number], s.events[i] as WatchRecord['events'][number]];
    if (same(ev, sv) && !lost) continue;
    const { prevKv: _dropped, ...rest } = sv;
    if (ev.prevKv !== undefined || !same(ev, rest)) return false;
    lost = true;
  }
  return true;
}

/** A known difference after which etcd no longer answers (it crashed): the rest is not comparable. */
function etcdGone(a: unknown): boolean {
  const c = code(a);
  return c === 'grpc:UNAVAILABLE' || c === 'crash' || c === 'target-down';
}

/**
 * Every difference between `etcd` and `sim` for `seq`, each marked known when a rule recognises it.
 * `runWithBugs` runs the sequence on raftsim with known bugs switched on (for the rules that ask).
 */
export function compareOutcomes(seq: Sequence, etcd: Outcome, sim: Outcome, runWithBugs: (bugs: readonly KvBug[]) => Outcome): Difference[] {
  const out: Difference[] = [];
  const reruns = new Map<string, Outcome>();
  const ctx: MatchContext = {
    withBugs: (bugs) => {
      const key = bugs.join(',');
      let o = reruns.get(key);
      if (o === undefined) reruns.set(key, (o = runWithBugs(bugs)));
      return o;
    },
  };
  const add = (op: number, path: string, e: unknown, s: unknown): void => {
    const rule = KNOWN.find((k) => k.matches(op >= 0 ? seq.ops[op] : undefined, e, s, path, ctx));
    out.push(rule === undefined ? { sequence: seq.name, op, path, etcd: e, sim: s } : { sequence: seq.name, op, path, etcd: e, sim: s, known: rule.id });
  };
  const n = Math.max(etcd.answers.length, sim.answers.length);
  const [etcdHashes, simHashes] = [hashClasses(seq, etcd.answers, sim.answers), hashClasses(seq, sim.answers, etcd.answers)];
  for (let i = 0; i < n; i++) {
    const [e, s] = [etcd.answers[i] ?? null, sim.answers[i] ?? null];
    const paths = diffPaths(normaliseAnswer(seq.ops[i], etcdHashes[i] ?? null), normaliseAnswer(seq.ops[i], simHashes[i] ?? null), '');
    if (paths.length === 0) continue;
    add(i, paths.join(' '), e, s);
    // After a known difference in which etcd crashed, or applied a write that raftsim refused, the
    // two stores differ: nothing after it (answers, watch events) can be compared. (A write both
    // applied, answered differently, leaves them alike: the comparison goes on.)
    if ((out[out.length - 1] as Difference).known !== undefined && (etcdGone(e) || (e !== null && e.ok && mayWrite(seq.ops[i]) && !(s !== null && s.ok)))) return out;
  }
  // A target that failed as a whole stops answering; what its watchers got then is not comparable.
  // Both failing on the same op is agreement (the answers above say where); their messages differ.
  if (etcd.targetError !== undefined || sim.targetError !== undefined) {
    if ((etcd.targetError === undefined) !== (sim.targetError === undefined)) add(-1, 'target', etcd.targetError ?? null, sim.targetError ?? null);
    return out;
  }
  // Watchers are answered in the order they were asked for: record i belongs to the i-th watch op.
  const watchOps = seq.ops.map((o, i) => [o, i] as const).filter(([o]) => o.method === 'watch');
  const [etcdWatches, simWatches] = [stableWatches(seq, etcd.watches), stableWatches(seq, sim.watches)];
  const w = Math.max(etcdWatches.length, simWatches.length);
  for (let i = 0; i < w; i++) {
    const [e, s] = [etcdWatches[i] ?? null, simWatches[i] ?? null];
    const paths = diffPaths(e, s, `watch[${i}]`);
    if (paths.length > 0) add(watchOps[i]?.[1] ?? -1, paths.join(' '), e, s);
  }
  // Requested progress: the revisions of the answers, in order (a difference is put on the first
  // progress request the two answer differently, or past the last one).
  const progressOps = seq.ops.map((o, i) => [o, i] as const).filter(([o]) => o.method === 'watch-progress');
  const p = diffPaths(etcd.progress, sim.progress, 'progress');
  if (p.length > 0) {
    let k = 0;
    while (k < etcd.progress.length && etcd.progress[k] === sim.progress[k]) k++;
    add(progressOps[k]?.[1] ?? -1, p.join(' '), etcd.progress, sim.progress);
  }
  return out;
}

/**
 * HashKV answers with each hash replaced by its class: the number of distinct hashes the sequence's
 * HashKV answers showed before it first appeared (0, 1, 2, …). The two targets hash different
 * encodings of the store (see normalise.ts), so a hash value says nothing across targets — but
 * which answers hash equal does: the same store content at the same revision and compaction, and
 * only that, must give the same hash on both.
 *
 * Only the HashKV ops both targets answered count: a hash one target gave where the other refused
 * (a known difference such as hashkv-at-compaction) would otherwise shift every later class.
 */
export function hashClasses(seq: Sequence, answers: readonly Answer[], other: readonly Answer[]): Answer[] {
  const seen = new Map<number, number>();
  return answers.map((a, i) => {
    if (a === null || !a.ok || seq.ops[i]?.method !== 'hash-kv' || other[i]?.ok !== true) return a;
    const r = a.res as { hash: number };
    let c = seen.get(r.hash);
    if (c === undefined) seen.set(r.hash, (c = seen.size));
    return { ...a, res: { ...r, hash: c } };
  });
}

/**
 * The watch records of an outcome without what a target's timing decides (both targets' records go
 * through it before they are compared, and etcd's before they are recorded, so that recording a
 * sequence twice stores the same):
 * - A watch from a negative start revision (the known difference `watch-negative-start`): etcd 3.4
 *   creates it and cancels it at a later run of its sync loop (every 100 ms, on its wall clock) with
 *   the compaction revision of that moment — or not at all, when the sequence ends first. Whether
 *   that cancel came, and its compact_revision, are dropped; its create answer is kept.
 */
export function stableWatches(seq: Sequence, watches: readonly WatchRecord[]): WatchRecord[] {
  const watchOps = seq.ops.filter((o) => o.method === 'watch');
  return watches.map((w, i) => {
    const op = watchOps[i];
    if (op === undefined || (op.request.startRevision ?? 0) >= 0 || w.canceled === undefined) return w;
    const { canceled: _timed, ...rest } = w;
    return rest;
  });
}

/**
 * What of an answer is compared: everything but what must differ.
 * - Remaining TTL (LeaseTimeToLive): etcd counts it on the wall clock and truncates to seconds,
 *   raftsim on virtual time; the two agree within a second.
 * - Lease lists (LeaseLeases): a set; etcd lists it in map order.
 */
export function normaliseAnswer(op: SeqOp | undefined, a: Answer): unknown {
  if (a === null || !a.ok || op === undefined) return a;
  if (op.method === 'lease-ttl') {
    const r = a.res as { ttlS: number };
    return { ...a, res: { ...r, ttlS: r.ttlS > 0 ? 'positive' : r.ttlS } };
  }
  if (op.method === 'lease-leases') {
    const r = a.res as { leases: number[] };
    return { ...a, res: { leases: [...r.leases].sort((x, y) => x - y) } };
  }
  return a;
}

/** Paths at which `a` and `b` differ (the first few), or [] when they are equal. */
export function diffPaths(a: unknown, b: unknown, path: string, out: string[] = []): string[] {
  if (out.length >= 4) return out;
  if (Object.is(a, b)) return out;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${path}.length`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) diffPaths(a[i], b[i], `${path}[${i}]`, out);
    return out;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) diffPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path === '' ? k : `${path}.${k}`, out);
    return out;
  }
  out.push(path === '' ? '(answer)' : path);
  return out;
}

export function isSlot(id: number): boolean {
  return id >= SLOT_BASE;
}

export type { WatchRecord };
