/**
 * `raftsim run` on a TTY: the run is stepped in slices (startRun: the same events, the same trace
 * hash as in one go) and between two slices, at most every `everyMs` of wall time (1 s), a line on
 * stderr is redrawn in place with the virtual time, the events and the operations so far, and the
 * wall time, then while the history is checked; it is cleared when the run ends. Off a TTY nothing is drawn and the run goes in one go.
 */
import type { RunRecord } from '../../record/run-record.js';
import type { RunSession } from '../runner.js';
import { formatDuration } from './progress.js';

/** Events per slice: a few milliseconds of wall time, so the clock is read often enough and rarely. */
const SLICE_EVENTS = 20_000;

export interface RunProgressOptions {
  readonly tty: boolean;
  readonly now?: () => number;
  readonly write?: (s: string) => void;
  /** Least wall time between two redraws (default 1 s; the issue asks for at least one every 10 s). */
  readonly everyMs?: number;
  /** Events per slice (default 20,000). */
  readonly sliceEvents?: number;
}

export function progressLine(s: RunSession, wallMs: number): string {
  const p = s.progress();
  const secs = (us: number): string => (us / 1e6).toFixed(1);
  const where = p.phase === 'liveness' ? `liveness phase, ${secs(p.nowUs)} s virtual (bound ${secs(p.phaseEndUs)} s)` : `${secs(p.nowUs)} of ${secs(p.phaseEndUs)} s virtual`;
  return `run: ${where}, ${p.events.toLocaleString('en-US')} events, ${p.ops.toLocaleString('en-US')} ops, ${formatDuration(wallMs)} wall`;
}

/** Runs `session` to its record, drawing progress on a TTY. */
export function finishWithProgress(session: RunSession, o: RunProgressOptions): RunRecord {
  if (!o.tty) return session.finish();
  const now = o.now ?? (() => performance.now());
  const write = o.write ?? ((s: string) => void process.stderr.write(s));
  const everyMs = o.everyMs ?? 1000;
  const t0 = now();
  let last = t0;
  let drawn = false;
  while (session.phase !== 'done') {
    session.advance(Number.MAX_SAFE_INTEGER, o.sliceEvents ?? SLICE_EVENTS);
    const t = now();
    if (t - last >= everyMs && session.progress().phase !== 'done') {
      last = t;
      drawn = true;
      write(`\r\x1b[K${progressLine(session, t - t0)}`);
    }
  }
  if (!drawn) return session.finish();
  // The checkers come after the last event: say so, as they can take a while on a long history.
  write(`\r\x1b[Krun: ${(session.progress().nowUs / 1e6).toFixed(1)} s virtual done, checking the history (${session.progress().ops.toLocaleString('en-US')} ops)…`);
  const record = session.finish();
  write('\r\x1b[K');
  return record;
}
