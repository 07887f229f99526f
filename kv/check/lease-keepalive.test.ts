import { describe, expect, it } from 'vitest';
import { checkLeaseKeepalives, describeKeepAliveViolation, type KeepAliveGrant } from './lease-keepalive.js';

const s = (x: number): number => Math.round(x * 1_000_000);
const ka = (lease: number, sentS: number, ttlS = 2, client = 1): KeepAliveGrant => ({ lease, client, sentUs: s(sentS), ttlS });
const none = { driftMax: 0, clockFaults: [] };

describe('lease keepalive check', () => {
  it('an expiry before a keepalive\'s promise runs out is a violation, named with the lease, the keepalive and the expiry', () => {
    const r = checkLeaseKeepalives([ka(7, 5.9)], [{ lease: 7, atUs: s(6.12) }], none);
    expect(r.violations).toHaveLength(1);
    expect(describeKeepAliveViolation(r.violations[0]!)).toBe(
      'lease 7 of c1 was revoked by expiry at 6.120 s, but a keepalive sent at 5.900 s had granted it 2 s (until 7.900 s)',
    );
    expect(r.judged).toBe(1);
  });

  it('an expiry after the last promise ran out passes, however many keepalives came before', () => {
    const r = checkLeaseKeepalives([ka(7, 1), ka(7, 1.5), ka(7, 2)], [{ lease: 7, atUs: s(4.0) }], none);
    expect(r.violations).toEqual([]);
    expect(r.judged).toBe(1);
  });

  it('the promise is s + t exactly: an expiry at the boundary passes, 1 µs before fails', () => {
    expect(checkLeaseKeepalives([ka(3, 1)], [{ lease: 3, atUs: s(3) }], none).violations).toEqual([]);
    expect(checkLeaseKeepalives([ka(3, 1)], [{ lease: 3, atUs: s(3) - 1 }], none).violations).toHaveLength(1);
  });

  it('keepalives of other leases do not count', () => {
    const r = checkLeaseKeepalives([ka(8, 5.9)], [{ lease: 7, atUs: s(6.12) }], none);
    expect(r.violations).toEqual([]);
    expect(r.judged).toBe(0);
  });

  it('a drifting clock shortens the promise by (1 − driftMax): 2 s at 10 % drift is 1.8 s', () => {
    const o = { driftMax: 0.1, clockFaults: [] };
    expect(checkLeaseKeepalives([ka(7, 5)], [{ lease: 7, atUs: s(6.85) }], o).violations).toEqual([]);
    const v = checkLeaseKeepalives([ka(7, 5)], [{ lease: 7, atUs: s(6.75) }], o).violations;
    expect(v.map((x) => x.untilUs)).toEqual([s(6.8)]);
  });

  it('a pair overlapped by a clock fault is not judged; one outside the fault window still is', () => {
    const o = { driftMax: 0, clockFaults: [{ fromUs: s(6), toUs: s(6.05) }] };
    const r = checkLeaseKeepalives([ka(7, 5.9), ka(9, 7)], [{ lease: 7, atUs: s(6.12) }, { lease: 9, atUs: s(7.5) }], o);
    expect(r.skippedClockFault).toBe(1);
    expect(r.violations.map((v) => v.lease)).toEqual([9]);
    const open = { driftMax: 0, clockFaults: [{ fromUs: s(1), toUs: Infinity }] };
    expect(checkLeaseKeepalives([ka(9, 7)], [{ lease: 9, atUs: s(7.5) }], open).violations).toEqual([]);
  });

  it('refuses a keepalive with no TTL: only successful renewals are promises', () => {
    expect(() => checkLeaseKeepalives([ka(7, 1, 0)], [], none)).toThrow(/TTL 0/);
  });
});
