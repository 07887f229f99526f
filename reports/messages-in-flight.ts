/**
 * Messages in flight, for the step-through view: spans from send to arrival.
 *
 * From the raft layer when it traces its messages (`raft.send` {type, to, term} on the sender,
 * `raft.recv` {type, from, term} on the receiver — paired first-in first-out per sender, receiver,
 * type and term, or by an `id` field when both carry one), else from the kernel (`net.deliver`
 * {from, id, via, sentUs} on the receiver: one event holds the whole span). A send never received
 * was lost (at a cut link, or a crashed end; see `raftSpans`): it is drawn for as long as a typical
 * message takes (the median delay of those that arrived), marked `lost`, and the page draws it
 * stopping halfway. Drops the network reports (`net.drop` {from, to, id, via, reason}) are kept
 * as instants.
 */
import type { TraceEvent } from '../sim/trace.js';
import { parseCut } from './cut-links.js';
import { quantile } from './format.js';
import { assert } from './invariant.js';

export interface MessageSpan {
  readonly from: number;
  readonly to: number;
  /** `MsgApp`, `MsgVote`, … (raft), or the channel kind `stream` / `pipeline` / `datagram` (kernel). */
  readonly type: string;
  readonly sentUs: number;
  readonly arriveUs: number;
  /** Never arrived: `arriveUs` is only how long it is drawn. */
  readonly lost: boolean;
}

export interface MessageDrop {
  readonly from: number;
  readonly to: number;
  readonly atUs: number;
  readonly reason: string;
}

export interface MessageTraffic {
  readonly source: 'raft' | 'net' | 'none';
  /** Sorted by send time. */
  readonly spans: readonly MessageSpan[];
  /** Sorted by time. */
  readonly drops: readonly MessageDrop[];
  /** Spans left out because there were more than MESSAGE_SPANS_MAX. */
  readonly omitted: number;
}

/** Spans kept at most: a long run's step-through shows its first MESSAGE_SPANS_MAX messages. */
export const MESSAGE_SPANS_MAX = 500_000;
/** A lost message with no arrival to measure against is drawn this long. */
const LOST_SHOWN_US_MIN = 1_000;

export function extractMessages(trace: readonly TraceEvent[], members: readonly number[]): MessageTraffic {
  const isMember = new Set(members);
  const drops: MessageDrop[] = [];
  for (const e of trace) {
    if (e.kind !== 'net.drop') continue;
    const from = Number(e.fields.from);
    const to = Number(e.fields.to);
    if (isMember.has(from) && isMember.has(to)) drops.push({ from, to, atUs: e.timeUs, reason: String(e.fields.reason ?? '?') });
  }
  const raft = trace.some((e) => e.kind === 'raft.send');
  const spans = raft ? raftSpans(trace, isMember) : netSpans(trace, isMember);
  const source = raft ? 'raft' : spans.length > 0 ? 'net' : 'none';
  spans.sort((a, b) => a.sentUs - b.sentUs || a.arriveUs - b.arriveUs || a.from - b.from || a.to - b.to);
  const omitted = Math.max(0, spans.length - MESSAGE_SPANS_MAX);
  return { source, spans: omitted > 0 ? spans.slice(0, MESSAGE_SPANS_MAX) : spans, drops, omitted };
}

function netSpans(trace: readonly TraceEvent[], isMember: ReadonlySet<number>): MessageSpan[] {
  const spans: MessageSpan[] = [];
  for (const e of trace) {
    if (e.kind !== 'net.deliver' || e.host === null) continue;
    const from = Number(e.fields.from);
    if (!isMember.has(from) || !isMember.has(e.host)) continue;
    const sentUs = Number(e.fields.sentUs);
    assert(sentUs <= e.timeUs, () => `messages: net.deliver at ${e.timeUs} sent later, at ${sentUs}`);
    spans.push({ from, to: e.host, type: String(e.fields.via ?? 'message'), sentUs, arriveUs: e.timeUs, lost: false });
  }
  return spans;
}

interface Sent {
  readonly from: number;
  readonly to: number;
  readonly type: string;
  readonly sentUs: number;
}

/**
 * Pairs sends with receives. Without ids the pairing is first-in first-out per (sender, receiver,
 * type, term), which is wrong for a message that was lost: a later receive would be paired with
 * it. So what the trace says was lost is taken out of the queue first, as the network would: a
 * send on a link that is cut, a send in flight when its link is cut or either end crashes (the
 * network drops it at delivery), a send to or from a host that is down.
 */
function raftSpans(trace: readonly TraceEvent[], isMember: ReadonlySet<number>): MessageSpan[] {
  const waiting = new Map<string, Sent[]>();
  const spans: MessageSpan[] = [];
  const delaysUs: number[] = [];
  const lostAt: { s: Sent; atUs: number | null }[] = [];
  let cut = new Set<string>();
  const down = new Set<number>();
  const dropWhere = (atUs: number, pred: (s: Sent) => boolean): void => {
    for (const [key, queue] of waiting) {
      const kept = queue.filter((s) => !pred(s));
      for (const s of queue) if (pred(s)) lostAt.push({ s, atUs });
      if (kept.length === 0) waiting.delete(key);
      else waiting.set(key, kept);
    }
  };
  for (const e of trace) {
    if (e.kind === 'net.partition') {
      cut = new Set(parseCut(String(e.fields.cut ?? 'none')).map((l) => `${l.from}>${l.to}`));
      dropWhere(e.timeUs, (s) => cut.has(`${s.from}>${s.to}`));
      continue;
    }
    if (e.host !== null && e.kind === 'host.crash') {
      down.add(e.host);
      const h = e.host;
      dropWhere(e.timeUs, (s) => s.from === h || s.to === h);
      continue;
    }
    if (e.host !== null && (e.kind === 'host.restart' || e.kind === 'host.start')) down.delete(e.host);
    if (e.host === null || (e.kind !== 'raft.send' && e.kind !== 'raft.recv')) continue;
    const send = e.kind === 'raft.send';
    const from = send ? e.host : Number(e.fields.from);
    const to = send ? Number(e.fields.to) : e.host;
    if (!isMember.has(from) || !isMember.has(to)) continue;
    const type = String(e.fields.type ?? 'message');
    const key = 'id' in e.fields ? `id:${String(e.fields.id)}` : `${from}>${to}:${type}:${String(e.fields.term ?? '')}`;
    if (send) {
      const s: Sent = { from, to, type, sentUs: e.timeUs };
      if (cut.has(`${from}>${to}`) || down.has(to)) lostAt.push({ s, atUs: null });
      else waiting.set(key, [...(waiting.get(key) ?? []), s]);
      continue;
    }
    const queue = waiting.get(key) ?? [];
    const s = queue.shift();
    if (s === undefined) continue; // sent before the kept trace began
    if (queue.length === 0) waiting.delete(key);
    delaysUs.push(e.timeUs - s.sentUs);
    spans.push({ ...s, arriveUs: e.timeUs, lost: false });
  }
  const shownUs = Math.max(LOST_SHOWN_US_MIN, quantile(delaysUs, 0.5) || 0);
  for (const queue of waiting.values()) for (const s of queue) lostAt.push({ s, atUs: null });
  // Drawn for a typical delay (it travels halfway and vanishes), or until the cut or crash that caught it.
  for (const { s, atUs } of lostAt) spans.push({ ...s, arriveUs: atUs === null ? s.sentUs + shownUs : Math.max(s.sentUs + 1, Math.min(atUs, s.sentUs + shownUs)), lost: true });
  return spans;
}
