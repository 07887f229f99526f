#!/usr/bin/env node
// The raftsim command. `npm ci` compiles it into build/ (bin/build.js, the `prepare` script); a
// checkout without a build (installed with --ignore-scripts) runs the TypeScript through tsx.
import { existsSync } from 'node:fs';

const built = new URL('../build/cli.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../scenarios/cli.ts');
}
