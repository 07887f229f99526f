/**
 * Every step of a run in words, made from the trace event and the values around it.
 *
 *   narrate(e, ctx)   // a line for the story (elections, votes, leaders, commits, faults), or null
 *   describe(e, ctx)  // a line for any event at all, the chatty ones included (a send, an fsync)
 *
 * "n3 heard no heartbeat for 1.43 s; with PreVote on it asks n1 and n2 whether they would vote for
 * it in term 3, without raising its own term" is built from the campaign event, the member's
 * term and timer, the last time the session saw it receive from a leader, and the options.
 * Raft's own events arrive as etcd's log lines (raft/core/events.ts); they are read back here.
 */
import type { HostId } from '../sim/host.js';
import type { Micros } from '../sim/time.js';
import type { TraceEvent } from '../sim/trace.js';
import type { MemberView, PlaygroundOptions } from './session.js';

export interface Narration {
  readonly atUs: Micros;
  readonly host: HostId | null;
  readonly text: string;
  /** election, vote, leader, commit, fault, violation, snapshot, disk, client */
  readonly tags: readonly string[];
  /** What "step to the next interesting event" stops at. */
  readonly interesting: boolean;
}

export interface NarrationContext {
  readonly nowUs: Micros;
  readonly tickMs: number;
  member(id: HostId): MemberView;
  /** The member's role and term only (no log view): for the events that come by the thousand. */
  roleOf(id: HostId): { readonly role: string; readonly term: number };
  memberIds(): readonly HostId[];
  lastHeardFromLeaderUs(id: HostId): Micros | null;
  options(): PlaygroundOptions;
}

const s = (us: number): string => `${(us / 1_000_000).toFixed(2)} s`;
const n = (id: number | string): string => `n${id}`;
const others = (ctx: NarrationContext, id: HostId): string => list(ctx.memberIds().filter((x) => x !== id).map(n));

function list(xs: readonly string[]): string {
  if (xs.length <= 1) return xs.join('');
  return `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1] ?? ''}`;
}

function line(e: TraceEvent, text: string, tags: string[], interesting = false): Narration {
  return { atUs: e.timeUs, host: e.host, text, tags, interesting };
}

/** How long member `id` had gone without a leader's message, in words ("no heartbeat for 1.43 s"). */
function silence(e: TraceEvent, ctx: NarrationContext, id: HostId): string {
  const heard = ctx.lastHeardFromLeaderUs(id);
  return heard === null ? 'has not heard from any leader yet' : `heard no heartbeat for ${s(e.timeUs - heard)}`;
}

const CAMPAIGN = /^(\d+) is starting a new (pre-election|election) at term (\d+)( \(transfer\))?/;
const VOTE = /^(\d+) \[logterm: (\d+), index: (\d+)\] (cast|rejected) (MsgPreVote|MsgVote) (?:for|from) (\d+) \[logterm: (\d+), index: (\d+)\] at term (\d+)/;
const DROPPED = /^(\d+) \[term: (\d+)\] dropped (\w+) from (\d+): ([\w-]+)/;
const HIGHER = /^(\d+) \[term: (\d+)\] received a (\w+) message with higher term from (\d+) \[term: (\d+)\]/;
const TALLY = /^(\d+) has received (\d+) (\w+) votes and (\d+) vote rejections/;
const STEP_DOWN = /^(\d+) stepped down to follower at term (\d+): ([\w-]+)/;
const SNAP_SENT = /^(\d+) sent snapshot \[index: (\d+)\] to (\d+)/;
const SNAP_RESTORED = /^(\d+) restored snapshot \[index: (\d+), term: (\d+)\]/;
const TRANSFER = /^(\d+) leader transfer to (\d+): (\w+)/;

