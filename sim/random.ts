/**
 * Seeded randomness: one root seed, many named streams.
 *
 * Every draw in a run comes from a stream forked off the root by a stable name such as
 * `net/delay`, `disk/fault` or `raft/n3/election`. A stream's seed is derived from its parent's
 * seed and its name alone, so adding a stream, or drawing more from one, never shifts another's
 * draws: a change to the disk model cannot reshuffle the network's delays.
 *
 * Built on seedrandom's Alea generator (fast, 2^116 period, seedable by string).
 */
import seedrandom from 'seedrandom';
import { assert } from './assert.js';

export interface Bounds {
  /** Smallest value returned. */
  readonly min: number;
  /** Largest value returned. */
  readonly max: number;
}

export interface Random {
  /** The derived seed string of this stream (`<root>/<name>/<name>…`). */
  readonly seed: string;
  /** An independent stream whose seed derives from (this seed, name). */
  fork(name: string): Random;
  /** A float in [0, 1). */
  float(): number;
  /** An integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number;
  /** True with probability p (p ≤ 0: never, p ≥ 1: always, and no draw is taken). */
  chance(p: number): boolean;
  /** One item, uniformly. */
  pick<T>(items: readonly T[]): T;
  /** Shuffles in place (Fisher–Yates) and returns the same array. */
  shuffle<T>(items: T[]): T[];
  /** Exponential with the given mean, clamped to bounds: memoryless waits (arrivals, faults). */
  exponential(mean: number, bounds: Bounds): number;
  /** Log-normal with the given median and shape sigma, clamped: network and disk latencies. */
  logNormal(median: number, sigma: number, bounds: Bounds): number;
  /** A standard normal draw (Box–Muller; one draw pair per call, kept simple for determinism). */
  normal(): number;
}

class AleaRandom implements Random {
  readonly seed: string;
  private readonly next: () => number;

  constructor(seed: string) {
    this.seed = seed;
    this.next = seedrandom.alea(seed);
  }

  fork(name: string): Random {
    assert(name.length > 0, 'random: a stream name must not be empty');
    return new AleaRandom(`${this.seed}/${name}`);
  }

  float(): number {
    return this.next();
  }

  int(lo: number, hi: number): number {
    assert(Number.isInteger(lo) && Number.isInteger(hi) && lo <= hi, () => `random.int: bad range [${lo}, ${hi}]`);
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'random.pick: empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  exponential(mean: number, bounds: Bounds): number {
    assert(mean > 0, 'random.exponential: mean must be > 0');
    // 1 - u is in (0, 1], so the log is finite.
    return clamp(-mean * Math.log(1 - this.next()), bounds);
  }

  logNormal(median: number, sigma: number, bounds: Bounds): number {
    assert(median > 0 && sigma >= 0, 'random.logNormal: median must be > 0 and sigma ≥ 0');
    return clamp(median * Math.exp(sigma * this.normal()), bounds);
  }

  normal(): number {
    const u1 = 1 - this.next();
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

function clamp(x: number, { min, max }: Bounds): number {
  assert(min <= max, () => `random: bounds min ${min} > max ${max}`);
  return x < min ? min : x > max ? max : x;
}

/** The root stream of a run. A number and its decimal string give the same stream. */
export function createRandom(seed: number | string): Random {
  return new AleaRandom(String(seed));
}

/**
 * A latency distribution in whole microseconds, as options give it (network delays, disk
 * operations): `fixed`, `uniform` over [minUs, maxUs], or `log-normal` (a median, a shape sigma,
 * clamped to [minUs, maxUs]) — the long right tail that real networks and disks have.
 */
export type LatencyModel =
  | { readonly kind: 'fixed'; readonly us: number }
  | { readonly kind: 'uniform'; readonly minUs: number; readonly maxUs: number }
  | { readonly kind: 'log-normal'; readonly medianUs: number; readonly sigma: number; readonly minUs: number; readonly maxUs: number };

/** One draw from `model`, rounded to a whole µs. `fixed` takes no draw from `r`. */
export function drawLatencyUs(r: Random, model: LatencyModel): number {
  switch (model.kind) {
    case 'fixed':
      return model.us;
    case 'uniform':
      return r.int(model.minUs, model.maxUs);
    case 'log-normal': {
      // Inlined rather than r.logNormal(...) to avoid a bounds object per draw on the message path.
      const x = Math.round(model.medianUs * Math.exp(model.sigma * r.normal()));
      return x < model.minUs ? model.minUs : x > model.maxUs ? model.maxUs : x;
    }
  }
}

/** Checks a latency model given in options; `what` names it in the message (`network.delay`). */
export function validateLatency(model: LatencyModel, what: string): void {
  const whole = (x: number): boolean => Number.isInteger(x) && x >= 0;
  switch (model.kind) {
    case 'fixed':
      assert(whole(model.us), () => `${what}: us must be an integer ≥ 0, got ${model.us}`);
      return;
    case 'uniform':
      assert(whole(model.minUs) && whole(model.maxUs) && model.minUs <= model.maxUs, () => `${what}: need integers 0 ≤ minUs ≤ maxUs, got [${model.minUs}, ${model.maxUs}]`);
      return;
    case 'log-normal':
      assert(model.medianUs > 0 && model.sigma >= 0, () => `${what}: need medianUs > 0 and sigma ≥ 0, got ${model.medianUs}, ${model.sigma}`);
      assert(whole(model.minUs) && whole(model.maxUs) && model.minUs <= model.maxUs, () => `${what}: need integers 0 ≤ minUs ≤ maxUs, got [${model.minUs}, ${model.maxUs}]`);
      return;
    default:
      assert(false, () => `${what}: unknown latency kind ${JSON.stringify((model as { kind: unknown }).kind)}`);
  }
}
