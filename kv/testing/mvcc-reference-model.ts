/**
 * A naive reference for the MVCC store, for tests: the full key→value map of *every* revision, kept
 * forever, and the events of every revision. Written for obviousness, not speed, and independently
 * of the store's index, range and txn code (it shares only request validation, `validate.ts`, which
 * has its own tests). Compaction only moves the line below which reads fail.
 */
import type {
  Compare, DeleteRangeRequest, DeleteRangeResponse, KeyValue, KvResult, PutRequest, PutResponse, RangeRequest,
  RangeResponse, RequestOp, ResponseOp, TxnRequest, TxnResponse, WatchEvent,
} from '../api.js';
import { inRange } from '../api.js';
import { fail, ok } from '../mvcc/errors.js';
import { rowHash, rowSetHash } from '../mvcc/hash.js';
import { validateDeleteRange, validatePut, validateRange, validateTxn } from '../mvcc/validate.js';

type State = ReadonlyMap<string, KeyValue>;
/** The branch each txn takes, decided before the txn runs. */
interface Path {
  readonly ok: boolean;
  readonly nested: readonly Path[];
}

export class ReferenceModel {
  /** states[r] is the store at revision r; states[0] is unused, states[1] is empty. */
  readonly states: State[] = [new Map(), new Map()];
  /** events[r] are the events of revision r (empty for 0 and 1). */
  readonly events: (readonly WatchEvent[])[] = [[], []];
  compactRev = -1;

  constructor(private readonly leaseExists: (id: number) => boolean = () => true) {}

  rev(): number {
    return this.states.length - 1;
  }

  range(r: RangeRequest, atCurrent = this.rev(), working?: State): KvResult<RangeResponse> {
    const invalid = validateRange(r);
    if (invalid) return { ok: false, error: invalid };
    const requested = r.revision ?? 0;
    if (requested > atCurrent) return fail('FutureRev');
    const at = requested <= 0 ? atCurrent : requested;
    if (at < this.compactRev) return fail('Compacted');
    const state = requested <= 0 && working !== undefined ? working : (this.states[at] as State);
    const all = [...state.values()].filter((kv) => inRange(kv.key, r.key, r.rangeEnd)).sort(byKey);
    if (r.countOnly === true) return ok({ kvs: [], more: false, count: all.length });
    const limit = r.limit ?? 0;
    const filtered = (r.minModRevision ?? 0) !== 0 || (r.maxModRevision ?? 0) !== 0 || (r.minCreateRevision ?? 0) !== 0 || (r.maxCreateRevision ?? 0) !== 0;
    // etcd: order NONE with a non-KEY target and a limit sorts only the first limit + 1 keys.
    const truncatedFirst = limit > 0 && !filtered && (r.sortOrder ?? 'NONE') === 'NONE';
    let kvs = (truncatedFirst ? all.slice(0, limit + 1) : all).filter((kv) =>
      (!r.maxModRevision || kv.modRevision <= r.maxModRevision) && (!r.minModRevision || kv.modRevision >= r.minModRevision) &&
      (!r.maxCreateRevision || kv.createRevision <= r.maxCreateRevision) && (!r.minCreateRevision || kv.createRevision >= r.minCreateRevision));
    kvs = sortByTarget(kvs, r);
    const more = limit > 0 && kvs.length > limit;
    if (more) kvs = kvs.slice(0, limit);
    if (r.keysOnly === true) kvs = kvs.map((kv) => ({ ...kv, value: '' }));
    return ok({ kvs, more, count: all.length });
  }

  put(r: PutRequest): KvResult<PutResponse> {
    const invalid = validatePut(r);
    if (invalid) return { ok: false, error: invalid };
    // A plain put looks the lease up first (etcd's applier), a put in a txn the key first.
    if ((r.lease ?? 0) !== 0 && !this.leaseExists(r.lease ?? 0)) return fail('LeaseNotFound');
    const err = this.checkPut(r);
    if (err) return err;
    return this.commit((tx) => ok(tx.put(r)));
  }

  deleteRange(r: DeleteRangeRequest): KvResult<DeleteRangeResponse> {
    const invalid = validateDeleteRange(r);
    if (invalid) return { ok: false, error: invalid };
    return this.commit((tx) => ok(tx.del(r)));
  }

