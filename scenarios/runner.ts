/**
 * Runs one scenario with one seed and returns its run record.
 *
 *   const record = runScenario({ name: 'prevote-rejoin', scenario, seed: 42, overrides: [], trace: 'hash-only' });
 *
 * 1. **Build** the cluster on a fresh kernel: one root stream from the seed, named streams below
 *    it; the generated fault mix is written out as explicit faults first (fault-mix.ts), so a run
 *    and its shrunk or saved scenario schedule the very same events.
 * 2. **Safety phase** (`durationMs`): the workload and the fault timeline run; the online
 *    invariants (online-checks.ts) are checked as it goes. A broken invariant — or any assertion
 *    of the layers below — stops the run there: `invariants` fails with the message and the seed.
 * 3. **Liveness phase**: the workload stops, the nemesis heals and restarts everything, and the
 *    cluster must converge within `liveness.boundMs`: one leader that every running member
 *    follows, every running member applied up to the leader's commit, equal HashKV. Members that
 *    refuse to start (a corrupt disk) are left out and named.
 * 4. **History checks**: linearizability against the etcd model, serializable reads, watch
 *    guarantees (history-checks.ts); the lease keepalive check (kv/check/lease-keepalive.ts: no
 *    expiry before a successful keepalive's TTL ran out) reports through `invariants`.
 * 5. **Metrics** and the record.
 *
 * The trace is `hash-only` for fuzzing or `keep` (filtered to the kinds the reports draw, and
 * bounded) for `run --out`; the hash is the same either way. Either way the record keeps a chain
 * of checkpoints (the hash every 1,000 events, thinned past 4,096 points), which `raftsim replay`
 * compares to find where a re-run parts from the record; `traceWindow` then re-runs up to that
 * point keeping every event of the last stretch.
 */
import { assert, InvariantViolation } from '../sim/assert.js';
import { countByStatus, type Operation } from '../sim/history.js';
import type { HostId, Kernel } from '../sim/host.js';
import { createKernel } from '../sim/kernel.js';
import { createRandom } from '../sim/random.js';
import { ms as msToUs, toMs, type Micros } from '../sim/time.js';
import type { Trace, TraceCheckpoint, TraceEvent, TraceMode, TraceOptions } from '../sim/trace.js';
import { mixCrashPointsFor } from './crash-points.js';
import { LeaseExpiryRecorder } from '../kv/workload/lease-expiry.js';
import { checkLeaseKeepalives, describeKeepAliveViolation } from '../kv/check/lease-keepalive.js';
import { checkLeaseExpiries, describeLeaseExpiryViolation, type LeasePromise } from '../kv/check/lease-expiry.js';
import type { WorkloadClient } from '../kv/workload/workload.js';
import { createCluster, type SimCluster } from './cluster.js';
import { generateFaultMix, materialize } from './fault-mix.js';
import { AppliedLog, checkHistory } from './history-checks.js';
import { checkMutualExclusion, type ExclusionViolation } from '../sim/check/mutual-exclusion.js';
import { RESOURCE_KEY } from '../kv/workload/lock-load.js';
import { historyMetrics, keyWritesOf } from './history-metrics.js';
import { createNemesis, type Nemesis } from './nemesis.js';
import { OnlineChecks } from './online-checks.js';
import { RoleTimeline } from './role-metrics.js';
import type { CheckResult, Checks, FaultRecord, RunMetrics, RunRecord, ViolationView } from '../record/run-record.js';
import type { Fault, Scenario } from './schema.js';

export interface RunOptions {
  /** Built-in name or scenario file path: the record's `scenario` and the reproduce command's argument. */
  readonly name: string;
  readonly description?: string;
  /** The resolved scenario (defaults filled, overrides applied). */
  readonly scenario: Scenario;
  readonly seed: number;
  /** The `--set` overrides that were applied (for the record and the reproduce command). */
  readonly overrides: readonly string[];
  readonly trace: TraceMode;
  /** In keep mode: most events kept (a ring of the newest). Default 200,000. */
  readonly keepLast?: number;
  /** Keep the history in the record (default true; fuzzing drops it). */
  readonly keepHistory?: boolean;
  /** A trace checkpoint every n events (default CHECKPOINT_EVERY_EVENTS). */
  readonly checkpointEvery?: number;
  /** Most checkpoints kept before the chain is thinned (default CHECKPOINTS_MAX; 0: unbounded). */
  readonly checkpointsMax?: number;
}

/** How often the record's chain of trace checkpoints notes the hash, in events. */
export const CHECKPOINT_EVERY_EVENTS = 1_000;
/** A bound on the record's checkpoints: past it the chain keeps every other point (sim/trace.ts). */
export const CHECKPOINTS_MAX = 4_096;

/** Trace kinds the reports draw (run-record.ts): what `keep` mode keeps. */
export const REPORT_TRACE_KINDS: readonly string[] = ['raft.role', 'raft.commit', 'raft.apply', 'raft.send', 'raft.recv', 'host.', 'net.partition', 'disk.fault', 'node.', 'nemesis.', 'wal.repair'];

