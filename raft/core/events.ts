/**
 * What the core reports as it runs. The core never logs: it calls `Config.onEvent` with one of
 * these typed values, synchronously, and the node layer forwards them to the trace. Every message
 * the core drops or ignores is reported with a reason, so no loss is silent.
 *
 * `describeEvent` renders an event as one line close to etcd's log line for the same moment, so
 * a transcript reads like etcd-io/raft's testdata.
 */
import { unreachable } from '../../sim/assert.js';
import type { MessageType } from './messages.js';
import type { ConfState, LogIndex, NodeId, Role, Term } from './types.js';

export type CampaignKind = 'pre-election' | 'election' | 'transfer';

/** Why a message (or a proposal, or a request) was dropped or ignored. */
export type DropReason =
  | 'lower-term'
  | 'lease-not-expired'
  | 'no-leader'
  | 'forwarding-disabled'
  | 'transfer-in-progress'
  | 'uncommitted-size-limit'
  | 'not-in-config'
  | 'unknown-peer'
  | 'stale-vote-response'
  | 'read-only-lease-based'
  | 'learner'
  | 'already-leader'
  | 'unexpected-for-role';

export type RaftEvent =
  | { readonly kind: 'become'; readonly id: NodeId; readonly role: Role; readonly term: Term; readonly lead: NodeId }
  | { readonly kind: 'campaign'; readonly id: NodeId; readonly term: Term; readonly campaign: CampaignKind }
  | { readonly kind: 'campaign-refused'; readonly id: NodeId; readonly term: Term; readonly reason: 'unpromotable' | 'pending-conf-change' }
  | { readonly kind: 'higher-term'; readonly id: NodeId; readonly term: Term; readonly messageType: MessageType; readonly from: NodeId; readonly messageTerm: Term }
  | {
      readonly kind: 'vote';
      readonly id: NodeId;
      readonly term: Term;
      readonly voteType: 'MsgVote' | 'MsgPreVote';
      readonly candidate: NodeId;
      readonly granted: boolean;
      readonly lastIndex: LogIndex;
      readonly lastTerm: Term;
      readonly candidateIndex: LogIndex;
      readonly candidateTerm: Term;
    }
  | {
      readonly kind: 'votes-tallied';
      readonly id: NodeId;
      readonly term: Term;
      readonly respType: 'MsgVoteResp' | 'MsgPreVoteResp';
      readonly from: NodeId;
      readonly granted: number;
      readonly rejected: number;
    }
  | { readonly kind: 'commit'; readonly id: NodeId; readonly term: Term; readonly from: LogIndex; readonly to: LogIndex }
  | { readonly kind: 'conf-change-applied'; readonly id: NodeId; readonly term: Term; readonly confState: ConfState }
  | { readonly kind: 'conf-change-refused'; readonly id: NodeId; readonly term: Term; readonly reason: string }
  | { readonly kind: 'snapshot-restored'; readonly id: NodeId; readonly term: Term; readonly index: LogIndex; readonly snapshotTerm: Term }
  | {
      readonly kind: 'snapshot-ignored';
      readonly id: NodeId;
      readonly term: Term;
      readonly index: LogIndex;
      readonly snapshotTerm: Term;
      readonly reason: 'stale' | 'fast-forward' | 'not-in-config';
    }
  | { readonly kind: 'snapshot-sent'; readonly id: NodeId; readonly term: Term; readonly to: NodeId; readonly index: LogIndex }
  | { readonly kind: 'message-dropped'; readonly id: NodeId; readonly term: Term; readonly messageType: MessageType; readonly from: NodeId; readonly reason: DropReason }
  | { readonly kind: 'step-down'; readonly id: NodeId; readonly term: Term; readonly reason: 'quorum-inactive' | 'removed' }
  | { readonly kind: 'leader-transfer'; readonly id: NodeId; readonly term: Term; readonly to: NodeId; readonly phase: 'start' | 'timeout-now' | 'abort' }
  | { readonly kind: 'forget-leader'; readonly id: NodeId; readonly term: Term; readonly lead: NodeId }
  /** asyncStorageWrites: an append response of an older term does not mark entries stable (ABA guard). */
  | { readonly kind: 'stale-append-ignored'; readonly id: NodeId; readonly term: Term; readonly responseTerm: Term }
  /**
   * asyncStorageWrites: entries reported durable are no longer the unstable ones (`missing`: not in
   * the unstable log; `snapshot`: the index is the unstable snapshot's; `term-mismatch`: replaced
   * by entries of term `unstableTerm` while being written).
   */
  | {
      readonly kind: 'stable-ignored';
      readonly id: NodeId;
      readonly term: Term;
      readonly index: LogIndex;
      readonly entryTerm: Term;
      readonly reason: 'missing' | 'snapshot' | 'term-mismatch';
      readonly unstableTerm: Term;
    };

