/**
 * The follower's step function, and the handling of what a leader sends (MsgApp, MsgHeartbeat,
 * MsgSnap), which a candidate shares once it has stepped down.
 */
import { assert } from '../../sim/assert.js';
import { restoreConfState } from './confchange.js';
import { hup } from './election.js';
import { assertConfStatesEquivalent, switchToConfig } from './membership.js';
import type { Message, MsgApp, MsgHeartbeat, MsgSnap } from './messages.js';
import { ProgressTracker } from './progress-tracker.js';
import type { Raft } from './raft.js';
import type { StepResult } from './step-result.js';
import { PROPOSAL_DROPPED, STEP_OK } from './step-result.js';
import type { LogIndex, Snapshot, Term } from './types.js';
import { NONE } from './types.js';

export function stepFollower(r: Raft, m: Message): StepResult {
  switch (m.type) {
    case 'MsgProp':
      if (r.lead === NONE) return dropProposal(r, m, 'no-leader');
      if (r.cfg.disableProposalForwarding) return dropProposal(r, m, 'forwarding-disabled');
      r.send({ type: 'MsgProp', to: r.lead, from: m.from === NONE ? r.id : m.from, term: 0 as Term, entries: m.entries });
      return STEP_OK;
    case 'MsgApp':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleAppendEntries(r, m);
      return STEP_OK;
    case 'MsgHeartbeat':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleHeartbeat(r, m);
      return STEP_OK;
    case 'MsgSnap':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleSnapshot(r, m);
      return STEP_OK;
    default:
      return stepFollowerRequests(r, m);
  }
}

/** Requests a follower forwards or acts on. */
function stepFollowerRequests(r: Raft, m: Message): StepResult {
  switch (m.type) {
    case 'MsgTransferLeader':
      if (r.lead === NONE) r.dropped(m.type, m.from, 'no-leader');
      else r.send({ type: 'MsgTransferLeader', to: r.lead, from: m.from });
      return STEP_OK;
    case 'MsgForgetLeader':
      // Forgetting the leader would let us grant votes inside its lease: unsafe for lease reads.
      if (r.readOnly.option === 'lease-based') r.dropped(m.type, m.from, 'read-only-lease-based');
      else if (r.lead !== NONE) {
        r.emit({ kind: 'forget-leader', id: r.id, term: r.term, lead: r.lead });
        r.lead = NONE;
      }
      return STEP_OK;
    case 'MsgTimeoutNow':
      // A transfer never uses pre-vote: we are not recovering from a partition.
      hup(r, 'transfer');
      return STEP_OK;
    case 'MsgReadIndex':
      if (r.lead === NONE) r.dropped(m.type, m.from, 'no-leader');
      else r.send({ type: 'MsgReadIndex', to: r.lead, from: m.from === NONE ? r.id : m.from, term: 0 as Term, context: m.context });
      return STEP_OK;
    case 'MsgReadIndexResp':
      r.readStates.push({ index: m.index, requestCtx: m.context });
      return STEP_OK;
    default:
      r.dropped(m.type, m.from, 'unexpected-for-role');
      return STEP_OK;
  }
}

function dropProposal(r: Raft, m: Message, reason: 'no-leader' | 'forwarding-disabled'): StepResult {
  r.dropped(m.type, m.from, reason);
  return PROPOSAL_DROPPED;
}

/**
 * Appends the leader's entries if our log matches at (index, logTerm) (§5.3); otherwise rejects
 * with a hint: the largest index whose term is ≤ the leader's logTerm, so the leader can skip a
 * whole divergent term per round trip instead of one entry.
 */
export function handleAppendEntries(r: Raft, m: MsgApp): void {
  if (m.index < r.log.committed) {
    // Everything up to our commit is known to match; tell the leader where we are.
    r.send({ type: 'MsgAppResp', from: r.id, term: r.term, to: m.from, index: r.log.committed, reject: false, rejectHint: 0 as LogIndex, logTerm: 0 as Term });
    return;
  }
  const lastNew = r.log.maybeAppend({ index: m.index, term: m.logTerm }, m.commit, m.entries);
  if (lastNew !== null) {
    r.send({ type: 'MsgAppResp', from: r.id, term: r.term, to: m.from, index: lastNew, reject: false, rejectHint: 0 as LogIndex, logTerm: 0 as Term });
    return;
  }
  const hint = r.log.findConflictByTerm(Math.min(m.index, r.log.lastIndex()) as LogIndex, m.logTerm);
  r.send({ type: 'MsgAppResp', from: r.id, term: r.term, to: m.from, index: m.index, reject: true, rejectHint: hint.index, logTerm: hint.term });
}

export function handleHeartbeat(r: Raft, m: MsgHeartbeat): void {
  r.log.commitTo(m.commit);
  r.send({ type: 'MsgHeartbeatResp', from: r.id, term: r.term, to: m.from, context: m.context });
}

export function handleSnapshot(r: Raft, m: MsgSnap): void {
  const restored = restore(r, m.snapshot);
  // Restored: we now hold the snapshot's log. Ignored: our commit index is what we surely hold.
  const index = restored ? r.log.lastIndex() : r.log.committed;
  r.send({ type: 'MsgAppResp', from: r.id, term: r.term, to: m.from, index, reject: false, rejectHint: 0 as LogIndex, logTerm: 0 as Term });
}

/**
 * Restores log and configuration from a snapshot; false when it is ignored: at or below our
 * commit (stale), not including us (defensive), or already in our log (we just fast-forward the
 * commit index to it).
 */
export function restore(r: Raft, s: Snapshot): boolean {
  const { index, term: t, confState: cs } = s.metadata;
  const ignore = (reason: 'stale' | 'fast-forward' | 'not-in-config'): false => {
    r.emit({ kind: 'snapshot-ignored', id: r.id, term: r.term, index, snapshotTerm: t, reason });
    return false;
  };
  if (index <= r.log.committed) return ignore('stale');
  // Only a follower restores (the caller made sure); a leader restoring would break its term.
  assert(r.role === 'follower', () => `raft: ${r.id} attempted to restore a snapshot as ${r.role}`);
  const members = [...cs.voters, ...cs.learners, ...cs.votersOutgoing];
  if (!members.includes(r.id)) return ignore('not-in-config');
  if (r.log.matchTerm({ index, term: t })) {
    r.log.commitTo(index);
    return ignore('fast-forward');
  }
  r.log.restore(s);
  r.trk = new ProgressTracker(r.trk.maxInflight, r.trk.maxInflightBytes);
  const res = restoreConfState(r.trk, r.log.lastIndex(), cs);
  assert(res.ok, () => `raft: unable to restore config from snapshot: ${res.ok ? '' : res.error}`);
  assertConfStatesEquivalent(cs, switchToConfig(r, res.config, res.progress));
  r.emit({ kind: 'snapshot-restored', id: r.id, term: r.term, index, snapshotTerm: t });
  return true;
}
