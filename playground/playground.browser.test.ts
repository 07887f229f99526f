/**
 * The playground in real Chromium, opened from file:// with every other URL aborted (and none
 * asked for): a lesson played to its end through the page's own buttons, a partition made by
 * clicking members, the exported scenario run by the CLI's runner in Node with the same trace
 * hash, and several built-ins run in the page with the hash `raftsim run` gives. Its screenshot
 * goes to a temporary folder (the README's docs/playground-lesson.png is made by `npm run
 * screenshots`, never by a test); the speed is a bench figure (bench/playground.bench.ts), here
 * only checked to play and draw.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlayground } from '../bin/playground.js';
import { launchChromium } from '../reports/testing/chromium.js';
import { playLessonThroughPage } from './testing/screenshots.js';
import { measurePlaySpeed } from './testing/speed.js';
import { resolveScenario } from '../scenarios/resolve.js';
import { runScenario } from '../scenarios/runner.js';
import { scenarioFor } from '../scenarios/scenario-source.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'reports', 'out', 'playground-test', 'playground.html');
const skip = process.env.RAFTSIM_NO_BROWSER === '1';

describe.skipIf(skip)('the playground in a real browser', () => {
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const network: string[] = [];

  beforeAll(async () => {
    await buildPlayground(OUT);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1024, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.route(/^(?!file:).*/, (route) => {
      network.push(route.request().url());
      return route.abort();
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  async function open(fragment: string): Promise<void> {
    await page.goto(`${pathToFileURL(OUT).href}#${fragment}`);
    // A change of fragment alone does not load the page again.
    await page.reload();
    await page.waitForFunction(() => typeof window.playground === 'object');
  }

  it('plays a lesson to its end through the page, with no console error and no network request', async () => {
    await open('lesson=check-quorum');
    await page.click('#play');
    await page.selectOption('#speed', '5');
    await page.waitForFunction(() => (window.playground.state().lesson?.step ?? 0) >= 1, undefined, { timeout: 60_000 });
    // The split, by clicking: the leader and one other member (shift-click), then "split".
    const [l, other] = await page.evaluate(() => {
      const v = window.playground.state().p.view();
      const lead = v.members.find((m) => m.role === 'leader')?.id ?? 1;
      return [lead, v.members.find((m) => m.id !== lead)?.id ?? 2];
    });
    await page.click(`.member[data-id="${l}"]`);
    await page.click(`.member[data-id="${other}"]`, { modifiers: ['Shift'] });
    await page.click('#a-split');
    await page.waitForFunction(() => window.playground.state().p.view().cutLinks.length > 0, undefined, { timeout: 30_000 });
    await page.waitForFunction(() => window.playground.state().lesson?.done === true, undefined, { timeout: 60_000 });
    expect(await page.evaluate(() => window.playground.state().lesson?.done)).toBe(true);
    expect(await page.textContent('#lesson-prompt')).toContain('CheckQuorum');
    const shot = join(mkdtempSync(join(tmpdir(), 'raftsim-pg-shot-')), 'lesson.png');
    await page.screenshot({ path: shot });
    expect(statSync(shot).size).toBeGreaterThan(10_000);

    // Export what the learner did and run it with the CLI's runner here: the same trace hash.
    await page.click('#export');
    const json = await page.inputValue('#export-text');
    const seed = await page.evaluate(() => window.playground.state().p.source.seed);
    const pageHash = await page.evaluate(() => window.playground.state().p.finish().traceHash);
    const file = resolveScenario(JSON.parse(json), { source: 'playground.json' });
    expect(file.ok).toBe(true);
    if (!file.ok) return;
    expect(file.scenario.faults.some((f) => f.type === 'split')).toBe(true);
    const cli = runScenario({ name: 'playground.json', scenario: file.scenario, seed, overrides: [], trace: 'hash-only' });
    expect(cli.traceHash).toBe(pageHash);
    expect(errors).toEqual([]);
    expect(network).toEqual([]);
  }, 300_000);

  it('plays the torn-WAL lesson with "do it for me": the page verifies the tear and the repair', async () => {
    await playLessonThroughPage(page, OUT, 'torn-wal');
    const facts = await page.evaluate(() => {
      const l = window.playground.state().lesson;
      return { done: l?.done, torn: l?.facts.crashes.filter((c) => c.torn).length ?? 0, repairs: l?.facts.walRepairs.length ?? 0 };
    });
    expect(facts).toEqual({ done: true, torn: expect.any(Number), repairs: expect.any(Number) });
    expect(facts.torn).toBeGreaterThan(0);
    expect(facts.repairs).toBeGreaterThan(0);
    expect(await page.textContent('#lesson-passed')).toMatch(/cut the \d+ bytes after the last whole record away/);
    expect(errors).toEqual([]);
    expect(network).toEqual([]);
  }, 300_000);

  it('gives the trace hash of raftsim run for several built-ins, and the export link reopens the same run', async () => {
    for (const [name, seed] of [['prevote-rejoin', 1], ['leader-isolation-stale-read', 2], ['leader-crash', 3]] as const) {
      await open(`builtin=${name}&seed=${seed}`);
      const hash = await page.evaluate(() => window.playground.state().p.finish().traceHash);
      const r = scenarioFor({ kind: 'builtin', name }, seed, []);
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(hash, name).toBe(runScenario({ name, scenario: r.scenario, seed, overrides: [], trace: 'hash-only' }).traceHash);
    }
    await open('builtin=leader-crash&seed=4');
    await page.click('.member[data-id="2"]');
    await page.keyboard.press('i');
    await page.evaluate(() => window.playground.state().p.runFor(1_000_000));
    await page.click('#export');
    const link = await page.getAttribute('#export-link', 'href');
    const before = await page.evaluate(() => window.playground.state().p.finish().traceHash);
    await page.goto(link ?? '');
    await page.reload();
    await page.waitForFunction(() => typeof window.playground === 'object');
    expect(await page.evaluate(() => window.playground.state().p.finish().traceHash)).toBe(before);
    expect(errors).toEqual([]);
    expect(network).toEqual([]);
  }, 300_000);

  it('measures how fast a 5-member cluster at 100 ops/s plays while drawn (the bench figure)', async () => {
    const speed = await measurePlaySpeed(page, OUT, 3);
    // The figures, for the log (bench/playground.bench.ts reports them as bench figures).
    console.log(`playground speed, 5 members at 100 ops/s: ${speed.drawnPerReal.toFixed(1)}× real time drawn (${speed.framesPerS.toFixed(0)} frames/s), ${speed.drawnPerCpu.toFixed(1)}× per renderer CPU second; undrawn ${speed.undrawnPerReal.toFixed(1)}× (${speed.undrawnPerCpu.toFixed(1)}× per CPU s); the renderer had ${(speed.rendererCpuS / speed.realS).toFixed(2)} of a core`);
    // Not a timed assertion: it played and drew.
    expect(speed.framesPerS).toBeGreaterThan(0);
    expect(speed.drawnPerReal).toBeGreaterThan(0);
    expect(speed.undrawnPerReal).toBeGreaterThan(0);
    expect(speed.rendererCpuS).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  }, 120_000);
});
