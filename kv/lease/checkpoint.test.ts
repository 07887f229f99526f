/** Lease checkpoints (etcd PR #9924, #13508) in the pure lessor. */
import { describe, expect, it } from 'vitest';
import { createLessor } from './lessor.js';
import { createMvccStore } from '../mvcc/store.js';

const S = 1_000_000;
function lessor(o: Parameters<typeof createLessor>[0]) {
  const l = createLessor(o);
  l.bind(createMvccStore({ leaseExists: (id) => l.exists(id) }));
  return l;
}

describe('lease checkpoints', () => {
  it('with checkpointing a new leader refreshes to the checkpointed remaining TTL; without, to the full TTL (etcd #9888)', () => {
    for (const interval of [0, 1 * S]) {
      const a = lessor({ checkpointIntervalUs: interval });
      a.promote(0, 0);
      a.grant(7, 10, 0);
      const cps = a.dueCheckpoints(4 * S);
      expect(cps).toEqual(interval === 0 ? [] : [{ id: 7, remainingTtlS: 6 }]);
      for (const cp of cps) a.checkpoint(cp, 4 * S);
      a.demote();
      a.promote(5 * S, 0);
      expect(a.timeToLive(7, 5 * S)).toMatchObject({ ok: true, value: { ttlS: interval === 0 ? 10 : 6 } });
    }
  });

  it('a renew clears the remaining TTL and asks for the clearing checkpoint; the snapshot keeps remaining TTLs unless etcd-17132', () => {
    const a = lessor({ checkpointIntervalUs: S });
    a.promote(0, 0);
    a.grant(7, 10, 0);
    a.checkpoint({ id: 7, remainingTtlS: 6 }, 4 * S);
    for (const [bugs, remaining] of [[[], 6], [['etcd-17132' as const], 0]] as const) {
      const b = lessor({ checkpointIntervalUs: S, bugs });
      const c = lessor({ checkpointIntervalUs: S, bugs });
      b.promote(0, 0);
      b.grant(7, 10, 0);
      b.checkpoint({ id: 7, remainingTtlS: 6 }, 4 * S);
      expect(c.restore(b.snapshot()).ok).toBe(true);
      expect(c.remainingTtlS(7)).toBe(remaining);
    }
    const r = a.renew(7, 5 * S);
    expect(r).toMatchObject({ ok: true, value: { ttlS: 10 }, clearCheckpoint: true });
    expect(a.remainingTtlS(7)).toBe(0);
    expect(a.renew(7, 6 * S)).toEqual({ ok: true, value: { ttlS: 10 } });
  });
});
