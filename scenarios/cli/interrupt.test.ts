/**
 * Interrupts keep results (issue 14): a real `raftsim` child process (bin/raftsim.js), stopped by
 * SIGINT or SIGTERM once it has reported progress, prints its summary marked interrupted, writes
 * JUnit (every seed, the ones not run skipped) and JSON for what ran, and exits 130 / 143; a second
 * signal ends it at once.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(join(tmpdir(), 'raftsim-interrupt-'));

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
}

/**
 * Starts `raftsim args…`, waits until stderr shows `ready`, sends `signals` (a tenth of a second
 * apart), and resolves when the process has ended.
 */
function interrupt(args: readonly string[], ready: RegExp, signals: readonly NodeJS.Signals[]): Promise<Ended> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/raftsim.js'), ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (sent || !ready.test(err)) return;
      sent = true;
      signals.forEach((s, i) => setTimeout(() => child.kill(s), i * 100));
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, out, err }));
  });
}

/** The test cases of a JUnit file: name and whether it was skipped. */
function junitCases(xml: string): { seed: number; skipped: boolean }[] {
  return [...xml.matchAll(/<testcase [^>]*name="seed (\d+)"[^>]*?(\/>|>\n\s*<(\w+))/g)].map((m) => ({ seed: Number(m[1]), skipped: m[3] === 'skipped' }));
}

describe('interrupts keep results', () => {
  it('fuzz: SIGINT after the first seed → the JSON and JUnit of what ran, every other seed skipped, exit 130', async () => {
    const junit = join(dir, 'int.xml');
    const r = await interrupt(['fuzz', 'leader-transfer', '--seeds', '40', '--workers', '2', '--junit', junit, '--json'], /fuzz: 1\/40 seeds/, ['SIGINT']);
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 130, signal: null });
    const j = JSON.parse(r.out) as { schema: string; interrupted: boolean; stoppedBy: string; ran: number; notRun: number; passed: number; seeds: number };
    expect(j).toMatchObject({ schema: 'raftsim.fuzz/1', interrupted: true, stoppedBy: 'SIGINT', seeds: 40 });
    expect(j.ran).toBeGreaterThanOrEqual(1);
    expect(j.ran).toBeLessThan(40);
    expect(j.ran + j.notRun).toBe(40);
    const cases = junitCases(readFileSync(junit, 'utf8'));
    expect(cases.map((c) => c.seed)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(cases.filter((c) => c.skipped).length).toBe(j.notRun);
    expect(readFileSync(junit, 'utf8')).toContain('<skipped message="not run: the campaign was interrupted (SIGINT)"/>');
    expect(r.err).toContain('raftsim: SIGINT: starting no more seeds');
  }, 180_000);

  it('fuzz: SIGTERM (a cancelled CI job) → the usual summary marked interrupted, exit 143', async () => {
    const r = await interrupt(['fuzz', 'leader-transfer', '--seeds', '40', '--workers', '1'], /fuzz: 1\/40 seeds/, ['SIGTERM']);
    expect(r.code).toBe(143);
    expect(r.out).toMatch(/^fuzz leader-transfer: (\d+) of 40 seeds run, \1 passed, 0 failed, 0 unknown, 0 crashed \(/);
    expect(r.out).toMatch(/\ninterrupted \(SIGTERM\): \d+ seeds not run\n/);
  }, 180_000);

  it('experiment: SIGTERM → each experiment marked interrupted with the runs done, exit 143', async () => {
    const r = await interrupt(['experiment', 'prevote', '--seeds', '30', '--json'], /experiment: 1\/60 runs/, ['SIGTERM']);
    expect(r.code).toBe(143);
    const j = JSON.parse(r.out) as { experiment: string; interrupted: boolean; signal: string; runsDone: number; runsPlanned: number; arms: unknown[] };
    expect(j).toMatchObject({ experiment: 'prevote', interrupted: true, signal: 'SIGTERM', runsPlanned: 60 });
    expect(j.runsDone).toBeGreaterThanOrEqual(1);
    expect(j.runsDone).toBeLessThan(60);
    expect(j.arms.length).toBe(2);
  }, 180_000);

  it('a second signal ends the process at once, before any summary', async () => {
    // In this thread (--workers 0) a seed cannot be abandoned: both signals wait for it, then the second one ends the process.
    const r = await interrupt(['fuzz', 'leader-transfer', '--set', 'durationMs=20000', '--seeds', '3', '--workers', '0', '--json'], /fuzz: seeds 1\.\.3/, ['SIGINT', 'SIGINT']);
    expect(r.code).toBe(130);
    expect(r.err).toContain('raftsim: SIGINT again: stopping at once');
    expect(r.out).toBe('');
  }, 180_000);
});
