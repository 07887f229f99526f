/// <reference lib="dom" />
/**
 * How fast the playground plays in a real browser: a 5-member cluster at 100 ops/s (the issue's
 * yardstick) opened from file://, played at "max" speed while drawn for `seconds` of real time;
 * then the same run stepped without drawing for comparison. Virtual seconds per real second, and
 * frames drawn per second. Used by the browser test and by bench/playground.bench.ts.
 *
 * Wall clock alone says little on a shared machine (8 sessions on 2 cores: the tab gets a fraction
 * of a core), so each figure also comes per CPU second of Chromium's renderer process — the one
 * that runs the page's script, layout and paint — read from Chromium itself (CDP
 * SystemInfo.getProcessInfo, 10 ms resolution): what the page does with one core of its own.
 * `allProcessesCpuS` adds the GPU, browser and network processes (compositing the drawings).
 */
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import type {} from '../page/main.js';

export interface PlaySpeed {
  /** Virtual seconds per real second while playing and drawing. */
  readonly drawnPerReal: number;
  /** Virtual seconds per CPU second of the renderer while playing and drawing. */
  readonly drawnPerCpu: number;
  readonly framesPerS: number;
  /** Virtual seconds per real second stepping the same session with no drawing. */
  readonly undrawnPerReal: number;
  readonly undrawnPerCpu: number;
  /** Of the drawn play: real seconds, renderer CPU seconds, CPU seconds of every Chromium process. */
  readonly realS: number;
  readonly rendererCpuS: number;
  readonly allProcessesCpuS: number;
  readonly virtualS: number;
}

export const SPEED_SCENARIO = { description: 'playground speed: 5 members, 100 ops/s', durationMs: 600_000, cluster: { size: 5 }, workload: { ratePerS: 100 } };

interface CpuTimes {
  readonly renderer: number;
  readonly all: number;
}

async function cpuTimes(page: Page): Promise<CpuTimes> {
  const browser = page.context().browser();
  if (browser === null) return { renderer: Number.NaN, all: Number.NaN };
  const cdp = await browser.newBrowserCDPSession();
  try {
    const r = (await cdp.send('SystemInfo.getProcessInfo' as never)) as unknown as { processInfo: { type: string; cpuTime: number }[] };
    let renderer = 0;
    let all = 0;
    for (const p of r.processInfo) {
      all += p.cpuTime;
      if (p.type === 'renderer') renderer += p.cpuTime;
    }
    return { renderer, all };
  } finally {
    await cdp.detach();
  }
}

export async function measurePlaySpeed(page: Page, htmlPath: string, seconds: number): Promise<PlaySpeed> {
  const b64 = Buffer.from(JSON.stringify(SPEED_SCENARIO)).toString('base64');
  await page.goto(`${pathToFileURL(htmlPath).href}#file=${b64}&seed=1`);
  await page.reload();
  await page.waitForFunction(() => typeof window.playground === 'object');
  await page.selectOption('#speed', '1000');
  await page.click('#play');
  // Past the first election, into the steady state the yardstick is about.
  await page.waitForFunction(() => window.playground.state().p.nowUs > 3_000_000, undefined, { timeout: 60_000 });
  const c0 = await cpuTimes(page);
  const t0 = await page.evaluate(() => ({ v: window.playground.state().p.nowUs, d: window.playground.draws(), t: performance.now() }));
  await page.waitForTimeout(seconds * 1000);
  const t1 = await page.evaluate(() => ({ v: window.playground.state().p.nowUs, d: window.playground.draws(), t: performance.now() }));
  const c1 = await cpuTimes(page);
  await page.click('#play');
  const c2 = await cpuTimes(page);
  const undrawn = await page.evaluate((ms) => {
    const p = window.playground.state().p;
    const v0 = p.nowUs;
    const start = performance.now();
    while (performance.now() - start < ms) p.advance(p.nowUs + 100_000, 2_000);
    return { virtualS: (p.nowUs - v0) / 1e6, realS: (performance.now() - start) / 1000 };
  }, seconds * 500);
  const c3 = await cpuTimes(page);
  const virtualS = (t1.v - t0.v) / 1e6;
  const realS = (t1.t - t0.t) / 1000;
  const rendererCpuS = c1.renderer - c0.renderer;
  return {
    drawnPerReal: virtualS / realS,
    drawnPerCpu: virtualS / rendererCpuS,
    framesPerS: (t1.d - t0.d) / realS,
    undrawnPerReal: undrawn.virtualS / undrawn.realS,
    undrawnPerCpu: undrawn.virtualS / (c3.renderer - c2.renderer),
    realS,
    rendererCpuS,
    allProcessesCpuS: c1.all - c0.all,
    virtualS,
  };
}
