/**
 * The raft transport (etcd's `rafthttp`): per peer one stream for the small, frequent messages
 * and one pipeline for snapshots, over sim/channels.
 *
 * - Every message but MsgSnap goes on the peer's stream (`message`). A send the stream refuses
 *   (broken, closed, or a full buffer) is dropped — sim/channels traces it — and the peer is
 *   reported unreachable to raft, which moves its progress to probing (etcd's `peer.send`).
 * - MsgSnap goes on the pipeline, whose delay grows with the message's size (`messageSizeBytes`).
 *   A refused send reports the peer unreachable and the snapshot failed; otherwise the transfer's
 *   `onDone(ok)` reports the snapshot finished or failed (etcd's snapshot sender). Either way raft
 *   hears exactly one ReportSnapshot per MsgSnap, which it needs to leave the snapshot state.
 * - `snapshotsInFlight` counts MsgSnap sent and not yet reported: the node does not compact its
 *   log meanwhile (etcd: compaction is skipped while a snapshot is in flight).
 *
 * The network of a simulation carries one message type, `W`; the composer supplies `wrap` to
 * turn a raft message into it, with the message's trace id (the member demultiplexes on the other
 * side and hands the id to the node's `receive`). Node ids are host ids.
 */
import { assert } from '../../sim/assert.js';
import type { Channels, Pipeline, Stream } from '../../sim/channels.js';
import type { Fields } from '../../sim/trace.js';
import type { Message } from '../core/messages.js';
import { messageSizeBytes } from '../core/messages.js';
import type { SnapshotStatus } from '../core/raw-node.js';
import type { NodeId } from '../core/types.js';

export interface TransportOptions<W> {
  readonly self: NodeId;
  /** The host's incarnation, part of every message id (a restart numbers its messages afresh). Default 1. */
  readonly incarnation?: number;
  readonly channels: Channels<W>;
  readonly wrap: (m: Message, id: string) => W;
  /** A message to `id` could not be handed to the network. */
  readonly onUnreachable: (id: NodeId) => void;
  /** A MsgSnap to `id` landed (`finish`) or not (`failure`). Called later, through the host's gate. */
  readonly onSnapshotStatus: (id: NodeId, status: SnapshotStatus) => void;
  readonly emit: (kind: string, fields: Fields) => void;
}

interface Peer<W> {
  readonly stream: Stream<W>;
  readonly pipeline: Pipeline<W>;
  /** MsgSnap sent on this pipeline whose outcome raft has not been told yet. */
  snapshotsInFlight: number;
}

/** Most peers a node talks to: a bound on the connections it opens. */
export const PEERS_MAX = 1024;

export class Transport<W> {
  private readonly peers = new Map<NodeId, Peer<W>>();
  private closed = false;
  /** Ids handed out: the sequence number of this sender's next message. */
  private messageSeq = 0;
  /** `<sender>.<incarnation>.`, fixed for the transport's life: an id is this plus the sequence. */
  private readonly idPrefix: string;

  constructor(private readonly opts: TransportOptions<W>) {
    this.idPrefix = `${opts.self}.${opts.incarnation ?? 1}.`;
  }

  /** MsgSnap sent whose outcome raft has not been told yet (a closed pipeline's are forgotten). */
  get snapshotsInFlight(): number {
    let n = 0;
    for (const p of this.peers.values()) n += p.snapshotsInFlight;
    return n;
  }

  /** Opens connections to new peers and closes those to peers no longer listed (self is skipped). */
  setPeers(ids: Iterable<NodeId>): void {
    if (this.closed) return;
    const want = new Set<NodeId>();
    for (const id of ids) if (id !== this.opts.self) want.add(id);
    assert(want.size <= PEERS_MAX, () => `transport: ${want.size} peers exceed ${PEERS_MAX}`);
    for (const [id, p] of this.peers) {
      if (want.has(id)) continue;
      p.stream.close();
      p.pipeline.close();
      this.peers.delete(id);
    }
    for (const id of [...want].sort((a, b) => a - b)) {
      if (this.peers.has(id)) continue;
      const { channels, self } = this.opts;
      this.peers.set(id, { stream: channels.openStream(self, id, { label: 'message' }), pipeline: channels.openPipeline(self, id, 'pipeline'), snapshotsInFlight: 0 });
    }
  }

  /** Since when (the host's local µs) the stream to `id` has been connected without a break; null if it is not (or no such peer). */
  activeSince(id: NodeId): number | null {
    return this.peers.get(id)?.stream.activeSinceUs ?? null;
  }

  /** Peers with open connections, ascending. */
  peerIds(): NodeId[] {
    return [...this.peers.keys()].sort((a, b) => a - b);
  }

  /**
   * The id of this sender's next message, `<sender>.<incarnation>.<seq>`: a per-sender sequence
   * number, unique in a run (the sender and incarnation tell hosts and restarts apart), so the
   * reports pair a `raft.send` with its `raft.recv` exactly.
   */
  nextMessageId(): string {
    return this.idPrefix + this.messageSeq++;
  }

  /** Sends `m`; `id` (default: the next one) is its trace id, carried to the receiver through `wrap`. */
  send(m: Message, id: string = this.nextMessageId()): void {
    if (m.to === this.opts.self) assert(false, `transport: ${m.type} addressed to self`);
    const peer = this.closed ? undefined : this.peers.get(m.to);
    if (peer === undefined) {
      this.opts.emit('raft.drop', { type: m.type, to: m.to, reason: this.closed ? 'transport-closed' : 'unknown-peer' });
      if (m.type === 'MsgSnap') this.opts.onSnapshotStatus(m.to, 'failure');
      return;
    }
    if (m.type === 'MsgSnap') {
      this.sendSnapshot(peer, m, id);
      return;
    }
    if (!peer.stream.send(this.opts.wrap(m, id))) this.opts.onUnreachable(m.to);
  }

  /** Closes every connection for good (the node stopped). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.peers.values()) {
      p.stream.close();
      p.pipeline.close();
    }
    this.peers.clear();
  }

  private sendSnapshot(peer: Peer<W>, m: Extract<Message, { type: 'MsgSnap' }>, id: string): void {
    const to = m.to;
    const sent = peer.pipeline.send(this.opts.wrap(m, id), messageSizeBytes(m), (ok) => {
      peer.snapshotsInFlight--;
      assert(peer.snapshotsInFlight >= 0, 'transport: more snapshot outcomes than snapshots sent');
      this.opts.emit('raft.snapshot', { index: m.snapshot.metadata.index, term: m.snapshot.metadata.term, what: ok ? 'delivered' : 'failed', peer: to });
      this.opts.onSnapshotStatus(to, ok ? 'finish' : 'failure');
    });
    if (sent) {
      peer.snapshotsInFlight++;
      return;
    }
    this.opts.onUnreachable(to);
    this.opts.onSnapshotStatus(to, 'failure');
  }
}
