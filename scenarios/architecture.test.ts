/**
 * Holds the architecture in place:
 * 1. Nothing under sim/, raft/, kv/, scenarios/ reads the real world (the CLI files excepted):
 *    no Math.random, Date, timers, performance.now, process.hrtime, crypto randomness,
 *    process.env or node:fs. Under sim/, raft/, kv/ also no async/await, Promise, microtasks.
 * 2. Imports point one way, sim ← raft ← kv ← record ← scenarios → reports (→ playground, which may
 *    import every layer and which none imports): sim imports only sim; raft imports sim and raft;
 *    kv imports sim, raft and kv; record (the run record's types) imports sim; scenarios imports
 *    anything below the playground; reports imports runtime code only from reports, and only types
 *    (`import type`) from sim, raft, kv and record — never from scenarios, so no arrow runs back up.
 * 2b. Test kits stay apart: outside a `testing/` folder, no production file imports one or
 *    imports fast-check (kv/conformance, itself a test harness against a real etcd, drives the
 *    server through kv/testing's one-member raft stand-in).
 * 3. The raft core is a pure state machine: its files import raft/core, sim/assert and the
 *    Random type, and no package — test support (fast-check schedules, in-memory clusters,
 *    script harnesses) lives in raft/testing.
 * Sources are scanned with comments and string contents blanked out, so a doc comment that
 * says "no Math.random" is not a violation, while `${Date.now()}` inside a template is.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LAYERS = ['sim', 'raft', 'kv', 'record', 'scenarios', 'reports', 'playground'] as const;
type Layer = (typeof LAYERS)[number];

/** Layers each layer may import at runtime. */
const RUNTIME_IMPORTS: Record<Layer, readonly Layer[]> = {
  sim: ['sim'],
  raft: ['sim', 'raft'],
  kv: ['sim', 'raft', 'kv'],
  record: ['sim', 'record'],
  scenarios: ['sim', 'raft', 'kv', 'record', 'scenarios', 'reports'],
  reports: ['reports'],
  // The playground runs the real thing in a browser: it may import every layer; none imports it.
  playground: ['sim', 'raft', 'kv', 'record', 'scenarios', 'reports', 'playground'],
};
/** Layers each layer may import types from. */
const TYPE_IMPORTS: Record<Layer, readonly Layer[]> = {
  ...RUNTIME_IMPORTS,
  record: ['sim', 'raft', 'kv', 'record'],
  reports: ['sim', 'raft', 'kv', 'record', 'reports'],
};

