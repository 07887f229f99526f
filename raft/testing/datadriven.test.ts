/** The script format round-trips: rewriting with the same outputs gives the same file. */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseScript, renderScript } from './datadriven.js';

describe('datadriven', () => {
  it('parses commands, key=value and key=(a,b) arguments, input lines and outputs', () => {
    const segs = parseScript('# c\n\nadd-nodes 3 voters=(1,2,3) index=10\n----\nok\n\npropose-conf-change 1 v1=true\nv4\n----\nline 1\nline 2\n');
    const blocks = segs.flatMap((s) => (s.kind === 'block' ? [s.block] : []));
    expect(blocks[0]).toMatchObject({ command: 'add-nodes', args: [{ key: '3', vals: [] }, { key: 'voters', vals: ['1', '2', '3'] }, { key: 'index', vals: ['10'] }], expected: 'ok' });
    expect(blocks[1]).toMatchObject({ command: 'propose-conf-change', input: ['v4'], expected: 'line 1\nline 2', line: 7 });
  });

  it('renders every testdata script back byte for byte', () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'core', 'testdata');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.txt'))) {
      const src = readFileSync(join(dir, f), 'utf8');
      const segs = parseScript(src);
      const outs = segs.flatMap((s) => (s.kind === 'block' ? [s.block.expected] : []));
      expect(renderScript(segs, outs)).toBe(src);
    }
  });
});
