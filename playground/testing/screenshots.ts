/**
 * The README's screenshot of the playground (`npm run screenshots`): builds the page into a
 * temporary folder, opens it from file:// in real Chromium at 1024 px, plays a lesson to its end
 * with the page's own buttons ("do it for me" for each step's action), and writes
 * docs/playground-lesson.png. The browser test takes its screenshots into a temporary folder
 * instead, so running the tests never changes a tracked file.
 *
 *   npm run screenshots [-- --lesson check-quorum] [-- --out docs/playground-lesson.png]
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { buildPlayground } from '../../bin/playground.js';
import { launchChromium } from '../../reports/testing/chromium.js';
import type {} from '../page/main.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Plays lesson `id` to its end in the open page through its buttons; resolves once the page says it is done. */
export async function playLessonThroughPage(page: Page, htmlPath: string, id: string): Promise<void> {
  await page.goto(`${pathToFileURL(htmlPath).href}#lesson=${id}`);
  await page.reload();
  await page.waitForFunction(() => typeof window.playground === 'object');
  await page.selectOption('#speed', '5');
  await page.click('#play');
  for (let guard = 0; guard < 20; guard++) {
    if (await page.evaluate(() => window.playground.state().lesson?.done === true)) return;
    const step = await page.evaluate(() => window.playground.state().lesson?.step ?? 0);
    await page.waitForFunction(() => window.playground.state().lesson?.current?.action(window.playground.state().lesson!.context()) !== null || window.playground.state().lesson?.done === true, undefined, { timeout: 60_000 });
    if (await page.evaluate(() => window.playground.state().lesson?.done === true)) return;
    // The learner looks before acting: a leader elected, a moment of run.
    await page.waitForFunction(() => window.playground.state().p.view().members.some((m) => m.role === 'leader'), undefined, { timeout: 60_000 });
    await page.click('#doit');
    await page.waitForFunction((s) => (window.playground.state().lesson?.step ?? 0) > s || window.playground.state().lesson?.done === true, step, { timeout: 120_000 });
  }
  throw new Error(`lesson ${id}: not done after 20 steps`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string, dflt: string): string => {
    const i = args.indexOf(name);
    return i >= 0 ? (args[i + 1] ?? dflt) : dflt;
  };
  const lesson = arg('--lesson', 'check-quorum');
  const out = resolve(arg('--out', join(ROOT, 'docs', 'playground-lesson.png')));
  const html = await buildPlayground(join(mkdtempSync(join(tmpdir(), 'raftsim-shot-')), 'playground.html'));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1024, height: 900 } });
    await playLessonThroughPage(page, html, lesson);
    await page.click('#play');
    mkdirSync(dirname(out), { recursive: true });
    await page.screenshot({ path: out });
    console.log(`wrote ${out}`);
  } finally {
    await browser.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
