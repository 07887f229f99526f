/**
 * The step function shared by candidates and pre-candidates; they differ only in which vote
 * responses they count (a candidate may still receive stale pre-vote responses of its term).
 */
import { campaign, poll } from './election.js';
import type { Message, MsgPreVoteResp, MsgVoteResp } from './messages.js';
import type { Raft } from './raft.js';
import { bcastAppend } from './replication.js';
import { handleAppendEntries, handleHeartbeat, handleSnapshot } from './step-follower.js';
import type { StepResult } from './step-result.js';
import { PROPOSAL_DROPPED, STEP_OK } from './step-result.js';
import { NONE } from './types.js';

export function stepCandidate(r: Raft, m: Message): StepResult {
  switch (m.type) {
    case 'MsgProp':
      r.dropped(m.type, m.from, 'no-leader');
      return PROPOSAL_DROPPED;
    // A leader of our term exists (m.term === r.term here): follow it.
    case 'MsgApp':
      r.becomeFollower(m.term, m.from);
      handleAppendEntries(r, m);
      return STEP_OK;
    case 'MsgHeartbeat':
      r.becomeFollower(m.term, m.from);
      handleHeartbeat(r, m);
      return STEP_OK;
    case 'MsgSnap':
      r.becomeFollower(m.term, m.from);
      handleSnapshot(r, m);
      return STEP_OK;
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      handleVoteResponse(r, m);
      return STEP_OK;
    case 'MsgReadIndex':
      r.dropped(m.type, m.from, 'no-leader');
      return STEP_OK;
    default:
      r.dropped(m.type, m.from, 'unexpected-for-role');
      return STEP_OK;
  }
}

function handleVoteResponse(r: Raft, m: MsgVoteResp | MsgPreVoteResp): void {
  const mine = r.role === 'pre-candidate' ? 'MsgPreVoteResp' : 'MsgVoteResp';
  if (m.type !== mine) {
    r.dropped(m.type, m.from, 'stale-vote-response');
    return;
  }
  const { granted, rejected, result } = poll(r, m.from, !m.reject);
  r.emit({ kind: 'votes-tallied', id: r.id, term: r.term, respType: m.type, from: m.from, granted, rejected });
  if (result === 'won') {
    if (r.role === 'pre-candidate') {
      campaign(r, 'election');
    } else {
      r.becomeLeader();
      bcastAppend(r);
    }
  } else if (result === 'lost') {
    // A pre-vote response carries the future term we asked for; stay at ours.
    r.becomeFollower(r.term, NONE);
  }
}