const REAL_WORLD: readonly [RegExp, string][] = [
  [/\bMath\s*\.\s*random\b/, 'Math.random'],
  [/\bDate\b/, 'Date'],
  [/\b(setTimeout|setInterval|setImmediate)\b/, 'real timers'],
  [/\bperformance\s*\.\s*now\b/, 'performance.now'],
  [/\bprocess\s*\.\s*hrtime\b/, 'process.hrtime'],
  [/\b(randomUUID|randomBytes|randomInt|randomFill|randomFillSync|getRandomValues)\b/, 'crypto randomness'],
  [/\bprocess\s*\.\s*env\b/, 'process.env'],
];
const ASYNC: readonly [RegExp, string][] = [
  [/\basync\b/, 'async'],
  [/\bawait\b/, 'await'],
  [/\bPromise\b/, 'Promise'],
  [/\bqueueMicrotask\b/, 'queueMicrotask'],
  [/\bprocess\s*\.\s*nextTick\b/, 'process.nextTick'],
];
const BANNED_MODULES = new Set(['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'perf_hooks', 'node:perf_hooks']);

interface Scanned {
  /** The source with comments and string contents blanked (same length, same lines). */
  readonly code: string;
  readonly imports: readonly { readonly spec: string; readonly typeOnly: boolean; readonly line: number }[];
}

/** Blanks comments and string contents (keeping template `${}` code), then finds the imports. */
function scan(src: string): Scanned {
  const strings: string[] = [];
  let out = '';
  let i = 0;
  const templates: number[] = []; // brace depth at each open `${`
  let depth = 0;
  const blank = (s: string): string => s.replace(/[^\n]/g, ' ');
  const readString = (q: string): void => {
    let j = i + 1;
    let value = '';
    while (j < src.length && src[j] !== q && src[j] !== '\n') {
      if (src[j] === '\\') j++;
      else value += src[j];
      j++;
    }
    strings.push(value);
    // Keep a marker of the same length: `'#<n>'` padded, so the import regex can find it.
    const marker = `#${strings.length - 1}`;
    const body = src.slice(i + 1, j);
    out += q + (marker.length <= body.length ? marker + ' '.repeat(body.length - marker.length) : blank(body)) + (src[j] ?? '');
    i = j + 1;
  };
  const readTemplate = (): void => {
    // From just after ` (or after a closing } of ${...}) to the closing ` or the next ${.
    let j = i;
    while (j < src.length && src[j] !== '`' && !(src[j] === '$' && src[j + 1] === '{')) j += src[j] === '\\' ? 2 : 1;
    out += blank(src.slice(i, j));
    if (src[j] === '`') {
      out += '`';
      i = j + 1;
    } else {
      out += '${';
      templates.push(depth);
      depth++;
      i = j + 2;
    }
  };
  const regexAllowed = (): boolean => {
    // What precedes a `/` decides regex or division; the last few characters are enough.
    const prev = out.slice(-32).trimEnd();
    return prev === '' || /[(,=:[!&|?{};+\-*%<>~^]$/.test(prev) || /\b(return|typeof|case|in|of)$/.test(prev);
  };
  while (i < src.length) {
    const c = src[i] as string;
    const n = src[i + 1];
    if (c === '/' && n === '/') {
      const j = src.indexOf('\n', i);
      const end = j < 0 ? src.length : j;
      out += blank(src.slice(i, end));
      i = end;
    } else if (c === '/' && n === '*') {
      const j = src.indexOf('*/', i + 2);
      const end = j < 0 ? src.length : j + 2;
      out += blank(src.slice(i, end));
      i = end;
    } else if (c === "'" || c === '"') {
      readString(c);
    } else if (c === '`') {
      out += '`';
      i++;
      readTemplate();
    } else if (c === '/' && regexAllowed()) {
      let j = i + 1;
      let cls = false;
      while (j < src.length && src[j] !== '\n' && (cls || src[j] !== '/')) {
        if (src[j] === '\\') j++;
        else if (src[j] === '[') cls = true;
        else if (src[j] === ']') cls = false;
        j++;
      }
      out += '/' + blank(src.slice(i + 1, j)) + '/';
      i = j + 1;
    } else if (c === '{') {
      depth++;
      out += c;
      i++;
    } else if (c === '}') {
      depth--;
      out += c;
      i++;
      if (templates.length > 0 && templates[templates.length - 1] === depth) {
        templates.pop();
        readTemplate();
      }
    } else {
      out += c;
      i++;
    }
  }
  return { code: out, imports: findImports(out, strings) };
}

function findImports(code: string, strings: readonly string[]): Scanned['imports'] {
  const found: { spec: string; typeOnly: boolean; line: number }[] = [];
  const lineOf = (at: number): number => code.slice(0, at).split('\n').length;
  const spec = (marker: string): string => strings[Number(marker)] ?? '';
  // import x from '…' | import type {…} from '…' | export {…} from '…' | export type {…} from '…' | import '…'
  const staticRe = /\b(import|export)\s+(type\s+)?(?:[\w*$\s{},]*?\s+from\s*)?['"]#(\d+)\s*['"]/g;
  for (const m of code.matchAll(staticRe)) found.push({ spec: spec(m[3] as string), typeOnly: m[2] !== undefined, line: lineOf(m.index) });
  for (const m of code.matchAll(/\bimport\s*\(\s*['"]#(\d+)\s*['"]/g)) found.push({ spec: spec(m[1] as string), typeOnly: false, line: lineOf(m.index) });
  return found;
}

interface Violation {
  readonly file: string;
  readonly line: number;
  readonly what: string;
}

function layerOf(repoPath: string): Layer | null {
  const top = repoPath.split('/')[0];
  return (LAYERS as readonly string[]).includes(top ?? '') ? (top as Layer) : null;
}

/** Files exempt from the real-world ban: the CLI touches files, env and the clock on purpose; so do the playground's page (the browser edge: clock, frames) and its test kit (it times the page). */
function isCli(repoPath: string): boolean {
  return repoPath === 'scenarios/cli.ts' || repoPath.startsWith('scenarios/cli/') || repoPath.startsWith('playground/page/') || repoPath.startsWith('playground/testing/');
}

/** Every rule, applied to one file given by its repository path and source. */
function check(repoPath: string, src: string): Violation[] {
  const layer = layerOf(repoPath);
  if (layer === null) return [];
  const { code, imports } = scan(src);
  const violations: Violation[] = [];
  const lines = code.split('\n');
  const rules = layer === 'reports' || isCli(repoPath) ? [] : layer === 'scenarios' || layer === 'playground' ? REAL_WORLD : [...REAL_WORLD, ...ASYNC];
  lines.forEach((text, k) => {
    for (const [re, what] of rules) if (re.test(text)) violations.push({ file: repoPath, line: k + 1, what: `uses ${what}` });
  });
  for (const imp of imports) {
    if (!isCli(repoPath) && layer !== 'reports' && BANNED_MODULES.has(imp.spec)) violations.push({ file: repoPath, line: imp.line, what: `imports ${imp.spec}` });
    if (!imp.spec.startsWith('.')) continue;
    const target = relative(ROOT, resolve(ROOT, dirname(repoPath), imp.spec)).split('\\').join('/');
    const to = layerOf(target);
    // A test kit may drive the project's build scripts (bin/), as the tests themselves do.
    if (to === null && isTestKit(repoPath) && target.startsWith('bin/')) continue;
    const allowed = imp.typeOnly ? TYPE_IMPORTS[layer] : RUNTIME_IMPORTS[layer];
    if (to === null || !allowed.includes(to)) {
      violations.push({ file: repoPath, line: imp.line, what: `${layer} ${imp.typeOnly ? 'type-imports' : 'imports'} ${target} (${layer} may import ${allowed.join(', ')}${layer === 'reports' && !imp.typeOnly ? '; sim, raft, kv and record as `import type` only' : ''})` });
    }
  }
  violations.push(...checkCore(repoPath, imports));
  violations.push(...checkTestKits(repoPath, imports));
  return violations.sort((a, b) => a.line - b.line);
}

const isTestKit = (repoPath: string): boolean => repoPath.split('/').includes('testing');

/** Production code keeps test kits out: no import of a `testing/` folder or of fast-check outside one. */
function checkTestKits(repoPath: string, imports: Scanned['imports']): Violation[] {
  if (isTestKit(repoPath) || repoPath.startsWith('kv/conformance/')) return [];
  const out: Violation[] = [];
  for (const imp of imports) {
    const target = imp.spec.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(repoPath), imp.spec)).split('\\').join('/') : imp.spec;
    if (imp.spec === 'fast-check' || (imp.spec.startsWith('.') && isTestKit(target))) {
      out.push({ file: repoPath, line: imp.line, what: `production code imports the test kit ${target} (test support lives in a testing/ folder and only tests use it)` });
    }
  }
  return out;
}

/** What a raft/core file may import besides raft/core: sim/assert, and the Random type of sim/random. */
const CORE_RUNTIME_EXTRA = new Set(['sim/assert.ts']);
const CORE_TYPE_EXTRA = new Set(['sim/assert.ts', 'sim/random.ts']);

function checkCore(repoPath: string, imports: Scanned['imports']): Violation[] {
  if (!repoPath.startsWith('raft/core/')) return [];
  const out: Violation[] = [];
  for (const imp of imports) {
    const target = imp.spec.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(repoPath), imp.spec)).split('\\').join('/').replace(/\.js$/, '.ts') : null;
    const extra = imp.typeOnly ? CORE_TYPE_EXTRA : CORE_RUNTIME_EXTRA;
    if (target !== null && (target.startsWith('raft/core/') || extra.has(target))) continue;
    out.push({ file: repoPath, line: imp.line, what: `raft/core ${imp.typeOnly ? 'type-imports' : 'imports'} ${target ?? imp.spec} (the core imports raft/core, sim/assert and the Random type; test support lives in raft/testing)` });
  }
  return out;
}

/** Repository paths of the .ts sources under the layers (tests excluded). */
function sources(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(ROOT, dir)).sort()) {
      const path = `${dir}/${name}`;
      if (statSync(join(ROOT, path)).isDirectory()) {
        if (name !== 'node_modules' && name !== 'out') walk(path);
      } else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) {
        found.push(path);
      }
    }
  };
  for (const l of LAYERS) {
    try {
      if (statSync(join(ROOT, l)).isDirectory()) walk(l);
    } catch {
      // A layer not written yet has nothing to check.
    }
  }
  return found;
}

const render = (vs: readonly Violation[]): string[] => vs.map((v) => `${v.file}:${v.line} ${v.what}`);

describe('architecture', () => {
  it('the scanner sees through comments and strings, and into template expressions', () => {
    expect(render(check('sim/a.ts', `// Math.random is banned\n/* Date.now() */ const s = 'setTimeout(x)';\nconst t = \`\${Date.now()}\`;`))).toEqual(['sim/a.ts:3 uses Date']);
    expect(render(check('raft/b.ts', `const r = /"Math.random()/; const x = Math.random();`))).toEqual(['raft/b.ts:1 uses Math.random']);
    expect(render(check('kv/c.ts', `export async function f() { await g(); }\nconst e = process.env.X; performance.now(); process.hrtime.bigint();`))).toEqual(['kv/c.ts:1 uses async', 'kv/c.ts:1 uses await', 'kv/c.ts:2 uses performance.now', 'kv/c.ts:2 uses process.hrtime', 'kv/c.ts:2 uses process.env']);
    expect(render(check('sim/d.ts', `import { readFileSync } from 'node:fs';\nimport { randomUUID } from 'node:crypto';`))).toEqual(['sim/d.ts:1 imports node:fs', 'sim/d.ts:2 uses crypto randomness']);
    expect(check('scenarios/cli.ts', `import { readFileSync } from 'node:fs'; const t = Date.now(); setTimeout(() => {}, 1);`)).toEqual([]);
    expect(render(check('scenarios/runner.ts', `const t = Date.now(); async function ok() {}`))).toEqual(['scenarios/runner.ts:1 uses Date']);
  });

  it('the scanner classifies imports by layer and by type-only', () => {
    const src = [
      `import { createTrace } from '../sim/trace.js';`,
      `import type { Message } from '../raft/core/messages.js';`,
      `import { type Entry } from '../raft/core/types.js';`,
      `export { x } from '../kv/api.js';`,
      `export type { Op } from '../sim/history.js';`,
      `const m = await import('./timeline.js');`,
      `import '../scenarios/runner.js';`,
    ].join('\n');
    expect(render(check('reports/render.ts', src))).toEqual([
      'reports/render.ts:1 reports imports sim/trace.js (reports may import reports; sim, raft, kv and record as `import type` only)',
      'reports/render.ts:3 reports imports raft/core/types.js (reports may import reports; sim, raft, kv and record as `import type` only)',
      'reports/render.ts:4 reports imports kv/api.js (reports may import reports; sim, raft, kv and record as `import type` only)',
      'reports/render.ts:7 reports imports scenarios/runner.js (reports may import reports; sim, raft, kv and record as `import type` only)',
    ]);
    // The run record's types sit below both scenarios and reports: reads of scenarios' types run back up.
    expect(check('reports/run-view.ts', `import type { RunRecord } from '../record/run-record.js';`)).toEqual([]);
    expect(render(check('reports/run-view.ts', `import type { Scenario } from '../scenarios/schema.js';`))[0]).toMatch(/^reports\/run-view.ts:1 reports type-imports scenarios\/schema.js/);
    expect(render(check('record/run-record.ts', `import type { X } from '../scenarios/runner.js';`))[0]).toMatch(/^record\/run-record.ts:1 record type-imports scenarios/);
    expect(render(check('sim/net.ts', `import type { Node } from '../raft/node/node.js';\nimport { x } from './y.js';\nimport { B } from '../bench/run.js';`))).toEqual([
      'sim/net.ts:1 sim type-imports raft/node/node.js (sim may import sim)',
      'sim/net.ts:3 sim imports bench/run.js (sim may import sim)',
    ]);
    expect(check('raft/core/raft.ts', `import { assert } from '../../sim/assert.js';\nimport { log } from './log.js';`)).toEqual([]);
    expect(render(check('kv/server.ts', `import { run } from '../scenarios/runner.js';`))).toEqual(['kv/server.ts:1 kv imports scenarios/runner.js (kv may import sim, raft, kv)']);
    expect(check('scenarios/runner.ts', `import { render } from '../reports/html.js';\nimport { store } from '../kv/mvcc/store.js';`)).toEqual([]);
    // The playground imports the run itself; nothing imports the playground; outside its page it reads no clock.
    expect(check('playground/session.ts', `import { startRun } from '../scenarios/runner.js';\nimport { x } from '../sim/trace.js';`)).toEqual([]);
    expect(render(check('scenarios/runner.ts', `import { Playground } from '../playground/session.js';`))).toEqual(['scenarios/runner.ts:1 scenarios imports playground/session.js (scenarios may import sim, raft, kv, record, scenarios, reports)']);
    expect(render(check('reports/index-page.ts', `import { LESSONS } from '../playground/lessons.js';`))[0]).toMatch(/^reports\/index-page.ts:1 reports imports playground\/lessons.js/);
    expect(render(check('playground/narrate.ts', `const t = Date.now();`))).toEqual(['playground/narrate.ts:1 uses Date']);
    expect(check('playground/page/main.ts', `const t = performance.now();`)).toEqual([]);
  });

  it('the raft core imports only itself, sim/assert and the Random type', () => {
    const ok = [`import { assert } from '../../sim/assert.js';`, `import type { Random } from '../../sim/random.js';`, `import { RawNode } from './raw-node.js';`].join('\n');
    expect(check('raft/core/x.ts', ok)).toEqual([]);
    const bad = [`import fc from 'fast-check';`, `import { createRandom } from '../../sim/random.js';`, `import { MemoryCluster } from '../testing/memory-cluster.js';`, `import type { Trace } from '../../sim/trace.js';`].join('\n');
    expect(render(check('raft/core/y.ts', bad).filter((v) => !v.what.startsWith('production code'))).map((v) => v.replace(/ \(the core.*$/, ''))).toEqual([
      'raft/core/y.ts:1 raft/core imports fast-check',
      'raft/core/y.ts:2 raft/core imports sim/random.ts',
      'raft/core/y.ts:3 raft/core imports raft/testing/memory-cluster.ts',
      'raft/core/y.ts:4 raft/core type-imports sim/trace.ts',
    ]);
    expect(check('raft/testing/z.ts', bad)).toEqual([]);
  });

  it('production code imports no test kit', () => {
    expect(render(check('kv/server/server.ts', `import { x } from '../testing/fake-raft-node.js';\nimport fc from 'fast-check';`)).map((v) => v.replace(/ \(test support.*$/, ''))).toEqual([
      'kv/server/server.ts:1 production code imports the test kit kv/testing/fake-raft-node.js',
      'kv/server/server.ts:2 production code imports the test kit fast-check',
    ]);
    expect(check('kv/testing/cluster-harness.ts', `import { x } from './fake-raft-node.js';\nimport fc from 'fast-check';`)).toEqual([]);
  });

  it('nothing under sim/, raft/, kv/, scenarios/ reads the real world, and imports point one way', () => {
    const files = sources();
    expect(files.filter((f) => f.startsWith('sim/')).length).toBeGreaterThan(8);
    const violations = files.flatMap((f) => check(f, readFileSync(join(ROOT, f), 'utf8')));
    expect(render(violations)).toEqual([]);
  });
});