/** One line per event, worded as etcd-io/raft logs the same moment. */
export function describeEvent(e: RaftEvent): string {
  switch (e.kind) {
    case 'become':
      return `${e.id} became ${e.role} at term ${e.term}`;
    case 'campaign':
      return `${e.id} is starting a new ${e.campaign === 'pre-election' ? 'pre-election' : 'election'} at term ${e.term}${e.campaign === 'transfer' ? ' (transfer)' : ''}`;
    case 'campaign-refused':
      return `${e.id} cannot campaign at term ${e.term}: ${e.reason}`;
    case 'higher-term':
      return `${e.id} [term: ${e.term}] received a ${e.messageType} message with higher term from ${e.from} [term: ${e.messageTerm}]`;
    case 'vote':
      return (
        `${e.id} [logterm: ${e.lastTerm}, index: ${e.lastIndex}] ${e.granted ? 'cast' : 'rejected'} ${e.voteType} ` +
        `${e.granted ? 'for' : 'from'} ${e.candidate} [logterm: ${e.candidateTerm}, index: ${e.candidateIndex}] at term ${e.term}`
      );
    case 'votes-tallied':
      return `${e.id} has received ${e.granted} ${e.respType} votes and ${e.rejected} vote rejections (last from ${e.from})`;
    case 'commit':
      return `${e.id} committed ${e.from} -> ${e.to} at term ${e.term}`;
    case 'conf-change-applied':
      return `${e.id} switched to configuration ${describeConfState(e.confState)}`;
    case 'conf-change-refused':
      return `${e.id} ignoring conf change: ${e.reason}`;
    case 'snapshot-restored':
      return `${e.id} restored snapshot [index: ${e.index}, term: ${e.snapshotTerm}]`;
    case 'snapshot-ignored':
      return `${e.id} ignored snapshot [index: ${e.index}, term: ${e.snapshotTerm}]: ${e.reason}`;
    case 'snapshot-sent':
      return `${e.id} sent snapshot [index: ${e.index}] to ${e.to}`;
    case 'message-dropped':
      return `${e.id} [term: ${e.term}] dropped ${e.messageType} from ${e.from}: ${e.reason}`;
    case 'step-down':
      return `${e.id} stepped down to follower at term ${e.term}: ${e.reason}`;
    case 'leader-transfer':
      return `${e.id} leader transfer to ${e.to}: ${e.phase}`;
    case 'forget-leader':
      return `${e.id} forgetting leader ${e.lead} at term ${e.term}`;
    case 'stale-append-ignored':
      return `${e.id} [term: ${e.term}] ignored entry appends from a MsgStorageAppendResp message with lower term [term: ${e.responseTerm}]`;
    case 'stable-ignored':
      // Worded (and, like etcd's line, without the node id) as etcd's unstable log says it.
      if (e.reason === 'missing') return `entry at index ${e.index} missing from unstable log; ignoring`;
      if (e.reason === 'snapshot') return `entry at index ${e.index} matched unstable snapshot; ignoring`;
      return `entry at (index,term)=(${e.index},${e.entryTerm}) mismatched with entry at (${e.index},${e.unstableTerm}) in unstable log; ignoring`;
    default:
      return unreachable(e, 'raft event');
  }
}

/** `voters=(1 2 3)&&(1 2) learners=(4) learners_next=(3) autoleave`: etcd's config String(). */
export function describeConfState(cs: ConfState): string {
  const ids = (xs: readonly NodeId[]): string => `(${[...xs].sort((a, b) => a - b).join(' ')})`;
  let s = `voters=${ids(cs.voters)}`;
  if (cs.votersOutgoing.length > 0) s += `&&${ids(cs.votersOutgoing)}`;
  if (cs.learners.length > 0) s += ` learners=${ids(cs.learners)}`;
  if (cs.learnersNext.length > 0) s += ` learners_next=${ids(cs.learnersNext)}`;
  if (cs.autoLeave) s += ' autoleave';
  return s;
}
