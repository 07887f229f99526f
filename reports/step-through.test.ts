import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseCut } from './cut-links.js';
import { extractMessages } from './messages-in-flight.js';
import { buildStepModel, chooseInstants, clusterStateAt, type ClusterFrame } from './step-through.js';
import { staleReadRecord, TraceBuilder } from './testing/fixtures.js';

const MS = 1_000;

function roles(f: ClusterFrame): string[] {
  return f.nodes.map((n) => `n${n.node}:${n.role}/${n.term}/${n.host}`);
}

function cuts(f: ClusterFrame): string[] {
  return f.cuts.map((c) => `${c.from}->${c.to}`).sort();
}

describe('the cluster at an instant', () => {
  const record = staleReadRecord();

  it('before the partition: one leader, no cut links', () => {
    const f = clusterStateAt(record, 900 * MS);
    expect(roles(f)).toEqual(['n1:leader/2/up', 'n2:follower/2/up', 'n3:follower/2/up']);
    expect(f.nodes.map((n) => [n.commit, n.applied])).toEqual([[1, 1], [1, 1], [1, 1]]);
    expect(cuts(f)).toEqual([]);
  });

  it('during the partition: the isolated leader\'s links are cut (client links are not drawn)', () => {
    const f = clusterStateAt(record, 1_200 * MS);
    expect(cuts(f)).toEqual(['1->2', '1->3', '2->1', '3->1']);
    expect(roles(f)[0]).toBe('n1:leader/2/up');
  });

  it('two leaders in different terms while the old one is cut off', () => {
    const f = clusterStateAt(record, 1_600 * MS);
    expect(roles(f)).toEqual(['n1:leader/2/up', 'n2:leader/3/up', 'n3:follower/3/up']);
  });

  it('a crashed member is down and keeps its term; a paused one is paused', () => {
    expect(roles(clusterStateAt(record, 2_200 * MS))[2]).toBe('n3:follower/3/down');
    expect(roles(clusterStateAt(record, 3_100 * MS))[1]).toBe('n2:leader/3/paused');
  });

  it('after the heal: no cut links and the old leader steps down to the new term', () => {
    const f = clusterStateAt(record, 3_700 * MS);
    expect(cuts(f)).toEqual([]);
    expect(roles(f)).toEqual(['n1:follower/3/up', 'n2:leader/3/up', 'n3:follower/3/up']);
  });

  it('shows messages in flight between their send and their arrival', () => {
    const inFlight = (t: number): string[] => clusterStateAt(record, t).inFlight.map((m) => `${m.from}->${m.to} ${m.type}`);
    expect(inFlight(150 * MS).sort()).toEqual(['1->2 MsgPreVote', '1->3 MsgPreVote']);
    expect(inFlight(151 * MS)).toEqual(['1->3 MsgPreVote']);
    expect(inFlight(152 * MS)).toEqual([]);
    expect(inFlight(500.5 * MS)).toEqual(['1->2 MsgHeartbeat']);
  });

  it('draws a message that never arrived for as long as a typical one takes, marked lost', () => {
    const f = clusterStateAt(record, 900.5 * MS);
    expect(f.inFlight.map((m) => [m.from, m.to, m.type, m.lost])).toEqual([[1, 3, 'MsgHeartbeat', true]]);
    // The delays that arrived are 1, 2, 1, 2 and 1 ms: the median, 1 ms, is how long it is drawn.
    expect(f.inFlight[0]!.arriveUs).toBe(901 * MS);
    expect(clusterStateAt(record, 901 * MS).inFlight).toEqual([]);
  });

  it('tells what happened in words', () => {
    const f = clusterStateAt(record, 1_000 * MS);
    expect(f.events).toContain('partition isolate 1: cut 1<->2,1<->3,1<->101');
    expect(clusterStateAt(record, 3_500 * MS).events).toContain('network healed: every link works');
  });
});

describe('members and the nemesis', () => {
  it('shows a member added later as down until it starts, and tells the nemesis\'s faults by their labels', () => {
    const trace = new TraceBuilder()
      .host(0, 1, 'start')
      .role(0, 1, 'leader', 2, 1)
      .emit(400, null, 'nemesis.add-member', { hosts: '4', label: 'add member 4' })
      .host(500, 4, 'start')
      .emit(900, null, 'nemesis.undo', { label: 'add member 4' })
      .events();
    const record = { trace, members: [1, 4] };
    expect(clusterStateAt(record, 100).nodes.map((n) => n.host)).toEqual(['up', 'down']);
    expect(clusterStateAt(record, 600).nodes.map((n) => n.host)).toEqual(['up', 'up']);
    expect(clusterStateAt(record, 1_000).events).toEqual(['n1 started', 'n1 became leader in term 2', 'fault: add member 4', 'n4 started', 'fault over: add member 4']);
  });
});

