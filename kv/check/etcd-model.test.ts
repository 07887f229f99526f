import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KeyValue, RangeRequest, TxnRequest } from '../api.js';
import { createMvccStore } from '../mvcc/store.js';
import { resolveRevision, stepArb, type StoreStep } from '../testing/mvcc-arbitraries.js';
import type { EtcdOperation } from './etcd-model.js';
import { describeEtcdOperation, equalEtcdStates, etcdModel, etcdWitness, evaluateRange, isSerializableRange, kvTable } from './etcd-model.js';
import { explainViolations } from '../../sim/check/explain.js';
import type { Operation } from '../../sim/history.js';
import { checkLinearizability } from '../../sim/check/linearizability.js';
import { ILLEGAL } from '../../sim/check/model.js';
import { concurrentEtcdHistory } from '../testing/history-fixtures.js';

type Op = EtcdOperation;

function kv(key: string, value: string, create: number, mod: number, version: number): KeyValue {
  return { key, value, createRevision: create, modRevision: mod, version, lease: 0 };
}

/** Builds a history from (op, input, output, call, return) rows; output undefined = unknown. */
function history(rows: readonly [string, unknown, unknown, number, number | null][]): Op[] {
  return rows.map(([op, input, output, call, ret], id) => {
    const o: Record<string, unknown> = { id, client: id, op, input, call, return: ret, status: output === undefined ? 'unknown' : 'ok' };
    if (output !== undefined) o.output = output;
    if (typeof (input as { key?: string }).key === 'string') o.key = (input as { key: string }).key;
    return o as unknown as Op;
  });
}

const check = (ops: readonly Op[]) => checkLinearizability(etcdModel, ops, { budgetSteps: 1_000_000 }).verdict;

describe('etcd model: revisions', () => {
  it('accepts puts that each bump the revision by one, and a read that sees the last', () => {
    const h = history([
      ['put', { key: 'a', value: '1' }, { revision: 2 }, 0, 1],
      ['put', { key: 'a', value: '2' }, { revision: 3 }, 2, 3],
      ['range', { key: 'a' }, { revision: 3, kvs: [kv('a', '2', 2, 3, 2)], more: false, count: 1 }, 4, 5],
    ]);
    expect(check(h)).toBe('ok');
  });

  it('rejects a put whose response revision skips one', () => {
    const h = history([
      ['put', { key: 'a', value: '1' }, { revision: 2 }, 0, 1],
      ['put', { key: 'a', value: '2' }, { revision: 4 }, 2, 3],
    ]);
    expect(check(h)).toBe('illegal');
  });

  it('rejects a read whose version or create revision is wrong even if the value is right', () => {
    const h = history([
      ['put', { key: 'a', value: '1' }, { revision: 2 }, 0, 1],
      ['range', { key: 'a' }, { revision: 2, kvs: [kv('a', '1', 2, 2, 2)], more: false, count: 1 }, 2, 3],
    ]);
    expect(check(h)).toBe('illegal');
  });

  it('orders concurrent writes by their revisions', () => {
    // Two overlapping puts: the revisions say b happened first.
    const h = history([
      ['put', { key: 'k', value: 'a' }, { revision: 3 }, 0, 10],
      ['put', { key: 'k', value: 'b' }, { revision: 2 }, 1, 9],
      ['range', { key: 'k' }, { revision: 3, kvs: [kv('k', 'a', 2, 3, 2)], more: false, count: 1 }, 11, 12],
    ]);
    expect(check(h)).toBe('ok');
  });

  it('rejects a stale read: a read that began after a write completed must see it', () => {
    const h = history([
      ['put', { key: 'k', value: 'a' }, { revision: 2 }, 0, 1],
      ['put', { key: 'k', value: 'b' }, { revision: 3 }, 2, 3],
      ['range', { key: 'k' }, { revision: 2, kvs: [kv('k', 'a', 2, 2, 1)], more: false, count: 1 }, 4, 5],
    ]);
    expect(check(h)).toBe('illegal');
  });

  it('checks a read at a past revision against that revision (and its header against now)', () => {
    const ok = history([
      ['put', { key: 'k', value: 'a' }, { revision: 2 }, 0, 1],
      ['put', { key: 'k', value: 'b' }, { revision: 3 }, 2, 3],
      ['range', { key: 'k', revision: 2 }, { revision: 3, kvs: [kv('k', 'a', 2, 2, 1)], more: false, count: 1 }, 4, 5],
    ]);
    expect(check(ok)).toBe('ok');
    const wrong = history([
      ['put', { key: 'k', value: 'a' }, { revision: 2 }, 0, 1],
      ['put', { key: 'k', value: 'b' }, { revision: 3 }, 2, 3],
      ['range', { key: 'k', revision: 2 }, { revision: 3, kvs: [kv('k', 'b', 2, 3, 2)], more: false, count: 1 }, 4, 5],
    ]);
    expect(check(wrong)).toBe('illegal');
  });
});

