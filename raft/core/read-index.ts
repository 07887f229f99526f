/**
 * ReadIndex on the leader (thesis §6.4): a read is served at the leader's commit index once the
 * leader has confirmed it is still leader after the read arrived.
 *
 * - safe: the commit index is recorded and a heartbeat round carrying the read's context goes out;
 *   the read is released when a quorum acknowledged it (heartbeat responses, step-leader.ts);
 * - lease-based: answered at once, trusting that no other leader exists inside the CheckQuorum
 *   lease — unsafe under clock drift or pauses.
 * A new leader answers no read before it has committed an entry of its own term: until then its
 * commit index may lag entries committed by its predecessor. A lone voter is the exception, as in
 * etcd-raft: it answers at once (see singletonReadIndex).
 */
import { assert } from '../../sim/assert.js';
import type { MsgReadIndex } from './messages.js';
import type { Raft } from './raft.js';
import { bcastHeartbeatWithCtx } from './replication.js';
import type { LogIndex } from './types.js';
import { NONE } from './types.js';

export function leaderReadIndex(r: Raft, m: MsgReadIndex): void {
  // A single voter confirms its own leadership.
  if (r.trk.isSingleton()) {
    respondToReadIndex(r, m, singletonReadIndex(r));
    return;
  }
  if (!committedEntryInCurrentTerm(r)) {
    r.pendingReadIndexMessages.push(m);
    return;
  }
  sendReadIndexResponse(r, m);
}

/**
 * The index a lone leader reads at. Released etcd-raft uses its commit index, which after a restart
 * can lag what it committed, applied and acknowledged before the crash (the commit index lives in
 * the hard state, and a commit-only change is not fsynced): a read before the first commit of the
 * new term is stale. With singletonReadIndexActuallyCommitted (etcd-io/raft PR #105) it is
 * max(commit, the quorum's match): one voter's match is its own log end, set at election to the
 * last index it recovered, which holds every entry it ever committed. The application's wait for
 * applied ≥ index then lasts until the term's first entry commits everything below it.
 */
function singletonReadIndex(r: Raft): LogIndex {
  if (!r.cfg.singletonReadIndexActuallyCommitted) return r.log.committed;
  const index = Math.max(r.log.committed, r.trk.committed()) as LogIndex;
  assert(index <= r.log.lastIndex(), () => `read-index: a lone leader's read index ${index} is beyond its log (last ${r.log.lastIndex()})`);
  return index;
}

export function committedEntryInCurrentTerm(r: Raft): boolean {
  // The term of a leader is never 0, so an out-of-bounds 0 never matches.
  return r.log.termOrZero(r.log.committed) === r.term;
}

/** Releases the reads held since election, once the first entry of this term is committed. */
export function releasePendingReadIndexMessages(r: Raft): void {
  if (r.pendingReadIndexMessages.length === 0 || !committedEntryInCurrentTerm(r)) return;
  const msgs = r.pendingReadIndexMessages;
  r.pendingReadIndexMessages = [];
  for (const m of msgs) sendReadIndexResponse(r, m);
}

function sendReadIndexResponse(r: Raft, m: MsgReadIndex): void {
  switch (r.readOnly.option) {
    case 'safe':
      r.readOnly.addRequest(r.log.committed, m);
      // The leader acknowledges its own round.
      r.readOnly.recvAck(r.id, m.context);
      bcastHeartbeatWithCtx(r, m.context);
      return;
    case 'lease-based':
      respondToReadIndex(r, m, r.log.committed);
      return;
  }
}

/** A local request becomes a ReadState; a forwarded one is answered to the follower. */
export function respondToReadIndex(r: Raft, req: MsgReadIndex, readIndex: LogIndex): void {
  if (req.from === NONE || req.from === r.id) {
    r.readStates.push({ index: readIndex, requestCtx: req.context });
    return;
  }
  r.send({ type: 'MsgReadIndexResp', from: r.id, term: r.term, to: req.from, index: readIndex, context: req.context });
}
