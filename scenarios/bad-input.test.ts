/**
 * Issue 14's acceptance: mutated scenario files and history files (wrong types, numbers out of
 * range or too large to read exactly, duplicated or unknown members, missing fields, truncation)
 * end either as a valid input that runs and passes (exit 0) or as one line of bad input (exit 2) —
 * never a failed check (exit 1, which CI would file as a raft bug), a stack trace or a hang.
 *
 * Most cases run in this process, on the functions the CLI calls (parse, resolve, run; runCheck);
 * a few go through `node bin/raftsim.js` as a user would.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonText } from '../sim/json-text.js';
import { historyToJsonLines } from '../sim/history.js';
import { runCheck, type CheckModelName } from './cli/check-command.js';
import { EXIT_BAD_INPUT, EXIT_BUDGET_EXHAUSTED, EXIT_CHECK_FAILED, EXIT_OK, UserInputError } from './errors.js';
import { verdictOf } from './fuzz.js';
import { resolveScenario } from './resolve.js';
import { runScenario } from './runner.js';
import { mutatedText } from './testing/mutate-input.js';

/** A short, healthy scenario with one fault of several kinds, so that mutations reach their fields. */
const BASE_SCENARIO = {
  description: 'a short healthy run',
  durationMs: 400,
  cluster: { size: 3, tickMs: 50 },
  workload: { clients: 2, keys: 2, ratePerS: 50, mix: { get: 50, put: 50, delete: 0, txn: 0, range: 0, watch: 0 } },
  faults: [
    { type: 'isolate', at: 100, node: 'follower', for: 100 },
    { type: 'split', at: 150, groups: [[1], 'rest'], for: 50 },
    { type: 'pause', at: 200, node: 2, for: 50 },
    { type: 'resume', at: 260, node: 'all' },
    { type: 'clock', at: 100, node: 3, rate: 1.5, for: 100 },
  ],
  liveness: { boundMs: 10_000 },
};

interface Outcome {
  readonly code: number;
  readonly lines: readonly string[];
}

/** `raftsim run file.json --seed 1`, in this process: the same steps, the same exit codes. */
function runScenarioText(text: string, file: string): Outcome {
  try {
    const parsed = parseJsonText(text);
    if (!parsed.ok) throw new UserInputError({ file, line: parsed.line, column: parsed.column, message: parsed.message });
    const resolved = resolveScenario(parsed.value, { source: file });
    if (!resolved.ok) throw new UserInputError(resolved.issue);
    const record = runScenario({ name: file, description: '', scenario: resolved.scenario, seed: 1, overrides: [], trace: 'hash-only' });
    const v = verdictOf(record.checks);
    const code = v.status === 'pass' ? EXIT_OK : v.status === 'fail' ? EXIT_CHECK_FAILED : EXIT_BUDGET_EXHAUSTED;
    return { code, lines: v.failed.map((c) => `${c}: ${record.checks[c as keyof typeof record.checks].summary}`) };
  } catch (err) {
    if (err instanceof UserInputError) return { code: EXIT_BAD_INPUT, lines: err.message.split('\n') };
    return { code: EXIT_CHECK_FAILED, lines: String(err instanceof Error ? err.stack : err).split('\n') };
  }
}

/** `raftsim check file --model m`, in this process. */
function checkText(text: string, model: CheckModelName): Outcome {
  try {
    const r = runCheck(text, 'h.jsonl', { model, json: true, budgetSteps: 100_000 });
    return { code: r.exitCode, lines: r.out };
  } catch (err) {
    if (err instanceof UserInputError) return { code: EXIT_BAD_INPUT, lines: err.message.split('\n') };
    return { code: EXIT_CHECK_FAILED, lines: String(err instanceof Error ? err.stack : err).split('\n') };
  }
}

function expectValidOrOneLine(o: Outcome, what: unknown): void {
  if (o.code === EXIT_OK) return;
  expect({ what, code: o.code, lines: o.lines }).toMatchObject({ code: EXIT_BAD_INPUT, lines: [expect.stringMatching(/^\S.*\S$/)] });
}

