/**
 * The bug zoo: known etcd / etcd-raft bugs that raftsim can turn back on, one by one.
 *
 * Each switch puts back etcd's behaviour *before* its fix, in the code path etcd had it (a comment
 * at the switch names the issue and the fix). A scenario turns switches on with `bugs: [...]` (or
 * `--set bugs=[...]`); they flow as plain options into the layer that holds the code — raft
 * core `Config.bugs`, the raft node's `bugs`, the kv server's `bugs` (which hands the store, the
 * watch hub and the lessor their own) — never through global state. `bugsForLayers` is that split.
 *
 * The catalogue also lists the bugs of the reference catalogue that this design cannot hold, each
 * with the reason (`raftsim bugs` prints both).
 */
import { RAFT_CORE_BUGS, type RaftCoreBug } from '../raft/core/config.js';
import { RAFT_NODE_BUGS, type RaftNodeBug } from '../raft/node/node.js';
import { KV_BUGS, type KvBug } from '../kv/server/options.js';

export type BugLayer = 'raft/core' | 'raft/node' | 'kv/mvcc' | 'kv/watch' | 'kv/lease' | 'kv/server' | 'kv/client' | 'kv/backend';

/** A check of the run record (record/run-record.ts `Checks`), or `run`: the run itself panics. */
export type BugCheck = 'invariants' | 'linearizable' | 'serializable' | 'watch' | 'liveness' | 'run';

export interface BugLink {
  readonly label: string;
  readonly url: string;
}

export interface SwitchableBug {
  readonly id: string;
  readonly title: string;
  /** What goes wrong, in one line. */
  readonly breaks: string;
  readonly layer: BugLayer;
  readonly links: readonly BugLink[];
  /** The change that fixed it upstream (a pull request; `open` when there is none yet). */
  readonly fix: string;
  /** Checks expected to catch it (the first is the usual one). */
  readonly checks: readonly BugCheck[];
  /** Whether the generic swarm can draw what it takes (cluster shape, fault, workload). */
  readonly swarmReachable: boolean;
  /** Why (not) reachable, or what the swarm must draw. */
  readonly reach: string;
  /** The scenario settings the switch maps to besides the layer's list (the two older switches). */
  readonly alsoSets?: string;
}

export interface UnholdableBug {
  readonly id: string;
  readonly title: string;
  readonly links: readonly BugLink[];
  /** Why the switch cannot exist in this design. */
  readonly why: string;
}

const etcd = (n: number): BugLink => ({ label: `etcd #${n}`, url: `https://github.com/etcd-io/etcd/issues/${n}` });
const etcdPr = (n: number): BugLink => ({ label: `etcd PR #${n}`, url: `https://github.com/etcd-io/etcd/pull/${n}` });
const raftPr = (n: number): BugLink => ({ label: `etcd-io/raft PR #${n}`, url: `https://github.com/etcd-io/raft/pull/${n}` });

