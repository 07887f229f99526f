/**
 * Figures computed from a client history (kv/client/history-op.ts shapes): operation counts,
 * read and write latencies, the write-unavailability window, and stale reads.
 *
 * A **stale read** is a single-key `range` that returned a version of the key older than one
 * already acknowledged before the read began: the newest write to that key that completed ok
 * before the read's call has revision W, and the read returned the key with modRevision < W, or
 * no key from a store at a revision < W (an absence at or after W may be a later delete's). It
 * is counted for every read, serializable ones included — a
 * serializable read is *allowed* to be stale, and the readindex experiment shows how often it is.
 */
import { countByStatus, type Operation } from '../sim/history.js';
import { US_PER_MS, type Micros } from '../sim/time.js';

export interface HistoryMetrics {
  readonly ok: number;
  readonly fail: number;
  readonly unknown: number;
  readonly staleReads: number;
  readonly readLatencyMsP50: number;
  readonly readLatencyMsP99: number;
  readonly writeLatencyMsP50: number;
  readonly writeLatencyMsP99: number;
  readonly unavailableMs: number;
  /** Ids of the stale reads (for reports). */
  readonly staleReadIds: readonly number[];
}

/** One acknowledged change to a key: its revision, and whether it left the key present. */
export interface KeyWrite {
  readonly key: string;
  readonly revision: number;
  readonly put: boolean;
  /** The value a put wrote. */
  readonly value?: string;
  readonly opId: number;
  /** When the write was acknowledged. */
  readonly returnUs: Micros;
}

const WRITE_METHODS = new Set(['put', 'delete', 'txn']);

interface RequestOpLike {
  readonly type: string;
  readonly request: { readonly key?: string; readonly rangeEnd?: string; readonly value?: string };
}

/** The acknowledged (status ok) changes an operation made to single keys. */
export function keyWritesOf(op: Operation): KeyWrite[] {
  if (op.status !== 'ok' || op.return === null) return [];
  const out = op.output as { revision?: number; deleted?: number; succeeded?: boolean; responses?: readonly { type: string; response: { deleted?: number } }[] } | undefined;
  const revision = out?.revision;
  if (revision === undefined) return [];
  const at = op.return;
  if (op.op === 'put') {
    const input = op.input as { key: string; value: string };
    return [{ key: input.key, revision, put: true, value: input.value, opId: op.id, returnUs: at }];
  }
  if (op.op === 'delete') {
    const input = op.input as { key: string; rangeEnd?: string };
    if ((input.rangeEnd ?? '') !== '' || (out?.deleted ?? 0) === 0) return [];
    return [{ key: input.key, revision, put: false, opId: op.id, returnUs: at }];
  }
  if (op.op === 'txn') {
    const input = op.input as { success: readonly RequestOpLike[]; failure: readonly RequestOpLike[] };
    const branch = out?.succeeded === true ? input.success : input.failure;
    const writes: KeyWrite[] = [];
    branch.forEach((r, i) => {
      const key = r.request.key;
      if (key === undefined || (r.request.rangeEnd ?? '') !== '') return;
      if (r.type === 'put') writes.push({ key, revision, put: true, value: r.request.value ?? '', opId: op.id, returnUs: at });
      if (r.type === 'delete' && (out?.responses?.[i]?.response.deleted ?? 0) > 0) writes.push({ key, revision, put: false, opId: op.id, returnUs: at });
    });
    return writes;
  }
  return [];
}

export function isWrite(op: Operation): boolean {
  if (!WRITE_METHODS.has(op.op)) return false;
  if (op.op !== 'txn') return true;
  const input = op.input as { success?: readonly RequestOpLike[]; failure?: readonly RequestOpLike[] } | undefined;
  return hasNonRange(input?.success) || hasNonRange(input?.failure);
}

function hasNonRange(ops: readonly RequestOpLike[] | undefined): boolean {
  return ops !== undefined && ops.some((r) => r.type !== 'range');
}

/** True when `xs` is already in the order a stable sort by `key` would leave it. */
function sortedBy<T>(xs: readonly T[], key: (x: T) => number): boolean {
  for (let i = 1; i < xs.length; i++) if (key(xs[i - 1] as T) > key(xs[i] as T)) return false;
  return true;
}

/** Single-key reads that returned an older version than one acknowledged before they began. */
export function findStaleReads(history: readonly Operation[]): number[] {
  const writes = history.flatMap(keyWritesOf).sort((a, b) => a.returnUs - b.returnUs);
  const reads = history.filter((op) => op.op === 'range' && op.status === 'ok' && op.return !== null && ((op.input as { rangeEnd?: string }).rangeEnd ?? '') === '');
  // A history is recorded in call order, so the (stable) sort is usually a no-op: skip it then.
  if (!sortedBy(reads, (op) => op.call)) reads.sort((a, b) => a.call - b.call);
  // Sweep reads by call time, folding in writes acknowledged before each call: the newest per key.
  const newest = new Map<string, KeyWrite>();
  const stale: number[] = [];
  let w = 0;
  for (const read of reads) {
    while (w < writes.length && (writes[w] as KeyWrite).returnUs < read.call) {
      const kw = writes[w] as KeyWrite;
      const cur = newest.get(kw.key);
      if (cur === undefined || kw.revision > cur.revision) newest.set(kw.key, kw);
      w++;
    }
    const key = (read.input as { key: string }).key;
    const last = newest.get(key);
    if (last === undefined) continue;
    const out = read.output as { revision?: number; kvs?: readonly { modRevision: number }[] } | undefined;
    const kv = out?.kvs?.[0];
    // Present: an older version of the key. Absent: served from a store that had not applied the
    // write (a later, concurrent delete could explain an absence at or after it).
    if (kv === undefined ? (out?.revision ?? 0) < last.revision : kv.modRevision < last.revision) stale.push(read.id);
  }
  return stale.sort((a, b) => a - b);
}