describe('etcd model: unknown outcomes', () => {
  it('lets an unknown put take effect later, where a read needs it', () => {
    const h = history([
      ['put', { key: 'k', value: 'a' }, undefined, 0, null],
      ['range', { key: 'k' }, { revision: 1, kvs: [], more: false, count: 0 }, 1, 2],
      ['range', { key: 'k' }, { revision: 2, kvs: [kv('k', 'a', 2, 2, 1)], more: false, count: 1 }, 3, 4],
    ]);
    expect(check(h)).toBe('ok');
  });

  it('lets an unknown put never take effect', () => {
    const h = history([
      ['put', { key: 'k', value: 'a' }, undefined, 0, null],
      ['put', { key: 'j', value: 'b' }, { revision: 2 }, 1, 2],
      ['range', { key: 'k' }, { revision: 2, kvs: [], more: false, count: 0 }, 3, 4],
    ]);
    expect(check(h)).toBe('ok');
  });

  it('never lets an unknown put take effect before its call', () => {
    const h = history([
      ['range', { key: 'k' }, { revision: 2, kvs: [kv('k', 'a', 2, 2, 1)], more: false, count: 1 }, 0, 1],
      ['put', { key: 'k', value: 'a' }, undefined, 2, null],
    ]);
    expect(check(h)).toBe('illegal');
  });

  it('drops failed operations: a failed put never happened', () => {
    const h = history([['put', { key: 'k', value: 'a' }, { revision: 2 }, 0, 1]]);
    const failed: Op = { id: 1, client: 1, op: 'put', key: 'k', input: { key: 'k', value: 'zzz' }, call: 2, return: 3, status: 'fail', output: { revision: 99 } } as unknown as Op;
    const read = history([['range', { key: 'k' }, { revision: 2, kvs: [kv('k', 'a', 2, 2, 1)], more: false, count: 1 }, 4, 5]]).map((o) => ({ ...o, id: 2 }));
    const r = checkLinearizability(etcdModel, [...h, failed, ...read]);
    expect(r.verdict).toBe('ok');
    expect(r.droppedFailed).toBe(1);
  });
});

describe('etcd model: txn compare-and-set', () => {
  const cas = (from: string, to: string): TxnRequest => ({
    compare: [{ target: 'VALUE', result: 'EQUAL', key: 'k', value: from }],
    success: [{ type: 'put', request: { key: 'k', value: to } }],
    failure: [{ type: 'range', request: { key: 'k' } }],
  });

  it('accepts one of two concurrent CAS from the same value succeeding, the other reading the winner', () => {
    const h = history([
      ['put', { key: 'k', value: 'v0' }, { revision: 2 }, 0, 1],
      ['txn', cas('v0', 'v1'), { revision: 3, succeeded: true, responses: [{ type: 'put', response: {} }] }, 2, 10],
      ['txn', cas('v0', 'v2'), { revision: 3, succeeded: false, responses: [{ type: 'range', response: { kvs: [kv('k', 'v1', 2, 3, 2)], more: false, count: 1 } }] }, 3, 9],
    ]);
    expect(check(h)).toBe('ok');
  });

  it('rejects two CAS from the same value that both claim success (a lost update)', () => {
    const h = history([
      ['put', { key: 'k', value: 'v0' }, { revision: 2 }, 0, 1],
      ['txn', cas('v0', 'v1'), { revision: 3, succeeded: true, responses: [{ type: 'put', response: {} }] }, 2, 10],
      ['txn', cas('v0', 'v2'), { revision: 4, succeeded: true, responses: [{ type: 'put', response: {} }] }, 3, 9],
    ]);
    expect(check(h)).toBe('illegal');
  });

  it('a failed compare that reads changes no revision', () => {
    const h = history([
      ['txn', cas('x', 'y'), { revision: 1, succeeded: false, responses: [{ type: 'range', response: { kvs: [], more: false, count: 0 } }] }, 0, 1],
      ['txn', cas('x', 'y'), { revision: 2, succeeded: false, responses: [{ type: 'range', response: { kvs: [], more: false, count: 0 } }] }, 2, 3],
    ]);
    expect(check(h)).toBe('illegal');
  });
});

