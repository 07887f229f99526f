/**
 * The history of one key (etcd `mvcc/key_index.go`): a list of generations.
 *
 * A generation is the life of a key from its creation to its deletion: the versions written by each
 * put, then a tombstone that ends it and opens a new, empty generation. The last generation is the
 * current one; it is empty when the key is deleted (or was never written). Each version carries the
 * stored KeyValue itself (our "backend"), so a read at any revision is an index walk, no lookup.
 *
 * Example (etcd's own): put(1) put(2) tombstone(3) put(4) tombstone(5) on key "foo" gives
 *   generations [ {1, 2, 3(t)}, {4, 5(t)}, {} ]
 * and a read at revision 4 finds version 4, a read at 3 or 5 finds nothing.
 */
import type { KeyValue } from '../api.js';
import { assert } from '../../sim/assert.js';
import { compareRevision, formatRevision, type Revision } from './revision.js';

/** One change to a key: a put (kv set) or a tombstone (kv null). */
export interface IndexedVersion extends Revision {
  /** The value written at this revision, or null for the tombstone that ends its generation. */
  readonly kv: KeyValue | null;
}

type Generation = IndexedVersion[];

export class KeyIndex {
  readonly key: string;
  /** Oldest first. Never empty; only the last may be an empty (current) generation. */
  private generations: Generation[] = [[]];
  private modifiedRev: Revision = { main: 0, sub: 0 };

  constructor(key: string) {
    this.key = key;
  }

  /** The revision of the last change (put or tombstone). */
  get modified(): Revision {
    return this.modifiedRev;
  }

  /** Records a put. A revision that does not follow the last change is a broken invariant (etcd panics). */
  put(version: IndexedVersion): void {
    assert(version.kv !== null, 'keyIndex.put: a put needs a value');
    assert(compareRevision(version, this.modifiedRev) > 0, () =>
      `keyIndex.put: revision ${formatRevision(version)} of "${this.key}" is not after ${formatRevision(this.modifiedRev)}`);
    this.current().push(version);
    this.modifiedRev = version;
  }

  /** Ends the current generation at revision `rev`. The key must be live. */
  tombstone(rev: Revision): void {
    const gen = this.current();
    assert(gen.length > 0, () => `keyIndex.tombstone: "${this.key}" is not live at ${formatRevision(rev)}`);
    assert(compareRevision(rev, this.modifiedRev) > 0, () =>
      `keyIndex.tombstone: revision ${formatRevision(rev)} of "${this.key}" is not after ${formatRevision(this.modifiedRev)}`);
    gen.push({ main: rev.main, sub: rev.sub, kv: null });
    this.generations.push([]);
    this.modifiedRev = rev;
  }

  /** The live value now, if any (fast path of `get` at the current revision). */
  latest(): KeyValue | undefined {
    const gen = this.current();
    const last = gen[gen.length - 1];
    return last === undefined ? undefined : (last.kv ?? undefined);
  }

  /** The version visible at main revision `atRev`, if the key was live then. */
  visibleAt(atRev: number): IndexedVersion | undefined {
    const last = this.generations.length - 1;
    for (let g = last; g >= 0; g--) {
      const gen = this.generations[g] as Generation;
      if (gen.length === 0) continue;
      // A closed generation whose tombstone is at or before atRev: the key was deleted by then, and
      // every older generation is older still.
      if (g !== last && (gen[gen.length - 1] as IndexedVersion).main <= atRev) return undefined;
      if ((gen[0] as IndexedVersion).main <= atRev) {
        const v = gen[lastAtOrBefore(gen, atRev)] as IndexedVersion;
        assert(v.kv !== null, () => `keyIndex: "${this.key}" found a tombstone inside generation at ${atRev}`);
        return v;
      }
    }
    return undefined;
  }

  /** The value visible at main revision `atRev`, if any. */
  get(atRev: number): KeyValue | undefined {
    return this.visibleAt(atRev)?.kv ?? undefined;
  }

  /**
   * Drops history older than `atRev` (etcd keyIndex.compact): keeps, of the generation alive at
   * `atRev`, the newest version ≤ atRev and everything after; drops older generations. A tombstone at
   * exactly `atRev` is kept (etcd #18089) so a watch from `atRev` still sees that DELETE.
   *
   * `dropTombstoneAtRev` is etcd before PR #18474 (the bug `etcd-18089`): a generation left with
   * nothing but its tombstone, at exactly `atRev`, is removed as well. Returns whether it was.
   */
  compact(atRev: number, dropTombstoneAtRev = false): boolean {
    let genIdx = 0;
    while (genIdx < this.generations.length - 1) {
      const gen = this.generations[genIdx] as Generation;
      if ((gen[gen.length - 1] as IndexedVersion).main >= atRev) break;
      genIdx++;
    }
    const gen = this.generations[genIdx] as Generation;
    const revIdx = lastAtOrBefore(gen, atRev);
    if (revIdx > 0) this.generations[genIdx] = gen.slice(revIdx);
    // etcd-18089 switched on: etcd's keyIndex.compact "removes any tombstone" left alone in a
    // generation that is not the last, even the one at the compaction revision itself.
    let dropped = false;
    if (dropTombstoneAtRev && genIdx < this.generations.length - 1 && (this.generations[genIdx] as Generation).length === 1) {
      genIdx++;
      dropped = true;
    }
    if (genIdx > 0) this.generations = this.generations.slice(genIdx);
    return dropped;
  }

