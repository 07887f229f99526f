/**
 * The options of a raft node, validated once at construction with a precise message (etcd's
 * `Config.validate`). Defaults are filled in one place, `resolveConfig`.
 */
import { assert } from '../../sim/assert.js';
import type { Random } from '../../sim/random.js';
import type { RaftEvent } from './events.js';
import type { Storage } from './storage.js';
import type { LogIndex, NodeId } from './types.js';

/**
 * Known etcd-raft bugs the core can switch back on, one by one, each exactly as upstream had it
 * before its fix (scenarios/bugs.ts names the issue, the fix and the check that should catch it):
 * - `etcd-8243`: a MsgPreVote of a lower term is dropped instead of answered (fixed in etcd PR #8288);
 * - `etcd-9586`: a pre-candidate keeps its leader, and so refuses other pre-votes as "in lease" (fixed in etcd PR #8334);
 * - `etcd-14370`: a leader counts its own entries as matched when it appends them, before they are
 *   durable, so a lone voter commits what it has not persisted (fixed in etcd PR #14413).
 * Empty by default: no bug.
 */
export const RAFT_CORE_BUGS = ['etcd-8243', 'etcd-9586', 'etcd-14370'] as const;
export type RaftCoreBug = (typeof RAFT_CORE_BUGS)[number];

/** How ReadIndex confirms leadership (etcd's ReadOnlyOption). */
export type ReadOnlyOption = 'safe' | 'lease-based';

export interface Config {
  /** This node's id; never 0. */
  readonly id: NodeId;
  /**
   * Ticks without hearing from a leader before a follower campaigns. The actual timeout is drawn
   * from [electionTick, 2·electionTick − 1] on every reset. Must be > heartbeatTick.
   */
  readonly electionTick: number;
  /** Ticks between a leader's heartbeats. Must be > 0. */
  readonly heartbeatTick: number;
  /** Persisted log, hard state and snapshot; read at start (restart) and as the log is needed. */
  readonly storage: Storage;
  /**
   * The stream the randomized election timeout is drawn from; the node layer passes
   * `root.fork('raft/n<ID>/election')`. The core has no other source of randomness.
   */
  readonly random: Random;
  /** On restart, the last index the application applied; entries up to it are not handed out again. */
  readonly applied?: LogIndex;
  /**
   * Bootstrap only: the initial voters of a brand-new group whose storage is empty (etcd's
   * `StartNode(c, peers)`). They are written as conf-change entries 1..n at term 1, committed.
   * Leave unset on restart, or when the storage was bootstrapped with a snapshot.
   */
  readonly peers?: readonly NodeId[];
  /** Max encoded bytes of entries in one MsgApp; 0 = one entry per message. Default: unlimited. */
  readonly maxSizePerMsgBytes?: number;
  /** Max encoded bytes of committed entries handed out and not yet applied. Default: maxSizePerMsgBytes. */
  readonly maxCommittedSizePerReadyBytes?: number;
  /** Max payload bytes of the leader's uncommitted tail; proposals beyond are dropped. 0 = unlimited (default). */
  readonly maxUncommittedEntriesSizeBytes?: number;
  /** Max MsgApp in flight to one follower in the replicate state. Must be > 0. Default 256. */
  readonly maxInflightMsgs?: number;
  /** Max payload bytes in flight to one follower. 0 = unlimited (default); else ≥ maxSizePerMsgBytes. */
  readonly maxInflightBytes?: number;
  /** Leader steps down when a quorum was not active in an election timeout; followers ignore votes inside the lease. */
  readonly checkQuorum?: boolean;
  /** Pre-vote phase before a real election (Raft thesis §9.6). */
  readonly preVote?: boolean;
  /** Default 'safe'. 'lease-based' requires checkQuorum. */
  readonly readOnly?: ReadOnlyOption;
  /**
   * A lone voter answers ReadIndex at the highest index it knows to be committed — max(commit
   * index, the quorum's match, which for one voter is its own durable log) — instead of its commit
   * index alone (etcd-io/raft pull request #105, open upstream). After a restart the commit index
   * can lag entries committed and acknowledged before the crash: a commit-only hard state is not
   * fsynced. Default false, as released etcd-raft.
   */
  readonly singletonReadIndexActuallyCommitted?: boolean;
  /** Followers drop proposals instead of forwarding them to the leader. */
  readonly disableProposalForwarding?: boolean;
  /** Skip the propose-time checks of conf changes (only for applications that validate above raft). */
  readonly disableConfChangeValidation?: boolean;
  /** A leader that applies its own removal (or demotion) steps down (etcd's StepDownOnRemoval). */
  readonly stepDownOnRemoval?: boolean;
  /** Known bugs switched back on (RAFT_CORE_BUGS). Default none. */
  readonly bugs?: readonly RaftCoreBug[];
  /**
   * etcd's AsyncStorageWrites: instead of the Ready/advance() handshake, each Ready carries a
   * MsgStorageAppend to LOCAL_APPEND_THREAD (hard state, entries, snapshot, and the messages to
   * deliver once they are durable) and a MsgStorageApply to LOCAL_APPLY_THREAD (committed entries);
   * the application processes each thread's messages in order, delivers their responses
   * (MsgStorageAppendResp / MsgStorageApplyResp back to the node, the rest to peers), and never
   * calls advance(). Readies may then be pipelined. Only entries durable locally are handed out to
   * apply. Default false (the synchronous Ready path, unchanged).
   */
  readonly asyncStorageWrites?: boolean;
  /**
   * Called synchronously with every notable event (role change, commit, conf change, snapshot,
   * message dropped with a reason). The core never logs; the node layer forwards these to the
   * trace. Must not call back into the node.
   */
  readonly onEvent?: (e: RaftEvent) => void;
}

