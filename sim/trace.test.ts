import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTrace, renderEvent, renderTrace, type Fields, type TraceEvent } from './trace.js';

type Ev = [number, number | null, string, Fields];

const value = fc.oneof(fc.integer(), fc.double({ noNaN: true }), fc.string({ maxLength: 12 }), fc.boolean(), fc.maxSafeInteger());
const event = fc.tuple(
  fc.nat({ max: 2 ** 50 }),
  fc.option(fc.nat(10), { nil: null }),
  fc.constantFrom('net.deliver', 'raft.role', 'disk.write', 'x'),
  fc.dictionary(fc.constantFrom('a', 'term', 'from', 'path'), value, { maxKeys: 4 }),
);

function hashOf(events: readonly Ev[], mode: 'keep' | 'hash-only' = 'keep'): string {
  const t = createTrace({ mode });
  for (const [time, host, kind, fields] of events) t.emit(time, host, kind, fields);
  return t.hash();
}

describe('trace', () => {
  it('gives the same hash to the same events, kept or only hashed', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        expect(hashOf(events)).toBe(hashOf(events, 'hash-only'));
        expect(hashOf(events)).toMatch(/^[0-9a-f]{16}$/);
      }),
      { numRuns: 100 },
    );
  });

  it('changes the hash when any time, host, kind or field value changes', () => {
    const base: Ev[] = [
      [1204, 3, 'raft.role', { term: 7, role: 'leader' }],
      [1300, null, 'net.drop', { from: 1, to: 2, reason: 'cut' }],
    ];
    const h = hashOf(base);
    const variants: Ev[][] = [
      [[1205, 3, 'raft.role', { term: 7, role: 'leader' }], base[1] as Ev],
      [[1204, 2, 'raft.role', { term: 7, role: 'leader' }], base[1] as Ev],
      [[1204, null, 'raft.role', { term: 7, role: 'leader' }], base[1] as Ev],
      [[1204, 3, 'raft.rolf', { term: 7, role: 'leader' }], base[1] as Ev],
      [[1204, 3, 'raft.role', { term: 8, role: 'leader' }], base[1] as Ev],
      [[1204, 3, 'raft.role', { term: '7', role: 'leader' }], base[1] as Ev],
      [[1204, 3, 'raft.role', { term: 7, role: 'leader', extra: true }], base[1] as Ev],
      [[1204 + 2 ** 32, 3, 'raft.role', { term: 7, role: 'leader' }], base[1] as Ev],
      [base[0] as Ev],
      [base[1] as Ev, base[0] as Ev],
    ];
    const hashes = new Set([h, ...variants.map((v) => hashOf(v))]);
    expect(hashes.size).toBe(variants.length + 1);
  });

  it('tells apart values of different types and large or fractional numbers', () => {
    const one = (v: number | string | boolean): string => hashOf([[0, null, 'k', { v }]]);
    const hashes = new Set([one(1), one('1'), one(true), one(false), one(0), one(''), one(2 ** 40), one(2 ** 40 + 1), one(0.5), one(-1), one(-(2 ** 40))]);
    expect(hashes.size).toBe(11);
  });

  it('is pinned: the hash function must not change silently (old seeds would stop replaying)', () => {
    const t = createTrace({ mode: 'hash-only' });
    t.emit(0, null, 'run.start', { seed: 'abc' });
    t.emit(1204, 3, 'raft.role', { term: 7, role: 'leader', lease: false });
    t.emit(2 ** 40, 1, 'x', { f: 0.25, big: 2 ** 45, neg: -3 });
    expect(t.hash()).toBe(PINNED_HASH);
    expect(t.count).toBe(3);
  });

  it('is pinned past the string cache: one-off ids, cache overflow, big and fractional numbers (hash as of 7bc81fb)', () => {
    // How strings are cached (or not) must never change a hash: these events overflow the cache
    // (distinct strings), repeat strings, and use digit-ending ids that are never cached.
    const t = createTrace({ mode: 'hash-only' });
    for (let i = 0; i < 5000; i++) {
      t.emit(i, i % 7, 'k', { s: `key-${i}-x`, id: `${i % 5}.1.${i}`, again: i % 3 === 0 ? 'key-7-x' : 'put', big: 2 ** 33 + i, f: i / 8, neg: -(2 ** 34) - i });
    }
    expect(t.hash()).toBe('176467b5d8584ee3');
  });

  it('keeps a bounded ring of the latest events, filters kinds, and still hashes everything', () => {
    const all = createTrace();
    const ring = createTrace({ keepLast: 3 });
    const net = createTrace({ keepKinds: ['net.'] });
    for (let i = 0; i < 10; i++) {
      for (const t of [all, ring, net]) t.emit(i, 1, i % 2 === 0 ? 'net.deliver' : 'raft.tick', { i });
    }
    expect(ring.events().map((e) => e.fields.i)).toEqual([7, 8, 9]);
    expect(ring.discarded).toBe(7);
    expect(net.events().map((e) => e.fields.i)).toEqual([0, 2, 4, 6, 8]);
    expect(all.events()).toHaveLength(10);
    expect(ring.hash()).toBe(all.hash());
    expect(net.hash()).toBe(all.hash());
    expect(ring.events().map((e) => e.index)).toEqual([7, 8, 9]);
  });

  it('hands every event to taps until they are removed', () => {
    const t = createTrace({ mode: 'hash-only' });
    const seen: TraceEvent[] = [];
    const off = t.tap((e) => seen.push(e));
    t.emit(5, 2, 'a', { x: 1 });
    off();
    t.emit(6, 2, 'b');
    expect(seen.map((e) => e.kind)).toEqual(['a']);
    expect(t.events()).toEqual([]);
  });

  it('renders one line per event, quoting strings that would break the layout', () => {
    const e: TraceEvent = { index: 0, timeUs: 1204, host: 3, kind: 'raft.role', fields: { term: 7, role: 'leader', note: 'a b', empty: '' } };
    expect(renderEvent(e)).toBe('t=000001204 n3 raft.role term=7 role=leader note="a b" empty=""');
    expect(renderEvent({ ...e, host: null, fields: {} })).toBe('t=000001204 -- raft.role');
    expect(renderTrace([e, e]).split('\n')).toHaveLength(3);
  });

  it('emitValues hashes, keeps and taps exactly what emit does with the same fields', () => {
    const names = ['a', 'term', 'from', 'path'];
    fc.assert(
      fc.property(fc.array(fc.tuple(event, fc.array(value, { minLength: 1, maxLength: 4 })), { maxLength: 30 }), (pairs) => {
        for (const mode of ['keep', 'hash-only'] as const) {
          const byObject = createTrace({ mode });
          const byValues = createTrace({ mode });
          const tappedObject: TraceEvent[] = [];
          const tappedValues: TraceEvent[] = [];
          byObject.tap((e) => tappedObject.push(e));
          byValues.tap((e) => tappedValues.push(e));
          for (const [[time, host, kind], vs] of pairs) {
            const n = names.slice(0, vs.length);
            const fields: Record<string, string | number | boolean> = {};
            n.forEach((name, i) => (fields[name] = vs[i] as string | number | boolean));
            byObject.emit(time, host, kind, fields);
            byValues.emitValues(time, host, kind, n, vs[0] as string, vs[1], vs[2], vs[3]);
          }
          expect(byValues.hash()).toBe(byObject.hash());
          expect(byValues.events()).toEqual(byObject.events());
          expect(tappedValues).toEqual(tappedObject);
        }
      }),
      { numRuns: 100 },
    );
    const quiet = createTrace({ mode: 'hash-only' });
    quiet.emitValues(5, 1, 'net.deliver', ['from', 'id', 'via', 'sentUs'], 2, 2 ** 40, 'datagram', 4);
    const loud = createTrace({ mode: 'hash-only' });
    loud.emit(5, 1, 'net.deliver', { from: 2, id: 2 ** 40, via: 'datagram', sentUs: 4 });
    expect(quiet.hash()).toBe(loud.hash());
    expect(quiet.count).toBe(1);
  });

  it('rejects bad options', () => {
    expect(() => createTrace({ keepLast: -1 })).toThrow(/keepLast/);
    expect(() => createTrace({ mode: 'all' as 'keep' })).toThrow(/mode/);
    expect(() => createTrace({ checkpointEvery: 1.5 })).toThrow(/checkpointEvery/);
    expect(() => createTrace({ checkpointsMax: 1 })).toThrow(/checkpointsMax/);
  });

  it('notes a checkpoint every n events: the hash so far and the time of the last event, without changing the hash', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), fc.integer({ min: 1, max: 7 }), fc.constantFrom<'keep' | 'hash-only'>('keep', 'hash-only'), (events, every, mode) => {
        const t = createTrace({ mode, checkpointEvery: every });
        const plain = createTrace({ mode: 'hash-only' });
        const expected: { events: number; timeUs: number; hash: string }[] = [];
        for (const [time, host, kind, fields] of events) {
          t.emit(time, host, kind, fields);
          plain.emit(time, host, kind, fields);
          if (plain.count % every === 0) expected.push({ events: plain.count, timeUs: time, hash: plain.hash() });
        }
        expect(t.hash()).toBe(plain.hash());
        expect(t.checkpoints()).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('thins a full chain of checkpoints to every other point and doubles the interval', () => {
    const t = createTrace({ mode: 'hash-only', checkpointEvery: 10, checkpointsMax: 4 });
    for (let i = 0; i < 95; i++) t.emitValues(i, 1, 'x', ['i'], i);
    // 10, 20, 30, 40 fill it: 20, 40 are left, every 20; then 60, 80 fill it again: 40, 80, every 40.
    expect(t.checkpoints().map((c) => c.events)).toEqual([40, 80]);
    expect(t.checkpointEvery).toBe(40);
    expect(t.checkpoints().every((c) => c.events % t.checkpointEvery === 0 && c.timeUs === c.events - 1)).toBe(true);
    expect(createTrace().checkpoints()).toEqual([]);
  });
});

const PINNED_HASH = '518da2aceca968bc';