describe('etcd model: what it leaves out', () => {
  it('does not check serializable ranges for linearizability', () => {
    const stale = history([
      ['put', { key: 'k', value: 'a' }, { revision: 2 }, 0, 1],
      ['range', { key: 'k', serializable: true }, { revision: 1, kvs: [], more: false, count: 0 }, 2, 3],
    ]);
    expect(isSerializableRange(stale[1] as Operation)).toBe(true);
    const r = checkLinearizability(etcdModel, stale);
    expect(r.verdict).toBe('ok');
    expect(r.checked).toBe(1);
  });
});

// --- Histories recorded from the real MVCC store -------------------------------------------

interface Recorded {
  readonly op: string;
  readonly input: unknown;
  readonly ok: boolean;
  readonly output: unknown;
}

/** Runs store steps one after another, recording each as the kv client would. */
function runOnStore(steps: readonly StoreStep[]): Recorded[] {
  const store = createMvccStore();
  const out: Recorded[] = [];
  for (const s of steps) {
    switch (s.type) {
      case 'range': {
        const { revisionSpec, ...rest } = s.request;
        const rev = resolveRevision(revisionSpec, store.rev());
        const input: RangeRequest = rev === 0 ? rest : { ...rest, revision: rev };
        const r = store.range(input);
        out.push({ op: 'range', input, ok: r.ok, output: r.ok ? { revision: store.rev(), ...r.value } : r.error });
        break;
      }
      case 'put': {
        const r = store.put(s.request);
        out.push({ op: 'put', input: s.request, ok: r.ok, output: r.ok ? { revision: store.rev(), ...r.value } : r.error });
        break;
      }
      case 'delete': {
        const r = store.deleteRange(s.request);
        out.push({ op: 'delete', input: s.request, ok: r.ok, output: r.ok ? { revision: store.rev(), ...r.value } : r.error });
        break;
      }
      case 'txn': {
        const r = store.txn(s.request);
        out.push({ op: 'txn', input: s.request, ok: r.ok, output: r.ok ? { revision: store.rev(), ...r.value } : r.error });
        break;
      }
      case 'compact': {
        const revision = Math.max(1, store.rev() - s.back);
        const r = store.compact(revision);
        out.push({ op: 'compact', input: { revision }, ok: r.ok, output: r.ok ? { revision: store.rev() } : r.error });
        break;
      }
    }
  }
  return out;
}

/** Sequential history: op i runs in [3i, 3i + 1]; `widen` moves calls earlier and returns later. */
function toHistory(rec: readonly Recorded[], widen: readonly number[] = [], unknown: ReadonlySet<number> = new Set()): Op[] {
  return rec.map((r, i) => {
    const w = widen[i] ?? 0;
    const lost = unknown.has(i) && r.ok && r.op !== 'range';
    const o: Record<string, unknown> = { id: i, client: i, op: r.op, input: r.input, call: Math.max(0, 3 * i - w), return: lost ? null : 3 * i + 1 + w, status: lost ? 'unknown' : r.ok ? 'ok' : 'fail' };
    if (!lost) o.output = r.output;
    return o as unknown as Op;
  });
}

