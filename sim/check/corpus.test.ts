/**
 * Porcupine's own corpus (sim/check/testdata/porcupine, taken from Porcupine's test data, MIT): every history's verdict equals the one
 * Porcupine's test suite asserts, and the reader counts the operations and the unreturned ones as
 * expected.json does. All 108 files: the whole corpus checks in about a second.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Operation } from '../history.js';
import { parseHistory } from './history-file.js';
import { checkLinearizability } from './linearizability.js';
import { kvModel, kvSchemas } from './kv-model.js';
import type { Model } from './model.js';
import { registerModel, registerSchemas } from './register-model.js';

const CORPUS = new URL('./testdata/porcupine/', import.meta.url);

interface Expected {
  readonly model: 'register' | 'kv';
  readonly linearizable: boolean;
  readonly ops: number;
  readonly unreturned: number;
}

const expected = JSON.parse(readFileSync(new URL('expected.json', CORPUS), 'utf8')) as Record<string, Expected>;
const files = readdirSync(CORPUS).filter((f) => f.endsWith('.jsonl')).sort();

describe('Porcupine corpus', () => {
  it('has an expected verdict for every history file, and 108 files', () => {
    expect(files.length).toBe(108);
    expect(Object.keys(expected).sort()).toEqual(files);
  });

  it.each(files)('%s', (file) => {
    const e = expected[file] as Expected;
    const parsed = parseHistory<Operation>(readFileSync(new URL(file, CORPUS), 'utf8'), e.model === 'kv' ? kvSchemas : registerSchemas);
    if (!parsed.ok) throw new Error(`${file}:${parsed.error.line}: ${parsed.error.path}: ${parsed.error.message}`);
    expect(parsed.ops.length).toBe(e.ops);
    expect(parsed.ops.filter((op) => op.return === null).length).toBe(e.unreturned);
    const model = (e.model === 'kv' ? kvModel : registerModel) as unknown as Model<unknown, Operation>;
    const r = checkLinearizability(model, parsed.ops);
    expect(r.verdict).toBe(e.linearizable ? 'ok' : 'illegal');
  });
});
