/**
 * The kv server's options, with etcd's defaults, filled in and validated once (`resolveServerOptions`).
 */
import { assert } from '../../sim/assert.js';
import type { Micros } from '../../sim/time.js';
import { LEASE_BUGS, type LeaseBug } from '../lease/lessor.js';
import { MVCC_BUGS, type MvccBug } from '../mvcc/store.js';
import { WATCH_BUGS, type WatchBug } from '../watch/watchable-store.js';
import { BACKEND_BUGS, type BackendBug } from '../backend/member-backend.js';

/**
 * Known etcd bugs of the server itself that can be switched back on (scenarios/bugs.ts):
 * - `etcd-13675`: LeaseRenew on the leader renews at once — no ReadIndex round to confirm it still
 *   leads, no wait for the apply of what is committed (before PR #13690 / PR #13932);
 * - `etcd-18667`: a member applying a txn that another member proposed strips the txn's range ops
 *   (their answers go to nobody), so only the proposer checks their revisions against the
 *   compaction: one member fails the txn Compacted, the others apply its writes (etcd #18667, open).
 */
export const SERVER_BUGS = ['etcd-13675', 'etcd-18667'] as const;
export type ServerBug = (typeof SERVER_BUGS)[number];
/** Every bug the kv layers below and in the server can switch on. */
export const KV_BUGS = [...SERVER_BUGS, ...MVCC_BUGS, ...WATCH_BUGS, ...LEASE_BUGS, ...BACKEND_BUGS] as const;
export type KvBug = ServerBug | MvccBug | WatchBug | LeaseBug | BackendBug;

/** The bugs of `all` that belong to `layer` (a layer's own list). */
export function bugsOf<B extends string>(all: readonly string[], layer: readonly B[]): B[] {
  return all.filter((b): b is B => (layer as readonly string[]).includes(b));
}

/**
 * How a member serves a read that is not marked serializable:
 * - `readindex`: etcd's linearizable read — a ReadIndex round (confirms leadership with a quorum),
 *   then wait until applied ≥ the read index, then read locally;
 * - `lease`: the same loop on a raft core in lease-based ReadIndex mode (the member's raft must run
 *   `readOnly: 'lease-based'` with checkQuorum): the leader answers from its lease, no round trip;
 * - `leader-local`: the member that believes it leads answers at once from its own state, without
 *   confirming leadership (a deposed leader serves stale data); a follower refuses (NotLeader);
 * - `serializable`: every member answers at once from its own state (may be stale).
 */
export type ReadMode = 'readindex' | 'lease' | 'leader-local' | 'serializable';

export const READ_MODES: readonly ReadMode[] = ['readindex', 'lease', 'leader-local', 'serializable'];

