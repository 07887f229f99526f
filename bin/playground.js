#!/usr/bin/env node
/**
 * Builds the playground: playground/page/main.ts and everything it imports (the real kernel, raft,
 * node, kv, scenarios and checkers) bundled by esbuild into one self-contained HTML file — script
 * and styles inline, a Content-Security-Policy that allows nothing from the network, so it opens
 * from file:// with no server.
 *
 *   node bin/playground.js [--out reports/out/playground.html] [--open]
 */
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function buildPlayground(out) {
  const r = await build({ absWorkingDir: root, entryPoints: ['playground/page/main.ts'], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', minify: true, keepNames: true, write: false, legalComments: 'none' });
  const js = r.outputFiles[0].text.replace(/<\/script/gi, '<\\/script');
  const css = readFileSync(`${root}playground/page/page.css`, 'utf8');
  const body = readFileSync(`${root}playground/page/page.html`, 'utf8');
  const hash = (s) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
  const csp = `default-src 'none'; script-src ${hash(js)}; style-src 'unsafe-inline'; img-src data:`;
  const html = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}"><meta name="viewport" content="width=device-width, initial-scale=1"><title>raftsim playground</title><style>${css}</style></head><body>${body}<script>${js}</script></body></html>\n`;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, html);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--out');
  const out = resolve(i >= 0 ? args[i + 1] : `${root}reports/out/playground.html`);
  await buildPlayground(out);
  console.log(`wrote ${out}`);
  if (args.includes('--open')) {
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    spawn(opener, [out], { stdio: 'ignore', detached: true }).on('error', () => console.log(`open ${out} in a browser`)).unref();
  }
}
