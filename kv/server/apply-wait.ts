/**
 * Work that must wait until this member has applied up to a raft index (etcd's `applyWait`):
 * a linearizable read after its ReadIndex, a lease renewal after leadership is confirmed.
 *
 * Waiters are kept sorted by index (they arrive almost always in index order, so insertion is
 * a push), and run in index order, then arrival order, when `appliedTo` reaches them.
 */
import { assert } from '../../sim/assert.js';

interface Waiter {
  readonly index: number;
  readonly run: () => void;
  readonly fail: () => void;
}

export class ApplyWait {
  private waiters: Waiter[] = [];
  private applied = 0;

  constructor(private readonly max: number) {
    assert(Number.isInteger(max) && max > 0, 'apply wait: max must be a positive integer');
  }

  get appliedIndex(): number {
    return this.applied;
  }

  get size(): number {
    return this.waiters.length;
  }

  /** Runs `run` now if `index` is applied, else when it is; `fail` if the member stops first. False if the queue is full (nothing queued). */
  wait(index: number, run: () => void, fail: () => void): boolean {
    if (index <= this.applied) {
      run();
      return true;
    }
    if (this.waiters.length >= this.max) return false;
    let at = this.waiters.length;
    while (at > 0 && (this.waiters[at - 1] as Waiter).index > index) at--;
    this.waiters.splice(at, 0, { index, run, fail });
    return true;
  }

  /** The member applied up to `index` (it never goes back within an incarnation, except by a snapshot). */
  appliedTo(index: number): void {
    if (index <= this.applied) return;
    this.applied = index;
    let n = 0;
    while (n < this.waiters.length && (this.waiters[n] as Waiter).index <= index) n++;
    if (n === 0) return;
    const due = this.waiters.slice(0, n);
    this.waiters = this.waiters.slice(n);
    for (const w of due) w.run();
  }

  /** Drops every waiter, calling its `fail` (the member stopped). */
  failAll(): void {
    const all = this.waiters;
    this.waiters = [];
    for (const w of all) w.fail();
  }
}
