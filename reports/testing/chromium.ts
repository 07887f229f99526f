/**
 * A headless Chromium for the browser tests, found without any system package.
 *
 * Debian's Chromium (`/usr/bin/chromium`) is used when the machine has it. Otherwise the Linux x64
 * build that the npm package `@sparticuz/chromium` ships inside itself (a dev dependency, so
 * `npm ci` brings it and nothing is downloaded) is unpacked once into the temporary folder and
 * used. `RAFTSIM_CHROMIUM=/path/to/chrome` names another browser.
 *
 * Several test files may start a browser at once, each in its own worker process: the unpacking
 * is serialised with a lock folder (mkdir is atomic), so no process launches a half-written binary.
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type LaunchOptions } from 'playwright-core';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/**
 * Flags for a headless run on a machine with no network beyond loopback: without the
 * background-networking flags Chromium keeps trying to reach Google's hosts.
 */
const COMMON_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'];

/**
 * What the packaged build needs beyond those (it is built for AWS Lambda): no zygote process, and
 * software GL through SwiftShader. Unlike the package's own `args`, the web-security and
 * site-isolation switches stay on, so the reports' content-security-policy tests mean the same
 * with either browser.
 */
const PACKAGED_ARGS = ['--no-zygote', '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--font-render-hinting=none'];

export interface ChromiumBinary {
  readonly executablePath: string;
  readonly args: readonly string[];
  /** Where it came from, for messages: `system`, `npm` or `env`. */
  readonly source: 'system' | 'npm' | 'env';
}

/** Finds (and on first use unpacks) the browser to drive. */
export async function findChromium(): Promise<ChromiumBinary> {
  const named = process.env.RAFTSIM_CHROMIUM;
  if (named !== undefined && named !== '') {
    if (!existsSync(named)) throw new Error(`RAFTSIM_CHROMIUM=${named}: no such file`);
    return { executablePath: named, args: COMMON_ARGS, source: 'env' };
  }
  if (existsSync(SYSTEM_CHROMIUM)) return { executablePath: SYSTEM_CHROMIUM, args: COMMON_ARGS, source: 'system' };
  return { executablePath: await unpackPackagedChromium(), args: [...COMMON_ARGS, ...PACKAGED_ARGS], source: 'npm' };
}

async function unpackPackagedChromium(): Promise<string> {
  const lock = join(tmpdir(), 'raftsim-chromium-unpack.lock');
  for (let waited = 0; ; waited += 100) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock older than two minutes belongs to a process that died while unpacking.
      if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      if (waited > 180_000) throw new Error(`chromium: ${lock} is held for over 3 minutes; remove it if no test is running`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    const packaged = (await import('@sparticuz/chromium')).default;
    return await packaged.executablePath();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** A persistent browser context (its own fresh profile folder), as the browser tests use. */
export async function launchChromiumContext(userDataDir: string, options: { viewport?: { width: number; height: number } } = {}): Promise<BrowserContext> {
  const binary = await findChromium();
  return chromium.launchPersistentContext(userDataDir, { executablePath: binary.executablePath, headless: true, args: [...binary.args], viewport: options.viewport ?? null });
}

/** A browser without a persistent profile. */
export async function launchChromium(options: Pick<LaunchOptions, 'timeout'> = {}) {
  const binary = await findChromium();
  return chromium.launch({ executablePath: binary.executablePath, headless: true, args: [...binary.args], ...options });
}
