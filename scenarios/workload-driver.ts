/**
 * Drives the scenario's traffic through the cluster's clients: each client runs one operation at
 * a time (as the history and the checkers require), waiting an exponential think time between
 * operations so that the clients together offer `ratePerS`; watchers watch the whole key space;
 * one client compacts now and then.
 *
 * Operations (the `mix` weights): `get` (a single-key range, serializable with
 * `serializableReadRatio`), `put` (a value unique in the run: `c<client>-<n>`, so a read names the
 * write it saw), `delete`, `txn` (a compare-and-set: if the key holds the value this client last
 * saw there, put a new one, else read it), `range` (every key). Keys are `k0`…`k<keys−1>`, picked
 * uniformly or by a Zipf law (few hot keys: contention, the interesting case).
 *
 * Draws come from `workload/c<i>` per client (and `workload/zipf` tables are computed, not drawn),
 * so one client's traffic never shifts another's.
 */
import type { HostId } from '../sim/host.js';
import type { Random } from '../sim/random.js';
import { ms as msToUs } from '../sim/time.js';
import type { RangeRequest, TxnRequest } from '../kv/api.js';
import type { SimCluster } from './cluster.js';
import type { WorkloadOptions } from './schema.js';

/** The key space `[k, l)`: every workload key starts with `k`. */
export const KEY_PREFIX = 'k';
const KEY_SPACE_END = 'l';

export interface WorkloadDriver {
  start(): void;
  /** No new operations from now on (those in flight finish or time out). */
  stop(): void;
  /** Operations issued so far. */
  readonly issued: number;
}

type OpKind = keyof WorkloadOptions['mix'];
const OP_KINDS: readonly OpKind[] = ['get', 'put', 'delete', 'txn', 'range'];

export function createWorkloadDriver(cluster: SimCluster, w: WorkloadOptions, random: Random): WorkloadDriver {
  return new Driver(cluster, w, random);
}

class Driver implements WorkloadDriver {
  issued = 0;
  private stopped = false;
  private readonly cdf: readonly number[];
  private readonly weights: readonly number[];
  private readonly weightTotal: number;
  private readonly thinkMeanUs: number;
  /** The last value each client saw per key, for its compare-and-set. */
  private readonly seen = new Map<HostId, Map<string, string>>();
  private lastRevision = 0;

  constructor(
    private readonly cluster: SimCluster,
    private readonly w: WorkloadOptions,
    private readonly random: Random,
  ) {
    this.cdf = keyCdf(w.keys, w.distribution, w.zipfExponent);
    this.weights = OP_KINDS.map((k) => w.mix[k]);
    this.weightTotal = this.weights.reduce((a, b) => a + b, 0);
    this.thinkMeanUs = Math.max(1, Math.round((1_000_000 * Math.max(1, w.clients)) / w.ratePerS));
  }

  start(): void {
    const ids = this.cluster.clientIds;
    ids.forEach((id, i) => {
      const r = this.random.fork(`c${i}`);
      this.seen.set(id, new Map());
      if (this.weightTotal > 0) this.cluster.scheduler.schedule(this.think(r), () => this.next(id, r));
    });
    for (let i = 0; i < this.w.watchers && ids.length > 0; i++) {
      const client = this.cluster.client(ids[i % ids.length] as HostId);
      client?.watch({ key: KEY_PREFIX, rangeEnd: KEY_SPACE_END, startRevision: 0, prevKv: true, progressNotify: true });
    }
    if (this.w.compactEveryMs > 0 && ids.length > 0) this.cluster.scheduler.schedule(msToUs(this.w.compactEveryMs), () => this.compact(ids[0] as HostId));
  }

  stop(): void {
    this.stopped = true;
  }

  private think(r: Random): number {
    return Math.round(r.exponential(this.thinkMeanUs, { min: 0, max: 20 * this.thinkMeanUs }));
  }

