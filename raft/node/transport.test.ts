import { describe, expect, it } from 'vitest';
import { createChannels } from '../../sim/channels.js';
import { createHosts } from '../../sim/host.js';
import { createNetwork } from '../../sim/network.js';
import type { Message } from '../core/messages.js';
import type { LogIndex, NodeId, Term } from '../core/types.js';
import { EMPTY_CONF_STATE } from '../core/types.js';
import { Transport } from './transport.js';
import { createKernel } from '../../sim/kernel.js';

function setup(channelOptions: { streamBufferMax?: number; pipelineQueueMax?: number } = {}) {
  const kernel = createKernel({ seed: 1 });
  const hosts = createHosts(kernel);
  hosts.add(1);
  hosts.add(2);
  hosts.start(1, () => null);
  hosts.start(2, () => null);
  const network = createNetwork<Message>(kernel, hosts);
  const channels = createChannels<Message>(kernel, hosts, network, channelOptions);
  const received: string[] = [];
  network.listen(2, (_from, m, via) => received.push(`${m.type} via ${via}`));
  const reports: string[] = [];
  const t = new Transport<Message>({
    self: 1 as NodeId,
    channels,
    wrap: (m) => m,
    onUnreachable: (id) => reports.push(`unreachable ${id}`),
    onSnapshotStatus: (id, status) => reports.push(`snapshot ${id} ${status}`),
    emit: (kind, fields) => kernel.trace.emit(kernel.scheduler.now, 1, kind, fields),
  });
  t.setPeers([1, 2] as NodeId[]);
  return { kernel, network, t, received, reports };
}

const heartbeat: Message = { type: 'MsgHeartbeat', from: 1 as NodeId, to: 2 as NodeId, term: 1 as Term, commit: 0 as LogIndex, context: new Uint8Array(0) };
const snap = (bytes: number): Message => ({
  type: 'MsgSnap',
  from: 1 as NodeId,
  to: 2 as NodeId,
  term: 1 as Term,
  snapshot: { metadata: { index: 10 as LogIndex, term: 1 as Term, confState: EMPTY_CONF_STATE }, data: new Uint8Array(bytes) },
});

describe('transport', () => {
  it('small messages go on the stream; a full buffer drops and reports the peer unreachable', () => {
    const { kernel, t, received, reports } = setup({ streamBufferMax: 2 });
    for (let i = 0; i < 5; i++) t.send(heartbeat);
    expect(reports).toEqual(['unreachable 2', 'unreachable 2', 'unreachable 2']);
    kernel.scheduler.runUntil(100_000);
    expect(received).toEqual(['MsgHeartbeat via stream', 'MsgHeartbeat via stream']);
  });

  it('a snapshot goes on the pipeline, slower with size, and its landing is reported as finish', () => {
    const { kernel, t, received, reports } = setup();
    t.send(snap(10_000_000));
    expect(t.snapshotsInFlight).toBe(1);
    // 10 MB at the default 100 MB/s: 100 ms on the wire before the network delay.
    kernel.scheduler.runUntil(99_000);
    expect(received).toEqual([]);
    kernel.scheduler.runUntil(300_000);
    expect(received).toEqual(['MsgSnap via pipeline']);
    expect(reports).toEqual(['snapshot 2 finish']);
    expect(t.snapshotsInFlight).toBe(0);
  });

  it('a snapshot refused by a full pipeline, or lost to a cut, is reported as failed (and the peer unreachable)', () => {
    const { kernel, network, t, reports } = setup({ pipelineQueueMax: 1 });
    t.send(snap(1000));
    t.send(snap(1000));
    expect(reports).toEqual(['unreachable 2', 'snapshot 2 failure']);
    network.cutOneWay(1, 2);
    kernel.scheduler.runUntil(300_000);
    expect(reports).toEqual(['unreachable 2', 'snapshot 2 failure', 'snapshot 2 failure']);
    expect(t.snapshotsInFlight).toBe(0);
  });

  it('a message to a peer it does not know is dropped and traced; a snapshot to one is reported failed', () => {
    const { kernel, t, reports } = setup();
    t.send({ ...heartbeat, to: 9 as NodeId });
    t.send({ ...snap(10), to: 9 as NodeId });
    expect(reports).toEqual(['snapshot 9 failure']);
    expect(kernel.trace.events().filter((e) => e.kind === 'raft.drop').map((e) => e.fields['reason'])).toEqual(['unknown-peer', 'unknown-peer']);
  });
});