/** A bound on a run's events: far above any built-in, low enough to stop a livelock in seconds. */
const EVENTS_PER_VIRTUAL_S_MAX = 2_000_000;
/**
 * How often the online checks sample raft state and kv state (and raft state again whenever a
 * member becomes leader). A raft sample reads each log once and compares pairs on the arrays
 * (raft/invariants.ts); a kv sample resumes each member's HashKV where the last one stopped
 * (kv/mvcc): together about 1–2% of a 5-member run at these periods.
 */
const RAFT_SAMPLE_US = 500_000;
const KV_SAMPLE_US = 1_000_000;
/** How often the liveness phase looks for convergence. */
const CONVERGENCE_PROBE_US = 10_000;

interface RunState {
  readonly trace: Trace;
  readonly cluster: SimCluster;
  readonly nemesis: Nemesis;
  readonly roles: RoleTimeline;
  readonly online: OnlineChecks;
  /** Each member's term just before the first fault (empty until then). */
  readonly termsAtFirstFault: Map<HostId, number>;
  readonly applied: AppliedLog;
  readonly expiries: LeaseExpiryRecorder;
}

/**
 * The scenario with the faults its generated mix draws for `seed` written out (and the mix off):
 * what a run of (scenario, seed) schedules, as a plain list — the shrinker's input, and a file
 * that replays the same run.
 */
export function materializeForSeed(s: Scenario, seed: number): Scenario {
  return materialize(s, generateFaultMix(s, createRandom(seed).fork('nemesis/mix'), mixCrashPointsFor(s)));
}

/** A fresh kernel for a run of `scenario` (materialized), its trace as `trace` says, with checkpoints as `o` says. */
function kernelFor(o: RunOptions, scenario: Scenario, trace: Partial<TraceOptions>): Kernel {
  const totalUs = msToUs(scenario.durationMs + scenario.liveness.boundMs);
  return createKernel({
    seed: o.seed,
    scheduler: { eventBudget: Math.ceil((totalUs / 1_000_000) * EVENTS_PER_VIRTUAL_S_MAX) + 1_000_000 },
    trace: { ...trace, checkpointEvery: o.checkpointEvery ?? CHECKPOINT_EVERY_EVENTS, checkpointsMax: o.checkpointsMax ?? CHECKPOINTS_MAX },
  });
}

/** Starts the cluster and runs the safety phase, then the liveness phase: every event of a run, in order. Throws what the run throws. */
function runPhases(st: RunState, scenario: Scenario, heal: { lastUs: Micros | null }): CheckResult {
  st.cluster.start();
  if (scenario.checks.invariants) st.online.start();
  st.cluster.scheduler.runUntil(msToUs(scenario.durationMs));
  st.cluster.stopWorkload();
  heal.lastUs = st.nemesis.lastHealUs;
  st.nemesis.healAll();
  return livenessPhase(st, scenario);
}

export function runScenario(o: RunOptions): RunRecord {
  return startRun(o).finish();
}

/** Where a steppable run is: its safety phase, its liveness phase, or ended. */
export type RunPhase = 'safety' | 'liveness' | 'done';

/**
 * A run of (scenario, seed) that advances on demand: what runScenario does in one go, in as many
 * slices as the caller likes — the same events in the same order, so the same trace hash, however
 * it is sliced (a slice only chooses where the caller may look in between). The playground steps
 * one of these in the browser.
 */
export interface RunSession {
  /** The scenario as run: the generated fault mix written out, then the faults injected so far. */
  readonly scenario: Scenario;
  readonly cluster: SimCluster;
  readonly nemesis: Nemesis;
  readonly phase: RunPhase;
  /** The broken invariant that ended the run early (null while none did). */
  readonly violation: string | null;
  /** Faults injected while the run went (`inject`), with the times they were scheduled at. */
  readonly injected: readonly Fault[];
  /** Runs at most `maxEvents` scheduler events (default 1), none due after `untilUs`; returns how many ran. */
  advance(untilUs: Micros, maxEvents?: number): number;
  /**
   * Schedules `fault` at the first whole millisecond after now at which no event is queued (so it
   * runs first at its time, exactly as if the scenario had listed it), in the safety phase.
   * Returns the fault with that `at`, or null when the safety phase ends before it.
   */
  inject(fault: Fault): Fault | null;
  /** A scenario file that replays this run, injected faults included (`raftsim run` gives the same hash). */
  scenarioFile(): Scenario;
  /** Runs to the end, checks the history, and returns the record runScenario would. */
  finish(): RunRecord;
  /** Where the run is, for a progress line: virtual time, the phase's end, events run, operations completed. */
  progress(): RunProgress;
}

export interface RunProgress {
  readonly phase: RunPhase;
  readonly nowUs: Micros;
  /** When the current phase ends at the latest (the safety phase: durationMs; the liveness phase: its bound). */
  readonly phaseEndUs: Micros;
  readonly events: number;
  readonly ops: number;
}

/** Starts a run of `o`: the cluster is built and started, no event has run yet. `tap` sees every trace event from the first on. */
export function startRun(o: RunOptions, hooks: { readonly tap?: (e: TraceEvent) => void } = {}): RunSession {
  return new SteppedRun(o, hooks.tap);
}

