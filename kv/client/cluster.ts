/**
 * clientv3's Cluster interface on a kv client (clientv3/cluster.go): membership calls as the
 * Cluster API takes them. They change the configuration, not the keyspace, so they are not
 * recorded in the kv history.
 *
 *   const cluster = clusterClient(client);
 *   cluster.memberAddAsLearner(['http://m4:2380'], (o) => …);   // start host 4 once it is ok
 *   cluster.memberPromote(4, (o) => …);                         // LearnerNotReady until it caught up
 *
 * A member is named by its peer URL, `http://m<id>:2380` (`peerURL(id)`): in raftsim the URL names
 * the host and the host id is the member id.
 */
import type { HostId } from '../../sim/host.js';
import type { Method, RequestOf } from '../wire.js';
import type { CallOutcome, KvClient } from './client.js';

export { peerURL } from '../server/membership.js';

type Done<M extends Method> = (o: CallOutcome<M>) => void;

export interface ClusterClient {
  /** MemberAdd of a voting member. */
  memberAdd(peerURLs: readonly string[], done?: Done<'member-add'>): void;
  /** MemberAdd with isLearner: the member gets the log but does not vote until promoted. */
  memberAddAsLearner(peerURLs: readonly string[], done?: Done<'member-add'>): void;
  memberRemove(id: HostId, done?: Done<'member-remove'>): void;
  memberUpdate(id: HostId, peerURLs: readonly string[], done?: Done<'member-update'>): void;
  memberPromote(id: HostId, done?: Done<'member-promote'>): void;
  /** MemberList, linearizable unless `serializable` (clientv3 WithSerializable). */
  memberList(done?: Done<'member-list'>, options?: { readonly serializable?: boolean }): void;
}

export function clusterClient(client: KvClient): ClusterClient {
  const call = <M extends Method>(method: M, request: RequestOf<M>, done: Done<M> | undefined): void => client.call(method, request, done, { record: false });
  return {
    memberAdd: (peerURLs, done) => call('member-add', { peerURLs, isLearner: false }, done),
    memberAddAsLearner: (peerURLs, done) => call('member-add', { peerURLs, isLearner: true }, done),
    memberRemove: (id, done) => call('member-remove', { id }, done),
    memberUpdate: (id, peerURLs, done) => call('member-update', { id, peerURLs }, done),
    memberPromote: (id, done) => call('member-promote', { id }, done),
    memberList: (done, options) => call('member-list', { linearizable: options?.serializable !== true }, done),
  };
}
