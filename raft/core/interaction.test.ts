/**
 * Runs every script in raft/core/testdata/*.txt through the interaction environment and compares
 * each command's output with the expected output in the file. `UPDATE=1 npx vitest run raft/core`
 * rewrites the expected outputs instead (review the diff: expected outputs were checked against
 * etcd-io/raft's testdata by hand and must stay faithful).
 *
 * Tests may read files; the simulated path never does.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../sim/random.js';
import { parseScript, renderScript } from '../testing/datadriven.js';
import { InteractionEnv } from '../testing/interaction-env.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const update = process.env['UPDATE'] === '1';

describe('interaction scripts (testdata/*.txt)', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();
  it('finds the scripts', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  for (const file of files) {
    it(file, () => {
      const path = join(dir, file);
      const segments = parseScript(readFileSync(path, 'utf8'));
      const root = createRandom(`interaction/${file}`);
      const env = new InteractionEnv({ randomFor: (id) => root.fork(`raft/n${id}/election`) });
      const outputs: string[] = [];
      const mismatches: string[] = [];
      for (const s of segments) {
        if (s.kind !== 'block') continue;
        const actual = env.run(s.block.command, s.block.args, s.block.input);
        outputs.push(actual);
        if (actual !== s.block.expected) mismatches.push(`${file}:${s.block.line}: ${s.block.raw}\n--- expected\n${s.block.expected}\n--- actual\n${actual}`);
      }
      if (update) {
        writeFileSync(path, renderScript(segments, outputs));
        return;
      }
      expect(mismatches.slice(0, 1).join('\n')).toBe('');
    });
  }
});
