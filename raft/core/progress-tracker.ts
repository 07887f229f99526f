/**
 * The active configuration and the leader's per-peer progress (etcd's `tracker.ProgressTracker`),
 * plus the votes of the current election.
 */
import { assert } from '../../sim/assert.js';
import type { Progress } from './progress.js';
import type { AckedIndexer, JointConfig, VoteResult } from './quorum.js';
import { jointCommittedIndex, jointIds, jointVoteResult, describeJoint } from './quorum.js';
import type { ConfState, LogIndex, NodeId } from './types.js';
import { EMPTY_CONF_STATE } from './types.js';

/** The membership in force (etcd's `tracker.Config`). */
export interface TrackerConfig {
  readonly voters: JointConfig;
  /** Leave the joint configuration automatically once it is applied. */
  readonly autoLeave: boolean;
  /** Learners: receive the log, never vote or count for commit. Disjoint from voters. */
  readonly learners: ReadonlySet<NodeId>;
  /** Outgoing voters to become learners when the joint configuration is left. */
  readonly learnersNext: ReadonlySet<NodeId>;
}

export const EMPTY_TRACKER_CONFIG: TrackerConfig = {
  voters: { incoming: new Set(), outgoing: new Set() },
  autoLeave: false,
  learners: new Set(),
  learnersNext: new Set(),
};

export type ProgressMap = Map<NodeId, Progress>;

function sorted(ids: Iterable<NodeId>): NodeId[] {
  return [...ids].sort((a, b) => a - b);
}

export function configToConfState(c: TrackerConfig): ConfState {
  return {
    voters: sorted(c.voters.incoming),
    votersOutgoing: sorted(c.voters.outgoing),
    learners: sorted(c.learners),
    learnersNext: sorted(c.learnersNext),
    autoLeave: c.autoLeave,
  };
}

/** `voters=(1 2 3)&&(1 2) learners=(4) learners_next=(3) autoleave`, as etcd prints it. */
export function describeTrackerConfig(c: TrackerConfig): string {
  let s = `voters=${describeJoint(c.voters)}`;
  if (c.learners.size > 0) s += ` learners=(${sorted(c.learners).join(' ')})`;
  if (c.learnersNext.size > 0) s += ` learners_next=(${sorted(c.learnersNext).join(' ')})`;
  if (c.autoLeave) s += ' autoleave';
  return s;
}

export class ProgressTracker {
  config: TrackerConfig = EMPTY_TRACKER_CONFIG;
  /**
   * Replaced as a whole on a configuration change (confchange builds a new map), never edited in
   * place — hence read-only here, which lets `visit` keep its sorted ids until the next one.
   */
  progress: ReadonlyMap<NodeId, Progress> = new Map();
  private sortedFor: ReadonlyMap<NodeId, Progress> | null = null;
  private sortedIds: readonly NodeId[] = [];
  /** confState() of `confStateFor`: the config is replaced as a whole, never edited in place. */
  private confStateFor: TrackerConfig | null = null;
  private confStateOfConfig: ConfState = EMPTY_CONF_STATE;
  /** The acknowledged index of a voter, for the quorum functions (one closure, not one per call). */
  private readonly matchOf: AckedIndexer = (id) => this.progress.get(id)?.match;
  votes = new Map<NodeId, boolean>();
  readonly maxInflight: number;
  readonly maxInflightBytes: number;

  constructor(maxInflight: number, maxInflightBytes: number) {
    this.maxInflight = maxInflight;
    this.maxInflightBytes = maxInflightBytes;
  }

  /**
   * The configuration as a ConfState. Asked for on every status() (the node layer's and kv
   * server's), so it is built once per configuration and shared, read-only by its type (not
   * frozen: V8 takes slow paths on frozen arrays).
   */
  confState(): ConfState {
    if (this.confStateFor !== this.config) {
      this.confStateOfConfig = configToConfState(this.config);
      this.confStateFor = this.config;
    }
    return this.confStateOfConfig;
  }

  /** A single voter and no joint config: that voter decides alone. */
  isSingleton(): boolean {
    return this.config.voters.incoming.size === 1 && this.config.voters.outgoing.size === 0;
  }

  /** The largest index acknowledged (matched) by a quorum of voters. */
  committed(): LogIndex {
    return jointCommittedIndex(this.config.voters, this.matchOf);
  }

  /** Calls fn on every tracked peer in increasing id order (deterministic message order). */
  visit(fn: (id: NodeId, pr: Progress) => void): void {
    for (const id of this.ids()) fn(id, this.progress.get(id) as Progress);
  }

  /**
   * The tracked ids in increasing order (the order of `visit`), for the broadcasts, which need
   * no callback. Valid until the progress map is replaced.
   */
  ids(): readonly NodeId[] {
    if (this.sortedFor !== this.progress) {
      this.sortedIds = sorted(this.progress.keys());
      this.sortedFor = this.progress;
    }
    assert(this.sortedIds.length === this.progress.size, 'tracker: progress edited in place');
    return this.sortedIds;
  }

  /** Did a quorum of voters talk to the leader in the last interval? */
  quorumActive(): boolean {
    const votes = new Map<NodeId, boolean>();
    this.visit((id, pr) => {
      if (!pr.isLearner) votes.set(id, pr.recentActive);
    });
    return jointVoteResult(this.config.voters, votes) === 'won';
  }

  voterNodes(): NodeId[] {
    return sorted(jointIds(this.config.voters));
  }

  learnerNodes(): NodeId[] {
    return sorted(this.config.learners);
  }

  isVoter(id: NodeId): boolean {
    return this.config.voters.incoming.has(id) || this.config.voters.outgoing.has(id);
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  /** Records a vote; the first answer of a peer in an election counts, later ones are ignored. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      const v = this.votes.get(id);
      if (v === undefined) continue;
      if (v) granted++;
      else rejected++;
    }
    const result = jointVoteResult(this.config.voters, this.votes);
    assert(granted + rejected <= this.progress.size, 'tracker: more votes than peers');
    return { granted, rejected, result };
  }
}