export const SWITCHABLE_BUGS: readonly SwitchableBug[] = [
  {
    id: 'etcd-8243',
    title: 'Node with smaller term can get stuck in election when PreVote is true',
    breaks: 'a rejoining member behind in term never learns the term: no leader is elected',
    layer: 'raft/core',
    links: [etcd(8243), etcdPr(8288)],
    fix: 'etcd PR #8288 (a lower-term MsgPreVote is answered with a rejection carrying the term)',
    checks: ['liveness'],
    swarmReachable: true,
    reach: 'PreVote on, partitions and crashes so that terms diverge',
  },
  {
    id: 'etcd-9586',
    title: 'Pre-candidate keeps its leader and refuses pre-votes as "in lease" (PreVote + CheckQuorum)',
    breaks: 'after the leader is isolated the followers refuse each other\'s pre-votes: no leader',
    layer: 'raft/core',
    links: [etcd(9586), etcdPr(8334)],
    fix: 'etcd PR #8334 (becomePreCandidate forgets the leader)',
    checks: ['liveness'],
    swarmReachable: true,
    reach: 'PreVote and CheckQuorum on, an isolated leader',
  },
  {
    id: 'etcd-11038',
    title: 'Removed leader keeps leading (StepDownOnRemoval off)',
    breaks: 'the leader applies its own removal and stays leader; the group stops taking writes',
    layer: 'raft/core',
    links: [etcd(11038), raftPr(77), raftPr(79), raftPr(83)],
    fix: 'etcd-io/raft PR #79 (opt-in Config.StepDownOnRemoval; raftsim\'s cluster.stepDownOnRemoval, on unless set false)',
    checks: ['liveness'],
    swarmReachable: true,
    reach: 'membership changes that remove the current leader',
    alsoSets: 'raft Config.stepDownOnRemoval = false',
  },
  {
    id: 'etcd-14370',
    title: 'Durability API guarantee broken in single node cluster',
    breaks: 'a lone member acknowledges a write before its WAL fsync; a crash loses it',
    layer: 'raft/core',
    links: [etcd(14370), etcdPr(14413), etcdPr(14400)],
    fix: 'etcd PR #14413 (raft: a lone leader commits only what it persisted)',
    checks: ['linearizable'],
    swarmReachable: true,
    reach: 'one-member clusters with crashes at raftBeforeSave (or any crash during the WAL write)',
  },
  {
    id: 'etcd-10219',
    title: 'Corrupted WAL and snapshot restoring process (tocommit out of range after restart)',
    breaks: 'old WAL released after a snapshot before its hard state is fsynced; the restart panics',
    layer: 'raft/node',
    links: [etcd(10219), etcdPr(10356), etcdPr(11888)],
    fix: 'etcd PR #11888 (rebase of #10356: fsync the hard state before the release)',
    checks: ['run', 'invariants', 'liveness'],
    swarmReachable: true,
    reach: 'a follower behind by a snapshot, then a crash before its next fsync',
  },
  {
    id: 'etcd-15271',
    title: 'Watch response traveling back in time when reconnecting member downloads snapshot from the leader',
    breaks: 'a watcher on the restored member gets revisions it already had',
    layer: 'kv/watch',
    links: [etcd(15271), etcdPr(15439), etcdPr(15515)],
    fix: 'etcd PR #15515 (a synced watcher\'s minRev moves with the events it is sent)',
    checks: ['watch'],
    swarmReachable: true,
    reach: 'watchers on a member that falls behind by a snapshot',
  },
  {
    id: 'etcd-8411',
    title: 'Rejoined member does not send watch events after a snapshot restore',
    breaks: 'watchers on the restored member miss every revision the snapshot brought',
    layer: 'kv/watch',
    links: [etcd(8411), etcdPr(8427)],
    fix: 'etcd PR #8427 (watchableStore.Restore moves synced watchers to unsynced)',
    checks: ['watch'],
    swarmReachable: true,
    reach: 'watchers on a member that falls behind by a snapshot',
  },
  {
    id: 'etcd-15220',
    title: 'Requested watcher progress notifications are not synchronised with stream',
    breaks: 'a progress notification at R arrives before events ≤ R of a catching-up watcher',
    layer: 'kv/watch',
    links: [etcd(15220), etcdPr(15237)],
    fix: 'etcd PR #15237 (answer a progress request only when every watcher is synced)',
    checks: ['watch'],
    swarmReachable: true,
    reach: 'watchers that request progress while catching up',
  },
  {
    id: 'etcd-13766',
    title: 'Inconsistent revision and data occurs (consistent index committed before the entry\'s changes)',
    breaks: 'a member that crashes after a backend commit holding the new consistent index but not its entry skips that entry at restart: HashKV diverges',
    layer: 'kv/backend',
    links: [etcd(13766), etcdPr(13844), etcdPr(13854)],
    fix: 'etcd PR #13844 / #13854 (set the consistent index inside the apply, under the batch transaction\'s lock)',
    checks: ['invariants'],
    swarmReachable: false,
    reach: 'needs server.backend: true (off in the swarm\'s draws: run `fuzz swarm --set server.backend=true`) and a crash soon after a periodic backend commit; kv/backend/member-backend.test.ts shows it with the afterCommit crash point',
  },
  {
    id: 'etcd-18089',
    title: 'Watch dropping an event when compacting on delete',
    breaks: 'a watch from the compaction revision misses the DELETE at that revision',
    layer: 'kv/mvcc',
    links: [etcd(18089), etcdPr(18457), etcdPr(18474)],
    fix: 'etcd PR #18474 (keep the tombstone at the compaction revision)',
    checks: ['watch'],
    swarmReachable: true,
    reach: 'compaction with deletes and watchers that resume at the compaction revision',
  },
  {
    id: 'etcd-20221',
    title: 'Watch on future revision might receive old events or notifications',
    breaks: 'a watch from a future revision F gets a progress notification (or events) below F',
    layer: 'kv/watch',
    links: [etcd(20221), etcdPr(20229), etcdPr(20281), etcdPr(20290)],
    fix: 'etcd PR #20229 (no bookmark below the start) and PR #20281 / #20290 (restore never lowers minRev)',
    checks: ['watch'],
    swarmReachable: true,
    reach: 'watchers that start at a future revision and fail over',
  },
  {
    id: 'etcd-13675',
    title: 'LeaseRenew is not linearizable (renews without confirming leadership or waiting for apply)',
    breaks: 'a keepalive renews on a leader that lost leadership or has not applied a revoke',
    layer: 'kv/server',
    links: [etcd(13675), etcdPr(13690), etcdPr(13932)],
    fix: 'etcd PR #13690 (wait for the applied index) and PR #13932 (ensure leadership)',
    checks: ['linearizable'],
    swarmReachable: true,
    reach: 'lease clients with keepalives, a paused or isolated leader',
  },
  {
    id: 'etcd-20616',
    title: 'etcd may return success for leaseRenew request even when the lease is revoked',
    breaks: 'a keepalive on an expired lease whose revoke is on its way succeeds',
    layer: 'kv/lease',
    links: [etcdPr(20616), etcdPr(20590)],
    fix: 'etcd PR #20590 (re-check that the lease still exists during the renew)',
    checks: ['linearizable'],
    swarmReachable: true,
    reach: 'lease clients whose keepalives come late (pauses, partitions, slow disks)',
  },
  {
    id: 'etcd-17132',
    title: 'Persisting the lease using --experimental-enable-lease-checkpoint is not working as expected',
    breaks: 'lease checkpoints live in memory only: a member restored from a snapshot forgets the remaining TTLs and, once it leads, renews those leases in full',
    layer: 'kv/lease',
    links: [etcd(9888), etcd(17132), etcdPr(13508)],
    fix: 'etcd PR #13508 (persist remainingTTL with each checkpoint; always on in a 3.6 cluster)',
    checks: ['invariants'],
    swarmReachable: false,
    reach: 'lease checkpointing on (server.leaseCheckpoint), long leases nobody keeps alive, restarts from snapshots and leader changes: the lease-checkpoint built-in',
  },
  {
    id: 'etcd-18667',
    title: 'Specifying a revision for a range request in a transaction may cause data inconsistency',
    breaks: 'the proposer fails the txn Compacted, the other members apply its writes',
    layer: 'kv/server',
    links: [etcd(18667), etcdPr(20454)],
    fix: 'open upstream (repro etcd PR #20454); raftsim never strips',
    checks: ['invariants'],
    swarmReachable: true,
    reach: 'txns with a range at an old revision, and compaction',
  },
  {
    id: 'raft-105',
    title: 'Lone voter answers ReadIndex at a commit index a restart lost',
    breaks: 'a one-member cluster serves a stale linearizable read after a restart',
    layer: 'raft/core',
    links: [raftPr(105)],
    fix: 'open upstream (etcd-io/raft PR #105); raftsim\'s cluster.singletonReadIndexActuallyCommitted',
    checks: ['linearizable'],
    swarmReachable: true,
    reach: 'one-member clusters with crashes and reads',
    alsoSets: 'cluster.singletonReadIndexActuallyCommitted = false',
  },
  {
    id: 'etcd-20418',
    title: 'Stale reads caused by process pausing (a retried ReadIndex reuses its id)',
    breaks: 'a paused, deposed leader releases a linearizable read at its stale commit index',
    layer: 'kv/server',
    links: [etcd(20418), etcdPr(21399), etcdPr(21375)],
    fix: 'etcd PR #21399 (a new id per ReadIndex retry)',
    checks: ['linearizable'],
    swarmReachable: true,
    reach: 'process pauses of the leader during a ReadIndex round, reads on that member',
    alsoSets: 'server.readIndexReuseIdOnRetry = true',
  },
  {
    id: 'etcd-15247',
    title: 'All leases are revoked when the leader is stuck in handling raft Ready',
    breaks: 'an old leader stuck in fsync revokes leases kept alive on the new leader',
    layer: 'kv/server',
    links: [etcd(12528), etcd(15247), etcdPr(16822)],
    fix: 'etcd PR #16822 (ignore an old leader\'s revokes)',
    checks: ['linearizable'],
    swarmReachable: true,
    reach: 'lease clients, a disk stall on the leader longer than an election timeout',
    alsoSets: 'server.leaseRevokeIgnoresOldLeader = false',
  },
];

