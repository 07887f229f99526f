/**
 * The nemesis on the real kernel (scheduler, hosts, network, disks) with a small cluster control
 * whose members run no program: partitions compose and heal link by link, node references resolve
 * when the fault fires (and are skipped when they name nobody), records carry their spans, the
 * liveness phase undoes everything; and the generated fault mix.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDisks, type DisksOptions } from '../sim/disk.js';
import { createHosts, type HostId } from '../sim/host.js';
import { createKernel } from '../sim/kernel.js';
import { createNetwork } from '../sim/network.js';
import { createRandom } from '../sim/random.js';
import { ms } from '../sim/time.js';
import { generateFaultMix, materialize } from './fault-mix.js';
import { createNemesis, type ClusterControl } from './nemesis.js';
import { resolveScenario } from './resolve.js';
import { SCENARIO_DEFAULTS, type Fault, type Scenario } from './schema.js';

function harness(leaderOf: () => HostId | null = () => 1, diskOptions: DisksOptions = {}) {
  const kernel = createKernel({ seed: 1 });
  const { scheduler, trace } = kernel;
  const hosts = createHosts<object>(kernel);
  const members = [1, 2, 3];
  for (const id of [...members, 100]) hosts.add(id);
  for (const id of [...members, 100]) hosts.start(id, () => ({}));
  const network = createNetwork<unknown>(kernel, hosts);
  const disks = createDisks(kernel, hosts, diskOptions);
  const control: ClusterControl = {
    members: () => members,
    hostIds: () => members,
    clientHosts: () => [100],
    lockHolder: () => null,
    leader: () => {
      const l = leaderOf();
      return l !== null && hosts.state(l) !== 'down' ? l : null;
    },
    state: (id) => hosts.state(id),
    crash: (id) => hosts.crash(id),
    restart: (id) => void hosts.restart(id),
    pause: (id) => hosts.pause(id),
    resume: (id) => hosts.resume(id),
    stopped: () => false,
    armCrashPoint: () => {},
    disarmCrashPoints: () => {},
    transferLeader: () => {},
    addMember: () => {},
    removeMember: () => {},
    promoteMember: () => {},
    clock: (id) => hosts.clock(id),
    setClockRate: (id, rate) => hosts.setClock(id, { rate }),
    jumpClock: (id, d) => hosts.jumpClock(id, d),
    disk: (id) => disks.of(id),
    network,
  };
  const nemesis = createNemesis({ scheduler, trace, random: kernel.random.fork('nemesis'), control });
  return { scheduler, trace, hosts, network, disks, nemesis };
}

const at = (h: ReturnType<typeof harness>, t: number): void => h.scheduler.runUntil(ms(t));

describe('nemesis', () => {
  it('partitions compose: a link is healed only when the last fault cutting it ends', () => {
    const h = harness();
    h.nemesis.schedule([
      { type: 'isolate', at: 1_000, node: 3, for: 5_000 },
      { type: 'split', at: 2_000, groups: [[1], 'rest'], for: 2_000 },
    ]);
    at(h, 3_000);
    expect(h.network.describePartition()).toBe('1<->2,1<->3,2<->3');
    at(h, 4_500); // the split ended; 3 is still isolated, 1<->2 healed
    expect(h.network.describePartition()).toBe('1<->3,2<->3');
    expect(h.network.isCut(3, 100)).toBe(false); // clients still reach it
    at(h, 6_500);
    expect(h.network.describePartition()).toBe('none');
    expect(h.nemesis.records().map((r) => [r.label, r.atUs, r.untilUs])).toEqual([
      ['isolate 3', 1_000_000, 6_000_000],
      ['split 1 | 2,3', 2_000_000, 4_000_000],
    ]);
    expect(h.nemesis.records()[1]?.groups).toEqual([[1], [2, 3]]);
  });

  it('isolate with clients: true cuts the clients too; a one-way cut and a bridge cut what they say', () => {
    const h = harness();
    h.nemesis.schedule([
      { type: 'isolate', at: 100, node: 2, clients: true, for: 100 },
      { type: 'cut-one-way', at: 300, from: 1, to: 3, for: 100 },
      { type: 'bridge', at: 500, node: 2, groups: [[1], [3]], for: 100 },
    ]);
    at(h, 150);
    expect(h.network.isCut(2, 100) && h.network.isCut(100, 2)).toBe(true);
    at(h, 350);
    expect([h.network.isCut(1, 3), h.network.isCut(3, 1)]).toEqual([true, false]);
    at(h, 550);
    expect(h.network.describePartition()).toBe('1<->3');
    at(h, 700);
    expect(h.network.describePartition()).toBe('none');
  });

  it('resolves the leader when the fault fires, and skips a fault that names nobody', () => {
    let lead: HostId | null = 2;
    const h = harness(() => lead);
    h.nemesis.schedule([
      { type: 'crash', at: 1_000, node: 'leader', for: 1_000 },
      { type: 'pause', at: 1_500, node: 'leader', for: 100 },
    ]);
    at(h, 1_200);
    expect(h.hosts.state(2)).toBe('down');
    lead = null;
    at(h, 1_600);
    expect(h.trace.events().some((e) => e.kind === 'nemesis.skip' && e.fields.type === 'pause')).toBe(true);
    at(h, 2_100);
    expect(h.hosts.state(2)).toBe('up');
    expect(h.hosts.incarnation(2)).toBe(2);
  });

  it('picks "follower" from a stream named after the fault: other faults do not change the pick', () => {
    const pickOf = (faults: Fault[]): number | undefined => {
      const h = harness();
      h.nemesis.schedule(faults);
      at(h, 10_000);
      return h.nemesis.records().find((r) => r.label.startsWith('pause'))?.hosts[0];
    };
    const target: Fault = { type: 'pause', at: 5_000, node: 'follower', for: 100 };
    const alone = pickOf([target]);
    expect(alone === 2 || alone === 3).toBe(true);
    expect(pickOf([{ type: 'clock', at: 1_000, node: 'follower', jumpMs: 5 }, { type: 'clock', at: 2_000, node: 'any', jumpMs: 5 }, target])).toBe(alone);
  });

  it('the liveness phase undoes everything: heals, resumes, restarts, restores clocks', () => {
    const h = harness();
    h.nemesis.schedule([
      { type: 'isolate', at: 100, node: 1 },
      { type: 'pause', at: 100, node: 2 },
      { type: 'crash', at: 100, node: 3 },
      { type: 'clock', at: 100, node: 1, rate: 0.5, jumpMs: 250 },
    ]);
    at(h, 200);
    expect(h.hosts.clock(1)).toEqual({ rate: 0.5, offsetUs: 250_000 });
    h.nemesis.healAll();
    expect(h.network.describePartition()).toBe('none');
    expect([h.hosts.state(1), h.hosts.state(2), h.hosts.state(3)]).toEqual(['up', 'up', 'up']);
    expect(h.hosts.clock(1)).toEqual({ rate: 1, offsetUs: 250_000 }); // a step is not undone, a rate is
    expect(h.nemesis.records().every((r) => r.untilUs !== null)).toBe(true);
    expect(h.nemesis.firstFaultUs).toBe(100_000);
  });
});

describe('nemesis: disk faults and slow links are undone', () => {
  /** Can host `id` fsync a file now? (false: an injected failure was still waiting) */
  const fsyncs = (h: ReturnType<typeof harness>, id: HostId): boolean => {
    const d = h.disks.of(id);
    if (d.open('f').ok !== true) d.create('f');
    d.append('f', new Uint8Array([1]));
    return d.fsync('f').ok;
  };

  it('the undo of an fsync EIO clears the failures not yet hit, even when the member was down meanwhile', () => {
    const h = harness();
    h.nemesis.schedule([
      { type: 'crash', at: 100, node: 2, for: 1_000 },
      { type: 'disk-fault', at: 200, node: 2, fault: 'fsync-eio', count: 3, for: 300 },
      { type: 'disk-fault', at: 200, node: 3, fault: 'fsync-eio', count: 3 },
    ]);
    at(h, 1_200); // 2 was down through the fault and its undo, and was restarted after it
    expect(h.hosts.state(2)).toBe('up');
    expect(fsyncs(h, 2)).toBe(true);
    expect(fsyncs(h, 3)).toBe(false); // no `for`: still failing …
    const cleared = h.trace.events().filter((e) => e.kind === 'disk.clear-injected').map((e) => [e.host, e.fields.fsync]);
    expect(cleared).toEqual([[2, 3]]);
    h.nemesis.healAll(); // … until the liveness phase clears it
    expect(h.trace.events().filter((e) => e.kind === 'disk.clear-injected').map((e) => [e.host, e.fields.fsync])).toEqual([[2, 3], [3, 2]]);
    expect(fsyncs(h, 3)).toBe(true);
  });

  it('write ENOSPC and read EIO are cleared the same way; a disk nobody injected into is left alone', () => {
    const h = harness();
    h.nemesis.schedule([
      { type: 'disk-fault', at: 100, node: 1, fault: 'write-enospc', count: 2, for: 100 },
      { type: 'disk-fault', at: 100, node: 2, fault: 'read-eio', count: 2, for: 100 },
      { type: 'disk-fault', at: 100, node: 3, fault: 'disk-full', for: 100 },
    ]);
    at(h, 150);
    expect(h.disks.of(1).create('w').ok && h.disks.of(1).append('w', new Uint8Array([1])).ok).toBe(false);
    at(h, 250);
    expect(h.disks.of(1).append('w', new Uint8Array([1])).ok).toBe(true);
    expect(fsyncs(h, 2) && h.disks.of(2).read('f', 0, 1).ok).toBe(true);
    expect(h.trace.events().filter((e) => e.kind === 'disk.clear-injected').map((e) => e.host)).toEqual([1, 2]);
  });

  it('a link delay slows one direction until undone; nested delays on a link unwind to the network\'s', () => {
    const h = harness();
    const base = h.network.delayModel(3, 1);
    h.nemesis.schedule([
      { type: 'link-delay', at: 100, from: 3, to: 1, delay: { kind: 'fixed', us: 4_000_000 }, for: 1_000 },
      { type: 'link-delay', at: 200, from: 3, to: 1, delay: { kind: 'fixed', us: 9_000 }, for: 200 },
      { type: 'link-delay', at: 300, from: 'leader', to: 2, delay: { kind: 'uniform', minUs: 1_000, maxUs: 5_000 } },
    ]);
    at(h, 150);
    expect(h.network.delayModel(3, 1)).toEqual({ kind: 'fixed', us: 4_000_000 });
    expect(h.network.delayModel(1, 3)).toEqual(base);
    at(h, 350);
    expect(h.network.delayModel(3, 1)).toEqual({ kind: 'fixed', us: 9_000 });
    expect(h.network.delayModel(1, 2)).toEqual({ kind: 'uniform', minUs: 1_000, maxUs: 5_000 });
    at(h, 450);
    expect(h.network.delayModel(3, 1)).toEqual({ kind: 'fixed', us: 4_000_000 });
    at(h, 1_150);
    expect(h.network.delayModel(3, 1)).toEqual(base);
    expect(h.network.delayModel(1, 2)).toEqual({ kind: 'uniform', minUs: 1_000, maxUs: 5_000 });
    h.nemesis.healAll();
    expect(h.network.delayModel(1, 2)).toEqual(base);
    expect(h.nemesis.records().map((r) => r.label)).toEqual(['delay 3 → 1: fixed 4000 ms', 'delay 3 → 1: fixed 9 ms', 'delay 1 → 2: uniform 1–5 ms']);
  });
});

