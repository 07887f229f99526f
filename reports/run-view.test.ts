import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bucketOps, buildClientLanes, CLIENT_LANES_MAX } from './client-lanes.js';
import { bandsFromTrace, buildFaultBands } from './fault-bands.js';
import { buildNodeLanes, buildTermSeries } from './node-lanes.js';
import { buildRunView, overallVerdict, runEndUs } from './run-view.js';
import { makeOp, makeRecord, PASSING_CHECKS, staleReadRecord, TraceBuilder } from './testing/fixtures.js';
import { buildViolationPanel, explainStaleRead } from './violation-view.js';

const MS = 1_000;
const S = 1_000_000;

describe('client lanes', () => {
  const record = staleReadRecord();
  const view = buildRunView(record);

  it('has one lane per client, each op a bar from call to return', () => {
    expect(view.lanes.map((l) => l.label)).toEqual(['c101', 'c102']);
    const c101 = view.lanes[0]!;
    expect(c101.ops.map((o) => [o.id, o.callUs, o.drawUntilUs, o.status])).toEqual([
      [0, 100 * MS, 180 * MS, 'ok'],
      [2, 1_800 * MS, 1_850 * MS, 'ok'],
      [3, 2_100 * MS, 2_150 * MS, 'fail'],
    ]);
    expect(c101.counts).toEqual({ ok: 2, fail: 1, unknown: 0 });
  });

  it('draws an unknown op to the end of the run (it may take effect at any time)', () => {
    const unknown = view.lanes[1]!.ops.find((o) => o.id === 4)!;
    expect(unknown.status).toBe('unknown');
    expect(unknown.returnUs).toBeNull();
    expect(unknown.drawUntilUs).toBe(view.endUs);
    expect(view.endUs).toBe(4 * S);
  });

  it('marks the op a violation could not place and the write that made it stale', () => {
    const marks = new Map(view.lanes.flatMap((l) => l.ops.map((o) => [o.id, o.mark] as const)));
    expect(marks.get(2)).toBe('failed');
    expect(marks.get(1)).toBe('related');
    expect(marks.get(0)).toBe('none');
  });

  it('labels ops with their values', () => {
    const labels = view.lanes.flatMap((l) => l.ops.map((o) => o.label));
    expect(labels).toContain('c101 put k="1" → {}');
    expect(labels).toContain('c101 range k → "1"');
    expect(labels).toContain('c101 put x="9" ✗ ProposalDropped');
    expect(labels).toContain('c102 put k="3" ? (unknown outcome)');
  });

  it('merges clients beyond the lane limit into the last lane', () => {
    const history = Array.from({ length: CLIENT_LANES_MAX + 5 }, (_, i) => makeOp(i, i + 1, 'get', 'k', undefined, i, i + 1, 'ok', { value: '' }));
    const lanes = buildClientLanes(history, [], 1_000, new Map());
    expect(lanes).toHaveLength(CLIENT_LANES_MAX);
    expect(lanes[CLIENT_LANES_MAX - 1]!.ops).toHaveLength(6);
    expect(lanes[CLIENT_LANES_MAX - 1]!.label).toBe(`c${CLIENT_LANES_MAX}… (+5)`);
  });

  it('buckets count every op whose span overlaps, and a point op exactly once', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 9_999 }), fc.integer({ min: 0, max: 500 })), { maxLength: 60 }), fc.integer({ min: 1, max: 50 }), (spans, buckets) => {
        const history = spans.map(([call, len], i) => makeOp(i, 1, 'get', 'k', undefined, call, call + len, 'ok', { value: '' }));
        const lane = buildClientLanes(history, [1], 10_000, new Map())[0]!;
        const counts = bucketOps(lane.ops, 0, 10_000, buckets);
        expect(counts).toHaveLength(buckets);
        const total = counts.reduce((s, b) => s + b.ok, 0);
        expect(total).toBeGreaterThanOrEqual(spans.length);
        const points = spans.filter(([, len]) => len === 0).length;
        const pointHistory = history.filter((o) => o.call === o.return);
        const pointLane = buildClientLanes(pointHistory, [1], 10_000, new Map())[0]!;
        expect(bucketOps(pointLane.ops, 0, 10_000, buckets).reduce((s, b) => s + b.ok, 0)).toBe(points);
      }),
      { numRuns: 50 },
    );
  });
});

