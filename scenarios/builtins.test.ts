/**
 * Every built-in does what it says: over a few seeds, its `expect` label (passes / anomaly) holds
 * AND the event it is about happens in the run — a MsgSnap sent and a watcher kept across the
 * restore, a WAL repair after each torn crash, a refused start on a bad CRC, a deposed leader, two
 * lock holders, … A built-in whose fault never lands (a snapshot taken only after the heal, a
 * crash that tears nothing) fails here even when its checks pass.
 *
 * One run per (built-in, seed), with a tap on the trace that keeps the events these assertions
 * read; the run's watch log is read from the cluster after the run.
 */
import { describe, expect, it } from 'vitest';
import { CRASH_POINTS } from '../raft/node/crash-points.js';
import { SNAPSHOT_RECEIPT_POINTS } from '../raft/node/crash-scenario.js';
import type { RunRecord } from '../record/run-record.js';
import type { TraceEvent } from '../sim/trace.js';
import type { WatchRecord } from '../kv/client/watch-client.js';
import { BUILTINS, findBuiltin } from './builtin/registry.js';
import { startRun } from './runner.js';
import { scenarioFor } from './scenario-source.js';
import { verdictOf } from './fuzz.js';

/** Trace kinds the assertions read (the rest — disk writes, messages, client traffic — are not kept). */
const KEPT = /^(raft\.role|raft\.snapshot|raft\.event|node\.|wal\.|disk\.(crash|bitflip|fault|stall)|nemesis\.|kv\.(restore|lease|readindex$))/;

interface Run {
  readonly r: RunRecord;
  readonly ev: readonly TraceEvent[];
  readonly watches: readonly WatchRecord[];
}

function run(name: string, seed: number, overrides: readonly string[] = []): Run {
  const resolved = scenarioFor({ kind: 'builtin', name }, seed, overrides);
  if (!resolved.ok) throw new Error(resolved.error);
  const ev: TraceEvent[] = [];
  const session = startRun({ name, scenario: resolved.scenario, seed, overrides, trace: 'hash-only', keepHistory: true }, { tap: (e) => KEPT.test(e.kind) && ev.push(e) });
  const r = session.finish();
  return { r, ev, watches: session.cluster.watchLog.records };
}

const of = (ev: readonly TraceEvent[], kind: string, pred: (e: TraceEvent) => boolean = () => true): TraceEvent[] => ev.filter((e) => e.kind === kind && pred(e));
const field = (e: TraceEvent, k: string): string => String(e.fields[k]);
const hostsOf = (e: TraceEvent): number[] => field(e, 'hosts').split(',').filter((x) => x !== '').map(Number);
const raftEvents = (ev: readonly TraceEvent[], kind: string): TraceEvent[] => of(ev, 'raft.event', (e) => field(e, 'kind') === kind);
const leadersAfter = (ev: readonly TraceEvent[], us: number): TraceEvent[] => of(ev, 'raft.role', (e) => field(e, 'role') === 'leader' && e.timeUs > us);
/** The member that served the linearizability check's stale read. */
const servedBy = (r: RunRecord): number => Number(/^member=(\d+)/.exec(r.history.find((o) => o.id === r.violation?.failedOp)?.note ?? '')?.[1]);

