import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDisks, type Disk, type DisksOptions } from '../../sim/disk.js';
import { createHosts } from '../../sim/host.js';
import { createKernel } from '../../sim/kernel.js';
import { BACKEND_CRASH_POINTS, Backend, type BackendCrashPoint, type BackendOptions, type Bucket } from './backend.js';

function world(disk: DisksOptions = {}, seed = 1) {
  const k = createKernel({ seed });
  const hosts = createHosts(k);
  hosts.add(1);
  hosts.start(1, () => null);
  const disks = createDisks(k, hosts, disk);
  return {
    disk: disks.of(1),
    crash: (): void => {
      hosts.crash(1);
      hosts.restart(1);
    },
    kill: (): void => hosts.crash(1),
    restart: (): void => { hosts.restart(1); },
  };
}

function open(disk: Disk, o: Partial<BackendOptions> = {}): Backend {
  const r = Backend.open(disk, o);
  if (!r.ok) throw new Error(r.error);
  return r.backend;
}

/** Every bucket's pairs, as a plain object (the model's shape). */
function dump(b: Backend): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const bucket of ['key', 'meta', 'lease', 'alarm', 'members'] as const) {
    const m: Record<string, string> = {};
    b.forEach(bucket, (k, v) => { m[k] = v; });
    out[bucket] = m;
  }
  return out;
}

type Model = Record<string, Record<string, string>>;
/** A model as canonical text (keys sorted), for comparing states. */
const canon = (m: Model): string => JSON.stringify(Object.fromEntries(Object.entries(m).map(([b, kv]) => [b, Object.fromEntries(Object.entries(kv).sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0)))])));
const emptyModel = (): Model => ({ key: {}, meta: {}, lease: {}, alarm: {}, members: {} });

