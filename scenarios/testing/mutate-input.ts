/**
 * A test kit for bad input: fast-check arbitraries that take a valid JSON document (a scenario
 * file, a history line) and damage it the way people and tools do — a wrong type, a number out of
 * range or too large to read exactly, a member duplicated, a field unknown or missing, the text
 * cut short. Used by scenarios/bad-input.test.ts; nothing here reads files.
 */
import fc from 'fast-check';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Values that are wrong for most fields: other types, numbers outside any range, huge strings. */
const BAD_VALUES: readonly Json[] = [
  null, true, 'x', '', [], {}, [1, 1], -5, -1, 0, 0.5, 1.5, 1e-300, 1e308, -1e308, 2 ** 53, 3_600_001, 'leader', 'all', 'rest',
  'y'.repeat(20_000),
];

/** Paths to every value in `doc` (objects and lists included), as keys and indexes. */
export function pathsOf(doc: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (prefix.length > 0) out.push(prefix);
  if (Array.isArray(doc)) doc.forEach((v, i) => pathsOf(v, [...prefix, i], out));
  else if (doc !== null && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) pathsOf(v, [...prefix, k], out);
  return out;
}

function edit(doc: Json, path: readonly (string | number)[], f: (parent: Json[] | Record<string, Json>, key: string | number) => void): Json {
  const copy = structuredClone(doc);
  let node = copy as Json;
  for (const k of path.slice(0, -1)) node = (node as Record<string | number, Json>)[k] as Json;
  f(node as Json[] | Record<string, Json>, path[path.length - 1] as string | number);
  return copy;
}

export type Mutation =
  | { readonly kind: 'replace'; readonly path: (string | number)[]; readonly value: Json }
  | { readonly kind: 'delete'; readonly path: (string | number)[] }
  | { readonly kind: 'unknown-field'; readonly path: (string | number)[] }
  | { readonly kind: 'duplicate'; readonly path: (string | number)[] }
  | { readonly kind: 'inexact-integer'; readonly path: (string | number)[] }
  | { readonly kind: 'truncate'; readonly at: number };

/** One mutation of `doc`, and the text it gives (JSON, possibly not parsing at all). */
export function mutatedText(doc: Json): fc.Arbitrary<{ mutation: Mutation; text: string }> {
  const paths = pathsOf(doc);
  const full = JSON.stringify(doc, null, 1);
  const path = fc.constantFrom(...paths);
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('replace' as const), path, value: fc.constantFrom(...BAD_VALUES) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), path }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('unknown-field' as const), path: fc.constantFrom([] as (string | number)[], ...paths) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), path }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('inexact-integer' as const), path }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat({ max: full.length - 1 }) }) },
  );
  return mutation.map((m) => ({ mutation: m, text: apply(doc, m, full) }));
}

const INEXACT = '9007199254740993';

function apply(doc: Json, m: Mutation, full: string): string {
  switch (m.kind) {
    case 'truncate':
      return full.slice(0, m.at);
    case 'replace':
      return JSON.stringify(edit(doc, m.path, (p, k) => ((p as Record<string | number, Json>)[k] = m.value)), null, 1);
    case 'delete':
      return JSON.stringify(edit(doc, m.path, (p, k) => (Array.isArray(p) ? p.splice(k as number, 1) : delete p[k as string])), null, 1);
    case 'unknown-field': {
      const target = m.path.length === 0 ? doc : (m.path.reduce<Json>((n, k) => (n as Record<string | number, Json>)[k] as Json, doc));
      if (target === null || typeof target !== 'object' || Array.isArray(target)) return JSON.stringify({ ...(doc as object), surplus: 1 }, null, 1);
      if (m.path.length === 0) return JSON.stringify({ ...(doc as object), surplus: 1 }, null, 1);
      return JSON.stringify(edit(doc, m.path, (p, k) => ((p as Record<string | number, Json>)[k] = { ...(target as object), surplus: 1 })), null, 1);
    }
    case 'duplicate':
      return JSON.stringify(
        edit(doc, m.path, (p, k) => {
          if (Array.isArray(p)) p.splice(k as number, 0, structuredClone(p[k as number] as Json));
          else p[k as string] = [p[k as string] as Json, p[k as string] as Json];
        }),
        null,
        1,
      );
    case 'inexact-integer': {
      // A number JSON.parse rounds: written into the text after stringifying.
      const marked = JSON.stringify(edit(doc, m.path, (p, k) => ((p as Record<string | number, Json>)[k] = '@@INEXACT@@')), null, 1);
      return marked.replace('"@@INEXACT@@"', INEXACT);
    }
  }
}
