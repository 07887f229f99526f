/**
 * Shrinking a failing run to the faults that cause it.
 *
 * Input: a scenario whose fault timeline is explicit (the generated mix already written out, see
 * fault-mix.ts `materialize`) and a predicate `fails` that runs it with the failing seed and says
 * whether the failure persists. Output: a smaller scenario that still fails.
 *
 * 1. Remove faults, Zeller's ddmin style: try dropping chunks of the timeline (halves, then
 *    quarters, … then single faults); keep any drop after which the run still fails; repeat until
 *    no single fault can go.
 * 2. Shorten: halve each remaining fault's `for` while the run still fails (not below 100 ms),
 *    then cut the safety phase (`durationMs`) down towards the end of the last fault.
 *
 * Every trial is a whole run, so the number of trials is bounded (`runsMax`): the result is the
 * smallest failing scenario found within it. The predicate is deterministic (same scenario, same
 * seed, same verdict), so the shrink is too.
 */
import { assert } from '../sim/assert.js';
import type { Fault, Scenario } from './schema.js';

export interface ShrinkOptions {
  /** Most runs the shrinker may spend. Default 150. */
  readonly runsMax?: number;
}

export interface ShrinkResult {
  readonly scenario: Scenario;
  /** Runs spent (trials, not counting the original failure). */
  readonly runs: number;
  readonly faultsBefore: number;
  readonly faultsAfter: number;
  /** True when the run budget ran out before the shrink finished. */
  readonly exhausted: boolean;
}

const FOR_MS_MIN = 100;
/** The safety phase is never cut below this (the cluster needs time to elect and serve). */
const DURATION_MS_MIN = 2_000;

class Budget {
  runs = 0;
  constructor(
    private readonly max: number,
    private readonly fails: (s: Scenario) => boolean,
  ) {}

  get exhausted(): boolean {
    return this.runs >= this.max;
  }

  /** Runs a trial if the budget allows; false when it does not fail (or there is no budget). */
  tryFails(s: Scenario): boolean {
    if (this.exhausted) return false;
    this.runs++;
    return this.fails(s);
  }
}

export function shrinkScenario(failing: Scenario, fails: (s: Scenario) => boolean, options: ShrinkOptions = {}): ShrinkResult {
  assert(failing.nemesis.intervalMs === 0, 'shrink: materialize the generated faults first');
  const budget = new Budget(options.runsMax ?? 150, fails);
  let s = removeFaults(failing, budget);
  s = shortenFaults(s, budget);
  s = shortenDuration(s, budget);
  return { scenario: s, runs: budget.runs, faultsBefore: failing.faults.length, faultsAfter: s.faults.length, exhausted: budget.exhausted };
}

function withFaults(s: Scenario, faults: readonly Fault[]): Scenario {
  return { ...s, faults: [...faults] };
}

/** ddmin over the fault list: drop chunks of decreasing size while the failure persists. */
function removeFaults(s: Scenario, budget: Budget): Scenario {
  let faults = [...s.faults];
  let chunk = Math.max(1, Math.ceil(faults.length / 2));
  // Each pass either removes something or halves the chunk: at most log2(n) + n passes.
  for (let pass = 0; faults.length > 0 && pass < 4 * s.faults.length + 8 && !budget.exhausted; pass++) {
    let removed = false;
    for (let start = 0; start < faults.length && !budget.exhausted; ) {
      const candidate = [...faults.slice(0, start), ...faults.slice(start + chunk)];
      if (budget.tryFails(withFaults(s, candidate))) {
        faults = candidate;
        removed = true;
      } else {
        start += chunk;
      }
    }
    if (!removed) {
      if (chunk === 1) break;
      chunk = Math.ceil(chunk / 2);
    }
  }
  return withFaults(s, faults);
}

/** Halves each fault's duration while the failure persists. */
function shortenFaults(s: Scenario, budget: Budget): Scenario {
  let cur = s;
  for (let i = 0; i < cur.faults.length; i++) {
    for (let step = 0; step < 8 && !budget.exhausted; step++) {
      const f = cur.faults[i] as Fault;
      if (!('for' in f) || f.for === undefined || f.for / 2 < FOR_MS_MIN) break;
      const shorter = { ...f, for: Math.round(f.for / 2) } as Fault;
      const candidate = withFaults(cur, cur.faults.map((g, j) => (j === i ? shorter : g)));
      if (!budget.tryFails(candidate)) break;
      cur = candidate;
    }
  }
  return cur;
}

/** Cuts the safety phase towards the end of the last fault, halving the slack each time. */
function shortenDuration(s: Scenario, budget: Budget): Scenario {
  const lastEnd = s.faults.reduce((m, f) => Math.max(m, f.at + ('for' in f && f.for !== undefined ? f.for : 0)), 0);
  const floor = Math.max(DURATION_MS_MIN, Math.ceil(lastEnd) + 500);
  let cur = s;
  for (let step = 0; step < 8 && !budget.exhausted; step++) {
    const next = Math.round(floor + (cur.durationMs - floor) / 2);
    if (next >= cur.durationMs || next < floor) break;
    const candidate = { ...cur, durationMs: next, nemesis: { ...cur.nemesis, endMs: null } };
    if (!budget.tryFails(candidate)) break;
    cur = candidate;
  }
  return cur;
}