describe('etcd model against the MVCC store', () => {
  it('accepts every sequential history the store produces', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 40 }), (steps) => {
        expect(check(toHistory(runOnStore(steps)))).toBe('ok');
      }),
      { numRuns: 60 },
    );
  });

  it('accepts them with intervals widened and some writes left unknown', () => {
    fc.assert(
      fc.property(
        fc.array(stepArb, { minLength: 1, maxLength: 30 }).chain((steps) =>
          fc.tuple(fc.constant(steps), fc.array(fc.integer({ min: 0, max: 6 }), { minLength: steps.length, maxLength: steps.length }), fc.uniqueArray(fc.nat(steps.length - 1), { maxLength: 4 }))),
        ([steps, widen, lost]) => {
          expect(check(toHistory(runOnStore(steps), widen, new Set(lost)))).toBe('ok');
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a txn that reads its own put and then deletes it: what it read inside is not the revision\'s final state', () => {
    const steps: StoreStep[] = [
      { type: 'range', request: { key: 'a', revisionSpec: 0 } },
      {
        type: 'txn',
        request: {
          compare: [{ result: 'EQUAL', key: 'a', target: 'VALUE', value: '' }],
          success: [],
          failure: [{ type: 'put', request: { key: 'ba', value: '' } }, { type: 'range', request: { key: 'ba' } }, { type: 'delete', request: { key: 'abc', rangeEnd: '\0' } }],
        },
      },
      { type: 'range', request: { key: 'ba', revisionSpec: 0 } },
    ];
    expect(check(toHistory(runOnStore(steps)))).toBe('ok');
  });

  it('rejects them when one read returns a value no one wrote', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 30 }), fc.nat(), (steps, pick) => {
        const rec = runOnStore(steps);
        const reads = rec.map((r, i) => ({ r, i })).filter(({ r }) => r.ok && r.op === 'range' && (r.output as { kvs: KeyValue[] }).kvs.length > 0 && !(r.input as RangeRequest).keysOnly);
        fc.pre(reads.length > 0);
        const { i } = reads[pick % reads.length] as { i: number };
        const out = rec[i]?.output as { kvs: KeyValue[] };
        const bad = { ...(out as object), kvs: [{ ...(out.kvs[0] as KeyValue), value: 'never-written' }, ...out.kvs.slice(1)] };
        const mutated = rec.map((r, j) => (j === i ? { ...r, output: bad } : r));
        expect(check(toHistory(mutated))).toBe('illegal');
      }),
      { numRuns: 60 },
    );
  });
});

describe('evaluateRange', () => {
  it('follows etcd: count before filters and limit, more when cut, keysOnly blanks values', () => {
    const kvs = kvTable([kv('c', '3', 4, 4, 1), kv('a', '1', 2, 2, 1), kv('b', '2', 3, 5, 2)]);
    expect(evaluateRange(kvs, { key: 'a', rangeEnd: 'z', limit: 2 })).toEqual({ kvs: [kvs[0], kvs[1]], more: true, count: 3 });
    expect(evaluateRange(kvs, { key: 'a', rangeEnd: 'z', minModRevision: 4 }).kvs.map((x) => x.key)).toEqual(['b', 'c']);
    expect(evaluateRange(kvs, { key: 'a', rangeEnd: 'z', minModRevision: 4 }).count).toBe(3);
    expect(evaluateRange(kvs, { key: 'a', rangeEnd: 'z', sortTarget: 'MOD', sortOrder: 'DESCEND' }).kvs.map((x) => x.key)).toEqual(['b', 'c', 'a']);
    expect(evaluateRange(kvs, { key: 'a', rangeEnd: 'z', keysOnly: true }).kvs.map((x) => x.value)).toEqual(['', '', '']);
    expect(evaluateRange(kvs, { key: 'a', rangeEnd: 'z', countOnly: true })).toEqual({ kvs: [], more: false, count: 3 });
  });
});

// --- Concurrent histories (kv/testing/history-fixtures.ts) ----------------------------------------

/** Every order that respects real time; an unknown operation may be left out. Small n only. */
function bruteForce(history: readonly Op[]): boolean {
  const { prepare: _prepare, ...plain } = etcdModel;
  const ops = history.filter((op) => op.status !== 'fail' && !isSerializableRange(op));
  const placed = new Array<boolean>(ops.length).fill(false);
  const go = (state: ReturnType<typeof plain.init>): boolean => {
    if (ops.every((op, i) => placed[i] || op.status === 'unknown')) return true;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i] as Op;
      if (placed[i] || ops.some((o, j) => !placed[j] && j !== i && o.status === 'ok' && (o.return as number) < op.call)) continue;
      const next = plain.step(state, op);
      if (next === ILLEGAL) continue;
      placed[i] = true;
      const ok = go(next);
      placed[i] = false;
      if (ok) return true;
    }
    return false;
  };
  return go(plain.init());
}

/** One read's first value, or one write's revision, changed. */
function corrupt(h: readonly Op[], pick: number): Op[] {
  const known = h.filter((op) => op.status === 'ok' && (op.op !== 'range' || ((op.output as unknown as { kvs: KeyValue[] }).kvs.length > 0)));
  const target = known[pick % Math.max(1, known.length)];
  return h.map((op) => {
    if (op !== target) return op;
    const out = op.output as Record<string, unknown> & { revision: number; kvs?: KeyValue[] };
    if (op.op === 'range' && out.kvs !== undefined) return { ...op, output: { ...out, kvs: [{ ...(out.kvs[0] as KeyValue), value: 'zz' }, ...out.kvs.slice(1)] } } as Op;
    return { ...op, output: { ...out, revision: out.revision + (pick % 2 === 0 ? 1 : -1) } } as Op;
  });
}

