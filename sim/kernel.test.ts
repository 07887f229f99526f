/** createKernel and createWorld: every option reaches the part it belongs to, and the parts are wired to the hosts. */
import { describe, expect, it } from 'vitest';
import { EventBudgetExceeded } from './scheduler.js';
import { createKernel, createWorld } from './kernel.js';
import { createRandom } from './random.js';

describe('createKernel', () => {
  it('roots the random streams in the seed and passes scheduler and trace options on', () => {
    const k = createKernel({ seed: 5, scheduler: { eventBudget: 10 }, trace: { mode: 'hash-only' } });
    expect(k.random.fork('x').float()).toBe(createRandom(5).fork('x').float());
    expect(k.trace.mode).toBe('hash-only');
    expect(createKernel({ seed: 5 }).trace.mode).toBe('keep');
    const loop = (): void => void k.scheduler.schedule(1, loop);
    k.scheduler.schedule(0, loop);
    expect(() => k.scheduler.runUntil(1_000)).toThrow(EventBudgetExceeded);
  });
});

describe('createWorld', () => {
  it('registers the hosts with their options and passes network and disk options on', () => {
    const k = createKernel({ seed: 1 });
    const w = createWorld<null, string>(k, {
      hosts: [3, 1, 2],
      hostOptions: (id) => (id === 2 ? { clock: { rate: 0.5, offsetUs: 0 } } : {}),
      network: { lossRatio: 0.25 },
      disks: { capacityBytes: 8 },
    });
    expect(w.hosts.ids()).toEqual([1, 2, 3]);
    expect(w.hosts.clock(2).rate).toBe(0.5);
    expect(w.hosts.clock(1).rate).toBe(1);
    expect(w.network.options.lossRatio).toBe(0.25);
    w.hosts.start(1, () => null);
    const disk = w.disks.of(1);
    expect(disk.create('f').ok).toBe(true);
    const full = disk.append('f', new Uint8Array(16));
    expect(full.ok ? 'ok' : full.error).toBe('ENOSPC');
  });

  it('wires the disks to the hosts: a crash discards what was not fsynced', () => {
    const k = createKernel({ seed: 1 });
    const w = createWorld<null, string>(k, { hosts: [1, 2] });
    for (const id of [1, 2]) w.hosts.start(id, () => null);
    const disk = w.disks.of(1);
    disk.create('f');
    disk.fsyncDir('');
    disk.append('f', new Uint8Array(4));
    w.hosts.crash(1);
    w.hosts.restart(1, () => null);
    const after = disk.open('f');
    expect(after.ok ? after.sizeBytes : -1).toBe(0);
    expect(k.trace.events().some((e) => e.kind === 'host.crash' && e.host === 1)).toBe(true);
  });
});
