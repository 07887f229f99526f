/**
 * `show`, `replay`, `report` and `experiment --set` as a user meets them (child processes through
 * bin/raftsim.js): a shown built-in saved to a file runs with the built-in's trace hash; replay of
 * an edited record names the edit, the first differing event and a reproduce command with the
 * edit; `--json` shapes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(join(tmpdir(), 'raftsim-replay-show-'));

function raftsim(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/raftsim.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const hashOf = (out: string): string => (JSON.parse(out) as { traceHash: string }).traceHash;

describe('raftsim show, replay, report, experiment --set', () => {
  it('show prints a file that runs with the built-in\'s trace hash; replay of an edited record points at the first difference', () => {
    const shown = raftsim('show', 'leader-isolation-stale-read');
    expect(shown.code).toBe(0);
    const file = join(dir, 'stale.json');
    writeFileSync(file, shown.out);
    const fromFile = raftsim('run', file, '--seed', '2', '--json');
    const builtin = raftsim('run', 'leader-isolation-stale-read', '--seed', '2', '--json', '--out', join(dir, 'out'));
    expect(hashOf(fromFile.out)).toBe(hashOf(builtin.out));

    const record = join(dir, 'out', 'run.json');
    const rec = JSON.parse(readFileSync(record, 'utf8')) as { settings: { workload: { ratePerS: number } } };
    rec.settings.workload.ratePerS = 120;
    const edited = join(dir, 'edited.json');
    writeFileSync(edited, JSON.stringify(rec));
    const text = raftsim('replay', edited);
    expect(text.code).toBe(1);
    const lines = text.out.trim().split('\n');
    expect(lines[0]).toBe('settings edited since the recorded run: workload.ratePerS=120');
    expect(lines).toContainEqual(expect.stringMatching(/^checkpoints agree up to event #0 \(0\.000 s virtual\) and differ by event #1,000$/));
    expect(text.out).toMatch(/first difference at trace event #\d+:\n {2}recorded: \d+\.\d{3} s {2}t=\d{9} \S+ \S+.*\n {2}replayed: \d+\.\d{3} s {2}t=\d{9} /);
    expect(lines.at(-1)).toBe('reproduce: npx raftsim run leader-isolation-stale-read --seed 2 --set workload.ratePerS=120');

    const json = raftsim('replay', edited, '--json');
    expect(json.code).toBe(1);
    const o = JSON.parse(json.out) as { same: boolean; divergence: { index: number; recordedFrom: string; recorded: { line: string } }; reproduce: string };
    expect(o.same).toBe(false);
    expect(o.divergence.recordedFrom).toBe('re-run');
    expect(text.out).toContain(`first difference at trace event #${o.divergence.index}:`);
    expect(o.reproduce).toBe('npx raftsim run leader-isolation-stale-read --seed 2 --set workload.ratePerS=120');

    const same = raftsim('replay', record, '--json');
    expect(same.code).toBe(0);
    expect(JSON.parse(same.out)).toMatchObject({ same: true, seed: 2, divergence: null });

    const report = raftsim('report', record, '--json');
    expect(report.code).toBe(0);
    expect(JSON.parse(report.out)).toEqual({ report: join(dir, 'out', 'run.html'), record, scenario: 'leader-isolation-stale-read', seed: 2, traceHash: hashOf(builtin.out), verdict: 'fail' });
  });

  it('experiment --set applies to every arm and is in the reproduce command; a field an arm sets is refused', () => {
    const text = raftsim('experiment', 'checkquorum', '--seeds', '1', '--workers', '0', '--set', 'workload.ratePerS=50');
    expect(text.code).toBe(0);
    expect(text.out).toContain('reproduce: npx raftsim experiment checkquorum --seeds 1 --set workload.ratePerS=50');
    const bad = raftsim('experiment', 'prevote', '--seeds', '1', '--set', 'cluster.preVote=false');
    expect(bad.code).toBe(2);
    expect(bad.err.trim()).toBe("raftsim: --set cluster.preVote=false: the prevote experiment's arms set cluster.preVote themselves (arm prevote-on: cluster.preVote=true, cluster.checkQuorum=true)");
  });
});
