/**
 * The bug registry (scenarios/bugs.ts) against the layers that hold the switches, the scenario
 * field `bugs` (validation, `--set`), and the switches that map onto older options.
 */
import { describe, expect, it } from 'vitest';
import { BUG_IDS, SWITCHABLE_BUGS, UNHOLDABLE_BUGS, bugsForLayers, layerIds } from './bugs.js';
import { resolveScenario } from './resolve.js';

describe('bug registry', () => {
  it('lists at least 15 switches, each id once, each reaching a layer, and every layer id is in the registry', () => {
    expect(SWITCHABLE_BUGS.length).toBeGreaterThanOrEqual(15);
    expect(new Set(BUG_IDS).size).toBe(BUG_IDS.length);
    expect([...layerIds()].sort()).toEqual([...BUG_IDS].sort());
    for (const b of SWITCHABLE_BUGS) {
      expect(b.links.length, b.id).toBeGreaterThan(0);
      expect(b.checks.length, b.id).toBeGreaterThan(0);
    }
    for (const u of UNHOLDABLE_BUGS) expect(BUG_IDS).not.toContain(u.id);
  });

  it('splits a list by layer, and maps the four older switches onto their options', () => {
    const l = bugsForLayers(['etcd-8243', 'etcd-10219', 'etcd-15220', 'etcd-11038', 'raft-105', 'etcd-20418', 'etcd-15247']);
    expect(l.raftCore).toEqual(['etcd-8243']);
    expect(l.raftNode).toEqual(['etcd-10219']);
    expect(l.kv).toEqual(['etcd-15220']);
    expect(l.stepDownOnRemoval(true)).toBe(false);
    expect(l.singletonReadIndexActuallyCommitted(true)).toBe(false);
    expect(l.readIndexReuseIdOnRetry(false)).toBe(true);
    expect(l.leaseRevokeIgnoresOldLeader(true)).toBe(false);
    const none = bugsForLayers([]);
    expect([none.stepDownOnRemoval(true), none.stepDownOnRemoval(false), none.singletonReadIndexActuallyCommitted(true), none.readIndexReuseIdOnRetry(false), none.leaseRevokeIgnoresOldLeader(true)]).toEqual([true, false, true, false, true]);
    expect(bugsForLayers(['etcd-14370']).raftCore).toEqual(['etcd-14370']);
    expect(bugsForLayers(['etcd-14370']).raftNode).toEqual(['etcd-14370']);
  });
});

describe('scenario field bugs', () => {
  const resolve = (input: unknown, overrides: string[] = []) => resolveScenario(input, { source: 'x.json', overrides });

  it('takes known ids, from a file or from --set with or without JSON quotes', () => {
    expect(resolve({ bugs: ['etcd-8243'] })).toMatchObject({ ok: true, scenario: { bugs: ['etcd-8243'] } });
    expect(resolve({}, ['bugs=["etcd-8243","etcd-9586"]'])).toMatchObject({ ok: true, scenario: { bugs: ['etcd-8243', 'etcd-9586'] } });
    expect(resolve({}, ['bugs=[etcd-8243, etcd-9586]'])).toMatchObject({ ok: true, scenario: { bugs: ['etcd-8243', 'etcd-9586'] } });
    expect(resolve({}, ['bugs=[]'])).toMatchObject({ ok: true, scenario: { bugs: [] } });
    const plain = resolve({});
    expect(plain.ok && plain.scenario.bugs).toBeUndefined();
  });

  it('refuses an unknown id, a catalogued bug the design cannot hold, and a repeated id, naming the field', () => {
    expect(resolve({ bugs: ['etcd-1'] })).toMatchObject({ ok: false, error: expect.stringMatching(/^x\.json: bugs\[0\]: unknown bug "etcd-1" \(`raftsim bugs` lists them: etcd-8243, /) });
    expect(resolve({ bugs: ['etcd-8243', 'etcd-14685'] })).toMatchObject({ ok: false, error: expect.stringMatching(/^x\.json: bugs\[1\]: etcd-14685 cannot be switched on: not built yet/) });
    expect(resolve({ bugs: ['etcd-8243', 'etcd-8243'] })).toMatchObject({ ok: false, error: 'x.json: bugs[1]: etcd-8243 is named twice' });
    expect(resolve({ bugs: [3] })).toMatchObject({ ok: false, error: expect.stringMatching(/^x\.json: bugs\[0\]: expected a bug id/) });
  });
});
