/**
 * The generated fault mix: turns a scenario's `nemesis` rates into an explicit fault timeline,
 * before the run starts, from the `nemesis/mix` stream.
 *
 * Materialising the mix (rather than drawing faults as the run goes) is what makes shrinking
 * possible: a failing run's faults are a plain list that the shrinker can cut down, and a list
 * written to a file replays the same run without the generator. Generated faults name members by
 * id (or `leader`), never `follower`/`any`, so the list means the same thing after faults are
 * removed from it.
 */
import { assert } from '../sim/assert.js';
import type { Random } from '../sim/random.js';
import { DISK_FAULT_KINDS, FAULTS_MAX, NEMESIS_KINDS, type DiskFaultKind, type Fault, type NemesisKind, type NodeRef, type Scenario } from './schema.js';

/** Shortest generated fault: shorter ones do nothing a heartbeat would notice. */
const FAULT_MS_MIN = 100;
/** Generated disk faults that a member survives by stopping (bit flips are left to wal-bit-flip). */
const MIX_DISK_FAULTS: readonly DiskFaultKind[] = DISK_FAULT_KINDS.filter((k) => k !== 'bit-flip');

/** The explicit faults the scenario's nemesis rates produce for this run (possibly none). */
export function generateFaultMix(s: Scenario, random: Random, crashPoints: readonly string[]): Fault[] {
  const n = s.nemesis;
  const weights = NEMESIS_KINDS.map((k) => n.kinds[k]);
  const total = weights.reduce((a, b) => a + b, 0);
  if (n.intervalMs <= 0 || total <= 0) return [];
  const endMs = Math.min(n.endMs ?? s.durationMs, s.durationMs);
  const faults: Fault[] = [];
  let t = n.startMs;
  for (let i = 0; i < FAULTS_MAX; i++) {
    t += Math.round(random.exponential(n.intervalMs, { min: 10, max: 10 * n.intervalMs }));
    if (t >= endMs) break;
    const kind = pickWeighted(random, weights, total);
    const forMs = Math.round(random.exponential(Math.max(n.faultMs, FAULT_MS_MIN), { min: FAULT_MS_MIN, max: 5 * Math.max(n.faultMs, FAULT_MS_MIN) }));
    const f = makeFault(kind, t, forMs, s.cluster.size, random, crashPoints);
    if (f !== null) faults.push(f);
  }
  assert(faults.length <= FAULTS_MAX, 'fault mix: too many faults');
  return faults;
}

function pickWeighted(r: Random, weights: readonly number[], total: number): NemesisKind {
  let x = r.float() * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i] as number;
    if (x < 0) return NEMESIS_KINDS[i] as NemesisKind;
  }
  // Rounding left x ≥ 0 after the last weight: the last kind with a weight.
  let last = 0;
  weights.forEach((w, i) => {
    if (w > 0) last = i;
  });
  return NEMESIS_KINDS[last] as NemesisKind;
}

function makeFault(kind: NemesisKind, at: number, forMs: number, size: number, r: Random, crashPoints: readonly string[]): Fault | null {
  const member = (): number => r.int(1, size);
  /** The leader a third of the time: the faults that matter most hit the leader. */
  const target = (): NodeRef => (r.chance(1 / 3) ? 'leader' : member());
  switch (kind) {
    case 'partition':
      return size < 2 ? null : makePartition(at, forMs, size, r);
    case 'one-way': {
      if (size < 2) return null;
      const from = member();
      const to = 1 + ((from - 1 + r.int(1, size - 1)) % size);
      return { type: 'cut-one-way', at, from, to, for: forMs };
    }
    case 'crash':
      return { type: 'crash', at, node: target(), for: forMs };
    case 'pause':
      return { type: 'pause', at, node: target(), for: forMs };
    case 'disk-fault':
      return { type: 'disk-fault', at, node: target(), fault: r.pick(MIX_DISK_FAULTS), for: forMs };
    case 'clock':
      return r.chance(0.5)
        ? { type: 'clock', at, node: target(), jumpMs: r.int(-2_000, 2_000) }
        : { type: 'clock', at, node: target(), rate: r.pick([0.5, 0.8, 1.25, 2]), for: forMs };
    case 'crash-point':
      return crashPoints.length === 0 ? null : { type: 'crash-point', at, node: target(), point: r.pick(crashPoints), for: forMs };
    case 'transfer-leader':
      return size < 2 ? null : { type: 'transfer-leader', at, to: member() };
  }
}

/** Isolate one member, split off a random minority, or bridge: the shapes partitions take. */
function makePartition(at: number, forMs: number, size: number, r: Random): Fault {
  const shape = r.int(0, size >= 3 ? 2 : 0);
  if (shape === 0) return { type: 'isolate', at, node: r.chance(1 / 3) ? 'leader' : r.int(1, size), for: forMs };
  const ids = r.shuffle(Array.from({ length: size }, (_, i) => i + 1));
  if (shape === 1) {
    const minority = ids.slice(0, r.int(1, Math.floor((size - 1) / 2)));
    return { type: 'split', at, groups: [minority, 'rest'], for: forMs };
  }
  const [node, a, b] = ids as [number, number, number];
  return { type: 'bridge', at, node, groups: [[a], [b]], for: forMs };
}

/** The scenario with its generated faults written out and the generator turned off. */
export function materialize(s: Scenario, generated: readonly Fault[]): Scenario {
  const faults = [...s.faults, ...generated].map((f, i) => ({ f, i })).sort((x, y) => x.f.at - y.f.at || x.i - y.i).map((x) => x.f);
  return { ...s, faults, nemesis: { ...s.nemesis, intervalMs: 0 } };
}