describe('etcd model: explanations in revisions', () => {
  it('a read served at a revision older than one returned before it began is a stale read', () => {
    const h = history([
      ['put', { key: 'k', value: 'a' }, { revision: 2 }, 0, 1],
      ['put', { key: 'k', value: 'b' }, { revision: 3 }, 2, 3],
      ['range', { key: 'k' }, { revision: 2, kvs: [kv('k', 'a', 2, 2, 1)], more: false, count: 1 }, 4, 5],
    ]);
    const res = checkLinearizability(etcdModel, h);
    const [e] = explainViolations(etcdModel, h, res);
    expect(e).toMatchObject({ kind: 'stale-read', op: 2, related: [1] });
    expect(e?.message).toBe('range k -> k="a"@2 @rev 2 (t=4..5) was served at revision 2, but put k="b" @rev 3 had returned revision 3 at t=3, before it began: a linearizable read must see revision 3 or later (a stale read)');
  });

  it('a run passes its own time format: the witness then speaks in it (seconds), not in the history\'s raw unit', () => {
    const h = history([
      ['put', { key: 'k', value: 'b' }, { revision: 3 }, 2_000_000, 3_098_000],
      ['range', { key: 'j' }, { revision: 2, kvs: [], more: false, count: 0 }, 4_000_000, 5_129_000],
    ]);
    const res = checkLinearizability(etcdModel, h);
    const [e] = explainViolations(etcdModel, h, res, { formatTime: (t) => `${(t / 1e6).toFixed(3)} s` });
    expect(e?.message).toBe('range j -> nothing @rev 2 (4.000 s..5.129 s) was served at revision 2, but put k="b" @rev 3 had returned revision 3 at 3.098 s, before it began: a linearizable read must see revision 3 or later (a stale read)');
  });

  it('two writes that claim one revision', () => {
    const h = history([
      ['put', { key: 'k', value: 'a' }, { revision: 2 }, 0, 10],
      ['put', { key: 'j', value: 'b' }, { revision: 2 }, 1, 9],
    ]);
    expect(etcdWitness(h)).toMatchObject({ kind: 'duplicate-revision', op: 1, related: [0] });
  });

  it('stays silent on linearizable concurrent histories', () => {
    for (let seed = 1; seed <= 5; seed++) {
      expect(etcdWitness(concurrentEtcdHistory({ seed, clients: 8, opsPerClient: 40, keys: 4, unknownWriteRatio: 0.1, latencyUsMax: 1000 }))).toBeUndefined();
    }
  });
});

describe('etcd model on concurrent histories', () => {
  it('accepts concurrent histories with unknown writes (some took effect, some never did)', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const h = concurrentEtcdHistory({ seed, clients: 8, opsPerClient: 40, keys: 4, unknownWriteRatio: 0.1, latencyUsMax: 1000 });
      expect(checkLinearizability(etcdModel, h, { budgetSteps: 2_000_000 }).verdict).toBe('ok');
    }
  });

  it('agrees with a brute-force search, before and after one output is corrupted', () => {
    let illegal = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.nat(), fc.boolean(), (seed, pick, bad) => {
        const clean = concurrentEtcdHistory({ seed, clients: 3, opsPerClient: 2, keys: 2, unknownWriteRatio: 0.25, latencyUsMax: 100 });
        const h = bad ? corrupt(clean, pick) : clean;
        const want = bruteForce(h);
        if (!want) illegal++;
        expect(check(h)).toBe(want ? 'ok' : 'illegal');
        // The revision witness is sound: it never accuses a linearizable history.
        if (want) expect(etcdWitness(h)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
    expect(illegal).toBeGreaterThan(30);
  });
});