/** A Config with every default filled in; what the core runs on. */
export interface ResolvedConfig {
  readonly id: NodeId;
  readonly electionTick: number;
  readonly heartbeatTick: number;
  readonly storage: Storage;
  readonly random: Random;
  readonly applied: LogIndex;
  readonly peers: readonly NodeId[];
  readonly maxSizePerMsgBytes: number;
  readonly maxCommittedSizePerReadyBytes: number;
  readonly maxUncommittedEntriesSizeBytes: number;
  readonly maxInflightMsgs: number;
  readonly maxInflightBytes: number;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly readOnly: ReadOnlyOption;
  readonly singletonReadIndexActuallyCommitted: boolean;
  readonly disableProposalForwarding: boolean;
  readonly disableConfChangeValidation: boolean;
  readonly stepDownOnRemoval: boolean;
  readonly asyncStorageWrites: boolean;
  readonly bugs: ReadonlySet<RaftCoreBug>;
  readonly onEvent: ((e: RaftEvent) => void) | null;
}

/** "No limit" for byte budgets (etcd uses math.MaxUint64). */
export const NO_LIMIT = Number.MAX_SAFE_INTEGER;

const MAX_INFLIGHT_MSGS_DEFAULT = 256;

/** Validates and fills defaults; a bad option is a broken invariant naming the field. */
export function resolveConfig(c: Config): ResolvedConfig {
  assert(Number.isSafeInteger(c.id) && c.id > 0, 'config.id: must be a positive integer (0 means "none")');
  assert(Number.isInteger(c.heartbeatTick) && c.heartbeatTick > 0, 'config.heartbeatTick: must be greater than 0');
  assert(Number.isInteger(c.electionTick) && c.electionTick > c.heartbeatTick, 'config.electionTick: must be greater than heartbeatTick');
  const maxSizePerMsgBytes = c.maxSizePerMsgBytes ?? NO_LIMIT;
  assert(maxSizePerMsgBytes >= 0, 'config.maxSizePerMsgBytes: must be ≥ 0');
  const maxInflightMsgs = c.maxInflightMsgs ?? MAX_INFLIGHT_MSGS_DEFAULT;
  assert(Number.isInteger(maxInflightMsgs) && maxInflightMsgs > 0, 'config.maxInflightMsgs: must be greater than 0');
  const maxInflightBytes = c.maxInflightBytes === undefined || c.maxInflightBytes === 0 ? NO_LIMIT : c.maxInflightBytes;
  assert(maxInflightBytes >= maxSizePerMsgBytes, 'config.maxInflightBytes: must be ≥ maxSizePerMsgBytes');
  const readOnly = c.readOnly ?? 'safe';
  const checkQuorum = c.checkQuorum ?? false;
  assert(readOnly !== 'lease-based' || checkQuorum, 'config.readOnly: lease-based reads require checkQuorum');
  const singletonReadIndexActuallyCommitted = c.singletonReadIndexActuallyCommitted ?? false;
  assert(typeof singletonReadIndexActuallyCommitted === 'boolean', 'config.singletonReadIndexActuallyCommitted: must be a boolean');
  for (const b of c.bugs ?? []) assert((RAFT_CORE_BUGS as readonly string[]).includes(b), () => `config.bugs: unknown bug ${JSON.stringify(b)}`);
  const committed = c.maxCommittedSizePerReadyBytes ?? 0;
  const uncommitted = c.maxUncommittedEntriesSizeBytes ?? 0;
  return {
    id: c.id,
    electionTick: c.electionTick,
    heartbeatTick: c.heartbeatTick,
    storage: c.storage,
    random: c.random,
    applied: c.applied ?? (0 as LogIndex),
    peers: c.peers ?? [],
    maxSizePerMsgBytes,
    // etcd: defaults to MaxSizePerMsg, because they were once the same parameter. At least one
    // byte, so that "0 = one entry per message" means one entry per Ready rather than a stall.
    maxCommittedSizePerReadyBytes: Math.max(1, committed === 0 ? maxSizePerMsgBytes : committed),
    maxUncommittedEntriesSizeBytes: uncommitted === 0 ? NO_LIMIT : uncommitted,
    maxInflightMsgs,
    maxInflightBytes,
    checkQuorum,
    preVote: c.preVote ?? false,
    readOnly,
    singletonReadIndexActuallyCommitted,
    disableProposalForwarding: c.disableProposalForwarding ?? false,
    disableConfChangeValidation: c.disableConfChangeValidation ?? false,
    stepDownOnRemoval: c.stepDownOnRemoval ?? false,
    asyncStorageWrites: c.asyncStorageWrites ?? false,
    bugs: new Set(c.bugs ?? []),
    onEvent: c.onEvent ?? null,
  };
}