/**
 * Reads (of any key or range, at the newest revision) whose header revision is older than a write
 * acknowledged before they began: they were served by a store that had not applied that write —
 * what the linearizability checker calls a stale read even when the read's own key did not change
 * (a read of k2 at revision 22 after a put of k1 returned revision 23).
 */
export function findRevisionStaleReads(history: readonly Operation[]): number[] {
  const writes = history.flatMap((op) => {
    const ws = keyWritesOf(op);
    return ws.length === 0 ? [] : [{ revision: Math.max(...ws.map((w) => w.revision)), returnUs: (ws[0] as KeyWrite).returnUs }];
  }).sort((a, b) => a.returnUs - b.returnUs);
  const reads = history.filter((op) => op.op === 'range' && op.status === 'ok' && op.return !== null && ((op.input as { revision?: number }).revision ?? 0) <= 0);
  if (!sortedBy(reads, (op) => op.call)) reads.sort((a, b) => a.call - b.call);
  const stale: number[] = [];
  let newest = 0;
  let w = 0;
  for (const read of reads) {
    while (w < writes.length && (writes[w] as { returnUs: number }).returnUs < read.call) newest = Math.max(newest, (writes[w++] as { revision: number }).revision);
    const revision = (read.output as { revision?: number } | undefined)?.revision;
    if (revision !== undefined && revision < newest) stale.push(read.id);
  }
  return stale.sort((a, b) => a - b);
}

/** Every stale read the history shows: same-key ones (findStaleReads) and revision ones (findRevisionStaleReads). */
export function findAllStaleReads(history: readonly Operation[]): number[] {
  return [...new Set([...findStaleReads(history), ...findRevisionStaleReads(history)])].sort((a, b) => a - b);
}

/** Nearest-rank percentile of `xs` (0 when empty). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  return nearestRank([...xs].sort((a, b) => a - b), p);
}

/** Nearest-rank percentile of the ascending, non-empty `sorted`. */
function nearestRank(sorted: ArrayLike<number>, p: number): number {
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

/**
 * The longest span, within [fromUs, toUs], with no write completing ok while a write was
 * outstanding or being issued: the gaps between consecutive ok write completions, bounded by the
 * first write's call and the last write's call (after that nobody was writing).
 */
export function unavailableUs(history: readonly Operation[], fromUs: Micros, toUs: Micros): Micros {
  const writes = history.filter(isWrite);
  if (writes.length === 0) return 0;
  let firstCall = Infinity;
  let lastCall = -Infinity;
  for (const o of writes) {
    firstCall = Math.min(firstCall, o.call);
    lastCall = Math.max(lastCall, o.call);
  }
  const start = Math.max(fromUs, firstCall);
  const end = Math.min(toUs, lastCall);
  if (end <= start) return 0;
  const oks = writes.filter((o) => o.status === 'ok' && o.return !== null).map((o) => o.return as number).filter((t) => t > start && t < end).sort((a, b) => a - b);
  let longest = 0;
  let prev = start;
  for (const t of oks) {
    longest = Math.max(longest, t - prev);
    prev = t;
  }
  return Math.max(longest, end - prev);
}

const toMs = (us: number): number => Math.round((us / US_PER_MS) * 1000) / 1000;

export function historyMetrics(history: readonly Operation[], windowUs: { readonly fromUs: Micros; readonly toUs: Micros }): HistoryMetrics {
  const counts = countByStatus(history);
  const reads: number[] = [];
  const writes: number[] = [];
  for (const o of history) {
    if (o.status !== 'ok' || o.return === null) continue;
    const latency = (o.return - o.call) / US_PER_MS;
    if (o.op === 'range') reads.push(latency);
    if (isWrite(o)) writes.push(latency);
  }
  // One sort per list serves both percentiles. Latencies are finite and never -0, so a typed
  // array's numeric sort puts them in the order percentile's comparator does.
  const readsSorted = Float64Array.from(reads).sort();
  const writesSorted = Float64Array.from(writes).sort();
  const p = (sorted: Float64Array, q: number): number => (sorted.length === 0 ? 0 : nearestRank(sorted, q));
  const stale = findAllStaleReads(history);
  return {
    ok: counts.ok,
    fail: counts.fail,
    unknown: counts.unknown,
    staleReads: stale.length,
    staleReadIds: stale,
    readLatencyMsP50: p(readsSorted, 50),
    readLatencyMsP99: p(readsSorted, 99),
    writeLatencyMsP50: p(writesSorted, 50),
    writeLatencyMsP99: p(writesSorted, 99),
    unavailableMs: toMs(unavailableUs(history, windowUs.fromUs, windowUs.toUs)),
  };
}
