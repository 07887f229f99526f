/**
 * The scenario format: one JSON shape that users write and the built-ins use.
 *
 * A scenario file may give any subset of the fields; `resolveScenario` fills the rest from
 * `SCENARIO_DEFAULTS` (the one place defaults live — the README's table of fields is this object),
 * applies `--set path=value` overrides, and validates the result with zod. A problem comes back as
 * one line naming the source and the field path (`my.json: faults[2].at: expected number`), which
 * the CLI turns into exit 2 (scenarios/errors.ts, `UserInputError`).
 *
 * Times a person writes are **milliseconds of virtual time** (`at`, `for`, `durationMs`, …);
 * latency models keep the kernel's microsecond fields (`medianUs`), as sim/random defines them.
 *
 * Node references in faults (`NodeRef`): a member id (1..size), or `leader` (whoever leads when
 * the fault fires; nothing happens if there is none), `follower` (a follower, picked with the
 * nemesis stream), `any` (any member, picked likewise), `lock-holder` (the lock client that
 * believes it holds the lock when the fault fires: meant for `pause` and `isolate`; nothing happens
 * if none does).
 */
import { z } from 'zod';
import { READ_MODES, type ReadMode } from '../kv/server/options.js';
import { DISK_DEFAULTS } from '../sim/disk.js';
import { NETWORK_DEFAULTS } from '../sim/network.js';
import { describeValue } from '../sim/json-text.js';
import type { LatencyModel } from '../sim/random.js';

/** The largest cluster a scenario may ask for (odd sizes up to 7, as etcd recommends). */
export const CLUSTER_SIZE_MAX = 7;
/** Hosts beyond the initial members that a membership change may add. */
export const SPARES_MAX = 2;
export const CLIENTS_MAX = 64;
export const WATCHERS_MAX = 32;
/** A fault timeline longer than this is a mistake (or a generated mix gone wrong). */
export const FAULTS_MAX = 10_000;
/** The longest safety phase: an hour of virtual time. */
export const DURATION_MS_MAX = 3_600_000;

/** Any other time or duration a scenario gives (a fault's `for`, a timeout): at most a day of virtual time. */
export const TIME_MS_MAX = 86_400_000;
/** A latency model's microseconds: at most a minute per message or disk operation. */
export const LATENCY_US_MAX = 60_000_000;
/** Relative weights (an operation mix, the nemesis kinds). */
export const WEIGHT_MAX = 1_000_000;
/** Keys of the workload (a zipfian workload tabulates one probability per key). */
export const KEYS_MAX = 100_000;
/** Counts without a natural bound (snapshot intervals, entries kept, retries): a billion. */
export const COUNT_MAX = 1_000_000_000;

type MsKind = 'a time' | 'a duration';
const MS_MIN_POSITIVE = 0.001;

/**
 * A time or duration in milliseconds, with one message for every way it can be wrong:
 * `expected a time ≥ 0 in milliseconds, got -5`, `expected a duration ≤ 86400000 in milliseconds (a day), got 1e+308`.
 * `positive`: above 0, and at least 1 µs (a virtual clock counts whole microseconds).
 */
function msField(what: MsKind, o: { positive?: boolean; max?: number; maxWhy?: string } = {}) {
  const max = o.max ?? TIME_MS_MAX;
  const maxWhy = o.maxWhy ?? (max === TIME_MS_MAX ? 'a day of virtual time' : undefined);
  const error = (iss: { input?: unknown }): string => {
    const x = iss.input;
    const got = describeValue(x);
    if (typeof x === 'number' && x > max) return `expected ${what} ≤ ${max} in milliseconds${maxWhy === undefined ? '' : ` (${maxWhy})`}, got ${got}`;
    if (o.positive === true && typeof x === 'number' && x > 0) return `expected ${what} ≥ ${MS_MIN_POSITIVE} in milliseconds (1 µs), got ${got}`;
    if (x === undefined) return `missing (expected ${what} in milliseconds)`;
    return `expected ${what} ${o.positive === true ? '> 0' : '≥ 0'} in milliseconds, got ${got}`;
  };
  return z
    .number({ error })
    .min(o.positive === true ? MS_MIN_POSITIVE : 0, { error })
    .max(max, { error });
}
const ms = (what: MsKind) => msField(what);
/** A whole number in [min, max], with one message for every way it can be wrong (`expected a whole number from 1 to 7, got 9`). */
const intIn = (min: number, max: number) => {
  const error = (iss: { input?: unknown }): string =>
    iss.input === undefined ? `missing (expected a whole number from ${min} to ${max})` : `expected a whole number from ${min} to ${max}, got ${describeValue(iss.input)}`;
  return z.number({ error }).min(min, { error }).max(max, { error }).int({ error });
};
const positiveInt = (max = COUNT_MAX) => intIn(1, max);
const count = (max = COUNT_MAX) => intIn(0, max);
const ratio = () => z.number().min(0).max(1);
const weight = () => z.number().min(0).max(WEIGHT_MAX);
const latencyUs = () => intIn(0, LATENCY_US_MAX);

const latencySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fixed'), us: latencyUs() }),
  z.strictObject({ kind: z.literal('uniform'), minUs: latencyUs(), maxUs: latencyUs() }),
  z.strictObject({
    kind: z.literal('log-normal'),
    medianUs: z.number().positive().max(LATENCY_US_MAX),
    sigma: z.number().min(0).max(5),
    minUs: latencyUs(),
    maxUs: latencyUs(),
  }),
]);

export const NODE_REF_WORDS = ['leader', 'follower', 'any', 'lock-holder'] as const;
export type NodeRefWord = (typeof NODE_REF_WORDS)[number];
export type NodeRef = number | NodeRefWord;

/** Member ids are 1 … cluster.size + cluster.spares (resolve checks the scenario's own bound). */
const MEMBER_ID_MAX = CLUSTER_SIZE_MAX + SPARES_MAX;
const nodeRefError = (words: readonly string[]) => (iss: { input?: unknown }) => {
  const quoted = words.map((w) => JSON.stringify(w));
  const expected = `a member id (1 to ${MEMBER_ID_MAX})${quoted.length === 0 ? '' : `, ${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`}`;
  return iss.input === undefined ? `missing (expected ${expected})` : `expected ${expected}, got ${describeValue(iss.input)}`;
};
const memberId = z.number().min(1).max(MEMBER_ID_MAX).int();
const nodeRef = z.union([memberId, z.enum(NODE_REF_WORDS)], { error: nodeRefError(NODE_REF_WORDS) });
/** A node reference, or `all` (restart and resume). */
const nodeRefOrAll = z.union([memberId, z.enum([...NODE_REF_WORDS, 'all'])], { error: nodeRefError([...NODE_REF_WORDS, 'all']) });
/** A member id alone (add-member names a host, not a role). */
const memberIdOnly = z.number({ error: nodeRefError([]) }).int({ error: nodeRefError([]) }).min(1, { error: nodeRefError([]) }).max(MEMBER_ID_MAX, { error: nodeRefError([]) });

/** Optional: how long the fault lasts before it is undone (healed, restarted, resumed). */
const forMs = ms('a duration').optional();

export const DISK_FAULT_KINDS = ['fsync-eio', 'read-eio', 'write-enospc', 'bit-flip', 'disk-full'] as const;
export type DiskFaultKind = (typeof DISK_FAULT_KINDS)[number];

/**
 * One entry of the explicit fault timeline. `at` is when it fires (ms since the run began);
 * `for`, where allowed, undoes it after that long (heal, restart, resume, clock back).
 */
export const faultSchema = z.discriminatedUnion('type', [
  /** Cut one member off from the other members; with `clients: true` from the clients too (a machine off the network). */
  z.strictObject({ type: z.literal('isolate'), at: ms('a time'), node: nodeRef, for: forMs, clients: z.boolean().optional() }),
  /** Groups of members; one group may be "rest": every member named in no other group. */
  z.strictObject({ type: z.literal('split'), at: ms('a time'), groups: z.array(z.union([z.array(nodeRef).min(1), z.literal('rest')])).min(2), for: forMs }),
  z.strictObject({ type: z.literal('bridge'), at: ms('a time'), node: nodeRef, groups: z.tuple([z.array(nodeRef).min(1), z.array(nodeRef).min(1)]), for: forMs }),
  z.strictObject({ type: z.literal('cut-one-way'), at: ms('a time'), from: nodeRef, to: nodeRef, for: forMs }),
  z.strictObject({ type: z.literal('heal'), at: ms('a time') }),
  z.strictObject({ type: z.literal('crash'), at: ms('a time'), node: nodeRef, for: forMs }),
  z.strictObject({ type: z.literal('restart'), at: ms('a time'), node: nodeRefOrAll }),
  z.strictObject({ type: z.literal('pause'), at: ms('a time'), node: nodeRef, for: forMs }),
  z.strictObject({ type: z.literal('resume'), at: ms('a time'), node: nodeRefOrAll }),
  z.strictObject({
    type: z.literal('disk-fault'),
    at: ms('a time'),
    node: nodeRef,
    fault: z.enum(DISK_FAULT_KINDS),
    /** For fsync-eio, read-eio, write-enospc: how many operations fail. */
    count: positiveInt(1_000_000).optional(),
    /** Undo after this long: free the space (disk-full), and restart the member if the fault stopped it. */
    for: forMs,
  }),
  /**
   * The member's disk hangs for `for` ms: every fsync it issues meanwhile completes no earlier than
   * the stall's end (sim/disk's `stall`), then its own latency again. Writes and reads are not slowed.
   */
  z.strictObject({ type: z.literal('disk-stall'), at: ms('a time'), node: nodeRef, for: msField('a duration', { positive: true }) }),
  z.strictObject({
    type: z.literal('clock'),
    at: ms('a time'),
    node: nodeRef,
    /** Steps the clock (an NTP step; negative steps back). */
    jumpMs: z.number().min(-TIME_MS_MAX).max(TIME_MS_MAX).optional(),
    /** Drift from now on: local µs per virtual µs. */
    rate: z.number().min(0.01).max(10).optional(),
    for: forMs,
  }),
  z.strictObject({
    type: z.literal('crash-point'),
    at: ms('a time'),
    node: nodeRef,
    /** A crash point of raft/node (validated against its list when the scenario is resolved). */
    point: z.string().min(1).max(200),
    /** Restart the node this long after it crashed at the point. */
    for: forMs,
  }),
  z.strictObject({ type: z.literal('transfer-leader'), at: ms('a time'), to: nodeRef }),
  /** MemberAdd through the Cluster API (as a learner with `learner: true`), then the host starts empty and joins. */
  z.strictObject({ type: z.literal('add-member'), at: ms('a time'), node: memberIdOnly, learner: z.boolean().optional() }),
  /** MemberRemove through the Cluster API. */
  z.strictObject({ type: z.literal('remove-member'), at: ms('a time'), node: nodeRef }),
  /** MemberPromote through the Cluster API (refused until the learner has caught up). */
  z.strictObject({ type: z.literal('promote-member'), at: ms('a time'), node: memberIdOnly }),
  /**
   * One directed link's delay replaced by `delay` (a slow or congested path; messages stay in
   * order): the kernel's per-link override. Undone after `for`, and in the liveness phase.
   */
  z.strictObject({ type: z.literal('link-delay'), at: ms('a time'), from: nodeRef, to: nodeRef, delay: latencySchema, for: forMs }),
  z.strictObject({
    type: z.literal('network'),
    at: ms('a time'),
    lossRatio: ratio().optional(),
    duplicateRatio: ratio().optional(),
    delay: latencySchema.optional(),
    for: forMs,
  }),
]);

export const NEMESIS_KINDS = ['partition', 'one-way', 'crash', 'pause', 'disk-fault', 'clock', 'crash-point', 'transfer-leader'] as const;
export type NemesisKind = (typeof NEMESIS_KINDS)[number];

const nemesisSchema = z.strictObject({
  /** Mean gap between generated faults (exponential); 0 = no generated faults. */
  intervalMs: ms('a duration'),
  /** Mean length of a generated fault before it is undone (exponential, at least 100 ms). */
  faultMs: ms('a duration'),
  /** Generated faults start no earlier than this … */
  startMs: ms('a time'),
  /** … and end before this (null: the end of the safety phase). */
  endMs: ms('a time').nullable(),
  /** Relative weights of the kinds (0 = never). */
  kinds: z.strictObject(Object.fromEntries(NEMESIS_KINDS.map((k) => [k, weight()])) as Record<NemesisKind, z.ZodNumber>),
});

const clusterSchema = z.strictObject({
  size: intIn(1, CLUSTER_SIZE_MAX),
  /** Hosts registered (down, not members) for add-member faults. */
  spares: intIn(0, SPARES_MAX),
  preVote: z.boolean(),
  checkQuorum: z.boolean(),
  electionTick: intIn(2, 1_000),
  heartbeatTick: intIn(1, 1_000),
  /** One raft tick, in ms of the host's local clock (etcd's --heartbeat-interval): 1 ms to 10 s. */
  tickMs: z.number().min(1).max(10_000),
  /** Applied entries between two state-machine snapshots (etcd's --snapshot-count). */
  snapshotCount: positiveInt(),
  /** Entries kept in the log behind a snapshot, for slow followers. */
  snapshotCatchUpEntries: count(),
  walSegmentBytes: intIn(4096, 1 << 30),
  /** etcd's --unsafe-no-fsync: never fsync the WAL (acknowledged writes can be lost). */
  unsafeNoFsync: z.boolean(),
  maxInflightMsgs: positiveInt(1_000_000),
  /**
   * A lone voter answers ReadIndex at the highest index it knows committed, not its commit index,
   * which a restart may have lost (etcd-io/raft PR #105, open; raft's singletonReadIndexActuallyCommitted).
   */
  singletonReadIndexActuallyCommitted: z.boolean(),
  /**
   * A leader that applies its own removal steps down (raft's StepDownOnRemoval, etcd-io/raft PR
   * #79, the fix of etcd #11038). Absent = true; the bug switch etcd-11038 turns it off.
   */
  stepDownOnRemoval: z.boolean().optional(),
});

const mixSchema = z.strictObject({
  get: weight(),
  put: weight(),
  delete: weight(),
  txn: weight(),
  range: weight(),
  /** Short-lived watches on one key, opened by clients between operations. */
  watch: weight(),
});

/** Most pinned clients: their hosts (from 100 + workload.clients) stay below the watchers' (200). */
export const PINNED_CLIENTS_MAX = 16;

/**
 * A client process pinned to some members: it talks only to `endpoints` (clientv3 given those
 * endpoints alone), issues its own `mix` from `startMs` until `endMs`, one call at a time, waiting
 * `thinkMs` on average (exponential) between the end of a call and the next — 0: back to back.
 * What a schedule needs when it must put reads on one member and writes on others (etcd #20418).
 * In the history it is client `workload.clients + i`; on the network, host `100 + workload.clients + i`.
 */
const pinnedClientSchema = z.strictObject({
  /** Member ids (1..size + spares), tried in this order. */
  endpoints: z.array(memberIdOnly).min(1).max(MEMBER_ID_MAX),
  /** Relative weights, a kind left out weighs 0 (default: the workload's mix). */
  mix: mixSchema.partial().optional(),
  /** First call no earlier than this (ms since the run began; default 0). */
  startMs: ms('a time').optional(),
  /** No call begins at or after this (default: the end of the safety phase). */
  endMs: ms('a time').optional(),
  /** Mean think time between calls (default 0: back to back). */
  thinkMs: ms('a duration').optional(),
  /** This client's call deadline (default: workload.requestTimeoutMs). */
  requestTimeoutMs: msField('a duration', { positive: true }).optional(),
});

/**
 * Leases in the workload (kv/workload/lease-load.ts), off unless `clients` > 0: clients c0 … of
 * the workload grant leases (`ttlS`), attach puts to them, keep some alive, revoke some and let the
 * others expire; the runner records each expiry in the history (kv/workload/lease-expiry.ts).
 */
const leaseWorkloadSchema = z
  .strictObject({
    /** Workload clients c0 … c<clients−1> that use leases (pinned clients never do); 0 = off. */
    clients: intIn(0, CLIENTS_MAX),
    /** TTL a grant asks for (the server raises it to 1.5 election timeouts, etcd's minLeaseTTL). */
    ttlS: positiveInt(86_400),
    /** Fraction of a leased client's operations that are a grant or a revoke. */
    opShare: ratio(),
    /** Fraction of its puts attached to one of its live leases. */
    putShare: ratio(),
    /** Fraction of granted leases kept alive (every keepAliveEveryMs) until revoked or the workload ends. */
    keepAliveShare: ratio(),
    /** Fraction of granted leases the client revokes itself; the rest not kept alive expire. */
    revokeShare: ratio(),
    keepAliveEveryMs: positiveInt(TIME_MS_MAX),
    /** Most leases a client holds at once. */
    maxLive: positiveInt(1_000),
  })
  .refine((l) => l.keepAliveEveryMs < l.ttlS * 1_000, { message: 'must be below leases.ttlS (in milliseconds)', path: ['keepAliveEveryMs'] });

/** Most lock clients a scenario may run. */
export const LOCK_CLIENTS_MAX = 16;

/**
 * Lock clients (kv/workload/lock-load.ts), off unless `clients` > 0: hosts 300 … that take turns
 * holding one clientv3 Mutex and write the key `resource` twice per hold, each with a session of
 * `ttlS`. `fenced`: the writes are guarded by the holder's isOwner() (a Txn comparing its lock
 * key's create revision), so the store refuses a holder whose lease is gone.
 */
const lockWorkloadSchema = z.strictObject({
  clients: z.number().int().min(0).max(LOCK_CLIENTS_MAX),
  ttlS: positiveInt(),
  /** Time between a holder's two writes. */
  holdMs: ms('a duration'),
  /** Mean pause between an unlock and the next lock. */
  thinkMs: ms('a duration'),
  fenced: z.boolean(),
});

const workloadSchema = z.strictObject({
  clients: intIn(0, CLIENTS_MAX),
  keys: positiveInt(KEYS_MAX),
  distribution: z.enum(['uniform', 'zipfian']),
  zipfExponent: z.number().positive().max(10),
  /** Relative weights of the operations. */
  mix: mixSchema,
  /** Operations per second over all clients (each client runs one operation at a time). */
  ratePerS: z.number().min(0.001).max(1_000_000),
  /** Fraction of gets sent with serializable=true (checked by their own rule, not for linearizability). */
  serializableReadRatio: ratio(),
  /**
   * Fraction of the txns that also read their key at a past revision (1..200 revisions before the
   * newest the client saw), which compaction can make fail the whole txn (etcd #18667's shape).
   * Absent: 0.
   */
  txnPastRangeShare: ratio().optional(),
  /**
   * Watcher w tries the members starting from the (w+1)-th (1-based, wrapping) instead of member 1:
   * watchers spread over the members, so some watch a member that lags or restores a snapshot.
   * Absent: false.
   */
  watchersSpread: z.boolean().optional(),
  /** Watcher hosts, each watching the whole key space from revision 1 for the whole run. */
  watchers: intIn(0, WATCHERS_MAX),
  /** How long a `watch` operation of the mix keeps its watch open. */
  watchHoldMs: msField('a duration', { positive: true }),
  /** A client call not answered in this long ends unknown (writes) or failed (reads). */
  requestTimeoutMs: msField('a duration', { positive: true }),
  /** Compact the store to (current revision − this) every compactEveryMs; 0 = never compact. */
  compactEveryMs: ms('a duration'),
  compactKeepRevisions: count(),
  /** Clients pinned to given members, each with its own mix and time window (default none). */
  pinned: z.array(pinnedClientSchema).max(PINNED_CLIENTS_MAX),
  /** Leases granted, used, kept alive, revoked and left to expire (default off). */
  leases: leaseWorkloadSchema,
  /** Lock clients taking turns on one mutex (default off). */
  locks: lockWorkloadSchema,
}).refine((w) => w.leases.clients <= w.clients, { message: 'must be at most workload.clients', path: ['leases', 'clients'] });

const checksSchema = z.strictObject({
  invariants: z.boolean(),
  linearizable: z.boolean(),
  serializable: z.boolean(),
  watch: z.boolean(),
  liveness: z.boolean(),
});

export const scenarioSchema = z.strictObject({
  description: z.string().max(10_000),
  /** Length of the safety phase (workload and faults): at most an hour, the longest run one process holds. */
  durationMs: msField('a duration', { positive: true, max: DURATION_MS_MAX, maxWhy: 'an hour of virtual time, the longest run' }),
  cluster: clusterSchema,
  readMode: z.enum(READ_MODES as readonly ReadMode[] as [ReadMode, ...ReadMode[]]),
  network: z.strictObject({ delay: latencySchema, lossRatio: ratio(), duplicateRatio: ratio() }),
  disk: z.strictObject({
    /** Bytes each member's files may hold; null = unlimited. */
    capacityBytes: positiveInt(2 ** 40).nullable(),
    latency: z.strictObject({ read: latencySchema, write: latencySchema, fsync: latencySchema, meta: latencySchema }),
    faults: z.strictObject({ fsyncErrorRate: ratio(), readErrorRate: ratio(), bitFlipRate: ratio(), noSpaceRate: ratio(), tornWriteRate: ratio() }),
    /**
     * The disk's atomic write unit: a torn write keeps a prefix ending on a multiple of it. Absent:
     * the kernel's 512. Smaller sectors let one WAL record tear (a record is often under 512 bytes).
     */
    sectorBytes: positiveInt(1_048_576).optional(),
  }),
  clocks: z.strictObject({
    /** Each member's clock offset is drawn in ±skewMsMax. */
    skewMsMax: ms('a duration'),
    /** Each member's clock rate is drawn in [1 − driftMax, 1 + driftMax]. */
    driftMax: z.number().min(0).max(0.5),
  }),
  workload: workloadSchema,
  /** kv server options beyond the read mode. */
  server: z.strictObject({
    /**
     * etcd #20418 (before PR #21399): a ReadIndex retried after 500 ms re-sends the *same* request
     * id, so a deposed leader may count a late acknowledgement of the first send and release reads
     * at its stale commit index. Default false (etcd's fix).
     */
    readIndexReuseIdOnRetry: z.boolean(),
    /**
     * etcd PR #16822: a leader asks raft itself whether it still leads before proposing revokes of
     * expired leases. False is etcd before the fix (#12528, #15247): a leader whose Ready loop is
     * stuck (a stalled fsync) still believes it leads, and its revokes, forwarded by its raft to the
     * new leader, revoke leases clients kept alive there. Absent = true (etcd's fix).
     */
    leaseRevokeIgnoresOldLeader: z.boolean().optional(),
    /** Lease checkpointing (etcd --experimental-enable-lease-checkpoint): remaining TTLs survive a leader change. Absent = false (etcd's default). */
    leaseCheckpoint: z.boolean().optional(),
    /** How often the leader checkpoints (etcd --experimental-lease-checkpoint-interval). Absent = 300000 (5 min). */
    leaseCheckpointIntervalMs: msField('a duration', { positive: true, max: DURATION_MS_MAX, maxWhy: 'an hour of virtual time' }).optional(),
    /** etcd PriorityRequest feature: a LeaseRevoke may use twice the apply gap. Absent = false. */
    priorityRequest: z.boolean().optional(),
    /** etcd --strict-reconfig-check (ErrMemberNotEnoughStarted, ErrUnhealthy). Absent = true. */
    strictReconfigCheck: z.boolean().optional(),
    /** etcd --max-learners. Absent = 1. */
    maxLearners: intIn(0, 64).optional(),
    /** How long a peer must have been connected to count for the reconfiguration checks (etcd HealthInterval). Absent = 5000. */
    healthIntervalMs: ms('a duration').optional(),
    /**
     * Keep each member's state in a backend file (kv/backend: etcd's bbolt with batched commits
     * and the consistent index) and restart from it plus the WAL after its consistent index.
     * Absent = false: the state lives in memory and a restart re-applies from the snapshot.
     */
    backend: z.boolean().optional(),
  }),
  faults: z.array(faultSchema).max(FAULTS_MAX),
  nemesis: nemesisSchema,
  liveness: z.strictObject({
    /** After the safety phase: heal, resume and restart everything, then require convergence within this bound. */
    boundMs: msField('a duration', { positive: true, max: DURATION_MS_MAX, maxWhy: 'an hour of virtual time' }),
  }),
  checks: checksSchema,
  /** Search steps the linearizability checker may take (its verdict is `unknown` past them: exit 3). */
  checkerBudgetSteps: positiveInt(1_000_000_000_000),
  /**
   * Known etcd bugs switched back on, by id (scenarios/bugs.ts; `raftsim bugs` lists them). Absent
   * or empty: none. `--set bugs=[etcd-8243,etcd-9586]` needs no JSON quotes.
   */
  bugs: z.preprocess(bugListFromText, z.array(z.string({ error: 'expected a bug id' }))).optional(),
});

/** `[a, b]` or `a,b` as written on a command line (not JSON) → ['a', 'b']; anything else as is. */
function bugListFromText(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const inner = v.trim().replace(/^\[/, '').replace(/\]$/, '').trim();
  return inner === '' ? [] : inner.split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
}

export type Scenario = z.infer<typeof scenarioSchema>;
export type Fault = z.infer<typeof faultSchema>;
export type FaultType = Fault['type'];
export type NemesisOptions = Scenario['nemesis'];
export type WorkloadOptions = Scenario['workload'];
export type ClusterOptions = Scenario['cluster'];
export type PinnedClientOptions = Scenario['workload']['pinned'][number];
export type OpMixOptions = Scenario['workload']['mix'];

/** A pinned client's whole mix: its own weights (a kind left out weighs 0), or the workload's. */
export function pinnedMix(p: PinnedClientOptions, workloadMix: OpMixOptions): OpMixOptions {
  const m = p.mix;
  if (m === undefined) return workloadMix;
  return { get: m.get ?? 0, put: m.put ?? 0, delete: m.delete ?? 0, txn: m.txn ?? 0, range: m.range ?? 0, watch: m.watch ?? 0 };
}

const NO_GENERATED_FAULTS: Record<NemesisKind, number> = { partition: 0, 'one-way': 0, crash: 0, pause: 0, 'disk-fault': 0, clock: 0, 'crash-point': 0, 'transfer-leader': 0 };

/**
 * Every default, in one place. A scenario file overrides any subset; built-ins start from here.
 * Chosen so that a default run is a healthy etcd-like 3-member cluster under light load: etcd's
 * raft settings (PreVote and CheckQuorum on, election 10 ticks of 100 ms, heartbeat 1 tick),
 * readindex reads, a LAN-like network, an SSD-like disk, no faults.
 */
export const SCENARIO_DEFAULTS: Scenario = {
  description: '',
  durationMs: 10_000,
  cluster: {
    size: 3,
    spares: 0,
    preVote: true,
    checkQuorum: true,
    electionTick: 10,
    heartbeatTick: 1,
    tickMs: 100,
    // Smaller than etcd's 10,000 so that runs of seconds exercise snapshots and log compaction.
    snapshotCount: 500,
    snapshotCatchUpEntries: 100,
    walSegmentBytes: 64 * 1024,
    unsafeNoFsync: false,
    // etcd's server sets 512 (raft's MaxInflightMsgs; etcdserver maxInflightMsgs = 4096 / 8).
    maxInflightMsgs: 512,
    // Off, as released etcd-raft: single-node-restart-stale-read shows why one may want it.
    singletonReadIndexActuallyCommitted: false,
  },
  readMode: 'readindex',
  // The kernel's own network and disk (sim/network, sim/disk): a scenario that says nothing runs on
  // what the kernel's tests run on — a LAN with a log-normal delay around 1 ms, an SSD-like disk
  // (reads ~50 µs, fsync ~1 ms), no loss and no disk faults.
  network: { delay: NETWORK_DEFAULTS.delay, lossRatio: NETWORK_DEFAULTS.lossRatio, duplicateRatio: NETWORK_DEFAULTS.duplicateRatio },
  disk: { capacityBytes: null, latency: DISK_DEFAULTS.latency, faults: DISK_DEFAULTS.faults },
  clocks: { skewMsMax: 0, driftMax: 0 },
  workload: {
    clients: 3,
    keys: 5,
    distribution: 'uniform',
    zipfExponent: 1.1,
    mix: { get: 45, put: 40, delete: 5, txn: 10, range: 0, watch: 0 },
    ratePerS: 100,
    serializableReadRatio: 0,
    watchers: 1,
    watchHoldMs: 1_000,
    requestTimeoutMs: 3_000,
    compactEveryMs: 0,
    compactKeepRevisions: 100,
    pinned: [],
    leases: { clients: 0, ttlS: 3, opShare: 0.15, putShare: 0.5, keepAliveShare: 0.4, revokeShare: 0.4, keepAliveEveryMs: 1_000, maxLive: 3 },
    locks: { clients: 0, ttlS: 2, holdMs: 1_000, thinkMs: 200, fenced: true },
  },
  server: { readIndexReuseIdOnRetry: false },
  faults: [],
  nemesis: { intervalMs: 0, faultMs: 1_000, startMs: 1_000, endMs: null, kinds: NO_GENERATED_FAULTS },
  liveness: { boundMs: 20_000 },
  checks: { invariants: true, linearizable: true, serializable: true, watch: true, liveness: true },
  checkerBudgetSteps: 20_000_000,
};

/** A partial scenario, as a file or a built-in gives it (validated only once merged). */
export type ScenarioInput = DeepPartial<Scenario>;
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { readonly [K in keyof T]?: DeepPartial<T[K]> } : T;

/** Latency models in the scenario are exactly sim/random's (the compiler holds this). */
export type ScenarioLatency = z.infer<typeof latencySchema>;
export function toLatencyModel(l: ScenarioLatency): LatencyModel {
  return l;
}
