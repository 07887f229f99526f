/**
 * Every crash point a scenario may name: the raft node's (raft/node/crash-points.ts) and, for a
 * cluster whose members keep a backend (`server.backend`), the storage layer's — etcd's failpoints
 * in the backend's commit and defragmentation (kv/backend/backend.ts) and in the MVCC store's
 * compaction (kv/backend/member-backend.ts).
 *
 * The fault mix draws from `crashPointsFor(s)`: the storage points join the list only when the
 * backend is on, so scenarios without it draw exactly what they drew before.
 */
import { ALL_CRASH_POINTS as RAFT_CRASH_POINTS, CRASH_POINTS } from '../raft/node/crash-points.js';
import { BACKEND_CRASH_POINTS } from '../kv/backend/backend.js';
import { MVCC_BACKEND_CRASH_POINTS } from '../kv/backend/member-backend.js';
import type { Scenario } from './schema.js';

export const STORAGE_CRASH_POINTS: readonly string[] = [...BACKEND_CRASH_POINTS, ...MVCC_BACKEND_CRASH_POINTS];
export const ALL_CRASH_POINTS: readonly string[] = [...RAFT_CRASH_POINTS, ...STORAGE_CRASH_POINTS];

/** The crash points a `crash-point` fault of `s` may name (the storage ones need the backend). */
export function crashPointsFor(s: Pick<Scenario, 'server'>): readonly string[] {
  return s.server.backend === true ? ALL_CRASH_POINTS : RAFT_CRASH_POINTS;
}

/** The crash points the fault mix of `s` draws from: the Ready loop's, plus the storage ones with the backend. */
export function mixCrashPointsFor(s: Pick<Scenario, 'server'>): readonly string[] {
  return s.server.backend === true ? [...CRASH_POINTS, ...STORAGE_CRASH_POINTS] : CRASH_POINTS;
}
