/**
 * Built-ins about clientv3's Mutex (kv/client/concurrency): Jepsen's finding on etcd locks, staged.
 */
import type { BuiltinScenario } from './builtin.js';

const lockWorkload = (fenced: boolean) => ({
  clients: 1,
  keys: 4,
  ratePerS: 20,
  watchers: 0,
  locks: { clients: 2, ttlS: 2, holdMs: 2_500, thinkMs: 100, fenced },
});

/** At 4 s the client holding the lock stops for 6 s: longer than its session's 2 s lease. */
const lockFaults = [{ type: 'pause' as const, at: 4_000, node: 'lock-holder' as const, for: 6_000 }];

export const lockPause: BuiltinScenario = {
  name: 'lock-pause',
  summary: 'a lock holder paused past its lease: the next client takes the lock while the first still acts on it',
  description:
    'Two lock clients take turns on one clientv3 Mutex (a key per session under lock/resource, the ' +
    'oldest holds it, each session a 2 s lease kept alive every 0.67 s), and write the key `resource` ' +
    'when they get the lock and again 2.5 s later, then unlock. At 4 s the client holding the lock is ' +
    'paused for 6 s (a GC pause, a SIGSTOP): its keepalives stop, the leader expires its lease and ' +
    'deletes its lock key, and the other client, watching that key, takes the lock and writes. When the ' +
    'paused client resumes, its timers run before it hears that its session is gone, and it writes the ' +
    'resource as if it still held the lock — etcd accepts the plain put. The mutual-exclusion check ' +
    '(reported under invariants) names the two holders by their fencing tokens (their lock keys\' ' +
    'create revisions). This is what Jepsen found of etcd locks (2020): nothing is wrong with etcd; a ' +
    'lock is only as safe as the fencing the protected resource applies. lock-pause-fenced is the ' +
    'same run with the writes guarded by the holder\'s isOwner().',
  expect: 'fail',
  scenario: () => ({ durationMs: 14_000, workload: lockWorkload(false), faults: lockFaults }),
};

export const lockPauseFenced: BuiltinScenario = {
  name: 'lock-pause-fenced',
  summary: 'the same paused lock holder, with writes fenced by the lock key\'s create revision: the stale write is refused',
  description:
    'lock-pause with `workload.locks.fenced`: each write of the resource is a Txn guarded by the ' +
    'holder\'s isOwner() — its lock key still has the create revision it locked with. The paused client ' +
    'resumes believing it holds the lock, as before, but its guarded write finds its key gone (its ' +
    'lease expired) and changes nothing; the check passes and counts the refused writes. The lesson: ' +
    'pass the lock\'s token to whatever you protect, and let the resource refuse old tokens.',
  expect: 'pass',
  scenario: () => ({ durationMs: 14_000, workload: lockWorkload(true), faults: lockFaults }),
};
