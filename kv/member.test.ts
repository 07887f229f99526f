/**
 * A member on the real raft node: what its demultiplexer carries between the network and the node.
 */
import { describe, expect, it } from 'vitest';
import { createTestCluster, realNodeBuilder } from './cluster-test-harness.js';

describe('member: raft messages carry their trace id through the wire', () => {
  it('every raft.recv names the id of exactly one raft.send, from that sender, of that type and term; ids are unique across senders and restarts', () => {
    const c = createTestCluster({ members: 3, node: realNodeBuilder('readindex', { tickUs: 10_000 }), server: { electionTimeoutUs: 100_000 }, seed: 'ids' });
    const client = c.addClient({ callTimeoutUs: 1_000_000 });
    c.runUntil(() => c.leader() !== undefined, 2_000_000);
    for (let i = 0; i < 5; i++) client.call('put', { key: `k${i}`, value: 'v' }, undefined, { record: false });
    c.run(300_000);
    const lead = c.leader();
    expect(lead).toBeDefined();
    c.crash(lead?.id ?? 1);
    c.run(300_000);
    c.restart(lead?.id ?? 1);
    for (let i = 0; i < 5; i++) client.call('range', { key: `k${i}` }, undefined, { record: false });
    c.run(1_000_000);

    const events = c.trace.events();
    const sends = new Map<string, { from: number; to: number; type: unknown; term: unknown }>();
    for (const e of events.filter((x) => x.kind === 'raft.send')) {
      const keys = Object.keys(e.fields);
      expect(keys.at(-1)).toBe('id'); // appended last: the other fields keep their order
      expect(keys.slice(0, 3)).toEqual(['type', 'to', 'term']);
      const id = String(e.fields.id);
      expect(sends.has(id)).toBe(false);
      expect(id.startsWith(`${e.host}.`)).toBe(true);
      sends.set(id, { from: e.host ?? -1, to: Number(e.fields.to), type: e.fields.type, term: e.fields.term });
    }
    const recvs = events.filter((x) => x.kind === 'raft.recv');
    expect(recvs.length).toBeGreaterThan(100);
    const received = new Set<string>();
    for (const e of recvs) {
      expect(Object.keys(e.fields).at(-1)).toBe('id');
      const id = String(e.fields.id);
      const s = sends.get(id);
      expect(s, `raft.recv ${id} has no raft.send`).toBeDefined();
      expect({ from: Number(e.fields.from), to: e.host, type: e.fields.type, term: e.fields.term }).toEqual({ from: s?.from, to: s?.to, type: s?.type, term: s?.term });
      expect(received.has(id)).toBe(false); // streams never duplicate
      received.add(id);
    }
    // The restarted incarnation numbers its messages afresh, under its own incarnation.
    const restartedIds = [...sends.keys()].filter((id) => id.startsWith(`${lead?.id}.2.`));
    expect(restartedIds.length).toBeGreaterThan(0);
  });
});
