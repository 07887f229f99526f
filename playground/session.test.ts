/**
 * The session's learner actions as fault timelines: slowing a member's links becomes link-delay
 * faults (both ways, every other member) that the view reports as slowed links while they last,
 * and the exported file replays with the CLI's runner to the page's trace hash.
 */
import { describe, expect, it } from 'vitest';
import { resolveScenario } from '../scenarios/resolve.js';
import { runScenario } from '../scenarios/runner.js';
import { openPlayground } from './source.js';

describe('playground session', () => {
  it('slows every link of a member for a while; the export replays to the same trace hash', () => {
    const p = openPlayground({ kind: 'file', name: 'slow.json', scenario: { durationMs: 12_000, cluster: { size: 3 } } }, 2);
    p.runFor(1_500_000);
    expect(p.view().slowLinks).toEqual([]);
    const placed = p.act({ kind: 'slow', node: 2, delayMs: 150, forMs: 2_000 });
    expect(placed?.type).toBe('link-delay');
    p.runFor(100_000);
    const slow = p.view().slowLinks.map((l) => `${l.from}->${l.to} ${l.delayMs}`).sort();
    expect(slow).toEqual(['1->2 150', '2->1 150', '2->3 150', '3->2 150']);
    p.runFor(2_500_000);
    expect(p.view().slowLinks).toEqual([]);
    const file = p.scenarioFile();
    expect(file.faults.filter((f) => f.type === 'link-delay').length).toBe(4);
    const hash = p.finish().traceHash;
    const r = resolveScenario(JSON.parse(JSON.stringify(file)), { source: 'slow.json' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(runScenario({ name: 'slow.json', scenario: r.scenario, seed: 2, overrides: [], trace: 'hash-only' }).traceHash).toBe(hash);
  });
});