  /** Nothing left but an empty current generation: the key can leave the index. */
  isEmpty(): boolean {
    return this.generations.length === 1 && (this.generations[0] as Generation).length === 0;
  }

  /** Every retained version, oldest first (for hashing, snapshots and checks). */
  forEachVersion(fn: (v: IndexedVersion) => void): void {
    for (const gen of this.generations) for (const v of gen) fn(v);
  }

  /** Generations as arrays, oldest first, for the snapshot encoder. */
  generationList(): readonly (readonly IndexedVersion[])[] {
    return this.generations;
  }

  /** Rebuilds from a snapshot's generations; `checkInvariants` validates the result. */
  static fromGenerations(key: string, generations: IndexedVersion[][]): KeyIndex {
    const ki = new KeyIndex(key);
    assert(generations.length > 0, () => `keyIndex.restore: "${key}" has no generations`);
    ki.generations = generations;
    let modified: Revision = { main: 0, sub: 0 };
    ki.forEachVersion((v) => { modified = v; });
    ki.modifiedRev = modified;
    return ki;
  }

  /**
   * Structural invariants: revisions strictly increase; a tombstone ends every generation but the
   * last, which has none; a put's KeyValue agrees with its position (key, mod revision, create
   * revision of its generation, version counting up by one).
   */
  checkInvariants(): void {
    let prev: Revision = { main: 0, sub: 0 };
    const last = this.generations.length - 1;
    this.generations.forEach((gen, g) => {
      assert(g === last || gen.length > 0, () => `keyIndex "${this.key}": empty generation ${g} before the last`);
      gen.forEach((v, i) => {
        assert(compareRevision(v, prev) > 0, () => `keyIndex "${this.key}": revision ${formatRevision(v)} not after ${formatRevision(prev)}`);
        prev = v;
        const isLast = i === gen.length - 1;
        if (v.kv === null) {
          assert(isLast && g !== last, () => `keyIndex "${this.key}": tombstone ${formatRevision(v)} not at the end of a closed generation`);
          return;
        }
        assert(g === last || !isLast, () => `keyIndex "${this.key}": closed generation ${g} does not end in a tombstone`);
        checkKv(this.key, v, gen, i);
      });
    });
    assert(compareRevision(prev, this.modifiedRev) === 0, () => `keyIndex "${this.key}": modified ${formatRevision(this.modifiedRev)} is not the last revision`);
  }

  private current(): Generation {
    return this.generations[this.generations.length - 1] as Generation;
  }
}

function checkKv(key: string, v: IndexedVersion, gen: Generation, i: number): void {
  const kv = v.kv as KeyValue;
  assert(kv.key === key && kv.modRevision === v.main, () => `keyIndex "${key}": kv at ${formatRevision(v)} has key "${kv.key}" mod ${kv.modRevision}`);
  const prev = i > 0 ? gen[i - 1] : undefined;
  // After compaction a generation may start mid-way, so only consecutive versions are compared.
  if (prev?.kv) {
    assert(kv.version === prev.kv.version + 1 && kv.createRevision === prev.kv.createRevision, () =>
      `keyIndex "${key}": version ${kv.version}/create ${kv.createRevision} at ${formatRevision(v)} does not follow ${prev.kv?.version}/${prev.kv?.createRevision}`);
  } else if (kv.version === 1) {
    assert(kv.createRevision === v.main, () => `keyIndex "${key}": first version at ${formatRevision(v)} has create revision ${kv.createRevision}`);
  }
  assert(kv.version >= 1 && kv.createRevision <= v.main, () => `keyIndex "${key}": bad version ${kv.version} at ${formatRevision(v)}`);
}

/** Index of the last version with main ≤ atRev, or -1 (binary search: versions are sorted). */
function lastAtOrBefore(gen: Generation, atRev: number): number {
  let lo = 0;
  let hi = gen.length; // invariant: gen[< lo].main ≤ atRev, gen[≥ hi].main > atRev
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((gen[mid] as IndexedVersion).main <= atRev) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
