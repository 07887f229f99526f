/**
 * From what a user (or a built-in) wrote to the scenario a run uses: defaults merged in, `--set`
 * overrides applied in order, the result validated — the shape with zod, then the rules that
 * span fields (a fault naming member 7 of a 3-member cluster, a lease read without CheckQuorum).
 *
 * Bad input is an expected outcome here, so it comes back as a value: one line naming the source
 * and the field path, ready for the CLI to print and exit 2.
 */
import type { z } from 'zod';
import { inputErrorMap } from '../sim/input-issue.js';
import { describeValue } from '../sim/json-text.js';
import { formatInputIssue, type InputIssue } from './errors.js';
import { crashPointsFor } from './crash-points.js';
import { bugIdProblem } from './bugs.js';
import { pinnedMix, SCENARIO_DEFAULTS, scenarioSchema, type Fault, type NodeRef, type PinnedClientOptions, type Scenario } from './schema.js';

/** A failure carries its message as one line (`error`) and in parts (`issue`, for `--json`). */
export type Resolved = { readonly ok: true; readonly scenario: Scenario } | { readonly ok: false; readonly error: string; readonly issue: InputIssue };

function failed(issue: InputIssue): Resolved {
  return { ok: false, error: formatInputIssue(issue), issue };
}

export interface ResolveOptions {
  /** Where the input came from, for messages: a file path or `builtin:<name>`. */
  readonly source: string;
  /** `path=value` strings, applied in order after the defaults. */
  readonly overrides?: readonly string[];
  /** The crash point names a `crash-point` fault may use. Default: crashPointsFor(the scenario) (the storage ones need server.backend). */
  readonly crashPoints?: readonly string[];
}

/** Deepest object nesting accepted in a scenario (a bound on the merge's recursion). */
const DEPTH_MAX = 16;

export function resolveScenario(input: unknown, options: ResolveOptions): Resolved {
  if (!isPlainObject(input)) return failed({ file: options.source, message: `expected a JSON object at the top level, got ${describeValue(input)}` });
  let merged = mergeDefaults(SCENARIO_DEFAULTS, input, 0);
  for (const o of options.overrides ?? []) {
    const applied = applyOverride(merged, o);
    if (!applied.ok) return failed({ file: `--set ${o}`, message: applied.error });
    merged = applied.value;
  }
  // An error after an override may come from the file or from the override: name both.
  const base = { file: options.source, ...(options.overrides !== undefined && options.overrides.length > 0 ? { withSet: true } : {}) };
  const parsed = scenarioSchema.safeParse(merged, { error: inputErrorMap });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return failed({ ...base, path: issue === undefined ? '' : formatPath(issue.path), message: issue?.message ?? 'invalid scenario' });
  }
  const rule = checkRules(parsed.data, options.crashPoints ?? crashPointsFor(parsed.data));
  if (rule !== null) {
    const colon = rule.indexOf(': ');
    return failed({ ...base, path: rule.slice(0, colon), message: rule.slice(colon + 2) });
  }
  return { ok: true, scenario: parsed.data };
}

/** `faults[2].at: expected a time ≥ 0 in milliseconds, got -5`: one zod issue as one line (made with `inputErrorMap`). */
export function formatIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return 'invalid input';
  const path = formatPath(issue.path);
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

/**
 * Input over defaults: objects merge key by key, anything else (arrays included) replaces — and so
 * does an object of another `kind` (a latency model: `fixed` over `log-normal` keeps none of its fields).
 */
function mergeDefaults(base: unknown, over: unknown, depth: number): unknown {
  if (depth > DEPTH_MAX || !isPlainObject(base) || !isPlainObject(over)) return over;
  if ('kind' in over && over.kind !== base.kind) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? mergeDefaults(base[k], v, depth + 1) : v;
  return out;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/**
 * Parses `path=value`: the path is dotted with optional `[i]` indexes (`faults[0].at`,
 * `cluster.size`); the value is JSON when it parses as JSON, else the raw string
 * (`readMode=lease` sets the string "lease").
 */
export function parseOverride(text: string): Result<{ path: (string | number)[]; value: unknown }> {
  const eq = text.indexOf('=');
  if (eq <= 0) return { ok: false, error: 'expected path=value' };
  const path = parsePath(text.slice(0, eq));
  if (path === null) return { ok: false, error: `bad field path ${JSON.stringify(text.slice(0, eq))}` };
  const raw = text.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // Not JSON: the value is the string as written.
  }
  return { ok: true, value: { path, value } };
}

