/**
 * Figures about leadership, from the `raft.role` trace events the nodes emit (run-record.ts
 * lists the kind: `{role, term, lead}` on the member's host): elections, leader changes, how long
 * a leader cut off in a minority kept leading, and the highest term.
 */
import type { HostId } from '../sim/host.js';
import type { Micros } from '../sim/time.js';
import type { TraceEvent } from '../sim/trace.js';
import type { FaultRecord } from '../record/run-record.js';

export type RoleName = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

interface RoleChange {
  readonly timeUs: Micros;
  readonly role: RoleName;
  readonly term: number;
}

/** Role changes kept per host: a bound on memory for very long runs (oldest dropped). */
const CHANGES_PER_HOST_MAX = 100_000;

export class RoleTimeline {
  private readonly changes = new Map<HostId, RoleChange[]>();
  /** Every time a node became leader, in time order. */
  readonly leaderships: { readonly timeUs: Micros; readonly host: HostId; readonly term: number }[] = [];
  elections = 0;
  maxTerm = 0;

  /** Feed a trace event (others than `raft.role` are ignored). */
  onEvent(e: TraceEvent): void {
    if (e.kind !== 'raft.role' || e.host === null) return;
    this.record(e.host, e.timeUs, e.fields.role as RoleName, Number(e.fields.term));
  }

  record(host: HostId, timeUs: Micros, role: RoleName, term: number): void {
    let list = this.changes.get(host);
    if (list === undefined) this.changes.set(host, (list = []));
    if (list.length >= CHANGES_PER_HOST_MAX) list.shift();
    list.push({ timeUs, role, term });
    if (term > this.maxTerm) this.maxTerm = term;
    if (role === 'candidate') this.elections++;
    if (role === 'leader') this.leaderships.push({ timeUs, host, term });
  }

  /** The host leading at `timeUs` (latest leadership whose holder had not changed role since), or null. */
  leaderAt(timeUs: Micros): HostId | null {
    for (let i = this.leaderships.length - 1; i >= 0; i--) {
      const l = this.leaderships[i] as (typeof this.leaderships)[number];
      if (l.timeUs > timeUs) continue;
      const after = this.firstChangeAfter(l.host, l.timeUs);
      return after === null || after.timeUs > timeUs ? l.host : null;
    }
    return null;
  }

  /** The host's first role change strictly after `timeUs` (leaving its role then), or null. */
  firstChangeAfter(host: HostId, timeUs: Micros): RoleChange | null {
    for (const c of this.changes.get(host) ?? []) if (c.timeUs > timeUs) return c;
    return null;
  }

  /** The host's term at its last role change (0 if it never changed role). */
  lastTerm(host: HostId): number {
    const list = this.changes.get(host);
    return list === undefined || list.length === 0 ? 0 : (list[list.length - 1] as RoleChange).term;
  }

  /** Leaders elected after the first one. */
  leaderChanges(): number {
    return Math.max(0, this.leaderships.length - 1);
  }

  /** Leaders elected at or after `timeUs`. */
  leaderChangesSince(timeUs: Micros): number {
    return this.leaderships.filter((l) => l.timeUs >= timeUs).length;
  }

  /**
   * For each partition that left the leader of the moment in a minority: how long it went on
   * leading (until it stepped down, the partition ended, or `endUs`). The longest, in µs; 0 if none.
   */
  minorityLeaderUs(faults: readonly FaultRecord[], membersCount: number, endUs: Micros): Micros {
    let longest = 0;
    for (const f of faults) {
      // Only isolate and split cut a member off from the others; a bridge or a one-way cut does not.
      if (f.kind !== 'partition' || f.groups === undefined || !/^(isolate|split) /.test(f.label)) continue;
      const lead = this.leaderAt(f.atUs);
      if (lead === null) continue;
      const side = f.groups.find((g) => g.includes(lead));
      if (side === undefined || side.length > membersCount / 2) continue;
      const stepDown = this.firstChangeAfter(lead, f.atUs);
      const until = Math.min(stepDown?.timeUs ?? endUs, f.untilUs ?? endUs, endUs);
      longest = Math.max(longest, until - f.atUs);
    }
    return longest;
  }
}
