import { describe, expect, it } from 'vitest';
import { historyToJsonLines } from '../history.js';
import type { Operation } from '../history.js';
import { formatLineError, parseHistory } from './history-file.js';
import { kvSchemas } from './kv-model.js';
import { registerSchemas } from './register-model.js';

const line = (o: object): string => JSON.stringify(o);
const write = { client: 0, op: 'write', key: 'x', call: 0, return: 1, status: 'ok', input: { value: 1 } };
const read = { client: 1, op: 'read', key: 'x', call: 2, return: 3, status: 'ok', output: { value: 1 } };

function errorOf(text: string): string {
  const r = parseHistory(text, registerSchemas);
  if (r.ok) throw new Error('expected a parse error');
  return formatLineError('h.jsonl', r.error);
}

describe('history reader', () => {
  it('reads operations, numbering them by line and skipping blank lines', () => {
    const r = parseHistory<Operation>(`${line(write)}\n\n${line(read)}\n`, registerSchemas);
    expect(r).toEqual({ ok: true, ops: [{ id: 0, ...write }, { id: 1, ...read }] });
  });

  it('round-trips what sim/history writes', () => {
    const ops: Operation[] = [
      { id: 0, ...write, status: 'ok' },
      { id: 1, client: 2, op: 'cas', key: 'x', input: { from: 1, to: 2 }, call: 1, return: null, status: 'unknown' },
      { id: 2, client: 3, op: 'write', key: 'x', input: { value: 5 }, call: 4, return: 5, status: 'fail', output: { code: 'NoLeader' }, note: 'member=2' },
    ];
    expect(parseHistory(historyToJsonLines(ops), registerSchemas)).toEqual({ ok: true, ops });
  });

  it('names the file, the line and the field of a wrong type', () => {
    expect(errorOf(`${line(read)}\n${line({ ...write, input: { value: 'a' } })}`)).toBe('h.jsonl:2: input.value: expected a number, got "a"');
    expect(errorOf(line({ ...write, input: {} }))).toBe('h.jsonl:1: input.value: missing (expected a number)');
    expect(errorOf(line({ ...read, output: { value: [] } }))).toBe('h.jsonl:1: output.value: expected a number, got an empty list');
    expect(errorOf(line({ ...read, client: -1 }))).toBe('h.jsonl:1: client: expected a number ≥ 0, got -1');
    expect(errorOf(line({ ...read, status: 'maybe' }))).toBe('h.jsonl:1: status: expected "ok", "fail" or "unknown", got "maybe"');
  });

  it('rejects an unknown operation, bad JSON, and impossible times', () => {
    expect(errorOf(line({ ...read, op: 'get' }))).toBe('h.jsonl:1: op: expected one of read|write|cas, got "get"');
    expect(errorOf('{"client": 0,')).toBe('h.jsonl:1:14: not valid JSON: expected a double-quoted field name, found the end of the text');
    expect(errorOf(`${line(read)}\n  {"client": 0 "op": 1}`)).toBe('h.jsonl:2:16: not valid JSON: expected \',\' or \'}\', found \'"\'');
    expect(errorOf(line({ ...read, return: 1 }))).toBe('h.jsonl:1: return: 1 is before call 2');
    expect(errorOf(line({ ...read, return: null }))).toBe('h.jsonl:1: return: null (never returned) requires status "unknown", got "ok"');
  });

  it('refuses unknown fields, on the line and inside input and output, in one style', () => {
    expect(errorOf(line({ ...write, extra: 1 }))).toBe('h.jsonl:1: unknown field "extra"');
    expect(errorOf(line({ ...write, input: { value: 1, valeu: 2 } }))).toBe('h.jsonl:1: input: unknown field "valeu"');
    expect(errorOf(line({ ...read, output: { value: 1, x: 0, y: 0 } }))).toBe('h.jsonl:1: output: unknown fields "x", "y"');
  });

  it('refuses a number JSON.parse would have rounded, naming it as written', () => {
    const text = `{"client":0,"op":"write","key":"x","call":0,"return":1,"status":"ok","input":{"value":9007199254740993}}`;
    expect(errorOf(text)).toBe('h.jsonl:1: input.value: 9007199254740993 is beyond 9007199254740991 (2^53 − 1), the largest whole number read exactly');
    expect(errorOf(line({ ...read, call: 2 ** 60, return: 2 ** 61 }))).toBe(`h.jsonl:1: call: ${2 ** 60} is beyond 9007199254740991 (2^53 − 1), the largest whole number read exactly`);
    expect(parseHistory(line({ ...write, input: { value: Number.MAX_SAFE_INTEGER } }), registerSchemas).ok).toBe(true);
  });

  it('validates outputs only when the operation succeeded', () => {
    const failed = { ...read, status: 'fail', output: { code: 'Timeout' } };
    const unknown = { client: 1, op: 'read', key: 'x', call: 2, return: 3, status: 'unknown' };
    expect(parseHistory(`${line(failed)}\n${line(unknown)}`, registerSchemas).ok).toBe(true);
  });

  it('uses the model\'s schemas: kv values are strings', () => {
    const r = parseHistory(line({ client: 0, op: 'put', key: 'k', call: 0, return: 1, status: 'ok', input: { value: 3 } }), kvSchemas);
    expect(r.ok ? '' : formatLineError('kv.jsonl', r.error)).toBe('kv.jsonl:1: input.value: expected a string, got 3');
  });
});
