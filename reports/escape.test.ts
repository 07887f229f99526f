import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { describeOp } from './describe-op.js';
import { escapeHtml, jsonForScript } from './escape.js';
import { formatNumber, formatTick, formatUs, niceTicks, quantile } from './format.js';
import { makeOp } from './testing/fixtures.js';

describe('escaping', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;');
  });

  it('escaped text contains no markup character, and unescapes to the original', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const e = escapeHtml(s);
        expect(e).not.toMatch(/[<>"']/);
        const back = e.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
        expect(back).toBe(s);
      }),
      { numRuns: 200 },
    );
  });

  it('JSON for a script element cannot close it, and parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom('</script>', '<!--', '\u2028', ']]>', '</SCRIPT '), (v, nasty) => {
        const value = { v, nasty, inKey: { [nasty]: nasty } };
        const json = jsonForScript(value);
        expect(json).not.toMatch(/[<>&\u2028\u2029]/);
        expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 200 },
    );
  });
});

describe('formatting', () => {
  it('formats times for a person', () => {
    expect([formatUs(812), formatUs(15_300), formatUs(1_204_000), formatUs(2_000_000), formatUs(-1_500)]).toEqual(['812 µs', '15.3 ms', '1.204 s', '2 s', '-1.5 ms']);
    expect([formatTick(1_500_000, 500_000), formatTick(2_000_000, 1_000_000), formatTick(20_000, 10_000), formatTick(3_000, 1_000)]).toEqual(['1.5 s', '2 s', '0.02 s', '3 ms']);
    expect([formatNumber(3), formatNumber(2.5), formatNumber(1 / 3), formatNumber(Number.NaN)]).toEqual(['3', '2.5', '0.33', 'NaN']);
  });

  it('picks 1-2-5 ticks inside the range', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 20 }), (from, len, count) => {
        const { stepUs, ticks } = niceTicks(from, from + len, count);
        expect(ticks.length).toBeLessThanOrEqual(count + 2);
        for (const t of ticks) expect(t >= from && t <= from + len).toBe(true);
        expect(String(stepUs / 10 ** Math.floor(Math.log10(stepUs)))).toMatch(/^(1|2|5)$/);
      }),
      { numRuns: 100 },
    );
  });

  it('takes nearest-rank quantiles', () => {
    expect([quantile([3, 1, 2], 0.5), quantile([1, 2, 3, 4], 0.99), quantile([5], 0), quantile([], 0.5)]).toEqual([2, 4, 5, Number.NaN]);
  });

  it('describes operations by shape, cutting long values', () => {
    expect(describeOp(makeOp(0, 1, 'get', 'k', undefined, 0, 1, 'ok', { value: 'v' }))).toBe('c1 get k → "v"');
    expect(describeOp(makeOp(0, 1, 'range', 'k', { key: 'k' }, 0, 1, 'ok', { kvs: [], more: false, count: 0 }))).toBe('c1 range k → (none)');
    expect(describeOp(makeOp(0, 1, 'append', 'k', { value: 'x' }, 0, 1, 'ok'))).toBe('c1 append k +"x"');
    const txnInput = { compare: [{ target: 'VERSION', result: 'EQUAL', key: 'k1', version: 0 }], success: [{ type: 'put', request: { key: 'k1', value: 'a' } }], failure: [{ type: 'range', request: { key: 'k1' } }] };
    expect(describeOp(makeOp(0, 1, 'txn', 'k1', txnInput, 0, 1, 'ok', { succeeded: false, responses: [] }))).toBe('c1 txn k1 if k1.version = 0 then put k1="a" else range k1 → else');
    expect(describeOp(makeOp(0, 1, 'put', 'k', { key: 'k', value: 'v' }, 0, 1, 'fail', { code: 'ProposalDropped', message: 'raft proposal dropped' }))).toBe('c1 put k="v" ✗ ProposalDropped');
    const long = describeOp(makeOp(0, 1, 'put', 'k', { value: 'x'.repeat(500) }, 0, 1, 'ok'), 60);
    expect(long.length).toBeLessThanOrEqual(60);
    expect(long).toMatch(/…/);
  });
});
