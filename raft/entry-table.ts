/**
 * Log entries by index, kept compactly for the checkers that remember every entry of a run
 * (raft/invariants.ts, the scenario runner's online checks): each index's term, type and a copy of
 * its data bytes in one growing arena, with no object per entry.
 *
 *   const t = new EntryTable();
 *   t.set(e.index, e, by);        // remembers (term, type, bytes) at that index, and a number
 *   t.matches(e.index, other);    // same term, type and bytes?
 *   t.tag(e.index);               // the number
 *
 * An entry's own `data` array costs about 180 bytes of object and buffer headers beside its
 * bytes; a long run's checkers kept one per entry per structure for the whole run.
 */
import type { Entry, EntryType, Term } from './core/types.js';

const TYPES: readonly EntryType[] = ['normal', 'conf-change', 'conf-change-v2'];

/** What the table compares and keeps of an entry. */
export type EntryParts = Pick<Entry, 'term' | 'type' | 'data'>;

export class EntryTable {
  /** By index: the term (0: nothing stored there — entries have terms ≥ 1). */
  private terms = new Float64Array(1024);
  private types = new Uint8Array(1024);
  /** By index: where its bytes start in `arena`, and how many. */
  private starts = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  /** By index: a number the owner keeps beside the entry (who stored it, a term it was seen at). */
  private tags = new Float64Array(1024);
  private arena = new Uint8Array(64 * 1024);
  private used = 0;
  private stored = 0;

  /** How many indexes hold an entry. */
  get size(): number {
    return this.stored;
  }

  has(index: number): boolean {
    return index < this.terms.length && this.terms[index] !== 0;
  }

  /** The term stored at `index`, or undefined. */
  term(index: number): Term | undefined {
    return this.has(index) ? (this.terms[index] as Term) : undefined;
  }

  /** The number stored beside the entry at `index` (0 when none is stored). */
  tag(index: number): number {
    return this.has(index) ? (this.tags[index] as number) : 0;
  }

  setTag(index: number, tag: number): void {
    if (this.has(index)) this.tags[index] = tag;
  }

  /** Stores `e` at `index` (which must hold nothing yet), with `tag` beside it. */
  set(index: number, e: EntryParts, tag = 0): void {
    if (index >= this.terms.length) this.growIndexes(index + 1);
    if (this.used + e.data.length > this.arena.length) {
      const next = new Uint8Array(Math.max(this.arena.length * 2, this.used + e.data.length));
      next.set(this.arena.subarray(0, this.used));
      this.arena = next;
    }
    this.arena.set(e.data, this.used);
    this.terms[index] = e.term;
    this.types[index] = TYPES.indexOf(e.type);
    this.starts[index] = this.used;
    this.lengths[index] = e.data.length;
    this.tags[index] = tag;
    this.used += e.data.length;
    this.stored++;
  }

  /** True when `index` holds an entry of `e`'s term and type with equal bytes. */
  matches(index: number, e: EntryParts): boolean {
    if (!this.has(index) || this.terms[index] !== e.term || TYPES[this.types[index] as number] !== e.type) return false;
    const n = this.lengths[index] as number;
    if (n !== e.data.length) return false;
    const at = this.starts[index] as number;
    const a = this.arena;
    const d = e.data;
    for (let i = 0; i < n; i++) if (a[at + i] !== d[i]) return false;
    return true;
  }

  private growIndexes(min: number): void {
    let n = this.terms.length;
    while (n < min) n *= 2;
    const grow = <T extends Float64Array | Uint8Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.terms = grow(this.terms, (k) => new Float64Array(k));
    this.types = grow(this.types, (k) => new Uint8Array(k));
    this.starts = grow(this.starts, (k) => new Float64Array(k));
    this.lengths = grow(this.lengths, (k) => new Uint32Array(k));
    this.tags = grow(this.tags, (k) => new Float64Array(k));
  }
}
