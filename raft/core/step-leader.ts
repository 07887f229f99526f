/**
 * The leader's step function. Messages that need no peer progress first (heartbeat tick, check
 * quorum, proposals, read requests), then those from a tracked peer: append and heartbeat
 * responses drive replication and commit, snapshot and unreachable reports drive flow control,
 * and transfer requests hand leadership over (thesis §3.10).
 */
import { assert } from '../../sim/assert.js';
import { decodeConfChange } from './conf-change-codec.js';
import type { Message, MsgAppResp, MsgHeartbeatResp, MsgProp, MsgSnapStatus } from './messages.js';
import type { Progress } from './progress.js';
import { jointQuorumAcked } from './quorum.js';
import type { Raft } from './raft.js';
import { leaderReadIndex, releasePendingReadIndexMessages, respondToReadIndex } from './read-index.js';
import { appendEntry, bcastAppend, bcastHeartbeat, maybeCommit, maybeSendAppend, sendAppend } from './replication.js';
import type { StepResult } from './step-result.js';
import { PROPOSAL_DROPPED, STEP_OK } from './step-result.js';
import type { LogIndex, NodeId, ProposedEntry } from './types.js';
import { NONE, confChangeAsV2 } from './types.js';

export function stepLeader(r: Raft, m: Message): StepResult {
  switch (m.type) {
    case 'MsgBeat':
      bcastHeartbeat(r);
      return STEP_OK;
    case 'MsgCheckQuorum':
      checkQuorum(r);
      return STEP_OK;
    case 'MsgProp':
      return propose(r, m);
    case 'MsgReadIndex':
      leaderReadIndex(r, m);
      return STEP_OK;
    case 'MsgForgetLeader':
      return STEP_OK;
    default:
      return stepLeaderFromPeer(r, m);
  }
}

function stepLeaderFromPeer(r: Raft, m: Message): StepResult {
  const pr = r.trk.progress.get(m.from);
  if (pr === undefined) {
    r.dropped(m.type, m.from, 'unknown-peer');
    return STEP_OK;
  }
  switch (m.type) {
    case 'MsgAppResp':
      handleAppendResponse(r, m, pr);
      return STEP_OK;
    case 'MsgHeartbeatResp':
      handleHeartbeatResponse(r, m, pr);
      return STEP_OK;
    case 'MsgSnapStatus':
      handleSnapStatus(pr, m);
      return STEP_OK;
    case 'MsgUnreachable':
      // In optimistic replication, an unreachable peer most likely lost a MsgApp: probe again.
      if (pr.state === 'replicate') pr.becomeProbe();
      return STEP_OK;
    case 'MsgTransferLeader':
      transferLeader(r, m.from, pr);
      return STEP_OK;
    default:
      r.dropped(m.type, m.from, 'unexpected-for-role');
      return STEP_OK;
  }
}

/** Steps down unless a quorum was active since the last check; then marks everyone inactive. */
function checkQuorum(r: Raft): void {
  if (!r.trk.quorumActive()) {
    r.emit({ kind: 'step-down', id: r.id, term: r.term, reason: 'quorum-inactive' });
    r.becomeFollower(r.term, NONE);
  }
  r.trk.visit((id, pr) => {
    if (id !== r.id) pr.recentActive = false;
  });
}

function propose(r: Raft, m: MsgProp): StepResult {
  if (m.entries.length === 0) assert(false, `raft: ${r.id} stepped empty MsgProp`);
  if (!r.trk.progress.has(r.id)) {
    // Removed from the configuration while leading: drop new proposals.
    r.dropped(m.type, m.from, 'not-in-config');
    return PROPOSAL_DROPPED;
  }
  if (r.leadTransferee !== NONE) {
    r.dropped(m.type, m.from, 'transfer-in-progress');
    return PROPOSAL_DROPPED;
  }
  const entries = m.entries.map((e, i) => checkConfChangeProposal(r, e, i));
  if (!appendEntry(r, entries)) {
    r.dropped(m.type, m.from, 'uncommitted-size-limit');
    return PROPOSAL_DROPPED;
  }
  bcastAppend(r);
  return STEP_OK;
}

/**
 * A conf change is accepted only if no other is pending (one at a time), and it enters or leaves
 * a joint configuration consistently with the current one; otherwise it is replaced by an empty
 * normal entry (the proposal as a whole still succeeds, as in etcd).
 */
function checkConfChangeProposal(r: Raft, e: ProposedEntry, i: number): ProposedEntry {
  if (e.type === 'normal') return e;
  const cc = confChangeAsV2(decodeConfChange(e.type, e.data));
  const alreadyPending = r.pendingConfIndex > r.log.applied;
  const alreadyJoint = r.trk.config.voters.outgoing.size > 0;
  const wantsLeaveJoint = cc.changes.length === 0;
  let failed = '';
  if (alreadyPending) failed = `possible unapplied conf change at index ${r.pendingConfIndex} (applied to ${r.log.applied})`;
  else if (alreadyJoint && !wantsLeaveJoint) failed = 'must transition out of joint config first';
  else if (!alreadyJoint && wantsLeaveJoint) failed = 'not in joint state; refusing empty conf change';
  if (failed !== '' && !r.cfg.disableConfChangeValidation) {
    r.emit({ kind: 'conf-change-refused', id: r.id, term: r.term, reason: failed });
    return { type: 'normal', data: new Uint8Array(0) };
  }
  r.pendingConfIndex = (r.log.lastIndex() + i + 1) as LogIndex;
  return e;
}

