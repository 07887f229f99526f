import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDisks, DISK_DEFAULTS, type DiskFaults, type DiskOptions } from './disk.js';
import { createHosts } from './host.js';
import { createRandom } from './random.js';
import { createKernel } from './kernel.js';

function world(options: Partial<Omit<DiskOptions, 'faults'>> & { faults?: Partial<DiskFaults> } = {}, seed = 1) {
  const k = createKernel({ seed });
  const hosts = createHosts(k);
  hosts.add(1);
  hosts.start(1, () => null);
  const disks = createDisks(k, hosts, options);
  const disk = disks.of(1);
  const crash = (): void => {
    hosts.crash(1);
    hosts.restart(1);
  };
  return { k, hosts, disks, disk, crash };
}

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

/** A content operation on one of two files, as fast-check draws it. */
type Op =
  | { readonly kind: 'write'; readonly file: number; readonly offset: number; readonly length: number; readonly fill: number }
  | { readonly kind: 'append'; readonly file: number; readonly length: number; readonly fill: number }
  | { readonly kind: 'truncate'; readonly file: number; readonly size: number }
  | { readonly kind: 'fsync'; readonly file: number };

const FILES = ['wal/a', 'b'];
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), file: fc.nat(1), offset: fc.nat(3000), length: fc.integer({ min: 1, max: 1500 }), fill: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('append' as const), file: fc.nat(1), length: fc.integer({ min: 1, max: 1500 }), fill: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), file: fc.nat(1), size: fc.nat(4000) }),
  fc.record({ kind: fc.constant('fsync' as const), file: fc.nat(1) }),
);

/** The model: plain arrays of the current and the durable contents. */
class Model {
  current: number[][] = [[], []];
  durable: number[][] = [[], []];
  apply(o: Op): void {
    const f = this.current[o.file] as number[];
    if (o.kind === 'write' || o.kind === 'append') {
      const offset = o.kind === 'write' ? o.offset : f.length;
      while (f.length < offset) f.push(0);
      for (let i = 0; i < o.length; i++) f[offset + i] = o.fill;
    } else if (o.kind === 'truncate') {
      f.length = Math.min(f.length, o.size);
      while (f.length < o.size) f.push(0);
    } else {
      this.durable[o.file] = [...f];
    }
  }
}

function runOps(disk: ReturnType<typeof world>['disk'], ops: readonly Op[], model: Model): void {
  for (const o of ops) {
    const path = FILES[o.file] as string;
    const r =
      o.kind === 'write'
        ? disk.write(path, o.offset, bytes(o.length, o.fill))
        : o.kind === 'append'
          ? disk.append(path, bytes(o.length, o.fill))
          : o.kind === 'truncate'
            ? disk.truncate(path, o.size)
            : disk.fsync(path);
    expect(r.ok).toBe(true);
    model.apply(o);
  }
  FILES.forEach((p, i) => expect(same(disk.peek(p), model.current[i] as number[]), `${p} after the ops`).toBe(true));
}

/** Byte-for-byte equality of stored contents and a model array (cheaper than a deep toEqual). */
function same(stored: Uint8Array | undefined, model: readonly number[]): boolean {
  if (stored === undefined || stored.length !== model.length) return false;
  for (let i = 0; i < model.length; i++) if (stored[i] !== model[i]) return false;
  return true;
}

function setUp(disk: ReturnType<typeof world>['disk']): void {
  for (const p of FILES) disk.create(p);
  disk.fsyncDir('');
  disk.fsyncDir('wal');
}

