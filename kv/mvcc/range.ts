/**
 * The part of Range that runs above the key index (etcd server/etcdserver/txn/range.go): revision
 * filters, sort, limit and keys-only, applied to the key-ordered pairs the index returned.
 *
 * etcd's rules, kept as they are:
 * - `count` is the number of keys in the range at that revision *before* the min/max revision
 *   filters and the limit (the filters prune only `kvs`).
 * - With a sort other than (KEY, ASCEND|NONE) or any revision filter, everything is fetched, then
 *   filtered, sorted and cut to `limit`; otherwise `limit + 1` pairs are fetched to set `more`.
 * - A target other than KEY with order NONE sorts ASCEND; (KEY, ASCEND) is the index order.
 *   But the fetch limit looks at the order as *requested*: with order NONE, a non-KEY target and a
 *   limit, etcd fetches the first limit + 1 keys in key order and sorts only those (so
 *   `limit: 1, sortTarget: MOD` is not "the oldest key"). Kept, since clients see it.
 * - `countOnly` returns no pairs and `more` false.
 * etcd's sort is not stable; ours is (ties keep key order), which is one of etcd's possible outputs.
 */
import type { KeyValue, RangeRequest, RangeResponse, SortOrder, SortTarget } from '../api.js';
import { unreachable } from '../../sim/assert.js';

/** What the key index returns: live pairs in key order (at most the fetch limit) and the total. */
export interface IndexRange {
  readonly kvs: readonly KeyValue[];
  readonly count: number;
}

function isDefaultOrdering(target: SortTarget, order: SortOrder): boolean {
  return order === 'NONE' || (target === 'KEY' && order === 'ASCEND');
}

function hasRevisionFilters(r: RangeRequest): boolean {
  return (r.minModRevision ?? 0) !== 0 || (r.maxModRevision ?? 0) !== 0 ||
    (r.minCreateRevision ?? 0) !== 0 || (r.maxCreateRevision ?? 0) !== 0;
}

/** How many pairs to take from the index: 0 = all. */
export function rangeFetchLimit(r: RangeRequest): number {
  const limit = r.limit ?? 0;
  if (limit <= 0) return 0;
  if (!isDefaultOrdering(r.sortTarget ?? 'KEY', r.sortOrder ?? 'NONE') || hasRevisionFilters(r)) return 0;
  return limit + 1;
}

/** Filters, sorts and limits the index's pairs into the response. */
export function finishRange(raw: IndexRange, r: RangeRequest): RangeResponse {
  let kvs = filterByRevisions(raw.kvs, r);
  kvs = sortPairs(kvs, r.sortTarget ?? 'KEY', r.sortOrder ?? 'NONE');
  const limit = r.limit ?? 0;
  let more = false;
  if (limit > 0 && kvs.length > limit) {
    kvs = kvs.slice(0, limit);
    more = true;
  }
  if (r.keysOnly === true) kvs = kvs.map((kv) => (kv.value === '' ? kv : Object.freeze({ ...kv, value: '' })));
  return { kvs, more, count: raw.count };
}

function filterByRevisions(kvs: readonly KeyValue[], r: RangeRequest): readonly KeyValue[] {
  const maxMod = r.maxModRevision ?? 0;
  const minMod = r.minModRevision ?? 0;
  const maxCreate = r.maxCreateRevision ?? 0;
  const minCreate = r.minCreateRevision ?? 0;
  if (maxMod === 0 && minMod === 0 && maxCreate === 0 && minCreate === 0) return kvs;
  return kvs.filter((kv) =>
    !(maxMod !== 0 && kv.modRevision > maxMod) &&
    !(minMod !== 0 && kv.modRevision < minMod) &&
    !(maxCreate !== 0 && kv.createRevision > maxCreate) &&
    !(minCreate !== 0 && kv.createRevision < minCreate));
}

function sortPairs(kvs: readonly KeyValue[], target: SortTarget, requested: SortOrder): readonly KeyValue[] {
  const order: SortOrder = target !== 'KEY' && requested === 'NONE' ? 'ASCEND' : requested;
  if (isDefaultOrdering(target, order)) return kvs;
  if (target === 'KEY') return [...kvs].reverse(); // KEY DESCEND: the index order reversed
  const cmp = comparator(target);
  const sign = order === 'DESCEND' ? -1 : 1;
  return [...kvs].sort((a, b) => sign * cmp(a, b)); // Array.prototype.sort is stable
}

function comparator(target: Exclude<SortTarget, 'KEY'>): (a: KeyValue, b: KeyValue) => number {
  switch (target) {
    case 'VERSION': return (a, b) => a.version - b.version;
    case 'CREATE': return (a, b) => a.createRevision - b.createRevision;
    case 'MOD': return (a, b) => a.modRevision - b.modRevision;
    case 'VALUE': return (a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
    default: return unreachable(target, 'sort target');
  }
}
