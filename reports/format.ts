/**
 * Numbers and values for a person to read. Pure and locale-free, so the same record renders to
 * the same bytes on any machine (toLocaleString would follow the machine's locale).
 */
import { assert } from './invariant.js';

const US_PER_MS = 1_000;
const US_PER_S = 1_000_000;

/** `1.204 s`, `15.3 ms` or `812 µs`. */
export function formatUs(us: number): string {
  const sign = us < 0 ? '-' : '';
  const a = Math.abs(us);
  if (a >= US_PER_S) return `${sign}${trimFixed(a / US_PER_S, 3)} s`;
  if (a >= US_PER_MS) return `${sign}${trimFixed(a / US_PER_MS, 1)} ms`;
  return `${sign}${Math.round(a)} µs`;
}

/** `5.129 s`, `0.010 s`: a point in virtual time, always in seconds with millisecond precision (violation texts, replay). */
export function formatSeconds(us: number): string {
  return `${(us / US_PER_S).toFixed(3)} s`;
}

/** A time on an axis whose ticks are `stepUs` apart: as few digits as tell the ticks apart. */
export function formatTick(us: number, stepUs: number): string {
  if (stepUs >= US_PER_S) return `${trimFixed(us / US_PER_S, 0)} s`;
  if (stepUs >= US_PER_MS * 100) return `${trimFixed(us / US_PER_S, 1)} s`;
  if (stepUs >= US_PER_MS * 10) return `${trimFixed(us / US_PER_S, 2)} s`;
  if (stepUs >= US_PER_MS) return `${trimFixed(us / US_PER_MS, 0)} ms`;
  return `${trimFixed(us / US_PER_MS, 3)} ms`;
}

/** A figure: integers as they are, others with at most `digits` decimals, no trailing zeros. */
export function formatNumber(n: number, digits = 2): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  return trimFixed(n, digits);
}

function trimFixed(n: number, digits: number): string {
  const s = n.toFixed(digits);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** Any value as short text: strings quoted, objects as JSON, cut to `charsMax` with an ellipsis. */
export function formatValue(v: unknown, charsMax = 40): string {
  assert(charsMax >= 2, 'formatValue: charsMax must be ≥ 2');
  let s: string;
  if (v === undefined) s = 'undefined';
  else if (typeof v === 'string') s = JSON.stringify(v);
  else if (typeof v === 'bigint') s = `${v}n`;
  else s = JSON.stringify(v) ?? String(v);
  return s.length <= charsMax ? s : `${s.slice(0, charsMax - 1)}…`;
}

/** Tick positions for an axis over [fromUs, toUs]: about `countWanted` ticks at 1, 2 or 5 × 10^k µs. */
export function niceTicks(fromUs: number, toUs: number, countWanted: number): { readonly stepUs: number; readonly ticks: readonly number[] } {
  assert(toUs > fromUs, () => `niceTicks: empty range [${fromUs}, ${toUs}]`);
  assert(countWanted >= 1 && countWanted <= 100, 'niceTicks: countWanted in [1, 100]');
  const raw = (toUs - fromUs) / countWanted;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const stepUs = Math.max(1, [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow);
  const ticks: number[] = [];
  const first = Math.ceil(fromUs / stepUs) * stepUs;
  // Bounded: the step is at least range / countWanted, so at most countWanted + 1 ticks.
  for (let t = first; t <= toUs && ticks.length <= countWanted + 1; t += stepUs) ticks.push(t);
  return { stepUs, ticks };
}

/** Sorted copy → the q-quantile (nearest rank), or NaN for no values. */
export function quantile(values: readonly number[], q: number): number {
  assert(q >= 0 && q <= 1, () => `quantile: q must be in [0, 1], got ${q}`);
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] as number;
}