  txn(r: TxnRequest): KvResult<TxnResponse> {
    const invalid = validateTxn(r);
    if (invalid) return { ok: false, error: invalid };
    const before = this.current();
    // Guards of every nested txn are decided on the state before the txn, branch by branch.
    const decide = (t: TxnRequest): Path => {
      const okay = t.compare.every((c) => compareHolds(before, c));
      return { ok: okay, nested: (okay ? t.success : t.failure).filter((o) => o.type === 'txn').map((o) => decide(o.request as TxnRequest)) };
    };
    const path = decide(r);
    const failure = this.checkBranch(r, path);
    if (failure) return failure;
    return this.commit((tx) => ok(tx.txn(r, path)));
  }

  compact(rev: number): KvResult<{ revision: number }> {
    if (rev <= this.compactRev) return fail('Compacted');
    if (rev > this.rev()) return fail('FutureRev');
    this.compactRev = rev;
    return ok({ revision: this.rev() });
  }

  deleteKeys(keys: readonly string[]): number {
    let n = 0;
    this.commit((tx) => {
      for (const key of keys) n += tx.del({ key }).deleted;
      return ok(undefined);
    });
    return n;
  }

  current(): State {
    return this.states[this.rev()] as State;
  }

  /**
   * HashKV by its definition (etcd mvcc HashByRev, which walks the revision-keyed backend): of the
   * rows the compaction kept (each key's pair visible at the compaction revision), those in
   * Keep(at) — still each key's pair at `at` — or all of them when nothing is live at `at`; then
   * every change after the compaction revision up to `at`. The rows as a set (hash.ts rowSetHash).
   */
  hashKV(at: number): number {
    const rows: [string, number, number, KeyValue | null][] = [];
    const kept = this.compactRev >= 2 ? (this.states[this.compactRev] as State) : new Map<string, KeyValue>();
    const atState = this.states[at] as State;
    for (const kv of kept.values()) {
      if (atState.size > 0 && atState.get(kv.key) !== kv) continue;
      rows.push([kv.key, kv.modRevision, (this.events[kv.modRevision] ?? []).findIndex((e) => e.kv === kv), kv]);
    }
    for (let r = Math.max(2, this.compactRev + 1); r <= at; r++) {
      (this.events[r] ?? []).forEach((ev, sub) => rows.push([ev.kv.key, r, sub, ev.type === 'PUT' ? ev.kv : null]));
    }
    let sum = 0;
    for (const [key, main, sub, kv] of rows) sum = (sum + rowHash(key, main, sub, kv)) | 0;
    return rowSetHash(sum, rows.length);
  }

  private checkPut(r: PutRequest): KvResult<never> | undefined {
    if ((r.ignoreValue === true || r.ignoreLease === true) && !this.current().has(r.key)) return fail('KeyNotFound');
    if ((r.lease ?? 0) !== 0 && !this.leaseExists(r.lease ?? 0)) return fail('LeaseNotFound');
    return undefined;
  }

  private checkBranch(r: TxnRequest, path: Path): KvResult<never> | undefined {
    let n = 0;
    for (const op of path.ok ? r.success : r.failure) {
      if (op.type === 'range') {
        const rev = op.request.revision ?? 0;
        if (rev > this.rev()) return fail('FutureRev');
        if (rev !== 0 && rev < this.compactRev) return fail('Compacted');
      } else if (op.type === 'put') {
        const err = this.checkPut(op.request);
        if (err) return err;
      } else if (op.type === 'txn') {
        const err = this.checkBranch(op.request, path.nested[n++] as Path);
        if (err) return err;
      }
    }
    return undefined;
  }

  private commit<T>(body: (tx: ReferenceTxn) => KvResult<T>): KvResult<T> {
    const tx = new ReferenceTxn(this, this.rev());
    const res = body(tx);
    if (res.ok && tx.events.length > 0) {
      this.states.push(tx.working);
      this.events.push(tx.events);
    }
    return res;
  }
}

class ReferenceTxn {
  readonly working: Map<string, KeyValue>;
  readonly events: WatchEvent[] = [];

  constructor(private readonly model: ReferenceModel, private readonly beginRev: number) {
    this.working = new Map(model.current());
  }

