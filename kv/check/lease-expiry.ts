/**
 * The lease expiry check: every lease expires inside the window etcd's lessor promises — not
 * before it (early), not long after it (late) — with lease checkpointing judged as etcd ≥ 3.4
 * documents it (PR #9924): a new leader refreshes each lease to the remaining TTL of the last
 * LeaseCheckpoint in its applied state, or to the full TTL if there is none, plus an election
 * timeout. With checkpointing off there are no checkpoints, and the rule is etcd's older one: a
 * leader change renews every lease in full (#9888), which the check accepts as the promise.
 *
 * Inputs, all in true virtual µs:
 * - `promises`: grants and keepalives that returned ok with a TTL (sent at s, answered at r);
 * - `grants` and `checkpoints`: the log entries, by index, as first applied anywhere (all members
 *   apply the same log, so a member whose applied index is i has applied exactly those ≤ i);
 * - `promotes`: each time a member became leader, with its applied index at that instant (its
 *   lessor refreshes every lease it knows then, from that state);
 * - `expiries`: the first apply of each expiry revoke, with the term of the leader that proposed it.
 *
 * Bounds, with d = driftMax (each clock's rate within 1 ± d), ttl in seconds:
 * - a promise (s, r, t) puts the expiry in [s + t·(1−d), r + t/(1−d)]: the leader set it at some
 *   instant between send and answer, t seconds ahead on its clock;
 * - a promote at T from applied index i: rem = the last checkpoint of the lease at index ≤ i
 *   (0 = none or cleared by a renew), and the new leader's expiry is T + (rem or ttl) + extension on
 *   its clock, so within [T + (rem or ttl + ext)·(1−d), T + (rem or ttl + ext)/(1−d)].
 * - Late: the expiry must come by the largest upper bound of every promise and promote before it
 *   (whichever leader revokes, its expiry came from one of them), plus `slackUs` (the lessor's
 *   check interval, then a raft round for the revoke). A lease never expired, never revoked, and
 *   past that bound at the end of the run is late too.
 * - Early: not before the lower bound of any grant of the lease, nor before the lower bound of the
 *   revoking leader's own promote — the latter only for leases nobody kept alive (a renew sets
 *   the expiry to now + ttl, dropping the extension: a legitimate shortening).
 *
 * Not judged: leases a client revoked or whose grant or keepalive outcome is unknown (when the
 * cluster set their expiry is not known); late pairs whose window overlaps any fault (a stalled
 * disk, a pause, a partition delay the revoke's commit without bound); any pair overlapping a
 * clock fault.
 */
import type { Micros } from '../../sim/time.js';
import { US_PER_S } from '../../sim/time.js';
import { assert } from '../../sim/assert.js';

export interface LeasePromise {
  readonly lease: number;
  readonly sentUs: Micros;
  readonly returnUs: Micros;
  readonly ttlS: number;
  readonly kind: 'grant' | 'keepalive';
}

export interface LeaseGrantEntry {
  readonly index: number;
  readonly lease: number;
  readonly ttlS: number;
}

export interface LeaseCheckpointEntry {
  readonly index: number;
  readonly lease: number;
  readonly remainingTtlS: number;
}

export interface LeaderPromote {
  readonly host: number;
  readonly term: number;
  readonly atUs: Micros;
  readonly appliedIndex: number;
}

export interface LeaseExpiryAt {
  readonly lease: number;
  readonly atUs: Micros;
  /** The term of the leader that proposed the revoke. */
  readonly term: number;
}

export interface Window {
  readonly fromUs: Micros;
  readonly toUs: Micros;
}

