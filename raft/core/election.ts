/**
 * Elections (§5.2, §5.4.1, thesis §9.6): starting a (pre-)campaign, answering vote requests, and
 * counting votes.
 */
import type { CampaignKind } from './events.js';
import type { MsgPreVote, MsgVote } from './messages.js';
import { voteRespType } from './messages.js';
import type { VoteResult } from './quorum.js';
import type { Raft } from './raft.js';
import { NONE } from './types.js';
import type { LogIndex, NodeId, Term } from './types.js';

/** Starts an election unless this node is leader, cannot be promoted, or has a conf change to apply. */
export function hup(r: Raft, kind: CampaignKind): void {
  if (r.role === 'leader') {
    r.dropped('MsgHup', r.id, 'already-leader');
    return;
  }
  if (!r.promotable()) {
    r.emit({ kind: 'campaign-refused', id: r.id, term: r.term, reason: 'unpromotable' });
    return;
  }
  // A committed but unapplied conf change may change who votes: wait until it is applied.
  if (hasUnappliedConfChanges(r)) {
    r.emit({ kind: 'campaign-refused', id: r.id, term: r.term, reason: 'pending-conf-change' });
    return;
  }
  campaign(r, kind);
}

function hasUnappliedConfChanges(r: Raft): boolean {
  if (r.log.applied >= r.log.committed) return false;
  let found = false;
  // Paged by the applying budget, so a long unapplied tail does not load at once.
  r.log.scan((r.log.applied + 1) as LogIndex, (r.log.committed + 1) as LogIndex, r.log.maxApplyingEntsSizeBytes, (ents) => {
    found = ents.some((e) => e.type !== 'normal');
    return !found;
  });
  return found;
}

/**
 * Becomes (pre-)candidate and asks every voter. The self-vote is an after-append message: it
 * counts only once the vote is durable.
 */
export function campaign(r: Raft, kind: CampaignKind): void {
  r.emit({ kind: 'campaign', id: r.id, term: r.term, campaign: kind });
  let t: Term;
  let voteMsg: 'MsgVote' | 'MsgPreVote';
  if (kind === 'pre-election') {
    r.becomePreCandidate();
    voteMsg = 'MsgPreVote';
    // Pre-votes are asked for the term we would campaign in, without moving to it.
    t = (r.term + 1) as Term;
  } else {
    r.becomeCandidate();
    voteMsg = 'MsgVote';
    t = r.term;
  }
  for (const id of r.trk.voterNodes()) {
    if (id === r.id) {
      r.send({ type: voteRespType(voteMsg), to: id, term: t, reject: false });
      continue;
    }
    const last = r.log.lastEntryId();
    r.send({ type: voteMsg, to: id, term: t, index: last.index, logTerm: last.term, transfer: kind === 'transfer' });
  }
}

/**
 * Answers a (pre-)vote request whose term is not lower than ours (step handled the term). We
 * grant if we can vote — a repeat of our vote, no vote and no known leader in this term, or a
 * pre-vote for a future term — and the candidate's log is at least as up to date as ours.
 * Learners answer too: a learner may have been promoted without knowing it yet (etcd PR #10998).
 */
export function handleVoteRequest(r: Raft, m: MsgVote | MsgPreVote): void {
  const canVote = r.vote === m.from || (r.vote === NONE && r.lead === NONE) || (m.type === 'MsgPreVote' && m.term > r.term);
  const last = r.log.lastEntryId();
  const granted = canVote && r.log.isUpToDate({ index: m.index, term: m.logTerm });
  r.emit({
    kind: 'vote', id: r.id, term: r.term, voteType: m.type, candidate: m.from, granted,
    lastIndex: last.index, lastTerm: last.term, candidateIndex: m.index, candidateTerm: m.logTerm,
  });
  if (!granted) {
    r.send({ type: voteRespType(m.type), to: m.from, term: r.term, reject: true });
    return;
  }
  // A granted response carries the request's term, not ours: a pre-candidate from a partition
  // ignores messages of a lower term than its own.
  r.send({ type: voteRespType(m.type), to: m.from, term: m.term, reject: false });
  if (m.type === 'MsgVote') {
    // Only real votes are recorded (§5.2: at most one per term) and reset the election timer.
    r.electionElapsed = 0;
    r.vote = m.from;
  }
}

/** Records a vote and returns the tally. */
export function poll(r: Raft, id: NodeId, granted: boolean): { granted: number; rejected: number; result: VoteResult } {
  r.trk.recordVote(id, granted);
  return r.trk.tallyVotes();
}
