/**
 * Membership changes as an algebra over (configuration, progress map) (etcd's `confchange`):
 * `simple` changes at most one voter; `enterJoint` copies the voters into the outgoing half and
 * applies the changes to the incoming half; `leaveJoint` drops the outgoing half. Each returns a
 * new configuration, or an error value, and never touches its input.
 *
 * `restoreConfState` rebuilds a configuration from a ConfState (snapshot, restart) by replaying
 * it as changes from the empty configuration.
 */
import { Inflights } from './inflights.js';
import { Progress } from './progress.js';
import type { ProgressMap, TrackerConfig } from './progress-tracker.js';
import { EMPTY_TRACKER_CONFIG } from './progress-tracker.js';
import type { ConfChangeSingle, ConfState, LogIndex, NodeId } from './types.js';
import { unreachable } from '../../sim/assert.js';

export type ChangeResult =
  | { readonly ok: true; readonly config: TrackerConfig; readonly progress: ProgressMap }
  | { readonly ok: false; readonly error: string };

/** What a change starts from. */
export interface ChangerBase {
  readonly config: TrackerConfig;
  readonly progress: ReadonlyMap<NodeId, Progress>;
  readonly maxInflight: number;
  readonly maxInflightBytes: number;
}

interface Draft {
  incoming: Set<NodeId>;
  outgoing: Set<NodeId>;
  autoLeave: boolean;
  learners: Set<NodeId>;
  learnersNext: Set<NodeId>;
  progress: ProgressMap;
}

function fail(error: string): ChangeResult {
  return { ok: false, error };
}

export class Changer {
  constructor(
    private readonly base: ChangerBase,
    /** The log's last index: new peers are probed from there. */
    private readonly lastIndex: LogIndex,
  ) {}

  enterJoint(autoLeave: boolean, ccs: readonly ConfChangeSingle[]): ChangeResult {
    const d = this.checkAndCopy();
    if (typeof d === 'string') return fail(d);
    if (d.outgoing.size > 0) return fail('config is already joint');
    // Adding nodes to an empty config is allowed (bootstrap), entering joint from it is not.
    if (d.incoming.size === 0) return fail("can't make a zero-voter config joint");
    d.outgoing = new Set(d.incoming);
    const e = this.apply(d, ccs);
    if (e !== null) return fail(e);
    d.autoLeave = autoLeave;
    return checkAndReturn(d);
  }

  leaveJoint(): ChangeResult {
    const d = this.checkAndCopy();
    if (typeof d === 'string') return fail(d);
    if (d.outgoing.size === 0) return fail("can't leave a non-joint config");
    for (const id of d.learnersNext) {
      d.learners.add(id);
      (d.progress.get(id) as Progress).isLearner = true;
    }
    d.learnersNext = new Set();
    for (const id of d.outgoing) {
      if (!d.incoming.has(id) && !d.learners.has(id)) d.progress.delete(id);
    }
    d.outgoing = new Set();
    d.autoLeave = false;
    return checkAndReturn(d);
  }

  simple(ccs: readonly ConfChangeSingle[]): ChangeResult {
    const d = this.checkAndCopy();
    if (typeof d === 'string') return fail(d);
    if (d.outgoing.size > 0) return fail("can't apply simple config change in joint config");
    const e = this.apply(d, ccs);
    if (e !== null) return fail(e);
    if (symdiff(this.base.config.voters.incoming, d.incoming) > 1) return fail('more than one voter changed without entering joint config');
    return checkAndReturn(d);
  }

  /** Applies changes to the incoming half; voters in the outgoing half keep their progress. */
  private apply(d: Draft, ccs: readonly ConfChangeSingle[]): string | null {
    for (const cc of ccs) {
      // A change with node 0 was neutralized by the application: skip it (as etcd).
      if (cc.nodeId === 0) continue;
      switch (cc.type) {
        case 'add-node':
          this.makeVoter(d, cc.nodeId);
          break;
        case 'add-learner-node':
          this.makeLearner(d, cc.nodeId);
          break;
        case 'remove-node':
          remove(d, cc.nodeId);
          break;
        case 'update-node':
          break;
        default:
          return unreachable(cc.type, 'conf change type');
      }
    }
    return d.incoming.size === 0 ? 'removed all voters' : null;
  }

  private makeVoter(d: Draft, id: NodeId): void {
    const pr = d.progress.get(id);
    if (pr === undefined) {
      this.initProgress(d, id, false);
      return;
    }
    pr.isLearner = false;
    d.learners.delete(id);
    d.learnersNext.delete(id);
    d.incoming.add(id);
  }

  /**
   * Makes id a learner; if it is still a voter of the outgoing half, it is staged in learnersNext
   * instead, so no peer is ever both voter and learner.
   */
  private makeLearner(d: Draft, id: NodeId): void {
    const pr = d.progress.get(id);
    if (pr === undefined) {
      this.initProgress(d, id, true);
      return;
    }
    if (pr.isLearner) return;
    remove(d, id);
    // ...but keep its progress.
    d.progress.set(id, pr);
    if (d.outgoing.has(id)) {
      d.learnersNext.add(id);
    } else {
      pr.isLearner = true;
      d.learners.add(id);
    }
  }

