/**
 * The swarm's membership changes come after etcd's 5 s HealthInterval: the Cluster API refuses a
 * reconfiguration ErrUnhealthy until the leader's peer streams have been up that long
 * (server.healthIntervalUs), so a change drawn earlier tested nothing. (Later ones can still be
 * refused when a crash, pause or cut in the 5 s before reset a peer stream, or find no leader: the
 * nemesis does not retry them.)
 */
import { describe, expect, it } from 'vitest';
import { swarm } from './swarm.js';

type Membership = { readonly type: string; readonly at: number; readonly node: unknown };

function membershipFaults(seed: number): Membership[] {
  const faults = (swarm.scenario(seed).faults ?? []) as readonly Membership[];
  return faults.filter((f) => f.type === 'remove-member' || f.type === 'add-member');
}

describe('swarm membership changes', () => {
  it('are drawn after 5.5 s, both kinds, in some seeds and not others', () => {
    const drawn = Array.from({ length: 300 }, (_, i) => membershipFaults(i + 1));
    const all = drawn.flat();
    expect(new Set(all.map((f) => f.type))).toEqual(new Set(['remove-member', 'add-member']));
    for (const f of all) expect(f.at, `${f.type} at ${f.at} ms`).toBeGreaterThanOrEqual(5_500);
    const seedsWith = drawn.filter((d) => d.length > 0).length;
    expect(seedsWith).toBeGreaterThan(30);
    expect(seedsWith).toBeLessThan(200);
  });
});
