/**
 * Lowe's memoization table for the linearizability search: the set of (linearized operations,
 * model state) pairs already explored. Reaching the same pair again by another order cannot
 * lead anywhere new, so the search skips it.
 *
 * A set of linearized operations is identified by a hash the search keeps incrementally (Zobrist
 * hashing: each operation owns two random 32-bit words, and the hash of a set is the XOR of its
 * members' words) and stored as a *key*: a short run of 32-bit words the search writes so that
 * two sets are equal exactly when their keys are (a window of the bitset past the operations that
 * are certainly placed, see search.ts). A key's length is its own: a sequential history makes keys
 * of two or three words however long it is, so an entry costs some tens of bytes, not n/8.
 *
 * Entries live in typed arrays — an open-addressing slot table, the hashes, and keys in fixed-size
 * chunks that are never copied when the table grows; only the states are JS values. Nothing is
 * allocated per lookup.
 *
 * Memory is bounded by a byte budget the caller gives (the CLI derives it from the machine's
 * memory). Once an entry would not fit, the table stops growing: lookups still answer for what it
 * holds, new pairs are no longer remembered, and `full` says so. The table is only a cut — the
 * search stays exact without it, just slower — so a full table never changes a verdict.
 * A budget can be shared by several tables (one per partition) through a MemoryBudget.
 */
import { assert, InvariantViolation } from '../assert.js';

/** Default memory for the memo tables of one check when the caller gives none: 1 GiB. */
export const DEFAULT_MEMORY_BYTES = 1 << 30;

/** Words of the first key chunk; each next one doubles, up to CHUNK_WORDS. */
const CHUNK_WORDS_FIRST = 1 << 10;
/** Words per key chunk at most (4 MiB); a longer key gets a chunk of its own. */
const CHUNK_WORDS = 1 << 20;

/** What an entry's state costs the table beyond its slot: a reference in the states array. */
const STATE_REF_BYTES = 8;

/** Bytes of one entry's fixed fields: h1, h2, state hash, chunk, offset, length, next in group (Int32 each). */
const ENTRY_BYTES = 28;

/**
 * Entries of one group (same head and state, different set tails) compared at most per lookup: past
 * it a dominating entry may be missed, which costs search, never a verdict (the table is only a cut).
 */
const GROUP_SCAN_MAX = 64;

/** A byte budget shared by memo tables; each charges what it allocates and gives it back when released. */
export class MemoryBudget {
  private used = 0;
  constructor(readonly limitBytes: number) {
    assert(Number.isFinite(limitBytes) && limitBytes >= 0, () => `memo: a memory budget is a number of bytes ≥ 0, got ${limitBytes}`);
  }

  get usedBytes(): number {
    return this.used;
  }

