/**
 * Test kit for the linearizability checker: generated concurrent histories, and a brute-force
 * checker to compare verdicts with.
 *
 * A history is made by running a real (sequential) register or kv store: every operation gets a
 * client, a call and a return time, and a linearization point inside that interval (or, for an
 * operation whose outcome is unknown, anywhere after its call — or never); the store applies the
 * operations in the order of those points, and each records the output it got. So a generated
 * history is linearizable by construction. Then, when asked, some reads are *corrupted* — their
 * output replaced by another value the key held at some time, a value never written, or (kv) a
 * value with one append dropped — which makes most such histories non-linearizable (not all: the
 * brute-force checker is the judge).
 *
 * Unknown outcomes are what makes checking hard: an unknown write may have taken effect at any
 * time after its call, or never. The generator makes many (up to half the writes), some of which
 * took effect and were observed by later reads, and some of which never did.
 *
 * Everything derives from the fast-check inputs (a seed and the shape), so a failing case
 * shrinks to a small shape and replays exactly.
 */
import fc from 'fast-check';
import { effectiveReturn } from '../linearizability.js';
import { ILLEGAL } from '../model.js';
import type { Model } from '../model.js';
import type { KvOperation } from '../kv-model.js';
import type { RegisterOperation } from '../register-model.js';
import type { Operation } from '../../history.js';

export interface HistoryShape {
  readonly model: 'register' | 'kv';
  readonly ops: number;
  readonly clients: number;
  readonly keys: number;
  /** Chance that a write (write, cas, put, append) has an unknown outcome. */
  readonly unknownRatio: number;
  /** Reads to corrupt (0: the history is linearizable). */
  readonly corrupt: number;
  readonly seed: number;
}

export type GeneratedOperation = RegisterOperation | KvOperation;

/** mulberry32: a small seeded generator, so a shape and a seed give one history. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Planned {
  readonly client: number;
  readonly key: string;
  readonly call: number;
  readonly ret: number;
  readonly unknown: boolean;
  /** When it takes effect; Infinity for never. */
  readonly at: number;
  readonly kind: 'read' | 'write' | 'cas' | 'get' | 'put' | 'append';
  readonly value: number | string;
  readonly from: number;
}

