/**
 * Which key an operation touches: uniform over the key space, or zipfian (key i with probability
 * ∝ 1 / (i + 1)^s — a few hot keys, a long tail, as real workloads and YCSB have it).
 *
 * Keys are `k` + a zero-padded index (`k00`…`k99`), so their string order is their index order and
 * a prefix range over `k` covers them all.
 */
import { assert } from '../../sim/assert.js';
import type { Random } from '../../sim/random.js';

export type KeyDistribution = 'uniform' | 'zipfian';

export const KEY_PREFIX = 'k';

export interface KeyChooser {
  readonly keys: readonly string[];
  /** One key drawn from `random`. */
  pick(random: Random): string;
}

export function keyName(index: number, count: number): string {
  return KEY_PREFIX + String(index).padStart(String(Math.max(0, count - 1)).length, '0');
}

export function createKeyChooser(count: number, distribution: KeyDistribution, zipfExponent = 1.1): KeyChooser {
  assert(Number.isInteger(count) && count > 0, () => `workload: key count must be a positive integer, got ${count}`);
  const keys = Array.from({ length: count }, (_, i) => keyName(i, count));
  if (distribution === 'uniform') return { keys, pick: (r) => r.pick(keys) };
  assert(Number.isFinite(zipfExponent) && zipfExponent > 0, () => `workload: zipfExponent must be > 0, got ${zipfExponent}`);
  const cdf = zipfCdf(count, zipfExponent);
  return { keys, pick: (r) => keys[lowerBound(cdf, r.float())] as string };
}

/** The cumulative distribution of zipf(s) over 0..n-1, ending exactly at 1. */
export function zipfCdf(n: number, s: number): number[] {
  const weights = Array.from({ length: n }, (_, i) => 1 / Math.pow(i + 1, s));
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  const cdf = weights.map((w) => (acc += w / total));
  cdf[n - 1] = 1;
  return cdf;
}

/** The first index whose cdf value is > u (u in [0, 1)). */
function lowerBound(cdf: readonly number[], u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cdf[mid] as number) > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