export interface ServerOptions {
  /** Carried in every response header. Default 1. */
  readonly clusterId: number;
  /** Default `readindex`. */
  readonly readMode: ReadMode;
  /** The raft election timeout in local µs (ticks × tick length). Default 1 s (etcd: 10 × 100 ms). */
  readonly electionTimeoutUs: Micros;
  /** A request not answered in this long fails Timeout (indefinite). Default 5 s + 2 × election timeout. */
  readonly requestTimeoutUs: Micros;
  /** A ReadIndex round not answered in this long is sent again with a new id. Default 500 ms. */
  readonly readIndexRetryUs: Micros;
  /**
   * etcd #20418 as an option: re-send a round's ReadIndex with the *same* request id, as etcd did
   * before PR #21399. A deposed leader that re-adds an id it already answered counts heartbeat
   * acknowledgements of the first round still on their way, and may release reads queued before it
   * at its stale commit index. Default false (etcd's fix).
   */
  readonly readIndexReuseIdOnRetry: boolean;
  /**
   * etcd PR #16822 ("Ignore old leader's leases revoking request"): before proposing revokes of
   * expired leases, the lessor asks raft itself whether this member still leads at its term. False
   * gives etcd before the fix (#12528, #15247): a leader whose Ready loop is blocked (a stalled
   * fsync) still believes it leads, and its revokes — forwarded by its raft, which has already
   * followed the new leader — commit, revoking leases kept alive on the new leader. Default true.
   */
  readonly leaseRevokeIgnoresOldLeader: boolean;
  /** Writes are refused (TooManyRequests) while committed − applied exceeds this. Default 5000. */
  readonly maxCommittedGap: number;
  /** Largest encoded request (the bytes of the raft entry). Default 1.5 MiB. */
  readonly maxRequestBytes: number;
  /** Most ops per txn branch. Default 128. */
  readonly maxTxnOps: number;
  /** Backend size quota; negative disables it. Default 2 GiB. */
  readonly quotaBackendBytes: number;
  /**
   * etcd's apply-level quota check applies an over-quota Put/Txn/LeaseGrant *and then* answers
   * NoSpace (apply/quota.go). True reproduces that (the answer then lies: NoSpace is classified
   * definite but the write happened). Default false: the write is answered as the success it was.
   */
  readonly noSpaceAfterApply: boolean;
  /**
   * A lease call forwarded to the leader (keepalive, TTL) not answered in this long is sent again,
   * to whoever leads then: the peer transport's read timeout (etcd rafthttp ConnReadTimeout). The
   * request timeout still bounds the whole call. Default 5 s.
   */
  readonly leaseForwardTimeoutUs: Micros;
  /** Lease calls on the leader wait at most this long for the apply of what is committed (etcd applyTimeout). Default 1 s. */
  readonly applyWaitTimeoutUs: Micros;
  /** Proposals and reads waiting on this member at once; more are refused (TooManyRequests). Default 10,000. */
  readonly maxPendingRequests: number;
  /** How often the leader's lessor looks for expired leases (etcd's revoke loop). Default 500 ms. */
  readonly leaseCheckIntervalUs: Micros;
  /** Most expiry revokes proposed per second (etcd's leaseRevokeRate). Default 1000. */
  readonly leaseRevokeRatePerS: number;
  /** How often watchers are resynced (etcd's watchResyncPeriod). Default 100 ms. */
  readonly watchSyncIntervalUs: Micros;
  /** Progress notifications for watchers that asked (etcd: 10 min). Default 10 min. */
  readonly watchProgressIntervalUs: Micros;
  /** Applied writes kept for the checkers (the oldest are dropped, traced). Default 1,000,000. */
  readonly appliedWritesMax: number;
  /**
   * etcd --strict-reconfig-check: refuse a membership change that would leave fewer started voters
   * than a quorum (ErrMemberNotEnoughStarted), or that this member's connections say would break
   * the active quorum (ErrUnhealthy). Default true (etcd's default).
   */
  readonly strictReconfigCheck: boolean;
  /**
   * Lease checkpointing (etcd --experimental-enable-lease-checkpoint / feature gate LeaseCheckpoint):
   * the leader records each long lease's remaining TTL in the log every `leaseCheckpointIntervalUs`,
   * so a new leader does not renew it in full (etcd #9888). Default false (etcd's default).
   */
  readonly leaseCheckpoint: boolean;
  /** etcd --experimental-lease-checkpoint-interval. Default 5 min. */
  readonly leaseCheckpointIntervalUs: Micros;
  /** Remaining TTLs persist in the backend image (PR #13508; always on a 3.6 cluster). Default true; the etcd-17132 switch turns it off. */
  readonly leaseCheckpointPersist: boolean;
  /**
   * etcd's PriorityRequest feature gate: a client LeaseRevoke is still accepted while the apply gap
   * is up to twice `maxCommittedGap` (expiring leases free the cluster). Default false (etcd's default).
   */
  readonly priorityRequest: boolean;
  /** etcd --max-learners: most learners at once (ErrTooManyLearners at apply). Default 1. */
  readonly maxLearners: number;
  /** A peer counts as connected for the reconfiguration checks once its stream has been up this long (etcd HealthInterval). Default 5 s. */
  readonly healthIntervalUs: Micros;
  /** Known etcd bugs switched back on, the server's own and its stores' (KV_BUGS). Default none. */
  readonly bugs: readonly KvBug[];
  /**
   * Keep the state in a backend file on the member's disk (kv/backend: etcd's bbolt, batched
   * commits, the consistent index), and restart from it plus the WAL entries after its consistent
   * index. False: the state lives in memory and a restart re-applies everything after the
   * snapshot. Default false. Needs the member's disk (MemberEnv.disks).
   */
  readonly backend: boolean;
  /** The backend's commit interval (etcd --backend-batch-interval). Default 100 ms. */
  readonly backendBatchIntervalUs: Micros;
  /** Operations after which the backend commits (etcd --backend-batch-limit). Default 10,000. */
  readonly backendBatchLimit: number;
  /** Rows a compaction deletes per batch (etcd --experimental-compaction-batch-limit). Default 1,000. */
  readonly compactionBatchLimit: number;
  /** Pause between compaction batches (etcd --experimental-compaction-sleep-interval). Default 10 ms. */
  readonly compactionSleepIntervalUs: Micros;
}