export interface LeaseExpiryCheckInput {
  readonly promises: readonly LeasePromise[];
  readonly grants: readonly LeaseGrantEntry[];
  readonly checkpoints: readonly LeaseCheckpointEntry[];
  readonly promotes: readonly LeaderPromote[];
  readonly expiries: readonly LeaseExpiryAt[];
  /** Leases not judged: revoked by a client, or a grant or keepalive with an unknown outcome. */
  readonly unjudged: ReadonlySet<number>;
  /** Leases some client kept alive (any keepalive sent). */
  readonly keptAlive: ReadonlySet<number>;
  /** When the run ended (for leases that never expired). */
  readonly endUs: Micros;
}

export interface LeaseExpiryCheckOptions {
  readonly driftMax: number;
  /** The extension a promote adds (etcd: the election timeout). */
  readonly extendUs: Micros;
  /** How late past its bound an expiry may be applied on a quiet cluster. */
  readonly slackUs: Micros;
  /** Windows of any fault: late expiries there are not judged. */
  readonly faults: readonly Window[];
  /** Windows of clock faults: nothing overlapping them is judged. */
  readonly clockFaults: readonly Window[];
}

export interface LeaseExpiryViolation {
  readonly lease: number;
  readonly kind: 'early' | 'late' | 'never';
  /** The expiry's apply, or the end of the run for `never`. */
  readonly atUs: Micros;
  /** The bound it crossed. */
  readonly boundUs: Micros;
  /** What set the bound, for a person: `grant answered at 1.204 s (TTL 10 s)`, `member 2 leading from 6.300 s (remaining 5 s)`. */
  readonly because: string;
}

export interface LeaseExpiryCheckResult {
  readonly violations: readonly LeaseExpiryViolation[];
  /** Leases whose expiry (or absence of one) was judged against a late bound. */
  readonly judgedLate: number;
  /** Expiries judged against an early bound. */
  readonly judgedEarly: number;
  /** Promotes that refreshed a lease from a checkpoint (its remaining TTL survived the leader change). */
  readonly fromCheckpoint: number;
}

const s = (us: Micros): string => `${(us / US_PER_S).toFixed(3)} s`;