/** The story's line for `e`, or null when the event is a detail (sends, receives, disk writes …). */
export function narrate(e: TraceEvent, ctx: NarrationContext): Narration | null {
  const f = e.fields;
  switch (e.kind) {
    case 'raft.event':
      return raftEvent(e, ctx, String(f.kind), String(f.text));
    case 'raft.role': {
      if (e.host === null) return null;
      const role = String(f.role);
      if (role === 'leader') return line(e, `${n(e.host)} won a majority of votes and is now the leader of term ${f.term}: it sends heartbeats to ${others(ctx, e.host)} and appends an empty entry to commit what earlier leaders left.`, ['leader'], true);
      if (role === 'follower' && Number(f.lead) !== 0) return line(e, `${n(e.host)} follows ${n(Number(f.lead))} in term ${f.term}.`, ['leader']);
      return null;
    }
    case 'raft.commit': {
      if (e.host === null) return null;
      const m = ctx.roleOf(e.host);
      if (m.role !== 'leader') return null;
      return line(e, `${n(e.host)} (leader, term ${m.term}) commits up to index ${f.commit}: a majority of members have these entries on disk, so no later leader can lack them.`, ['commit'], true);
    }
    case 'kv.readindex.stale':
      return line(e, `${e.host === null ? 'a member' : n(e.host)} got a ReadIndex answer for an old request id (index ${f.index}): it releases the reads waiting on it.`, ['violation']);
    case 'wal.repair':
      return line(e, `${e.host === null ? '?' : n(e.host)} found a torn write at the end of its WAL (${f.name}, offset ${f.offset}: ${f.reason}); it cuts the ${f.droppedBytes} bytes of the unfinished record away and starts from the last whole one. Those entries were never fsynced, so no one was told they were saved.`, ['disk', 'repair'], true);
    case 'node.stopped':
      return line(e, `${e.host === null ? '?' : n(e.host)} stops: ${f.reason}. etcd does not go on after a failed disk write: it cannot tell what reached the disk.`, ['disk', 'fault'], true);
    case 'node.recovered':
      return line(e, `${e.host === null ? '?' : n(e.host)} recovered from its disk: snapshot, then the WAL's entries and hard state (term, vote, commit).`, ['disk']);
    case 'host.crash':
      return line(e, `${e.host === null ? '?' : n(e.host)} crashed: its memory is gone, only what it fsynced survives.`, ['fault'], true);
    case 'host.restart':
      return line(e, `${e.host === null ? '?' : n(e.host)} restarts and reads its disk back.`, ['fault'], true);
    case 'host.pause':
      return line(e, `${e.host === null ? '?' : n(e.host)} is paused (a long GC or a stopped VM): no timer fires, no message is handled, but it still believes what it believed.`, ['fault'], true);
    case 'host.resume':
      return line(e, `${e.host === null ? '?' : n(e.host)} resumes, unaware that time passed; messages that waited for it are handled now.`, ['fault'], true);
    case 'nemesis.undo':
      return line(e, `Undone: ${f.label}.`, ['fault'], true);
    case 'nemesis.heal':
      return line(e, 'The network heals: every link carries messages again.', ['fault'], true);
    default:
      if (e.kind.startsWith('nemesis.') && e.kind !== 'nemesis.skip') return line(e, `Fault: ${f.label}.`, ['fault'], true);
      return null;
  }
}

