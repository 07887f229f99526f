/**
 * What stepping a message returns. Refusals are expected outcomes, returned as values:
 * - `ProposalDropped`: the proposal cannot be accepted here and now (no leader, forwarding
 *   disabled, transfer in progress, uncommitted-size limit, leader removed) — a definite failure
 *   the client may retry;
 * - `StepLocalMsg`: a message only this node may create arrived from the network;
 * - `StepPeerNotFound`: a response from a peer this node does not track.
 */
export type StepError = 'ProposalDropped' | 'StepLocalMsg' | 'StepPeerNotFound';

export type StepResult = { readonly ok: true } | { readonly ok: false; readonly error: StepError };

export const STEP_OK: StepResult = { ok: true };
export const PROPOSAL_DROPPED: StepResult = { ok: false, error: 'ProposalDropped' };
