import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Operation } from '../history.js';
import { checkLinearizability, effectiveReturn } from './linearizability.js';
import type { Verdict } from './linearizability.js';
import { kvModel, kvWitness } from './kv-model.js';
import type { KvOperation } from './kv-model.js';
import { ILLEGAL, determinize } from './model.js';
import type { Model, NondeterministicModel } from './model.js';
import { registerModel } from './register-model.js';
import type { RegisterOperation } from './register-model.js';

// --- Generators ------------------------------------------------------------------------------

type Call = { op: 'read' } | { op: 'write'; value: number } | { op: 'cas'; from: number; to: number };

const VALUES = [0, 1, 2, 3];
const callArb: fc.Arbitrary<Call> = fc.oneof(
  fc.constant<Call>({ op: 'read' }),
  fc.constantFrom(...VALUES).map((value): Call => ({ op: 'write', value })),
  fc.tuple(fc.constantFrom(...VALUES), fc.constantFrom(...VALUES)).map(([from, to]): Call => ({ op: 'cas', from, to })),
);

/** Runs calls one after another on a register, giving each its true output, op i over [10i, 10i + 1]. */
function sequential(calls: readonly Call[], key = 'x'): RegisterOperation[] {
  let state: number | null = null;
  return calls.map((c, i): RegisterOperation => {
    const base = { id: i, client: i, key, call: 10 * i, return: 10 * i + 1, status: 'ok' as const };
    switch (c.op) {
      case 'read':
        return { ...base, op: 'read', output: { value: state } };
      case 'write':
        state = c.value;
        return { ...base, op: 'write', input: { value: c.value } };
      case 'cas': {
        const ok = state === c.from;
        if (ok) state = c.to;
        return { ...base, op: 'cas', input: { from: c.from, to: c.to }, output: { ok } };
      }
    }
  });
}

/** Widens each interval: the call moves earlier, the return later (never past what keeps it valid). */
function widen<Op extends Operation>(ops: readonly Op[], early: readonly number[], late: readonly number[], lost: ReadonlySet<number>): Op[] {
  return ops.map((op, i) => {
    const call = Math.max(0, op.call - 10 * (early[i] ?? 0));
    if (lost.has(i) && op.op !== 'read') {
      const { output: _output, ...rest } = op;
      return { ...rest, call, return: null, status: 'unknown' } as Op;
    }
    return { ...op, call, return: (op.return as number) + 10 * (late[i] ?? 0) };
  });
}

const historyArb = fc.array(callArb, { minLength: 1, maxLength: 40 }).chain((calls) => {
  const n = calls.length;
  const spread = fc.array(fc.nat(4), { minLength: n, maxLength: n });
  return fc.tuple(fc.constant(calls), spread, spread, fc.uniqueArray(fc.nat(n - 1), { maxLength: 3 }));
});

const check = <S, Op extends Operation>(model: Model<S, Op>, ops: readonly Op[]): Verdict => checkLinearizability(model, ops, { budgetSteps: 5_000_000 }).verdict;

// --- A brute-force reference: every order that respects real time -----------------------------

/** Tries every order; an unknown operation may be left out (it never happened). Small n only. */
function bruteForce<S, Op extends Operation>(model: Model<S, Op>, history: readonly Op[]): boolean {
  const ops = history.filter((op) => op.status !== 'fail');
  const placed = new Array<boolean>(ops.length).fill(false);
  const go = (state: S, left: number): boolean => {
    if (ops.every((op, i) => placed[i] || op.status === 'unknown')) return true;
    if (left === 0) return false;
    for (let i = 0; i < ops.length; i++) {
      if (placed[i]) continue;
      const op = ops[i] as Op;
      // Every unplaced operation that returned before this one's call must come first.
      if (ops.some((o, j) => !placed[j] && j !== i && effectiveReturn(o) < op.call)) continue;
      const next = model.step(state, op);
      if (next === ILLEGAL) continue;
      placed[i] = true;
      const ok = go(next, left - 1);
      placed[i] = false;
      if (ok) return true;
    }
    return false;
  };
  return go(model.init(), ops.length);
}

