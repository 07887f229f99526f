/**
 * The raft node layer (`npm run bench -- --filter raft.node`): WAL speed, a simulated cluster's
 * speed, and what a crash at each named crash point loses.
 *
 * - `raft.node.wal.encode_mb_per_s`: framing + CRC-32C of 100-byte entries, pure.
 * - `raft.node.wal.save_entries_per_s`: `Wal.save` of 10-entry batches on a sim disk, fsync each.
 * - `raft.node.wal.replay_entries_per_s`: reading back a 20,000-entry WAL of 64 KiB segments.
 * - `raft.node.cluster.events_per_s` / `.committed_per_s` / `.virtual_s_per_s`: a 3-node cluster
 *   under a proposal every 2 ms for 20 virtual seconds (snapshots every 1,000 entries).
 * - `raft.node.crash.<point>.<role>.*`, over seeds 1..5 (the crash-scenario of the tests): the
 *   crashed node's in-memory log entries not on disk at restart (`lost_entries`, max), its commit
 *   index regression (`commit_regression`, max; commit-only hard states are not fsynced), and
 *   committed entries missing at the end (`committed_lost`, must be 0). Every restart also checks
 *   that the node's last acknowledgement, last granted vote and applied entries are on its disk,
 *   and throws if not — so a figure printed at all means none was lost.
 * Rates are the best of 3 runs after a warm-up, per CPU second of this process (the machine is
 * shared). Clocks are read here on purpose: this is a benchmark.
 */
import type { Benchmark, Figure } from './run.js';
import { bestRate, bestRateWith } from './measure.js';
import { createDisks } from '../sim/disk.js';
import { createHosts } from '../sim/host.js';
import type { Entry, LogIndex, NodeId, Term } from '../raft/core/types.js';
import { CRASH_POINTS } from '../raft/node/crash-points.js';
import { runCrashScenario, SNAPSHOT_RECEIPT_POINTS, type CrashRole } from '../raft/node/crash-scenario.js';
import { createTestCluster } from '../raft/node/test-cluster.js';
import { createWal, openWal, type WalOptions } from '../raft/node/wal.js';
import { encodeRecords, type WalRecord } from '../raft/node/wal-record.js';
import { createKernel } from '../sim/kernel.js';

const entry = (i: number): Entry => ({ term: 1 as Term, index: i as LogIndex, type: 'normal', data: new Uint8Array(100).fill(i & 0xff) });

function diskWorld() {
  const kernel = createKernel({ seed: 1, trace: { mode: 'hash-only' } });
  const hosts = createHosts(kernel);
  hosts.add(1);
  hosts.start(1, () => null);
  return createDisks(kernel, hosts, { traceOps: false }).of(1);
}

const WAL_OPTS: WalOptions = { dir: 'member/wal', segmentBytes: 64 * 1024, unsafeNoFsync: false, emit: () => {} };
const META = { nodeId: 1 as NodeId, clusterId: 1, peers: [1 as NodeId], bootstrap: true };

function walFigures(): Figure[] {
  const records: WalRecord[] = Array.from({ length: 1000 }, (_, i) => ({ type: 'entry', entry: entry(i + 1) }));
  const bytesPerRun = encodeRecords(records, 0).bytes.length;
  const encode = bestRate(() => {
    for (let i = 0; i < 20; i++) encodeRecords(records, i);
    return (20 * bytesPerRun) / 1e6;
  });
  const save = bestRate(() => {
    const created = createWal(diskWorld(), WAL_OPTS, META);
    if (!created.ok) throw new Error(created.error);
    for (let i = 0; i < 2000; i++) created.wal.save({ term: 1 as Term, vote: 0 as NodeId, commit: (i * 10) as LogIndex }, Array.from({ length: 10 }, (_, k) => entry(i * 10 + k + 1)), true);
    return 20_000;
  });
  const disk = diskWorld();
  const created = createWal(disk, WAL_OPTS, META);
  if (!created.ok) throw new Error(created.error);
  for (let i = 0; i < 2000; i++) created.wal.save(null, Array.from({ length: 10 }, (_, k) => entry(i * 10 + k + 1)), true);
  const replay = bestRate(() => {
    const opened = openWal(disk, WAL_OPTS);
    if (!opened.ok) throw new Error(opened.error);
    return opened.replayed.entryRecords.length;
  });
  return [
    { bench: 'raft.node.wal.encode_mb_per_s', value: encode, unit: 'MB/s' },
    { bench: 'raft.node.wal.save_entries_per_s', value: save, unit: 'entries/s' },
    { bench: 'raft.node.wal.replay_entries_per_s', value: replay, unit: 'entries/s' },
  ];
}

function clusterFigures(): Figure[] {
  const run = (): { units: number; extra: Record<string, number> } => {
    const c = createTestCluster({ seed: 1, node: { snapshotCount: 1000, catchUpEntries: 100 }, safetyCheckEveryUs: 0 });
    c.proposeSteadily(2_000, 20_000_000);
    c.runFor(20_500_000);
    c.checkConverged();
    return { units: c.kernel.scheduler.eventsRun, extra: { committed: c.applied.size, virtualS: 20.5 } };
  };
  const r = bestRateWith(run, 2);
  return [
    { bench: 'raft.node.cluster.events_per_s', value: r.rate, unit: 'events/s' },
    { bench: 'raft.node.cluster.committed_per_s', value: Math.round(r.extra.committed ?? 0), unit: 'entries/s' },
    { bench: 'raft.node.cluster.virtual_s_per_s', value: Math.round((r.extra.virtualS ?? 0) * 10) / 10, unit: 'virtual s/s' },
  ];
}

function crashFigures(): Figure[] {
  const out: Figure[] = [];
  for (const point of CRASH_POINTS) {
    const roles: CrashRole[] = point === 'raftBeforeLeaderSend' ? ['leader'] : point === 'raftBeforeFollowerSend' || SNAPSHOT_RECEIPT_POINTS.includes(point) ? ['follower'] : ['leader', 'follower'];
    for (const role of roles) {
      let lost = 0;
      let regression = 0;
      let committedLost = 0;
      for (let seed = 1; seed <= 5; seed++) {
        const r = runCrashScenario({ seed, point, role });
        const c = r.crash;
        if (c === null || c.after === null) throw new Error(`crash at ${point} (${role}, seed ${seed}) did not happen`);
        lost = Math.max(lost, c.before.lastIndex - Math.max(c.after.lastIndex, c.after.snapshotIndex));
        regression = Math.max(regression, c.before.commit - c.after.commit);
        committedLost += r.committedLost;
      }
      const name = `raft.node.crash.${point}.${role}`;
      out.push({ bench: `${name}.lost_entries`, value: lost, unit: 'entries (max of 5 seeds)' });
      out.push({ bench: `${name}.commit_regression`, value: regression, unit: 'entries (max of 5 seeds)' });
      out.push({ bench: `${name}.committed_lost`, value: committedLost, unit: 'entries (sum, must be 0)' });
    }
  }
  return out;
}

export const benchmarks: Benchmark[] = [
  { name: 'raft.node.wal', run: walFigures },
  { name: 'raft.node.cluster', run: clusterFigures },
  { name: 'raft.node.crash', run: crashFigures },
];
