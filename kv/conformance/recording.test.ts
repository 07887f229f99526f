/**
 * Recording determinism: the same sequence recorded twice against a real etcd stores the same
 * answers. etcd-3.4-recorded-twice.jsonl.gz holds the sequences of the golden suite whose two real
 * recordings (etcd 3.4.23, seed `golden`, two runs on this machine) differed before `comparable`
 * dropped what etcd's timing decides: a negative-start watch canceled at a later sync loop with the
 * compaction revision of that moment, or not at all; the watch responses that left an etcd before
 * it crashed.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { comparable, compareWithSim, decodeLine } from './golden.js';
import type { Outcome, SeqOp } from './sequence.js';

const FILE = join(dirname(fileURLToPath(import.meta.url)), 'golden', 'etcd-3.4-recorded-twice.jsonl.gz');
const pairs = gunzipSync(readFileSync(FILE))
  .toString('utf8')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => decodeLine(l) as { name: string; ops: SeqOp[]; first: Outcome; second: Outcome });

describe('recording the same sequence twice', () => {
  it('holds real pairs that differ as etcd answered them', () => {
    expect(pairs.length).toBeGreaterThanOrEqual(4);
    for (const p of pairs) expect(JSON.stringify(p.second)).not.toEqual(JSON.stringify(p.first));
  });

  it('compares equal once recorded as comparable() stores it', () => {
    for (const p of pairs) {
      const seq = { name: p.name, ops: p.ops };
      expect(comparable(seq, p.second), p.name).toEqual(comparable(seq, p.first));
    }
  });

  it('both recordings give raftsim the same differences (none unexplained)', () => {
    for (const p of pairs) {
      const seq = { name: p.name, ops: p.ops };
      const [a, b] = [compareWithSim(seq, p.first), compareWithSim(seq, p.second)];
      expect(a.filter((d) => d.known === undefined), p.name).toEqual([]);
      expect(b.map((d) => [d.op, d.known]), p.name).toEqual(a.map((d) => [d.op, d.known]));
    }
  });

  it('a difference that is not timing still shows after comparable()', () => {
    const p = pairs[0] as (typeof pairs)[number];
    const seq = { name: p.name, ops: p.ops };
    const at = p.second.answers.findIndex((a) => a !== null && a.ok);
    const changed: Outcome = { ...p.second, answers: p.second.answers.map((a, i) => (i === at && a !== null && a.ok ? { ...a, rev: a.rev + 1 } : a)) };
    expect(comparable(seq, changed)).not.toEqual(comparable(seq, p.first));
  });
});
