/**
 * Built-ins about disks: torn writes, bit rot, a full disk.
 */
import type { BuiltinScenario } from './builtin.js';

export const tornWrite: BuiltinScenario = {
  name: 'torn-write',
  summary: 'crashes tear the last WAL write; restart repairs the torn tail',
  description:
    'Power fails while a WAL record is on its way to the disk: each of three members is killed at ' +
    'the walBeforeSync crash point (etcd\'s gofail point in wal.Save: records written, fsync not yet done), and on this disk ' +
    '(64-byte sectors, tornWriteRate 1) a sector-aligned prefix of that last write reaches the ' +
    'platter and the rest does not — every crash here tears. At restart the WAL finds a partial ' +
    'record at the end of its last segment, recognises a torn tail, keeps a copy of the broken file ' +
    'and truncates to the last whole record — losing only what was never fsynced, so never an ' +
    'acknowledged write. Look for `disk.crash` with torn=true, then `wal.repair`, in the trace.',
  expect: 'pass',
  scenario: () => ({
    durationMs: 10_000,
    disk: { faults: { tornWriteRate: 1 }, sectorBytes: 64 },
    faults: [
      { type: 'crash-point', at: 2_000, node: 'leader', point: 'walBeforeSync', for: 500 },
      { type: 'crash-point', at: 4_000, node: 'follower', point: 'walBeforeSync', for: 500 },
      { type: 'crash-point', at: 6_000, node: 'any', point: 'walBeforeSync', for: 500 },
    ],
  }),
};

export const walBitFlip: BuiltinScenario = {
  name: 'wal-bit-flip',
  summary: 'a bit rots in a WAL: the CRC catches it and the member refuses to start',
  description:
    'One bit of member 3\'s WAL rots on the disk, and the member restarts. The CRC chain catches ' +
    'it: a mismatch that is not a torn tail is corruption, and the member refuses to start rather ' +
    'than serve or vote from a log it cannot trust (etcd: ErrCRCMismatch is fatal, never repaired). ' +
    'The other two keep a quorum and stay available; liveness is judged over the members that can run.',
  expect: 'pass',
  scenario: () => ({
    durationMs: 8_000,
    faults: [
      { type: 'disk-fault', at: 3_000, node: 3, fault: 'bit-flip' },
      { type: 'crash', at: 3_000, node: 3, for: 1_000 },
    ],
  }),
};

export const diskFull: BuiltinScenario = {
  name: 'disk-full',
  summary: 'the leader\'s disk fills up: it stops, the others carry on',
  description:
    'The leader\'s disk fills up: its next WAL write fails with ENOSPC. A member cannot go on from ' +
    'state it did not persist, so it stops (etcd panics), the others elect a new leader, and writes ' +
    'continue. After 3 s space is freed and the member is restarted; it recovers from what it had ' +
    'fsynced and catches up.',
  expect: 'pass',
  scenario: () => ({
    durationMs: 10_000,
    faults: [
      { type: 'disk-fault', at: 2_000, node: 'leader', fault: 'disk-full', for: 3_000 },
    ],
  }),
};
