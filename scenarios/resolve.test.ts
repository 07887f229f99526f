import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTINS } from './builtin/registry.js';
import { applyOverride, parseOverride, resolveScenario } from './resolve.js';
import { SCENARIO_DEFAULTS, scenarioSchema } from './schema.js';

const POINTS = ['raftBeforeSave', 'raftAfterSave'];
const resolve = (input: unknown, overrides: string[] = []) => resolveScenario(input, { source: 'my.json', overrides, crashPoints: POINTS });

describe('resolveScenario', () => {
  it('fills every default: an empty file is the default scenario', () => {
    const r = resolve({});
    expect(r).toEqual({ ok: true, scenario: SCENARIO_DEFAULTS });
  });

  it('the defaults themselves are a valid scenario', () => {
    expect(scenarioSchema.safeParse(SCENARIO_DEFAULTS).success).toBe(true);
  });

  it('merges a partial object field by field and replaces lists', () => {
    const r = resolve({ cluster: { size: 5 }, faults: [{ type: 'heal', at: 10 }] });
    expect(r.ok && r.scenario.cluster).toEqual({ ...SCENARIO_DEFAULTS.cluster, size: 5 });
    expect(r.ok && r.scenario.faults).toEqual([{ type: 'heal', at: 10 }]);
  });

  it('names the file and the field path of a bad value in one line', () => {
    const r = resolve({ faults: [{ type: 'heal', at: 1 }, { type: 'heal', at: 2 }, { type: 'crash', at: 'soon', node: 1 }] });
    expect(r).toEqual({ ok: false, error: 'my.json: faults[2].at: expected number (a time in milliseconds)' });
  });

  it('rejects unknown fields with their path', () => {
    const r = resolve({ cluster: { sise: 3 } });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/^my\.json: cluster: Unrecognized key: "sise"$/);
  });

  it('rejects a non-object top level', () => {
    expect(resolve([1, 2])).toEqual({ ok: false, error: 'my.json: expected a JSON object at the top level' });
  });

  it('checks rules that span fields', () => {
    expect(resolve({ cluster: { heartbeatTick: 10, electionTick: 10 } })).toMatchObject({ ok: false, error: expect.stringContaining('cluster.heartbeatTick') });
    expect(resolve({ readMode: 'lease', cluster: { checkQuorum: false } })).toMatchObject({ ok: false, error: expect.stringContaining('readMode') });
    expect(resolve({ faults: [{ type: 'crash', at: 1, node: 4 }] })).toMatchObject({ ok: false, error: 'my.json: faults[0].node: member 4 does not exist (cluster.size + cluster.spares = 3)' });
    expect(resolve({ faults: [{ type: 'crash-point', at: 1, node: 1, point: 'nope' }] })).toMatchObject({ ok: false, error: expect.stringMatching(/^my\.json: faults\[0\]\.point: unknown crash point "nope"/) });
    expect(resolve({ durationMs: 1000, faults: [{ type: 'heal', at: 2000 }] })).toMatchObject({ ok: false, error: expect.stringContaining('faults[0].at') });
  });

  it('applies --set overrides in order, JSON when it parses, else a string', () => {
    const r = resolve({}, ['cluster.size=5', 'readMode=lease', 'cluster.size=7', 'faults=[{"type":"heal","at":5}]', 'faults[0].at=6']);
    expect(r.ok && r.scenario.cluster.size).toBe(7);
    expect(r.ok && r.scenario.readMode).toBe('lease');
    expect(r.ok && r.scenario.faults).toEqual([{ type: 'heal', at: 6 }]);
  });

  it('reports a bad override naming it', () => {
    expect(resolve({}, ['cluster.size=big'])).toEqual({ ok: false, error: 'my.json (with --set): cluster.size: expected number, got string' });
    expect(resolve({}, ['cluster.nope.x=1'])).toEqual({ ok: false, error: '--set cluster.nope.x=1: cluster.nope: no such field' });
    expect(resolve({}, ['faults[3].at=1'])).toMatchObject({ ok: false, error: expect.stringContaining('faults[3]: no such element') });
    expect(resolve({}, ['novalue'])).toEqual({ ok: false, error: '--set novalue: expected path=value' });
  });

  it('every built-in resolves for a few seeds', () => {
    for (const b of BUILTINS) {
      for (const seed of [1, 2, 3, 42]) {
        const r = resolveScenario(b.scenario(seed), { source: `builtin:${b.name}` });
        expect(r.ok ? 'ok' : r.error, b.name).toBe('ok');
      }
    }
  });
});

describe('overrides', () => {
  it('parses dotted and indexed paths', () => {
    expect(parseOverride('faults[2].at=3')).toEqual({ ok: true, value: { path: ['faults', 2, 'at'], value: 3 } });
    expect(parseOverride('faults.2.at=3')).toEqual({ ok: true, value: { path: ['faults', 2, 'at'], value: 3 } });
    expect(parseOverride('a.b=x=y')).toEqual({ ok: true, value: { path: ['a', 'b'], value: 'x=y' } });
    expect(parseOverride('a..b=1').ok).toBe(false);
  });

  it('property: setting a field and reading it back gives the value, and nothing else changes', () => {
    fc.assert(
      fc.property(fc.constantFrom('cluster.size', 'workload.ratePerS', 'readMode', 'checks.watch', 'network.lossRatio'), fc.jsonValue(), (path, value) => {
        const r = applyOverride(SCENARIO_DEFAULTS, `${path}=${JSON.stringify(value)}`);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const [a, b] = path.split('.') as [string, string | undefined];
        const got = b === undefined ? (r.value as Record<string, unknown>)[a] : ((r.value as Record<string, Record<string, unknown>>)[a] as Record<string, unknown>)[b];
        // JSON round trip: -0 becomes 0.
        expect(got).toEqual(JSON.parse(JSON.stringify(value)));
        expect({ ...(r.value as object), [a]: null }).toEqual({ ...SCENARIO_DEFAULTS, [a]: null });
      }),
      { numRuns: 100 },
    );
  });
});
