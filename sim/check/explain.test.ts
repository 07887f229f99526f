import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Operation } from '../history.js';
import { explainViolations } from './explain.js';
import { parseHistory } from './history-file.js';
import { checkLinearizability } from './linearizability.js';
import type { LinearizabilityResult } from './linearizability.js';
import { registerModel, registerSchemas } from './register-model.js';
import { kvModel, kvSchemas, kvWitness } from './kv-model.js';
import type { KvOperation } from './kv-model.js';
import { partitionByKey } from './model.js';
import type { RegisterOperation } from './register-model.js';

const w = (id: number, value: number, call: number, ret: number): RegisterOperation => ({ id, client: id, op: 'write', key: 'x', input: { value }, call, return: ret, status: 'ok' });
const r = (id: number, value: number | null, call: number, ret: number): RegisterOperation => ({ id, client: id, op: 'read', key: 'x', output: { value }, call, return: ret, status: 'ok' });

function explain(ops: RegisterOperation[]) {
  const res = checkLinearizability(registerModel, ops);
  expect(res.verdict).toBe('illegal');
  return explainViolations(registerModel, ops, res);
}

describe('explanations', () => {
  it('a stale read, in values', () => {
    const [e] = explain([w(0, 3, 0, 1), w(1, 4, 2, 3), r(2, 3, 4, 5)]);
    expect(e).toMatchObject({ kind: 'stale-read', op: 2, related: [1] });
    expect(e?.message).toBe('read of `x` returned 3 at t=5, but write x=4 completed at t=3 before the read began (t=4), and no write of 3 happened after it');
  });

  it('a read of a value no one wrote', () => {
    const [e] = explain([w(0, 3, 0, 10), r(1, 7, 1, 2)]);
    expect(e).toMatchObject({ kind: 'unwritten-read', op: 1 });
    expect(e?.message).toBe('read of `x` returned 7 at t=2, but no write of 7 ever happened');
  });

  it('falls back to the search\'s evidence when no single read explains it', () => {
    // Each read alone is fine; together they need 1 before 2 and 2 before 1.
    const ops = [w(0, 1, 0, 10), w(1, 2, 0, 10), r(2, 1, 1, 3), r(3, 2, 4, 5), r(4, 1, 6, 7)];
    const [e] = explain(ops);
    expect(e?.kind).toBe('unplaceable');
    expect(e?.message).toMatch(/^after the longest linearizable prefix found in partition x \(\d+ of 5 operations; state \d\), read x -> \d \[client \d, t=\d+..t=\d+\] cannot be placed/);
  });

  it('the value witnesses never fire on a linearizable history (corpus, every read)', () => {
    const corpus = new URL('./testdata/porcupine/', import.meta.url);
    const expected = JSON.parse(readFileSync(new URL('expected.json', corpus), 'utf8')) as Record<string, { model: string; linearizable: boolean }>;
    let files = 0;
    for (const [file, e] of Object.entries(expected)) {
      if (e.model !== 'register' || !e.linearizable) continue;
      const parsed = parseHistory<RegisterOperation>(readFileSync(new URL(file, corpus), 'utf8'), registerSchemas);
      if (!parsed.ok) throw new Error(file);
      const ok = checkLinearizability(registerModel, parsed.ops);
      // Pretend the partition failed: a sound witness must still find nothing to blame.
      const pretend: LinearizabilityResult = { ...ok, verdict: 'illegal', partitions: ok.partitions.map((p) => ({ ...p, verdict: 'illegal' as const })) };
      const kinds = explainViolations(registerModel, parsed.ops as Operation[] as RegisterOperation[], pretend).map((x) => x.kind);
      expect(kinds.filter((k) => k !== 'unplaceable')).toEqual([]);
      files++;
    }
    expect(files).toBe(23);
  });

  it('a lost append, in values; and the kv witness is silent on the linearizable kv histories', () => {
    const corpus = new URL('./testdata/porcupine/', import.meta.url);
    for (const file of ['kv_c01-ok.jsonl', 'kv_c10-ok.jsonl', 'kv_c50-ok.jsonl']) {
      const parsed = parseHistory<KvOperation>(readFileSync(new URL(file, corpus), 'utf8'), kvSchemas);
      if (!parsed.ok) throw new Error(file);
      for (const part of partitionByKey(parsed.ops)) expect(kvWitness(part.ops)).toBeUndefined();
    }
    const bad = parseHistory<KvOperation>(readFileSync(new URL('kv_c01-bad.jsonl', corpus), 'utf8'), kvSchemas);
    if (!bad.ok) throw new Error('kv_c01-bad');
    const res = checkLinearizability(kvModel, bad.ops);
    expect(explainViolations(kvModel, bad.ops, res)[0]?.message).toBe('get of `7` returned "x 0 0 y" at t=59, but append "x 0 3 y" completed at t=55 before the get began (t=58), and no put could have replaced the value in between: the append is missing');
  });
});
