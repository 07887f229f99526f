/**
 * Mutual exclusion judged by fencing tokens, over a store with one total order of changes
 * ("positions": etcd's revisions, a log's indexes).
 *
 * The input: each acquisition of a lock (by a process, with its token, at a position where the
 * store showed it holding — its key the oldest), and each write to the protected resource that the
 * store accepted (by a process, under the token it held, at the position it made).
 *
 * Tokens grow with the order of the queue: a later holder's token is larger. So if process B held
 * the lock with token tB at position P, every key with a smaller token was gone at P. A write of
 * process A ≠ B under token tA < tB accepted at a position ≥ P was made when A's key no longer
 * existed: A acted as the holder while B was — two holders at once. That is the violation; with
 * the resource checking the token (a guarded write), it can never be accepted.
 *
 * Sound for any history of a correct store: it uses only positions the store gave and tokens the
 * holders got from it. It does not catch a violation nobody wrote through (two processes that
 * believe they hold the lock but touch nothing), nor one where the stale write lands before the
 * new holder's acquisition position; those are harmless to the resource or invisible to it.
 */

export interface Acquisition {
  readonly process: number;
  readonly token: number;
  readonly position: number;
  readonly atUs: number;
}

export interface GuardedWrite {
  readonly process: number;
  readonly token: number;
  readonly position: number;
  readonly atUs: number;
}

export interface ExclusionViolation {
  /** The write made by a holder that no longer held the lock. */
  readonly write: GuardedWrite;
  /** The acquisition by another process, with a larger token, at or before the write's position. */
  readonly holder: Acquisition;
}

export interface ExclusionResult {
  readonly acquisitions: number;
  readonly writes: number;
  readonly violations: readonly ExclusionViolation[];
}

/** Every write made after another process with a larger token had been shown holding the lock. O((a + w) log a). */
export function checkMutualExclusion(acquisitions: readonly Acquisition[], writes: readonly GuardedWrite[]): ExclusionResult {
  // For each write, the acquisition with the largest token among those at positions ≤ the write's:
  // sort acquisitions by position and keep, per prefix, the best two by token from distinct processes.
  const acq = [...acquisitions].sort((a, b) => a.position - b.position || a.token - b.token);
  const ws = [...writes].sort((a, b) => a.position - b.position || a.token - b.token);
  const violations: ExclusionViolation[] = [];
  let best: Acquisition | null = null;
  let second: Acquisition | null = null;
  let i = 0;
  for (const w of ws) {
    while (i < acq.length && (acq[i] as Acquisition).position <= w.position) {
      const a = acq[i++] as Acquisition;
      if (best === null || a.token > best.token) {
        if (best !== null && best.process !== a.process) second = best;
        best = a;
      } else if (a.process !== best.process && (second === null || a.token > second.token)) second = a;
    }
    const other = best !== null && best.process !== w.process ? best : second;
    if (other !== null && other.token > w.token) violations.push({ write: w, holder: other });
  }
  return { acquisitions: acquisitions.length, writes: writes.length, violations };
}
