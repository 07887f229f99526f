/// <reference lib="dom" />
/**
 * Drives a lesson in the open playground page the way a learner who trusts the page would: play,
 * and whenever the current step asks for an action, wait for a leader, then press "do it for me".
 * Used by the browser test and by the README screenshot script (bench/screenshots.ts).
 */
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import type {} from '../page/main.js';

/**
 * Plays lesson `id` to its end in the open page through its buttons; resolves once the page says
 * it is done. Like a learner, it presses "do it for me" again when the step asks for something new
 * (a crash that tore nothing asks for another crash).
 */
export async function playLessonThroughPage(page: Page, htmlPath: string, id: string, timeoutMs = 180_000): Promise<void> {
  await page.goto(`${pathToFileURL(htmlPath).href}#lesson=${id}`);
  await page.reload();
  await page.waitForFunction(() => typeof window.playground === 'object');
  await page.selectOption('#speed', '5');
  await page.click('#play');
  let last = '';
  for (const start = Date.now(); Date.now() - start < timeoutMs; await page.waitForTimeout(100)) {
    const now = await page.evaluate(() => {
      const l = window.playground.state().lesson;
      if (l === null || l.done) return null;
      const a = l.current?.action(l.context()) ?? null;
      const leader = window.playground.state().p.view().members.some((m) => m.role === 'leader');
      return { step: l.step, action: a === null ? null : JSON.stringify(a), leader };
    });
    if (now === null) return;
    if (now.action === null || !now.leader) continue;
    const key = `${now.step} ${now.action}`;
    if (key === last) continue;
    last = key;
    await page.click('#doit');
  }
  throw new Error(`lesson ${id}: not done after ${timeoutMs / 1000} s`);
}
