/**
 * The page of `raftsim check <history> --out DIR` (check-report.ts) in a real browser: the CLI
 * (from the build, in a child process) writes it for a history with a stale read, and the page
 * shows the verdict, marks the operation that cannot be placed and the write it conflicts with on
 * the client lanes, numbers the prefix, and tells the violation in the run report's words. A
 * history made of hostile strings (keys and values that are markup) runs none of them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAYLOADS } from './testing/hostile-fixtures.js';
import { launchChromiumContext } from './testing/chromium.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = join(dirname(fileURLToPath(import.meta.url)), 'out', 'browser-test', 'check');
const skip = process.env.RAFTSIM_NO_BROWSER === '1';

function check(history: string, model: string, dir: string): { code: number | null; out: string[] } {
  const r = spawnSync(process.execPath, ['bin/raftsim.js', 'check', history, '--model', model, '--out', dir], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout.split('\n').filter((l) => l !== '') };
}

type Line = Record<string, unknown>;
const jsonl = (lines: readonly Line[]): string => `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;

describe.skipIf(skip)('raftsim check --out in a real browser', () => {
  let context: BrowserContext | undefined;
  let userDataDir = '';

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    userDataDir = mkdtempSync(join(tmpdir(), 'raftsim-chromium-'));
    context = await launchChromiumContext(userDataDir, { viewport: { width: 1300, height: 900 } });
  });

  afterAll(async () => {
    await context?.close();
    if (userDataDir !== '') rmSync(userDataDir, { recursive: true, force: true });
  });

  async function open(file: string): Promise<{ page: Page; errors: string[] }> {
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
    return { page, errors };
  }

  it('a stale read: the failing operation marked, the conflicting write, the prefix, the run report\'s words', async () => {
    // Key y is fine; on key x, client 2 reads 1 after client 1's write of 2 completed.
    const history = join(OUT, 'stale.jsonl');
    writeFileSync(
      history,
      jsonl([
        { client: 0, op: 'write', key: 'x', call: 0, return: 10, status: 'ok', input: { value: 1 } },
        { client: 3, op: 'write', key: 'y', call: 2, return: 8, status: 'ok', input: { value: 7 } },
        { client: 1, op: 'write', key: 'x', call: 12, return: 20, status: 'ok', input: { value: 2 } },
        { client: 3, op: 'read', key: 'y', call: 12, return: 14, status: 'ok', output: { value: 7 } },
        { client: 4, op: 'write', key: 'y', call: 15, status: 'unknown', input: { value: 7 }, return: null },
        { client: 2, op: 'read', key: 'x', call: 25, return: 30, status: 'ok', output: { value: 1 } },
      ]),
    );
    const r = check(history, 'register', join(OUT, 'stale'));
    expect(r.code).toBe(1);
    const file = join(OUT, 'stale', 'check.html');
    expect(r.out.at(-2)).toBe(`page: ${file}`);
    const { page, errors } = await open(file);
    expect(await page.locator('h1 .verdict').textContent()).toBe('fail');
    expect(await page.locator('#partitions tr[data-key="x"] .verdict').textContent()).toBe('fail');
    expect(await page.locator('#partitions tr[data-key="y"] .verdict').textContent()).toBe('pass');
    const x = page.locator('section.partition[data-key="x"]');
    // The read of 1 (line 6, op 5) cannot be placed; the write of 2 (op 2) is the one it conflicts with.
    const failed = x.locator('rect.op.mark-failed');
    expect(await failed.count()).toBe(1);
    expect(await failed.getAttribute('data-op')).toBe('5');
    expect(await failed.locator('title').textContent()).toContain('cannot be placed after the prefix');
    expect(await x.locator('rect.op.mark-related').evaluateAll((rs) => rs.map((e) => e.getAttribute('data-op')))).toEqual(['2']);
    // The prefix: write 1, then write 2, numbered in their order.
    expect(await x.locator('rect.op.in-prefix').evaluateAll((rs) => rs.map((e) => `${e.getAttribute('data-op')}#${e.getAttribute('data-place')}`))).toEqual(['0#1', '2#2']);
    // Key y is linearizable; its unknown write runs on with a dotted tail.
    const y = page.locator('section.partition[data-key="y"]');
    expect(await y.locator('.verdict').textContent()).toBe('pass');
    expect(await y.locator('line.unknown-tail').count()).toBe(1);
    expect(await y.locator('rect.op.mark-failed').count()).toBe(0);
    // The run report's wording, with the file's own times.
    const explanation = (await x.locator('.explanation').textContent()) ?? '';
    expect(explanation).toBe('Read of x by c2 returned 1 at t=30 (it began at t=25),but write x=2 by c1 completed at t=20, before the read began,and no write of 1 happened after it: the read is stale.');
    expect(await x.locator('.violation li').first().textContent()).toMatch(/^The violating operation: c2 read x → 1 \(op 5, t=25 – t=30\)$/);
    expect(await x.locator('.violation').textContent()).toContain('The longest linearizable prefix has 2 operations');
    expect(await page.locator('#reproduce').textContent()).toBe(`npx raftsim check ${history} --model register`);
    expect((await page.locator('svg#lanes-0').boundingBox())?.width).toBeGreaterThan(600);
    // No script at all, and a policy that allows none.
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).toContain("script-src 'none'");
    await page.screenshot({ path: join(OUT, 'stale.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('hostile keys and values stay text', async () => {
    const p = (i: number): string => PAYLOADS[i % PAYLOADS.length] as string;
    const lines: Line[] = [];
    for (let k = 0; k < PAYLOADS.length; k++) {
      const key = p(k);
      lines.push({ client: 0, op: 'put', key, call: 10 * k, return: 10 * k + 3, status: 'ok', input: { value: p(k + 1) } });
      lines.push({ client: 1, op: 'put', key, call: 10 * k + 4, return: 10 * k + 5, status: 'ok', input: { value: p(k + 2) } });
      lines.push({ client: 2, op: 'get', key, call: 10 * k + 6, return: 10 * k + 8, status: 'ok', output: { value: p(k + 1) } });
    }
    const history = join(OUT, 'hostile.jsonl');
    writeFileSync(history, jsonl(lines));
    const r = check(history, 'kv', join(OUT, 'hostile'));
    expect(r.code).toBe(1);
    const file = join(OUT, 'hostile', 'check.html');
    const html = readFileSync(file, 'utf8');
    for (const payload of PAYLOADS) expect(html).not.toContain(payload);
    const { page, errors } = await open(file);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.locator('section.partition').count()).toBe(PAYLOADS.length);
    expect(await page.locator('rect.op.mark-failed').count()).toBe(PAYLOADS.length);
    // The payloads are shown as text: the key of each section, literally.
    const keys = await page.locator('section.partition').evaluateAll((ss) => ss.map((s) => s.getAttribute('data-key')));
    expect([...keys].sort()).toEqual([...PAYLOADS].sort());
    expect(await page.locator('iframe, img, section.partition svg svg').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});
