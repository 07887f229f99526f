/**
 * Escaping: everything a record holds (keys, values, labels, messages, the scenario's own name)
 * was written by someone else, so every string reaches the page through one of these two doors.
 *
 * - `escapeHtml` for text and attribute values (all five HTML-significant characters, so the same
 *   function is safe in both places when attributes are double-quoted).
 * - `jsonForScript` for data embedded in `<script type="application/json">`: JSON.stringify, then
 *   `<`, `>`, `&`, U+2028 and U+2029 as `\uXXXX` escapes. The result is still exactly the same JSON
 *   value, but it can no longer contain `</script`, `<!--` or a line separator, so no history value
 *   can close the script element or start a comment inside it.
 */
import { assert } from './invariant.js';

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

const SCRIPT_ESCAPES: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** `value` as JSON that is safe inside a `<script>` element, and parses back to the same value. */
export function jsonForScript(value: unknown): string {
  const json = JSON.stringify(value);
  assert(typeof json === 'string', 'jsonForScript: value has no JSON form');
  return json.replace(/[<>&\u2028\u2029]/g, (c) => SCRIPT_ESCAPES[c] ?? c);
}

/** Escapes `line`, and shows its `backtick-quoted` parts as code (explanations quote keys and writes so). */
export function withInlineCode(line: string): string {
  const parts = line.split('`');
  if (parts.length % 2 === 0) return escapeHtml(line); // unbalanced: show the backticks as they are
  return parts.map((p, i) => (i % 2 === 1 ? `<code>${escapeHtml(p)}</code>` : escapeHtml(p))).join('');
}

/** A link target only if it is a plain relative path (no scheme, no `..`, not absolute): data cannot smuggle in a `javascript:` URL. */
export function safeHref(href: string | null): string | null {
  if (href === null || !/^[A-Za-z0-9._/-]+$/.test(href) || href.includes('..') || href.startsWith('/')) return null;
  return href;
}
