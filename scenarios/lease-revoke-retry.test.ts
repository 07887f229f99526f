/**
 * A retried lease revoke whose first attempt may have taken effect.
 *
 * Swarm seed 202 with a lease client (`--set 'workload.leases={"clients":1,"ttlS":2,…}'`), shrunk
 * to its one fault: member 2's disk fills for 142 ms. A revoke sent to member 2 goes unanswered
 * (it stops on ENOSPC after proposing it), the client retries on another member, and the revoke
 * has meanwhile committed: the retry is answered LeaseNotFound. The client used to record that
 * definite error as the call's outcome — "the revoke did nothing" — so the keys attached to the
 * lease vanished without a cause and the linearizability check failed on the correct build. The
 * error speaks only for the last attempt; kv/client records such a call `unknown`.
 */
import { describe, expect, it } from 'vitest';
import { runJob } from './run-job.js';

const SEED_202_LEASES_SHRUNK = {
  durationMs: 3491,
  cluster: { size: 3, preVote: true, checkQuorum: false, electionTick: 6, heartbeatTick: 3, snapshotCount: 30, snapshotCatchUpEntries: 5, maxInflightMsgs: 256 },
  network: { delay: { kind: 'log-normal', medianUs: 648, sigma: 0.6, minUs: 100, maxUs: 60000 }, lossRatio: 0, duplicateRatio: 0 },
  clocks: { skewMsMax: 418, driftMax: 0.010985376790631564 },
  workload: {
    clients: 1,
    keys: 4,
    distribution: 'zipfian',
    ratePerS: 24,
    watchers: 0,
    compactEveryMs: 2000,
    leases: { clients: 1, ttlS: 2, opShare: 0.2, putShare: 0.5, keepAliveShare: 0.4, revokeShare: 0.4, keepAliveEveryMs: 500, maxLive: 3 },
  },
  faults: [{ type: 'disk-fault', at: 2831, node: 2, fault: 'disk-full', for: 142 }],
};

describe('a retried lease revoke', () => {
  it('answered LeaseNotFound after an unanswered attempt is recorded unknown, and the history is linearizable', () => {
    const r = runJob({ id: 0, source: { kind: 'file', path: 'swarm-202-leases-shrunk.json', json: SEED_202_LEASES_SHRUNK }, seed: 202, overrides: [], trace: 'hash-only', full: true });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    // The event itself: a revoke retried after its first attempt went unanswered, ended by LeaseNotFound.
    const retried = r.record.history.filter((o) => o.op === 'lease-revoke' && (o.note ?? '').startsWith('LeaseNotFound') && !(o.note ?? '').endsWith('attempts=1'));
    expect(retried.length).toBeGreaterThan(0);
    for (const o of retried) {
      expect(o.status).toBe('unknown');
      expect(o.output).toBeUndefined();
    }
    expect(r.record.checks.linearizable.status, r.record.checks.linearizable.summary).toBe('pass');
  });
});
