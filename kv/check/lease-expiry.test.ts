/** The lease expiry check on hand-made timelines: on time, late, early, never, and what is not judged. */
import { describe, expect, it } from 'vitest';
import { checkLeaseExpiries, describeLeaseExpiryViolation, type LeaseExpiryCheckInput } from './lease-expiry.js';

const S = 1_000_000;
const o = { driftMax: 0, extendUs: 1 * S, slackUs: 1 * S, faults: [], clockFaults: [] };
/** Lease 7, TTL 10 s, granted at 1 s (entry 5); checkpoints at entries 10 (6 s left) and 20 (4 s left); member 2 leads from 8 s with entry 15 applied. */
function input(over: Partial<LeaseExpiryCheckInput> = {}): LeaseExpiryCheckInput {
  return {
    promises: [{ lease: 7, sentUs: 1 * S, returnUs: 1 * S + 5_000, ttlS: 10, kind: 'grant' }],
    grants: [{ index: 5, lease: 7, ttlS: 10 }],
    checkpoints: [{ index: 10, lease: 7, remainingTtlS: 6 }, { index: 20, lease: 7, remainingTtlS: 4 }],
    promotes: [{ host: 2, term: 3, atUs: 8 * S, appliedIndex: 15 }],
    expiries: [{ lease: 7, atUs: 15 * S, term: 3 }],
    unjudged: new Set(),
    keptAlive: new Set(),
    endUs: 40 * S,
    ...over,
  };
}

describe('lease expiry check', () => {
  it('passes an expiry at the promote\'s checkpointed remaining TTL plus the extension (8 + 6 + 1 = 15 s)', () => {
    const r = checkLeaseExpiries(input(), o);
    expect(r.violations).toEqual([]);
    expect(r).toMatchObject({ judgedLate: 1, fromCheckpoint: 1 });
  });

  it('late: renewed in full at the promote (8 + 10 + 1 = 19 s) although entry 10 had checkpointed 6 s', () => {
    const r = checkLeaseExpiries(input({ expiries: [{ lease: 7, atUs: 19 * S, term: 3 }] }), o);
    expect(r.violations.map(describeLeaseExpiryViolation)).toEqual([
      'lease 7 expired late at 19.000 s, after 16.000 s, the latest its promise allowed (member 2 leading from 8.000 s (checkpointed remaining TTL 6 s))',
    ]);
  });

  it('the checkpoint the new leader had applied counts, not a later one: applied index 25 allows only 8 + 4 + 1', () => {
    const r = checkLeaseExpiries(input({ promotes: [{ host: 2, term: 3, atUs: 8 * S, appliedIndex: 25 }] }), o);
    expect(r.violations.map((v) => v.kind)).toEqual(['late']);
    expect(checkLeaseExpiries(input({ promotes: [{ host: 2, term: 3, atUs: 8 * S, appliedIndex: 25 }], expiries: [{ lease: 7, atUs: 13 * S, term: 3 }] }), o).violations).toEqual([]);
  });

  it('without checkpoints a promote renews in full, and that is the promise', () => {
    expect(checkLeaseExpiries(input({ checkpoints: [], expiries: [{ lease: 7, atUs: 19 * S, term: 3 }] }), o).violations).toEqual([]);
  });

  it('early: before the grant\'s TTL, or before the revoking leader\'s own refresh (for a lease nobody kept alive)', () => {
    const before = checkLeaseExpiries(input({ promotes: [], expiries: [{ lease: 7, atUs: 9 * S, term: 2 }] }), o);
    expect(before.violations.map(describeLeaseExpiryViolation)).toEqual(['lease 7 expired early at 9.000 s, before 11.000 s, the earliest its promise allowed (grant sent at 1.000 s (TTL 10 s))']);
    const afterPromote = input({ expiries: [{ lease: 7, atUs: 12 * S, term: 3 }] });
    expect(checkLeaseExpiries(afterPromote, o).violations.map((v) => [v.kind, v.boundUs])).toEqual([['early', 15 * S]]);
    expect(checkLeaseExpiries({ ...afterPromote, keptAlive: new Set([7]) }, o).violations).toEqual([]);
  });

  it('never: a lease still live at the end, past its bound; not judged when the end is before the bound', () => {
    expect(checkLeaseExpiries(input({ expiries: [] }), o).violations.map((v) => v.kind)).toEqual(['never']);
    expect(checkLeaseExpiries(input({ expiries: [], endUs: 15 * S }), o).violations).toEqual([]);
  });

  it('does not judge late expiries over a fault, leases a client revoked or kept alive with an unknown outcome, nor anything over a clock fault', () => {
    const late = input({ expiries: [{ lease: 7, atUs: 19 * S, term: 3 }] });
    expect(checkLeaseExpiries(late, { ...o, faults: [{ fromUs: 17 * S, toUs: 17 * S }] }).violations).toEqual([]);
    expect(checkLeaseExpiries({ ...late, unjudged: new Set([7]) }, o).violations).toEqual([]);
    expect(checkLeaseExpiries(late, { ...o, clockFaults: [{ fromUs: 0, toUs: Infinity }] }).violations).toEqual([]);
  });

  it('drift widens both bounds', () => {
    const r = checkLeaseExpiries(input({ expiries: [{ lease: 7, atUs: 16_500_000, term: 3 }] }), { ...o, driftMax: 0.1 });
    expect(r.violations).toEqual([]);
  });
});