const H = [
  { client: 0, op: 'write', key: 'x', call: 0, return: 2, status: 'ok', input: { value: 1 } },
  { client: 1, op: 'read', key: 'x', call: 3, return: 4, status: 'ok', output: { value: 1 } },
  { client: 2, op: 'cas', key: 'x', call: 5, return: 9, status: 'ok', input: { from: 1, to: 2 }, output: { ok: true } },
  { client: 0, op: 'write', key: 'x', call: 10, return: null, status: 'unknown', input: { value: 3 } },
];

describe('bad input is exit 2, never a raft bug (issue 14)', () => {
  it('the base scenario and the base history are valid and pass', () => {
    expect(runScenarioText(JSON.stringify(BASE_SCENARIO), 'base.json')).toEqual({ code: 0, lines: [] });
    expect(checkText(historyToJsonLines(H.map((o, id) => ({ id, ...o })) as never), 'register').code).toBe(0);
  });

  it('property: a mutated scenario file runs and passes, or is one line of bad input', () => {
    fc.assert(
      fc.property(mutatedText(BASE_SCENARIO), ({ mutation, text }) => {
        expectValidOrOneLine(runScenarioText(text, 'm.json'), mutation);
      }),
      { numRuns: 120 },
    );
  });

  it('property: a mutated history line checks, or is one line of bad input', () => {
    const lineArb = fc.nat({ max: H.length - 1 }).chain((i) => mutatedText(H[i] as never).map((m) => ({ i, ...m })));
    fc.assert(
      fc.property(lineArb, fc.constantFrom<CheckModelName>('register', 'register', 'kv', 'etcd'), ({ i, mutation, text }, model) => {
        const lines = H.map((o) => JSON.stringify(o));
        lines[i] = text.replace(/\n/g, ' ');
        const o = checkText(lines.join('\n'), model);
        // A valid history may be linearizable or not (a mutated value can break it): exit 0 or 1 are
        // verdicts here, not crashes; a crash shows as a stack trace in the lines.
        if (o.code === EXIT_CHECK_FAILED || o.code === EXIT_BUDGET_EXHAUSTED) {
          expect(o.lines.join('\n'), JSON.stringify(mutation)).not.toMatch(/\n\s+at /);
          return;
        }
        expectValidOrOneLine(o, { mutation, model });
      }),
      { numRuns: 300 },
    );
  });
});

describe('bad input through the command (child processes)', () => {
  const ROOT = fileURLToPath(new URL('../', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'raftsim-bad-input-'));
  const raftsim = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/raftsim.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 240_000 });
    return { code: r.status, out: r.stdout.split('\n').filter((l) => l !== ''), err: r.stderr.split('\n').filter((l) => l !== '') };
  };
  const cases: [string, string, string][] = [
    ['for.json', '{"durationMs": 2000, "faults": [{"type": "crash", "node": 1, "at": 100, "for": 1e308}]}', 'raftsim: for.json: faults[0].for: expected a duration ≤ 86400000 in milliseconds (a day of virtual time), got 1e+308'],
    ['split.json', '{"durationMs": 2000, "faults": [{"type": "split", "at": 100, "groups": [[1, 2], [2, 3]]}]}', 'raftsim: split.json: faults[0].groups[1][0]: member 2 is already in groups[0] (groups must not overlap)'],
    ['mix.json', '{"durationMs": 2000, "workload": {"mix": {"get": 0, "put": 0, "delete": 0, "txn": 0}}}', 'raftsim: mix.json: workload.mix: needs a kind with a positive weight (all are 0; set workload.clients to 0 for no clients)'],
    ['resume.json', '{"faults": [{"type": "resume", "at": 100}]}', 'raftsim: resume.json: faults[0].node: missing (expected a member id (1 to 9), "leader", "follower", "any", "lock-holder" or "all")'],
    ['comma.json', '{\n  "faults": [\n    {"type": "heal", "at": 5,}\n  ]\n}', "raftsim: comma.json:3:30: not valid JSON: expected a double-quoted field name, found '}'"],
  ];
  it.each(cases)('%s: one line, exit 2', (file, text, line) => {
    writeFileSync(join(dir, file), text);
    expect(raftsim('run', file)).toEqual({ code: 2, out: [], err: [line] });
  });
});
