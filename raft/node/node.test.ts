import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../sim/trace.js';
import type { NodeId, Term } from '../core/types.js';
import type { TestClusterOptions } from './test-cluster.js';
import { createTestCluster } from './test-cluster.js';

/** Small snapshots and fast ticks: the snapshot paths run within a second or two. */
const FAST: TestClusterOptions['node'] = { tickUs: 20_000, snapshotCount: 40, catchUpEntries: 10, walSegmentBytes: 2048 };

function kinds(events: readonly TraceEvent[], kind: string, where: (e: TraceEvent) => boolean = () => true): TraceEvent[] {
  return events.filter((e) => e.kind === kind && where(e));
}

/** The WAL segments (`wal`) or snapshot files (`snap`) on node `id`'s disk, in name order (oldest first). */
function filesOf(c: ReturnType<typeof createTestCluster>, id: NodeId, kind: 'wal' | 'snap'): string[] {
  return c.disks.of(id).names().filter((n) => n.startsWith(`member/${kind}/`) && n.endsWith(`.${kind}`));
}

/** A follower of the current leader. */
function aFollower(c: ReturnType<typeof createTestCluster>): NodeId {
  const lead = c.leader();
  return c.ids.find((id) => id !== lead) as NodeId;
}

describe('raft node', () => {
  it('a 3-node cluster elects a leader, commits a steady stream of proposals and converges', () => {
    const c = createTestCluster({ seed: 1 });
    c.proposeSteadily(10_000, 3_000_000);
    c.runFor(3_500_000);
    c.checkConverged();
    expect(c.committedPayloads().length).toBeGreaterThan(150);
  });

  it('is deterministic: the same seed gives the same trace hash, another seed another', () => {
    const run = (seed: number): string => {
      const c = createTestCluster({ seed, node: FAST });
      c.proposeSteadily(5_000, 1_000_000);
      c.runFor(1_200_000);
      return c.kernel.trace.hash();
    };
    expect(run(5)).toBe(run(5));
    expect(run(5)).not.toBe(run(6));
  });

  it('a follower partitioned until the leader compacts past it catches up by a snapshot over the pipeline', () => {
    const c = createTestCluster({ seed: 2, node: FAST, trace: { mode: 'keep', keepKinds: ['raft.snapshot', 'chan.transfer', 'wal.release'] } });
    c.proposeSteadily(5_000, 2_500_000);
    c.runFor(600_000);
    const lead = c.leader() as NodeId;
    const f = aFollower(c);
    c.network.isolate(f);
    c.runFor(1_000_000);
    // The leader compacted its log past what the follower has.
    const behind = (c.node(f)?.status().lastIndex ?? 0) + 1;
    expect(c.node(lead)?.logView().firstIndex()).toBeGreaterThan(behind);
    c.network.heal();
    c.runFor(1_500_000);
    c.checkConverged();
    const ev = c.kernel.trace.events();
    expect(kinds(ev, 'raft.snapshot', (e) => e.host === lead && e.fields['what'] === 'sent' && e.fields['peer'] === f).length).toBeGreaterThan(0);
    expect(kinds(ev, 'chan.transfer', (e) => e.host === lead && e.fields['to'] === f && e.fields['ok'] === true).length).toBeGreaterThan(0);
    for (const what of ['received', 'saved', 'restored']) expect(kinds(ev, 'raft.snapshot', (e) => e.host === f && e.fields['what'] === what).length, what).toBeGreaterThan(0);
  });

  it('a snapshot lost in flight is reported as failed and sent again', () => {
    const c = createTestCluster({ seed: 3, node: FAST, trace: { mode: 'keep', keepKinds: ['raft.snapshot', 'net.drop'] } });
    c.proposeSteadily(5_000, 2_500_000);
    c.runFor(600_000);
    const lead = c.leader() as NodeId;
    const f = aFollower(c);
    c.network.isolate(f);
    c.runFor(1_000_000);
    c.network.heal();
    // The first snapshot to f leaves the leader, then the link is cut while it is on the wire.
    let dropped = false;
    c.kernel.trace.tap((e) => {
      if (dropped || e.kind !== 'raft.snapshot' || e.fields['what'] !== 'sent' || e.fields['peer'] !== f) return;
      dropped = true;
      c.network.cutOneWay(lead, f);
      c.kernel.scheduler.schedule(300_000, () => c.network.heal());
    });
    c.runFor(1_500_000);
    c.checkConverged();
    const snaps = kinds(c.kernel.trace.events(), 'raft.snapshot', (e) => e.host === lead && e.fields['peer'] === f);
    const whats = snaps.map((e) => e.fields['what']);
    expect(dropped).toBe(true);
    expect(whats[0]).toBe('sent');
    expect(whats[1]).toBe('failed');
    expect(whats.slice(2)).toContain('delivered');
    expect(kinds(c.kernel.trace.events(), 'net.drop', (e) => e.fields['via'] === 'pipeline' && e.fields['reason'] === 'cut').length).toBeGreaterThan(0);
  });

  it('rolls WAL segments over and releases them under a long run; a restart recovers from snapshot + WAL', () => {
    const c = createTestCluster({ seed: 4, node: { ...FAST, snapshotCount: 100, walSegmentBytes: 1024, snapshotsKept: 3 }, trace: { mode: 'keep', keepKinds: ['wal.', 'node.'] } });
    c.proposeSteadily(2_000, 8_000_000);
    c.runFor(8_000_000);
    const ev = c.kernel.trace.events();
    for (const id of c.ids) {
      const cuts = kinds(ev, 'wal.cut', (e) => e.host === id).length;
      const released = kinds(ev, 'wal.release', (e) => e.host === id).reduce((n, e) => n + (e.fields['segments'] as number), 0);
      expect(cuts, `node ${id} cuts`).toBeGreaterThan(50);
      // What stays on disk is bounded: the segments since the previous snapshot (two snapshots'
      // worth of entries, ~20 entries a segment here), a few snapshot files.
      const kept = filesOf(c, id, 'wal').length;
      expect(kept).toBeLessThan(20);
      expect(released, `node ${id} released segments`).toBe(cuts + 1 - kept);
      expect(filesOf(c, id, 'snap').length).toBeLessThanOrEqual(3);
    }
    const f = aFollower(c);
    c.crash(f);
    c.restart(f);
    const rec = kinds(c.kernel.trace.events(), 'node.recovered', (e) => e.host === f);
    expect(rec[0]?.fields['snapshotIndex']).toBeGreaterThan(3000);
    c.runFor(1_000_000);
    c.checkConverged();
  });

  it('a lone node acknowledges only what is durable: a crash before its save loses no applied entry (etcd #14370)', () => {
    let armed = false;
    const crashPoint = (_id: NodeId, name: string): boolean => {
      const hit = armed && name === 'raftBeforeSave';
      if (hit) armed = false;
      return hit;
    };
    const c = createTestCluster({ seed: 5, size: 1, node: FAST, crashPoint });
    c.proposeSteadily(5_000, 1_000_000);
    c.runFor(500_000);
    armed = true;
    c.runFor(100_000);
    expect(c.crashes).toHaveLength(1);
    const before = c.crashes[0]?.before;
    c.restart(1 as NodeId);
    // restart() checked that everything applied before the crash was recovered.
    expect(c.crashes[0]?.after?.lastIndex).toBeGreaterThanOrEqual(before?.applied ?? Number.POSITIVE_INFINITY);
    c.runFor(600_000);
    c.checkConverged();
  });

  it('a node that crashes before its first save bootstraps again from the peers its WAL recorded', () => {
    let armed = true;
    const crashPoint = (id: NodeId, name: string): boolean => {
      const hit = armed && id === 2 && name === 'raftBeforeSave';
      if (hit) armed = false;
      return hit;
    };
    const c = createTestCluster({ seed: 6, node: FAST, trace: { mode: 'keep', keepKinds: ['node.'] }, crashPoint });
    c.runFor(10_000);
    expect(c.crashes.map((r) => r.id)).toEqual([2]);
    c.restart(2 as NodeId);
    const starts = kinds(c.kernel.trace.events(), 'node.start', (e) => e.host === 2);
    expect(starts.map((e) => e.fields['peers'])).toEqual(['1,2,3', '1,2,3']);
    expect(kinds(c.kernel.trace.events(), 'node.recovered', (e) => e.host === 2)).toHaveLength(0);
    c.proposeSteadily(5_000, 1_000_000);
    c.runFor(1_200_000);
    c.checkConverged();
  });

  it('an fsync error makes the node fail-stop with the reason; the others carry on', () => {
    const c = createTestCluster({ seed: 8, node: FAST, trace: { mode: 'keep', keepKinds: ['node.stopped'] } });
    c.proposeSteadily(5_000, 2_000_000);
    c.runFor(600_000);
    const f = aFollower(c);
    c.disks.of(f).failNext('fsync');
    c.runFor(100_000);
    const stopped = c.node(f)?.status().stopped;
    expect(stopped).toMatch(/^disk: fsync .*member\/.*: EIO$/);
    expect(kinds(c.kernel.trace.events(), 'node.stopped', (e) => e.host === f)).toHaveLength(1);
    expect(c.node(f)?.propose(Uint8Array.of(1))).toEqual({ ok: false, error: 'Stopped' });
    const commit = c.node(c.leader() as NodeId)?.status().commit ?? 0;
    c.runFor(1_000_000);
    expect(c.node(c.leader() as NodeId)?.status().commit).toBeGreaterThan(commit + 100);
  });

  it('commitIndex() and appliedIndex() equal status().commit and .applied, running, stopped and refused at start', () => {
    const c = createTestCluster({ seed: 11, node: { ...FAST, walSegmentBytes: 1024, snapshotCount: 10_000 } });
    c.proposeSteadily(5_000, 1_000_000);
    const same = (): void => {
      for (const id of c.ids) {
        const n = c.node(id);
        if (n === undefined) continue;
        const st = n.status();
        expect([n.commitIndex(), n.appliedIndex()]).toEqual([st.commit, st.applied]);
      }
    };
    for (let i = 0; i < 20; i++) {
      c.runFor(50_000);
      same();
    }
    const f = aFollower(c);
    c.crash(f);
    const segs = filesOf(c, f, 'wal');
    c.disks.of(f).flipBit(segs[1] as string, 100, 0);
    const m = c.hosts.restart(f);
    expect(m.node.status().stopped).not.toBeNull();
    expect([m.node.commitIndex(), m.node.appliedIndex()]).toEqual([0, 0]);
    c.runFor(100_000);
    same();
  });

  it('a full disk (ENOSPC) makes the node fail-stop too', () => {
    const c = createTestCluster({ seed: 9, node: FAST });
    c.proposeSteadily(5_000, 1_500_000);
    c.runFor(600_000);
    const f = aFollower(c);
    c.disks.of(f).setCapacity(c.disks.of(f).usedBytes);
    c.runFor(200_000);
    expect(c.node(f)?.status().stopped).toMatch(/ENOSPC/);
  });

  it('a corrupt WAL segment (not the torn tail) keeps the node down, naming the file and offset', () => {
    const told: string[] = [];
    const c = createTestCluster({
      seed: 10,
      node: { ...FAST, walSegmentBytes: 1024, snapshotCount: 10_000 },
      trace: { mode: 'keep', keepKinds: ['node.stopped'] },
      observer: (id) => ({ onStopped: (reason) => told.push(`${id}: ${reason}`) }),
    });
    c.proposeSteadily(5_000, 1_000_000);
    c.runFor(1_000_000);
    const f = aFollower(c);
    c.crash(f);
    const disk = c.disks.of(f);
    const segs = filesOf(c, f, 'wal');
    expect(segs.length).toBeGreaterThan(3);
    disk.flipBit(segs[1] as string, 100, 0);
    const m = c.hosts.restart(f);
    const reason = m.node.status().stopped;
    expect(reason).toContain(`${(segs[1] as string).slice('member/wal/'.length)} offset `);
    expect(kinds(c.kernel.trace.events(), 'node.stopped', (e) => e.host === f)).toHaveLength(1);
    // The application hears it on the node's next event, not from inside the host's factory.
    expect(told).toEqual([]);
    c.runFor(1);
    expect(told).toEqual([`${f}: ${reason}`]);
    // The other two still make progress.
    const commit = c.node(c.leader() as NodeId)?.status().commit ?? 0;
    c.proposeSteadily(5_000, c.now + 500_000);
    c.runFor(600_000);
    expect(c.node(c.leader() as NodeId)?.status().commit).toBeGreaterThan(commit + 50);
  });

  it('an unreadable newest snapshot file is set aside as .broken and the previous one is used', () => {
    const c = createTestCluster({ seed: 11, node: FAST, trace: { mode: 'keep', keepKinds: ['snap.broken', 'node.recovered'] } });
    c.proposeSteadily(5_000, 2_000_000);
    c.runFor(1_500_000);
    const f = aFollower(c);
    c.crash(f);
    const disk = c.disks.of(f);
    const snaps = filesOf(c, f, 'snap');
    expect(snaps.length).toBeGreaterThan(1);
    const newest = snaps[snaps.length - 1] as string;
    disk.flipBit(newest, 10, 4);
    c.restart(f);
    const ev = c.kernel.trace.events();
    expect(kinds(ev, 'snap.broken', (e) => e.host === f).map((e) => e.fields['reason'])).toEqual(['crc mismatch']);
    expect(disk.names()).toContain(`${newest}.broken`);
    const previous = Number.parseInt((snaps[snaps.length - 2] as string).slice(-5 - 16, -5), 16);
    expect(kinds(ev, 'node.recovered', (e) => e.host === f)[0]?.fields['snapshotIndex']).toBe(previous);
    c.runFor(1_000_000);
    c.checkConverged();
  });

  it('a read error at restart is retried; one that persists keeps the node down', () => {
    const c = createTestCluster({ seed: 12, node: FAST });
    c.proposeSteadily(5_000, 1_000_000);
    c.runFor(800_000);
    const f = aFollower(c);
    c.crash(f);
    c.disks.of(f).failNext('read', 'EIO', 2);
    expect(c.restart(f).node.status().stopped).toBeNull();
    c.crash(f);
    c.disks.of(f).failNext('read', 'EIO', 3);
    expect(c.hosts.restart(f).node.status().stopped).toMatch(/read member\/wal\/.*: EIO \(after 3 attempts\)/);
  });

  it('tells the application: soft state, read states (ReadIndex), applied index', () => {
    const seen: string[] = [];
    const c = createTestCluster({
      seed: 13,
      node: FAST,
      observer: (id) => ({
        onSoftState: (lead, role, term) => seen.push(`${id} soft ${role} lead=${lead} term=${term}`),
        onReadState: (rs) => seen.push(`${id} read ${new TextDecoder().decode(rs.requestCtx)} at ${rs.index}`),
        onApplied: (index) => void (index > 0 && seen.push(`${id} applied`)),
      }),
    });
    c.proposeSteadily(5_000, 600_000);
    c.runFor(500_000);
    const lead = c.leader() as NodeId;
    const f = aFollower(c);
    expect(seen).toContain(`${lead} soft leader lead=${lead} term=${c.node(lead)?.status().term}`);
    const committed = c.node(lead)?.status().commit ?? 0;
    expect(committed).toBeGreaterThan(10);
    expect(c.node(f)?.readIndex(new TextEncoder().encode('r1'))).toEqual({ ok: true });
    c.runFor(100_000);
    const read = seen.find((l) => l.startsWith(`${f} read r1 at `));
    expect(read).toBeDefined();
    // The answer is the leader's commit index once it confirmed leadership: at least the commit before the request.
    expect(Number(read?.split(' at ')[1])).toBeGreaterThanOrEqual(committed);
    expect(seen.filter((l) => l === `${f} applied`).length).toBeGreaterThan(10);
  });

  it('a member added by a conf change joins with an empty log, catches up and takes part', () => {
    const changes: string[] = [];
    const c = createTestCluster({
      seed: 14,
      node: FAST,
      observer: (id) => ({ onConfChange: (cs) => changes.push(`${id}: ${[...cs.voters].sort().join(',')}`) }),
    });
    c.proposeSteadily(5_000, 2_000_000);
    c.runFor(600_000);
    const lead = c.leader() as NodeId;
    c.hosts.add(4);
    expect(c.node(lead)?.proposeConfChange({ version: 1, type: 'add-node', nodeId: 4 as NodeId, context: new Uint8Array(0) })).toEqual({ ok: true });
    c.runFor(100_000);
    for (const id of [1, 2, 3]) expect(changes).toContain(`${id}: 1,2,3,4`);
    c.join(4 as NodeId);
    c.runFor(1_500_000);
    c.checkConverged();
    expect(c.node(4 as NodeId)?.status().confState.voters).toHaveLength(4);
    // Four voters, quorum three: with one of the old members down the other three still commit.
    c.crash(c.ids.find((id) => id !== c.leader() && id !== 4) as NodeId);
    const commit = c.node(c.leader() as NodeId)?.status().commit ?? 0;
    c.proposeSteadily(5_000, c.now + 300_000);
    c.runFor(400_000);
    expect(c.node(c.leader() as NodeId)?.status().commit).toBeGreaterThan(commit + 20);
  });

  it('with unsafeNoFsync a crash loses what the node applied: the restart check catches the amnesia', () => {
    const c = createTestCluster({ seed: 15, node: { ...FAST, unsafeNoFsync: true } });
    c.proposeSteadily(5_000, 600_000);
    c.runFor(600_000);
    const f = aFollower(c);
    expect(c.node(f)?.status().applied).toBeGreaterThan(20);
    c.crash(f);
    // Nothing was ever fsynced, not even the WAL's name: the node comes back as a new member
    // holding only the three bootstrap entries.
    expect(c.disks.of(f).names().filter((n) => n.startsWith('member/'))).toEqual([]);
    expect(() => c.restart(f)).toThrow(/durability: node \d applied up to \d+ but recovered only up to 3 /);
  });

  it('traces each message with its fields in a fixed order: type, to|from, term, the shape\'s own, then id', () => {
    const own: Readonly<Record<string, readonly string[]>> = {
      MsgApp: ['index', 'entries'],
      MsgAppResp: ['index', 'reject'],
      MsgVote: ['index'],
      MsgPreVote: ['index'],
      MsgVoteResp: ['reject'],
      MsgPreVoteResp: ['reject'],
      MsgSnap: ['index'],
    };
    const c = createTestCluster({ seed: 2, node: FAST, trace: { mode: 'keep', keepKinds: ['raft.send', 'raft.recv'] } });
    c.proposeSteadily(5_000, 2_500_000);
    c.runFor(600_000);
    // A follower cut off past the leader's compaction: a snapshot and (pre-)votes go on the wire.
    const f = aFollower(c);
    c.network.isolate(f);
    c.runFor(1_000_000);
    c.network.heal();
    c.runFor(1_500_000);
    // The test cluster's wire carries no id: a receive without one has no id field.
    const lead = c.leader() as NodeId;
    const term = c.node(lead)?.status().term ?? (0 as Term);
    c.node(lead)?.receive(f, { type: 'MsgHeartbeatResp', from: f, to: lead, term, context: new Uint8Array(0) }, `${f}.1.7`);
    const seen = new Set<string>();
    for (const e of c.kernel.trace.events()) {
      const type = String(e.fields['type']);
      const send = e.kind === 'raft.send';
      const withId = send || e.fields['id'] !== undefined;
      expect(Object.keys(e.fields), `${e.kind} ${type}`).toEqual(['type', send ? 'to' : 'from', 'term', ...(own[type] ?? []), ...(withId ? ['id'] : [])]);
      if (send) expect(e.fields['id']).toMatch(new RegExp(`^${e.host}\\.1\\.\\d+$`));
      seen.add(`${e.kind} ${type}${withId ? ' id' : ''}`);
    }
    for (const type of [...Object.keys(own), 'MsgHeartbeat']) expect(seen).toContain(`raft.send ${type} id`);
    expect(seen).toContain('raft.recv MsgSnap');
    expect(seen).toContain('raft.recv MsgHeartbeatResp id');
  });

  it('a leadership transfer asked of a follower is forwarded to the leader and hands over', () => {
    const c = createTestCluster({ seed: 16, node: FAST });
    c.proposeSteadily(5_000, 1_000_000);
    c.runFor(600_000);
    const lead = c.leader() as NodeId;
    const [asker, target] = c.ids.filter((id) => id !== lead) as [NodeId, NodeId];
    c.node(asker)?.transferLeadership(target);
    c.runFor(300_000);
    expect(c.leader()).toBe(target);
    c.runFor(500_000);
    c.checkConverged();
  });
});
