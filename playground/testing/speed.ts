/// <reference lib="dom" />
/**
 * How fast the playground plays in a real browser: a 5-member cluster at 100 ops/s (the issue's
 * yardstick) opened from file://, played at "max" speed while drawn for `seconds` of real time;
 * then the same run stepped without drawing for comparison. Virtual seconds per real second, and
 * frames drawn per second. Used by the browser test and by bench/playground.bench.ts.
 */
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import type {} from '../page/main.js';

export interface PlaySpeed {
  /** Virtual seconds per real second while playing and drawing every frame. */
  readonly drawnPerReal: number;
  readonly framesPerS: number;
  /** Virtual seconds per real second stepping the same session with no drawing. */
  readonly undrawnPerReal: number;
}

export const SPEED_SCENARIO = { description: 'playground speed: 5 members, 100 ops/s', durationMs: 600_000, cluster: { size: 5 }, workload: { ratePerS: 100 } };

export async function measurePlaySpeed(page: Page, htmlPath: string, seconds: number): Promise<PlaySpeed> {
  const b64 = Buffer.from(JSON.stringify(SPEED_SCENARIO)).toString('base64');
  await page.goto(`${pathToFileURL(htmlPath).href}#file=${b64}&seed=1`);
  await page.reload();
  await page.waitForFunction(() => typeof window.playground === 'object');
  await page.selectOption('#speed', '1000');
  await page.click('#play');
  const t0 = await page.evaluate(() => ({ v: window.playground.state().p.nowUs, d: window.playground.draws(), t: performance.now() }));
  await page.waitForTimeout(seconds * 1000);
  const t1 = await page.evaluate(() => ({ v: window.playground.state().p.nowUs, d: window.playground.draws(), t: performance.now() }));
  await page.click('#play');
  const undrawn = await page.evaluate((ms) => {
    const p = window.playground.state().p;
    const v0 = p.nowUs;
    const start = performance.now();
    while (performance.now() - start < ms) p.advance(p.nowUs + 100_000, 2_000);
    return (p.nowUs - v0) / 1000 / (performance.now() - start);
  }, seconds * 500);
  return { drawnPerReal: (t1.v - t0.v) / 1000 / (t1.t - t0.t), framesPerS: ((t1.d - t0.d) * 1000) / (t1.t - t0.t), undrawnPerReal: undrawn };
}