function parsePath(s: string): (string | number)[] | null {
  const out: (string | number)[] = [];
  for (const part of s.split('.')) {
    const m = /^([A-Za-z_][\w-]*)?((?:\[\d+\])*)$/.exec(part);
    if (m === null || (m[1] === undefined && m[2] === '')) {
      if (/^\d+$/.test(part)) {
        out.push(Number(part));
        continue;
      }
      return null;
    }
    if (m[1] !== undefined) out.push(m[1]);
    for (const idx of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out.length === 0 || out.length > DEPTH_MAX ? null : out;
}

/** Sets one field in a copy of `root`; the parents must exist (an index may append at the end). */
export function applyOverride(root: unknown, text: string): Result<unknown> {
  const parsed = parseOverride(text);
  if (!parsed.ok) return parsed;
  const { path, value } = parsed.value;
  return setAt(root, path, value, 0);
}

function setAt(node: unknown, path: readonly (string | number)[], value: unknown, i: number): Result<unknown> {
  // An object merges into the object it replaces, as a file's does into the defaults:
  // `--set workload.mix={"get":1}` changes one weight and keeps the others.
  if (i === path.length) return { ok: true, value: mergeDefaults(node, value, i) };
  const key = path[i] as string | number;
  const here = formatPath(path.slice(0, i + 1));
  if (typeof key === 'number') {
    if (!Array.isArray(node)) return { ok: false, error: `${formatPath(path.slice(0, i)) || 'the scenario'} is not a list` };
    if (key > node.length || (key === node.length && i + 1 < path.length)) return { ok: false, error: `${here}: no such element (the list has ${node.length})` };
    const inner = setAt(node[key], path, value, i + 1);
    if (!inner.ok) return inner;
    const copy = [...node];
    copy[key] = inner.value;
    return { ok: true, value: copy };
  }
  if (!isPlainObject(node)) return { ok: false, error: `${formatPath(path.slice(0, i)) || 'the scenario'} is not an object` };
  if (!(key in node) && i + 1 < path.length) return { ok: false, error: `${here}: no such field` };
  const inner = setAt(node[key], path, value, i + 1);
  if (!inner.ok) return inner;
  return { ok: true, value: { ...node, [key]: inner.value } };
}

/** The rules zod's shape cannot say; null when all hold, else `path: message`. */
function checkRules(s: Scenario, crashPoints: readonly string[]): string | null {
  for (const [i, id] of (s.bugs ?? []).entries()) {
    const problem = bugIdProblem(id);
    if (problem !== null) return `bugs[${i}]: ${problem}`;
    if ((s.bugs ?? []).indexOf(id) !== i) return `bugs[${i}]: ${id} is named twice`;
  }
  const c = s.cluster;
  if (c.heartbeatTick >= c.electionTick) return `cluster.heartbeatTick: must be less than cluster.electionTick (${c.electionTick})`;
  if (s.readMode === 'lease' && !c.checkQuorum) return 'readMode: lease reads need cluster.checkQuorum: true (etcd-raft refuses lease-based ReadIndex without it)';
  const lat = checkLatency(s.network.delay, 'network.delay') ?? checkDiskLatencies(s);
  if (lat !== null) return lat;
  if (s.nemesis.endMs !== null && s.nemesis.endMs < s.nemesis.startMs) return 'nemesis.endMs: must not be before nemesis.startMs';
  if (s.workload.clients > 0 && !Object.values(s.workload.mix).some((w) => w > 0)) return 'workload.mix: needs a kind with a positive weight (all are 0; set workload.clients to 0 for no clients)';
  const hosts = c.size + c.spares;
  for (let i = 0; i < s.workload.pinned.length; i++) {
    const problem = checkPinned(s.workload.pinned[i] as PinnedClientOptions, s.workload.mix, hosts, s.durationMs);
    if (problem !== null) return `workload.pinned[${i}].${problem}`;
  }
  for (let i = 0; i < s.faults.length; i++) {
    const problem = checkFault(s.faults[i] as Fault, hosts, s.durationMs, crashPoints);
    if (problem !== null) return `faults[${i}].${problem}`;
  }
  return null;
}

function checkDiskLatencies(s: Scenario): string | null {
  for (const k of ['read', 'write', 'fsync', 'meta'] as const) {
    const p = checkLatency(s.disk.latency[k], `disk.latency.${k}`);
    if (p !== null) return p;
  }
  return null;
}

function checkLatency(l: Scenario['network']['delay'], path: string): string | null {
  if (l.kind === 'fixed') return null;
  return l.minUs <= l.maxUs ? null : `${path}.minUs: must not exceed maxUs (${l.maxUs})`;
}

function checkPinned(p: PinnedClientOptions, workloadMix: Scenario['workload']['mix'], hosts: number, durationMs: number): string | null {
  for (const [j, id] of p.endpoints.entries()) {
    if (id > hosts) return `endpoints[${j}]: member ${id} does not exist (cluster.size + cluster.spares = ${hosts})`;
    if (p.endpoints.indexOf(id) !== j) return `endpoints[${j}]: member ${id} is named twice`;
  }
  const startMs = p.startMs ?? 0;
  const endMs = p.endMs ?? durationMs;
  if (endMs > durationMs) return `endMs: ${endMs} is after the safety phase ends (durationMs ${durationMs})`;
  if (startMs >= endMs) return `startMs: must be before endMs (${endMs})`;
  if (!Object.values(pinnedMix(p, workloadMix)).some((weight) => weight > 0)) return 'mix: needs a kind with a positive weight';
  return null;
}

function checkFault(f: Fault, hosts: number, durationMs: number, crashPoints: readonly string[]): string | null {
  if (f.at > durationMs) return `at: ${f.at} is after the safety phase ends (durationMs ${durationMs})`;
  for (const [field, ref] of nodeRefsOf(f)) {
    if (typeof ref === 'number' && ref > hosts) return `${field}: member ${ref} does not exist (cluster.size + cluster.spares = ${hosts})`;
  }
  if (f.type === 'split' || f.type === 'bridge') {
    const groups = checkGroups(f);
    if (groups !== null) return groups;
  }
  if (f.type === 'crash-point' && !crashPoints.includes(f.point)) return `point: unknown crash point ${JSON.stringify(f.point)} (expected one of ${crashPoints.join(', ')})`;
  if (f.type === 'clock' && f.jumpMs === undefined && f.rate === undefined) return 'jumpMs: a clock fault needs jumpMs or rate';
  if (f.type === 'link-delay' && f.from === f.to && typeof f.from === 'number') return `to: a link joins two members (from and to are both ${f.from})`;
  if (f.type === 'link-delay') return checkLatency(f.delay, 'delay');
  if (f.type === 'clock' && f.jumpMs !== undefined && !Number.isInteger(f.jumpMs * 1000)) return 'jumpMs: must be a whole number of µs';
  return null;
}

/**
 * A split's or a bridge's groups are disjoint: a member (or `leader`) named twice, or `rest` given
 * twice, is a mistake the network could only guess at. A bridge's own node is in no group.
 * (`follower` and `any` pick a member each time, so two of them may well be two members.)
 */
function checkGroups(f: Extract<Fault, { type: 'split' | 'bridge' }>): string | null {
  const seen = new Map<NodeRef, string>();
  const fixed = (r: NodeRef): boolean => typeof r === 'number' || r === 'leader';
  if (f.type === 'bridge' && fixed(f.node)) seen.set(f.node, 'node');
  let rest: string | null = null;
  for (const [i, g] of f.groups.entries()) {
    if (g === 'rest') {
      if (rest !== null) return `groups[${i}]: "rest" is already ${rest}`;
      rest = `groups[${i}]`;
      continue;
    }
    for (const [j, ref] of g.entries()) {
      if (!fixed(ref)) continue;
      const first = seen.get(ref);
      const name = typeof ref === 'number' ? `member ${ref}` : JSON.stringify(ref);
      if (first !== undefined) return `groups[${i}][${j}]: ${name} is already in ${first} (groups must not overlap)`;
      seen.set(ref, `groups[${i}]`);
    }
  }
  return null;
}

/** Every node reference in a fault, with the field it sits in (for messages). */
export function nodeRefsOf(f: Fault): [string, NodeRef | 'all'][] {
  switch (f.type) {
    case 'isolate':
    case 'crash':
    case 'restart':
    case 'pause':
    case 'resume':
    case 'disk-fault':
    case 'disk-stall':
    case 'clock':
    case 'crash-point':
    case 'add-member':
    case 'remove-member':
    case 'promote-member':
      return [['node', f.node]];
    case 'split':
      return f.groups.flatMap((g, i) => (g === 'rest' ? [] : g.map((r, j): [string, NodeRef] => [`groups[${i}][${j}]`, r])));
    case 'bridge':
      return [['node', f.node] as [string, NodeRef], ...f.groups.flatMap((g, i) => g.map((r, j): [string, NodeRef] => [`groups[${i}][${j}]`, r]))];
    case 'cut-one-way':
    case 'link-delay':
      return [['from', f.from], ['to', f.to]];
    case 'transfer-leader':
      return [['to', f.to]];
    case 'heal':
    case 'network':
      return [];
  }
}