function raftEvent(e: TraceEvent, ctx: NarrationContext, kind: string, text: string): Narration | null {
  const o = ctx.options();
  switch (kind) {
    case 'campaign': {
      const m = CAMPAIGN.exec(text);
      if (m === null) return null;
      const id = Number(m[1]);
      const term = Number(m[3]);
      const who = others(ctx, id);
      const why = m[4] !== undefined ? 'was asked to take over leadership' : `${silence(e, ctx, id)}, longer than its randomized election timeout of ${timeoutText(ctx, id)}`;
      if (m[2] === 'pre-election') return line(e, `${n(id)} ${why}; with PreVote on it asks ${who} whether they would vote for it in term ${term + 1}, without raising its own term (still ${term}).`, ['election'], true);
      if (m[4] !== undefined) return line(e, `${n(id)} was asked to take over leadership (TimeoutNow); it raises its term to ${term + 1}, votes for itself and asks ${who} for their votes.`, ['election'], true);
      if (o.preVote) return line(e, `${n(id)} won its pre-vote; now it raises its term to ${term + 1}, votes for itself and asks ${who} for their votes.`, ['election'], true);
      return line(e, `${n(id)} ${why}; with PreVote off it raises its term at once to ${term + 1}, votes for itself and asks ${who} for their votes.`, ['election'], true);
    }
    case 'vote': {
      const m = VOTE.exec(text);
      if (m === null) return null;
      const [, voter, lastTerm, lastIndex, verdict, type, cand, candTerm, candIndex, term] = m;
      const pre = type === 'MsgPreVote' ? 'pre-vote' : 'vote';
      if (verdict === 'cast') return line(e, `${n(voter as string)} grants ${n(cand as string)} its ${pre} (term ${term}): ${n(cand as string)}'s log (last entry term ${candTerm}, index ${candIndex}) is at least as up to date as its own (term ${lastTerm}, index ${lastIndex})${type === 'MsgVote' ? ', and it has not voted for anyone else in this term' : ''}.`, ['vote']);
      const behind = Number(candTerm) < Number(lastTerm) || (Number(candTerm) === Number(lastTerm) && Number(candIndex) < Number(lastIndex));
      return line(e, `${n(voter as string)} refuses ${n(cand as string)} its ${pre}: ${behind ? `${n(cand as string)}'s log (term ${candTerm}, index ${candIndex}) is behind its own (term ${lastTerm}, index ${lastIndex}) — a leader must hold every committed entry` : `it already voted for another candidate in term ${term}`}.`, ['vote']);
    }
    case 'message-dropped': {
      const m = DROPPED.exec(text);
      if (m === null) return null;
      const [, id, , type, from, reason] = m;
      if (reason !== 'lease-not-expired') return null;
      const me = Number(id);
      const heard = ctx.lastHeardFromLeaderUs(me);
      const lead = ctx.member(me).lead;
      return line(e, `${n(me)} refuses ${n(from as string)}'s ${type}: it heard from its leader ${lead === 0 ? '' : n(lead) + ' '}${heard === null ? 'recently' : `${s(e.timeUs - heard)} ago`}, less than an election timeout (CheckQuorum's leader lease), so it will not help unseat a working leader.`, ['vote']);
    }
    case 'higher-term': {
      const m = HIGHER.exec(text);
      if (m === null) return null;
      const [, id, term, type, from, theirs] = m;
      const wasLeader = ctx.member(Number(id)).role === 'leader';
      return line(e, `${n(id as string)} (term ${term}) sees term ${theirs} in a ${type} from ${n(from as string)}: a higher term always wins, so it ${wasLeader ? 'steps down from leader and ' : ''}moves to term ${theirs} as a follower.`, ['election'], wasLeader);
    }
    case 'votes-tallied': {
      const m = TALLY.exec(text);
      if (m === null) return null;
      const [, id, granted, type, rejected] = m;
      const quorum = Math.floor(ctx.memberIds().length / 2) + 1;
      return line(e, `${n(id as string)} has ${granted} of the ${quorum} ${type === 'MsgPreVoteResp' ? 'pre-votes' : 'votes'} it needs (${rejected} refused).`, ['vote']);
    }
    case 'step-down': {
      const m = STEP_DOWN.exec(text);
      if (m === null) return null;
      const [, id, , reason] = m;
      if (reason === 'quorum-inactive') return line(e, `${n(id as string)} steps down: with CheckQuorum on, a leader that heard from no majority during an election timeout stops leading — it may be on the minority side of a partition.`, ['leader'], true);
      return line(e, `${n(id as string)} steps down (${reason}).`, ['leader'], true);
    }
    case 'snapshot-sent': {
      const m = SNAP_SENT.exec(text);
      if (m === null) return null;
      return line(e, `${n(m[1] as string)} sends ${n(m[3] as string)} a snapshot at index ${m[2]}: the entries ${n(m[3] as string)} is missing were compacted out of the leader's log, so it ships the state itself.`, ['snapshot'], true);
    }
    case 'snapshot-restored': {
      const m = SNAP_RESTORED.exec(text);
      if (m === null) return null;
      return line(e, `${n(m[1] as string)} restores the snapshot (index ${m[2]}, term ${m[3]}): its log now starts after index ${m[2]} and it catches up from there with ordinary appends.`, ['snapshot'], true);
    }
    case 'leader-transfer': {
      const m = TRANSFER.exec(text);
      if (m === null) return null;
      return line(e, `${n(m[1] as string)} hands leadership to ${n(m[2] as string)} (${m[3]}).`, ['leader'], true);
    }
    default:
      return null;
  }
}

function timeoutText(ctx: NarrationContext, id: HostId): string {
  const m = ctx.member(id);
  return m.electionTimeout > 0 ? `${m.electionTimeout} ticks of ${ctx.tickMs} ms` : 'its election timeout';
}

/** A line for any event (the detail view of one step): the story's line when it has one, else a plain description. */
export function describe(e: TraceEvent, ctx: NarrationContext): string {
  const story = narrate(e, ctx);
  if (story !== null) return story.text;
  const f = e.fields;
  const h = e.host === null ? 'the network' : e.host >= 100 ? `client host ${e.host}` : n(e.host);
  switch (e.kind) {
    case 'raft.send':
      return `${h} sends ${f.type} (term ${f.term}${f.index === undefined ? '' : `, index ${f.index}`}) to ${n(String(f.to))}.`;
    case 'raft.recv':
      return `${h} receives ${f.type} (term ${f.term}) from ${n(String(f.from))}.`;
    case 'raft.apply':
      return `${h} applies its log up to index ${f.applied} to the key-value store.`;
    case 'raft.commit':
      return `${h} learns that entries up to index ${f.commit} are committed.`;
    case 'kv.apply':
      return `${h} applies entry ${f.index} (${f.kind}) at store revision ${f.revision}.`;
    case 'kv.request':
      return `${h} gets a ${f.method} request from a client.`;
    case 'kv.read':
      return `${h} serves a read (${f.mode}) at revision ${f.revision}.`;
    case 'kv.readindex':
      return `${h} asks the leader for a read index (ReadIndex): the leader confirms it still leads with a heartbeat round before reads are served.`;
    case 'kv.readindex.done':
      return `${h} got its read index ${f.index}: once it has applied that far, the waiting reads are served.`;
    case 'client.send':
      return `${h} sends a ${f.method} to ${n(String(f.to))} (attempt ${f.attempt}).`;
    case 'client.done':
      return `${h}'s ${f.method} ends ${f.status}${f.code === undefined ? '' : ` (${f.code})`}.`;
    case 'disk.write':
      return `${h} writes ${f.bytes} bytes to ${f.path}.`;
    case 'disk.fsync':
      return `${h} fsyncs ${f.path}: the write is durable only once this returns.`;
    case 'net.deliver':
      return `the network delivers a message from host ${f.from} to ${h}.`;
    case 'net.drop':
      return `the network drops a message from host ${f.from} to host ${f.to} (${f.reason}).`;
    default:
      return `${h}: ${e.kind} ${Object.entries(f).map(([k, v]) => `${k}=${String(v)}`).join(' ')}`;
  }
}