describe('fault bands', () => {
  it('takes partitions, crashes and pauses from the nemesis, with partition groups, and adds disk faults from the trace', () => {
    const record = staleReadRecord();
    const bands = buildFaultBands(record, runEndUs(record));
    expect(bands.map((b) => [b.kind, b.fromUs, b.untilUs, b.source, b.label])).toEqual([
      ['partition', 1 * S, 3.5 * S, 'faults', 'isolate 1 (the leader) {1} | {2,3}'],
      ['crash', 2 * S, 2.5 * S, 'faults', 'crash 3'],
      ['disk-fault', 2.7 * S, 2.7 * S, 'trace', 'n3 disk fsync EIO'],
      ['pause', 3 * S, 3.2 * S, 'faults', 'pause 2 (the leader)'],
    ]);
    expect(bands.find((b) => b.kind === 'disk-fault')!.instant).toBe(true);
  });

  it('derives every band from the trace when the nemesis recorded nothing', () => {
    const record = { ...staleReadRecord(), faults: [] };
    const bands = buildFaultBands(record, runEndUs(record));
    expect(bands.map((b) => [b.kind, b.fromUs, b.untilUs, b.hosts, b.label])).toEqual([
      ['partition', 1 * S, 3.5 * S, [1, 2, 3, 101], 'isolate 1 (cut 1<->2,1<->3,1<->101)'],
      ['crash', 2 * S, 2.5 * S, [3], 'n3 down'],
      ['disk-fault', 2.7 * S, 2.7 * S, [3], 'n3 disk fsync EIO'],
      ['pause', 3 * S, 3.2 * S, [2], 'n2 paused'],
    ]);
  });

  it('stacks overlapping bands in rows so that no two in a row overlap', () => {
    const record = staleReadRecord();
    const bands = buildFaultBands(record, runEndUs(record));
    expect(bands.map((b) => b.row)).toEqual([0, 1, 1, 1]);
    for (const a of bands) for (const b of bands) if (a !== b && a.row === b.row) expect(a.untilUs <= b.fromUs || b.untilUs <= a.fromUs).toBe(true);
  });

  it('keeps a fault that never ended open to the end of the run', () => {
    const trace = new TraceBuilder().partition(100, 'split', '1,2|3', '1<->3,2<->3').host(200, 2, 'crash').host(300, 3, 'pause').events();
    const bands = bandsFromTrace(trace, 1_000);
    expect(bands.map((b) => [b.kind, b.fromUs, b.untilUs, b.open])).toEqual([
      ['partition', 100, 1_000, true],
      ['crash', 200, 1_000, true],
      ['pause', 300, 1_000, true],
    ]);
  });

  it('ends one partition band and starts another when the cut changes', () => {
    const trace = new TraceBuilder().partition(100, 'isolate', '3', '1<->3,2<->3').partition(200, 'one-way', '1 2', '1<->3,1->2,2<->3').partition(300, 'heal', '', 'none').events();
    expect(bandsFromTrace(trace, 1_000).map((b) => [b.fromUs, b.untilUs, b.label])).toEqual([
      [100, 200, 'isolate 3 (cut 1<->3,2<->3)'],
      [200, 300, 'one-way 1 2 (cut 1<->3,1->2,2<->3)'],
    ]);
  });
});

describe('node lanes and terms', () => {
  const record = staleReadRecord();
  const end = runEndUs(record);

  it('shows each member\'s role and term over time', () => {
    const [n1] = buildNodeLanes(record.trace, record.members, end);
    expect(n1!.segments.map((s) => [s.fromUs, s.untilUs, s.role, s.term, s.host])).toEqual([
      [0, 150 * MS, 'follower', 1, 'up'],
      [150 * MS, 155 * MS, 'pre-candidate', 1, 'up'],
      [155 * MS, 160 * MS, 'candidate', 2, 'up'],
      [160 * MS, 3_600 * MS, 'leader', 2, 'up'],
      [3_600 * MS, 4 * S, 'follower', 3, 'up'],
    ]);
  });

  it('draws a crashed member down and a paused one paused, keeping their term', () => {
    const lanes = buildNodeLanes(record.trace, record.members, end);
    const n3 = lanes[2]!.segments.find((s) => s.fromUs === 2 * S)!;
    expect([n3.host, n3.term, n3.untilUs]).toEqual(['down', 3, 2.5 * S]);
    const n2 = lanes[1]!.segments.find((s) => s.fromUs === 3 * S)!;
    expect([n2.host, n2.role, n2.untilUs]).toEqual(['paused', 'leader', 3.2 * S]);
  });

  it('draws a member added later as down until it starts', () => {
    const trace = new TraceBuilder().host(0, 1, 'start').role(0, 1, 'leader', 2, 1).host(500, 4, 'start').role(500, 4, 'follower', 2, 1).events();
    const [, n4] = buildNodeLanes(trace, [1, 4], 1_000);
    expect(n4!.segments.map((s) => [s.fromUs, s.untilUs, s.host, s.role])).toEqual([
      [0, 500, 'down', 'unknown'],
      [500, 1_000, 'up', 'follower'],
    ]);
  });

  it('starts with an unknown role when the trace begins later than the run', () => {
    const trace = new TraceBuilder().role(500, 1, 'leader', 4, 1).events();
    const [n1] = buildNodeLanes(trace, [1], 1_000);
    expect(n1!.segments.map((s) => [s.role, s.fromUs, s.untilUs])).toEqual([
      ['unknown', 0, 500],
      ['leader', 500, 1_000],
    ]);
  });

  it('gives each member a term step series, extended to the end', () => {
    const terms = buildTermSeries(record.trace, record.members, end);
    expect(terms[0]!.points).toEqual([
      { tUs: 0, term: 1 },
      { tUs: 155 * MS, term: 2 },
      { tUs: 3_600 * MS, term: 3 },
      { tUs: 4 * S, term: 3 },
    ]);
    expect(terms.map((t) => t.points[t.points.length - 1]!.term)).toEqual([3, 3, 3]);
  });

  it('rejects a role it does not know (a bug upstream)', () => {
    const trace = new TraceBuilder().role(0, 1, 'king', 1).events();
    expect(() => buildNodeLanes(trace, [1], 10)).toThrow(/raft.role has role "king"/);
  });
});