export function checkLeaseExpiries(input: LeaseExpiryCheckInput, o: LeaseExpiryCheckOptions): LeaseExpiryCheckResult {
  assert(o.driftMax >= 0 && o.driftMax < 1, () => `lease expiry check: driftMax ${o.driftMax} outside [0, 1)`);
  const lo = (us: number): number => Math.floor(us * (1 - o.driftMax));
  const hi = (us: number): number => Math.ceil(us / (1 - o.driftMax));
  const overlaps = (ws: readonly Window[], a: Micros, b: Micros): boolean => ws.some((w) => w.fromUs <= Math.max(a, b) && w.toUs >= Math.min(a, b));
  const group = <T extends { readonly lease: number }>(xs: readonly T[]): Map<number, T[]> => {
    const m = new Map<number, T[]>();
    for (const x of xs) {
      const l = m.get(x.lease) ?? [];
      l.push(x);
      m.set(x.lease, l);
    }
    return m;
  };
  const promisesOf = group(input.promises);
  const checkpointsOf = group([...input.checkpoints].sort((a, b) => a.index - b.index));
  const expiryOf = new Map(input.expiries.map((e) => [e.lease, e]));
  const violations: LeaseExpiryViolation[] = [];
  let judgedLate = 0;
  let judgedEarly = 0;
  let fromCheckpoint = 0;

  for (const g of input.grants) {
    const lease = g.lease;
    if (input.unjudged.has(lease)) continue;
    const promises = promisesOf.get(lease) ?? [];
    if (!promises.some((p) => p.kind === 'grant')) continue; // no client saw it granted
    // The lessor raises a TTL below the minimum: the granted TTL the client saw is the lease's.
    const ttlS = Math.max(g.ttlS, ...promises.filter((p) => p.kind === 'grant').map((p) => p.ttlS));
    const e = expiryOf.get(lease);
    const until = e?.atUs ?? input.endUs;
    /** The lease as member state at applied index i refreshes it: its remaining TTL, or 0. */
    const remainingAt = (i: number): number => {
      let rem = 0;
      for (const cp of checkpointsOf.get(lease) ?? []) if (cp.index <= i) rem = cp.remainingTtlS;
      return rem;
    };
    let upper = -Infinity;
    let because = '';
    for (const p of promises) {
      if (p.returnUs > until) continue;
      const b = p.returnUs + hi(p.ttlS * US_PER_S);
      if (b > upper) [upper, because] = [b, `${p.kind} answered at ${s(p.returnUs)} (TTL ${p.ttlS} s)`];
    }
    const promoteBound = (p: LeaderPromote): { lower: number; upper: number; rem: number } => {
      const rem = remainingAt(p.appliedIndex);
      const us = (rem > 0 ? rem : ttlS) * US_PER_S + o.extendUs;
      return { lower: p.atUs + lo(us), upper: p.atUs + hi(us), rem };
    };
    for (const p of input.promotes) {
      if (p.atUs > until || p.appliedIndex < g.index) continue;
      const b = promoteBound(p);
      if (b.rem > 0) fromCheckpoint++;
      if (b.upper > upper) [upper, because] = [b.upper, `member ${p.host} leading from ${s(p.atUs)} (${b.rem > 0 ? `checkpointed remaining TTL ${b.rem} s` : `full TTL ${ttlS} s`})`];
    }
    // Late (or never).
    if (upper > -Infinity && !overlaps(o.clockFaults, upper, until)) {
      const bound = upper + o.slackUs;
      if (e !== undefined || input.endUs > bound) {
        if (!overlaps(o.faults, upper, until)) {
          judgedLate++;
          if (until > bound) violations.push({ lease, kind: e === undefined ? 'never' : 'late', atUs: until, boundUs: bound, because });
        }
      }
    }
    if (e === undefined) continue;
    // Early.
    let early: LeaseExpiryViolation | null = null;
    const judge = (lower: number, from: Micros, why: string): void => {
      if (overlaps(o.clockFaults, from, e.atUs)) return;
      judgedEarly++;
      if (e.atUs < lower && (early === null || lower > early.boundUs)) early = { lease, kind: 'early', atUs: e.atUs, boundUs: lower, because: why };
    };
    for (const p of promises) if (p.kind === 'grant') judge(p.sentUs + lo(p.ttlS * US_PER_S), p.sentUs, `grant sent at ${s(p.sentUs)} (TTL ${p.ttlS} s)`);
    if (!input.keptAlive.has(lease)) {
      const revoker = input.promotes.filter((p) => p.term === e.term && p.atUs <= e.atUs && p.appliedIndex >= g.index).at(-1);
      if (revoker !== undefined) {
        const b = promoteBound(revoker);
        judge(b.lower, revoker.atUs, `member ${revoker.host} leading from ${s(revoker.atUs)} (${b.rem > 0 ? `checkpointed remaining TTL ${b.rem} s` : `full TTL ${ttlS} s`})`);
      }
    }
    if (early !== null) violations.push(early);
  }
  violations.sort((a, b) => a.atUs - b.atUs || a.lease - b.lease);
  return { violations, judgedLate, judgedEarly, fromCheckpoint };
}

/** "lease 7 expired late at 20.112 s, after 16.500 s, the latest its promise allowed (member 3 leading from 9.000 s (checkpointed remaining TTL 5 s))". */
export function describeLeaseExpiryViolation(v: LeaseExpiryViolation): string {
  switch (v.kind) {
    case 'early':
      return `lease ${v.lease} expired early at ${s(v.atUs)}, before ${s(v.boundUs)}, the earliest its promise allowed (${v.because})`;
    case 'late':
      return `lease ${v.lease} expired late at ${s(v.atUs)}, after ${s(v.boundUs)}, the latest its promise allowed (${v.because})`;
    case 'never':
      return `lease ${v.lease} never expired: still live at the end (${s(v.atUs)}), past ${s(v.boundUs)}, the latest its promise allowed (${v.because})`;
  }
}
