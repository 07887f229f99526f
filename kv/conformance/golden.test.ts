/**
 * The recorded conformance suite (issue 16): sequences of client requests with the answers the real
 * etcd 3.4 gave them (kv/conformance/golden/, written by `npm run conformance -- --record`),
 * replayed on raftsim's server path — no etcd needed. Every difference must be one of the known
 * differences of compare.ts; anything else is a change of raftsim's answers that etcd would not give.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compareWithSim, decodeGolden, type GoldenEntry } from './golden.js';
import type { Outcome } from './sequence.js';

const FILE = join(dirname(fileURLToPath(import.meta.url)), 'golden', 'etcd-3.4.jsonl.gz');
const { header, entries } = decodeGolden(gunzipSync(readFileSync(FILE)).toString('utf8'));

const reproduce = (e: GoldenEntry): string => {
  const i = e.name.slice(e.name.lastIndexOf('/') + 1);
  return `npm run conformance -- --seed ${header.seed} --min-ops ${header.minOps} --max-ops ${header.maxOps} --only ${i}`;
};

describe(`recorded conformance: ${entries.length} sequences with etcd ${header.etcdVersion}'s answers, replayed on raftsim`, () => {
  it('holds at least 200 sequences of 50–300 ops recorded from a real etcd 3.4', () => {
    expect(entries.length).toBeGreaterThanOrEqual(200);
    expect(header.etcdVersion).toMatch(/^3\.4\./);
    for (const e of entries) expect(e.ops.length).toBeGreaterThanOrEqual(header.minOps);
  });

  it('raftsim answers every recorded sequence as etcd did, up to the known differences', () => {
    const unexplained: string[] = [];
    for (const e of entries) {
      const d = compareWithSim({ name: e.name, ops: e.ops }, e.etcd).find((x) => x.known === undefined);
      if (d !== undefined) unexplained.push(`${e.name} op ${d.op} ${d.path} (etcd ${JSON.stringify(d.etcd).slice(0, 200)}, raftsim ${JSON.stringify(d.sim).slice(0, 200)}); live: ${reproduce(e)}`);
    }
    expect(unexplained).toEqual([]);
  });

  it('the replay can fail: one recorded answer changed is an unexplained difference', () => {
    const e = entries.find((x) => x.etcd.answers.some((a) => a !== null && a.ok)) as GoldenEntry;
    const at = e.etcd.answers.findIndex((a) => a !== null && a.ok);
    const answers = e.etcd.answers.map((a, i) => (i === at && a !== null && a.ok ? { ...a, rev: a.rev + 1 } : a));
    const changed: Outcome = { ...e.etcd, answers };
    const d = compareWithSim({ name: e.name, ops: e.ops }, changed).filter((x) => x.known === undefined);
    expect(d.map((x) => [x.op, x.path])).toEqual([[at, 'rev']]);
  });
});
