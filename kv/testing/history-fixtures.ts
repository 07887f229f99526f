/**
 * Concurrent etcd histories that are linearizable by construction, for the etcd model's tests and
 * benchmark: clients issue operations with overlapping intervals; each operation takes effect at
 * a random point inside its interval, and the points, in order, drive a real MVCC store whose
 * answers become the outputs. Some writes end unknown: half of those took effect, half never did.
 */
import type { RangeRequest, TxnRequest } from '../api.js';
import { createMvccStore } from '../mvcc/store.js';
import type { EtcdOperation } from '../check/etcd-model.js';
import { assert } from '../../sim/assert.js';
import type { Operation } from '../../sim/history.js';
import { createRandom } from '../../sim/random.js';
import type { Random } from '../../sim/random.js';

export interface ConcurrentHistoryOptions {
  readonly seed: number;
  readonly clients: number;
  readonly opsPerClient: number;
  readonly keys: number;
  /** Chance that a write ends with an unknown outcome. */
  readonly unknownWriteRatio: number;
  /** Longest operation, in µs (each lasts 1..this). */
  readonly latencyUsMax: number;
}

type Request = { op: 'range'; input: RangeRequest } | { op: 'put'; input: { key: string; value: string } } | { op: 'delete'; input: { key: string } } | { op: 'txn'; input: TxnRequest };

interface Planned {
  readonly client: number;
  readonly request: Request;
  readonly call: number;
  readonly ret: number;
  /** When it takes effect. */
  readonly at: number;
  readonly unknown: boolean;
  readonly happens: boolean;
}

function pickRequest(r: Random, client: number, n: number, keys: number): Request {
  const key = `k${r.int(0, keys - 1)}`;
  const value = `c${client}-${n}`;
  const roll = r.float();
  if (roll < 0.4) return { op: 'range', input: { key } };
  if (roll < 0.45) return { op: 'range', input: { key: 'k', rangeEnd: 'l' } };
  if (roll < 0.75) return { op: 'put', input: { key, value } };
  if (roll < 0.85) return { op: 'delete', input: { key } };
  const seen = `c${r.int(0, client)}-${r.int(0, Math.max(0, n - 1))}`;
  return {
    op: 'txn',
    input: {
      compare: [{ target: 'VALUE', result: 'EQUAL', key, value: seen }],
      success: [{ type: 'put', request: { key, value } }],
      failure: [{ type: 'range', request: { key } }],
    },
  };
}

function plan(o: ConcurrentHistoryOptions): Planned[] {
  const root = createRandom(o.seed);
  const planned: Planned[] = [];
  for (let c = 0; c < o.clients; c++) {
    const r = root.fork(`client/${c}`);
    let t = r.int(0, o.latencyUsMax);
    for (let n = 0; n < o.opsPerClient; n++) {
      const request = pickRequest(r, c, n, o.keys);
      const call = t;
      const ret = call + r.int(1, o.latencyUsMax);
      const unknown = request.op !== 'range' && r.chance(o.unknownWriteRatio);
      planned.push({ client: c, request, call, ret, at: r.int(call, ret), unknown, happens: !unknown || r.chance(0.5) });
      t = ret + r.int(1, o.latencyUsMax);
    }
  }
  return planned;
}

/** A linearizable concurrent etcd history, operations in call order. */
export function concurrentEtcdHistory(o: ConcurrentHistoryOptions): EtcdOperation[] {
  assert(o.clients > 0 && o.opsPerClient > 0 && o.keys > 0 && o.latencyUsMax > 0, 'fixture: positive sizes');
  const planned = plan(o);
  const store = createMvccStore();
  const outputs = new Map<Planned, unknown>();
  for (const p of [...planned].sort((a, b) => a.at - b.at || a.client - b.client)) {
    if (!p.happens) continue;
    const q = p.request;
    const res = q.op === 'range' ? store.range(q.input) : q.op === 'put' ? store.put(q.input) : q.op === 'delete' ? store.deleteRange(q.input) : store.txn(q.input);
    assert(res.ok, () => `fixture: the store refused ${q.op}`);
    outputs.set(p, { revision: store.rev(), ...(res.value as object) });
  }
  return planned
    .sort((a, b) => a.call - b.call || a.client - b.client)
    .map((p, id): EtcdOperation => {
      const key = p.request.op === 'txn' ? (p.request.input.compare[0]?.key ?? '') : p.request.input.key;
      const base = { id, client: p.client, op: p.request.op, key, input: p.request.input, call: p.call };
      const op: Operation = p.unknown ? { ...base, return: null, status: 'unknown' } : { ...base, return: p.ret, status: 'ok', output: outputs.get(p) };
      return op as EtcdOperation;
    });
}
