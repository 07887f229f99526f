/**
 * The README's examples run as printed. Every `$ npx raftsim …` line of a code block in README.md
 * (and the `$ echo … > file` lines that make its inputs) runs in a fresh folder, in order, through
 * bin/raftsim.js; each output line the README prints under it must appear in what the command
 * printed, in the same order (lines the README elides with `…` are skipped). Figures that depend
 * on the wall clock (`wall`, `seeds/s`, a checker's `ms`) are compared with their numbers masked.
 *
 * Examples that take minutes (campaigns of more than 20 seeds, `experiment all`) are not run here:
 * the command line is still parsed by the CLI's own `--help`-free validation in other tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface Example {
  /** The README line it starts on (1-based). */
  readonly line: number;
  readonly command: string;
  readonly output: readonly string[];
}

/** The `$ ` commands of README's fenced code blocks, each with the lines printed under it. */
export function readmeExamples(text: string): Example[] {
  const examples: Example[] = [];
  const lines = text.split('\n');
  let inBlock = false;
  let current: { line: number; command: string; output: string[] } | undefined;
  lines.forEach((raw, i) => {
    if (raw.startsWith('```')) {
      inBlock = !inBlock;
      current = undefined;
      return;
    }
    if (!inBlock) return;
    if (raw.startsWith('$ ')) {
      current = { line: i + 1, command: raw.slice(2).replace(/\s+#.*$/, '').trim(), output: [] };
      examples.push(current);
    } else if (current !== undefined) {
      current.output.push(raw);
    }
  });
  return examples;
}

/** Too long for the test suite: the README's campaigns and the full experiment set. */
export function isLong(command: string): boolean {
  const seeds = /--seeds (\d+)/.exec(command);
  return (seeds !== null && Number(seeds[1]) > 20) || /experiment all/.test(command);
}

const WALL = /wall|seeds\/s| ms\)$|"ms":|^fuzz: /;
function normal(line: string): string {
  const trimmed = line.trim();
  return WALL.test(trimmed) ? trimmed.replace(/\d[\d,.]*/g, '#') : trimmed;
}

/** The README's lines that the actual output does not show, in order (empty: it matches). */
export function missingLines(expected: readonly string[], actual: string): string[] {
  const got = actual.split('\n').map(normal);
  const missing: string[] = [];
  let at = 0;
  for (const line of expected) {
    const want = normal(line);
    if (want === '' || want === '…') continue;
    // A line the README cuts short with a trailing `…` matches any line that begins the same.
    const prefix = want.endsWith('…') ? want.slice(0, -1).trimEnd() : undefined;
    const found = prefix === undefined ? got.indexOf(want, at) : got.findIndex((g, i) => i >= at && g.startsWith(prefix));
    if (found < 0) missing.push(line);
    else at = found + 1;
  }
  return missing;
}

describe('README examples', () => {
  const examples = readmeExamples(readFileSync(join(ROOT, 'README.md'), 'utf8'));

  it('finds the examples it is meant to run', () => {
    expect(examples.filter((e) => e.command.startsWith('npx raftsim')).length).toBeGreaterThan(10);
    expect(missingLines(['a', '…', 'c'], 'a\nb\nc')).toEqual([]);
    expect(missingLines(['c', 'a'], 'a\nb\nc')).toEqual(['a']);
    expect(missingLines(['x: 1.2 s wall'], 'x: 9.9 s wall')).toEqual([]);
    expect(missingLines(['check  fail  not linearizable: …'], 'check  fail  not linearizable: the read')).toEqual([]);
  });

  it('each one prints what the README shows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftsim-readme-'));
    // Paths in the examples are relative to a clone's root: give the corpus the same path here.
    symlinkSync(join(ROOT, 'sim'), join(dir, 'sim'));
    const failures: string[] = [];
    for (const e of examples) {
      if (isLong(e.command)) continue;
      const isRaftsim = e.command.startsWith('npx raftsim ');
      if (!isRaftsim && !e.command.startsWith('echo ')) continue;
      const command = isRaftsim ? e.command.replace(/^npx raftsim/, `"${process.execPath}" "${join(ROOT, 'bin/raftsim.js')}"`) : e.command;
      // One stream, as a terminal shows it: progress lines (stderr) between the results (stdout).
      const r = spawnSync('sh', ['-c', `${command} 2>&1`], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
      const missing = missingLines(e.output, r.stdout);
      if (missing.length > 0) failures.push(`README.md:${e.line}: ${e.command}\n  not printed:\n    ${missing.join('\n    ')}\n  printed:\n    ${r.stdout.split('\n').slice(0, 40).join('\n    ')}`);
    }
    expect(failures.join('\n\n')).toBe('');
  });
});