class SteppedRun implements RunSession {
  readonly scenario: Scenario;
  readonly injected: Fault[] = [];
  private readonly st: RunState;
  private readonly kernel: Kernel;
  private readonly durationUs: Micros;
  private stage: RunPhase = 'safety';
  private invariants: CheckResult;
  private liveness: CheckResult = skipped('liveness');
  private safetyEndUs: Micros;
  private lastHealUs: Micros | null = null;
  private why: string | null = 'not probed yet';
  private livenessStartUs: Micros = 0;
  private livenessEndUs: Micros = 0;
  private broken: string | null = null;

  constructor(private readonly o: RunOptions, tap: ((e: TraceEvent) => void) | undefined) {
    this.scenario = materializeForSeed(o.scenario, o.seed);
    this.kernel = kernelFor(o, this.scenario, o.trace === 'keep' ? { mode: 'keep', keepKinds: REPORT_TRACE_KINDS, keepLast: o.keepLast ?? 200_000 } : { mode: 'hash-only' });
    if (tap !== undefined) this.kernel.trace.tap(tap);
    this.st = build(this.scenario, this.kernel);
    this.durationUs = msToUs(this.scenario.durationMs);
    this.safetyEndUs = this.durationUs;
    this.invariants = this.scenario.checks.invariants ? { status: 'pass', summary: 'every online invariant held' } : skipped('invariants');
    this.guard(() => {
      this.st.cluster.start();
      if (this.scenario.checks.invariants) this.st.online.start();
    });
  }

  get cluster(): SimCluster {
    return this.st.cluster;
  }

  get nemesis(): Nemesis {
    return this.st.nemesis;
  }

  get phase(): RunPhase {
    return this.stage;
  }

  get violation(): string | null {
    return this.broken;
  }

  advance(untilUs: Micros, maxEvents = 1): number {
    const sched = this.kernel.scheduler;
    const first = sched.eventsRun;
    const more = (): boolean => sched.eventsRun - first < maxEvents;
    this.guard(() => {
      while (this.stage !== 'done' && more()) {
        if (this.stage === 'safety') {
          // runScenario's runUntil(durationMs), in slices: runWhile moves the clock to its limit once no event is due by then.
          const limit = Math.min(untilUs, this.durationUs);
          if (limit < sched.now) return;
          const drained = sched.runWhile(more, limit);
          if (!drained || limit < this.durationUs) return;
          this.endSafety();
        } else {
          const limit = Math.min(untilUs, this.livenessEndUs);
          if (limit < sched.now) return;
          const pending = sched.runWhile(() => this.why !== null && more(), limit);
          if (this.why === null) this.endLiveness(true);
          else if (pending && limit === this.livenessEndUs) this.endLiveness(false);
          else return;
        }
      }
    });
    return sched.eventsRun - first;
  }

  inject(fault: Fault): Fault | null {
    if (this.stage !== 'safety') return null;
    const sched = this.kernel.scheduler;
    for (let atMs = Math.floor(toMs(sched.now)) + 1; atMs < this.scenario.durationMs; atMs++) {
      if (sched.hasEventAt(msToUs(atMs))) continue;
      const f = { ...fault, at: atMs } as Fault;
      this.st.nemesis.schedule([f]);
      this.injected.push(f);
      return f;
    }
    return null;
  }

  scenarioFile(): Scenario {
    return { ...this.scenario, faults: [...this.scenario.faults, ...this.injected] };
  }

  progress(): RunProgress {
    const sched = this.kernel.scheduler;
    return { phase: this.stage, nowUs: sched.now, phaseEndUs: this.stage === 'safety' ? this.durationUs : this.livenessEndUs, events: sched.eventsRun, ops: this.st.cluster.history.completed().length };
  }

