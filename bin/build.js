#!/usr/bin/env node
/**
 * Compiles the command once, at install (`npm ci` runs the `prepare` script), so that no command
 * pays the TypeScript transform at start: esbuild bundles the CLI, the fuzz worker and the check worker into build/,
 * each command in a chunk of its own that the CLI loads only when it runs that command
 * (scenarios/cli.ts). Chunks sit beside the entries, so `new URL('./run-worker.js', import.meta.url)`
 * finds the worker from any of them. Dependencies are bundled too: one file per command to read.
 *
 * `npm run build` runs it by hand; the tests run it first (vitest.global-setup.ts), so the child
 * processes they start never see a stale build.
 */
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}build`;

/** Chunks of an earlier build that no current file names are removed once they are this old. */
const STALE_MS = 15 * 60 * 1000;

/**
 * Builds into memory, then replaces each file by a rename (atomic), leaving the chunks of the build
 * before in place for a while: a command or worker thread that started from the old build (a test
 * run, a long fuzz campaign) still finds every chunk it may load later.
 */
export async function buildCli() {
  const result = await build({
    absWorkingDir: root,
    entryPoints: { cli: 'scenarios/cli.ts', 'run-worker': 'scenarios/cli/run-worker.ts', 'check-worker': 'scenarios/cli/check-worker.ts' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    keepNames: true,
    chunkNames: '[name]-[hash]',
    // CommonJS dependencies (seedrandom) call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as __raftsimRequire } from 'node:module'; const require = __raftsimRequire(import.meta.url);" },
    logLevel: 'warning',
    write: false,
  });
  mkdirSync(outdir, { recursive: true });
  const current = new Set();
  for (const file of result.outputFiles) {
    current.add(basename(file.path));
    if (existsSync(file.path) && readFileSync(file.path).equals(file.contents)) continue;
    const tmp = `${file.path}.tmp-${process.pid}`;
    writeFileSync(tmp, file.contents);
    renameSync(tmp, file.path);
  }
  const now = Date.now();
  for (const name of readdirSync(outdir)) {
    const path = join(outdir, name);
    if (!current.has(name) && now - statSync(path).mtimeMs > STALE_MS) rmSync(path, { force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildCli();
