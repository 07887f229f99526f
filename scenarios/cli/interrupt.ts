/**
 * Ctrl-C and SIGTERM (a cancelled CI job) during a campaign: the first signal aborts `signal` —
 * no new seed starts, the running ones are abandoned — and the command goes on to print its
 * summary marked `interrupted`, write its JUnit and JSON for what ran, and exit 128 + the signal's
 * number (130 for SIGINT, 143 for SIGTERM), as a shell reports a command a signal ended. A second
 * signal ends the process at once, with the same code.
 */
import { constants } from 'node:os';

export interface Interrupts {
  /** Aborted on the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** The first signal received, or null. */
  readonly received: () => 'SIGINT' | 'SIGTERM' | null;
  /** Stops listening (the signals' default action again). */
  readonly dispose: () => void;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** The exit code of a command a signal stopped: 128 + its number. */
export function signalExitCode(sig: NodeJS.Signals): number {
  return 128 + (constants.signals[sig] ?? 0);
}

/** Listens for SIGINT and SIGTERM; `what` names the work in the message (`seeds`, `runs`). */
export function catchInterrupts(what: string): Interrupts {
  const ac = new AbortController();
  let first: 'SIGINT' | 'SIGTERM' | null = null;
  const onSignal = (sig: 'SIGINT' | 'SIGTERM'): void => {
    if (first !== null) {
      process.stderr.write(`\nraftsim: ${sig} again: stopping at once\n`);
      process.exit(signalExitCode(first));
    }
    first = sig;
    process.stderr.write(`\nraftsim: ${sig}: starting no more ${what}, abandoning the running ones; the summary follows (${sig} again stops at once)\n`);
    ac.abort();
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  return {
    signal: ac.signal,
    received: () => first,
    dispose: () => {
      for (const s of SIGNALS) process.off(s, onSignal);
    },
  };
}
