/**
 * Sizes of entries, in the two senses etcd uses them:
 * - the *encoding* size (etcd's `Entry.Size()`, the protobuf wire size) bounds a MsgApp
 *   (`maxSizePerMsgBytes`) and a batch of committed entries (`maxCommittedSizePerReadyBytes`);
 * - the *payload* size (`len(Data)`) bounds the uncommitted tail (`maxUncommittedEntriesSizeBytes`)
 *   and the in-flight bytes (`maxInflightBytes`). An empty entry has payload 0, so a new leader's
 *   empty entry and the automatic leave of a joint configuration are never refused.
 */
import { NO_LIMIT } from './config.js';
import type { Entry, EntryType } from './types.js';

const TYPE_NUMBER: Record<EntryType, number> = { normal: 0, 'conf-change': 1, 'conf-change-v2': 2 };

/** Bytes of a protobuf varint. */
export function varintSizeBytes(n: number): number {
  // Thresholds for the usual small values (every entry sized takes three or four of these);
  // the loop below gives the same answer for them, and answers the rest.
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  let size = 1;
  let v = n;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    size++;
  }
  return size;
}

/** The protobuf size of an entry: three tagged varints (type, term, index) and the data field. */
export function entryEncodingSizeBytes(e: Entry): number {
  let size = 3 + varintSizeBytes(TYPE_NUMBER[e.type]) + varintSizeBytes(e.term) + varintSizeBytes(e.index);
  if (e.data.length > 0) size += 1 + varintSizeBytes(e.data.length) + e.data.length;
  return size;
}

export function entriesEncodingSizeBytes(ents: readonly Entry[]): number {
  let size = 0;
  for (const e of ents) size += entryEncodingSizeBytes(e);
  return size;
}

export function payloadSizeBytes(e: { readonly data: Uint8Array }): number {
  return e.data.length;
}

export function payloadsSizeBytes(ents: readonly { readonly data: Uint8Array }[]): number {
  let size = 0;
  for (const e of ents) size += e.data.length;
  return size;
}

/**
 * The longest prefix of `ents` whose encoding size does not exceed `maxSizeBytes`, but never
 * empty when `ents` is not: a single entry larger than the limit still goes out alone (etcd's
 * `limitSize`), otherwise replication would stall on it forever.
 */
export function limitSize(ents: readonly Entry[], maxSizeBytes: number): readonly Entry[] {
  // No limit (a whole-log read): no entry can push the size past it, so skip the sizing walk.
  if (ents.length === 0 || maxSizeBytes >= NO_LIMIT) return ents;
  let size = entryEncodingSizeBytes(ents[0] as Entry);
  for (let limit = 1; limit < ents.length; limit++) {
    size += entryEncodingSizeBytes(ents[limit] as Entry);
    if (size > maxSizeBytes) return ents.slice(0, limit);
  }
  return ents;
}
