import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvariantViolation } from './assert.js';
import { parseHistory, type OperationSchemas } from './check/history-file.js';
import { HistoryRecorder, historyToJsonLines, operationToJsonLine, type OpStatus, type Operation } from './history.js';

// Porcupine's corpus, kept in the repository (sim/check/testdata/porcupine, origin in its README).
const CORPUS = fileURLToPath(new URL('./check/testdata/porcupine/', import.meta.url));

/** Any input and output, for every operation the corpus and these tests use. */
const ANY: OperationSchemas = Object.fromEntries(['read', 'write', 'cas', 'get', 'put', 'append'].map((op) => [op, { input: z.unknown(), output: z.unknown() }]));

/** Reads one JSON Lines history with the checkers' reader (sim/check/history-file.ts): one format, one reader. */
function parse(text: string): readonly Operation[] {
  const r = parseHistory(text, ANY);
  if (!r.ok) throw new Error(`line ${r.error.line}: ${r.error.path} ${r.error.message}`);
  return r.ops;
}

describe('history', () => {
  it('writes every corpus history back byte for byte (one format for ours and Porcupine’s)', () => {
    const files = readdirSync(CORPUS).filter((f) => f.endsWith('.jsonl'));
    expect(files.length).toBe(108);
    let ops = 0;
    for (const f of files) {
      const text = readFileSync(CORPUS + f, 'utf8');
      const history = parse(text);
      ops += history.length;
      expect(historyToJsonLines(history), f).toBe(text.endsWith('\n') ? text : `${text}\n`);
    }
    expect(ops).toBeGreaterThan(10_000);
  });

  it('records ok, fail and unknown outcomes; finish closes what is open as unknown with no return', () => {
    const h = new HistoryRecorder();
    const a = h.invoke(1, 'put', 'k', { value: 'v1' }, 10);
    const b = h.invoke(2, 'range', 'k', undefined, 12);
    const c = h.invoke(3, 'put', 'k', { value: 'v2' }, 13);
    const d = h.invoke(4, 'put', 'k', { value: 'v3' }, 14);
    h.complete(b, 'ok', { value: 'v1' }, 30, 'served by n2');
    h.complete(a, 'ok', {}, 31);
    h.complete(c, 'fail', { code: 'NoLeader' }, 40);
    void d;
    h.invoke(2, 'range', 'k', undefined, 50);
    const hist = h.finish();
    expect(hist.map((o) => [o.id, o.client, o.status, o.return])).toEqual([
      [0, 1, 'ok', 31],
      [1, 2, 'ok', 30],
      [2, 3, 'fail', 40],
      [3, 4, 'unknown', null],
      [4, 2, 'unknown', null],
    ]);
    expect(hist[1]).toMatchObject({ output: { value: 'v1' }, note: 'served by n2' });
    expect(hist[3]).not.toHaveProperty('output');
    expect(historyToJsonLines(hist).split('\n')[3]).toBe('{"client":4,"op":"put","key":"k","call":14,"return":null,"status":"unknown","input":{"value":"v3"}}');
  });

  it('an unknown completion drops the output and the return time: it may take effect any time after its call', () => {
    const h = new HistoryRecorder();
    const p = h.invoke(1, 'write', 'x', { value: 1 }, 5);
    const op = h.complete(p, 'unknown', { value: 'ignored' }, 99);
    expect(op.return).toBeNull();
    expect(op).not.toHaveProperty('output');
    // The client is free again.
    expect(() => h.invoke(1, 'read', 'x', undefined, 100)).not.toThrow();
  });

  it('round-trips recorded histories through JSON Lines', () => {
    const status = fc.constantFrom<OpStatus>('ok', 'fail', 'unknown');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(5), fc.nat(20), status, fc.option(fc.string(), { nil: undefined })), { maxLength: 60 }), (plan) => {
        const h = new HistoryRecorder();
        const open = new Map<number, ReturnType<HistoryRecorder['invoke']>>();
        let t = 0;
        for (const [client, dt, st, key] of plan) {
          t += dt;
          const pending = open.get(client);
          if (pending === undefined) open.set(client, h.invoke(client, 'write', key, { value: t }, t));
          else {
            h.complete(pending, st, { ok: true }, t);
            open.delete(client);
          }
        }
        const hist = h.finish();
        expect(parse(historyToJsonLines(hist))).toEqual(hist.map(({ ...o }) => o));
        expect(hist.map((o) => o.id)).toEqual(hist.map((_, i) => i));
        for (const o of hist) expect(operationToJsonLine(o)).toBe(JSON.stringify(JSON.parse(operationToJsonLine(o))));
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a second open op per client, a double completion and a return before the call', () => {
    const h = new HistoryRecorder();
    const p = h.invoke(1, 'read', 'x', undefined, 10);
    expect(() => h.invoke(1, 'read', 'x', undefined, 11)).toThrow(InvariantViolation);
    expect(() => h.complete(p, 'ok', {}, 9)).toThrow(/before its call/);
    h.complete(p, 'ok', {}, 12);
    expect(() => h.complete(p, 'ok', {}, 13)).toThrow(/completed twice/);
    expect(h.completed()).toHaveLength(1);
  });
});