  private next(id: HostId, r: Random): void {
    if (this.stopped) return;
    const client = this.cluster.client(id);
    if (client === undefined) return;
    this.issued++;
    const again = (): void => {
      if (!this.stopped) this.cluster.scheduler.schedule(this.think(r), () => this.next(id, r));
    };
    const key = this.pickKey(r);
    const kind = this.pickKind(r);
    const seen = this.seen.get(id) as Map<string, string>;
    const note = (rev: number, value?: string): void => {
      if (rev > this.lastRevision) this.lastRevision = rev;
      if (value !== undefined) seen.set(key, value);
    };
    switch (kind) {
      case 'get': {
        const req: RangeRequest = r.chance(this.w.serializableReadRatio) ? { key, serializable: true } : { key };
        return client.call('range', req, (o) => {
          if (o.status === 'ok') note(o.header.revision, o.response.kvs[0]?.value ?? '');
          again();
        });
      }
      case 'put': {
        const value = `c${id}-${this.issued}`;
        return client.call('put', { key, value }, (o) => {
          if (o.status === 'ok') note(o.header.revision, value);
          again();
        });
      }
      case 'delete':
        return client.call('delete', { key }, (o) => {
          if (o.status === 'ok') note(o.header.revision, '');
          again();
        });
      case 'txn': {
        const value = `c${id}-${this.issued}`;
        const txn = casTxn(key, seen.get(key) ?? '', value);
        return client.call('txn', txn, (o) => {
          if (o.status === 'ok') {
            const read = o.response.responses[0];
            note(o.header.revision, o.response.succeeded ? value : read?.type === 'range' ? (read.response.kvs[0]?.value ?? '') : undefined);
          }
          again();
        });
      }
      case 'range':
        return client.call('range', { key: KEY_PREFIX, rangeEnd: KEY_SPACE_END }, (o) => {
          if (o.status === 'ok') note(o.header.revision);
          again();
        });
    }
  }

  /** Compacts to `compactKeepRevisions` behind the newest revision a client saw (not recorded: reads here never ask for old revisions). */
  private compact(id: HostId): void {
    if (this.stopped) return;
    const target = this.lastRevision - this.w.compactKeepRevisions;
    const client = this.cluster.client(id);
    if (client !== undefined && target > 1) client.call('compact', { revision: target }, undefined, { record: false });
    this.cluster.scheduler.schedule(msToUs(this.w.compactEveryMs), () => this.compact(id));
  }

  private pickKey(r: Random): string {
    const x = r.float();
    let i = 0;
    while (i < this.cdf.length - 1 && (this.cdf[i] as number) <= x) i++;
    return `${KEY_PREFIX}${i}`;
  }

  private pickKind(r: Random): OpKind {
    let x = r.float() * this.weightTotal;
    for (let i = 0; i < OP_KINDS.length; i++) {
      x -= this.weights[i] as number;
      if (x < 0) return OP_KINDS[i] as OpKind;
    }
    return OP_KINDS[this.weights.findIndex((w) => w > 0)] as OpKind;
  }
}

/** Compare-and-set: if `key` holds `expect` ('' = absent or empty), put `value`; else read `key`. */
export function casTxn(key: string, expect: string, value: string): TxnRequest {
  return {
    compare: expect === '' ? [{ target: 'VERSION', result: 'EQUAL', key, version: 0 }] : [{ target: 'VALUE', result: 'EQUAL', key, value: expect }],
    success: [{ type: 'put', request: { key, value } }],
    failure: [{ type: 'range', request: { key } }],
  };
}

/** Cumulative probabilities of keys 0..n−1: uniform, or Zipf with exponent s (key 0 the hottest). */
export function keyCdf(n: number, distribution: 'uniform' | 'zipfian', s: number): number[] {
  const weights = Array.from({ length: n }, (_, i) => (distribution === 'uniform' ? 1 : 1 / Math.pow(i + 1, s)));
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  return weights.map((w) => (acc += w / total));
}
