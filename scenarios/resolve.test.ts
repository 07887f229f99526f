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

  it('a latency model of another kind replaces the default instead of merging into it', () => {
    const r = resolve({ network: { delay: { kind: 'fixed', us: 700 } } });
    expect(r.ok && r.scenario.network.delay).toEqual({ kind: 'fixed', us: 700 });
    const same = resolve({ network: { delay: { kind: 'log-normal', medianUs: 2_000 } } });
    expect(same.ok && same.scenario.network.delay).toEqual({ ...SCENARIO_DEFAULTS.network.delay, medianUs: 2_000 });
  });

  it('server options: readIndexReuseIdOnRetry is off unless asked for, and must be a boolean', () => {
    expect(SCENARIO_DEFAULTS.server).toEqual({ readIndexReuseIdOnRetry: false });
    expect(resolve({}, ['server.readIndexReuseIdOnRetry=true'])).toMatchObject({ ok: true, scenario: { server: { readIndexReuseIdOnRetry: true } } });
    expect(resolve({ server: { readIndexReuseIdOnRetry: 'yes' } })).toEqual({ ok: false, error: 'my.json: server.readIndexReuseIdOnRetry: expected boolean, got string' });
  });

  it('a link-delay fault names two different members and a valid latency model', () => {
    const ok = { type: 'link-delay', at: 10, from: 3, to: 'leader', delay: { kind: 'fixed', us: 4_000_000 }, for: 100 };
    expect(resolve({ faults: [ok] }).ok).toBe(true);
    expect(resolve({ faults: [{ ...ok, from: 4 }] })).toEqual({ ok: false, error: 'my.json: faults[0].from: member 4 does not exist (cluster.size + cluster.spares = 3)' });
    expect(resolve({ faults: [{ ...ok, to: 3 }] })).toEqual({ ok: false, error: 'my.json: faults[0].to: a link joins two members (from and to are both 3)' });
    expect(resolve({ faults: [{ ...ok, delay: { kind: 'uniform', minUs: 9, maxUs: 1 } }] })).toEqual({ ok: false, error: 'my.json: faults[0].delay.minUs: must not exceed maxUs (1)' });
  });

  it('pinned clients: none by default; member endpoints, a window inside the safety phase, a mix with some weight', () => {
    expect(SCENARIO_DEFAULTS.workload.pinned).toEqual([]);
    const p = { endpoints: [2], mix: { get: 1 }, startMs: 100, endMs: 900 };
    const r = resolve({ durationMs: 1_000, workload: { pinned: [p] } });
    expect(r.ok && r.scenario.workload.pinned).toEqual([p]);
    const bad = (q: object) => resolve({ durationMs: 1_000, workload: { pinned: [p, { ...p, ...q }] } });
    expect(bad({ endpoints: [4] })).toEqual({ ok: false, error: 'my.json: workload.pinned[1].endpoints[0]: member 4 does not exist (cluster.size + cluster.spares = 3)' });
    expect(bad({ endpoints: [1, 1] })).toEqual({ ok: false, error: 'my.json: workload.pinned[1].endpoints[1]: member 1 is named twice' });
    expect(bad({ endpoints: [] })).toMatchObject({ ok: false, error: expect.stringMatching(/^my\.json: workload\.pinned\[1\]\.endpoints: /) });
    expect(bad({ endMs: 1_001 })).toEqual({ ok: false, error: 'my.json: workload.pinned[1].endMs: 1001 is after the safety phase ends (durationMs 1000)' });
    expect(bad({ startMs: 900 })).toEqual({ ok: false, error: 'my.json: workload.pinned[1].startMs: must be before endMs (900)' });
    expect(bad({ mix: { put: 0 } })).toEqual({ ok: false, error: 'my.json: workload.pinned[1].mix: needs a kind with a positive weight' });
    expect(bad({ mix: { gets: 1 } })).toMatchObject({ ok: false, error: expect.stringContaining('workload.pinned[1].mix') });
    expect(bad({ thinkMs: -1 })).toMatchObject({ ok: false, error: expect.stringContaining('workload.pinned[1].thinkMs') });
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