describe('violation', () => {
  it('explains a stale read in concrete values when the checker gave no explanation', () => {
    const panel = buildViolationPanel(staleReadRecord())!;
    expect(panel.explanationGenerated).toBe(true);
    expect(panel.explanation).toEqual([
      'Read of `k` by c101 returned "1" at 1.850 s (it began at 1.800 s),',
      'but put `k="2"` by c102 completed at 1.700 s, before the read began,',
      'and no write of "1" happened after it: the read is stale.',
    ]);
    expect(panel.failed.text).toBe('c101 range k → "1"');
    expect(panel.related.map((r) => r.id)).toEqual([1]);
    expect(panel.prefixLength).toBe(2);
    expect(panel.prefixTail.map((r) => r.text)).toEqual(['c101 put k="1" → {}', 'c102 put k="2" → {}']);
  });

  it('uses the checker\'s explanation and related ops when given', () => {
    const base = staleReadRecord();
    const record = { ...base, violation: { ...base.violation!, relatedOps: [0], explanation: ['the checker says so'] } };
    const panel = buildViolationPanel(record)!;
    expect(panel.explanation).toEqual(['the checker says so']);
    expect(panel.explanationGenerated).toBe(false);
    expect(panel.related.map((r) => r.id)).toEqual([0]);
  });

  it('does not call a read stale when a write of its value could have come after', () => {
    const history = [
      makeOp(0, 1, 'put', 'k', { value: 'a' }, 0, 10, 'ok'),
      makeOp(1, 2, 'put', 'k', { value: 'b' }, 5, null, 'unknown'),
      makeOp(2, 1, 'put', 'k', { value: 'c' }, 20, 30, 'ok'),
      makeOp(3, 1, 'get', 'k', undefined, 40, 50, 'ok', { value: 'b' }),
    ];
    expect(explainStaleRead(history, history[3]!)).toBeNull();
    const stale = [...history.slice(0, 3).map((o) => (o.id === 1 ? makeOp(1, 2, 'put', 'k', { value: 'b' }, 5, 8, 'ok') : o)), history[3]!];
    expect(explainStaleRead(stale, stale[3]!)?.related).toEqual([2]);
  });

  it('falls back to a plain sentence when the failed op is not a stale read', () => {
    const history = [makeOp(0, 1, 'cas', 'k', { from: 1, to: 2 }, 0, 10, 'ok', true)];
    const record = makeRecord({ history, violation: { partition: null, linearizedPrefix: [], failedOp: 0, relatedOps: [], explanation: [] } });
    expect(buildViolationPanel(record)!.explanation).toEqual(['c1 cas k {"from":1,"to":2} → true cannot be placed after the longest linearizable prefix (0 operations).']);
  });
});

describe('verdict', () => {
  it('is fail if any check failed, unknown if one ran out of budget, else pass', () => {
    expect(overallVerdict(PASSING_CHECKS)).toBe('pass');
    expect(overallVerdict({ ...PASSING_CHECKS, liveness: { status: 'unknown', summary: '' } })).toBe('unknown');
    expect(overallVerdict({ ...PASSING_CHECKS, liveness: { status: 'unknown', summary: '' }, watch: { status: 'fail', summary: '' } })).toBe('fail');
  });
});
