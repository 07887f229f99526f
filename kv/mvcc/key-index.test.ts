/**
 * KeyIndex, with the example of etcd key_index.go: put at 2, 4, 6, tombstone at 8, put at 10, 12,
 * tombstone at 14, put at 16 — generations {2, 4, 6, 8(t)}, {10, 12, 14(t)}, {16}.
 */
import { describe, expect, it } from 'vitest';
import type { KeyValue } from '../api.js';
import { InvariantViolation } from '../../sim/assert.js';
import { KeyIndex } from './key-index.js';

function build(): KeyIndex {
  const ki = new KeyIndex('foo');
  let create = 0;
  let version = 0;
  for (const main of [2, 4, 6, 8, 10, 12, 14, 16]) {
    if (main === 8 || main === 14) {
      ki.tombstone({ main, sub: 0 });
      version = 0;
      continue;
    }
    if (version === 0) create = main;
    version++;
    const kv: KeyValue = { key: 'foo', createRevision: create, modRevision: main, version, value: `v${main}`, lease: 0 };
    ki.put({ main, sub: 0, kv });
  }
  return ki;
}

const revsOf = (ki: KeyIndex): number[] => {
  const out: number[] = [];
  ki.forEachVersion((v) => out.push(v.main));
  return out;
};

describe('KeyIndex', () => {
  it('finds the version live at each revision; a tombstone hides the key from its revision on', () => {
    const ki = build();
    const at = (rev: number): string | undefined => ki.get(rev)?.value;
    expect([1, 2, 3, 7, 8, 9, 10, 13, 14, 15, 16, 99].map(at)).toEqual(
      [undefined, 'v2', 'v2', 'v6', undefined, undefined, 'v10', 'v12', undefined, undefined, 'v16', 'v16']);
    ki.checkInvariants();
  });

  it('compacts to the newest version at or below the revision, keeping a tombstone at exactly it', () => {
    const cases: [number, number[]][] = [
      [1, [2, 4, 6, 8, 10, 12, 14, 16]],
      [5, [4, 6, 8, 10, 12, 14, 16]],
      [8, [8, 10, 12, 14, 16]], // etcd #18089: the tombstone at the compaction revision stays
      [9, [10, 12, 14, 16]],
      [13, [12, 14, 16]],
      [14, [14, 16]],
      [16, [16]],
    ];
    for (const [rev, kept] of cases) {
      const ki = build();
      ki.compact(rev);
      expect(revsOf(ki), `compact(${rev})`).toEqual(kept);
      ki.checkInvariants();
      for (let r = rev; r <= 17; r++) expect(ki.get(r), `read at ${r} after compact(${rev})`).toEqual(build().get(r));
    }
  });

  it('empties once everything is compacted behind a tombstone', () => {
    const ki = new KeyIndex('k');
    ki.put({ main: 2, sub: 0, kv: { key: 'k', createRevision: 2, modRevision: 2, version: 1, value: '', lease: 0 } });
    ki.tombstone({ main: 3, sub: 0 });
    ki.compact(3);
    expect(ki.isEmpty()).toBe(false);
    ki.compact(4);
    expect(ki.isEmpty()).toBe(true);
  });

  it('refuses a revision that does not follow the last one, and a tombstone on a deleted key', () => {
    const ki = build();
    const kv: KeyValue = { key: 'foo', createRevision: 16, modRevision: 16, version: 2, value: '', lease: 0 };
    expect(() => ki.put({ main: 16, sub: 0, kv })).toThrow(InvariantViolation);
    ki.tombstone({ main: 17, sub: 0 });
    expect(() => ki.tombstone({ main: 18, sub: 0 })).toThrow(InvariantViolation);
  });
});
