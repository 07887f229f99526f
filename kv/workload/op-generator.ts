/**
 * The next operation of a workload client, drawn from its `client/c<k>/ops` stream:
 * - `get`: a range over one key (serializable with `serializableReadRatio`);
 * - `range`: a range over every workload key (the `k` prefix);
 * - `put`: one key, a value unique in the run (`c<k>-<n>`), so checkers can tell writes apart;
 * - `delete`: one key;
 * - `txn`: compare-and-set — if the key's value is still the one this client last saw (or, when it
 *   saw none, if the key does not exist), put a new unique value; else read the key;
 * - `watch`: open a watch on one key from "now", held for `watchHoldUs`, then cancelled.
 * Clients learn values from their own successful reads and writes (`observe`).
 */
import type { RangeResponse, TxnRequest } from '../api.js';
import { prefixEnd } from '../api.js';
import { InvariantViolation, assert } from '../../sim/assert.js';
import type { Random } from '../../sim/random.js';
import type { KvCall } from '../wire.js';
import { KEY_PREFIX, type KeyChooser } from './key-chooser.js';

export type OpKind = 'get' | 'range' | 'put' | 'delete' | 'txn' | 'watch';
export const OP_KINDS: readonly OpKind[] = ['get', 'range', 'put', 'delete', 'txn', 'watch'];

export type OpMix = Readonly<Record<OpKind, number>>;

export type GeneratedOp = { readonly kind: Exclude<OpKind, 'watch'>; readonly call: KvCall } | { readonly kind: 'watch'; readonly key: string };

export class OpGenerator {
  private seq = 0;
  /** The last value this client saw per key (null: saw it absent). */
  private readonly known = new Map<string, string | null>();
  private readonly weights: readonly number[];
  private readonly total: number;

  constructor(
    private readonly process: number,
    private readonly keys: KeyChooser,
    mix: OpMix,
    private readonly serializableReadRatio: number,
    /** Txns that also range the key at a past revision (share 0: never, and nothing is drawn). */
    private readonly pastRange: { readonly share: number; readonly latest: () => number } = { share: 0, latest: () => 0 },
  ) {
    this.weights = OP_KINDS.map((k) => mix[k]);
    this.total = this.weights.reduce((a, b) => a + b, 0);
    assert(this.weights.every((w) => Number.isFinite(w) && w >= 0) && this.total > 0, () => `workload: the op mix needs non-negative weights with a positive sum, got ${JSON.stringify(mix)}`);
  }

  next(r: Random): GeneratedOp {
    const kind = this.pickKind(r);
    const key = this.keys.pick(r);
    switch (kind) {
      case 'get':
        return { kind, call: { method: 'range', request: r.chance(this.serializableReadRatio) ? { key, serializable: true } : { key } } };
      case 'range':
        return { kind, call: { method: 'range', request: { key: KEY_PREFIX, rangeEnd: prefixEnd(KEY_PREFIX) } } };
      case 'put':
        return { kind, call: { method: 'put', request: { key, value: this.uniqueValue() } } };
      case 'delete':
        return { kind, call: { method: 'delete', request: { key } } };
      case 'txn':
        return { kind, call: { method: 'txn', request: this.withPastRange(r, this.cas(key)) } };
      case 'watch':
        return { kind, key };
    }
  }

  /** Learns from an ok response what a key holds. */
  observe(call: KvCall, response: unknown): void {
    if (call.method === 'put') this.known.set(call.request.key, call.request.value);
    else if (call.method === 'delete') this.known.set(call.request.key, null);
    else if (call.method === 'range' && call.request.rangeEnd === undefined) this.known.set(call.request.key, (response as RangeResponse).kvs[0]?.value ?? null);
    else if (call.method === 'txn') this.observeTxn(call.request, response as { succeeded: boolean; responses: readonly { type: string; response: unknown }[] });
  }

  private observeTxn(r: TxnRequest, res: { succeeded: boolean; responses: readonly { type: string; response: unknown }[] }): void {
    const c = r.compare[0];
    if (c === undefined) return;
    if (res.succeeded) {
      const put = r.success[0];
      if (put?.type === 'put') this.known.set(put.request.key, put.request.value);
    } else {
      const read = res.responses[0];
      if (read?.type === 'range') this.known.set(c.key, (read.response as RangeResponse).kvs[0]?.value ?? null);
    }
  }

  private cas(key: string): TxnRequest {
    const seen = this.known.get(key);
    const compare = seen === undefined || seen === null ? { target: 'VERSION' as const, result: 'EQUAL' as const, key, version: 0 } : { target: 'VALUE' as const, result: 'EQUAL' as const, key, value: seen };
    return { compare: [compare], success: [{ type: 'put', request: { key, value: this.uniqueValue() } }], failure: [{ type: 'range', request: { key } }] };
  }

  /** With probability `pastRange.share`, the success branch also reads the key 1..200 revisions back. */
  private withPastRange(r: Random, t: TxnRequest): TxnRequest {
    if (this.pastRange.share <= 0 || !r.chance(this.pastRange.share)) return t;
    const revision = Math.max(1, this.pastRange.latest() - r.int(1, 200));
    const key = t.compare[0]?.key ?? '';
    return { ...t, success: [...t.success, { type: 'range', request: { key, revision } }] };
  }

  private uniqueValue(): string {
    return `c${this.process}-${this.seq++}`;
  }

  private pickKind(r: Random): OpKind {
    let u = r.float() * this.total;
    for (let i = 0; i < OP_KINDS.length; i++) {
      u -= this.weights[i] as number;
      if (u < 0) return OP_KINDS[i] as OpKind;
    }
    // Rounding: the last kind with a positive weight.
    for (let i = OP_KINDS.length - 1; i >= 0; i--) if ((this.weights[i] as number) > 0) return OP_KINDS[i] as OpKind;
    throw new InvariantViolation('workload: no op kind with a positive weight');
  }
}
