/**
 * Membership changes taking effect (§6 of the thesis, etcd's applyConfChange/switchToConfig): a
 * configuration changes when its entry is *applied*, not when it is appended. Also the apply
 * cursor, because applying is what triggers the automatic leave of a joint configuration.
 */
import { assert } from '../../sim/assert.js';
import { Changer } from './confchange.js';
import type { ChangeResult } from './confchange.js';
import type { ProgressMap, TrackerConfig } from './progress-tracker.js';
import { describeTrackerConfig } from './progress-tracker.js';
import type { Raft } from './raft.js';
import { bcastAppend, maybeCommit, maybeSendAppend } from './replication.js';
import type { ConfChangeV2, ConfState, LogIndex, Snapshot, Term } from './types.js';
import { NONE, entersJoint, isLeaveJoint } from './types.js';

/** Applies a committed conf change; an invalid one (it passed the propose checks) is a broken invariant. */
export function applyConfChange(r: Raft, cc: ConfChangeV2): ConfState {
  const changer = new Changer(r.trk, r.log.lastIndex());
  let res: ChangeResult;
  if (isLeaveJoint(cc)) {
    res = changer.leaveJoint();
  } else {
    const j = entersJoint(cc);
    res = j.joint ? changer.enterJoint(j.autoLeave, cc.changes) : changer.simple(cc.changes);
  }
  assert(res.ok, () => `raft: cannot apply conf change at config ${describeTrackerConfig(r.trk.config)}: ${res.ok ? '' : res.error}`);
  return switchToConfig(r, res.config, res.progress);
}

/**
 * Makes a configuration the active one and reacts: a removed (or demoted) leader steps down if
 * so configured; a leader re-evaluates its commit index (the quorum changed) and probes new peers;
 * a transfer to a peer that is no longer a voter is aborted.
 */
export function switchToConfig(r: Raft, cfg: TrackerConfig, progress: ProgressMap): ConfState {
  r.trk.config = cfg;
  r.trk.progress = progress;
  const cs = r.trk.confState();
  r.emit({ kind: 'conf-change-applied', id: r.id, term: r.term, confState: cs });
  const pr = progress.get(r.id);
  r.isLearner = pr !== undefined && pr.isLearner;
  if ((pr === undefined || r.isLearner) && r.role === 'leader') {
    // Without StepDownOnRemoval the removed leader keeps leading (and drops proposals): etcd's
    // documented behaviour, etcd #11038.
    if (r.cfg.stepDownOnRemoval) {
      r.emit({ kind: 'step-down', id: r.id, term: r.term, reason: 'removed' });
      r.becomeFollower(r.term, NONE);
    }
    return cs;
  }
  if (r.role !== 'leader' || cs.voters.length === 0) return cs;
  if (maybeCommit(r)) {
    bcastAppend(r);
  } else {
    // Probe the newly added peers now rather than at the next heartbeat.
    r.trk.visit((id) => {
      if (id !== r.id) maybeSendAppend(r, id, false);
    });
  }
  if (r.leadTransferee !== NONE && !r.trk.isVoter(r.leadTransferee)) {
    r.emit({ kind: 'leader-transfer', id: r.id, term: r.term, to: r.leadTransferee, phase: 'abort' });
    r.leadTransferee = NONE;
  }
  return cs;
}

/** The same members in each role, whatever the order: a restored config must match its ConfState. */
export function assertConfStatesEquivalent(a: ConfState, b: ConfState): void {
  const key = (cs: ConfState): string =>
    [cs.voters, cs.learners, cs.votersOutgoing, cs.learnersNext].map((ids) => [...ids].sort((x, y) => x - y).join(',')).join('|') + `|${cs.autoLeave}`;
  assert(key(a) === key(b), () => `raft: conf states not equivalent: ${key(a)} vs ${key(b)}`);
}

/**
 * The application applied up to `index`. A leader in a joint configuration with auto-leave
 * proposes the leave once the configuration is applied (pendingConfIndex passed).
 */
export function appliedTo(r: Raft, index: LogIndex, sizeBytes: number): void {
  const newApplied = Math.max(index, r.log.applied) as LogIndex;
  r.log.appliedTo(newApplied, sizeBytes);
  if (r.trk.config.autoLeave && newApplied >= r.pendingConfIndex && r.role === 'leader') {
    // An empty ConfChangeV2: zero payload, so the size limit cannot refuse it; a transfer in
    // progress can, and then we try again on the next apply.
    const res = r.step({ type: 'MsgProp', from: NONE, to: NONE, term: 0 as Term, entries: [{ type: 'conf-change-v2', data: new Uint8Array(0) }] });
    if (!res.ok) r.emit({ kind: 'conf-change-refused', id: r.id, term: r.term, reason: 'automatic leave of joint config dropped' });
  }
}

/** The snapshot handed out in a Ready is durable and applied. */
export function appliedSnap(r: Raft, snap: Snapshot): void {
  r.log.stableSnapTo(snap.metadata.index);
  appliedTo(r, snap.metadata.index, 0);
}
