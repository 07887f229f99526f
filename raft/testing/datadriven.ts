/**
 * Data-driven script files (the format of cockroachdb/datadriven, as etcd-io/raft uses it):
 *
 *   # comments and blank lines are kept as they are
 *   command arg key=value key=(a,b)
 *   optional input lines
 *   ----
 *   expected output, up to the next blank line
 *
 * `parseScript` splits a file into text and blocks; `renderScript` puts it back together with new
 * outputs, which is how `UPDATE=1` rewrites expected output.
 */
import { assert } from '../../sim/assert.js';

export interface CmdArg {
  readonly key: string;
  /** Values of `key=v` or `key=(v1,v2)`; empty for a bare word. */
  readonly vals: readonly string[];
}

export interface Block {
  /** 1-based line of the command, for failure messages. */
  readonly line: number;
  readonly command: string;
  readonly args: readonly CmdArg[];
  /** Lines between the command and `----`. */
  readonly input: readonly string[];
  /** The command line as written, kept verbatim on rewrite. */
  readonly raw: string;
  /** The expected output as written in the file. */
  readonly expected: string;
}

export type Segment = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'block'; readonly block: Block };

/** A bound on the lines of one script, so a malformed file cannot make the parser run long. */
const LINES_MAX = 100_000;

export function parseScript(source: string): Segment[] {
  const lines = source.split('\n');
  assert(lines.length <= LINES_MAX, 'datadriven: script too long');
  const out: Segment[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (line.trim() === '' || line.startsWith('#')) {
      out.push({ kind: 'text', text: line });
      i++;
      continue;
    }
    const start = i;
    const header: string[] = [];
    while (i < lines.length && lines[i] !== '----') header.push(lines[i++] as string);
    assert(i < lines.length, () => `datadriven: line ${start + 1}: command without ----`);
    i++;
    const expected: string[] = [];
    while (i < lines.length && (lines[i] as string) !== '') expected.push(lines[i++] as string);
    const [cmdLine, ...input] = header;
    const { command, args } = parseCommand(cmdLine as string);
    out.push({ kind: 'block', block: { line: start + 1, command, args, input, raw: cmdLine as string, expected: expected.join('\n') } });
  }
  return out;
}

/** One command line: the command and its arguments (also used for the extra commands of a block). */
export function parseCommand(line: string): { command: string; args: CmdArg[] } {
  const tokens = tokenize(line);
  const [command, ...rest] = tokens;
  assert(command !== undefined, 'datadriven: empty command');
  return { command, args: rest.map(parseArg) };
}

/** Splits on spaces outside parentheses. */
function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (const ch of line) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ' ' && depth === 0) {
      if (cur !== '') out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur !== '') out.push(cur);
  return out;
}

function parseArg(token: string): CmdArg {
  const eq = token.indexOf('=');
  if (eq < 0) return { key: token, vals: [] };
  const key = token.slice(0, eq);
  const v = token.slice(eq + 1);
  if (v.startsWith('(') && v.endsWith(')')) {
    const inner = v.slice(1, -1).trim();
    return { key, vals: inner === '' ? [] : inner.split(',').map((s) => s.trim()) };
  }
  return { key, vals: [v] };
}

/** The file again, with each block's output replaced by `outputs[k]` (k-th block). */
export function renderScript(segments: readonly Segment[], outputs: readonly string[]): string {
  const lines: string[] = [];
  let k = 0;
  for (const s of segments) {
    if (s.kind === 'text') {
      lines.push(s.text);
      continue;
    }
    const b = s.block;
    lines.push(b.raw, ...b.input, '----');
    const out = outputs[k++];
    assert(out !== undefined, 'datadriven: missing output');
    lines.push(out);
    // A block ends at a blank line; add one unless the file's own text provides it.
    const next = segments[segments.indexOf(s) + 1];
    if (next !== undefined && !(next.kind === 'text' && next.text.trim() === '')) lines.push('');
  }
  return lines.join('\n');
}