describe('etcd model: leases', () => {
  const leased = (key: string, value: string, create: number, mod: number, lease: number): KeyValue => ({ ...kv(key, value, create, mod, 1), lease });
  type Row = [string, unknown, unknown, number, number | null];
  const read = (key: string, kvs: KeyValue[], revision: number, call: number, ret: number): Row => ['range', { key }, { revision, kvs, more: false, count: kvs.length }, call, ret];

  it('an unknown revoke (an expiry) explains keys that vanished with their lease; without it they are phantom deletes', () => {
    const rows: Row[] = [
      ['lease-grant', { ttlS: 2 }, { revision: 1, id: 7, ttlS: 2 }, 0, 1],
      ['put', { key: 'a', value: '1', lease: 7 }, { revision: 2 }, 2, 3],
      ['put', { key: 'b', value: '2' }, { revision: 3 }, 4, 5],
      ['lease-revoke', { id: 7, revision: 4 }, undefined, 6, null],
      read('a', [], 4, 8, 9),
      read('b', [kv('b', '2', 3, 3, 1)], 4, 10, 11),
    ];
    expect(check(history(rows))).toBe('ok');
    expect(check(history(rows.filter((r) => r[0] !== 'lease-revoke')))).toBe('illegal');
    // A read before the expiry still sees the key with its lease.
    expect(check(history([...rows.slice(0, 3), read('a', [leased('a', '1', 2, 2, 7)], 3, 5, 6), ...rows.slice(3)]))).toBe('ok');
    // A key read gone before the expiry began is not explained by it.
    expect(check(history([...rows.slice(0, 3), read('a', [], 3, 5, 6), ...rows.slice(3)]))).toBe('illegal');
  });

  it('places an unknown revoke only where it deletes something, and only at the revision it carries', () => {
    const s0 = etcdModel.init();
    const put = history([['put', { key: 'a', value: '1', lease: 7 }, { revision: 2 }, 0, 1]])[0] as Op;
    const s1 = etcdModel.step(s0, put);
    expect(s1).not.toBe(ILLEGAL);
    const revoke = (input: object): Op => history([['lease-revoke', input, undefined, 0, null]])[0] as Op;
    // Nothing attached to lease 7 yet: the same as never happening, so refused.
    expect(etcdModel.step(s0, revoke({ id: 7 }))).toBe(ILLEGAL);
    if (s1 === ILLEGAL) return;
    expect(etcdModel.step(s1, revoke({ id: 7 }))).not.toBe(ILLEGAL);
    expect(etcdModel.step(s1, revoke({ id: 7, revision: 3 }))).not.toBe(ILLEGAL);
    expect(etcdModel.step(s1, revoke({ id: 7, revision: 5 }))).toBe(ILLEGAL);
  });
});

