/**
 * `raftsim check --workers N`: partitions searched on worker threads give the serial path's
 * verdict, per-partition verdicts and step counts — also when the step budget runs out, where the
 * serial check shares it round-robin — and `--first-failure` stops at an illegal partition.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { historyToJsonLines } from '../../sim/history.js';
import { generateHistory } from '../../sim/check/testing/histories.js';
import { parseHistory } from '../../sim/check/history-file.js';
import { assembleResult, checkLinearizability, checkPartition, planCheck, shareBudget } from '../../sim/check/linearizability.js';
import type { LinearizabilityResult } from '../../sim/check/linearizability.js';
import { CHECK_MODELS, runCheck, runCheckOnWorkers } from './check-command.js';
import type { CheckArgs, CheckModelName } from './check-command.js';
import { checkWorkerCap, checkWorkers } from './check-pool.js';

const CORPUS = fileURLToPath(new URL('../../sim/check/testdata/porcupine/', import.meta.url));

interface Summary {
  readonly exitCode: number;
  readonly verdict: string;
  readonly steps: number;
}

function summary(run: { exitCode: number; out: readonly string[] }): Summary {
  const j = JSON.parse(run.out[0] as string) as { verdict: string; steps: number };
  return { exitCode: run.exitCode, verdict: j.verdict, steps: j.steps };
}

describe('raftsim check --workers', () => {
  const cases: { name: string; text: string; model: CheckModelName }[] = [
    ...['kv_c10-ok', 'kv_c50-bad', 'kv_c10-bad', 'kv_c01-bad'].map((f) => ({ name: f, text: readFileSync(`${CORPUS}${f}.jsonl`, 'utf8'), model: 'kv' as const })),
    // Several keys, unknown outcomes, a corrupted read or two: some keys illegal, some hard.
    ...[11, 12, 13].map((seed) => ({
      name: `generated register ${seed}`,
      text: historyToJsonLines(generateHistory({ model: 'register', ops: 180, clients: 8, keys: 4, unknownRatio: 0.3, corrupt: seed % 2, seed })),
      model: 'register' as const,
    })),
    {
      name: 'generated kv 7',
      text: historyToJsonLines(generateHistory({ model: 'kv', ops: 200, clients: 10, keys: 3, unknownRatio: 0.1, corrupt: 2, seed: 7 })),
      model: 'kv' as const,
    },
  ];

  it('partitions searched alone, then cut to the shared budget, give the serial results, whatever the budget', () => {
    // What the threads do, without the threads: checkPartition each with the whole budget, then shareBudget.
    let unknown = 0;
    let illegal = 0;
    for (const c of cases) {
      const model = CHECK_MODELS[c.model].model;
      const parsed = parseHistory(c.text, CHECK_MODELS[c.model].schemas);
      if (!parsed.ok) throw new Error(parsed.error.message);
      const plan = planCheck(model, parsed.ops);
      for (const budgetSteps of [0, 40, 700, 3000, 20_000, 10_000_000]) {
        const serial = checkLinearizability(model, parsed.ops, { budgetSteps, allPartitions: true });
        const alone = plan.parts.map((part) => checkPartition(model, part, { budgetSteps }));
        const parallel = assembleResult(plan, shareBudget(alone, budgetSteps, true));
        const view = (r: LinearizabilityResult): unknown => ({ case: c.name, budgetSteps, verdict: r.verdict, steps: r.steps, parts: r.partitions.map((p) => [p.label, p.verdict, p.steps, p.stuck]) });
        expect(view(parallel)).toEqual(view(serial));
        if (serial.verdict === 'unknown') unknown++;
        if (serial.verdict === 'illegal') illegal++;
      }
    }
    // The cases do exercise both a shared budget running out and violations.
    expect(unknown).toBeGreaterThanOrEqual(8);
    expect(illegal).toBeGreaterThanOrEqual(8);
  });

  it('on threads: the serial verdicts and step counts', async () => {
    for (const c of cases.slice(0, 3)) {
      for (const budgetSteps of c.name === 'kv_c50-bad' ? [3000, 10_000_000] : [10_000_000]) {
        const args: CheckArgs = { model: c.model, json: true, budgetSteps };
        const serial = summary(runCheck(c.text, c.name, args));
        const parallel = summary(await runCheckOnWorkers(c.text, c.name, { ...args, workers: 2 }));
        expect({ case: c.name, budgetSteps, ...parallel }).toEqual({ case: c.name, budgetSteps, ...serial });
      }
    }
  }, 120_000);

  it('the text report names the same failing partitions as the serial one', async () => {
    const text = readFileSync(`${CORPUS}kv_c10-bad.jsonl`, 'utf8');
    const args: CheckArgs = { model: 'kv', json: false, budgetSteps: 10_000_000 };
    const failing = (out: readonly string[]): string[] => out.filter((l) => l.startsWith('partition ') || l.startsWith('  line ') || l.startsWith('explanation: '));
    const serial = runCheck(text, 'h.jsonl', args);
    const parallel = await runCheckOnWorkers(text, 'h.jsonl', { ...args, workers: 2 });
    expect(failing(parallel.out)).toEqual(failing(serial.out));
    expect(failing(serial.out).filter((l) => l.startsWith('partition ')).length).toBe(8);
    expect(parallel.out[0]).toMatch(/ on 2 workers, [\d.]+ ms CPU, [\d.]+ ms\)$/);
  });

  it('--first-failure stops at an illegal partition: exit 1, the rest unsearched', async () => {
    const text = readFileSync(`${CORPUS}kv_c10-bad.jsonl`, 'utf8');
    const args: CheckArgs = { model: 'kv', json: false, budgetSteps: 10_000_000, firstFailure: true };
    for (const run of [runCheck(text, 'h.jsonl', args), await runCheckOnWorkers(text, 'h.jsonl', { ...args, workers: 2 })]) {
      expect(run.exitCode).toBe(1);
      expect(run.out.some((l) => /^ {2}\(--first-failure: [\d,]+ partitions left unsearched\)$/.test(l))).toBe(true);
      expect(run.out.filter((l) => l.startsWith('partition ')).length).toBeLessThan(8);
      expect(run.out.at(-1)).toBe('reproduce: npx raftsim check h.jsonl --model kv --first-failure');
    }
  });

  it('starts at most one thread per partition and per core', () => {
    expect(checkWorkers(64, 1)).toBe(1);
    expect(checkWorkers(1, 10)).toBe(1);
    expect(checkWorkers(64, 1000)).toBe(checkWorkerCap());
    expect(checkWorkerCap()).toBe(availableParallelism());
  });
});
