import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTINS } from './builtin/registry.js';
import { applyOverride, parseOverride, resolveScenario } from './resolve.js';
import { SCENARIO_DEFAULTS, scenarioSchema } from './schema.js';

const POINTS = ['raftBeforeSave', 'raftAfterSave'];
const resolve = (input: unknown, overrides: string[] = []) => resolveScenario(input, { source: 'my.json', overrides, crashPoints: POINTS });
const errorOf = (r: ReturnType<typeof resolveScenario>): string => (r.ok ? 'ok' : r.error);

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
    expect(errorOf(r)).toBe('my.json: faults[2].at: expected a time ≥ 0 in milliseconds, got "soon"');
  });

  it('rejects unknown fields with their path', () => {
    const r = resolve({ cluster: { sise: 3 } });
    expect(r.ok).toBe(false);
    expect(errorOf(r)).toBe('my.json: cluster: unknown field "sise"');
  });

  it('rejects a non-object top level', () => {
    expect(errorOf(resolve([1, 2]))).toBe('my.json: expected a JSON object at the top level, got a list of 2');
  });

  it('checks rules that span fields', () => {
    expect(resolve({ cluster: { heartbeatTick: 10, electionTick: 10 } })).toMatchObject({ ok: false, error: expect.stringContaining('cluster.heartbeatTick') });
    expect(resolve({ readMode: 'lease', cluster: { checkQuorum: false } })).toMatchObject({ ok: false, error: expect.stringContaining('readMode') });
    expect(resolve({ faults: [{ type: 'crash', at: 1, node: 4 }] })).toMatchObject({ ok: false, error: 'my.json: faults[0].node: member 4 does not exist (cluster.size + cluster.spares = 3)' });
    expect(resolve({ faults: [{ type: 'crash-point', at: 1, node: 1, point: 'nope' }] })).toMatchObject({ ok: false, error: expect.stringMatching(/^my\.json: faults\[0\]\.point: unknown crash point "nope"/) });
    expect(resolve({ durationMs: 1000, faults: [{ type: 'heal', at: 2000 }] })).toMatchObject({ ok: false, error: expect.stringContaining('faults[0].at') });
  });

  it('every number has its range: times, durations, counts and weights (issue 14)', () => {
    const e = (input: unknown, o: string[] = []) => errorOf(resolve(input, o));
    expect(e({ faults: [{ type: 'crash', node: 1, at: -5 }] })).toBe('my.json: faults[0].at: expected a time ≥ 0 in milliseconds, got -5');
    expect(e({ faults: [{ type: 'crash', node: 1, at: 5, for: 1e308 }] })).toBe('my.json: faults[0].for: expected a duration ≤ 86400000 in milliseconds (a day of virtual time), got 1e+308');
    expect(e({ durationMs: 1e308 })).toBe('my.json: durationMs: expected a duration ≤ 3600000 in milliseconds (an hour of virtual time, the longest run), got 1e+308');
    expect(e({ durationMs: 0 })).toBe('my.json: durationMs: expected a duration > 0 in milliseconds, got 0');
    expect(e({ workload: { requestTimeoutMs: 1e-9 } })).toBe('my.json: workload.requestTimeoutMs: expected a duration ≥ 0.001 in milliseconds (1 µs), got 1e-9');
    expect(e({ cluster: { tickMs: 0.0001 } })).toBe('my.json: cluster.tickMs: expected a number ≥ 1, got 0.0001');
    expect(e({ workload: { keys: 2 ** 53 + 2 } })).toBe('my.json: workload.keys: expected a whole number from 1 to 100000, got 9007199254740994');
    expect(e({ workload: { mix: { get: 0, put: 0, delete: 0, txn: 0 } } })).toBe('my.json: workload.mix: needs a kind with a positive weight (all are 0; set workload.clients to 0 for no clients)');
    expect(e({ workload: { clients: 0, watchers: 0, mix: { get: 0, put: 0, delete: 0, txn: 0 } } })).toBe('ok');
    expect(e({ nemesis: { kinds: { crash: 1e308 } } })).toBe('my.json: nemesis.kinds.crash: expected a number ≤ 1000000, got 1e+308');
  });

  it('a fault names its member: a resume without node says which field, a split or bridge names each member once', () => {
    expect(errorOf(resolve({ faults: [{ type: 'resume', at: 5 }] }))).toBe('my.json: faults[0].node: missing (expected a member id (1 to 9), "leader", "follower", "any", "lock-holder" or "all")');
    expect(errorOf(resolve({ faults: [{ type: 'crash', at: 5, node: 'lead' }] }))).toBe('my.json: faults[0].node: expected a member id (1 to 9), "leader", "follower", "any" or "lock-holder", got "lead"');
    const split = (groups: unknown) => errorOf(resolve({ faults: [{ type: 'split', at: 5, groups }] }));
    expect(split([[1, 2], [2, 3]])).toBe('my.json: faults[0].groups[1][0]: member 2 is already in groups[0] (groups must not overlap)');
    expect(split([[1, 1], 'rest'])).toBe('my.json: faults[0].groups[0][1]: member 1 is already in groups[0] (groups must not overlap)');
    expect(split([[1], 'rest', 'rest'])).toBe('my.json: faults[0].groups[2]: "rest" is already groups[1]');
    expect(split([[1], [4]])).toBe('my.json: faults[0].groups[1][0]: member 4 does not exist (cluster.size + cluster.spares = 3)');
    expect(split([['leader'], 'rest'])).toBe('ok');
    const bridge = (node: unknown, groups: unknown) => errorOf(resolve({ faults: [{ type: 'bridge', at: 5, node, groups }] }));
    expect(bridge(1, [[1], [2]])).toBe('my.json: faults[0].groups[0][0]: member 1 is already in node (groups must not overlap)');
    expect(bridge('follower', [['leader'], ['follower']])).toBe('ok');
  });

  it('--set with an object merges it into the field, as a file merges into the defaults', () => {
    const r = resolve({}, ['workload.mix={"get":1,"put":0}']);
    expect(r.ok && r.scenario.workload.mix).toEqual({ ...SCENARIO_DEFAULTS.workload.mix, get: 1, put: 0 });
    const lat = resolve({}, ['network.delay={"kind":"fixed","us":5}']);
    expect(lat.ok && lat.scenario.network.delay).toEqual({ kind: 'fixed', us: 5 });
  });

  it('a failure comes in parts too, for --json', () => {
    const r = resolve({ faults: [{ type: 'crash', node: 1, at: -5 }] }, ['cluster.size=3']);
    expect(!r.ok && r.issue).toEqual({ file: 'my.json', withSet: true, path: 'faults[0].at', message: 'expected a time ≥ 0 in milliseconds, got -5' });
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
    expect(errorOf(resolve({ server: { readIndexReuseIdOnRetry: 'yes' } }))).toBe('my.json: server.readIndexReuseIdOnRetry: expected true or false, got "yes"');
  });

  it('a link-delay fault names two different members and a valid latency model', () => {
    const ok = { type: 'link-delay', at: 10, from: 3, to: 'leader', delay: { kind: 'fixed', us: 4_000_000 }, for: 100 };
    expect(resolve({ faults: [ok] }).ok).toBe(true);
    expect(errorOf(resolve({ faults: [{ ...ok, from: 4 }] }))).toBe('my.json: faults[0].from: member 4 does not exist (cluster.size + cluster.spares = 3)');
    expect(errorOf(resolve({ faults: [{ ...ok, to: 3 }] }))).toBe('my.json: faults[0].to: a link joins two members (from and to are both 3)');
    expect(errorOf(resolve({ faults: [{ ...ok, delay: { kind: 'uniform', minUs: 9, maxUs: 1 } }] }))).toBe('my.json: faults[0].delay.minUs: must not exceed maxUs (1)');
  });

  it('pinned clients: none by default; member endpoints, a window inside the safety phase, a mix with some weight', () => {
    expect(SCENARIO_DEFAULTS.workload.pinned).toEqual([]);
    const p = { endpoints: [2], mix: { get: 1 }, startMs: 100, endMs: 900 };
    const r = resolve({ durationMs: 1_000, workload: { pinned: [p] } });
    expect(r.ok && r.scenario.workload.pinned).toEqual([p]);
    const bad = (q: object) => resolve({ durationMs: 1_000, workload: { pinned: [p, { ...p, ...q }] } });
    expect(errorOf(bad({ endpoints: [4] }))).toBe('my.json: workload.pinned[1].endpoints[0]: member 4 does not exist (cluster.size + cluster.spares = 3)');
    expect(errorOf(bad({ endpoints: [1, 1] }))).toBe('my.json: workload.pinned[1].endpoints[1]: member 1 is named twice');
    expect(bad({ endpoints: [] })).toMatchObject({ ok: false, error: expect.stringMatching(/^my\.json: workload\.pinned\[1\]\.endpoints: /) });
    expect(errorOf(bad({ endMs: 1_001 }))).toBe('my.json: workload.pinned[1].endMs: 1001 is after the safety phase ends (durationMs 1000)');
    expect(errorOf(bad({ startMs: 900 }))).toBe('my.json: workload.pinned[1].startMs: must be before endMs (900)');
    expect(errorOf(bad({ mix: { put: 0 } }))).toBe('my.json: workload.pinned[1].mix: needs a kind with a positive weight');
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
    expect(errorOf(resolve({}, ['cluster.size=big']))).toBe('my.json (with --set): cluster.size: expected a whole number from 1 to 7, got "big"');
    expect(errorOf(resolve({}, ['cluster.nope.x=1']))).toBe('--set cluster.nope.x=1: cluster.nope: no such field');
    expect(resolve({}, ['faults[3].at=1'])).toMatchObject({ ok: false, error: expect.stringContaining('faults[3]: no such element') });
    expect(errorOf(resolve({}, ['novalue']))).toBe('--set novalue: expected path=value');
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