/** Per built-in: the event it is about, asserted on one run (the label is asserted for all alike). */
const EVENTS: Record<string, (x: Run, seed: number) => void> = {
  'prevote-rejoin': ({ r, ev }) => {
    const iso = of(ev, 'nemesis.isolate')[0] as TraceEvent;
    const cut = hostsOf(iso)[0] as number;
    // The cut-off follower tried (pre-votes) but never ran a real election, and the leader stayed.
    expect(of(ev, 'raft.role', (e) => e.host === cut && field(e, 'role') === 'pre-candidate' && e.timeUs > iso.timeUs).length).toBeGreaterThan(0);
    expect(of(ev, 'raft.role', (e) => e.host === cut && field(e, 'role') === 'candidate' && e.timeUs > iso.timeUs)).toEqual([]);
    expect(leadersAfter(ev, iso.timeUs)).toEqual([]);
    expect(r.metrics.extra.isolatedTermRise).toBe(0);
  },
  'leader-isolation-stale-read': ({ r, ev }) => {
    const iso = of(ev, 'nemesis.isolate')[0] as TraceEvent;
    const old = hostsOf(iso)[0] as number;
    // A new leader is elected on the majority side while the isolated one still leads: it serves the stale read.
    expect(leadersAfter(ev, iso.timeUs).some((e) => e.host !== old)).toBe(true);
    expect(servedBy(r)).toBe(old);
    expect(r.metrics.staleReads).toBeGreaterThan(0);
  },
  'leader-pause-stale-read': ({ r, ev }) => {
    const pause = of(ev, 'nemesis.pause')[0] as TraceEvent;
    expect(field(pause, 'label')).toMatch(/the leader/);
    expect(leadersAfter(ev, pause.timeUs).some((e) => e.host !== hostsOf(pause)[0])).toBe(true);
    expect(servedBy(r)).toBe(hostsOf(pause)[0]);
    expect(r.metrics.extra.staleReadAfterPause).toBe(1);
  },
  'lease-read-clock-drift': ({ r, ev }) => {
    const iso = of(ev, 'nemesis.isolate')[0] as TraceEvent;
    expect(servedBy(r)).toBe(hostsOf(iso)[0]);
    expect(r.metrics.staleReads).toBeGreaterThan(0);
    // Each stale read has its cause named: the slow clock when it ran, else the cut (CheckQuorum's period).
    const slowed = of(ev, 'nemesis.clock').length > 0;
    expect(r.metrics.extra.staleReadSlowClock).toBe(slowed ? 1 : 0);
    if (!slowed) expect(r.metrics.extra.staleReadCutOff).toBe(1);
  },
  'read-modes': ({ ev }) => {
    expect(of(ev, 'nemesis.isolate', (e) => /the leader/.test(field(e, 'label'))).length).toBe(2);
    expect(of(ev, 'nemesis.pause', (e) => /the leader/.test(field(e, 'label'))).length).toBe(1);
    expect(of(ev, 'kv.readindex').length).toBeGreaterThan(0);
  },
  'leader-crash': ({ ev }) => {
    const crash = of(ev, 'nemesis.crash')[0] as TraceEvent;
    expect(field(crash, 'label')).toMatch(/the leader/);
    const id = hostsOf(crash)[0];
    expect(leadersAfter(ev, crash.timeUs).some((e) => e.host !== id)).toBe(true);
    expect(of(ev, 'node.recovered', (e) => e.host === id && e.timeUs > crash.timeUs).length).toBe(1);
  },
  'rolling-restarts': ({ ev }) => {
    expect(new Set(of(ev, 'node.recovered').map((e) => e.host))).toEqual(new Set([1, 2, 3]));
  },
  'torn-write': ({ ev }) => {
    const points = of(ev, 'node.crash-point');
    expect(points.length).toBe(3);
    for (const p of points) {
      // Every crash tears the write in flight, and the restart repairs that WAL's tail.
      const crash = of(ev, 'disk.crash', (e) => e.host === p.host && e.timeUs === p.timeUs)[0];
      expect(crash?.fields.torn, `crash of ${p.host} at ${p.timeUs}`).toBe(true);
      expect(of(ev, 'wal.repair', (e) => e.host === p.host && e.timeUs > p.timeUs).length).toBeGreaterThan(0);
    }
  },
  'wal-bit-flip': ({ r, ev }) => {
    expect(of(ev, 'disk.bitflip', (e) => e.host === 3).length).toBe(1);
    expect(of(ev, 'node.recovered', (e) => e.host === 3)).toEqual([]);
    const refused = of(ev, 'node.stopped', (e) => e.host === 3);
    expect(refused.length).toBeGreaterThan(0);
    for (const e of refused) expect(field(e, 'reason')).toMatch(/checksum mismatch/);
    expect(r.checks.liveness.details?.join(' ')).toMatch(/n3 stopped: wal: .*checksum mismatch/);
  },
  'disk-full': ({ ev }) => {
    const fault = of(ev, 'nemesis.disk-fault')[0] as TraceEvent;
    const id = hostsOf(fault)[0];
    expect(of(ev, 'node.stopped', (e) => e.host === id && /ENOSPC|append/.test(field(e, 'reason'))).length).toBe(1);
    expect(leadersAfter(ev, fault.timeUs).some((e) => e.host !== id)).toBe(true);
    expect(of(ev, 'node.recovered', (e) => e.host === id).length).toBe(1);
  },
  'snapshot-catch-up': ({ ev, watches }) => {
    const iso = of(ev, 'nemesis.isolate')[0] as TraceEvent;
    const lag = hostsOf(iso)[0] as number;
    const sent = of(ev, 'raft.snapshot', (e) => field(e, 'what') === 'sent' && Number(e.fields.peer) === lag);
    expect(sent.length, 'a MsgSnap to the follower that was cut off').toBeGreaterThan(0);
    // The snapshot was taken during the partition, not after the heal.
    const taken = of(ev, 'raft.snapshot', (e) => field(e, 'what') === 'taken' && e.host !== lag)[0] as TraceEvent;
    expect(taken.timeUs).toBeLessThan(iso.timeUs + 5_000_000);
    const restore = of(ev, 'kv.restore', (e) => e.host === lag)[0] as TraceEvent;
    expect(restore).toBeDefined();
    // A watcher on that member kept its watch there across the restore and got events after it.
    const kept = watches.filter((w) => {
      const before = w.placements.filter((p) => p.atUs < restore.timeUs).at(-1);
      const moved = w.placements.some((p) => p.atUs >= restore.timeUs && p.atUs < restore.timeUs + 1_000_000);
      return before?.member === lag && !moved && w.responses.some((x) => x.member === lag && x.atUs > restore.timeUs && (x.response.events?.length ?? 0) > 0);
    });
    expect(kept.length).toBeGreaterThan(0);
  },
  'leader-transfer': ({ ev }) => {
    expect(raftEvents(ev, 'leader-transfer').filter((e) => /timeout/i.test(field(e, 'text'))).length).toBeGreaterThanOrEqual(2);
    for (const t of of(ev, 'nemesis.transfer-leader')) {
      const to = hostsOf(t)[1];
      expect(leadersAfter(ev, t.timeUs)[0]?.host, field(t, 'label')).toBe(to);
    }
  },
  'membership-change': ({ ev }) => {
    expect(of(ev, 'node.start', (e) => e.host === 4).length).toBe(1);
    const removed = of(ev, 'nemesis.remove-member')[0] as TraceEvent;
    const id = hostsOf(removed)[0];
    expect(raftEvents(ev, 'step-down').some((e) => e.host === id && /removed/.test(field(e, 'text')))).toBe(true);
    expect(leadersAfter(ev, removed.timeUs).some((e) => e.host !== id)).toBe(true);
  },
  'asymmetric-partition': ({ ev }) => {
    expect(of(ev, 'nemesis.bridge').length).toBe(1);
  },
  'leader-minority': ({ ev }) => {
    const split = of(ev, 'nemesis.split')[0] as TraceEvent;
    // CheckQuorum: the leader cut off in the minority steps down, and the majority elects another.
    expect(raftEvents(ev, 'step-down').some((e) => /quorum/.test(field(e, 'text')) && e.timeUs > split.timeUs)).toBe(true);
    expect(leadersAfter(ev, split.timeUs).length).toBeGreaterThan(0);
  },
  'no-fsync-crash': ({ r, ev }) => {
    const crashes = of(ev, 'nemesis.crash');
    expect(crashes.length).toBe(3);
    expect(new Set(crashes.map((e) => e.timeUs)).size).toBe(1); // one power cut of the whole cluster
    expect(r.metrics.lostAckedWrites).toBeGreaterThan(0);
    expect(r.checks.invariants.summary).toMatch(/election safety|state machine safety/);
  },
  'single-node-restart-stale-read': ({ r, ev }) => {
    expect(of(ev, 'node.crash-point').length).toBeGreaterThan(0);
    expect(of(ev, 'node.recovered').length).toBeGreaterThan(0);
    expect(r.metrics.staleReads).toBeGreaterThan(0);
  },
  'etcd-20418': ({ r, ev }) => {
    expect(of(ev, 'nemesis.pause').length).toBe(2);
    expect(of(ev, 'nemesis.link-delay').length).toBeGreaterThan(0);
    expect(servedBy(r)).toBe(1);
  },
  'crash-points': ({ ev }) => {
    const fired = new Set(of(ev, 'node.crash-point').map((e) => field(e, 'name')));
    // Every point off a follower's snapshot-receipt path is reached (those need a MsgSnap, which
    // this schedule makes only by luck); each crash is followed by a recovery.
    for (const p of CRASH_POINTS.filter((x) => !SNAPSHOT_RECEIPT_POINTS.includes(x))) expect(fired, p).toContain(p);
    for (const p of of(ev, 'node.crash-point')) expect(of(ev, 'node.recovered', (e) => e.host === p.host && e.timeUs > p.timeUs).length, field(p, 'name')).toBeGreaterThan(0);
  },
  'lease-churn': ({ ev }) => {
    const actions = of(ev, 'kv.lease').map((e) => field(e, 'action'));
    expect(actions).toContain('grant');
    expect(actions.some((a) => a === 'revoke' || a === 'expire')).toBe(true);
    expect(of(ev, 'nemesis.crash').length).toBeGreaterThan(0);
  },
  'lease-checkpoint': ({ r, ev }) => {
    // The leader checkpoints remaining TTLs; member 3 leads after its restart; the expiry check judged promotes that used a checkpoint.
    expect(of(ev, 'kv.lease', (e) => field(e, 'action') === 'checkpoint').length).toBeGreaterThan(0);
    expect(of(ev, 'kv.lease', (e) => field(e, 'action') === 'promote' && e.host === 3 && e.timeUs > 10_000_000).length).toBeGreaterThan(0);
    expect(r.checks.invariants.summary).toMatch(/[1-9]\d* refreshes from a checkpoint/);
  },
  'etcd-15247': ({ r, ev }) => {
    const stall = of(ev, 'nemesis.disk-stall')[0] as TraceEvent;
    expect(field(stall, 'label')).toMatch(/the leader/);
    expect(r.checks.invariants.summary).toMatch(/lease/i);
  },
  'lock-pause': ({ r, ev }) => {
    expect(field(of(ev, 'nemesis.pause')[0] as TraceEvent, 'label')).toMatch(/lock holder/);
    // Two holders: a write accepted from the first after the second took the lock.
    expect(r.checks.invariants.summary).toMatch(/lock/i);
  },
  'lock-pause-fenced': ({ r, ev }) => {
    expect(field(of(ev, 'nemesis.pause')[0] as TraceEvent, 'label')).toMatch(/lock holder/);
    expect(r.checks.invariants.summary).toMatch(/[1-9]\d* stale writes? refused by the fence/);
  },
  'learner-promote': ({ ev }) => {
    // A member joins as a learner and is promoted: the new member starts, and a later
    // configuration is applied on it.
    const started = of(ev, 'node.start').filter((e) => e.timeUs > 0);
    expect(started.length).toBeGreaterThan(0);
    const id = started[0]?.host;
    expect(raftEvents(ev, 'conf-change-applied').some((e) => e.host === id && e.timeUs > (started[0]?.timeUs ?? 0))).toBe(true);
  },
  swarm: ({ ev }) => {
    expect(of(ev, 'nemesis.skip').length).toBeLessThan(ev.filter((e) => e.kind.startsWith('nemesis.') && e.kind !== 'nemesis.skip').length);
  },
};

const SEEDS = [1, 2];

describe('every built-in: its label and its event', () => {
  it('every built-in has an event assertion here', () => {
    expect(Object.keys(EVENTS).sort()).toEqual(BUILTINS.map((b) => b.name).sort());
  });

  it.each(BUILTINS.map((b) => b.name))('%s', (name) => {
    const b = findBuiltin(name);
    for (const seed of SEEDS) {
      const x = run(name, seed);
      const v = verdictOf(x.r.checks);
      if (b?.expect === 'pass') expect(v.status, `seed ${seed}: ${v.failed.map((c) => `${c}: ${x.r.checks[c as keyof RunRecord['checks']].summary}`).join('; ')}`).toBe('pass');
      else expect(v.status, `seed ${seed}`).toBe('fail');
      (EVENTS[name] as (x: Run, seed: number) => void)(x, seed);
    }
  });
});