  finish(): RunRecord {
    while (this.stage !== 'done') this.advance(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const { o, st } = this;
    const scenario = this.scenarioFile();
    let invariants = this.invariants;
    const history = st.cluster.history.finish();
    const stopped = invariants.status === 'fail';
    const historyChecks = stopped ? { linearizable: skippedBecause(), serializable: skippedBecause(), watch: skippedBecause(), violation: null, divergences: [] } : checkHistory(scenario, history, st.applied, st.cluster.watchLog.records);
    if (historyChecks.divergences.length > 0 && invariants.status !== 'fail') {
      invariants = { status: 'fail', summary: `members applied different changes at the same revision: ${historyChecks.divergences[0] ?? ''} (seed=${o.seed})`, details: historyChecks.divergences.slice(1, 5) };
    }
    if (invariants.status === 'pass') invariants = leaseKeepaliveCheck(st, scenario, o.seed, invariants);
    if (invariants.status === 'pass') invariants = leaseExpiryCheck(st, scenario, history, this.kernel.scheduler.now, o.seed, invariants);
    if (invariants.status === 'pass') invariants = lockExclusionCheck(st, scenario, o.seed, invariants);
    const checks: Checks = { invariants, linearizable: historyChecks.linearizable, serializable: historyChecks.serializable, watch: historyChecks.watch, liveness: stopped ? skippedBecause() : this.liveness };
    const metrics = computeMetrics(st, scenario, history, this.safetyEndUs, this.lastHealUs, historyChecks.violation);
    return record(o, scenario, st, checks, metrics, history, historyChecks.violation);
  }

  /** runScenario's step from the safety phase to the liveness phase. */
  private endSafety(): void {
    const st = this.st;
    st.cluster.stopWorkload();
    this.lastHealUs = st.nemesis.lastHealUs;
    st.nemesis.healAll();
    // livenessPhase, sliced: the probe looks for convergence every CONVERGENCE_PROBE_US.
    const sched = st.cluster.scheduler;
    this.stage = 'liveness';
    this.livenessStartUs = sched.now;
    this.livenessEndUs = sched.now + msToUs(this.scenario.liveness.boundMs);
    const probe = (): void => {
      this.why = notConverged(st.cluster);
      if (this.why !== null) sched.schedule(CONVERGENCE_PROBE_US, probe);
    };
    sched.schedule(0, probe);
  }

  private endLiveness(held: boolean): void {
    this.stage = 'done';
    const s = this.scenario;
    const sched = this.st.cluster.scheduler;
    if (!s.checks.liveness) return;
    const { out } = runningVoters(this.st.cluster);
    const left = out.length > 0 ? [`left out: ${out.join('; ')}`] : [];
    const excuse = held ? null : quorumLostToCorruption(this.st.cluster, this.st.nemesis.records());
    this.liveness = held
      ? { status: 'pass', summary: `converged ${toMs(sched.now - this.livenessStartUs)} ms after healing: one leader, all members applied to the same index, equal HashKV`, details: left }
      : excuse !== null
        ? { status: 'skipped', summary: `not judged: ${excuse}`, details: left }
        : { status: 'fail', summary: `did not converge within ${s.liveness.boundMs} ms after healing: ${this.why ?? ''}`, details: left };
  }

  /** Runs `fn`; a broken invariant ends the run there, as runScenario's catch did; anything else is rethrown with the seed. */
  private guard(fn: () => void): void {
    if (this.stage === 'done') return;
    try {
      fn();
    } catch (err) {
      if (!(err instanceof InvariantViolation)) throw withSeedMessage(err, this.o.seed);
      const now = this.kernel.scheduler.now;
      this.broken = err.invariant;
      this.invariants = { status: 'fail', summary: `${err.invariant} (seed=${this.o.seed})`, details: [`at t=${toMs(now)} ms of virtual time`] };
      this.safetyEndUs = Math.min(this.safetyEndUs, now);
      this.stage = 'done';
    }
  }
}

/** What `traceWindow` saw of a run: its events from `fromEvent` on (all kinds), and its checkpoints up to where it stopped. */
export interface TraceWindow {
  readonly events: readonly TraceEvent[];
  readonly checkpoints: readonly TraceCheckpoint[];
  /** Events emitted before it stopped (at `toEvent`, or the end of the run if that came first). */
  readonly count: number;
  /** The hash after `count` events. */
  readonly hash: string;
}

/** Thrown by the window's tap to stop a run once the window is full; caught in traceWindow. */
class WindowFull extends Error {}

/**
 * Runs `o` as runScenario would (same phases, same events, same hash) but stops after `toEvent`
 * events, keeping every event from `fromEvent` on whatever its kind: the stretch of trace where a
 * replay parts from its record, for both sides. No history checks, no record.
 */
export function traceWindow(o: RunOptions, fromEvent: number, toEvent: number): TraceWindow {
  assert(fromEvent >= 0 && toEvent >= fromEvent, () => `traceWindow: bad window [${fromEvent}, ${toEvent})`);
  const scenario = materializeForSeed(o.scenario, o.seed);
  const kernel = kernelFor(o, scenario, { mode: 'hash-only' });
  const events: TraceEvent[] = [];
  kernel.trace.tap((e) => {
    if (e.index >= fromEvent) events.push(e);
    if (e.index + 1 >= toEvent) throw new WindowFull('trace window full');
  });
  const st = build(scenario, kernel);
  try {
    if (toEvent > 0) runPhases(st, scenario, { lastUs: null });
  } catch (err) {
    // A broken invariant ends a run where runScenario's would end too: the window is what it emitted.
    if (!(err instanceof WindowFull) && !(err instanceof InvariantViolation)) throw withSeedMessage(err, o.seed);
  }
  return { events, checkpoints: kernel.trace.checkpoints(), count: kernel.trace.count, hash: kernel.trace.hash() };
}

function build(scenario: Scenario, kernel: Kernel): RunState {
  const { scheduler, trace, random: root } = kernel;
  const roles = new RoleTimeline();
  const termsAtFirstFault = new Map<HostId, number>();
  const applied = new AppliedLog();
  let online: OnlineChecks | null = null;
  // Lease expiries become unknown revokes in the history, under the process after clients and watchers.
  let expiries: LeaseExpiryRecorder | null = null;
  const checking = scenario.checks.invariants;
  // Who leads now, per host: a promote is a change to leader (the server promotes its lessor then).
  const leading = new Set<HostId>();
  const cluster = createCluster({
    scenario,
    kernel,
    hooks: {
      onBoot: (id, inc) => {
        leading.delete(id);
        online?.onBoot(id, inc);
      },
      onApplyEntry: (id, e) => {
        if (checking) online?.onApplyEntry(id, e);
      },
      onAppliedEntry: (id, e) => {
        const m = cluster.member(id);
        if (m === undefined) return;
        applied.record(id, cluster.hosts.incarnation(id), m, e.index, scheduler.now);
        expiries?.applied(e, m.appliedWrites().at(-1), scheduler.now);
      },
      onRole: (id, role, term) => {
        roles.record(id, scheduler.now, role, term);
        if (role !== 'leader') leading.delete(id);
        else if (!leading.has(id)) {
          leading.add(id);
          // Observed before the server's own promote, from the same applied state.
          const m = cluster.member(id);
          if (m !== undefined) expiries?.promoted({ host: id, term, atUs: scheduler.now, appliedIndex: m.status().kvAppliedIndex });
        }
        // A new leader is observed at once: election safety must see a leader that lasts less than a sample.
        if (checking && role === 'leader') online?.onRoleChange();
      },
    },
  });
  const w = scenario.workload;
  // The expiry process comes after every client that records: workload and pinned clients,
  // watchers, then lock clients (cluster.ts numbers them in that order). Before the lock clients
  // were counted, a lock session's expiry was recorded as lock client 0, sometimes while that
  // client had a call open — a broken history, not a bug of the cluster (swarm seed 55).
  expiries = new LeaseExpiryRecorder(cluster.history, w.clients + w.pinned.length + w.watchers + w.locks.clients);
  online = new OnlineChecks(cluster, { raftEveryUs: RAFT_SAMPLE_US, kvEveryUs: KV_SAMPLE_US });
  const nemesis = createNemesis({
    scheduler,
    trace,
    random: root.fork('nemesis'),
    control: cluster,
    onFault: () => {
      if (termsAtFirstFault.size > 0) return;
      for (const id of cluster.hostIds()) termsAtFirstFault.set(id, cluster.raftNode(id)?.status().term ?? 0);
    },
  });
  nemesis.schedule(scenario.faults);
  return { trace, cluster, nemesis, roles, online, termsAtFirstFault, applied, expiries };
}

/**
 * The lease keepalive check, folded into `invariants` (the run record's five checks are a
 * contract): `passed` with a note of what it judged when it holds, else the failed check naming
 * the first violation.
 */
function leaseKeepaliveCheck(st: RunState, s: Scenario, seed: number, passed: CheckResult): CheckResult {
  const grants = st.cluster.clientIds.flatMap((id) => (st.cluster.hosts.isUp(id) ? (st.cluster.hosts.program(id) as WorkloadClient).keepAlivesGranted() : []));
  if (grants.length === 0) return passed;
  const clockFaults = s.faults.flatMap((f) => (f.type === 'clock' ? [{ fromUs: msToUs(f.at), toUs: f.for === undefined ? Infinity : msToUs(f.at + f.for) }] : []));
  const r = checkLeaseKeepalives(grants, st.expiries.expiries(), { driftMax: s.clocks.driftMax, clockFaults });
  const first = r.violations[0];
  if (first === undefined) return { ...passed, summary: `${passed.summary}; no lease expired before a keepalive's TTL ran out (${r.judged} expiries of kept leases judged)` };
  return { status: 'fail', summary: `${describeKeepAliveViolation(first)} (seed=${seed})`, details: r.violations.slice(1, 5).map(describeKeepAliveViolation) };
}

/** After its bound, a lease's revoke waits up to one lessor check (500 ms), then a raft round: two election timeouts cover it on a quiet cluster. */
const LEASE_CHECK_US = 500_000;

/**
 * The lease expiry check (kv/check/lease-expiry.ts), folded into `invariants` like the keepalive
 * check: every lease the workload's clients granted expired inside the window etcd promises, with
 * remaining TTLs kept across leader changes when checkpointing is on.
 */
function leaseExpiryCheck(st: RunState, s: Scenario, history: readonly Operation[], endUs: Micros, seed: number, passed: CheckResult): CheckResult {
  const w = s.workload;
  if (w.leases.clients === 0) return passed;
  const promises: LeasePromise[] = [];
  const unjudged = new Set<number>();
  const keptAlive = new Set<number>();
  for (const op of history) {
    if (op.client >= w.clients) continue; // lock sessions keep their own leases alive
    if (op.op === 'lease-grant' && op.status === 'ok' && op.return !== null) {
      const g = op.output as { id: number; ttlS: number };
      promises.push({ lease: g.id, sentUs: op.call, returnUs: op.return, ttlS: g.ttlS, kind: 'grant' });
    }
    if (op.op === 'lease-revoke') unjudged.add((op.input as { id: number }).id);
  }
  for (const id of st.cluster.clientIds) {
    if (!st.cluster.hosts.isUp(id)) continue;
    const c = st.cluster.hosts.program(id) as WorkloadClient;
    for (const g of c.keepAlivesGranted()) promises.push({ lease: g.lease, sentUs: g.sentUs, returnUs: g.returnUs ?? g.sentUs, ttlS: g.ttlS, kind: 'keepalive' });
    const k = c.keepAliveLeases();
    for (const l of k.sent) keptAlive.add(l);
    for (const l of k.unknown) unjudged.add(l);
  }
  const window = (f: { atUs: number; untilUs: number | null }) => ({ fromUs: f.atUs, toUs: f.untilUs ?? Infinity });
  const records = st.nemesis.records();
  const electionUs = msToUs(s.cluster.tickMs) * s.cluster.electionTick;
  const r = checkLeaseExpiries(
    { ...st.expiries.timeline(), promises, unjudged, keptAlive, endUs },
    { driftMax: s.clocks.driftMax, extendUs: electionUs, slackUs: LEASE_CHECK_US + 2 * electionUs, faults: records.map(window), clockFaults: records.filter((f) => f.kind === 'clock').map(window) },
  );
  const first = r.violations[0];
  if (first === undefined) return { ...passed, summary: `${passed.summary}; every lease expired inside its promised window (${r.judgedLate} leases judged late, ${r.judgedEarly} early; ${r.fromCheckpoint} refreshes from a checkpoint)` };
  return { status: 'fail', summary: `${describeLeaseExpiryViolation(first)} (seed=${seed})`, details: r.violations.slice(1, 5).map(describeLeaseExpiryViolation) };
}

/**
 * The lock clients' mutual exclusion (sim/check/mutual-exclusion.ts), folded into `invariants`
 * like the keepalive check: no resource write was accepted from a holder after another process
 * had been shown holding the lock with a larger token.
 */
function lockExclusionCheck(st: RunState, s: Scenario, seed: number, passed: CheckResult): CheckResult {
  if (s.workload.locks.clients === 0) return passed;
  const log = st.cluster.lockLog;
  const r = checkMutualExclusion(log.acquisitions.map((a) => ({ ...a, position: a.revision })), log.writes.map((w) => ({ ...w, position: w.revision })));
  const describe = (v: ExclusionViolation): string =>
    `two lock holders at once: c${v.write.process} wrote ${RESOURCE_KEY} at revision ${v.write.position} (sent at ${seconds(v.write.atUs)}) holding the lock with token ${v.write.token}, ` +
    `but c${v.holder.process} had taken the lock with token ${v.holder.token} at revision ${v.holder.position} (${seconds(v.holder.atUs)}): by then c${v.write.process}'s lock key was gone (its session's lease had run out), yet it still acted as the holder`;
  const first = r.violations[0];
  if (first === undefined) {
    const fence = s.workload.locks.fenced ? `, ${log.refused} stale ${log.refused === 1 ? 'write' : 'writes'} refused by the fence` : '';
    return { ...passed, summary: `${passed.summary}; no lock holder wrote after another had taken the lock (${r.acquisitions} acquisitions, ${r.writes} accepted writes${fence})` };
  }
  return { status: 'fail', summary: `${describe(first)} (seed=${seed})`, details: r.violations.slice(1, 5).map(describe) };
}

/** How near the checker's stale read may follow the end of a pause of its member to be blamed on the pause. */
const AFTER_PAUSE_US = 2_000_000;

/**
 * What the member that served the linearizability check's stale read was going through when it
 * served it (each 1 or 0; all 0 without a stale read): `staleReadAfterPause` — it had been paused
 * and resumed less than 2 s before (its clock stood still, so its lease or leadership outlived the
 * others' patience); `staleReadSlowClock` — its clock ran slower than real time; `staleReadCutOff`
 * — it was cut off from the other members (isolated or split off), with neither of the first two.
 */
function staleReadCause(history: readonly Operation[], faults: readonly FaultRecord[], violation: ViolationView | null): Record<string, number> {
  const none = { staleReadAfterPause: 0, staleReadSlowClock: 0, staleReadCutOff: 0 };
  if (violation === null || !isReadOp(history, violation.failedOp)) return none;
  const op = history.find((o) => o.id === violation.failedOp) as Operation;
  const member = Number(/^member=(\d+)/.exec(op.note ?? '')?.[1] ?? NaN);
  if (!Number.isInteger(member)) return none;
  const at = op.call;
  const on = (f: FaultRecord): boolean => f.hosts.includes(member) && f.atUs <= at;
  const active = (f: FaultRecord): boolean => on(f) && (f.untilUs === null || f.untilUs >= at);
  const afterPause = faults.some((f) => f.kind === 'pause' && on(f) && f.untilUs !== null && f.untilUs <= at && at - f.untilUs < AFTER_PAUSE_US);
  const slowClock = faults.some((f) => f.kind === 'clock' && active(f) && /rate 0\./.test(f.label));
  const cutOff = !afterPause && !slowClock && faults.some((f) => f.kind === 'partition' && active(f));
  return { staleReadAfterPause: afterPause ? 1 : 0, staleReadSlowClock: slowClock ? 1 : 0, staleReadCutOff: cutOff ? 1 : 0 };
}

function isReadOp(history: readonly Operation[], id: number): boolean {
  const op = history.find((o) => o.id === id);
  return op !== undefined && op.op === 'range' && op.status === 'ok';
}

function seconds(us: number): string {
  return `${(us / 1_000_000).toFixed(3)} s`;
}

/** Members expected to converge: voters whose node runs; the others (refused to start, stopped) with why. */
function runningVoters(c: SimCluster): { running: HostId[]; out: string[] } {
  const running: HostId[] = [];
  const out: string[] = [];
  for (const id of c.members()) {
    const st = c.raftNode(id)?.status();
    if (st === undefined) out.push(`n${id} is down`);
    else if (st.stopped !== null) out.push(`n${id} stopped: ${st.stopped}`);
    else running.push(id);
  }
  return { running, out };
}

/**
 * Why a correct cluster may legitimately end unconverged, or null: members that refused to start
 * on a WAL or snapshot they found corrupt (a bit flip the nemesis injected on that member's disk,
 * caught by a CRC or a frame check: etcd treats it as fatal, never repairs it) are all that stand
 * between the running members and a quorum. With a quorum left the others must still converge —
 * runningVoters leaves the refused member out — so this excuses only the quorum that cannot form.
 */
function quorumLostToCorruption(c: SimCluster, faults: readonly FaultRecord[]): string | null {
  const { running } = runningVoters(c);
  const quorum = Math.floor(c.members().length / 2) + 1;
  if (running.length >= quorum) return null;
  const flipped = new Set(faults.filter((f) => f.kind === 'disk-fault' && f.label.startsWith('bit flip')).flatMap((f) => f.hosts));
  const refused = c.members().filter((id) => {
    const why = c.raftNode(id)?.status().stopped ?? null;
    return why !== null && flipped.has(id) && /^(wal|snap)/.test(why);
  });
  if (refused.length === 0 || running.length + refused.length < quorum) return null;
  const names = refused.map((id) => `n${id}`).join(', ');
  return `${names} refused to start on a corrupt disk (a bit flip, detected: ${c.raftNode(refused[0] as HostId)?.status().stopped ?? ''}), and without ${refused.length === 1 ? 'it' : 'them'} only ${running.length} of ${c.members().length} members run: no quorum can form, as a correct cluster must stop`;
}

/** Converged: one leader all running voters follow at its term, all applied to its commit, equal HashKV. Null when it holds, else why not. */
function notConverged(c: SimCluster): string | null {
  const { running } = runningVoters(c);
  const quorum = Math.floor(c.members().length / 2) + 1;
  if (running.length < quorum) return `only ${running.length} of ${c.members().length} members run: no quorum`;
  const statuses = running.map((id) => ({ id, st: (c.member(id) as NonNullable<ReturnType<SimCluster['member']>>).status() }));
  const leaders = statuses.filter((x) => x.st.node.role === 'leader');
  if (leaders.length !== 1) return `${leaders.length} leaders among ${running.join(',')}`;
  const lead = leaders[0] as (typeof statuses)[number];
  for (const x of statuses) {
    if (x.st.node.lead !== lead.id || x.st.node.term !== lead.st.node.term) return `n${x.id} follows ${x.st.node.lead} at term ${x.st.node.term}, the leader is n${lead.id} at term ${lead.st.node.term}`;
    if (x.st.node.applied !== lead.st.node.commit) return `n${x.id} applied ${x.st.node.applied}, the leader committed ${lead.st.node.commit}`;
  }
  const hashes = statuses.map((x) => (c.member(x.id) as NonNullable<ReturnType<SimCluster['member']>>).hashKV(0));
  const first = hashes[0];
  for (const [i, h] of hashes.entries()) {
    if (!h.ok || !first?.ok) return `HashKV failed on n${statuses[i]?.id}`;
    if (h.value.hash !== first.value.hash || h.value.hashRevision !== first.value.hashRevision) return `n${statuses[i]?.id} has HashKV ${h.value.hash} at revision ${h.value.hashRevision}, n${statuses[0]?.id} ${first.value.hash} at ${first.value.hashRevision}`;
  }
  return null;
}

function livenessPhase(st: RunState, s: Scenario): CheckResult {
  const sched = st.cluster.scheduler;
  const startUs = sched.now;
  let why: string | null = 'not probed yet';
  // No restarts here: healAll restarted every member that was down or stopped, on disks cleared of
  // injected failures; a member that stops again now (its disk's own fault rates) stays out.
  const probe = (): void => {
    why = notConverged(st.cluster);
    if (why !== null) sched.schedule(CONVERGENCE_PROBE_US, probe);
  };
  sched.schedule(0, probe);
  const held = sched.runUntilHolds(() => why === null, startUs + msToUs(s.liveness.boundMs));
  if (!s.checks.liveness) return skipped('liveness');
  const { out } = runningVoters(st.cluster);
  const left = out.length > 0 ? [`left out: ${out.join('; ')}`] : [];
  if (held) return { status: 'pass', summary: `converged ${toMs(sched.now - startUs)} ms after healing: one leader, all members applied to the same index, equal HashKV`, details: left };
  const excuse = quorumLostToCorruption(st.cluster, st.nemesis.records());
  if (excuse !== null) return { status: 'skipped', summary: `not judged: ${excuse}`, details: left };
  return { status: 'fail', summary: `did not converge within ${s.liveness.boundMs} ms after healing: ${why ?? ''}`, details: left };
}

function skipped(what: string): CheckResult {
  return { status: 'skipped', summary: `${what} check turned off in the scenario` };
}

function skippedBecause(): CheckResult {
  return { status: 'skipped', summary: 'not run: the run stopped at a broken invariant' };
}

function withSeedMessage(err: unknown, seed: number): unknown {
  if (err instanceof Error && !err.message.includes('seed=')) err.message = `${err.message} (seed=${seed})`;
  return err;
}

function computeMetrics(st: RunState, s: Scenario, history: readonly Operation[], safetyEndUs: Micros, lastHealUs: Micros | null, violation: ViolationView | null): RunMetrics {
  const firstOkWrite = history.filter((op) => op.status === 'ok' && keyWritesOf(op).length > 0).reduce((m, op) => Math.min(m, op.return ?? Infinity), Infinity);
  const h = historyMetrics(history, { fromUs: Number.isFinite(firstOkWrite) ? firstOkWrite : 0, toUs: safetyEndUs });
  const termRise: Record<string, number> = {};
  const finalTerms = new Map<HostId, number>();
  for (const id of st.cluster.hostIds()) {
    const now = st.cluster.raftNode(id)?.status().term ?? st.roles.lastTerm(id);
    finalTerms.set(id, now);
    if (st.termsAtFirstFault.size > 0) termRise[String(id)] = Math.max(0, now - (st.termsAtFirstFault.get(id) ?? 0));
  }
  const isolated = st.nemesis.records().filter((r) => r.kind === 'partition' && r.label.startsWith('isolate')).flatMap((r) => r.hosts);
  const extra: Record<string, number> = {
    minorityLeaderMs: toMs(st.roles.minorityLeaderUs(st.nemesis.records(), s.cluster.size, st.cluster.scheduler.now)),
    isolatedTermRise: isolated.reduce((m, id) => Math.max(m, termRise[String(id)] ?? 0), 0),
    ...staleReadCause(history, st.nemesis.records(), violation),
  };
  return {
    maxTerm: Math.max(st.roles.maxTerm, ...finalTerms.values()),
    termRise,
    leaderChanges: st.roles.leaderChanges(),
    leaderChangesAfterHeal: lastHealUs === null ? 0 : st.roles.leaderChangesSince(lastHealUs),
    elections: st.roles.elections,
    unavailableMs: h.unavailableMs,
    // Every stale read the history shows, and the one the linearizability check tells of (a read
    // whose staleness only the search proves) when it is not among them: the metric never says 0
    // beside a check that found a stale read.
    staleReads: h.staleReads + (violation !== null && isReadOp(history, violation.failedOp) && !h.staleReadIds.includes(violation.failedOp) ? 1 : 0),
    readLatencyMsP50: h.readLatencyMsP50,
    readLatencyMsP99: h.readLatencyMsP99,
    writeLatencyMsP50: h.writeLatencyMsP50,
    writeLatencyMsP99: h.writeLatencyMsP99,
    lostAckedWrites: lostAckedWrites(st.cluster, history),
    extra,
  };
}

/**
 * Acknowledged puts whose effect is not in the store of the most advanced running member: the
 * revision a put was acknowledged at must hold a PUT of that key and value (unless compacted away).
 */
export function lostAckedWrites(c: SimCluster, history: readonly Operation[]): number {
  let best: { mvcc: NonNullable<ReturnType<SimCluster['member']>>['server']['state']['mvcc']; applied: number } | null = null;
  for (const id of c.members()) {
    const m = c.member(id);
    if (m === undefined) continue;
    const applied = m.status().kvAppliedIndex;
    if (best === null || applied > best.applied) best = { mvcc: m.server.state.mvcc, applied };
  }
  if (best === null) return 0;
  const store = best.mvcc;
  let lost = 0;
  for (const op of history) {
    for (const w of keyWritesOf(op)) {
      if (!w.put) continue;
      if (w.revision > store.rev()) {
        lost++;
        continue;
      }
      const events = store.eventsAt(w.revision);
      if (events === undefined) continue; // compacted: no longer checkable
      if (!events.some((e) => e.type === 'PUT' && e.kv.key === w.key && e.kv.value === w.value)) lost++;
    }
  }
  return lost;
}

function record(o: RunOptions, scenario: Scenario, st: RunState, checks: Checks, metrics: RunMetrics, history: readonly Operation[], violation: ViolationView | null): RunRecord {
  return {
    version: 1,
    scenario: o.name,
    description: o.description ?? scenario.description,
    seed: o.seed,
    overrides: o.overrides,
    settings: o.scenario,
    traceHash: st.trace.hash(),
    virtualMs: toMs(st.cluster.scheduler.now),
    events: st.trace.count,
    checkpoints: { everyEvents: st.trace.checkpointEvery, seed: o.seed, points: st.trace.checkpoints() },
    members: st.cluster.hostIds(),
    // History client indexes (what `Operation.client` holds); the hosts they ran on, in the same order.
    clients: st.cluster.clientIds.map((_, k) => k),
    clientHosts: st.cluster.clientIds,
    ops: countByStatus(history),
    checks,
    metrics,
    faults: st.nemesis.records(),
    violation,
    reproduce: reproduceCommand(o.name, o.seed, o.overrides),
    history: o.keepHistory === false ? [] : history,
    trace: st.trace.events(),
  };
}

/** `npx raftsim run <scenario> --seed N [--set k=v]…`, quoted for a POSIX shell where needed. */
export function reproduceCommand(name: string, seed: number, overrides: readonly string[]): string {
  return ['npx raftsim run', shellQuote(name), `--seed ${seed}`, ...overrides.map((x) => `--set ${shellQuote(x)}`)].join(' ');
}

export function shellQuote(s: string): string {
  return /^[\w./:=,@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
