#!/usr/bin/env node
/**
 * Compiles the command once, at install (`npm ci` runs the `prepare` script), so that no command
 * pays the TypeScript transform at start: esbuild bundles the CLI and the fuzz worker into build/,
 * each command in a chunk of its own that the CLI loads only when it runs that command
 * (scenarios/cli.ts). Chunks sit beside the entries, so `new URL('./run-worker.js', import.meta.url)`
 * finds the worker from any of them. Dependencies are bundled too: one file per command to read.
 *
 * `npm run build` runs it by hand; the tests run it first (vitest.global-setup.ts), so the child
 * processes they start never see a stale build.
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}build`;

export async function buildCli() {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: { cli: 'scenarios/cli.ts', 'run-worker': 'scenarios/cli/run-worker.ts' },
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
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildCli();