describe('generated fault mix', () => {
  const withMix = (over: Partial<Scenario['nemesis']>): Scenario => ({ ...SCENARIO_DEFAULTS, nemesis: { ...SCENARIO_DEFAULTS.nemesis, intervalMs: 300, kinds: { partition: 1, 'one-way': 1, crash: 1, pause: 1, 'disk-fault': 1, clock: 1, 'crash-point': 1, 'transfer-leader': 1 }, ...over } });
  const POINTS = ['raftAfterSave'];

  it('is a function of the seed, within [startMs, end), and resolves as a valid scenario', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (seed) => {
        const s = withMix({});
        const a = generateFaultMix(s, createRandom(seed).fork('nemesis/mix'), POINTS);
        expect(generateFaultMix(s, createRandom(seed).fork('nemesis/mix'), POINTS)).toEqual(a);
        expect(a.every((f) => f.at > s.nemesis.startMs && f.at < s.durationMs)).toBe(true);
        const m = materialize(s, a);
        const r = resolveScenario(m, { source: 'mix', crashPoints: POINTS });
        expect(r.ok ? 'ok' : r.error).toBe('ok');
      }),
      { numRuns: 40 },
    );
  });

  it('draws only the kinds with a weight, and nothing when the interval is 0', () => {
    const onlyPause = withMix({ kinds: { partition: 0, 'one-way': 0, crash: 0, pause: 1, 'disk-fault': 0, clock: 0, 'crash-point': 0, 'transfer-leader': 0 } });
    const faults = generateFaultMix(onlyPause, createRandom(3).fork('nemesis/mix'), POINTS);
    expect(faults.length).toBeGreaterThan(10);
    expect(new Set(faults.map((f) => f.type))).toEqual(new Set(['pause']));
    expect(generateFaultMix(withMix({ intervalMs: 0 }), createRandom(3), POINTS)).toEqual([]);
  });
});

