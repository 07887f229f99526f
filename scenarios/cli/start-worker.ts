/** Starting the CLI's worker threads (worker-pool.ts for fuzz and experiment runs, check-pool.ts for checks). */
import { Worker } from 'node:worker_threads';

/**
 * A worker thread on `entry` (run-worker, check-worker). From the build (bin/build.js) the worker's bundle sits beside every
 * chunk, so it is found next to this code. From the TypeScript sources it must load TypeScript:
 * on Node 20.20 `execArgv: ['--import', 'tsx']` does not reach a worker's `.ts` entry ("Unknown
 * file extension"), so a one-line bootstrap registers tsx's loader first and then imports the
 * entry (as bin/raftsim.js does for the CLI without a build).
 */
export function startWorker(name: 'run-worker' | 'check-worker'): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, import.meta.url));
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const entry = new URL(`./${name}.ts`, import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true });
}
