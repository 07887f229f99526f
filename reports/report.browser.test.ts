/**
 * The reports in a real browser: headless Chromium through playwright-core, opening generated
 * files from file:// URLs. It checks what a person would: the timeline is drawn, the verdict is
 * shown, the step-through slider changes the drawn roles and cut links, nothing logs an error —
 * and a report made of hostile strings runs none of them. Screenshots go to reports/out/browser-test/
 * (git-ignored).
 *
 * The browser is Debian's Chromium when the machine has it, else the build that the npm package
 * @sparticuz/chromium ships (reports/testing/chromium.ts): a fresh clone needs no system package.
 * Only a developer who sets RAFTSIM_NO_BROWSER=1 by hand skips these tests.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostileExperiment, hostileRecord, PAYLOADS } from './testing/hostile-fixtures.js';
import { indexEntryForExperiment, indexEntryForRun } from './index-page.js';
import { runEndUs } from './run-view.js';
import { buildStepModel } from './step-through.js';
import { largeRecord, prevoteExperimentRecord, readIndexExperimentRecord, staleReadRecord } from './testing/fixtures.js';
import { writeExperimentData, writeExperimentReport, writeIndex, writeRunReport } from './write.js';
import type { ExperimentData } from './experiment-data.js';
import { renderRunReport } from './run-report.js';
import { launchChromiumContext } from './testing/chromium.js';
// A test may run the real simulator (production reports/ code may not: scenarios/architecture.test.ts).
import { captureReportPictures } from '../scenarios/report-pictures.js';
import { runScenario } from '../scenarios/runner.js';
import { scenarioFor } from '../scenarios/scenario-source.js';

const OUT = join(dirname(fileURLToPath(import.meta.url)), 'out', 'browser-test');
const skip = process.env.RAFTSIM_NO_BROWSER === '1';

interface Opened {
  readonly page: Page;
  /** Console errors and uncaught exceptions, as text. */
  readonly errors: string[];
}

