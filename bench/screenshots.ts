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
import { fileURLToPath } from 'node:url';
import { buildPlayground } from '../bin/playground.js';
import { playLessonThroughPage } from '../playground/testing/lesson-driver.js';
import { launchChromium } from '../reports/testing/chromium.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

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
