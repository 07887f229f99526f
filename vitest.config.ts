import { defineConfig } from 'vitest/config';

// Tests sit next to the code as *.test.ts. The pool is forks with at most two workers:
// CI runs on a 2-core machine, and the simulation tests are CPU-bound.
export default defineConfig({
  test: {
    include: ['sim/**/*.test.ts', 'raft/**/*.test.ts', 'kv/**/*.test.ts', 'scenarios/**/*.test.ts', 'reports/**/*.test.ts', 'playground/**/*.test.ts'],
    setupFiles: ['./vitest.setup.ts'],
    globalSetup: ['./vitest.global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