  private initProgress(d: Draft, id: NodeId, isLearner: boolean): void {
    if (isLearner) d.learners.add(id);
    else d.incoming.add(id);
    d.progress.set(
      id,
      new Progress({
        // Probed from the last index: optimistic, the follower may need a snapshot.
        match: 0 as LogIndex,
        next: Math.max(this.lastIndex, 1) as LogIndex,
        inflights: new Inflights(this.base.maxInflight, this.base.maxInflightBytes),
        isLearner,
        // A new peer counts as active, so CheckQuorum does not depose the leader before it speaks.
        recentActive: true,
      }),
    );
  }

  private checkAndCopy(): Draft | string {
    const c = this.base.config;
    const progress: ProgressMap = new Map();
    for (const [id, pr] of this.base.progress) progress.set(id, pr.clone());
    const d: Draft = {
      incoming: new Set(c.voters.incoming),
      outgoing: new Set(c.voters.outgoing),
      autoLeave: c.autoLeave,
      learners: new Set(c.learners),
      learnersNext: new Set(c.learnersNext),
      progress,
    };
    return checkInvariants(d) ?? d;
  }
}

function remove(d: Draft, id: NodeId): void {
  if (!d.progress.has(id)) return;
  d.incoming.delete(id);
  d.learners.delete(id);
  d.learnersNext.delete(id);
  // A voter of the outgoing half keeps its progress until the joint config is left.
  if (!d.outgoing.has(id)) d.progress.delete(id);
}

/** The consistency of a configuration with its progress map; null when consistent. */
function checkInvariants(d: Draft): string | null {
  for (const id of [...d.incoming, ...d.outgoing, ...d.learners, ...d.learnersNext]) {
    if (!d.progress.has(id)) return `no progress for ${id}`;
  }
  for (const id of d.learnersNext) {
    if (!d.outgoing.has(id)) return `${id} is in LearnersNext, but not Voters[1]`;
    if ((d.progress.get(id) as Progress).isLearner) return `${id} is in LearnersNext, but is already marked as learner`;
  }
  for (const id of d.learners) {
    if (d.outgoing.has(id)) return `${id} is in Learners and Voters[1]`;
    if (d.incoming.has(id)) return `${id} is in Learners and Voters[0]`;
    if (!(d.progress.get(id) as Progress).isLearner) return `${id} is in Learners, but is not marked as learner`;
  }
  if (d.outgoing.size === 0) {
    if (d.learnersNext.size > 0) return 'LearnersNext must be empty when not joint';
    if (d.autoLeave) return 'AutoLeave must be false when not joint';
  }
  return null;
}

function checkAndReturn(d: Draft): ChangeResult {
  const e = checkInvariants(d);
  if (e !== null) return fail(e);
  const config: TrackerConfig = {
    voters: { incoming: d.incoming, outgoing: d.outgoing },
    autoLeave: d.autoLeave,
    learners: d.learners,
    learnersNext: d.learnersNext,
  };
  return { ok: true, config, progress: d.progress };
}

/** Size of the symmetric difference of two sets. */
function symdiff(l: ReadonlySet<NodeId>, r: ReadonlySet<NodeId>): number {
  let n = 0;
  for (const id of l) if (!r.has(id)) n++;
  for (const id of r) if (!l.has(id)) n++;
  return n;
}

/**
 * Rebuilds the configuration a ConfState describes, starting from an empty one: the outgoing
 * voters are added one at a time, then the joint config is entered with the incoming side's
 * changes (or, when not joint, every change is applied one at a time).
 */
export function restoreConfState(base: Omit<ChangerBase, 'config' | 'progress'>, lastIndex: LogIndex, cs: ConfState): ChangeResult {
  const outgoing: ConfChangeSingle[] = cs.votersOutgoing.map((id) => ({ type: 'add-node', nodeId: id }));
  const incoming: ConfChangeSingle[] = [
    // Turn the outgoing voters into the incoming config's starting point, then rebuild it.
    ...cs.votersOutgoing.map((id): ConfChangeSingle => ({ type: 'remove-node', nodeId: id })),
    ...cs.voters.map((id): ConfChangeSingle => ({ type: 'add-node', nodeId: id })),
    ...cs.learners.map((id): ConfChangeSingle => ({ type: 'add-learner-node', nodeId: id })),
    ...cs.learnersNext.map((id): ConfChangeSingle => ({ type: 'add-learner-node', nodeId: id })),
  ];
  let cur: ChangerBase & { readonly progress: ProgressMap } = { ...base, config: EMPTY_TRACKER_CONFIG, progress: new Map() };
  const ops: ((c: Changer) => ChangeResult)[] =
    outgoing.length === 0
      ? incoming.map((cc) => (c: Changer) => c.simple([cc]))
      : [...outgoing.map((cc) => (c: Changer) => c.simple([cc])), (c: Changer) => c.enterJoint(cs.autoLeave, incoming)];
  for (const op of ops) {
    const r = op(new Changer(cur, lastIndex));
    if (!r.ok) return r;
    cur = { ...cur, config: r.config, progress: r.progress };
  }
  return { ok: true, config: cur.config, progress: cur.progress };
}
