import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildClientLanes } from './client-lanes.js';
import { escapeHtml } from './escape.js';
import { experimentDataOf } from './experiment-adapter.js';
import { renderExperimentHtml, renderExperimentMarkdown } from './experiment-report.js';
import { armDistribution, explainExperiment, violationSeeds } from './experiment-view.js';
import { hostileExperiment, hostileRecord, PAYLOADS } from './testing/hostile-fixtures.js';
import { indexEntryForExperiment, indexEntryForRun, renderIndexPage } from './index-page.js';
import { mergeNarrow } from './node-lanes-svg.js';
import { renderPage } from './page.js';
import { RUN_PAGE_SCRIPT } from './run-page-script.js';
import { renderRunReport } from './run-report.js';
import { buildRunView } from './run-view.js';
import { base64, cspHashOf, sha256 } from './sha256.js';
import { armSeed, largeRecord, makeOp, makeRecord, prevoteExperiment, prevoteExperimentRecord, readIndexExperiment, readIndexExperimentRecord, staleReadRecord } from './testing/fixtures.js';
import { renderTimelineSvg, timeAxis } from './timeline-svg.js';
import { fileStem } from './file-names.js';
import { writeExperimentReport, writeIndex, writeRunReport } from './write.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('sha256 (for the CSP hash)', () => {
  it('matches the FIPS 180-4 and node:crypto digests', () => {
    // Expected values computed with node:crypto's createHash('sha256').
    expect(base64(sha256(utf8('')))).toBe('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
    expect(base64(sha256(utf8('abc')))).toBe('ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=');
    expect(base64(sha256(utf8('x'.repeat(55))))).toBe('1eKFaDzU78AtAhpcYgFGlJWJAQBdb3HongmJ+sd+QHI=');
    expect(base64(sha256(utf8('y'.repeat(56))))).toBe('SHflZOXjbjZ8fI1ZZwd0vs0zUGELbfTDmcn6m2baWBM=');
    expect(base64(sha256(utf8('é€😀'.repeat(100))))).toBe('2i5BuWUkwL3ltWcZ2kF5W0H0HX6W2jgxPHfzNZuxHKs=');
  });
});

describe('the page shell', () => {
  it('allows exactly its own script by hash, and nothing from the network', () => {
    const html = renderPage({ title: 't', body: '<p>x</p>', script: RUN_PAGE_SCRIPT, data: { a: '</script>' } });
    expect(html).toContain(`script-src ${escapeHtml(cspHashOf(RUN_PAGE_SCRIPT))}`);
    expect(html).toContain(escapeHtml("default-src 'none'"));
    expect(html).toContain(`<script>${RUN_PAGE_SCRIPT}</script>`);
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
  });

  it('refuses a script that would close its own element', () => {
    expect(() => renderPage({ title: 't', body: '', script: 'var s = "</script>";' })).toThrow(/must not contain/);
  });
});

