/**
 * The `raftsim` command as a user meets it (a child process through bin/raftsim.js): exit codes,
 * one-line input errors naming file and field, the reproduce command as the last line of a
 * failure, `--json` shapes, `--out` files, replay of a saved record, and a small fuzz campaign
 * with its JUnit file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUILTINS } from './builtin/registry.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'raftsim-cli-'));

function raftsim(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/raftsim.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** A short scenario whose seed 3 serves a stale leader-local read (checked below). */
const STALE = {
  description: 'a short stale read',
  durationMs: 5000,
  readMode: 'leader-local',
  cluster: { checkQuorum: false },
  workload: { clients: 4, keys: 2, ratePerS: 150, mix: { get: 60, put: 40, delete: 0, txn: 0, range: 0, watch: 0 } },
  faults: [{ type: 'isolate', at: 1500, node: 'leader', for: 3000 }],
};

describe('raftsim CLI', () => {
  it('list --json names every built-in', () => {
    const r = raftsim('list', '--json');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { name: string }[]).map((b) => b.name)).toEqual(BUILTINS.map((b) => b.name));
  });

  it('bad input is one line naming the file and the field, exit 2', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ faults: [{ type: 'heal', at: 1 }, { type: 'heal', at: 2 }, { type: 'crash', at: 'soon', node: 1 }] }));
    const r = raftsim('run', bad);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`raftsim: ${bad}: faults[2].at: expected a time ≥ 0 in milliseconds, got "soon"\n`);
    // Under --json the same error is JSON, on stdout, and nothing else is printed.
    const j = raftsim('run', bad, '--json');
    expect({ code: j.code, err: j.err, out: JSON.parse(j.out) as unknown, lines: j.out.split('\n').length }).toEqual({
      code: 2,
      err: '',
      out: { error: { file: bad, path: 'faults[2].at', message: 'expected a time ≥ 0 in milliseconds, got "soon"' } },
      lines: 2,
    });
    const s = raftsim('run', 'prevote-rejoin', '--set', 'cluster.size=big');
    expect(s.code).toBe(2);
    expect(s.err.trim().split('\n')).toEqual(['raftsim: builtin:prevote-rejoin (with --set): cluster.size: expected a whole number from 1 to 7, got "big"']);
    expect(raftsim('run', 'no-such-scenario').code).toBe(2);
    expect(raftsim('fuzz', '--shard', '3/2').code).toBe(2);
  });

  it('a bad number is refused with the value quoted, a flag without its value too, and an override a later seed cannot take: one line, exit 2', () => {
    const cases: [string[], string][] = [
      [['run', 'prevote-rejoin', '--seed', 'abc'], 'raftsim: --seed: expected a whole number ≥ 0 and ≤ 9007199254740991 (2^53 − 1), got "abc"'],
      [['run', 'prevote-rejoin', '--seed', '9007199254740993'], 'raftsim: --seed: expected a whole number ≥ 0 and ≤ 9007199254740991 (2^53 − 1), got "9007199254740993"'],
      [['run', 'prevote-rejoin', '--seed'], 'raftsim: Not enough arguments following: seed'],
      [['fuzz', 'swarm', '--seeds', '2', '--workers', 'two'], 'raftsim: --workers: expected a whole number ≥ 0, got "two"'],
      [['fuzz', 'swarm', '--seeds', '2', '--time-budget', '-3'], 'raftsim: --time-budget: expected a number of seconds > 0, got "-3"'],
      [['experiment', 'prevote', '--seeds', '1.5'], 'raftsim: --seeds: expected a whole number > 0, got "1.5"'],
    ];
    // An override that fits the first seed's scenario but not a later one's (swarm draws the
    // client count per seed): still one line, naming the seed, not a worker's stack trace.
    const later = raftsim('fuzz', 'swarm', '--seeds', '12', '--set', 'workload.leases.clients=2');
    expect(later.code).toBe(2);
    // The campaign prints its start line, and may print progress lines (the first seed, then every 10 s), first.
    const errLines = later.err.split('\n').filter((l) => !/^fuzz: (\d+\/\d+ seeds|seeds \d+\.\.\d+, shard )/.test(l));
    expect(errLines.join('\n')).toMatch(/^raftsim: seed \d+: builtin:swarm \(with --set\): workload\.leases\.clients: must be at most workload\.clients\n$/);
    for (const [args, line] of cases) {
      const r = raftsim(...args);
      expect({ args, code: r.code, err: r.err }).toEqual({ args, code: 2, err: `${line}\n` });
    }
  });

  it('a failed check exits 1 with the reproduce command last; --out writes the record and the report; replay reproduces it', () => {
    const file = join(dir, 'stale.json');
    writeFileSync(file, JSON.stringify(STALE));
    const out = join(dir, 'out');
    const r = raftsim('run', file, '--seed', '3', '--out', out);
    expect(r.code).toBe(1);
    const lines = r.out.trim().split('\n');
    expect(lines.at(-1)).toBe(`reproduce: npx raftsim run ${file} --seed 3`);
    expect(r.out).toMatch(/linearizable\s+fail\s+not linearizable: /);
    expect(existsSync(join(out, 'run.json')) && existsSync(join(out, 'run.html'))).toBe(true);
    // The history alone, which `raftsim check` judges as the run did.
    const history = join(out, 'history.jsonl');
    expect(lines).toContain(`history: ${history} (check it alone: npx raftsim check ${history} --model etcd)`);
    const check = raftsim('check', history, '--model', 'etcd');
    expect(check.code).toBe(1);
    expect(check.out).toMatch(/NOT linearizable \(model etcd: /);

    const replay = raftsim('replay', join(out, 'run.json'));
    expect(replay.code).toBe(0);
    expect(replay.out).toMatch(/^replay: same trace hash [0-9a-f]{16}/);

    // The same record with other settings no longer reproduces: the first differing line is shown.
    const rec = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { settings: { workload: { ratePerS: number } } };
    rec.settings.workload.ratePerS = 40;
    writeFileSync(join(out, 'changed.json'), JSON.stringify(rec));
    const changed = raftsim('replay', join(out, 'changed.json'));
    expect(changed.code).toBe(1);
    expect(changed.out).toMatch(/first difference at trace event #\d+:\n {2}recorded: \d+\.\d{3} s {2}t=\d{9} .*\n {2}replayed: /);
  });

  it('run --json prints the record without history, with the issue\'s keys', () => {
    const r = raftsim('run', 'leader-transfer', '--seed', '2', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['scenario', 'seed', 'traceHash', 'virtualMs', 'events', 'ops', 'checks', 'metrics', 'reproduce']));
    expect(Object.keys(j.ops as object)).toEqual(['ok', 'fail', 'unknown']);
    expect(Object.keys(j.checks as object)).toEqual(['invariants', 'linearizable', 'serializable', 'watch', 'liveness']);
    expect(j).not.toHaveProperty('history');
  });

  it('fuzz runs seeds on workers, writes JUnit, and exits 0 when nothing fails', () => {
    const junit = join(dir, 'fuzz.xml');
    const r = raftsim('fuzz', 'leader-transfer', '--seeds', '4', '--shard', '1/2', '--junit', junit, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { ran: number; passed: number; failures: unknown[] };
    expect(j).toMatchObject({ ran: 2, passed: 2, failures: [] });
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('name="seed 1"');
    expect(xml).toContain('name="seed 3"');
    expect(xml).not.toContain('name="seed 2"');
  });

  it('bugs --json lists at least 15 switches with links, layer, checks and reach, and the unholdable ones with why', () => {
    const r = raftsim('bugs', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { switchable: { id: string; links: unknown[]; layer: string; checks: string[]; swarmReachable: boolean }[]; unholdable: { id: string; why: string }[] };
    expect(j.switchable.length).toBeGreaterThanOrEqual(15);
    expect(j.switchable.map((b) => b.id)).toContain('etcd-20221');
    expect(j.unholdable.every((u) => u.why.length > 0)).toBe(true);
    expect(raftsim('bugs').out).toMatch(/^18 bugs a scenario can switch back on/);
  });

  it('hunt: the swarm with one switch on finds etcd-20221 at seed 7, shrinks it, and the same seeds pass with the switch off', () => {
    const r = raftsim('hunt', 'etcd-20221', '--seeds', '10', '--shrink-runs', '5', '--json', '--out', 'hunt');
    expect(r.code).toBe(0);
    const h = JSON.parse(r.out) as Record<string, unknown>;
    expect(h).toMatchObject({ bug: 'etcd-20221', found: true, seed: 7, seedsToFind: 7, check: 'watch', fixPasses: true });
    expect(h['seedsRun']).toBeGreaterThanOrEqual(7);
    expect(h['cpuSeconds']).toBeGreaterThan(0);
    expect(existsSync(join(dir, h['shrunkFile'] as string))).toBe(true);
    expect(raftsim('hunt', 'etcd-14685').err).toMatch(/^raftsim: hunt: etcd-14685 cannot be switched on: /);
  });
});
