/**
 * The leader's side of log replication: appending proposals, sending MsgApp / MsgSnap /
 * MsgHeartbeat according to each follower's progress, and advancing the commit index.
 */
import { assert } from '../../sim/assert.js';
import { payloadsSizeBytes } from './entry-size.js';
import type { Progress } from './progress.js';
import type { Raft } from './raft.js';
import type { Entry, LogIndex, NodeId, ProposedEntry, Term } from './types.js';
import { isEmptySnapshot } from './types.js';

/**
 * Appends entries of the current term to the leader's log, unless they would push the
 * uncommitted tail over its limit. The self-acknowledgement is queued to be stepped once the
 * entries are durable (the leader counts itself only after its own write).
 */
export function appendEntry(r: Raft, es: readonly ProposedEntry[]): boolean {
  const li = r.log.lastIndex();
  const ents: Entry[] = es.map((e, i) => ({ term: r.term, index: (li + 1 + i) as LogIndex, type: e.type, data: e.data }));
  if (!increaseUncommittedSize(r, ents)) return false;
  const last = r.log.append(ents);
  // etcd-14370 switched on: etcd-raft before PR #14413 (the async-storage-writes rework) updated
  // the leader's own match as it appended and tried to commit at once — before the entries were
  // durable — so a lone voter committed (and its server applied and acknowledged) unpersisted entries.
  if (r.cfg.bugs.has('etcd-14370') && r.role === 'leader') {
    r.trk.progress.get(r.id)?.maybeUpdate(last);
    maybeCommit(r);
  }
  r.send({ type: 'MsgAppResp', from: r.id, term: r.term, to: r.id, index: last, reject: false, rejectHint: 0 as LogIndex, logTerm: 0 as Term });
  return true;
}

/**
 * Whether the entries fit under the uncommitted-size limit (recording them if so). An empty
 * uncommitted tail accepts any proposal, and empty payloads are always accepted.
 */
function increaseUncommittedSize(r: Raft, ents: readonly Entry[]): boolean {
  const s = payloadsSizeBytes(ents);
  if (r.uncommittedSizeBytes > 0 && s > 0 && r.uncommittedSizeBytes + s > r.cfg.maxUncommittedEntriesSizeBytes) return false;
  r.uncommittedSizeBytes += s;
  return true;
}

/** Applied entries leave the uncommitted tail (the estimate saturates at 0). */
export function reduceUncommittedSize(r: Raft, sizeBytes: number): void {
  r.uncommittedSizeBytes = Math.max(0, r.uncommittedSizeBytes - sizeBytes);
}

/** Advances the commit index to what a quorum has matched, if that entry is of the current term. */
export function maybeCommit(r: Raft): boolean {
  return r.log.maybeCommit(r.trk.committed(), r.term);
}

function progressOf(r: Raft, to: NodeId): Progress {
  const pr = r.trk.progress.get(to);
  if (pr === undefined) assert(false, `replication: no progress for ${to}`);
  return pr;
}

export function sendAppend(r: Raft, to: NodeId): void {
  maybeSendAppend(r, to, true);
}

/**
 * Sends a MsgApp with the entries from the follower's next (as many as fit in a message), unless
 * its flow is paused. `sendIfEmpty` allows a message without entries (it still carries the
 * commit index). When the entries are compacted, a snapshot is sent instead. True if sent.
 */
export function maybeSendAppend(r: Raft, to: NodeId, sendIfEmpty: boolean): boolean {
  const pr = progressOf(r, to);
  if (pr.isPaused()) return false;
  // Up to date: nothing to send but an empty append (the term of the last entry is always
  // known, so no snapshot either). The common answer after every acknowledgement.
  if (!sendIfEmpty && pr.next === r.log.lastIndex() + 1) return false;
  const prevIndex = (pr.next - 1) as LogIndex;
  const prevTerm = r.log.termOrError(prevIndex);
  // The log was compacted past next: the follower can only catch up from a snapshot.
  if (typeof prevTerm !== 'number') return maybeSendSnapshot(r, to, pr);
  let ents: readonly Entry[] = [];
  let compacted = false;
  // With a full window only empty MsgApp go out: if every in-flight message was lost, an empty
  // one still reaches the follower, and its answer frees the window.
  if (pr.state !== 'replicate' || !pr.inflights.full()) {
    const res = r.log.entries(pr.next, r.cfg.maxSizePerMsgBytes);
    if (res.ok) ents = res.value;
    else compacted = true;
  }
  if (ents.length === 0 && !sendIfEmpty) return false;
  if (compacted) return maybeSendSnapshot(r, to, pr);
  r.send({ type: 'MsgApp', from: r.id, term: r.term, to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: r.log.committed });
  pr.sentEntries(ents.length, payloadsSizeBytes(ents));
  pr.sentCommitIndex(r.log.committed);
  return true;
}

/** Sends the latest snapshot if the follower is recently active; true if sent. */
function maybeSendSnapshot(r: Raft, to: NodeId, pr: Progress): boolean {
  // A snapshot is expensive: do not send one into the void.
  if (!pr.recentActive) return false;
  const snap = r.log.snapshot();
  if (!snap.ok) {
    assert(snap.error === 'snapshot-temporarily-unavailable', () => `replication: snapshot unavailable: ${snap.ok ? '' : snap.error}`);
    return false;
  }
  assert(!isEmptySnapshot(snap.value), 'replication: need a non-empty snapshot');
  pr.becomeSnapshot(snap.value.metadata.index);
  r.send({ type: 'MsgSnap', to, snapshot: snap.value });
  r.emit({ kind: 'snapshot-sent', id: r.id, term: r.term, to, index: snap.value.metadata.index });
  return true;
}

/**
 * Sends a heartbeat carrying min(match, commit): the follower may not hold every committed entry
 * yet, and must never be told to commit past what it matches.
 */
export function sendHeartbeat(r: Raft, to: NodeId, ctx: Uint8Array): void {
  const pr = progressOf(r, to);
  const commit = Math.min(pr.match, r.log.committed) as LogIndex;
  r.send({ type: 'MsgHeartbeat', from: r.id, term: r.term, to, commit, context: ctx });
  pr.sentCommitIndex(commit);
}

/** MsgApp to every peer not up to date (in id order). */
export function bcastAppend(r: Raft): void {
  for (const id of r.trk.ids()) if (id !== r.id) sendAppend(r, id);
}

/** Heartbeats to every peer, carrying the newest pending ReadIndex context if any. */
export function bcastHeartbeat(r: Raft): void {
  bcastHeartbeatWithCtx(r, r.readOnly.lastPendingRequestCtx());
}

export function bcastHeartbeatWithCtx(r: Raft, ctx: Uint8Array): void {
  for (const id of r.trk.ids()) if (id !== r.id) sendHeartbeat(r, id, ctx);
}
