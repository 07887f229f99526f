/// <reference lib="dom" />
/**
 * The run report's half of the shared picture: bundled by bin/build.js (esbuild, ES2017, one
 * IIFE) into bundle.generated.ts, which the report inlines before its own script
 * (run-page-script.ts). It turns one encoded step-through frame (run-page-data.ts) into a
 * `Picture` and draws it with draw.ts — the code the playground draws its live cluster with.
 */
import { ClusterPicture, drawClients, drawLogs } from './draw.js';
import type { Picture, PictureMember } from './model.js';
import type { EncodedDetail, EncodedFrame, RunPageData } from '../run-page-data.js';

const HOST_STATE = { up: 'up', paused: 'paused', down: 'down' } as const;
const MEMBER_STATES = ['up', 'paused', 'down', 'stopped'] as const;

/** Decodes the members a replay read (run-page-data.ts encodeDetail). */
function detailMembers(d: EncodedDetail, ids: readonly number[]): PictureMember[] {
  return d.m.map((m, i) => {
    const [state, role, term, vote, lead, commit, applied, firstIndex, lastIndex, snapshotIndex, electionElapsed, electionTimeout, clockRate, disk, logStart, runs] = m;
    let log: { index: number; term: number }[] | null = null;
    if (logStart >= 0) {
      log = [];
      let index = logStart;
      for (const [t, n] of runs) for (let k = 0; k < n; k++) log.push({ index: index++, term: t });
    }
    return { id: ids[i] as number, state: MEMBER_STATES[state] ?? 'up', role, term, vote, lead, commit, applied, firstIndex, lastIndex, snapshotIndex, log, electionElapsed, electionTimeout, clockRate, diskFault: disk === 1 };
  });
}

export function pictureOfFrame(D: RunPageData, f: EncodedFrame): Picture {
  const members: PictureMember[] =
    f.p !== undefined
      ? detailMembers(f.p, D.members)
      : f.n.map((n, i) => {
          const host = HOST_STATE[(D.hosts[n[5]] ?? 'up') as keyof typeof HOST_STATE];
          return { id: D.members[i] as number, state: host, role: D.roles[n[0]] ?? 'unknown', term: n[1], vote: 0, lead: n[2], commit: n[3], applied: n[4], firstIndex: 0, lastIndex: 0, snapshotIndex: 0, log: null, electionElapsed: 0, electionTimeout: 0, clockRate: 1, diskFault: false };
        });
  return {
    members,
    // Oldest first: the picture draws the newest last (on top).
    messages: [...f.m].reverse().map((m) => ({ id: `${m[0]}>${m[1]}@${m[3]}:${m[2]}`, from: m[0], to: m[1], type: D.types[m[2]] ?? '?', term: null, index: null, progress: Math.min(1, Math.max(0, (f.t - m[3]) / Math.max(1, m[4] - m[3]))), lost: m[5] === 1 })),
    clients: f.p === undefined ? null : f.p.c.map(([member, pending, last], k) => ({ client: k, member, pending, last })),
    cut: f.c.map(([from, to]) => ({ from, to })),
    slow: f.p === undefined ? [] : f.p.s.map(([from, to, delayMs]) => ({ from, to, delayMs })),
  };
}

/** Returns the function that draws frame `f` into the cluster SVG, the logs box and the clients list. */
function stepPicture(svg: SVGSVGElement, logs: HTMLElement, clients: HTMLElement, D: RunPageData): (f: EncodedFrame) => void {
  const pic = new ClusterPicture(svg, D.members, 24);
  return (f) => {
    const p = pictureOfFrame(D, f);
    pic.draw(p);
    drawLogs(logs, p.members);
    drawClients(clients, p.clients);
  };
}

(window as unknown as { raftsimStepPicture: typeof stepPicture }).raftsimStepPicture = stepPicture;
