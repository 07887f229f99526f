/**
 * What the run report's step-through draws beyond the trace: each member's log (entries and their
 * terms, the snapshot boundary), its vote and election timer, its clock, and each client's call in
 * progress and last answer — read from the live cluster of a replay of the run, at the very
 * instants the step-through has frames at (reports/step-through.ts stepInstants).
 *
 * The trace does not carry logs, so the report cannot rebuild them from it; the run is
 * deterministic, so re-running the record's settings and seed gives the same cluster at every
 * instant. The replay must reach the record's trace hash, else (the code or the settings changed
 * since the record was written) nothing is returned and the report draws what the trace tells.
 * scenarios imports reports, not the other way: the CLI captures and hands the result to the
 * report (reports/write.ts).
 */
import type { RunRecord } from '../record/run-record.js';
import type { FrameDetail, PictureMember, PictureSlowLink } from '../reports/picture/model.js';
import { runEndUs } from '../reports/run-view.js';
import { stepInstants, type StepOptions } from '../reports/step-through.js';
import type { HostId } from '../sim/host.js';
import type { TraceEvent } from '../sim/trace.js';
import type { SimCluster } from './cluster.js';
import { startRun } from './runner.js';
import type { Scenario } from './schema.js';

/** Entries of each log drawn (the newest). */
export const PICTURE_LOG_SHOWN = 24;

export type ReportPicture = FrameDetail;

/** The pictures by instant (µs), or null when the replay does not reproduce the record. */
export function captureReportPictures(record: RunRecord, step: Partial<StepOptions> = {}): ReadonlyMap<number, ReportPicture> | null {
  if (record.settings === null || typeof record.settings !== 'object') return null;
  try {
    return capture(record, step);
  } catch {
    // Settings this code cannot run (an edited or older record): the report draws what the trace tells.
    return null;
  }
}

function capture(record: RunRecord, step: Partial<StepOptions>): ReadonlyMap<number, ReportPicture> | null {
  const instants = stepInstants(record, runEndUs(record), step);
  const clients = new Map<HostId, { member: number; pending: string | null; last: string | null }>();
  const diskFaults = new Set<HostId>();
  const tap = (e: TraceEvent): void => {
    if (e.host === null) return;
    const f = e.fields;
    if (e.kind === 'client.send') {
      const c = clients.get(e.host) ?? { member: 0, pending: null, last: null };
      clients.set(e.host, { ...c, member: Number(f.to), pending: String(f.method) });
    } else if (e.kind === 'client.done') {
      const c = clients.get(e.host) ?? { member: 0, pending: null, last: null };
      clients.set(e.host, { ...c, pending: null, last: `${String(f.method)} ${String(f.status)}${f.code === undefined || f.code === '' ? '' : `: ${String(f.code)}`}` });
    } else if (e.kind === 'disk.fault') diskFaults.add(e.host);
    else if (e.kind === 'host.restart' || e.kind === 'host.start') diskFaults.delete(e.host);
  };
  const session = startRun({ name: record.scenario, description: record.description, scenario: record.settings as Scenario, seed: record.seed, overrides: record.overrides, trace: 'hash-only', keepHistory: false }, { tap });
  const out = new Map<number, ReportPicture>();
  for (const t of instants) {
    if (session.phase === 'done') break;
    session.advance(t, Number.MAX_SAFE_INTEGER);
    const c = session.cluster;
    out.set(t, {
      members: c.members().map((id) => memberPicture(c, id, diskFaults.has(id))),
      clients: c.clientIds.map((host, k) => ({ client: k, ...(clients.get(host) ?? { member: 0, pending: null, last: null }) })),
      slow: slowLinks(c),
    });
  }
  return session.finish().traceHash === record.traceHash ? out : null;
}

/** A member as the picture draws it, read from the live cluster (the playground's session reads the same). */
export function memberPicture(c: SimCluster, id: HostId, diskFault: boolean): PictureMember {
  const clock = c.hosts.clock(id);
  const node = c.raftNode(id);
  const st = c.hosts.state(id) === 'down' || node === undefined ? null : node.status();
  const base = { id, clockRate: clock.rate, diskFault, lead: 0, vote: 0, electionElapsed: 0, electionTimeout: 0 };
  if (st === null || node === undefined) return { ...base, state: 'down', role: 'down', term: 0, commit: 0, applied: 0, firstIndex: 0, lastIndex: 0, snapshotIndex: 0, log: null };
  let log: { index: number; term: number }[] | null = null;
  let firstIndex = 0;
  let vote = 0;
  try {
    const lv = node.logView();
    vote = node.raftStatus().vote;
    firstIndex = lv.firstIndex();
    const last = lv.lastIndex();
    log = [];
    for (let i = Math.max(firstIndex, last - PICTURE_LOG_SHOWN + 1); i <= last; i++) log.push({ index: i, term: lv.term(i as never) ?? 0 });
  } catch {
    log = null;
  }
  const timer = node.electionTimer();
  return {
    ...base,
    state: st.stopped !== null ? 'stopped' : c.hosts.state(id) === 'paused' ? 'paused' : 'up',
    role: st.role,
    term: st.term,
    vote,
    lead: st.lead,
    commit: st.commit,
    applied: st.applied,
    firstIndex,
    lastIndex: st.lastIndex,
    snapshotIndex: st.snapshotIndex,
    log,
    electionElapsed: timer?.elapsed ?? 0,
    electionTimeout: timer?.timeout ?? 0,
  };
}

/** Directed links between members whose delay model is not the network's (a link-delay fault), with its typical delay. */
export function slowLinks(c: SimCluster): PictureSlowLink[] {
  const net = c.network;
  const base = net.options.delay;
  const ids = c.members();
  const out: PictureSlowLink[] = [];
  for (const from of ids) {
    for (const to of ids) {
      if (from === to) continue;
      const m = net.delayModel(from, to);
      if (m === base) continue;
      const us = m.kind === 'fixed' ? m.us : m.kind === 'uniform' ? (m.minUs + m.maxUs) / 2 : m.medianUs;
      out.push({ from, to, delayMs: us / 1000 });
    }
  }
  return out;
}