describe('disk', () => {
  it('after a crash every file holds exactly what its last fsync made durable', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const { disk, crash } = world();
        setUp(disk);
        const model = new Model();
        runOps(disk, ops, model);
        crash();
        FILES.forEach((p, i) => expect(same(disk.peek(p), model.durable[i] as number[]), p).toBe(true));
        expect(disk.pendingWrites('b') + disk.pendingWrites('wal/a')).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it('a torn write keeps only a sector-aligned prefix of the last pending write, never other pending data', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 30 }), fc.integer(), (ops, seed) => {
        const { disk, crash, k } = world({ faults: { tornWriteRate: 1 } }, seed);
        setUp(disk);
        const model = new Model();
        runOps(disk, ops, model);
        // The last pending change, if any file has one, is the last op after the last fsync of its file.
        const last = [...ops].reverse().find((o, i, rev) => o.kind !== 'fsync' && !rev.slice(0, i).some((x) => x.kind === 'fsync' && x.file === o.file));
        crash();
        const ev = k.trace.events().find((e) => e.kind === 'disk.crash');
        FILES.forEach((p, i) => {
          const durable = model.durable[i] as number[];
          if (ev?.fields.torn !== true || last === undefined || last.file !== i) {
            expect(same(disk.peek(p), durable), p).toBe(true);
            return;
          }
          // Torn: durable contents with [offset, cut) of the last write on top, cut on a sector boundary inside it.
          if (last.kind !== 'write' && last.kind !== 'append') return expect.unreachable('only a write can tear');
          const offset = ev.fields.offset as number;
          const cut = offset + (ev.fields.keptBytes as number);
          expect(cut % 512).toBe(0);
          expect(cut).toBeGreaterThan(offset);
          if (last.kind === 'write') expect(offset).toBe(last.offset);
          expect(cut).toBeLessThan(offset + last.length);
          const expected = [...durable];
          while (expected.length < cut) expected.push(0);
          for (let j = offset; j < cut; j++) expected[j] = last.fill;
          expect(same(disk.peek(p), expected), p).toBe(true);
        });
        // If the last pending change was a write crossing a sector boundary, it must have torn (rate 1).
        if (last !== undefined && last.kind !== 'truncate' && last.kind !== 'fsync') {
          const offset = last.kind === 'write' ? last.offset : -1;
          if (offset >= 0 && Math.floor(offset / 512) !== Math.floor((offset + last.length - 1) / 512)) expect(ev?.fields.torn).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('a file whose directory was never fsynced vanishes at a crash, even if the file was', () => {
    const { disk, crash } = world();
    disk.create('snap/0001.snap');
    disk.append('snap/0001.snap', text('snapshot'));
    disk.fsync('snap/0001.snap');
    disk.create('snap/0002.snap');
    disk.append('snap/0002.snap', text('kept'));
    disk.fsync('snap/0002.snap');
    disk.fsyncDir('snap');
    disk.create('snap/0003.snap');
    crash();
    expect(disk.names()).toEqual(['snap/0001.snap', 'snap/0002.snap']);
    expect(str(disk.peek('snap/0002.snap'))).toBe('kept');
  });

  it('renames and removes are pending until the directory is fsynced', () => {
    const { disk, crash } = world();
    disk.create('wal/0.tmp');
    disk.append('wal/0.tmp', text('segment'));
    disk.fsync('wal/0.tmp');
    disk.fsyncDir('wal');
    disk.rename('wal/0.tmp', 'wal/0001.wal');
    crash();
    expect(disk.names()).toEqual(['wal/0.tmp']);
    disk.rename('wal/0.tmp', 'wal/0001.wal');
    disk.fsyncDir('wal');
    disk.remove('wal/0001.wal');
    crash();
    expect(disk.names()).toEqual(['wal/0001.wal']);
    expect(str(disk.peek('wal/0001.wal'))).toBe('segment');
    expect(disk.list('wal')).toMatchObject({ ok: true, names: ['0001.wal'] });
  });

  it('ENOSPC writes nothing: not past the capacity, not when injected, not at the fault rate', () => {
    const { disk } = world({ capacityBytes: 1000 });
    disk.create('a');
    expect(disk.append('a', bytes(900, 1)).ok).toBe(true);
    const before = disk.peek('a');
    expect(disk.append('a', bytes(101, 2))).toMatchObject({ ok: false, error: 'ENOSPC' });
    expect(disk.write('a', 950, bytes(60, 3))).toMatchObject({ ok: false, error: 'ENOSPC' });
    expect(disk.truncate('a', 1001)).toMatchObject({ ok: false, error: 'ENOSPC' });
    // Overwriting within the file needs no space.
    expect(disk.write('a', 0, bytes(10, 4)).ok).toBe(true);
    disk.failNext('write', 'ENOSPC');
    expect(disk.write('a', 0, bytes(10, 5))).toMatchObject({ ok: false, error: 'ENOSPC' });
    expect([...(disk.peek('a') as Uint8Array)]).toEqual([...bytes(10, 4), ...(before as Uint8Array).slice(10)]);
    expect(disk.usedBytes).toBe(900);
    disk.setCapacity(Number.POSITIVE_INFINITY);
    expect(disk.append('a', bytes(5000, 6)).ok).toBe(true);

    const full = world({ faults: { noSpaceRate: 1 } }).disk;
    full.create('x');
    expect(full.append('x', bytes(1, 1))).toMatchObject({ ok: false, error: 'ENOSPC' });
    expect(full.peek('x')).toEqual(new Uint8Array(0));
  });

  it('a bit flip changes exactly the byte and bit it reports', () => {
    fc.assert(
      fc.property(fc.integer(), fc.nat(999), fc.integer({ min: 1, max: 1000 }), (seed, offset, length) => {
        const { disk, k } = world({ faults: { bitFlipRate: 1 } }, seed);
        disk.create('f');
        disk.append('f', createRandom(seed).shuffle(Array.from({ length: 2000 }, (_, i) => i % 256)).reduce((b, x, i) => ((b[i] = x), b), new Uint8Array(2000)));
        const before = disk.peek('f') as Uint8Array;
        const r = disk.read('f', offset, length);
        const ev = k.trace.events().find((e) => e.kind === 'disk.bitflip');
        expect(ev).toBeDefined();
        const at = ev?.fields.offset as number;
        const bit = ev?.fields.bit as number;
        expect(at).toBeGreaterThanOrEqual(offset);
        expect(at).toBeLessThan(offset + length);
        const after = disk.peek('f') as Uint8Array;
        const changed = [...after.keys()].filter((i) => after[i] !== before[i]);
        expect(changed).toEqual([at]);
        expect((after[at] as number) ^ (before[at] as number)).toBe(1 << bit);
        // The read that found the flip returns it.
        expect(r.ok && r.bytes[at - offset]).toBe(after[at]);
      }),
      { numRuns: 50 },
    );
    const { disk } = world();
    disk.create('g');
    disk.append('g', text('abc'));
    disk.flipBit('g', 1, 0);
    expect(str(disk.peek('g'))).toBe('acc');
    expect(() => disk.flipBit('g', 3, 0)).toThrow(/outside/);
  });

  it('an fsync error leaves the data pending (lost at a crash); read errors fail the read only', () => {
    const { disk, crash } = world();
    disk.create('a');
    disk.fsyncDir('');
    disk.append('a', text('one'));
    disk.fsync('a');
    disk.append('a', text('two'));
    disk.failNext('fsync');
    expect(disk.fsync('a')).toMatchObject({ ok: false, error: 'EIO' });
    expect(str(disk.peek('a'))).toBe('onetwo');
    disk.failNext('read');
    expect(disk.readAll('a')).toMatchObject({ ok: false, error: 'EIO' });
    const r = disk.readAll('a');
    expect(r.ok && str(r.bytes)).toBe('onetwo');
    crash();
    expect(str(disk.peek('a'))).toBe('one');

    const flaky = world({ faults: { fsyncErrorRate: 0.5, readErrorRate: 0.5 } }, 3).disk;
    flaky.create('f');
    let fsyncFails = 0;
    let readFails = 0;
    for (let i = 0; i < 2000; i++) {
      if (!flaky.fsync('f').ok) fsyncFails++;
      if (!flaky.read('f', 0, 1).ok) readFails++;
    }
    expect(Math.abs(fsyncFails / 2000 - 0.5)).toBeLessThan(0.05);
    expect(Math.abs(readFails / 2000 - 0.5)).toBeLessThan(0.05);
  });

  it('clearInjected drops the injected faults still waiting (they outlive a crash otherwise), traced; rates and capacity stay', () => {
    const { disk, crash, k } = world();
    disk.create('a');
    disk.failNext('fsync', 'EIO', 3);
    disk.failNext('read', 'EIO', 2);
    disk.failNext('write');
    crash();
    // A restart does not heal the device: the first injected fsync error is still waiting.
    disk.create('a');
    expect(disk.fsync('a')).toMatchObject({ ok: false, error: 'EIO' });
    expect(disk.clearInjected()).toBe(5);
    expect(k.trace.events().filter((e) => e.kind === 'disk.clear-injected').map((e) => e.fields)).toEqual([{ fsync: 2, read: 2, write: 1 }]);
    expect(disk.append('a', text('x')).ok).toBe(true);
    expect(disk.fsync('a').ok).toBe(true);
    expect(disk.read('a', 0, 1).ok).toBe(true);
    expect(disk.clearInjected()).toBe(0);

    const full = world({ capacityBytes: 4, faults: { fsyncErrorRate: 1 } }).disk;
    full.create('f');
    full.failNext('read');
    expect(full.clearInjected()).toBe(1);
    expect(full.fsync('f')).toMatchObject({ ok: false, error: 'EIO' });
    expect(full.append('f', text('12345'))).toMatchObject({ ok: false, error: 'ENOSPC' });
  });

  it('returns each operation’s latency, draws it per kind, and keeps the disk across incarnations', () => {
    const { disk, crash, disks } = world({ latency: { read: { kind: 'fixed', us: 7 }, write: { kind: 'fixed', us: 3 }, fsync: { kind: 'uniform', minUs: 900, maxUs: 1100 }, meta: { kind: 'fixed', us: 1 } } });
    expect(disk.create('a').latencyUs).toBe(1);
    expect(disk.append('a', text('x')).latencyUs).toBe(3);
    expect(disk.read('a', 0, 1).latencyUs).toBe(7);
    const f = disk.fsync('a').latencyUs;
    expect(f).toBeGreaterThanOrEqual(900);
    expect(f).toBeLessThanOrEqual(1100);
    disk.fsyncDir('');
    crash();
    expect(disks.of(1)).toBe(disk);
    expect(str(disk.peek('a'))).toBe('x');
  });

  it('a stall makes every fsync issued before its end complete no earlier than the end; after it, the disk\'s own latency', () => {
    const { disk, k, crash } = world({ latency: { ...DISK_DEFAULTS.latency, fsync: { kind: 'uniform', minUs: 900, maxUs: 1100 } } });
    disk.create('a');
    disk.append('a', text('x'));
    expect(disk.stalledUntilUs).toBe(0);
    disk.stall(5_000_000);
    // At t=0 the flush returns at the stall's end, not 5 s plus its own latency.
    expect(disk.fsync('a')).toMatchObject({ ok: true, latencyUs: 5_000_000 });
    expect(disk.fsyncDir('')).toMatchObject({ ok: true, latencyUs: 5_000_000 });
    // Late in the stall: still the stall's end, however late the flush was issued.
    k.scheduler.runUntil(4_000_000);
    expect(k.scheduler.now).toBe(4_000_000);
    expect(disk.fsync('a').latencyUs).toBe(1_000_000);
    // A stall outlives a crash (it is the device's), and writes and reads are not slowed.
    crash();
    expect(disk.append('a', text('y')).latencyUs).toBeLessThan(1_000);
    expect(disk.fsync('a').latencyUs).toBe(1_000_000);
    // In its last microseconds the flush's own latency wins.
    k.scheduler.runUntil(4_999_500);
    const near = disk.fsync('a').latencyUs;
    expect(near).toBeGreaterThanOrEqual(900);
    expect(near).toBeLessThanOrEqual(1100);
    k.scheduler.runUntil(5_000_500);
    for (let i = 0; i < 20; i++) {
      const l = disk.fsync('a').latencyUs;
      expect(l).toBeGreaterThanOrEqual(900);
      expect(l).toBeLessThanOrEqual(1100);
    }
    // Ended early: the disk's own latency at once.
    disk.stall(k.scheduler.now + 3_000_000);
    expect(disk.fsync('a').latencyUs).toBe(3_000_000);
    disk.stall(k.scheduler.now);
    expect(disk.fsync('a').latencyUs).toBeLessThanOrEqual(1100);
    expect(k.trace.events().filter((e) => e.kind === 'disk.stall').map((e) => e.fields.untilUs)).toEqual([5_000_000, k.scheduler.now + 3_000_000, k.scheduler.now]);
    expect(() => disk.stall(-1)).toThrow(/stall end/);
  });

  it('a stall draws the same latencies as no stall: other streams and later draws do not shift', () => {
    const draws = (stallUs: number): number[] => {
      const { disk } = world({ latency: { ...DISK_DEFAULTS.latency, fsync: { kind: 'uniform', minUs: 900, maxUs: 1100 } } }, 7);
      disk.create('a');
      disk.stall(stallUs);
      disk.fsync('a');
      disk.stall(0);
      return [0, 1, 2, 3].map(() => disk.fsync('a').latencyUs);
    };
    expect(draws(10_000_000)).toEqual(draws(0));
  });

  it('answers missing files with ENOENT, taken names with EEXIST, and refuses writes from a crashed host', () => {
    const { disk, hosts } = world();
    expect(disk.open('nope')).toMatchObject({ ok: false, error: 'ENOENT' });
    expect(disk.append('nope', text('x'))).toMatchObject({ ok: false, error: 'ENOENT' });
    expect(disk.create('a').ok).toBe(true);
    expect(disk.create('a')).toMatchObject({ ok: false, error: 'EEXIST' });
    expect(disk.write('a', 4, text('z')).ok).toBe(true);
    expect(disk.open('a')).toMatchObject({ ok: true, sizeBytes: 5 });
    expect([...(disk.peek('a') as Uint8Array)]).toEqual([0, 0, 0, 0, 122]);
    expect(disk.read('a', 3, 10)).toMatchObject({ ok: true, bytes: new Uint8Array([0, 122]) });
    expect(disk.read('a', 9, 10)).toMatchObject({ ok: true, bytes: new Uint8Array(0) });
    expect(() => disk.create('/abs')).toThrow(/bad path/);
    hosts.crash(1);
    expect(() => disk.append('a', text('x'))).toThrow(/while down/);
    expect(() => createDisks(createKernel({ seed: 1 }), hosts, { faults: { tornWriteRate: 2 } })).toThrow(/tornWriteRate/);
  });
});
