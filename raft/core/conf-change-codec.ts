/**
 * The bytes of conf-change entries. A conf change travels through the log as the `data` of an
 * entry of type `conf-change` (V1) or `conf-change-v2`; the application decodes it when it applies
 * the entry and hands it back to `RawNode.applyConfChange`.
 *
 * Format (little, self-describing enough to fail loudly on garbage):
 *   V1: [0x01][type][nodeId varint][context length varint][context]
 *   V2: [0x02][transition][count varint]([type][nodeId varint])*[context length varint][context]
 * The empty V2 change (leave joint) encodes to zero bytes, as an empty protobuf does in etcd, so
 * the leader's automatic leave entry has a zero payload and never counts against the
 * uncommitted-size limit.
 */
import { assert, InvariantViolation } from '../../sim/assert.js';
import type { ConfChange, ConfChangeSingle, ConfChangeTransition, ConfChangeType, ConfChangeV1, ConfChangeV2, EntryType, NodeId } from './types.js';
import { isLeaveJoint } from './types.js';

const CHANGE_TYPES: readonly ConfChangeType[] = ['add-node', 'remove-node', 'update-node', 'add-learner-node'];
const TRANSITIONS: readonly ConfChangeTransition[] = ['auto', 'joint-implicit', 'joint-explicit'];
/** A bound on changes in one ConfChangeV2, so decoding garbage cannot loop for long. */
const CHANGES_MAX = 1024;

/** The entry type a conf change travels in. */
export function confChangeEntryType(cc: ConfChange): EntryType {
  return cc.version === 1 ? 'conf-change' : 'conf-change-v2';
}

export function encodeConfChange(cc: ConfChange): Uint8Array {
  if (cc.version === 2 && isLeaveJoint(cc) && cc.context.length === 0) return new Uint8Array(0);
  const out: number[] = [cc.version];
  if (cc.version === 1) {
    out.push(CHANGE_TYPES.indexOf(cc.type));
    pushVarint(out, cc.nodeId);
  } else {
    assert(cc.changes.length <= CHANGES_MAX, 'conf change: too many changes');
    out.push(TRANSITIONS.indexOf(cc.transition));
    pushVarint(out, cc.changes.length);
    for (const c of cc.changes) {
      out.push(CHANGE_TYPES.indexOf(c.type));
      pushVarint(out, c.nodeId);
    }
  }
  pushVarint(out, cc.context.length);
  for (const b of cc.context) out.push(b);
  return Uint8Array.from(out);
}

/** Decodes the data of a conf-change entry; a malformed payload is a broken invariant. */
export function decodeConfChange(type: EntryType, data: Uint8Array): ConfChange {
  assert(type !== 'normal', 'conf change: a normal entry holds no conf change');
  if (data.length === 0) {
    assert(type === 'conf-change-v2', 'conf change: empty V1 payload');
    return { version: 2, transition: 'auto', changes: [], context: new Uint8Array(0) };
  }
  const r = new Reader(data);
  const version = r.byte();
  assert(version === (type === 'conf-change' ? 1 : 2), () => `conf change: version ${version} in a ${type} entry`);
  const cc = version === 1 ? decodeV1(r) : decodeV2(r);
  assert(r.done(), 'conf change: trailing bytes');
  return cc;
}

function decodeV1(r: Reader): ConfChangeV1 {
  const type = changeType(r.byte());
  const nodeId = r.varint() as NodeId;
  return { version: 1, type, nodeId, context: r.bytes(r.varint()) };
}

function decodeV2(r: Reader): ConfChangeV2 {
  const transition = TRANSITIONS[r.byte()];
  assert(transition !== undefined, 'conf change: unknown transition');
  const count = r.varint();
  assert(count <= CHANGES_MAX, 'conf change: too many changes');
  const changes: ConfChangeSingle[] = [];
  for (let i = 0; i < count; i++) changes.push({ type: changeType(r.byte()), nodeId: r.varint() as NodeId });
  return { version: 2, transition, changes, context: r.bytes(r.varint()) };
}

function changeType(b: number): ConfChangeType {
  const t = CHANGE_TYPES[b];
  assert(t !== undefined, () => `conf change: unknown change type ${b}`);
  return t;
}

function pushVarint(out: number[], n: number): void {
  assert(Number.isSafeInteger(n) && n >= 0, 'varint: not a non-negative integer');
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

class Reader {
  private at = 0;
  constructor(private readonly data: Uint8Array) {}

  byte(): number {
    const b = this.data[this.at];
    assert(b !== undefined, 'conf change: truncated');
    this.at++;
    return b;
  }

  varint(): number {
    let n = 0;
    let scale = 1;
    // 8 bytes of 7 bits cover every safe integer.
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
    }
    throw new InvariantViolation('conf change: varint too long');
  }

  bytes(n: number): Uint8Array {
    assert(this.at + n <= this.data.length, 'conf change: truncated context');
    const out = this.data.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }

  done(): boolean {
    return this.at === this.data.length;
  }
}

/** `v4 r2 l3`: the changes in etcd's `ConfChangesToString` shorthand (voter, remove, learner, update). */
export function describeConfChanges(changes: readonly ConfChangeSingle[]): string {
  const names: Record<ConfChangeType, string> = { 'add-node': 'v', 'remove-node': 'r', 'update-node': 'u', 'add-learner-node': 'l' };
  return changes.map((c) => `${names[c.type]}${c.nodeId}`).join(' ');
}
