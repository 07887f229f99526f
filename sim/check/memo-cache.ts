/**
 * Lowe's memoization table for the linearizability search: the set of (linearized operations,
 * model state) pairs already explored. Reaching the same pair again by another order cannot
 * lead anywhere new, so the search skips it.
 *
 * The set of linearized operations is a bitset whose hash is kept incrementally by the search
 * (Zobrist hashing: each operation owns two random 32-bit words, and the hash of a set is the XOR
 * of its members' words), so a lookup never rescans the bitset unless two hashes match. Entries
 * live in typed arrays: an open-addressing slot table, the two hashes, and a pool of bitset
 * copies; only the states are JS values. Nothing is allocated per lookup.
 *
 * A model may also hash its states: then the slot is chosen by both hashes, and the many states a
 * set of operations can reach in different orders (appends!) do not pile up in one probe chain.
 */
import { assert, InvariantViolation } from '../assert.js';

/** The most entries the table holds: a bound on memory (the search's step budget comes first). */
export const MEMO_ENTRIES_MAX = 1 << 26;
/**
 * The most bitset words the table keeps (256 MiB): a long history makes long bitsets, so the search
 * ends as `unknown` when its memo would pass this — a bound counted in entries, so it reproduces.
 */
export const MEMO_WORDS_MAX = 1 << 26;

/** The most bitset words allocated up front for an expected size (4 MiB); beyond, the pool grows as it fills. */
const PRESIZE_WORDS_MAX = 1 << 20;

export class MemoCache<S> {
  private slots: Int32Array;
  private mask: number;
  private h1s: Int32Array;
  private h2s: Int32Array;
  private shs: Int32Array;
  private pool: Uint32Array;
  private readonly states: S[] = [];
  private count = 0;

  /**
   * `expectedEntries`: how many entries the caller expects (a search that never backtracks makes
   * one per operation), so the table is sized once instead of doubled up to it. Only a size: the
   * set of entries, and so every answer, is the same whatever it is.
   */
  constructor(
    private readonly wordsPerSet: number,
    private readonly equal: (a: S, b: S) => boolean,
    expectedEntries = 0,
  ) {
    assert(wordsPerSet >= 1, 'memo: a bitset has at least one word');
    // At least 256 entries; at most what keeps the first pool within PRESIZE_WORDS_MAX words.
    let cap = 256;
    while (cap < expectedEntries && cap * 2 * wordsPerSet <= PRESIZE_WORDS_MAX) cap *= 2;
    this.slots = new Int32Array(cap * 4);
    this.mask = this.slots.length - 1;
    this.h1s = new Int32Array(cap);
    this.h2s = new Int32Array(cap);
    this.shs = new Int32Array(cap);
    this.pool = new Uint32Array(cap * wordsPerSet);
  }

  get size(): number {
    return this.count;
  }

  /** True once another entry would pass MEMO_WORDS_MAX or MEMO_ENTRIES_MAX. */
  get full(): boolean {
    return (this.count + 1) * this.wordsPerSet > MEMO_WORDS_MAX || this.count + 1 >= MEMO_ENTRIES_MAX;
  }

  /**
   * Adds (bits, state) unless already present; true when it was new. h1/h2 are the set's hashes,
   * sh the state's (0 when the model does not hash states).
   */
  add(h1: number, h2: number, sh: number, bits: Uint32Array, state: S): boolean {
    const slots = this.slots;
    let i = slotOf(h1, sh) & this.mask;
    for (let probe = 0; probe <= this.mask; probe++) {
      const e = slots[i] as number;
      if (e === 0) {
        this.insert(i, h1, h2, sh, bits, state);
        return true;
      }
      const k = e - 1;
      if (this.h1s[k] === h1 && this.h2s[k] === h2 && this.shs[k] === sh && this.sameBits(k, bits) && this.equal(this.states[k] as S, state)) {
        return false;
      }
      i = (i + 1) & this.mask;
    }
    // The table is kept at most half full, so a probe always finds an empty slot.
    throw new InvariantViolation('memo: no empty slot in a table kept half full');
  }

  private sameBits(k: number, bits: Uint32Array): boolean {
    const w = this.wordsPerSet;
    const base = k * w;
    const pool = this.pool;
    for (let j = 0; j < w; j++) if (pool[base + j] !== bits[j]) return false;
    return true;
  }

  private insert(slot: number, h1: number, h2: number, sh: number, bits: Uint32Array, state: S): void {
    const k = this.count;
    // Checked before the assertion, whose message closure would otherwise be built per entry.
    if (k >= MEMO_ENTRIES_MAX) assert(false, () => `memo: more than ${MEMO_ENTRIES_MAX} entries`);
    if (k === this.h1s.length) this.growEntries();
    this.h1s[k] = h1;
    this.h2s[k] = h2;
    this.shs[k] = sh;
    this.pool.set(bits, k * this.wordsPerSet);
    this.states.push(state);
    this.slots[slot] = k + 1;
    this.count = k + 1;
    if (this.count * 2 > this.slots.length) this.rehash();
  }

  private growEntries(): void {
    const cap = this.h1s.length * 2;
    const h1s = new Int32Array(cap);
    h1s.set(this.h1s);
    this.h1s = h1s;
    const h2s = new Int32Array(cap);
    h2s.set(this.h2s);
    this.h2s = h2s;
    const shs = new Int32Array(cap);
    shs.set(this.shs);
    this.shs = shs;
    const pool = new Uint32Array(cap * this.wordsPerSet);
    pool.set(this.pool);
    this.pool = pool;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let k = 0; k < this.count; k++) {
      let i = slotOf(this.h1s[k] as number, this.shs[k] as number) & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = k + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/** Mixes the state hash in, so equal sets with different states spread over the table. */
function slotOf(h1: number, sh: number): number {
  return h1 ^ Math.imul(sh, 0x9e3779b1);
}