export const SERVER_DEFAULTS: Omit<ServerOptions, 'requestTimeoutUs'> = {
  clusterId: 1,
  readMode: 'readindex',
  electionTimeoutUs: 1_000_000,
  readIndexRetryUs: 500_000,
  readIndexReuseIdOnRetry: false,
  leaseRevokeIgnoresOldLeader: true,
  maxCommittedGap: 5000,
  maxRequestBytes: 1.5 * 1024 * 1024,
  maxTxnOps: 128,
  quotaBackendBytes: 2 * 1024 * 1024 * 1024,
  noSpaceAfterApply: false,
  leaseForwardTimeoutUs: 5_000_000,
  applyWaitTimeoutUs: 1_000_000,
  maxPendingRequests: 10_000,
  leaseCheckIntervalUs: 500_000,
  leaseRevokeRatePerS: 1000,
  watchSyncIntervalUs: 100_000,
  watchProgressIntervalUs: 600_000_000,
  appliedWritesMax: 1_000_000,
  strictReconfigCheck: true,
  leaseCheckpoint: false,
  leaseCheckpointIntervalUs: 300_000_000,
  leaseCheckpointPersist: true,
  priorityRequest: false,
  maxLearners: 1,
  healthIntervalUs: 5_000_000,
  bugs: [],
  backend: false,
  backendBatchIntervalUs: 100_000,
  backendBatchLimit: 10_000,
  compactionBatchLimit: 1_000,
  compactionSleepIntervalUs: 10_000,
};

/** Fills defaults (the request timeout follows the election timeout, as etcd's ReqTimeout) and validates. */
export function resolveServerOptions(partial: Partial<ServerOptions> = {}): ServerOptions {
  const base = { ...SERVER_DEFAULTS, ...partial };
  const o: ServerOptions = { ...base, requestTimeoutUs: partial.requestTimeoutUs ?? 5_000_000 + 2 * base.electionTimeoutUs };
  const posInt = (x: number): boolean => Number.isSafeInteger(x) && x > 0;
  const check = (cond: boolean, field: keyof ServerOptions, what: string): void =>
    assert(cond, () => `kv server options: ${field} must be ${what}, got ${JSON.stringify(o[field])}`);
  check(posInt(o.clusterId), 'clusterId', 'a positive integer');
  check((READ_MODES as readonly string[]).includes(o.readMode), 'readMode', READ_MODES.join(' | '));
  for (const f of ['electionTimeoutUs', 'requestTimeoutUs', 'readIndexRetryUs', 'leaseCheckIntervalUs', 'watchSyncIntervalUs', 'watchProgressIntervalUs', 'leaseForwardTimeoutUs', 'applyWaitTimeoutUs', 'healthIntervalUs', 'leaseCheckpointIntervalUs'] as const) {
    check(posInt(o[f]), f, 'a positive integer (µs)');
  }
  for (const f of ['backendBatchIntervalUs', 'compactionSleepIntervalUs'] as const) check(posInt(o[f]), f, 'a positive integer (µs)');
  check(typeof o.backend === 'boolean', 'backend', 'a boolean');
  for (const f of ['maxCommittedGap', 'maxRequestBytes', 'maxTxnOps', 'maxPendingRequests', 'leaseRevokeRatePerS', 'appliedWritesMax', 'backendBatchLimit', 'compactionBatchLimit'] as const) {
    check(posInt(o[f]), f, 'a positive integer');
  }
  check(typeof o.readIndexReuseIdOnRetry === 'boolean', 'readIndexReuseIdOnRetry', 'a boolean');
  check(typeof o.leaseRevokeIgnoresOldLeader === 'boolean', 'leaseRevokeIgnoresOldLeader', 'a boolean');
  check(Array.isArray(o.bugs) && o.bugs.every((b) => (KV_BUGS as readonly string[]).includes(b)), 'bugs', `a list of ${KV_BUGS.join(', ')}`);
  check(typeof o.strictReconfigCheck === 'boolean', 'strictReconfigCheck', 'a boolean');
  for (const f of ['leaseCheckpoint', 'leaseCheckpointPersist', 'priorityRequest'] as const) check(typeof o[f] === 'boolean', f, 'a boolean');
  check(Number.isSafeInteger(o.maxLearners) && o.maxLearners >= 0, 'maxLearners', 'an integer ≥ 0');
  check(typeof o.noSpaceAfterApply === 'boolean', 'noSpaceAfterApply', 'a boolean');
  check(Number.isSafeInteger(o.quotaBackendBytes) && o.quotaBackendBytes !== 0, 'quotaBackendBytes', 'a non-zero integer (negative disables)');
  return o;
}

/** etcd's minimum lease TTL: 1.5 election timeouts, rounded up to whole seconds. */
export function minLeaseTtlS(o: ServerOptions): number {
  return Math.ceil((1.5 * o.electionTimeoutUs) / 1_000_000);
}