describe('etcd model: lease existence', () => {
  type Row = [string, unknown, unknown, number, number | null];
  const grant = (id: number, revision: number, call: number, ret: number): Row => ['lease-grant', { ttlS: 2 }, { revision, id, ttlS: 2 }, call, ret];
  const leasedPut = (key: string, lease: number, revision: number, call: number, ret: number): Row => ['put', { key, value: key, lease }, { revision }, call, ret];
  // An unknown grant whose id the server chose: nobody heard which lease it made.
  const unheardGrant: Row = ['lease-grant', { ttlS: 2 }, undefined, 0, null];

  it('flags an ok put on a lease no grant made, when every grant of the history is known', () => {
    expect(check(history([grant(7, 1, 0, 1), leasedPut('a', 7, 2, 2, 3)]))).toBe('ok');
    expect(check(history([grant(7, 1, 0, 1), leasedPut('a', 8, 2, 2, 3)]))).toBe('illegal');
    // The same for a put inside a txn: etcd refuses the whole txn with LeaseNotFound.
    const txn = (lease: number): Row => ['txn', { compare: [], success: [{ type: 'put', request: { key: 'a', value: '1', lease } }], failure: [] }, { revision: 2, succeeded: true, responses: [{ type: 'put', response: {} }] }, 2, 3];
    expect(check(history([grant(7, 1, 0, 1), txn(7)]))).toBe('ok');
    expect(check(history([grant(7, 1, 0, 1), txn(8)]))).toBe('illegal');
  });

  it('the explanation of a put on a lease no grant made replays with the prepared model: the put could not have returned ok', () => {
    const ops = history([grant(7, 1, 0, 1), leasedPut('a', 8, 2, 2, 3)]);
    const result = checkLinearizability(etcdModel, ops, { budgetSteps: 1_000_000 });
    const [e] = explainViolations(etcdModel, ops, result);
    expect(e?.op).toBe(1);
    expect(e?.message).toMatch(/could not have returned what it did/);
  });

  it('a grant must come before a put on its lease', () => {
    expect(check(history([leasedPut('a', 7, 2, 0, 1), grant(7, 2, 2, 3)]))).toBe('illegal');
    // Concurrent: the grant may have taken effect first.
    expect(check(history([leasedPut('a', 7, 2, 0, 3), grant(7, 1, 1, 2)]))).toBe('ok');
    // A grant of unknown outcome whose input names the id may have happened: it explains the lease.
    expect(check(history([['lease-grant', { ttlS: 2, id: 9 }, undefined, 0, null], leasedPut('a', 9, 2, 1, 2)]))).toBe('ok');
  });

  it('accepts a put on a lease no known grant made when an unheard grant may have made it', () => {
    expect(check(history([unheardGrant, grant(7, 1, 0, 1), leasedPut('a', 8, 2, 2, 3)]))).toBe('ok');
    // …but not on a lease a known grant made and a revoke ended: server ids are never reused.
    expect(check(history([unheardGrant, grant(7, 1, 0, 1), ['lease-revoke', { id: 7 }, { revision: 1 }, 2, 3], leasedPut('a', 7, 2, 4, 5)]))).toBe('illegal');
  });

  it('flags an ok put on a lease after its client revoke returned, and an ok revoke of a lease that does not exist', () => {
    const revoke = (revision: number, call: number, ret: number): Row => ['lease-revoke', { id: 7 }, { revision }, call, ret];
    expect(check(history([grant(7, 1, 0, 1), revoke(1, 2, 3), leasedPut('a', 7, 2, 4, 5)]))).toBe('illegal');
    // Concurrent with the revoke: the put came first, and the revoke deleted its key (revision 3).
    expect(check(history([grant(7, 1, 0, 1), revoke(3, 2, 5), leasedPut('a', 7, 2, 3, 4)]))).toBe('ok');
    expect(check(history([grant(7, 1, 0, 1), revoke(1, 2, 3), revoke(1, 4, 5)]))).toBe('illegal');
    expect(check(history([grant(7, 1, 0, 1), ['lease-revoke', { id: 8 }, { revision: 1 }, 2, 3]]))).toBe('illegal');
  });

  it('the live leases are part of the state the search memoizes; the plain model knows only the leases it saw', () => {
    const [g, put, revoke] = history([grant(7, 1, 0, 1), leasedPut('a', 7, 2, 2, 3), ['lease-revoke', { id: 7 }, { revision: 1 }, 4, 5]]) as [Op, Op, Op];
    const s0 = etcdModel.init();
    const s1 = etcdModel.step(s0, g);
    if (s1 === ILLEGAL) throw new Error('the grant must fit the initial state');
    expect(equalEtcdStates(s0, s1)).toBe(false);
    expect(etcdModel.hash?.(s1)).not.toBe(etcdModel.hash?.(s0));
    // Unprepared, a lease never seen granted may exist (a grant nobody heard); one seen revoked may not.
    expect(etcdModel.step(s0, put)).not.toBe(ILLEGAL);
    const s2 = etcdModel.step(s1, revoke);
    if (s2 === ILLEGAL) throw new Error('the revoke must fit after the grant');
    expect(etcdModel.step(s2, put)).toBe(ILLEGAL);
    // An explanation names the lease of a put and the id a grant returned.
    expect(describeEtcdOperation(put)).toBe('put a="a" lease 7 @rev 2');
    expect(describeEtcdOperation(g)).toBe('lease-grant ttl=2s -> lease 7 @rev 1');
  });

  it('after an expiry pinned before it, an ok put on the lease is flagged; when the expiry may come after, accepted', () => {
    const expiry = (revision: number, call: number): Row => ['lease-revoke', { id: 7, revision }, undefined, call, null];
    // Revision 3 can only be the expiry's (it deletes a), so it came before the put that made 4.
    expect(check(history([grant(7, 1, 0, 1), leasedPut('a', 7, 2, 2, 3), expiry(3, 4), leasedPut('b', 7, 4, 5, 6)]))).toBe('illegal');
    // Expiry pinned at 4, after the put of b at 3 (whose call precedes the expiry's): it deletes both.
    expect(check(history([
      grant(7, 1, 0, 1), leasedPut('a', 7, 2, 2, 3), leasedPut('b', 7, 3, 4, 7), expiry(4, 5),
      ['range', { key: 'a', rangeEnd: 'c' }, { revision: 4, kvs: [], more: false, count: 0 }, 8, 9],
    ]))).toBe('ok');
  });
});
