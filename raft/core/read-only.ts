/**
 * Pending ReadIndex requests on a leader in safe mode (etcd's `readOnly`): each request records
 * the commit index at the time it arrived and collects heartbeat acknowledgements carrying its
 * context. When a quorum has acknowledged a request, it and every request queued before it are
 * released (leadership was confirmed after all of them arrived).
 */
import { assert } from '../../sim/assert.js';
import type { ReadOnlyOption } from './config.js';
import type { MsgReadIndex } from './messages.js';
import type { LogIndex, NodeId } from './types.js';
import { bytesKey } from './types.js';

export interface ReadIndexStatus {
  /** The request, to answer (or to turn into a local ReadState). */
  readonly req: MsgReadIndex;
  /** The leader's commit index when the request arrived: the read index. */
  readonly index: LogIndex;
  readonly acks: Set<NodeId>;
}

/** A bound on pending reads per leader; beyond it the core's invariant is broken, not silently lossy. */
export const PENDING_READS_MAX = 1_000_000;

export class ReadOnly {
  readonly option: ReadOnlyOption;
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  constructor(option: ReadOnlyOption) {
    this.option = option;
  }

  /** Queues a request read at `index`; a duplicate context is ignored (etcd). */
  addRequest(index: LogIndex, m: MsgReadIndex): void {
    const key = bytesKey(m.context);
    if (this.pending.has(key)) return;
    assert(this.queue.length < PENDING_READS_MAX, 'read-only: too many pending reads');
    this.pending.set(key, { req: m, index, acks: new Set() });
    this.queue.push(key);
  }

  /** Records that `id` acknowledged the heartbeat round of `context`; the acks so far, or null. */
  recvAck(id: NodeId, context: Uint8Array): ReadonlySet<NodeId> | null {
    const rs = this.pending.get(bytesKey(context));
    if (rs === undefined) return null;
    rs.acks.add(id);
    return rs.acks;
  }

  /** Releases the request with `context` and all queued before it; [] if it is unknown. */
  advance(context: Uint8Array): ReadIndexStatus[] {
    const key = bytesKey(context);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const released = this.queue.slice(0, at + 1);
    this.queue = this.queue.slice(at + 1);
    return released.map((k) => {
      const rs = this.pending.get(k);
      assert(rs !== undefined, 'read-only: cannot find the read state of a queued request');
      this.pending.delete(k);
      return rs;
    });
  }

  /** The context of the newest pending request, to piggyback on a heartbeat; empty if none. */
  lastPendingRequestCtx(): Uint8Array {
    // Length first: reading index -1 of an empty array is a slow property lookup in V8.
    if (this.queue.length === 0) return new Uint8Array(0);
    return (this.pending.get(this.queue[this.queue.length - 1] as string) as ReadIndexStatus).req.context;
  }

  pendingCount(): number {
    return this.queue.length;
  }
}
