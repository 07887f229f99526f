/**
 * The run record: everything a run leaves behind, as plain JSON-able data. The runner builds it,
 * `raftsim run --json` prints it (without the history and trace), `raftsim run --out DIR` writes it
 * as `run.json`, `raftsim replay` re-runs it, and the reports render it. The reports import only
 * these types.
 *
 * Times are virtual microseconds (`…Us`) unless a name says otherwise (`…Ms`).
 *
 * ## Trace event kinds the reports rely on (emitted by the layers below; fields in this order)
 * - `raft.role` (host = member) {role: 'follower'|'pre-candidate'|'candidate'|'leader', term, lead}
 * - `raft.commit` {commit} and `raft.apply` {applied}
 * - `raft.send` {type, to, term, …} / `raft.recv` {type, from, term, …}: messages in flight
 * - `host.start` / `host.restart` / `host.crash` / `host.pause` / `host.resume` {incarnation}
 * - `host.clock` {rate, offsetUs}
 * - `net.partition` {verb, args, cut} — `cut` as `1<->3,2->3` ('none' when healed)
 * - `disk.fault` {…}, `node.crash-point` {name}, `node.stopped` {reason}
 * - `nemesis.*` — the fault injector's own account of each fault it applies (see `FaultRecord`)
 */
import type { Operation } from '../sim/history.js';
import type { TraceCheckpoint, TraceEvent } from '../sim/trace.js';

export type CheckStatus = 'pass' | 'fail' | 'unknown' | 'skipped';

/** One checker's verdict. `unknown`: its search budget ran out (exit code 3). */
export interface CheckResult {
  readonly status: CheckStatus;
  /** One line for a person: what failed, or why it was skipped. */
  readonly summary: string;
  /** Further lines of explanation (concrete values), if any. */
  readonly details?: readonly string[];
}

export interface Checks {
  /** Online invariants: election safety, log matching, leader completeness, state machine safety, monotonic revisions, equal HashKV at equal revision. */
  readonly invariants: CheckResult;
  readonly linearizable: CheckResult;
  readonly serializable: CheckResult;
  readonly watch: CheckResult;
  readonly liveness: CheckResult;
}

/** A fault as it was applied, for the timeline's fault bands. */
export interface FaultRecord {
  readonly atUs: number;
  /** When it ended (heal, restart, resume), or null if it lasted to the end of the safety phase. */
  readonly untilUs: number | null;
  /** `partition`, `crash`, `pause`, `disk-fault`, `clock`, `crash-point`, `transfer`, `membership`, … */
  readonly kind: string;
  /** Hosts it touched. */
  readonly hosts: readonly number[];
  /** For partitions: the groups (or the cut links as `1<->3,2->3`). */
  readonly groups?: readonly (readonly number[])[];
  /** One line for a person: `isolate 3 (the leader)`, `crash 2 at raftAfterSave`. */
  readonly label: string;
}

/** Figures of one run (the experiments aggregate these over seeds). */
export interface RunMetrics {
  readonly maxTerm: number;
  /** Per member: its term at the end minus its term when the first fault began. */
  readonly termRise: Readonly<Record<string, number>>;
  readonly leaderChanges: number;
  /** Leader changes after the last heal (0 when nothing was healed). */
  readonly leaderChangesAfterHeal: number;
  readonly elections: number;
  /** The longest span with no write completing ok while clients were writing, in ms. */
  readonly unavailableMs: number;
  /** Reads that returned a value older than one already acknowledged before they began. */
  readonly staleReads: number;
  readonly readLatencyMsP50: number;
  readonly readLatencyMsP99: number;
  readonly writeLatencyMsP50: number;
  readonly writeLatencyMsP99: number;
  /** Writes acknowledged ok whose effect is missing afterwards (the fsync experiment). */
  readonly lostAckedWrites: number;
  /** Anything else a scenario measures (e.g. `minorityLeaderMs` for checkquorum). */
  readonly extra: Readonly<Record<string, number>>;
}

/** A linearizability violation, drawn by the report: the ops involved are highlighted. */
export interface ViolationView {
  /** The partition (key) where it happened, if the model partitions. */
  readonly partition: string | null;
  /** The longest linearizable prefix found: op ids in linearization order. */
  readonly linearizedPrefix: readonly number[];
  /**
   * The operation the explanation is about (the stale read it tells of, or the op the search could
   * not place): the headline, the explanation and the report all speak of this one.
   */
  readonly failedOp: number;
  /** Other ops the explanation refers to (the write that made the read stale, …). */
  readonly relatedOps: readonly number[];
  /** The explanation in concrete values, one sentence per line. */
  readonly explanation: readonly string[];
}

/** A run's chain of trace checkpoints (see `RunRecord.checkpoints`). */
export interface RunCheckpoints {
  readonly everyEvents: number;
  readonly seed: number;
  readonly points: readonly TraceCheckpoint[];
}

export interface RunRecord {
  readonly version: 1;
  /** Built-in scenario name, or the scenario file's path. */
  readonly scenario: string;
  readonly description: string;
  readonly seed: number;
  /** The `--set path=value` overrides, in order. */
  readonly overrides: readonly string[];
  /** The fully resolved scenario (defaults filled, overrides applied), as validated JSON. */
  readonly settings: unknown;
  readonly traceHash: string;
  readonly virtualMs: number;
  /** Trace events emitted (kept or not). */
  readonly events: number;
  /**
   * The trace's hash every `everyEvents` events (sim/trace.ts checkpoints), and the seed of the run
   * they are of — the record's `seed` and `settings` may be edited afterwards; these are not.
   * `raftsim replay` finds the first point where a re-run differs. Absent in records from before
   * checkpoints were added.
   */
  readonly checkpoints?: RunCheckpoints;
  /** Member host ids (= raft node ids), the spares included. */
  readonly members: readonly number[];
  /**
   * The workload's clients as the history names them: `Operation.client` indexes (0, 1, …; the
   * pinned clients after the others), not host ids — watchers are not listed (they record no
   * operations). Client `clients[i]` ran on host `clientHosts[i]`.
   */
  readonly clients: readonly number[];
  /** The host id each client of `clients` ran on (100, 101, …): how trace events (by host) meet the history. Absent in records from before it was added. */
  readonly clientHosts?: readonly number[];
  readonly ops: { readonly ok: number; readonly fail: number; readonly unknown: number };
  readonly checks: Checks;
  readonly metrics: RunMetrics;
  readonly faults: readonly FaultRecord[];
  readonly violation: ViolationView | null;
  /** The command that reproduces this run exactly. */
  readonly reproduce: string;
  readonly history: readonly Operation[];
  /** Kept trace events (possibly filtered to the kinds above and bounded) for the reports. */
  readonly trace: readonly TraceEvent[];
}
