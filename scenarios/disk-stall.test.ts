/**
 * The disk-stall fault: its schema (one-line errors naming the field), the nemesis applying it to a
 * member's disk and undoing it (after `for`, nested stalls, the liveness phase), and a run where a
 * stalled leader's disk costs it its leadership.
 */
import { describe, expect, it } from 'vitest';
import { createDisks } from '../sim/disk.js';
import { createHosts, type HostId } from '../sim/host.js';
import { createKernel } from '../sim/kernel.js';
import { createNetwork } from '../sim/network.js';
import { ms } from '../sim/time.js';
import { createNemesis, type ClusterControl } from './nemesis.js';
import { resolveScenario } from './resolve.js';
import { runScenario } from './runner.js';

const resolve = (input: unknown) => resolveScenario(input, { source: 'my.json', overrides: [], crashPoints: [] });

describe('disk-stall: schema', () => {
  const ok = { type: 'disk-stall', at: 1_000, node: 'leader', for: 8_000 };

  it('accepts a member or a node word, and needs a positive `for`', () => {
    expect(resolve({ faults: [ok] }).ok).toBe(true);
    expect(resolve({ faults: [{ ...ok, node: 2 }] }).ok).toBe(true);
    const { for: _, ...noFor } = ok;
    expect(resolve({ faults: [noFor] })).toEqual({ ok: false, error: 'my.json: faults[0].for: expected number (a duration in milliseconds)' });
    expect(resolve({ faults: [{ ...ok, for: 0 }] })).toMatchObject({ ok: false, error: expect.stringMatching(/^my\.json: faults\[0\]\.for: [^\n]+$/) });
    expect(resolve({ faults: [{ ...ok, node: 4 }] })).toEqual({ ok: false, error: 'my.json: faults[0].node: member 4 does not exist (cluster.size + cluster.spares = 3)' });
    expect(resolve({ faults: [{ ...ok, fsyncMs: 5 }] })).toMatchObject({ ok: false, error: expect.stringMatching(/^my\.json: faults\[0\]: Unrecognized key: "fsyncMs"$/) });
  });
});

/** The real kernel, hosts and disks; members that run no program; member 1 leads. */
function harness() {
  const kernel = createKernel({ seed: 1 });
  const hosts = createHosts<object>(kernel);
  const members = [1, 2, 3];
  for (const id of members) hosts.add(id);
  for (const id of members) hosts.start(id, () => ({}));
  const disks = createDisks(kernel, hosts, { latency: { read: { kind: 'fixed', us: 50 }, write: { kind: 'fixed', us: 10 }, fsync: { kind: 'fixed', us: 1_000 }, meta: { kind: 'fixed', us: 20 } } });
  const unused = (): never => {
    throw new Error('not used by a disk stall');
  };
  const control: ClusterControl = {
    members: () => members,
    hostIds: () => members,
    clientHosts: () => [],
    leader: () => 1,
    state: (id) => hosts.state(id),
    crash: (id) => hosts.crash(id),
    restart: (id) => void hosts.restart(id),
    pause: (id) => hosts.pause(id),
    resume: (id) => hosts.resume(id),
    stopped: () => false,
    armCrashPoint: unused,
    disarmCrashPoints: () => {},
    transferLeader: unused,
    addMember: unused,
    removeMember: unused,
    clock: (id) => hosts.clock(id),
    setClockRate: unused,
    jumpClock: unused,
    disk: (id) => disks.of(id),
    network: createNetwork<unknown>(kernel, hosts),
  };
  const nemesis = createNemesis({ scheduler: kernel.scheduler, trace: kernel.trace, random: kernel.random.fork('nemesis'), control });
  const at = (t: number): void => kernel.scheduler.runUntil(ms(t));
  /** How long an fsync on `id` takes if issued now. */
  const fsyncUs = (id: HostId): number => {
    const d = disks.of(id);
    if (d.open('f').ok !== true) d.create('f');
    return d.fsync('f').latencyUs;
  };
  return { kernel, disks, nemesis, at, fsyncUs };
}