/** A linearizable history of the shape (then `corrupt` reads changed), operations in call order with ids 0..n-1. */
export function generateHistory(shape: HistoryShape): GeneratedOperation[] {
  const rnd = prng(shape.seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const kv = shape.model === 'kv';
  const clientFree = new Array<number>(shape.clients).fill(0);
  const clientId = Array.from({ length: shape.clients }, (_, i) => i);
  let nextClientId = shape.clients;
  const planned: Planned[] = [];
  let serial = 0;
  for (let i = 0; i < shape.ops; i++) {
    const c = int(shape.clients);
    const call = (clientFree[c] as number) + int(4);
    const ret = call + 1 + int(12);
    const key = `k${int(shape.keys)}`;
    const r = rnd();
    let kind: Planned['kind'];
    if (kv) kind = r < 0.4 ? 'get' : r < 0.55 ? 'put' : 'append';
    else kind = r < 0.4 ? 'read' : r < 0.8 ? 'write' : 'cas';
    const writes = kind !== 'read' && kind !== 'get';
    const unknown = writes && rnd() < shape.unknownRatio;
    // An unknown outcome: it took effect some time after its call (maybe long after), or never.
    const at = unknown ? (rnd() < 0.6 ? call + rnd() * 40 : Infinity) : call + rnd() * (ret - call);
    const value = kv ? `${c}.${serial++};` : int(5);
    planned.push({ client: clientId[c] as number, key, call, ret, unknown, at, kind, value, from: int(5) });
    // A client whose operation never answered gives up on it and goes on as a new process.
    clientFree[c] = ret;
    if (unknown) clientId[c] = nextClientId++;
  }
  // The store, applied in order of linearization points.
  const order = planned.map((_, i) => i).filter((i) => (planned[i] as Planned).at !== Infinity);
  order.sort((a, b) => (planned[a] as Planned).at - (planned[b] as Planned).at || a - b);
  const store = new Map<string, number | string | null>();
  const outputs = new Map<number, unknown>();
  const history = new Map<string, (number | string | null)[]>();
  const initial = kv ? '' : null;
  for (const i of order) {
    const p = planned[i] as Planned;
    const cur = store.get(p.key) ?? initial;
    switch (p.kind) {
      case 'read':
      case 'get':
        outputs.set(i, { value: cur });
        break;
      case 'write':
      case 'put':
        store.set(p.key, p.value);
        break;
      case 'append':
        store.set(p.key, `${cur as string}${p.value as string}`);
        break;
      case 'cas': {
        const ok = cur === p.from;
        if (ok) store.set(p.key, p.value);
        outputs.set(i, { ok });
        break;
      }
    }
    const seen = history.get(p.key) ?? [initial];
    seen.push(store.get(p.key) ?? initial);
    history.set(p.key, seen);
  }
  const ops = planned.map((p, id): GeneratedOperation => {
    const base = { id, client: p.client, key: p.key, call: p.call, return: p.unknown ? null : p.ret, status: p.unknown ? ('unknown' as const) : ('ok' as const) };
    switch (p.kind) {
      case 'read':
        return { ...base, op: 'read', output: outputs.get(id) as { value: number | null } };
      case 'get':
        return { ...base, op: 'get', output: outputs.get(id) as { value: string } };
      case 'write':
        return { ...base, op: 'write', input: { value: p.value as number } };
      case 'put':
        return { ...base, op: 'put', input: { value: p.value as string } };
      case 'append':
        return { ...base, op: 'append', input: { value: p.value as string } };
      case 'cas':
        return p.unknown
          ? { ...base, op: 'cas', input: { from: p.from, to: p.value as number } }
          : { ...base, op: 'cas', input: { from: p.from, to: p.value as number }, output: outputs.get(id) as { ok: boolean } };
    }
  });
  const reads = ops.filter((op) => op.op === 'read' || op.op === 'get');
  for (let k = 0; k < shape.corrupt && reads.length > 0; k++) {
    const victim = reads[int(reads.length)] as GeneratedOperation;
    ops[victim.id] = corrupted(victim, history.get(victim.key ?? '') ?? [initial], rnd);
  }
  return ops;
}

/** The read with another output: an older or newer value of its key, one never written, or (kv) a piece missing. */
function corrupted(op: GeneratedOperation, values: readonly (number | string | null)[], rnd: () => number): GeneratedOperation {
  const pick = values[Math.floor(rnd() * values.length)] ?? null;
  if (op.op === 'read') {
    const now = op.output?.value ?? null;
    const value = rnd() < 0.2 || pick === now ? 99 : (pick as number | null);
    return { ...op, output: { value } };
  }
  if (op.op === 'get') {
    const now = op.output?.value ?? '';
    const pieces = now.split(';').filter((s) => s !== '');
    if (pieces.length > 0 && rnd() < 0.5) {
      pieces.splice(Math.floor(rnd() * pieces.length), 1);
      return { ...op, output: { value: pieces.map((s) => `${s};`).join('') } };
    }
    return { ...op, output: { value: pick === now ? `${now}x;` : (pick as string) } };
  }
  return op;
}

/** Shapes small enough for the brute-force checker (≤ `maxOps` operations). */
export function smallShapeArb(maxOps = 8): fc.Arbitrary<HistoryShape> {
  return fc.record({
    model: fc.constantFrom('register' as const, 'kv' as const),
    ops: fc.integer({ min: 1, max: maxOps }),
    clients: fc.integer({ min: 1, max: 4 }),
    keys: fc.constant(1),
    unknownRatio: fc.constantFrom(0, 0.3, 0.6),
    corrupt: fc.constantFrom(0, 0, 1),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
  });
}

/** Shapes up to `maxOps` operations, many clients, many unknown outcomes, some corrupted. */
export function shapeArb(maxOps = 200): fc.Arbitrary<HistoryShape> {
  return fc.record({
    model: fc.constantFrom('register' as const, 'kv' as const),
    ops: fc.integer({ min: 1, max: maxOps }),
    clients: fc.integer({ min: 1, max: 20 }),
    keys: fc.integer({ min: 1, max: 3 }),
    unknownRatio: fc.constantFrom(0, 0.1, 0.3, 0.5),
    corrupt: fc.constantFrom(0, 0, 1, 2),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
  });
}

/**
 * The brute-force reference: tries every order that respects real time, leaving out any unknown
 * operation (it may never have happened). Exponential: for a handful of operations only.
 */
export function bruteForceLinearizable<S, Op extends Operation>(model: Model<S, Op>, history: readonly Op[]): boolean {
  const ops = history.filter((op) => op.status !== 'fail');
  const placed = new Array<boolean>(ops.length).fill(false);
  const go = (state: S): boolean => {
    if (ops.every((op, i) => placed[i] === true || op.status === 'unknown')) return true;
    for (let i = 0; i < ops.length; i++) {
      if (placed[i] === true) continue;
      const op = ops[i] as Op;
      // Every unplaced operation that returned before this one was called must come first.
      if (ops.some((o, j) => placed[j] !== true && j !== i && effectiveReturn(o) < op.call)) continue;
      const next = model.step(state, op);
      if (next === ILLEGAL) continue;
      placed[i] = true;
      const ok = go(next);
      placed[i] = false;
      if (ok) return true;
    }
    return false;
  };
  return go(model.init());
}
