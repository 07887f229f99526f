/**
 * Lease expiries in the history. A lease that runs out is revoked by a `lease-revoke` the leader
 * proposes (kv/server: its header carries `leaderTerm`, which a client's revoke never has): a
 * revoke no client issued, which deletes the lease's keys. The etcd model (kv/check/etcd-model.ts) must see
 * it, or those deletes look like phantom ones. The runner calls `applied` after every entry a
 * member applies; the first time an expiry revoke of lease L is applied *with effect* (ok: L
 * existed) anywhere, one operation is recorded:
 *
 *   { client: <the expiry process>, op: 'lease-revoke', input: { id: L, revision: r }, call: t, return: null, status: 'unknown' }
 *
 * where r is the revision the revoke made (the same on every member: they apply the same log); the
 * etcd model places an expiry only where it makes r (kv/check/etcd-model.ts: without the pin, expiries at one
 * instant beside unknown puts make the search try which of them fills each revision).
 *
 * The call time t is the virtual time of that first apply. An unknown operation may take effect
 * at any time after its call, or never, so t must not be later than the point where the revoke
 * takes effect. It is not: the revoke's effect is visible only through a member that applied it,
 * and members apply in log order, so an operation that returned before t — a write applied and
 * answered by some member, or a read served from some member's applied state — was ordered before
 * the revoke in the log (had it come after, that member would have applied the revoke before t).
 * A snapshot carries the revoke only after some member applied it, a restarted member re-applies
 * it later still. (The grant's call would be sound too, but far looser: the checker would try the
 * revoke at every point of the lease's life.)
 *
 * Only observation: nothing here changes what servers do, emits a trace event or draws a number,
 * so recording never moves a trace hash.
 */
import { assert } from '../../sim/assert.js';
import type { HistoryRecorder } from '../../sim/history.js';
import type { Micros } from '../../sim/time.js';
import type { Entry } from '../../raft/core/types.js';
import { decodeRaftRequest } from '../server/internal-request.js';
import type { AppliedWrite } from '../server/state-machine.js';
import type { LeaseExpiry } from '../check/lease-keepalive.js';
import type { LeaderPromote, LeaseCheckpointEntry, LeaseExpiryAt, LeaseGrantEntry } from '../check/lease-expiry.js';

export const LEASE_EXPIRY_NOTE = 'lease expired: revoke proposed by the leader';

export class LeaseExpiryRecorder {
  /** Lease id → the virtual time of its expiry's first apply (for the lease keepalive check). */
  private readonly recorded = new Map<number, Micros>();
  /** The term of the leader that proposed each recorded expiry. */
  private readonly terms = new Map<number, number>();
  /** Grant and checkpoint entries, by index, as first applied anywhere (the lease expiry check's input). */
  private readonly grantEntries = new Map<number, LeaseGrantEntry>();
  private readonly checkpointEntries = new Map<number, LeaseCheckpointEntry[]>();
  private readonly promoteList: LeaderPromote[] = [];

  constructor(
    private readonly history: HistoryRecorder,
    /** The history process the expiries are recorded under (one no client or watcher uses). */
    private readonly process: number,
  ) {}

  /** After a member applied `entry`; `last` is the last write that member recorded. */
  applied(entry: Entry, last: AppliedWrite | undefined, nowUs: Micros): void {
    // The cheap test first: only a lease revoke that found its lease, a grant or a checkpoint is decoded.
    if (last === undefined || last.index !== entry.index || !last.ok) return;
    if (last.kind === 'lease-grant' || last.kind === 'lease-checkpoint') return this.leaseEntry(entry);
    if (last.kind !== 'lease-revoke') return;
    const r = decodeRaftRequest(entry.data);
    assert(r.body.kind === 'lease-revoke', () => `lease expiry: entry ${entry.index} applied as a lease revoke decodes as ${r.body.kind}`);
    if (r.header.leaderTerm === undefined) return; // a client's revoke: the client recorded it
    const id = r.body.request.id;
    if (this.recorded.has(id)) return;
    this.recorded.set(id, nowUs);
    this.terms.set(id, r.header.leaderTerm);
    const op = this.history.invoke(this.process, 'lease-revoke', undefined, { id, revision: last.revision }, nowUs);
    this.history.complete(op, 'unknown', undefined, nowUs, LEASE_EXPIRY_NOTE);
  }

  /** A member became leader at `atUs` with its state applied up to `appliedIndex`: its lessor refreshes every lease from there. */
  promoted(p: LeaderPromote): void {
    this.promoteList.push(p);
  }

  private leaseEntry(entry: Entry): void {
    if (this.grantEntries.has(entry.index) || this.checkpointEntries.has(entry.index)) return;
    const { body } = decodeRaftRequest(entry.data);
    if (body.kind === 'lease-grant') this.grantEntries.set(entry.index, { index: entry.index, lease: body.request.id, ttlS: body.request.ttlS });
    else if (body.kind === 'lease-checkpoint') this.checkpointEntries.set(entry.index, body.request.checkpoints.map((cp) => ({ index: entry.index, lease: cp.id, remainingTtlS: cp.remainingTtlS })));
  }

  /** What the lease expiry check reads from the log and the leaders. */
  timeline(): { grants: LeaseGrantEntry[]; checkpoints: LeaseCheckpointEntry[]; promotes: readonly LeaderPromote[]; expiries: LeaseExpiryAt[] } {
    return {
      grants: [...this.grantEntries.values()],
      checkpoints: [...this.checkpointEntries.values()].flat(),
      promotes: this.promoteList,
      expiries: [...this.recorded].map(([lease, atUs]) => ({ lease, atUs, term: this.terms.get(lease) ?? 0 })),
    };
  }

  /** Each recorded expiry: the lease and when its revoke was first applied. */
  expiries(): readonly LeaseExpiry[] {
    return [...this.recorded].map(([lease, atUs]) => ({ lease, atUs }));
  }

  /** Leases whose expiry was recorded. */
  get count(): number {
    return this.recorded.size;
  }
}
