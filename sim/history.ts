/**
 * Client operation histories: what the checkers judge.
 *
 * Each operation is recorded twice: at its invocation (client, operation, input, time) and at its
 * completion, which is one of three outcomes, as Jepsen and Maelstrom classify them:
 * - `ok`: it returned, and `output` is what it returned;
 * - `fail`: a definite failure — it certainly did not take effect (a validation error, a proposal
 *   refused before it entered the log, a write that never left the client);
 * - `unknown`: an indefinite outcome — it timed out or its connection broke after it was sent, so
 *   it may have taken effect at any time after its call, or never. When in doubt, unknown is safe.
 *
 * The file format is JSON Lines, one completed operation per line, exactly the format of
 * sim/check/testdata/porcupine/README.md (`client, op, key, input, call, return, status, output`),
 * extended with `status: "fail"` and with the etcd operations' inputs and outputs. Our histories
 * and the corpus's are therefore one format and one reader (sim/check).
 */
import { assert } from './assert.js';
import type { Micros } from './time.js';

export type OpStatus = 'ok' | 'fail' | 'unknown';

/** One completed (or abandoned) operation, as stored and as checked. */
export interface Operation<I = unknown, O = unknown> {
  /** Position in the history, in order of invocation. */
  readonly id: number;
  /** The process that issued it. A client runs one operation at a time. */
  readonly client: number;
  /** Operation name: `read`/`write`/`cas`, `get`/`put`/`append`, or the etcd ones (`range`, `put`, `delete`, `txn`). */
  readonly op: string;
  /** The key, where the operation has one (a partition hint for per-key models). */
  readonly key?: string;
  readonly input?: I;
  /** When it was invoked (virtual µs in our runs; a log position in the corpus). */
  readonly call: Micros;
  /** When it returned; null when it never did (then status is `unknown`). */
  readonly return: Micros | null;
  readonly status: OpStatus;
  /** What it returned (`ok`), the error (`fail`), or absent (`unknown`). */
  readonly output?: O;
  /** Free-form detail for reports (e.g. the member that served it, the error text). Not checked. */
  readonly note?: string;
}

/** A handle for an invoked operation that has not completed yet. */
export interface PendingOp {
  readonly id: number;
}

interface Open {
  readonly client: number;
  readonly op: string;
  readonly key: string | undefined;
  readonly input: unknown;
  readonly call: Micros;
}

/**
 * Records invocations and completions as a run goes. Operations still open when the run ends are
 * closed as `unknown` with `return: null` by `finish`.
 */
export class HistoryRecorder {
  private readonly open = new Map<number, Open>();
  private readonly done: Operation[] = [];
  private readonly busyClients = new Set<number>();
  private nextId = 0;
  private readonly notes = new Map<string, string>();

  invoke(client: number, op: string, key: string | undefined, input: unknown, call: Micros): PendingOp {
    assert(!this.busyClients.has(client), () => `history: client ${client} invoked ${op} while another op is open`);
    const id = this.nextId++;
    this.open.set(id, { client, op, key, input, call });
    this.busyClients.add(client);
    return { id };
  }

  complete(pending: PendingOp, status: OpStatus, output: unknown, at: Micros, note?: string): Operation {
    const o = this.open.get(pending.id);
    assert(o !== undefined, () => `history: op ${pending.id} completed twice or never invoked`);
    assert(at >= o.call, () => `history: op ${pending.id} returns at ${at} before its call at ${o.call}`);
    this.open.delete(pending.id);
    this.busyClients.delete(o.client);
    const op = makeOp(pending.id, o, status === 'unknown' ? null : at, status, status === 'unknown' ? undefined : output, note === undefined ? undefined : this.intern(note));
    this.done.push(op);
    return op;
  }

  /** Closes every open operation as unknown and returns the history in invocation order. */
  finish(): Operation[] {
    for (const [id, o] of this.open) this.done.push(makeOp(id, o, null, 'unknown', undefined, undefined));
    this.open.clear();
    this.busyClients.clear();
    return [...this.done].sort((a, b) => a.id - b.id);
  }

  /**
   * One string per distinct note: a run's notes repeat ("member=2 attempts=1"), and each one built
   * by a template is a rope of its own — a long run's history kept one per operation. The table
   * is bounded; past it notes are kept as given.
   */
  private intern(note: string): string {
    const seen = this.notes.get(note);
    if (seen !== undefined) return seen;
    if (this.notes.size >= NOTES_INTERNED_MAX) return note;
    // A flat copy (parsing builds a fresh sequential string), once per distinct note: the rope the
    // caller built is left to the collector.
    const flat = JSON.parse(JSON.stringify(note)) as string;
    this.notes.set(flat, flat);
    return flat;
  }

  /** Operations completed so far, in completion order (the open ones are not included). */
  completed(): readonly Operation[] {
    return this.done;
  }
}

/** Distinct notes a recorder shares (HistoryRecorder.intern). */
const NOTES_INTERNED_MAX = 4_096;

function makeOp(id: number, o: Open, ret: Micros | null, status: OpStatus, output: unknown, note: string | undefined): Operation {
  const { client, op: name, key, input, call } = o;
  // The usual shapes as literals, in the field order below: their fields live in the object, where
  // adding them one by one gives each operation a separate property array too.
  if (input !== undefined && note !== undefined) {
    if (key !== undefined) {
      if (output !== undefined) return { id, client, op: name, call, return: ret, status, key, input, output, note };
      return { id, client, op: name, call, return: ret, status, key, input, note };
    }
    if (output !== undefined) return { id, client, op: name, call, return: ret, status, input, output, note };
  }
  const op: { -readonly [K in keyof Operation]: Operation[K] } = { id, client: o.client, op: o.op, call: o.call, return: ret, status };
  if (o.key !== undefined) op.key = o.key;
  if (o.input !== undefined) op.input = o.input;
  if (output !== undefined) op.output = output;
  if (note !== undefined) op.note = note;
  return op;
}

/** How many operations ended `ok`, `fail` and `unknown`. */
export function countByStatus(ops: readonly Operation[]): Record<OpStatus, number> {
  const counts: Record<OpStatus, number> = { ok: 0, fail: 0, unknown: 0 };
  for (const op of ops) counts[op.status]++;
  return counts;
}

/** One line of the JSON Lines format (field order as in the corpus; `id` is implied by line order). */
export function operationToJsonLine(op: Operation): string {
  const line: Record<string, unknown> = { client: op.client, op: op.op };
  if (op.key !== undefined) line.key = op.key;
  line.call = op.call;
  line.return = op.return;
  line.status = op.status;
  if (op.input !== undefined) line.input = op.input;
  if (op.output !== undefined) line.output = op.output;
  if (op.note !== undefined) line.note = op.note;
  return JSON.stringify(line);
}

/** A whole history as JSON Lines, one operation per line, in invocation order. */
export function historyToJsonLines(ops: readonly Operation[]): string {
  return ops.map(operationToJsonLine).join('\n') + (ops.length > 0 ? '\n' : '');
}
