/**
 * Virtual time. Every clock in the simulator counts integer **microseconds** since the start of
 * the run: fine enough for sub-millisecond network delays, and a run of several days still fits
 * exactly in a double (2^53 µs ≈ 285 years).
 */

/** Virtual microseconds since the run began. Names of time values end in `Us`. */
export type Micros = number;

export const US_PER_MS = 1_000;
export const US_PER_S = 1_000_000;

/** Milliseconds to virtual microseconds (rounded to a whole microsecond). */
export function ms(n: number): Micros {
  return Math.round(n * US_PER_MS);
}

/** Seconds to virtual microseconds (rounded to a whole microsecond). */
export function seconds(n: number): Micros {
  return Math.round(n * US_PER_S);
}

/** Virtual microseconds as milliseconds, for reports and metrics. */
export function toMs(us: Micros): number {
  return us / US_PER_MS;
}

/** `1.204s`, `15.3ms` or `812us`: a time for a person to read. */
export function formatTime(us: Micros): string {
  if (us >= US_PER_S) return `${(us / US_PER_S).toFixed(3)}s`;
  if (us >= US_PER_MS) return `${(us / US_PER_MS).toFixed(1)}ms`;
  return `${us}us`;
}
