/**
 * Term inflation at core level (reference §2.4 case 1; etcd TestDisruptiveFollower and
 * TestDisruptiveFollowerPreVote): follower 3 isolated for 50 election timeouts, then healed.
 */
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../sim/random.js';
import { measureTermInflation } from './term-inflation.js';

describe('term inflation of an isolated follower (thesis §9.6)', () => {
  for (const checkQuorum of [false, true]) {
    it(`with PreVote (checkQuorum=${checkQuorum}) its term rises by 0 and the leader keeps leading`, () => {
      for (const seed of ['a', 'b', 'c']) {
        const r = measureTermInflation({ preVote: true, checkQuorum, random: createRandom(`inflation/${seed}`), isolatedElectionTimeouts: 50 });
        expect(r.isolatedTermRise).toBe(0);
        expect(r.deposed).toBe(false);
        expect(r.leaderChangesAfterHeal).toBe(0);
      }
    });
    it(`without PreVote (checkQuorum=${checkQuorum}) its term climbs and it deposes the leader on return`, () => {
      for (const seed of ['a', 'b', 'c']) {
        const r = measureTermInflation({ preVote: false, checkQuorum, random: createRandom(`inflation/${seed}`), isolatedElectionTimeouts: 50 });
        // About one term per randomized timeout in [10, 19] ticks: 500 ticks give 26..50.
        expect(r.isolatedTermRise).toBeGreaterThanOrEqual(25);
        expect(r.isolatedTermRise).toBeLessThanOrEqual(50);
        expect(r.deposed).toBe(true);
        expect(r.termAfter).toBeGreaterThan(r.isolatedTermAtHeal);
      }
    });
  }
});