  /** Takes `bytes` if they fit; false (and nothing taken) if not. */
  take(bytes: number): boolean {
    if (this.used + bytes > this.limitBytes) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

export class MemoCache<S> {
  private slots: Int32Array;
  private mask: number;
  private h1s: Int32Array;
  private h2s: Int32Array;
  private shs: Int32Array;
  private chunkOf: Int32Array;
  private offOf: Int32Array;
  private lenOf: Int32Array;
  /** Per entry, the next (older) entry of its group, plus one; 0 ends the group. */
  private nextOf: Int32Array;
  private readonly chunks: Uint32Array[] = [];
  /** Words used in the last shared chunk, and its size. */
  private chunkFill = 0;
  private chunkWords = 0;
  /** The last chunk that entries share (a long key's own chunk is never shared). */
  private sharedChunk = -1;
  private readonly states: S[] = [];
  private count = 0;
  private charged = 0;
  private isFull = false;
  private readonly budget: MemoryBudget;

  /**
   * `expectedEntries`: how many entries the caller expects (a search that never backtracks makes
   * one per operation), so the table is sized once instead of doubled up to it. Only a size: the
   * set of entries, and so every answer, is the same whatever it is — unless the budget is reached.
   */
  constructor(
    private readonly equal: (a: S, b: S) => boolean,
    budget: MemoryBudget | number = DEFAULT_MEMORY_BYTES,
    expectedEntries = 0,
    /** Keys may have a set tail (see `add`); each head must then fix its own length. */
    private readonly tails = false,
  ) {
    this.budget = typeof budget === 'number' ? new MemoryBudget(budget) : budget;
    let cap = 256;
    while (cap < expectedEntries && cap < 1 << 24) cap *= 2;
    // The first tables are small, so a tiny budget may not even hold them: then nothing is stored.
    while (cap > 16 && !this.budget.take(cap * (16 + ENTRY_BYTES))) cap >>= 1;
    if (cap <= 16) {
      cap = 16;
      this.isFull = true;
    } else {
      this.charged = cap * (16 + ENTRY_BYTES);
    }
    this.slots = new Int32Array(cap * 4);
    this.mask = this.slots.length - 1;
    this.h1s = new Int32Array(cap);
    this.h2s = new Int32Array(cap);
    this.shs = new Int32Array(cap);
    this.chunkOf = new Int32Array(cap);
    this.offOf = new Int32Array(cap);
    this.lenOf = new Int32Array(cap);
    this.nextOf = new Int32Array(cap);
  }

  get size(): number {
    return this.count;
  }

  /** True once the budget refused memory: new pairs are no longer remembered. */
  get full(): boolean {
    return this.isFull;
  }

  /** Bytes this table holds of its budget. */
  get bytes(): number {
    return this.charged;
  }

  /**
   * Adds (key, state) unless already present; true when it was new (also when it was new but the
   * budget had no room to remember it). h1/h2 are the set's hashes, sh the state's (0 when the
   * model does not hash states); key[0..len) the set's key.
   *
   * In a table made with `tails`, the key is a head and a *set* tail: key[head..len) is a sorted list of
   * numbers (the search's placed unknown-outcome operations), and an entry with the same head and
   * state whose tail is a subset of this one's counts as present — it dominates: whatever can
   * follow the larger set can follow the smaller one. The hashes must then cover the head only,
   * and the head must fix its own length (the search's does: its second word is its window's).
   */
  add(h1: number, h2: number, sh: number, key: Uint32Array, len: number, state: S, head = len): boolean {
    // The slot table holds one entry per group (the newest): entries with the same head and state,
    // chained through nextOf. Without a tail a group has one entry: the plain set of pairs.
    const slots = this.slots;
    let i = slotOf(h1, sh) & this.mask;
    for (let probe = 0; probe <= this.mask; probe++) {
      const e = slots[i] as number;
      if (e === 0) {
        if (!this.isFull) this.insert(i, -1, h1, h2, sh, key, len, state);
        return true;
      }
      const k = e - 1;
      if (this.h1s[k] === h1 && this.h2s[k] === h2 && this.shs[k] === sh && (this.tails ? this.sameHead(k, key, head) : this.sameKey(k, key, len)) && this.equal(this.states[k] as S, state)) {
        if (!this.tails) return false;
        let g = k;
        for (let n = 0; g >= 0 && n < GROUP_SCAN_MAX; n++) {
          if (this.tailWithin(g, key, head, len)) return false;
          g = (this.nextOf[g] as number) - 1;
        }
        if (!this.isFull) this.insert(i, k, h1, h2, sh, key, len, state);
        return true;
      }
      i = (i + 1) & this.mask;
    }
    // The table is kept at most half full, so a probe always finds an empty slot.
    throw new InvariantViolation('memo: no empty slot in a table kept half full');
  }

  /** Entry k's key starts with key[0..head). */
  private sameHead(k: number, key: Uint32Array, head: number): boolean {
    const stored = this.lenOf[k] as number;
    if (stored < head) return false;
    const chunk = this.chunks[this.chunkOf[k] as number] as Uint32Array;
    const base = this.offOf[k] as number;
    for (let j = 0; j < head; j++) if (chunk[base + j] !== key[j]) return false;
    return true;
  }

  /** Entry k's tail (past `head`) is a subset of key[head..len) (both sorted ascending). */
  private tailWithin(k: number, key: Uint32Array, head: number, len: number): boolean {
    const stored = this.lenOf[k] as number;
    if (stored - head > len - head) return false;
    const chunk = this.chunks[this.chunkOf[k] as number] as Uint32Array;
    const base = this.offOf[k] as number;
    let j = head;
    for (let t = base + head; t < base + stored; t++) {
      const want = chunk[t] as number;
      while (j < len && (key[j] as number) < want) j++;
      if (j === len || key[j] !== want) return false;
      j++;
    }
    return true;
  }

  /** Gives the table's memory back to its budget; the table must not be used after. */
  release(): void {
    this.budget.give(this.charged);
    this.charged = 0;
    this.isFull = true;
    this.chunks.length = 0;
    this.states.length = 0;
    this.count = 0;
    this.slots = new Int32Array(4);
    this.mask = 3;
  }

  private sameKey(k: number, key: Uint32Array, len: number): boolean {
    if (this.lenOf[k] !== len) return false;
    const chunk = this.chunks[this.chunkOf[k] as number] as Uint32Array;
    const base = this.offOf[k] as number;
    for (let j = 0; j < len; j++) if (chunk[base + j] !== key[j]) return false;
    return true;
  }

  /** Room for `len` key words: the offset in the chunk, or -1 when the budget has none. */
  private reserveKey(len: number): number {
    if (len > CHUNK_WORDS) {
      if (!this.take(len * 4)) return -1;
      this.chunks.push(new Uint32Array(len));
      return 0;
    }
    if (this.chunkFill + len > this.chunkWords) {
      const words = Math.max(len, this.chunkWords === 0 ? CHUNK_WORDS_FIRST : Math.min(CHUNK_WORDS, this.chunkWords * 2));
      if (!this.take(words * 4)) return -1;
      this.chunkWords = words;
      this.chunks.push(new Uint32Array(words));
      this.sharedChunk = this.chunks.length - 1;
      this.chunkFill = 0;
    }
    const off = this.chunkFill;
    this.chunkFill += len;
    return off;
  }

  private take(bytes: number): boolean {
    if (!this.budget.take(bytes)) {
      this.isFull = true;
      return false;
    }
    this.charged += bytes;
    return true;
  }

  /** A new entry at `slot`, in front of the group whose newest entry is `group` (-1: a new group). */
  private insert(slot: number, group: number, h1: number, h2: number, sh: number, key: Uint32Array, len: number, state: S): void {
    const k = this.count;
    if (k === this.h1s.length && !this.growEntries()) return;
    // The slot table doubles at half full: reserve that first, so an entry never lands in a table it overfills.
    if ((k + 1) * 2 > this.slots.length && !this.take(this.slots.length * 8)) return;
    if (!this.take(STATE_REF_BYTES)) return;
    const off = this.reserveKey(len);
    if (off < 0) return;
    const chunkIndex = len > CHUNK_WORDS ? this.chunks.length - 1 : this.sharedChunk;
    (this.chunks[chunkIndex] as Uint32Array).set(key.subarray(0, len), off);
    this.h1s[k] = h1;
    this.h2s[k] = h2;
    this.shs[k] = sh;
    this.chunkOf[k] = chunkIndex;
    this.offOf[k] = off;
    this.lenOf[k] = len;
    this.nextOf[k] = group + 1;
    this.states.push(state);
    this.slots[slot] = k + 1;
    this.count = k + 1;
    if (this.count * 2 > this.slots.length) this.rehash();
  }

  private growEntries(): boolean {
    const cap = this.h1s.length * 2;
    if (!this.take(this.h1s.length * ENTRY_BYTES)) return false;
    const grow = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.h1s = grow(this.h1s);
    this.h2s = grow(this.h2s);
    this.shs = grow(this.shs);
    this.chunkOf = grow(this.chunkOf);
    this.offOf = grow(this.offOf);
    this.lenOf = grow(this.lenOf);
    this.nextOf = grow(this.nextOf);
    return true;
  }

  /** Doubles the slot table (its memory was taken by insert) and gives the old one's back. */
  private rehash(): void {
    const old = this.slots.length * 4;
    this.charged -= old;
    this.budget.give(old);
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    // Only each group's newest entry sits in a slot; the rest hang off it.
    for (const e of this.slots) {
      if (e === 0) continue;
      const k = e - 1;
      let i = slotOf(this.h1s[k] as number, this.shs[k] as number) & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = e;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/** Mixes the state hash in, so equal sets with different states spread over the table. */
function slotOf(h1: number, sh: number): number {
  return h1 ^ Math.imul(sh, 0x9e3779b1);
}