function handleAppendResponse(r: Raft, m: MsgAppResp, pr: Progress): void {
  pr.recentActive = true;
  if (m.reject) {
    handleAppendRejection(r, m, pr);
    return;
  }
  // An acknowledgement matters if it raises match, or if it can move a probing peer back to
  // replicate (heartbeat_resp_recovers_from_probing).
  if (!(pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === 'probe'))) return;
  if (pr.state === 'probe') {
    pr.becomeReplicate();
  } else if (pr.state === 'snapshot' && pr.match + 1 >= r.log.firstIndex()) {
    // The follower reconnected to our log, whatever snapshot it applied: replicate again
    // (through probe, which accounts for the snapshot).
    pr.becomeProbe();
    pr.becomeReplicate();
  } else if (pr.state === 'replicate') {
    pr.inflights.freeLE(m.index);
  }
  if (maybeCommit(r)) {
    // The commit index moved in this term: held reads can now be answered.
    releasePendingReadIndexMessages(r);
    bcastAppend(r);
  } else if (r.id !== m.from && pr.canBumpCommit(r.log.committed)) {
    // Tell the follower the commit index now rather than at the next heartbeat.
    sendAppend(r, m.from);
  }
  if (r.id !== m.from) sendAllPossible(r, m.from);
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) {
    r.emit({ kind: 'leader-transfer', id: r.id, term: r.term, to: m.from, phase: 'timeout-now' });
    r.send({ type: 'MsgTimeoutNow', to: m.from });
  }
}

/** Sends as many (size-limited) MsgApp as flow control allows, without empty ones. */
function sendAllPossible(r: Raft, to: NodeId): void {
  // Each message sent carries at least one entry, so the log length bounds the rounds.
  const bound = r.log.lastIndex() - r.log.firstIndex() + 2;
  let rounds = 0;
  while (maybeSendAppend(r, to, false)) {
    rounds++;
    assert(rounds <= bound, 'raft: sending appends did not terminate');
  }
}

/**
 * A rejected append. The follower's hint (index, logTerm) lets the leader skip every index whose
 * term in its own log is above logTerm (they cannot match): at most one probe per term.
 */
function handleAppendRejection(r: Raft, m: MsgAppResp, pr: Progress): void {
  let nextProbeIdx = m.rejectHint;
  if (m.logTerm > 0) nextProbeIdx = r.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
  if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
    if (pr.state === 'replicate') pr.becomeProbe();
    sendAppend(r, m.from);
  }
}

function handleHeartbeatResponse(r: Raft, m: MsgHeartbeatResp, pr: Progress): void {
  pr.recentActive = true;
  pr.msgAppFlowPaused = false;
  // Even a paused follower gets an (empty) append: it recovers from a window full of lost
  // messages; a caught-up follower in probe moves back to replicate with its answer.
  if (pr.match < r.log.lastIndex() || pr.state === 'probe') sendAppend(r, m.from);
  if (r.readOnly.option !== 'safe' || m.context.length === 0) return;
  const acks = r.readOnly.recvAck(m.from, m.context);
  if (acks === null) return;
  if (!jointQuorumAcked(r.trk.config.voters, acks)) return;
  for (const rs of r.readOnly.advance(m.context)) respondToReadIndex(r, rs.req, rs.index);
}

function handleSnapStatus(pr: Progress, m: MsgSnapStatus): void {
  if (pr.state !== 'snapshot') return;
  // On failure forget the snapshot first, or we would probe from its index though it never landed.
  if (m.reject) pr.pendingSnapshot = 0 as LogIndex;
  pr.becomeProbe();
  // Success: wait for the follower's append response. Failure: wait a heartbeat before retrying.
  pr.msgAppFlowPaused = true;
}

function transferLeader(r: Raft, transferee: NodeId, pr: Progress): void {
  if (pr.isLearner) {
    r.dropped('MsgTransferLeader', transferee, 'learner');
    return;
  }
  if (r.leadTransferee !== NONE) {
    if (r.leadTransferee === transferee) return;
    r.emit({ kind: 'leader-transfer', id: r.id, term: r.term, to: r.leadTransferee, phase: 'abort' });
    r.leadTransferee = NONE;
  }
  if (transferee === r.id) {
    r.dropped('MsgTransferLeader', transferee, 'already-leader');
    return;
  }
  r.emit({ kind: 'leader-transfer', id: r.id, term: r.term, to: transferee, phase: 'start' });
  // The transfer must finish within one election timeout.
  r.electionElapsed = 0;
  r.leadTransferee = transferee;
  if (pr.match === r.log.lastIndex()) {
    r.emit({ kind: 'leader-transfer', id: r.id, term: r.term, to: transferee, phase: 'timeout-now' });
    r.send({ type: 'MsgTimeoutNow', to: transferee });
  } else {
    sendAppend(r, transferee);
  }
}