const randomHistoryArb = fc
  .array(
    fc.record({
      call: callArb,
      start: fc.nat(30),
      length: fc.integer({ min: 0, max: 15 }),
      status: fc.constantFrom('ok', 'ok', 'ok', 'unknown'),
      out: fc.constantFrom(null, ...VALUES),
      ok: fc.boolean(),
    }),
    { minLength: 1, maxLength: 7 },
  )
  .map((rows) =>
    rows.map((r, i): RegisterOperation => {
      const unknown = r.status === 'unknown';
      const base = { id: i, client: i, key: 'x', call: r.start, return: unknown ? null : r.start + r.length, status: unknown ? ('unknown' as const) : ('ok' as const) };
      switch (r.call.op) {
        case 'read':
          return unknown ? { ...base, op: 'read' } : { ...base, op: 'read', output: { value: r.out } };
        case 'write':
          return { ...base, op: 'write', input: { value: r.call.value } };
        case 'cas':
          return unknown ? { ...base, op: 'cas', input: { from: r.call.from, to: r.call.to } } : { ...base, op: 'cas', input: { from: r.call.from, to: r.call.to }, output: { ok: r.ok } };
      }
    }),
  );

// --- Properties --------------------------------------------------------------------------------

describe('linearizability: properties', () => {
  it('a sequential history with widened intervals (and some writes left unknown) is linearizable', () => {
    fc.assert(
      fc.property(historyArb, ([calls, early, late, lost]) => {
        expect(check(registerModel, widen(sequential(calls), early, late, new Set(lost)))).toBe('ok');
      }),
      { numRuns: 200 },
    );
  });

  it('the same with one read changed to a value never written is illegal', () => {
    fc.assert(
      fc.property(historyArb, fc.nat(), ([calls, early, late, lost], pick) => {
        const ops = widen(sequential(calls), early, late, new Set(lost));
        const reads = ops.map((op, i) => ({ op, i })).filter(({ op }) => op.op === 'read');
        fc.pre(reads.length > 0);
        const { i } = reads[pick % reads.length] as { i: number };
        const mutated = ops.map((op, j) => (j === i ? { ...op, output: { value: 99 } } : op)) as RegisterOperation[];
        expect(check(registerModel, mutated)).toBe('illegal');
      }),
      { numRuns: 200 },
    );
  });

  it('the verdict does not depend on the order of the input lines', () => {
    fc.assert(
      fc.property(historyArb, fc.boolean(), fc.nat(), fc.array(fc.nat(), { minLength: 40, maxLength: 40 }), ([calls, early, late, lost], corrupt, pick, keys) => {
        let ops = widen(sequential(calls), early, late, new Set(lost));
        const reads = ops.filter((op) => op.op === 'read');
        if (corrupt && reads.length > 0) {
          const id = (reads[pick % reads.length] as RegisterOperation).id;
          ops = ops.map((op) => (op.id === id ? { ...op, output: { value: 99 } } : op)) as RegisterOperation[];
        }
        const shuffled = ops.map((op, i) => ({ op, k: keys[i] ?? 0 })).sort((a, b) => a.k - b.k).map(({ op }, id) => ({ ...op, id }));
        expect(check(registerModel, shuffled)).toBe(check(registerModel, ops));
      }),
      { numRuns: 150 },
    );
  });

  it('agrees with a brute-force search on small arbitrary histories (linearizable or not)', () => {
    let both = { ok: 0, illegal: 0 };
    fc.assert(
      fc.property(randomHistoryArb, (ops) => {
        const want = bruteForce(registerModel, ops);
        const got = check(registerModel, ops);
        both = { ...both, [want ? 'ok' : 'illegal']: both[want ? 'ok' : 'illegal'] + 1 };
        expect(got).toBe(want ? 'ok' : 'illegal');
      }),
      { numRuns: 400 },
    );
    // The generator must exercise both answers, or the agreement means little.
    expect(both.ok).toBeGreaterThan(20);
    expect(both.illegal).toBeGreaterThan(20);
  });

  it('agrees with brute force for the kv model (appends: many states per set of operations)', () => {
    const kvArb = fc.array(
      fc.record({ kind: fc.constantFrom('get', 'put', 'append'), v: fc.constantFrom('a', 'b', ''), start: fc.nat(20), length: fc.nat(12), unknown: fc.boolean(), read: fc.constantFrom('', 'a', 'b', 'ab', 'ba', 'aa') }),
      { minLength: 1, maxLength: 6 },
    );
    fc.assert(
      fc.property(kvArb, (rows) => {
        const ops = rows.map((r, i): KvOperation => {
          const unknown = r.unknown && r.kind !== 'get';
          const base = { id: i, client: i, key: 'k', call: r.start, return: unknown ? null : r.start + r.length, status: unknown ? ('unknown' as const) : ('ok' as const) };
          return r.kind === 'get' ? { ...base, op: 'get', output: { value: r.read } } : { ...base, op: r.kind as 'put' | 'append', input: { value: r.v } };
        });
        const want = bruteForce(kvModel, ops);
        expect(check(kvModel, ops)).toBe(want ? 'ok' : 'illegal');
        if (want) expect(kvWitness(ops)).toBeUndefined(); // the lost-append witness is sound
      }),
      { numRuns: 300 },
    );
  });
});