/** Disks of fixed latencies (fsync 1 ms), so a stalled fsync's latency is exact. */
const FIXED_DISKS: DisksOptions = { latency: { read: { kind: 'fixed', us: 50 }, write: { kind: 'fixed', us: 10 }, fsync: { kind: 'fixed', us: 1_000 }, meta: { kind: 'fixed', us: 20 } } };

function stallHarness() {
  const h = harness(() => 1, FIXED_DISKS);
  /** How long an fsync on `id` takes if issued now. */
  const fsyncUs = (id: HostId): number => {
    const d = h.disks.of(id);
    if (d.open('f').ok !== true) d.create('f');
    return d.fsync('f').latencyUs;
  };
  return { ...h, fsyncUs };
}

describe('disk-stall: the nemesis', () => {
  it('stalls the resolved member\'s fsyncs until the stall ends, nests stalls on one disk, and undoes each after `for`', () => {
    const h = stallHarness();
    h.nemesis.schedule([
      { type: 'disk-stall', at: 100, node: 'leader', for: 1_000 },
      { type: 'disk-stall', at: 300, node: 1, for: 2_000 },
      { type: 'disk-stall', at: 400, node: 2, for: 200 },
    ]);
    at(h, 200);
    expect(h.fsyncUs(1)).toBe(900_000); // returns at 1.1 s
    expect(h.fsyncUs(2)).toBe(1_000);
    at(h, 500);
    expect(h.fsyncUs(1)).toBe(1_800_000); // the later end holds: 2.3 s
    expect(h.fsyncUs(2)).toBe(100_000);
    at(h, 1_200); // the first stall on 1 is undone, the second still holds
    expect(h.fsyncUs(1)).toBe(1_100_000);
    expect(h.fsyncUs(2)).toBe(1_000);
    at(h, 2_400);
    expect(h.fsyncUs(1)).toBe(1_000);
    const labels = h.trace.events().filter((e) => e.kind === 'nemesis.disk-stall').map((e) => e.fields.label);
    expect(labels).toEqual(['stall the disk of 1 (the leader): fsyncs wait 1000 ms', 'stall the disk of 1: fsyncs wait 2000 ms', 'stall the disk of 2: fsyncs wait 200 ms']);
    expect(h.trace.events().filter((e) => e.kind === 'nemesis.undo').length).toBe(3);
    expect(h.nemesis.records().map((r) => [r.kind, r.hosts, r.atUs, r.untilUs])).toEqual([
      ['disk-stall', [1], 100_000, 1_100_000],
      ['disk-stall', [1], 300_000, 2_300_000],
      ['disk-stall', [2], 400_000, 600_000],
    ]);
  });

  it('the liveness phase ends every stall at once', () => {
    const h = stallHarness();
    h.nemesis.schedule([{ type: 'disk-stall', at: 100, node: 3, for: 60_000 }]);
    at(h, 500);
    expect(h.fsyncUs(3)).toBe(59_600_000);
    h.nemesis.healAll();
    expect(h.fsyncUs(3)).toBe(1_000);
    expect(h.disks.of(3).stalledUntilUs).toBe(500_000);
    expect(h.nemesis.records().map((r) => r.untilUs)).toEqual([500_000]);
  });
});