export const UNHOLDABLE_BUGS: readonly UnholdableBug[] = [
  { id: 'etcd-14685', title: 'Inconsistent revision caused by crash during defrag', links: [etcdPr(14685), etcdPr(14733)], why: 'not built yet: the backend (server.backend) defragments by copy + rename with its crash points, but no switch restores the pre-fix order' },
  { id: 'etcd-17780', title: 'Revision decreasing after panic during compaction', links: [etcd(17780), etcdPr(17815), etcdPr(17865)], why: 'not built yet: with server.backend compaction persists scheduled/finished revisions in batches and restart takes max(rows, scheduled) (the fix); with etcd-18089\'s tombstone kept the newest rows are never deleted, so the pre-fix path cannot show' },
  { id: 'etcd-16693', title: 'Revision decreased by 100 (compaction crash)', links: [etcd(16693)], why: 'the same persisted-compaction path as etcd #17780, which the design does not have' },
  { id: 'etcd-19179', title: 'Missing delete event on watch opened on same revision as compaction (batched compaction + crash)', links: [etcd(19179), etcdPr(19249)], why: 'not built yet: batched compaction over the backend exists (server.backend); the switch is future work; the unbatched form is etcd-18089, which is switchable' },
  { id: 'etcd-18055', title: 'Panic when two snapshots are received in a short period', links: [etcd(18055), etcd(20133), etcd(20657)], why: 'not built yet: a raft snapshot still carries the store in its data; the `.snap.db` transfer of the backend image is future work' },
  { id: 'etcd-20271', title: 'Panic from db page expected to be 5', links: [etcd(20271)], why: 'a bbolt internal; raftsim has no bbolt' },
  { id: 'etcd-14571', title: 'Enabling auth can lead to inconsistency', links: [etcd(14571), etcdPr(14648)], why: 'raftsim has no auth' },
  { id: 'etcd-17247', title: 'Duplicated watch event due to bug in TXN caching', links: [etcd(17247)], why: 'there is no txn read buffer to cache in: reads go to the one in-memory store' },
  { id: 'etcd-17529', title: 'Watch events lost on a single multiplexed stream after compaction', links: [etcd(17529), etcdPr(17612)], why: 'holdable in principle (slow prevKv watchers + compaction); not built yet — the hub cancels a watcher behind the compaction, and a switch that skips compacted events instead is future work' },
  { id: 'etcd-9888', title: 'Lease TTL resets on every leader change (checkpoints lost)', links: [etcd(9888), etcdPr(9924), etcdPr(13508)], why: 'raftsim has no lease checkpoints: its lessor behaves as etcd with checkpointing off, where the refresh on promotion is the documented behaviour, not a bug' },
  { id: 'etcd-11408', title: 'Lock: two holders after a session expires in the queue (Jepsen 2020)', links: [etcdPr(11408)], why: 'raftsim has no v3lock / concurrency API' },
  { id: 'etcd-14891', title: 'Segfault under process pauses (warnOfExpensiveReadOnlyTxnRequest)', links: [etcd(14891)], why: 'a Go nil dereference in logging; nothing of it exists in a TypeScript model' },
  { id: 'etcd-11496', title: 'Watches from revision 0 start later', links: [etcd(11496), etcdPr(11559)], why: 'documented behaviour (0 means "now"), not a bug: the model already treats 0 so' },
  { id: 'etcd-3879', title: 'Serializable reads are stale before the log catches up', links: [etcd(3879)], why: 'by design for serializable reads; the serializable check already allows it' },
  { id: 'raft-78', title: 'Leader dead but followers in lease (ForgetLeader)', links: [raftPr(78)], why: 'a latency of one election timeout, not a correctness bug: no check can fail on it' },
  { id: 'raft-138', title: 'Follower learns the commit index one round trip late', links: [{ label: 'etcd-io/raft #138', url: 'https://github.com/etcd-io/raft/issues/138' }], why: 'performance only (open upstream): no check can fail on it' },
];