// --- Cases -------------------------------------------------------------------------------------

const w = (id: number, key: string, value: number, call: number, ret: number | null): RegisterOperation =>
  ret === null ? { id, client: id, op: 'write', key, input: { value }, call, return: null, status: 'unknown' } : { id, client: id, op: 'write', key, input: { value }, call, return: ret, status: 'ok' };
const r = (id: number, key: string, value: number | null, call: number, ret: number): RegisterOperation => ({ id, client: id, op: 'read', key, output: { value }, call, return: ret, status: 'ok' });

describe('linearizability: cases', () => {
  it('a stale read is illegal, and the result says which operation could not be placed', () => {
    const res = checkLinearizability(registerModel, [w(0, 'x', 1, 0, 1), w(1, 'x', 2, 2, 3), r(2, 'x', 1, 4, 5)]);
    expect(res.verdict).toBe('illegal');
    const part = res.partitions[0];
    expect(part?.label).toBe('x');
    expect(part?.stuck).toBe(2);
    expect(part?.linearized).toEqual([0, 1]);
  });

  it('partitions per key: one illegal key makes the history illegal, the others still get results', () => {
    const ops = [w(0, 'a', 1, 0, 1), r(1, 'a', 1, 2, 3), w(2, 'b', 1, 0, 1), r(3, 'b', 2, 2, 3)];
    const res = checkLinearizability(registerModel, ops, { allPartitions: true });
    expect(res.verdict).toBe('illegal');
    expect(res.partitions.map((p) => [p.label, p.verdict])).toEqual([['a', 'ok'], ['b', 'illegal']]);
  });

  it('an unknown write may take effect long after its call, or never', () => {
    expect(check(registerModel, [w(0, 'x', 1, 0, null), r(1, 'x', null, 5, 6), r(2, 'x', 1, 7, 8)])).toBe('ok');
    expect(check(registerModel, [w(0, 'x', 1, 0, null), r(1, 'x', null, 5, 6), r(2, 'x', null, 7, 8)])).toBe('ok');
    expect(check(registerModel, [w(0, 'x', 1, 0, null), r(1, 'x', 1, 5, 6), r(2, 'x', null, 7, 8)])).toBe('illegal');
  });

  it('an unknown outcome with a return time still counts from its call to +∞ (it may land later)', () => {
    const late: RegisterOperation = { id: 0, client: 0, op: 'write', key: 'x', input: { value: 1 }, call: 0, return: 2, status: 'unknown' };
    expect(check(registerModel, [late, r(1, 'x', null, 3, 4), r(2, 'x', 1, 5, 6)])).toBe('ok');
  });

  it('failed operations are dropped; unanswered reads are dropped', () => {
    const failed: RegisterOperation = { id: 1, client: 1, op: 'write', key: 'x', input: { value: 9 }, call: 2, return: 3, status: 'fail' };
    const lostRead: RegisterOperation = { id: 2, client: 2, op: 'read', key: 'x', call: 0, return: 9, status: 'unknown' };
    const res = checkLinearizability(registerModel, [w(0, 'x', 1, 0, 1), failed, lostRead, r(3, 'x', 1, 4, 5)]);
    expect(res).toMatchObject({ verdict: 'ok', ops: 4, checked: 2, droppedFailed: 1, droppedUnknownReadOnly: 1 });
  });

  it('runs out of budget with verdict unknown, reproducibly, counting steps', () => {
    const ops = sequential(Array.from({ length: 30 }, (_, i): Call => (i % 3 === 2 ? { op: 'read' } : { op: 'write', value: i % 4 })));
    const wide = widen(ops, ops.map(() => 4), ops.map(() => 4), new Set());
    const a = checkLinearizability(registerModel, wide, { budgetSteps: 10 });
    const b = checkLinearizability(registerModel, wide, { budgetSteps: 10 });
    expect(a.verdict).toBe('unknown');
    expect(a.steps).toBe(10);
    expect(b).toEqual(a);
  });

  it('a search out of budget still finds a stale read illegal: the witness decides, the prefix is the search\'s', () => {
    const stale = [w(0, 'x', 1, 0, 1), w(1, 'x', 2, 2, 3), r(2, 'x', 1, 4, 5)];
    const res = checkLinearizability(registerModel, stale, { budgetSteps: 1 });
    expect(res.verdict).toBe('illegal');
    expect(res.partitions[0]).toMatchObject({ verdict: 'illegal', stuck: 2, witnessed: true, steps: 1 });
    // No witness, no verdict: a history that is linearizable stays unknown at that budget.
    expect(checkLinearizability(registerModel, [w(0, 'x', 1, 0, 1), w(1, 'x', 2, 2, 3), r(2, 'x', 2, 4, 5)], { budgetSteps: 1 }).verdict).toBe('unknown');
    // With the budget it needs, the search itself says so (no witness needed).
    expect(checkLinearizability(registerModel, stale).partitions[0]?.witnessed).toBeUndefined();
  });

  it('a nondeterministic model is checked over sets of states', () => {
    // A "maybe-increment" counter: inc may add 1 or do nothing; read must see one possible value.
    type CounterOp = Operation & ({ readonly op: 'inc' } | { readonly op: 'read'; readonly output: { readonly value: number } });
    const counter: NondeterministicModel<number, CounterOp> = {
      name: 'counter',
      init: () => [0],
      step: (s, op) => (op.op === 'inc' ? [s, s + 1] : op.output.value === s ? [s] : []),
      equal: (a, b) => a === b,
      describeOperation: (op) => op.op,
      describeState: (s) => String(s),
    };
    const m = determinize(counter);
    const inc = (id: number, call: number): CounterOp => ({ id, client: id, op: 'inc', call, return: call + 1, status: 'ok' });
    const read = (id: number, value: number, call: number): CounterOp => ({ id, client: id, op: 'read', output: { value }, call, return: call + 1, status: 'ok' });
    expect(check(m, [inc(0, 0), inc(1, 2), read(2, 1, 4)])).toBe('ok');
    expect(check(m, [inc(0, 0), inc(1, 2), read(2, 3, 4)])).toBe('illegal');
    expect(check(m, [inc(0, 0), read(1, 1, 2), read(2, 0, 4)])).toBe('illegal');
  });
});

describe('memory', () => {
  it('a long sequential history on one key decides: memo keys stay a few words however long it is', () => {
    const calls = Array.from({ length: 100_000 }, (_, i): Call => (i % 2 === 1 ? { op: 'read' } : { op: 'write', value: i % 4 }));
    const res = checkLinearizability(registerModel, sequential(calls));
    expect(res.verdict).toBe('ok');
    expect(res.partitions[0]?.memoFull).toBeUndefined();
    // One step per operation placed, and the last read sees the last write.
    expect(res.steps).toBe(100_000);
  });

  it('a memo table with almost no memory stops remembering but never changes a verdict', () => {
    fc.assert(
      fc.property(historyArb, ([calls, early, late, lost]) => {
        const h = widen(sequential(calls), early, late, new Set(lost));
        const full = checkLinearizability(registerModel, h, { budgetSteps: 5_000_000 });
        const tiny = checkLinearizability(registerModel, h, { budgetSteps: 50_000_000, memoryBytes: 0 });
        expect(tiny.verdict).toBe(full.verdict);
      }),
      { numRuns: 60 },
    );
  });
});
