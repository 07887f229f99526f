/**
 * Fault bands: the faults of a run across the timeline's time axis.
 *
 * The nemesis's own account (`RunRecord.faults`) comes first: it knows intent (`isolate 3 (the
 * leader)`) and partition groups. The trace adds what happened without the nemesis saying so — a
 * crash at a crash point, a disk fault the disk drew by itself, a pause the scenario scripted —
 * as bands of the same kinds; a trace band is left out when a nemesis band of the same kind already
 * covers it (overlaps in time and shares a host). Bands that overlap in time are stacked in rows.
 */
import type { FaultRecord, RunRecord } from '../record/run-record.js';
import type { TraceEvent } from '../sim/trace.js';
import { formatGroups, hostsOfCut, parseCut } from './cut-links.js';
import { assert } from './invariant.js';

export interface FaultBand {
  /** `partition`, `crash`, `pause`, `disk-fault`, `clock`, `crash-point`, or a nemesis kind. */
  readonly kind: string;
  readonly fromUs: number;
  /** Resolved end: an open fault (untilUs null) ends at the end of the run. */
  readonly untilUs: number;
  /** It lasted to the end (never healed, restarted or resumed). */
  readonly open: boolean;
  /** An instant (a clock jump, one disk error): drawn as a tick, not a band. */
  readonly instant: boolean;
  readonly hosts: readonly number[];
  readonly groups: readonly (readonly number[])[] | null;
  readonly label: string;
  readonly source: 'faults' | 'trace';
  /** Stack row, 0 at the top: bands in one row do not overlap. */
  readonly row: number;
}

/** Bands drawn at most (the rest are counted); a swarm run with a fault every 100 ms stays drawable. */
export const FAULT_BANDS_MAX = 2_000;
/** Rows of stacked bands at most; more overlap shares the last row. */
export const FAULT_ROWS_MAX = 6;

type Unplaced = Omit<FaultBand, 'row'>;

export function buildFaultBands(record: Pick<RunRecord, 'faults' | 'trace'>, endUs: number): FaultBand[] {
  const fromFaults = record.faults.map((f) => bandOfFault(f, endUs));
  const fromTrace = bandsFromTrace(record.trace, endUs).filter((b) => !fromFaults.some((f) => covers(f, b)));
  const all = [...fromFaults, ...fromTrace].sort((a, b) => a.fromUs - b.fromUs || a.untilUs - b.untilUs).slice(0, FAULT_BANDS_MAX);
  return placeInRows(all, endUs);
}

function bandOfFault(f: FaultRecord, endUs: number): Unplaced {
  assert(f.untilUs === null || f.untilUs >= f.atUs, () => `fault-bands: fault ${f.label} ends before it starts`);
  const untilUs = f.untilUs ?? Math.max(endUs, f.atUs);
  const groups = f.groups ?? null;
  const label = groups !== null && groups.length > 0 && !f.label.includes('{') ? `${f.label} ${formatGroups(groups)}` : f.label;
  return { kind: f.kind, fromUs: f.atUs, untilUs, open: f.untilUs === null, instant: untilUs === f.atUs, hosts: f.hosts, groups, label, source: 'faults' };
}

/** Same kind family (a crash point is a crash), overlapping in time, sharing a host. */
function covers(f: Unplaced, b: Unplaced): boolean {
  const family = (k: string): string => (k === 'crash-point' ? 'crash' : k);
  if (family(f.kind) !== family(b.kind)) return false;
  if (b.fromUs > f.untilUs || b.untilUs < f.fromUs) return false;
  return b.hosts.length === 0 || f.hosts.length === 0 || b.hosts.some((h) => f.hosts.includes(h));
}