describe('backend', () => {
  it('reads see the batch at once; a crash loses what was not committed', () => {
    const w = world();
    const b = open(w.disk);
    b.put('key', 'r1', 'a');
    b.put('meta', 'consistent_index', '7');
    expect(b.get('key', 'r1')).toBe('a');
    expect(b.commit('force').ok).toBe(true);
    b.put('key', 'r2', 'b');
    expect(b.range('key', 'r', undefined)).toEqual([['r1', 'a'], ['r2', 'b']]);
    w.crash();
    const again = open(w.disk);
    expect(dump(again).key).toEqual({ r1: 'a' });
    expect(again.get('meta', 'consistent_index')).toBe('7');
  });

  it('commits by itself at the batch limit and on a delete (etcd PR #17119), not before', () => {
    const w = world();
    const b = open(w.disk, { batchLimit: 3 });
    b.put('key', 'a', '1');
    b.put('key', 'b', '1');
    expect(b.unlock().ok).toBe(true);
    expect(b.commitCount).toBe(0);
    b.put('key', 'c', '1');
    b.unlock();
    expect(b.commitCount).toBe(1);
    b.delete('key', 'a');
    b.unlock();
    expect(b.commitCount).toBe(2);
    w.crash();
    expect(dump(open(w.disk)).key).toEqual({ b: '1', c: '1' });
  });

  it('writes whole pages and commits data before the meta page', () => {
    const w = world({ traceOps: true });
    const b = open(w.disk, { pageBytes: 4096 });
    b.put('key', 'k', 'x'.repeat(5000));
    const writes: { offset: number; bytes: number }[] = [];
    const fsyncs: number[] = [];
    const spy: Disk = new Proxy(w.disk, {
      get(target, prop, recv) {
        if (prop === 'write') return (p: string, off: number, data: Uint8Array) => { writes.push({ offset: off, bytes: data.length }); return target.write(p, off, data); };
        if (prop === 'fsync') return (p: string) => { fsyncs.push(writes.length); return target.fsync(p); };
        return Reflect.get(target, prop, recv) as unknown;
      },
    });
    // A backend over the spy, on the same file.
    const b2 = open(spy);
    b2.put('key', 'k', 'x'.repeat(5000));
    expect(b2.commit('force').ok).toBe(true);
    expect(writes.every((x) => x.bytes === 4096 && x.offset % 4096 === 0)).toBe(true);
    // Two data pages, fsync, the meta page (page 1 for txid 1), fsync.
    expect(writes.map((x) => x.offset / 4096)).toEqual([2, 3, 1]);
    expect(fsyncs).toEqual([2, 3]);
    expect(b.pending).toBe(1);
  });

  it('a torn or rotten newest meta page falls back to the other one', () => {
    const w = world();
    const b = open(w.disk);
    b.put('key', 'a', '1');
    b.commit('force');
    b.put('key', 'b', '2');
    b.commit('force'); // txid 2 → meta page 0
    w.disk.flipBit('member/snap/db', 9, 3); // inside page 0's txid field
    const r = Backend.open(w.disk);
    expect(r.ok && r.fellBack).toBe(true);
    expect(r.ok && dump(r.backend).key).toEqual({ a: '1' });
    // The next commit takes the broken page's place.
    if (!r.ok) return;
    r.backend.put('key', 'c', '3');
    expect(r.backend.commit('force').ok).toBe(true);
    const again = Backend.open(w.disk);
    expect(again.ok && again.fellBack).toBe(false);
    expect(again.ok && dump(again.backend).key).toEqual({ a: '1', c: '3' });
  });

  it('refuses a file whose committed data fails its checksum under both meta pages', () => {
    const w = world();
    const b = open(w.disk);
    b.put('key', 'a', '1');
    b.commit('force');
    b.put('key', 'b', '2');
    b.commit('force');
    w.disk.flipBit('member/snap/db', 2 * 4096 + 25, 0); // the first record's payload
    const r = Backend.open(w.disk);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/checksum/);
  });

  it('defragment copies the live data into a new file and renames it over the old one', () => {
    const w = world();
    const b = open(w.disk);
    for (let i = 0; i < 50; i++) {
      b.put('key', `k${i}`, 'v'.repeat(300));
      b.commit('force');
    }
    for (let i = 0; i < 45; i++) b.delete('key', `k${i}`);
    b.commit('force');
    const before = b.sizeBytes;
    expect(b.defragment().ok).toBe(true);
    expect(b.sizeBytes).toBeLessThan(before / 10);
    b.put('key', 'after', '1');
    b.commit('force');
    w.crash();
    const again = open(w.disk);
    expect(Object.keys(dump(again).key ?? {}).sort()).toEqual(['after', 'k45', 'k46', 'k47', 'k48', 'k49']);
  });

  it.each(['defragBeforeCopy', 'defragBeforeRename'] as const)('a crash at %s keeps the old file, whole', (point) => {
    const w = world();
    let armed = false;
    const b = open(w.disk, { crashPoint: (n) => { if (armed && n === point) { w.kill(); return true; } return false; } });
    b.put('key', 'a', '1');
    b.commit('force');
    b.delete('key', 'a');
    b.put('key', 'b', '2');
    armed = true;
    const r = b.defragment(); // commits the batch first, then crashes
    expect(r.ok).toBe(false);
    w.restart();
    expect(dump(open(w.disk)).key).toEqual({ b: '2' });
  });

  /**
   * The property: transactions of random puts and deletes, committed one by one; the host crashes
   * before the n-th disk call (or at a named crash point), possibly tearing the write in flight,
   * and then perhaps a bit of a meta page rots. Reopened, the file holds exactly the state of the
   * last commit that returned, or of the one in flight — never a mix, never an error.
   */
  it('property: a crash anywhere leaves the previous committed state or the new one', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd', 'e');
    const opArb = fc.record({ bucket: fc.constantFrom<Bucket>('key', 'meta', 'lease'), key, value: fc.option(fc.string({ maxLength: 3000 }), { nil: null }) });
    fc.assert(
      fc.property(
        fc.array(fc.array(opArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 }),
        fc.nat(60),
        fc.option(fc.constantFrom<BackendCrashPoint>(...BACKEND_CRASH_POINTS), { nil: undefined }),
        fc.boolean(),
        fc.integer({ min: 1, max: 1000 }),
        (txns, crashAtCall, crashPoint, rot, seed) => {
          const w = world({ faults: { tornWriteRate: 1 } }, seed);
          let calls = 0;
          let dead = false;
          const counting: Disk = new Proxy(w.disk, {
            get(target, prop, recv) {
              const v = Reflect.get(target, prop, recv) as unknown;
              if (typeof v !== 'function' || !['write', 'fsync', 'fsyncDir', 'create', 'rename', 'remove'].includes(prop as string)) return typeof v === 'function' ? v.bind(target) : v;
              return (...args: unknown[]) => {
                if (!dead && crashPoint === undefined && calls++ === crashAtCall) {
                  dead = true;
                  w.kill();
                }
                if (dead) return { ok: false, error: 'EIO', latencyUs: 0 };
                return (v as (...a: unknown[]) => unknown).apply(target, args);
              };
            },
          });
          let points = 0;
          const hook = (name: BackendCrashPoint): boolean => {
            if (dead || name !== crashPoint || points++ !== crashAtCall % 4) return false;
            dead = true;
            w.kill();
            return true;
          };
          const opened = Backend.open(counting, { crashPoint: hook });
          let committed = emptyModel();
          const history: Model[] = [committed];
          let inFlight: Model | null = null;
          if (opened.ok) {
            const b = opened.backend;
            const model = emptyModel();
            for (const ops of txns) {
              for (const op of ops) {
                const bucket = model[op.bucket] as Record<string, string>;
                if (op.value === null) {
                  b.delete(op.bucket, op.key);
                  delete bucket[op.key];
                } else {
                  b.put(op.bucket, op.key, op.value);
                  bucket[op.key] = op.value;
                }
              }
              inFlight = structuredClone(model);
              const c = b.unlock();
              const r = c.ok && b.pending > 0 ? b.commit('force') : c;
              if (!r.ok) break;
              committed = inFlight;
              history.push(committed);
              inFlight = null;
            }
          }
          if (!dead) w.kill();
          w.restart();
          if (rot) {
            // Rot one bit of one meta page: the other one must carry the day.
            const bytes = w.disk.peek('member/snap/db');
            if (bytes !== undefined && bytes.length >= 8192) w.disk.flipBit('member/snap/db', (seed % 2) * 4096 + 12, seed % 8);
          }
          const again = Backend.open(w.disk);
          // Rot on one meta page while the crash tore the other is a double fault: refused, by name.
          if (rot && !again.ok) {
            expect(again.error).toMatch(/both meta pages are invalid/);
            return;
          }
          expect(again.ok, again.ok ? '' : again.error).toBe(true);
          if (!again.ok) return;
          const got = canon(dump(again.backend));
          const allowed = [committed, ...(inFlight === null ? [] : [inFlight])];
          // A rotten meta page may roll back one commit more (the other meta page is all there is).
          if (rot && history.length >= 2) allowed.push(history[history.length - 2] as Model);
          expect(allowed.map(canon)).toContain(got);
        },
      ),
      { numRuns: 300, seed: 17 },
    );
  });
});
