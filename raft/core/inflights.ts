/**
 * The window of MsgApp in flight to one follower (etcd's `tracker.Inflights`): a ring of the last
 * index each message carried, bounded by a count and by payload bytes. Freed in order when the
 * follower acknowledges an index.
 */
import { assert } from '../../sim/assert.js';
import type { LogIndex } from './types.js';

interface Inflight {
  readonly index: LogIndex;
  readonly bytes: number;
}

export class Inflights {
  /** Max messages in flight. */
  readonly size: number;
  /** Max payload bytes in flight (NO_LIMIT for none). */
  readonly maxBytes: number;
  private buffer: (Inflight | undefined)[];
  private start = 0;
  private countNow = 0;
  private bytesNow = 0;

  constructor(size: number, maxBytes: number) {
    assert(Number.isInteger(size) && size > 0, 'inflights: size must be > 0');
    this.size = size;
    this.maxBytes = maxBytes;
    // Grown on demand up to `size`, so a huge limit costs nothing until used.
    this.buffer = [];
  }

  /** Records a message whose last entry is `index`; indexes must be added in increasing order. */
  add(index: LogIndex, bytes: number): void {
    assert(!this.full(), 'inflights: cannot add into a full window');
    if (this.countNow === this.buffer.length) this.grow();
    const last = this.countNow === 0 ? undefined : this.buffer[(this.start + this.countNow - 1) % this.buffer.length];
    assert(last === undefined || last.index < index, 'inflights: indexes must increase');
    this.buffer[(this.start + this.countNow) % this.buffer.length] = { index, bytes };
    this.countNow++;
    this.bytesNow += bytes;
  }

  /** Frees every message whose last index is ≤ `to` (the follower acknowledged `to`). */
  freeLE(to: LogIndex): void {
    // Bounded by the count: each round frees one message.
    while (this.countNow > 0) {
      const head = this.buffer[this.start] as Inflight;
      if (head.index > to) break;
      this.buffer[this.start] = undefined;
      this.start = (this.start + 1) % this.buffer.length;
      this.countNow--;
      this.bytesNow -= head.bytes;
    }
    if (this.countNow === 0) this.start = 0;
    assert(this.bytesNow >= 0, 'inflights: negative bytes');
  }

  full(): boolean {
    return this.countNow === this.size || this.bytesNow >= this.maxBytes;
  }

  count(): number {
    return this.countNow;
  }

  bytes(): number {
    return this.bytesNow;
  }

  reset(): void {
    this.buffer = [];
    this.start = 0;
    this.countNow = 0;
    this.bytesNow = 0;
  }

  /** Doubles the ring (capped at `size`), unrolling it so that start is 0. */
  private grow(): void {
    const next = Math.min(this.size, Math.max(1, this.buffer.length * 2));
    assert(next > this.buffer.length, 'inflights: cannot grow a full ring');
    const unrolled: (Inflight | undefined)[] = new Array<Inflight | undefined>(next);
    for (let i = 0; i < this.countNow; i++) unrolled[i] = this.buffer[(this.start + i) % this.buffer.length];
    this.buffer = unrolled;
    this.start = 0;
  }
}