describe('messages from the kernel', () => {
  it('uses net.deliver spans when raft does not trace its messages, members only', () => {
    const trace = new TraceBuilder()
      .emit(300, 2, 'net.deliver', { from: 1, id: 1, via: 'stream', sentUs: 100 })
      .emit(400, 101, 'net.deliver', { from: 1, id: 2, via: 'datagram', sentUs: 350 })
      .emit(450, null, 'net.drop', { from: 2, to: 3, id: 3, via: 'pipeline', reason: 'cut' })
      .events();
    const traffic = extractMessages(trace, [1, 2, 3]);
    expect(traffic.source).toBe('net');
    expect(traffic.spans).toEqual([{ from: 1, to: 2, type: 'stream', sentUs: 100, arriveUs: 300, lost: false }]);
    expect(traffic.drops).toEqual([{ from: 2, to: 3, atUs: 450, reason: 'cut' }]);
  });

  it('pairs raft sends and receives by id when they carry one', () => {
    const trace = new TraceBuilder()
      .emit(0, 1, 'raft.send', { type: 'MsgApp', to: 2, term: 1, id: 'a' })
      .emit(1, 1, 'raft.send', { type: 'MsgApp', to: 2, term: 1, id: 'b' })
      .emit(5, 2, 'raft.recv', { type: 'MsgApp', from: 1, term: 1, id: 'b' })
      .emit(9, 2, 'raft.recv', { type: 'MsgApp', from: 1, term: 1, id: 'a' })
      .events();
    expect(extractMessages(trace, [1, 2]).spans.map((s) => [s.sentUs, s.arriveUs])).toEqual([[0, 9], [1, 5]]);
  });
});

describe('frames for the slider', () => {
  const record = staleReadRecord();

  it('includes every structural instant and stays within framesMax', () => {
    const model = buildStepModel(record, 4_000 * MS, { framesMax: 100 });
    expect(model.frames.length).toBeLessThanOrEqual(100);
    const times = new Set(model.frames.map((f) => f.tUs));
    for (const t of [1_000 * MS, 1_510 * MS, 2_000 * MS, 3_000 * MS, 3_500 * MS]) expect(times.has(t)).toBe(true);
    expect(model.sampled).toBe(false);
  });

  it('each frame equals the cluster replayed up to its instant', () => {
    const model = buildStepModel(record, 4_000 * MS, { framesMax: 60 });
    for (const f of model.frames) {
      const alone = clusterStateAt(record, f.tUs);
      expect([f.nodes, f.cuts, f.inFlight, f.inFlightTotal]).toEqual([alone.nodes, alone.cuts, alone.inFlight, alone.inFlightTotal]);
    }
  });

  it('moving along the frames changes roles and cut links', () => {
    const frames = buildStepModel(record, 4_000 * MS, { framesMax: 50 }).frames;
    expect(new Set(frames.map((f) => roles(f).join())).size).toBeGreaterThan(4);
    expect(new Set(frames.map((f) => cuts(f).length))).toEqual(new Set([0, 4]));
  });

  it('chooses sorted unique instants within budget, with both ends, keeping structure when it fits', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 400 }), fc.integer({ min: 2, max: 300 }), (raw, framesMax) => {
        const structural = [...new Set(raw)].sort((a, b) => a - b);
        const instants = chooseInstants(structural, 1_000_000, framesMax);
        expect(instants.length).toBeLessThanOrEqual(framesMax);
        for (let i = 1; i < instants.length; i++) expect(instants[i]!).toBeGreaterThan(instants[i - 1]!);
        expect(instants[0]).toBe(0);
        expect(instants[instants.length - 1]).toBe(1_000_000);
        if (structural.length <= Math.floor(framesMax / 2) && framesMax >= 4) {
          const set = new Set(instants);
          for (const t of structural) expect(set.has(t)).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('cut links', () => {
  it('reads both-way and one-way cuts', () => {
    expect(parseCut('1<->3,2->3')).toEqual([{ from: 1, to: 3 }, { from: 3, to: 1 }, { from: 2, to: 3 }]);
    expect(parseCut('none')).toEqual([]);
    expect(() => parseCut('1-3')).toThrow(/cannot read/);
  });
});

describe('pairing raft messages around losses', () => {
  it('does not pair a receive after a heal with a send lost at the cut', () => {
    const trace = new TraceBuilder()
      .partition(1_000, 'isolate', '2', '1<->2')
      .emit(1_500, 1, 'raft.send', { type: 'MsgHeartbeat', to: 2, term: 2 })
      .partition(5_000, 'heal', '', 'none')
      .emit(6_000, 1, 'raft.send', { type: 'MsgHeartbeat', to: 2, term: 2 })
      .emit(6_700, 2, 'raft.recv', { type: 'MsgHeartbeat', from: 1, term: 2 })
      .events();
    const spans = extractMessages(trace, [1, 2]).spans.map((s) => [s.sentUs, s.arriveUs, s.lost]);
    // Lost at send (its link was cut): drawn for a typical delay, at least 1 ms.
    expect(spans).toEqual([
      [1_500, 2_500, true],
      [6_000, 6_700, false],
    ]);
  });

  it('counts a message in flight when its link is cut, or its receiver crashes, as lost then', () => {
    const trace = new TraceBuilder()
      .emit(0, 1, 'raft.send', { type: 'MsgApp', to: 2, term: 1 })
      .emit(0, 1, 'raft.send', { type: 'MsgApp', to: 3, term: 1 })
      .emit(100, 3, 'raft.recv', { type: 'MsgApp', from: 1, term: 1 })
      .emit(200, 1, 'raft.send', { type: 'MsgApp', to: 3, term: 1 })
      .partition(250, 'isolate', '2', '1<->2')
      .host(260, 3, 'crash')
      .host(900, 3, 'restart', 2)
      .emit(1_000, 1, 'raft.send', { type: 'MsgApp', to: 3, term: 1 })
      .emit(1_100, 3, 'raft.recv', { type: 'MsgApp', from: 1, term: 1 })
      .events();
    const spans = extractMessages(trace, [1, 2, 3]).spans.map((s) => [s.to, s.sentUs, s.arriveUs, s.lost]);
    expect(spans).toEqual([
      [3, 0, 100, false],
      [2, 0, 250, true], // caught by the cut at 250
      [3, 200, 260, true], // caught by n3's crash at 260
      [3, 1_000, 1_100, false],
    ]);
  });
});
