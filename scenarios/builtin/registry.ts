/**
 * The list of built-in scenarios, in the order `raftsim list` prints them.
 */
import type { BuiltinScenario } from './builtin.js';
import { leaderCrash, noFsyncCrash, rollingRestarts, singleNodeRestartStaleRead } from './crashes.js';
import { diskFull, tornWrite, walBitFlip } from './disk.js';
import { etcd15247, leaseCheckpoint, leaseChurn } from './leases.js';
import { lockPause, lockPauseFenced } from './locks.js';
import { crashPoints, leaderTransfer, learnerPromote, membershipChange, snapshotCatchUp } from './operations.js';
import { asymmetricPartition, leaderMinority, prevoteRejoin } from './partitions.js';
import { etcd20418, leaderIsolationStaleRead, leaderPauseStaleRead, leaseReadClockDrift, readModes } from './stale-reads.js';
import { swarm } from './swarm.js';

export const BUILTINS: readonly BuiltinScenario[] = [
  prevoteRejoin,
  leaderIsolationStaleRead,
  leaderPauseStaleRead,
  leaseReadClockDrift,
  readModes,
  leaderCrash,
  rollingRestarts,
  tornWrite,
  walBitFlip,
  diskFull,
  snapshotCatchUp,
  leaderTransfer,
  membershipChange,
  learnerPromote,
  asymmetricPartition,
  leaderMinority,
  noFsyncCrash,
  singleNodeRestartStaleRead,
  etcd20418,
  crashPoints,
  leaseChurn,
  etcd15247,
  leaseCheckpoint,
  lockPause,
  lockPauseFenced,
  swarm,
];

export function findBuiltin(name: string): BuiltinScenario | undefined {
  return BUILTINS.find((b) => b.name === name);
}