describe('disk-stall: the nemesis', () => {
  it('stalls the resolved member\'s fsyncs until the stall ends, nests stalls on one disk, and undoes each after `for`', () => {
    const h = harness();
    h.nemesis.schedule([
      { type: 'disk-stall', at: 100, node: 'leader', for: 1_000 },
      { type: 'disk-stall', at: 300, node: 1, for: 2_000 },
      { type: 'disk-stall', at: 400, node: 2, for: 200 },
    ]);
    h.at(200);
    expect(h.fsyncUs(1)).toBe(900_000); // returns at 1.1 s
    expect(h.fsyncUs(2)).toBe(1_000);
    h.at(500);
    expect(h.fsyncUs(1)).toBe(1_800_000); // the later end holds: 2.3 s
    expect(h.fsyncUs(2)).toBe(100_000);
    h.at(1_200); // the first stall on 1 is undone, the second still holds
    expect(h.fsyncUs(1)).toBe(1_100_000);
    expect(h.fsyncUs(2)).toBe(1_000);
    h.at(2_400);
    expect(h.fsyncUs(1)).toBe(1_000);
    const labels = h.kernel.trace.events().filter((e) => e.kind === 'nemesis.disk-stall').map((e) => e.fields.label);
    expect(labels).toEqual(['stall the disk of 1 (the leader): fsyncs wait 1000 ms', 'stall the disk of 1: fsyncs wait 2000 ms', 'stall the disk of 2: fsyncs wait 200 ms']);
    expect(h.kernel.trace.events().filter((e) => e.kind === 'nemesis.undo').length).toBe(3);
    expect(h.nemesis.records().map((r) => [r.kind, r.hosts, r.atUs, r.untilUs])).toEqual([
      ['disk-stall', [1], 100_000, 1_100_000],
      ['disk-stall', [1], 300_000, 2_300_000],
      ['disk-stall', [2], 400_000, 600_000],
    ]);
  });

  it('the liveness phase ends every stall at once', () => {
    const h = harness();
    h.nemesis.schedule([{ type: 'disk-stall', at: 100, node: 3, for: 60_000 }]);
    h.at(500);
    expect(h.fsyncUs(3)).toBe(59_600_000);
    h.nemesis.healAll();
    expect(h.fsyncUs(3)).toBe(1_000);
    expect(h.disks.of(3).stalledUntilUs).toBe(500_000);
    expect(h.nemesis.records().map((r) => r.untilUs)).toEqual([500_000]);
  });
});

describe('disk-stall: a run', () => {
  it('a leader whose disk stalls past an election timeout loses leadership; the cluster converges after', () => {
    const r = resolve({ durationMs: 8_000, faults: [{ type: 'disk-stall', at: 2_000, node: 'leader', for: 4_000 }] });
    if (!r.ok) throw new Error(r.error);
    const record = runScenario({ name: 'disk-stall', scenario: r.scenario, seed: 3, overrides: [], trace: 'keep' });
    const [f] = record.faults;
    expect(record.faults.length).toBe(1);
    expect(f?.kind).toBe('disk-stall');
    expect(f?.label).toMatch(/^stall the disk of \d \(the leader\): fsyncs wait 4000 ms$/);
    expect([f?.atUs, f?.untilUs]).toEqual([2_000_000, 6_000_000]);
    const stalled = f?.hosts[0];
    // Someone else wins an election during the stall.
    const elected = record.trace.filter((e) => e.kind === 'raft.role' && e.fields.role === 'leader' && e.timeUs > 2_000_000 && e.timeUs < 6_000_000).map((e) => e.host);
    expect(elected.length).toBeGreaterThan(0);
    expect(elected).not.toContain(stalled);
    expect(record.checks.invariants.status).toBe('pass');
    expect(record.checks.linearizable.status).toBe('pass');
    expect(record.checks.liveness.status).toBe('pass');
  });
});