  put(r: PutRequest): PutResponse {
    const prev = this.working.get(r.key);
    const rev = this.beginRev + 1;
    if ((r.ignoreValue || r.ignoreLease) && prev === undefined) throw new Error('reference: ignore_* put on a missing key during a txn');
    const kv: KeyValue = {
      key: r.key,
      createRevision: prev ? prev.createRevision : rev,
      modRevision: rev,
      version: prev ? prev.version + 1 : 1,
      value: r.ignoreValue ? (prev as KeyValue).value : r.value,
      lease: r.ignoreLease ? (prev as KeyValue).lease : (r.lease ?? 0),
    };
    this.working.set(r.key, kv);
    this.record({ type: 'PUT', kv });
    return r.prevKv && prev ? { prevKv: prev } : {};
  }

  del(r: DeleteRangeRequest): DeleteRangeResponse {
    const doomed = [...this.working.values()].filter((kv) => inRange(kv.key, r.key, r.rangeEnd)).sort(byKey);
    for (const kv of doomed) {
      this.working.delete(kv.key);
      this.record({ type: 'DELETE', kv: { key: kv.key, createRevision: 0, modRevision: this.beginRev + 1, version: 0, value: '', lease: 0 } });
    }
    return { deleted: doomed.length, prevKvs: r.prevKv ? doomed : [] };
  }

  txn(r: TxnRequest, path: Path): TxnResponse {
    let n = 0;
    const responses: ResponseOp[] = (path.ok ? r.success : r.failure).map((op: RequestOp): ResponseOp => {
      switch (op.type) {
        case 'range': {
          const res = this.model.range(op.request, this.events.length > 0 ? this.beginRev + 1 : this.beginRev, this.working);
          if (!res.ok) throw new Error(`reference: range failed inside a txn: ${res.error.code}`);
          return { type: 'range', response: res.value };
        }
        case 'put': return { type: 'put', response: this.put(op.request) };
        case 'delete': return { type: 'delete', response: this.del(op.request) };
        case 'txn': return { type: 'txn', response: this.txn(op.request, path.nested[n++] as Path) };
      }
    });
    return { succeeded: path.ok, responses };
  }

  /** prevKv is the key's value before the txn (etcd reads it at mod_revision − 1). */
  private record(ev: { type: 'PUT' | 'DELETE'; kv: KeyValue }): void {
    const prevKv = this.model.current().get(ev.kv.key);
    this.events.push(prevKv === undefined ? ev : { ...ev, prevKv });
  }
}

function byKey(a: KeyValue, b: KeyValue): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function sortByTarget(kvs: KeyValue[], r: RangeRequest): KeyValue[] {
  const target = r.sortTarget ?? 'KEY';
  let order = r.sortOrder ?? 'NONE';
  if (order === 'NONE' && target !== 'KEY') order = 'ASCEND';
  if (order === 'NONE') return kvs;
  const field = (kv: KeyValue): string | number =>
    target === 'KEY' ? kv.key : target === 'VALUE' ? kv.value : target === 'VERSION' ? kv.version : target === 'CREATE' ? kv.createRevision : kv.modRevision;
  const sign = order === 'DESCEND' ? -1 : 1;
  // Ties (possible for every target but KEY) in ascending key order.
  return [...kvs].sort((a, b) => {
    const fa = field(a);
    const fb = field(b);
    return fa < fb ? -sign : fa > fb ? sign : byKey(a, b);
  });
}

function compareHolds(state: State, c: Compare): boolean {
  const kvs = [...state.values()].filter((kv) => inRange(kv.key, c.key, c.rangeEnd));
  if (kvs.length === 0) {
    if (c.target === 'VALUE') return false;
    kvs.push({ key: c.key, createRevision: 0, modRevision: 0, version: 0, value: '', lease: 0 });
  }
  return kvs.every((kv) => {
    const [mine, theirs]: [string | number, string | number] =
      c.target === 'VALUE' ? [kv.value, c.value] : c.target === 'VERSION' ? [kv.version, c.version]
        : c.target === 'CREATE' ? [kv.createRevision, c.createRevision] : c.target === 'MOD' ? [kv.modRevision, c.modRevision] : [kv.lease, c.lease];
    switch (c.result) {
      case 'EQUAL': return mine === theirs;
      case 'NOT_EQUAL': return mine !== theirs;
      case 'GREATER': return mine > theirs;
      case 'LESS': return mine < theirs;
    }
  });
}