describe.skipIf(skip)('reports in a real browser', () => {
  let context: BrowserContext | undefined;
  let userDataDir = '';

  beforeAll(async () => {
    userDataDir = mkdtempSync(join(tmpdir(), 'raftsim-chromium-'));
    context = await launchChromiumContext(userDataDir, { viewport: { width: 1300, height: 900 } });
  });

  afterAll(async () => {
    await context?.close();
    if (userDataDir !== '') rmSync(userDataDir, { recursive: true, force: true });
  });

  async function open(file: string, waitReady: boolean): Promise<Opened> {
    if (context === undefined) throw new Error('browser did not start');
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('dialog', (d) => {
      errors.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(pathToFileURL(file).href);
    if (waitReady) await page.waitForSelector('html[data-ready="1"]', { timeout: 20_000 });
    return { page, errors };
  }

  async function cluster(page: Page): Promise<{ roles: string[]; cuts: number }> {
    const roles = await page.$$eval('#cluster g.node', (gs) => gs.map((g) => `${g.getAttribute('data-node')}:${g.getAttribute('data-role')}/${g.getAttribute('data-term')}/${g.getAttribute('data-host')}`));
    // One line per pair of members; data-cut says how many of its two directions are cut.
    const cuts = (await page.$$eval('#cluster line.link.cut', (ls) => ls.map((l) => Number(l.getAttribute('data-cut'))))).reduce((a, b) => a + b, 0);
    return { roles, cuts };
  }

  it('run report: timeline, verdict, violation, and a step-through that moves', async () => {
    const record = staleReadRecord();
    const files = writeRunReport(join(OUT, 'stale-read'), record);
    const { page, errors } = await open(files.html, true);
    expect(await page.locator('#timeline rect.op').count()).toBe(record.history.length);
    expect(await page.locator('#timeline rect.fault').count()).toBeGreaterThanOrEqual(3);
    expect((await page.locator('#timeline').boundingBox())?.width).toBeGreaterThan(600);
    await expect.poll(() => page.locator('header .verdict').textContent()).toBe('fail');
    expect(await page.locator('header .verdict').isVisible()).toBe(true);
    expect(await page.locator('#violation-explanation').textContent()).toContain('Read of k by c101 returned "1" at 1.850 s');

    const frames = buildStepModel(record, runEndUs(record)).frames;
    const at = (us: number): number => frames.findIndex((f) => f.tUs >= us);
    await page.locator('#step-slider').fill(String(at(900_000)));
    const before = await cluster(page);
    expect(before).toEqual({ roles: ['1:leader/2/up', '2:follower/2/up', '3:follower/2/up'], cuts: 0 });
    await page.locator('#step-slider').fill(String(at(1_600_000)));
    const during = await cluster(page);
    expect(during).toEqual({ roles: ['1:leader/2/up', '2:leader/3/up', '3:follower/3/up'], cuts: 4 });
    expect(await page.locator('#step-summary').textContent()).toContain('4 directed links cut');
    await page.locator('#step-slider').fill(String(at(2_200_000)));
    expect((await cluster(page)).roles[2]).toBe('3:follower/3/down');
    await page.locator('#step-slider').fill(String(at(3_700_000)));
    expect(await cluster(page)).toEqual({ roles: ['1:follower/3/up', '2:leader/3/up', '3:follower/3/up'], cuts: 0 });

    // The buttons step to the previous frame where something happened, and the cursor follows.
    await page.locator('#step-prev-event').click();
    expect(Number(await page.locator('#step-slider').inputValue())).toBeLessThan(at(3_700_000));
    expect(Number(await page.locator('#timeline line.cursor').getAttribute('x1'))).toBeGreaterThan(96);
    expect(await page.locator('#detail rect.op').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(OUT, 'run-report.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('run report of a real run: the step-through draws the logs and the clients a replay read, as the playground draws them', async () => {
    const resolved = scenarioFor({ kind: 'builtin', name: 'leader-isolation-stale-read' }, 1, []);
    if (!resolved.ok) throw new Error(JSON.stringify(resolved.issue));
    const scenario = resolved.scenario;
    const record = runScenario({ name: 'leader-isolation-stale-read', scenario, seed: 1, overrides: [], trace: 'keep' });
    const details = captureReportPictures(record);
    expect(details).not.toBeNull();
    const files = writeRunReport(join(OUT, 'real-run'), record, { details });
    const { page, errors } = await open(files.html, true);
    const frames = buildStepModel(record, runEndUs(record)).frames;
    const at = (us: number): number => frames.findIndex((f) => f.tUs >= us);
    await page.locator('#step-slider').fill(String(at(3_000_000)));
    // A row per member, each with entries coloured by term, committed ones marked.
    expect(await page.locator('#step-logs .log').count()).toBe(record.members.length);
    const entries = await page.$$eval('#step-logs .log .e', (es) => es.map((e) => ({ term: Number(e.textContent), committed: e.classList.contains('c'), bg: (e as HTMLElement).style.background })));
    expect(entries.length).toBeGreaterThan(record.members.length);
    expect(entries.some((e) => e.committed)).toBe(true);
    expect(new Set(entries.map((e) => e.bg)).size).toBeGreaterThanOrEqual(1);
    // The logs drawn are the replay's: the leader's last index as the live cluster had it.
    const detail = details?.get(frames[at(3_000_000)]?.tUs ?? -1);
    const leader = detail?.members.find((m) => m.role === 'leader');
    expect(leader).toBeDefined();
    expect(await page.locator(`#step-logs .log[data-member="${leader?.id}"] small`).textContent()).toContain(`last ${leader?.lastIndex}`);
    // A line per client: whom it talks to and what it asked or got.
    expect(await page.locator('#step-clients li.client').count()).toBe(record.clients.length);
    expect(await page.locator('#step-clients').textContent()).toMatch(/c0 → n\d/);
    // Members show their vote and election timer, as in the playground.
    expect(await page.locator('#cluster g.member .node-term').first().textContent()).toMatch(/^term \d+/);
    expect(await page.locator('#cluster g.member rect.timer').count()).toBe(record.members.length);
    await page.locator('#sec-step').screenshot({ path: join(OUT, 'run-report-step.png') });
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('clicking the timeline moves the step-through to that instant', async () => {
    const files = writeRunReport(join(OUT, 'stale-read'), staleReadRecord());
    const { page, errors } = await open(files.html, true);
    await page.locator('#timeline').scrollIntoViewIfNeeded();
    const box = await page.locator('#timeline').boundingBox();
    if (box === null) throw new Error('no timeline box');
    // 1.6 s of 4 s along the plot (x0 = 96 of 1200, width 1040, in viewBox units).
    const xView = 96 + (1.6 / 4) * 1040;
    await page.mouse.click(box.x + (xView / 1200) * box.width, box.y + box.height - 30);
    const t = await page.locator('#step-time').textContent();
    expect(t).toMatch(/^1\.(5|6)\d* s$/);
    expect((await cluster(page)).cuts).toBe(4);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a report made of hostile strings runs none of them, with or without the CSP', async () => {
    const record = hostileRecord();
    for (const csp of [false, true]) {
      const file = join(OUT, 'hostile', `run-${csp ? 'csp' : 'no-csp'}.html`);
      writeRunReport(join(OUT, 'hostile'), record, { stem: 'unused' });
      writeFileSync(file, renderRunReport(record, { csp }));
      const { page, errors } = await open(file, true);
      for (let i = 0; i < 60; i += 7) await page.locator('#step-slider').fill(String(i));
      await page.locator('#step-slider').fill(String(buildStepModel(record, runEndUs(record)).frames.findIndex((f) => f.tUs >= 1_450_000)));
      await page.locator('#detail-span').selectOption({ label: 'whole run' });
      await page.locator('#step-last').click();
      await page.locator('#detail rect.op[data-op="5"]').click();
      expect(await page.evaluate('window.__pwned')).toBeUndefined();
      expect(await page.locator('img, iframe, svg svg, body script:not(#raftsim-data)').count()).toBe(1); // only the page's own script
      expect(await page.locator('h1').textContent()).toContain(PAYLOADS[0]);
      expect(await page.locator('#violation-explanation').textContent()).toContain(PAYLOADS[2]);
      expect(await page.locator('#op-info').textContent()).toContain('window.__pwned');
      expect(errors).toEqual([]);
      await page.close();
    }
    const exp = writeExperimentData(join(OUT, 'hostile'), hostileExperiment());
    const index = writeIndex(join(OUT, 'hostile'), [indexEntryForExperiment(hostileExperiment()), { kind: 'other', title: PAYLOADS[1], href: 'javascript:window.__pwned=9', verdict: PAYLOADS[3], summary: PAYLOADS[4] }]);
    for (const file of [exp.html, index]) {
      const { page, errors } = await open(file, false);
      expect(await page.evaluate('window.__pwned')).toBeUndefined();
      expect(await page.locator('img, iframe, script, a[href^="javascript"]').count()).toBe(0);
      expect(await page.locator('body').textContent()).toContain('window.__pwned');
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it('experiment reports: the arms side by side, charts drawn, no errors', async () => {
    const dir = join(OUT, 'experiments');
    const files = [writeExperimentReport(dir, prevoteExperimentRecord()), writeExperimentReport(dir, readIndexExperimentRecord())];
    const [prevote, readindex] = files.map((f) => f.data) as [ExperimentData, ExperimentData];
    const staleRun = writeRunReport(dir, staleReadRecord(), { stem: 'stale-read' });
    const index = writeIndex(dir, [indexEntryForExperiment(prevote), indexEntryForExperiment(readindex), indexEntryForRun(staleReadRecord(), 'stale-read.html')]);
    const { page, errors } = await open(files[0]!.html, false);
    expect(await page.locator('svg.term-chart').count()).toBe(2);
    expect(await page.locator('svg.dot-plot').count()).toBe(3);
    expect(await page.locator('#arms-table tbody tr').count()).toBe(2);
    expect(await page.locator('body').textContent()).toContain('With PreVote the term stayed flat and the leader stayed put in every seed');
    await page.screenshot({ path: join(OUT, 'experiment-prevote.png'), fullPage: true });
    const ri = await open(files[1]!.html, false);
    expect(await ri.page.locator('svg.bar-chart').count()).toBe(2);
    expect(await ri.page.locator('#arms-table tbody tr').count()).toBe(7);
    expect(await ri.page.locator('body').textContent()).toContain('run a built-in other than read-modes (etcd-20418)');
    await ri.page.screenshot({ path: join(OUT, 'experiment-readindex.png'), fullPage: true });
    const idx = await open(index, false);
    // prevote: page, Markdown, JSON and one run per arm; readindex (no representative runs): 3; the run: 1.
    // … and the link to the playground (written beside the index by npm start).
    expect(await idx.page.locator('a').count()).toBe(5 + 3 + 1 + 1);
    await idx.page.locator(`a[href="${staleRun.html.split('/').pop()}"]`).click();
    await idx.page.waitForSelector('html[data-ready="1"]');
    expect(await idx.page.locator('h1').textContent()).toContain('leader-isolation-stale-read');
    expect([...errors, ...ri.errors, ...idx.errors]).toEqual([]);
    await Promise.all([page.close(), ri.page.close(), idx.page.close()]);
  });

  it('a 100,000-operation run opens, scrolls and steps with a bounded number of elements', async () => {
    const record = largeRecord(100_000, 10, 300);
    const files = writeRunReport(join(OUT, 'large'), record, { writeJson: false });
    const { page, errors } = await open(files.html, true);
    expect(await page.locator('#timeline rect.bucket').count()).toBeGreaterThan(1_000);
    expect(await page.locator('#timeline rect.op').count()).toBe(0);
    await page.evaluate('window.scrollTo(0, document.body.scrollHeight)');
    expect(await page.evaluate('window.scrollY')).toBeGreaterThan(500);
    await page.locator('#step-slider').fill('500');
    await page.locator('#detail-span').selectOption({ index: 0 });
    expect(await page.locator('#detail rect').count()).toBeGreaterThan(10);
    expect(await page.locator('*').count()).toBeLessThan(60_000);
    await page.screenshot({ path: join(OUT, 'large-run.png') });
    expect(errors).toEqual([]);
    await page.close();
  });
});