/** Bands derived from the trace alone. */
export function bandsFromTrace(trace: readonly TraceEvent[], endUs: number): Unplaced[] {
  const bands: Unplaced[] = [];
  const down = new Map<number, number>();
  const paused = new Map<number, number>();
  let cut: { fromUs: number; text: string; label: string } | null = null;
  const close = (kind: string, host: number, fromUs: number, untilUs: number, open: boolean): void => {
    const what = kind === 'crash' ? 'down' : 'paused';
    bands.push({ kind, fromUs, untilUs, open, instant: false, hosts: [host], groups: null, label: `n${host} ${what}`, source: 'trace' });
  };
  for (const e of trace) {
    const h = e.host;
    if (e.kind === 'net.partition') {
      const text = String(e.fields.cut ?? 'none');
      if (cut !== null) bands.push(partitionBand(cut, e.timeUs, false));
      cut = text === 'none' ? null : { fromUs: e.timeUs, text, label: `${String(e.fields.verb ?? 'partition')} ${String(e.fields.args ?? '')}`.trim() };
    } else if (h !== null && e.kind === 'host.crash') {
      if (!down.has(h)) down.set(h, e.timeUs);
      const p = paused.get(h);
      if (p !== undefined) close('pause', h, p, e.timeUs, false);
      paused.delete(h);
    } else if (h !== null && (e.kind === 'host.restart' || e.kind === 'host.start')) {
      const d = down.get(h);
      if (d !== undefined) close('crash', h, d, e.timeUs, false);
      down.delete(h);
    } else if (h !== null && e.kind === 'host.pause') {
      if (!paused.has(h)) paused.set(h, e.timeUs);
    } else if (h !== null && e.kind === 'host.resume') {
      const p = paused.get(h);
      if (p !== undefined) close('pause', h, p, e.timeUs, false);
      paused.delete(h);
    } else {
      const instant = instantBand(e);
      if (instant !== null) bands.push(instant);
    }
  }
  if (cut !== null) bands.push(partitionBand(cut, endUs, true));
  for (const [h, t] of down) close('crash', h, t, Math.max(endUs, t), true);
  for (const [h, t] of paused) close('pause', h, t, Math.max(endUs, t), true);
  return bands;
}

function partitionBand(cut: { fromUs: number; text: string; label: string }, untilUs: number, open: boolean): Unplaced {
  const hosts = hostsOfCut(parseCut(cut.text));
  const label = `${cut.label} (cut ${cut.text})`;
  return { kind: 'partition', fromUs: cut.fromUs, untilUs: Math.max(untilUs, cut.fromUs), open, instant: false, hosts, groups: null, label, source: 'trace' };
}

function instantBand(e: TraceEvent): Unplaced | null {
  const hosts = e.host === null ? [] : [e.host];
  const at = (kind: string, label: string): Unplaced => ({ kind, fromUs: e.timeUs, untilUs: e.timeUs, open: false, instant: true, hosts, groups: null, label, source: 'trace' });
  const n = e.host === null ? '' : `n${e.host} `;
  switch (e.kind) {
    case 'disk.fault':
      return at('disk-fault', `${n}disk ${String(e.fields.op ?? '')} ${String(e.fields.error ?? 'fault')}`.replace(/\s+/g, ' '));
    case 'disk.bitflip':
      return at('disk-fault', `${n}bit flip in ${String(e.fields.path ?? '?')}`);
    case 'host.clock':
      return at('clock', `${n}clock rate=${String(e.fields.rate)} offset=${String(e.fields.offsetUs)}µs`);
    case 'node.crash-point':
      return at('crash-point', `${n}crash point ${String(e.fields.name ?? '?')}`);
    default:
      return null;
  }
}

/**
 * Greedy interval placement: each band goes to the first row whose last band ended before it
 * starts. Instants count as `endUs / 200` wide so that neighbouring ticks and labels do not pile up.
 */
function placeInRows(bands: readonly Unplaced[], endUs: number): FaultBand[] {
  const minSpanUs = Math.max(1, endUs / 200);
  const rowEnds: number[] = [];
  return bands.map((b) => {
    const visibleEnd = Math.max(b.untilUs, b.fromUs + minSpanUs);
    let row = rowEnds.findIndex((end) => end <= b.fromUs);
    if (row < 0) row = rowEnds.length < FAULT_ROWS_MAX ? rowEnds.length : FAULT_ROWS_MAX - 1;
    rowEnds[row] = Math.max(rowEnds[row] ?? 0, visibleEnd);
    return { ...b, row };
  });
}
