/**
 * Progress of a campaign on stderr: on a TTY a bar redrawn in place, with the elapsed wall time
 * and an estimate of the time left; otherwise (a CI log) a line when the first item is done and
 * then at most one every 10 s. The wall clock and the stream are parameters, for the tests.
 */

export interface ProgressOptions {
  /** Items in all (seeds, runs). */
  readonly total: number;
  /** What an item is, plural (`seeds`, `runs`). */
  readonly unit: string;
  /** The line's prefix (`fuzz`, `experiment`). */
  readonly label: string;
  readonly tty?: boolean;
  readonly now?: () => number;
  readonly write?: (s: string) => void;
  /** Non-TTY: least wall time between two lines (default 10 s). */
  readonly everyMs?: number;
}

export interface Progress {
  update(done: number, failures: number): void;
  /** The closing line (non-TTY) or the bar's newline (TTY). */
  done(done: number, failures: number): void;
}

/** `75 s` below two minutes, `3m05s` below an hour, else `2h07m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function createProgress(o: ProgressOptions): Progress {
  const tty = o.tty ?? process.stderr.isTTY === true;
  const now = o.now ?? (() => performance.now());
  const write = o.write ?? ((s: string) => void process.stderr.write(s));
  const everyMs = o.everyMs ?? 10_000;
  const t0 = now();
  let lastLine: number | null = null;
  const rate = (done: number, ms: number): string => `${(done / Math.max(1e-9, ms / 1000)).toFixed(1)} ${o.unit}/s`;
  const failing = (f: number): string => (o.unit === 'seeds' ? `, ${f} failing` : f > 0 ? `, ${f} crashed` : '');
  return {
    update(done, failures) {
      const t = now();
      const ms = t - t0;
      if (tty) {
        const width = 30;
        const filled = Math.min(width, Math.round((done / Math.max(1, o.total)) * width));
        const left = done > 0 && done < o.total ? `, ~${formatDuration((ms / done) * (o.total - done))} left` : '';
        write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${o.total} ${o.unit}${failing(failures)}  ${rate(done, ms)}  ${formatDuration(ms)} elapsed${left}  `);
      } else if (lastLine === null || t - lastLine >= everyMs) {
        lastLine = t;
        write(`${o.label}: ${done}/${o.total} ${o.unit}${failing(failures)}, ${rate(done, ms)}\n`);
      }
    },
    done(done, failures) {
      if (tty) write('\n');
      else write(`${o.label}: ${done}/${o.total} ${o.unit}${failing(failures)}, ${((now() - t0) / 1000).toFixed(1)} s\n`);
    },
  };
}