export const BUG_IDS: readonly string[] = SWITCHABLE_BUGS.map((b) => b.id);

export function findBug(id: string): SwitchableBug | undefined {
  return SWITCHABLE_BUGS.find((b) => b.id === id);
}

/** Why `id` cannot be switched on (null when it can): unknown, or catalogued but not holdable. */
export function bugIdProblem(id: string): string | null {
  if (findBug(id) !== undefined) return null;
  const u = UNHOLDABLE_BUGS.find((b) => b.id === id);
  if (u !== undefined) return `${id} cannot be switched on: ${u.why}`;
  return `unknown bug ${JSON.stringify(id)} (\`raftsim bugs\` lists them: ${BUG_IDS.join(', ')})`;
}

/** The switches of a scenario, split by the layer that holds each, plus the settings two of them imply. */
export interface LayerBugs {
  readonly raftCore: readonly RaftCoreBug[];
  readonly raftNode: readonly RaftNodeBug[];
  readonly kv: readonly KvBug[];
  /** etcd-11038: raft's StepDownOnRemoval off, whatever `cluster.stepDownOnRemoval` says. */
  readonly stepDownOnRemoval: (configured: boolean) => boolean;
  /** raft-105: a lone voter's ReadIndex at its commit index (off: etcd-io/raft PR #105 not applied). */
  readonly singletonReadIndexActuallyCommitted: (configured: boolean) => boolean;
  /** etcd-20418. */
  readonly readIndexReuseIdOnRetry: (configured: boolean) => boolean;
  /** etcd-15247. */
  readonly leaseRevokeIgnoresOldLeader: (configured: boolean) => boolean;
}

export function bugsForLayers(bugs: readonly string[]): LayerBugs {
  const on = new Set(bugs);
  const pick = <B extends string>(list: readonly B[]): B[] => list.filter((b) => on.has(b));
  return {
    raftCore: pick(RAFT_CORE_BUGS),
    raftNode: pick(RAFT_NODE_BUGS),
    kv: pick(KV_BUGS),
    stepDownOnRemoval: (c) => c && !on.has('etcd-11038'),
    singletonReadIndexActuallyCommitted: (c) => c && !on.has('raft-105'),
    readIndexReuseIdOnRetry: (c) => c || on.has('etcd-20418'),
    leaseRevokeIgnoresOldLeader: (c) => c && !on.has('etcd-15247'),
  };
}

/** Every id a layer knows is in the registry, and every registry id reaches some layer (a test holds this). */
export function layerIds(): readonly string[] {
  return [...new Set<string>([...RAFT_CORE_BUGS, ...RAFT_NODE_BUGS, ...KV_BUGS, 'etcd-11038', 'raft-105', 'etcd-20418', 'etcd-15247'])];
}
