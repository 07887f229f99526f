/**
 * The raft core, in-process, on one core (`npm run bench -- --filter raft-core`).
 *
 * - `raft-core.commits_per_s`: proposals committed and applied in a healthy 3-node in-memory
 *   cluster (one proposal per round, every Ready handled, every message delivered at once).
 * - `raft-core.steps_per_s`: messages stepped per second in the same run.
 * - `raft-core.fuzz.schedules_per_s`: random 5-node schedules with membership changes,
 *   compaction and snapshots (400 actions each), every action followed by the full safety check.
 * - `raft-core.term_inflation.*`: the isolated follower's term rise over 50 election timeouts,
 *   and leader changes after the heal, without and with PreVote (mean over 10 seeds).
 *
 * Rates are per CPU second (`process.cpuUsage`: the machine is shared), best of 3 after a
 * warm-up. Clocks are read here on purpose: this is a benchmark, not the simulation.
 */
import fc from 'fast-check';
import type { Benchmark, Figure } from './run.js';
import { bestRate } from './measure.js';
import { createRandom } from '../sim/random.js';
import { SafetyChecker } from '../raft/invariants.js';
import { MemoryCluster } from '../raft/testing/memory-cluster.js';
import { actionArb, observe, runAction } from '../raft/testing/random-schedule.js';
import { measureTermInflation } from '../raft/testing/term-inflation.js';

let stepped = 0;

function commitsRun(): number {
  const c = new MemoryCluster({ ids: [1, 2, 3], random: createRandom('bench') });
  c.node(1).raw.campaign();
  c.stabilize();
  const proposals = 20_000;
  const data = new Uint8Array(100);
  stepped = 0;
  for (let i = 0; i < proposals; i++) {
    c.node(1).raw.propose(data);
    for (let round = 0; round < 8; round++) {
      let moved = false;
      for (const id of [1, 2, 3]) moved = c.processReady(id) || moved;
      stepped += c.network.length;
      while (c.network.length > 0) c.deliver(0);
      if (!moved) break;
    }
    // Keep the logs short, as an application taking snapshots would.
    if (i % 1000 === 999) for (const id of [1, 2, 3]) c.compact(id);
  }
  return proposals;
}

function fuzzRun(): number {
  const samples = fc.sample(fc.array(actionArb(5), { minLength: 400, maxLength: 400 }), { numRuns: 20, seed: 42 });
  for (const actions of samples) {
    const checker = new SafetyChecker();
    const c = new MemoryCluster({
      ids: [1, 2, 3, 4, 5], random: createRandom('bench/fuzz'), config: { electionTick: 5, preVote: true, checkQuorum: true },
      onApply: (id, e) => checker.onApply(id, e), onSnapshot: (id, i) => checker.onSnapshotApplied(id, i),
    });
    for (const a of actions) {
      runAction(c, a, 5);
      checker.observe(observe(c));
    }
  }
  return samples.length;
}

function termInflation(preVote: boolean): { rise: number; changes: number } {
  let rise = 0;
  let changes = 0;
  const seeds = 10;
  for (let s = 0; s < seeds; s++) {
    const r = measureTermInflation({ preVote, checkQuorum: true, random: createRandom(`bench/${s}`), isolatedElectionTimeouts: 50 });
    rise += r.isolatedTermRise;
    changes += r.leaderChangesAfterHeal;
  }
  return { rise: rise / seeds, changes: changes / seeds };
}

export const benchmarks: Benchmark[] = [
  {
    name: 'raft-core',
    run(): Figure[] {
      const commits = bestRate(commitsRun);
      const steps = Math.round((commits * stepped) / 20_000);
      const off = termInflation(false);
      const on = termInflation(true);
      return [
        { bench: 'raft-core.commits_per_s', value: commits, unit: 'commits/s' },
        { bench: 'raft-core.steps_per_s', value: steps, unit: 'msgs/s' },
        { bench: 'raft-core.fuzz.schedules_per_s', value: bestRate(fuzzRun, 1), unit: 'schedules/s' },
        { bench: 'raft-core.term_inflation.prevote_off.term_rise', value: off.rise, unit: 'terms' },
        { bench: 'raft-core.term_inflation.prevote_off.leader_changes', value: off.changes, unit: 'changes' },
        { bench: 'raft-core.term_inflation.prevote_on.term_rise', value: on.rise, unit: 'terms' },
        { bench: 'raft-core.term_inflation.prevote_on.leader_changes', value: on.changes, unit: 'changes' },
      ];
    },
  },
];