describe('run report HTML', () => {
  it('is deterministic: the same record gives the same bytes', () => {
    expect(renderRunReport(staleReadRecord())).toBe(renderRunReport(staleReadRecord()));
  });

  it('renders a record that kept no trace and no history (a hash-only run)', () => {
    const html = renderRunReport(makeRecord({ trace: [], history: [] }));
    expect(html).toContain('No message events in this trace');
    expect(html).toContain('<span class="verdict pass">pass</span>');
    expect(html.match(/class="seg role-unknown/g)).toHaveLength(3);
  });

  it('shows the verdict, the reproduce command and the explanation', () => {
    const html = renderRunReport(staleReadRecord());
    expect(html).toContain('<span class="verdict fail">fail</span>');
    expect(html).toContain('<pre id="reproduce">npx raftsim run leader-isolation-stale-read --seed 42</pre>');
    expect(html).toContain('Read of <code>k</code> by c101 returned &quot;1&quot; at 1.850 s');
  });

  it('contains no hostile string unescaped outside the JSON data', () => {
    const html = renderRunReport(hostileRecord());
    const data = html.slice(html.indexOf('<script type="application/json"'), html.indexOf('</script>', html.indexOf('<script type="application/json"')));
    const outside = html.replace(data, '');
    for (const p of PAYLOADS) {
      expect(outside).not.toContain(p);
      expect(data).not.toContain(p);
    }
    expect(outside.match(/<script/g)).toHaveLength(1); // the page's own script; the data element was cut out above
    expect(outside).not.toMatch(/<(img|iframe|svg onload)/);
  });

  it('draws a bounded number of shapes for a 100,000-operation run', () => {
    const record = largeRecord(100_000, 10, 300);
    const svg = renderTimelineSvg(buildRunView(record, { framesMax: 50 }));
    const rects = svg.match(/<rect/g)?.length ?? 0;
    expect(rects).toBeLessThan(10 * (1_040 / 2) * 3 + 200);
    expect(svg).not.toContain('class="op ');
  });
});

describe('timeline and node lanes', () => {
  it('draws every op as its own bar when there is room, with highlighted ops marked', () => {
    const view = buildRunView(staleReadRecord());
    const svg = renderTimelineSvg(view);
    expect(svg.match(/class="op /g)).toHaveLength(5);
    expect(svg).toContain('class="op op-ok mark-failed"');
    expect(svg).toContain('class="op op-ok mark-related"');
    expect(svg.match(/class="unknown-tail"/g)).toHaveLength(1);
  });

  it('keeps highlighted ops as bars on top of a bucketed lane', () => {
    const history = Array.from({ length: 2_000 }, (_, i) => makeOp(i, 1, 'get', 'k', undefined, i * 10, i * 10 + 5, 'ok', { value: '' }));
    const lanes = buildClientLanes(history, [1], 20_000, new Map([[7, 'failed']]));
    const svg = renderTimelineSvg({ endUs: 20_000, bands: [], lanes });
    expect(svg).toContain('class="bucket"');
    expect(svg.match(/class="op /g)).toHaveLength(1);
  });

  it('merges runs of role segments narrower than a pixel, keeping the most telling role', () => {
    const axis = timeAxis(1_000_000);
    const segs = [
      { fromUs: 0, untilUs: 500_000, role: 'follower' as const, term: 1, lead: 0, host: 'up' as const },
      { fromUs: 500_000, untilUs: 500_100, role: 'candidate' as const, term: 2, lead: 0, host: 'up' as const },
      { fromUs: 500_100, untilUs: 500_200, role: 'leader' as const, term: 2, lead: 1, host: 'up' as const },
      { fromUs: 500_200, untilUs: 1_000_000, role: 'follower' as const, term: 3, lead: 2, host: 'up' as const },
    ];
    // 100 µs is a tenth of a pixel here: candidate and leader become one drawn segment.
    const merged = mergeNarrow(segs, axis);
    expect(merged.map((s) => [s.role, s.term, s.merged, s.untilUs])).toEqual([
      ['follower', 1, 1, 500_000],
      ['leader', 2, 2, 500_200],
      ['follower', 3, 1, 1_000_000],
    ]);
  });

  it('never merges a wide segment into the narrow ones before it', () => {
    const axis = timeAxis(10_000_000);
    const segs = [
      { fromUs: 0, untilUs: 1_000_000, role: 'follower' as const, term: 1, lead: 0, host: 'up' as const },
      { fromUs: 1_000_000, untilUs: 1_002_000, role: 'pre-candidate' as const, term: 1, lead: 0, host: 'up' as const },
      { fromUs: 1_002_000, untilUs: 1_004_000, role: 'candidate' as const, term: 2, lead: 0, host: 'up' as const },
      { fromUs: 1_004_000, untilUs: 10_000_000, role: 'follower' as const, term: 2, lead: 1, host: 'up' as const },
    ];
    expect(mergeNarrow(segs, axis).map((s) => [s.role, s.fromUs, s.untilUs, s.merged])).toEqual([
      ['follower', 0, 1_000_000, 1],
      ['candidate', 1_000_000, 1_004_000, 2],
      ['follower', 1_004_000, 10_000_000, 1],
    ]);
  });
});

describe('experiment reports', () => {
  it('explains prevote from the numbers and says when they match the mechanism', () => {
    const sections = explainExperiment(prevoteExperiment(20));
    expect(sections.map((s) => s.heading)).toEqual(['What was run', 'What happened', 'Why', 'The fix']);
    const happened = sections[1]!.paragraphs.join(' ');
    expect(happened).toContain("Without PreVote, the isolated member's term rose in 20 of 20 seeds");
    expect(happened).toContain("With PreVote, the isolated member's term rose in 0 of 20 seeds");
    expect(happened).toContain('the expected result');
  });

  it('says so, naming a seed, when PreVote did not prevent the rise', () => {
    const base = prevoteExperiment(4);
    const broken = { ...base, arms: base.arms.map((a) => (a.name !== 'prevote-on' ? a : { ...a, perSeed: a.perSeed.map((s, i) => (i === 2 ? { ...s, values: { ...s.values, isolatedTermRise: 3 } } : s)) })) };
    const happened = explainExperiment(broken)[1]!.paragraphs.join(' ');
    expect(happened).toContain('Unexpected: with PreVote the isolated member still disturbed the cluster in 1 seeds — look at seed 3');
    expect(happened).not.toContain('the expected result');
  });

  it('counts violation seeds per read mode and compares latency', () => {
    const result = readIndexExperiment(20);
    const byName = new Map(result.arms.map((a) => [a.name, a]));
    expect(violationSeeds(byName.get('readindex')!)).toBe(0);
    expect(violationSeeds(byName.get('serializable')!)).toBe(0);
    expect(violationSeeds(byName.get('leader-local')!)).toBeGreaterThan(5);
    const text = explainExperiment(result)[1]!.paragraphs.join(' ');
    expect(text).toContain('ReadIndex had no violation in any seed');
    expect(text).toMatch(/`leader-local`: a linearizability violation in \d+ of 20 seeds/);
    expect(armDistribution(byName.get('readindex')!, 'staleReads').max).toBe(0);
  });

  it('explains the etcd #20418 arms, and says their latencies belong to their own scenario', () => {
    const result = readIndexExperiment(20);
    expect(result.scenario).toBe('read-modes');
    const sections = explainExperiment(result);
    const what = sections[0]!.paragraphs.join(' ');
    expect(what).toContain('`readindex-reused-id`, `readindex-new-id` run a built-in other than `read-modes` (`etcd-20418`)');
    expect(what).toContain('compare their figures — latencies above all — with each other, not with the other rows');
    const happened = sections[1]!.paragraphs.join(' ');
    expect(happened).toMatch(/`readindex-reused-id` \(on `etcd-20418`: its latencies belong to that schedule\): a linearizability violation in \d+ of 20 seeds/);
    expect(happened).toMatch(/With the request id reused on a retry, etcd #20418's schedule broke linearizability in \d+ of 20 seeds/);
    expect(happened).toContain("With a new id per retry (etcd's fix), ReadIndex on the same schedule had no violation in any seed: the expected result.");
    expect(happened).not.toMatch(/`readindex` \(on/);
    const why = sections[2]!.paragraphs;
    expect(why.find((p) => p.startsWith('`readindex-reused-id`'))).toContain('the same request id');
    expect(why.find((p) => p.startsWith('`readindex-new-id`'))).toContain('PR #21399');
    expect(sections[3]!.paragraphs.join(' ')).toContain('its own request id (etcd PR #21399)');
    expect(renderExperimentMarkdown(result)).toMatch(/\| readindex-new-id \(on etcd-20418\) \| 0 \|/);
    expect(renderExperimentHtml(result)).toContain('<b>readindex-new-id</b> <span class="muted">on etcd-20418</span>');
    // The experiment's scenario is the one most arms share, whichever arm comes first.
    const record = readIndexExperimentRecord(2);
    expect(experimentDataOf({ ...record, arms: [...record.arms].reverse() }).scenario).toBe('read-modes');
  });

  it('does not count a skipped check as a pass', () => {
    const record = readIndexExperimentRecord(4);
    // Seeds 1 and 2 of the readindex arm stopped at a broken invariant: no history check ran.
    const stopped = (seed: number) => armSeed(seed, {}, ['invariants'], `r${seed}`, ['linearizable', 'serializable', 'watch', 'liveness']);
    const arms = record.arms.map((a) => (a.name !== 'readindex' ? a : { ...a, seeds: a.seeds.map((s) => (s.seed <= 2 ? stopped(s.seed) : s)) }));
    const data = experimentDataOf({ ...record, arms });
    const ri = data.arms.find((a) => a.name === 'readindex')!;
    expect(ri.perSeed.map((s) => s.skipped)).toEqual([['linearizable', 'serializable', 'watch', 'liveness'], ['linearizable', 'serializable', 'watch', 'liveness'], [], []]);
    const happened = explainExperiment(data)[1]!.paragraphs.join(' ');
    expect(happened).toContain('`readindex`: a linearizability violation in 0 of 2 seeds checked (not in 2: ');
    expect(happened).not.toContain('ReadIndex had no violation in any seed');
    expect(happened).toContain('ReadIndex had no violation in the 2 seeds where linearizability was checked; 2 were not checked');
    const html = renderExperimentHtml(data);
    expect(html).toContain('<td>fail: invariants; not checked: linearizable, serializable, watch, liveness</td>');
    expect(html).toContain('0 of 2 seeds checked');
    // A check turned off for a seed that otherwise passed is named too.
    const off = experimentDataOf({ ...record, arms: [{ ...record.arms[0]!, seeds: [armSeed(1, {}, [], 'r1', ['watch'])] }] });
    expect(renderExperimentHtml(off)).toContain('<td>pass; not checked: watch</td>');
  });

  it('renders HTML with side-by-side term charts and Markdown with the tables', () => {
    const result = prevoteExperiment(6);
    const html = renderExperimentHtml(result);
    expect(html.match(/class="seekable term-chart"/g)).toHaveLength(2);
    expect(html).toContain(escapeHtml("script-src 'none'"));
    const md = renderExperimentMarkdown(result);
    expect(md).toContain('| arm | term rise (median) | term rise (max) | leader changes after heal (max) | write outage ms (median) | seedsWithTermRise | seedsWithLeaderChangeAfterHeal |');
    expect(md).toContain('## In short');
    expect(md).toMatch(/\| isolated member's term rise \| prevote-off \| 6 \| \d \| \d \| \d \| 6 \|/);
    expect(md).toContain('Charts: [experiment-prevote.html](experiment-prevote.html)');
  });

  it('escapes hostile names in HTML and Markdown, and links no javascript: URL', () => {
    const html = renderExperimentHtml(hostileExperiment());
    for (const p of PAYLOADS) expect(html).not.toContain(p);
    expect(html).not.toContain('href="javascript');
    const md = renderExperimentMarkdown(hostileExperiment());
    // Code spans and fenced blocks show their text literally; everywhere else no markup may remain.
    const prose = md.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
    expect(prose).not.toMatch(/<[a-z!/]/i);
    expect(md).toContain('`<script>window.__pwned=1</script>`');
  });
});

describe('index and writer', () => {
  it('links experiments and runs, with verdicts', () => {
    const html = renderIndexPage([indexEntryForExperiment(prevoteExperiment(2)), indexEntryForRun(staleReadRecord(), 'runs/a.html')]);
    expect(html).toContain('<a href="experiment-prevote.html">PreVote and term inflation</a>');
    expect(html).toContain('<a href="experiment-prevote.md">Markdown</a>');
    expect(html).toContain('<a href="runs/a.html">leader-isolation-stale-read · seed 42</a> <span class="verdict fail">fail</span>');
    expect(html).toContain('<a href="playground.html">The playground</a>');
  });

  it('lists each experiment\'s representative runs under it', () => {
    const data = experimentDataOf(prevoteExperimentRecord(2), (a) => `runs/${a.name}.html`);
    const entry = indexEntryForExperiment(data, 'exp');
    expect(entry.extra?.map((x) => x.href)).toEqual(['exp/experiment-prevote.md', 'exp/experiment-prevote.json', 'exp/runs/prevote-on.html', 'exp/runs/prevote-off.html']);
    expect(entry.summary).toBe('When a follower that was cut off rejoins, does it disrupt the healthy leader? 2 seeds × 2 arms (prevote-on, prevote-off)');
  });

  it('writes the files it says it wrote, with safe names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftsim-reports-'));
    try {
      const run = writeRunReport(dir, staleReadRecord(), { stem: '../evil name' });
      expect(run.html).toBe(join(dir, 'evil-name.html'));
      expect(JSON.parse(readFileSync(run.json!, 'utf8')).seed).toBe(42);
      const exp = writeExperimentReport(dir, prevoteExperimentRecord(2));
      expect(readFileSync(exp.markdown, 'utf8')).toContain('# PreVote and term inflation');
      expect(exp.runs).toEqual([join(dir, 'experiment-prevote-prevote-on-seed1.html'), join(dir, 'experiment-prevote-prevote-off-seed1.html')]);
      expect(readFileSync(exp.html, 'utf8')).toContain('<a href="experiment-prevote-prevote-off-seed1.html">');
      expect(JSON.parse(readFileSync(exp.json, 'utf8')).arms[1].perSeed[0].values.isolatedTermRise).toBeGreaterThan(0);
      expect(readFileSync(writeIndex(dir, []), 'utf8')).toContain('Nothing was produced.');
      expect(fileStem('/etc/passwd')).toBe('etc-passwd');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('palette', () => {
  it('ok and pause, failed and disk fault are different colours (the timeline legend draws them side by side)', async () => {
    const { STATUS_COLOR, FAULT_COLOR } = await import('./colors.js');
    expect(STATUS_COLOR.ok).not.toBe(FAULT_COLOR.pause);
    expect(STATUS_COLOR.fail).not.toBe(FAULT_COLOR['disk-fault']);
    const all = [...Object.values(STATUS_COLOR), FAULT_COLOR.partition, FAULT_COLOR.crash, FAULT_COLOR.pause, FAULT_COLOR['disk-fault'], FAULT_COLOR['disk-stall'], FAULT_COLOR.clock];
    expect(new Set(all).size).toBe(all.length);
  });
});
