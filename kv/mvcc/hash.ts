/**
 * A small, deterministic 32-bit hash (FNV-1a) for HashKV and snapshot checksums.
 *
 * etcd hashes its backend with CRC-32C; any fixed function works for comparing members, because all
 * members run the same code. Strings are hashed by UTF-16 code unit, numbers as two 32-bit halves
 * (every revision, version and lease id is a safe integer), each field prefixed so that adjacent
 * fields cannot run into each other ("ab"+"c" ≠ "a"+"bc").
 */
import type { KeyValue } from '../api.js';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const TWO_POW_32 = 0x1_0000_0000;

export class Fnv1a {
  private h: number;

  /** A new hash, or one resumed from a `state()` taken earlier (the bytes hashed so far are in it). */
  constructor(state: number = FNV_OFFSET) {
    this.h = state;
  }

  /** The running state, to resume from with `new Fnv1a(state)`. */
  state(): number {
    return this.h;
  }

  /** Adds one 32-bit word, byte by byte. */
  word(w: number): this {
    let h = this.h;
    h = Math.imul(h ^ (w & 0xff), FNV_PRIME);
    h = Math.imul(h ^ ((w >>> 8) & 0xff), FNV_PRIME);
    h = Math.imul(h ^ ((w >>> 16) & 0xff), FNV_PRIME);
    h = Math.imul(h ^ ((w >>> 24) & 0xff), FNV_PRIME);
    this.h = h;
    return this;
  }

  /** Adds an integer in [-2^53, 2^53] as low and high words (the sign goes into the high word). */
  int(n: number): this {
    const hi = Math.floor(n / TWO_POW_32);
    return this.word(n - hi * TWO_POW_32).word(hi | 0);
  }

  /** Adds a string: its length, then its UTF-16 code units two at a time. */
  str(s: string): this {
    this.word(s.length);
    let h = this.h;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h = Math.imul(h ^ (c & 0xff), FNV_PRIME);
      h = Math.imul(h ^ (c >>> 8), FNV_PRIME);
    }
    this.h = h;
    return this;
  }

  /** The hash so far, as an unsigned 32-bit integer. */
  digest(): number {
    return this.h >>> 0;
  }
}

/** The hash of one string (snapshot checksums). */
export function hashString(s: string): number {
  return new Fnv1a().str(s).digest();
}

/**
 * The hash of one row of the revision-keyed backend: `key` at revision main.sub, with its value, or
 * `kv` null for a tombstone.
 */
export function rowHash(key: string, main: number, sub: number, kv: KeyValue | null): number {
  const h = new Fnv1a().str(key).int(main).int(sub);
  if (kv === null) h.word(0);
  else h.word(1).int(kv.createRevision).int(kv.version).int(kv.lease).str(kv.value);
  return h.digest();
}

/**
 * HashKV's answer for a set of rows, given the sum (mod 2^32) of their `rowHash`es and their number.
 * etcd runs CRC-32C over the rows in revision order; the set decides that order, so hashing the set
 * order-free decides the same equalities (bar 32-bit collisions) and lets a row leave the set in
 * O(1) — which etcd's rule needs: a row the compaction kept stops counting once its key changes.
 */
export function rowSetHash(sum: number, count: number): number {
  return new Fnv1a().str('key').word(sum >>> 0).word(count).digest();
}
