/**
 * The cluster's membership as etcd keeps it (server/etcdserver/api/membership/cluster.go): the
 * members with their raft attributes (peer URLs, learner or voter) and their published attributes
 * (name, client URLs), and the ids that were removed, which may never come back. It is replicated
 * state: every member changes it only when it applies a conf-change entry (or a published
 * attributes entry), and a raft snapshot carries it, so a member that joins by snapshot learns it.
 *
 * A conf-change entry's context carries what etcd's carries (the member as JSON, `isPromote` for a
 * promotion) and, for the proposer, its request id. At apply, `apply` first validates the change as
 * etcd's ValidateConfigurationChange does — a removed id (ErrIDRemoved), an id that exists
 * (ErrIDExists), a peer URL in use, a promotion of a non-learner, more learners than `maxLearners`
 * — and a refused change is applied to raft as a no-op (etcd sets the node id to None).
 *
 * Ids: a member's id is its host id, named by its peer URL `http://m<id>:2380` (etcd hashes the
 * peer URLs, the cluster token and the time into an id; here the URL names the host, so re-adding
 * a removed host means re-using its id, which etcd's ErrIDRemoved refuses).
 */
import type { KvError, KvResult } from '../api.js';
import { kvError } from '../mvcc/errors.js';
import type { ConfChangeV1 } from '../../raft/core/types.js';
import type { MemberInfo } from '../wire.js';

/** What a conf-change entry's context holds (etcd's Member JSON or ConfigChangeContext, plus our request id). */
export interface ConfChangeContext {
  /** The request id the proposer waits on; 0 for bootstrap entries. */
  readonly requestId: number;
  /** The proposing member. */
  readonly proposer: number;
  /** The member added, or the new peer URLs of an update. */
  readonly member?: { readonly peerURLs: readonly string[]; readonly isLearner: boolean };
  readonly isPromote?: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeConfChangeContext(c: ConfChangeContext): Uint8Array {
  return encoder.encode(JSON.stringify(c));
}

/** An empty context is a bootstrap entry (the initial members, named at bootstrap as etcd's --initial-cluster). */
export function decodeConfChangeContext(bytes: Uint8Array): ConfChangeContext | null {
  if (bytes.length === 0) return null;
  return JSON.parse(decoder.decode(bytes)) as ConfChangeContext;
}

export function peerURL(id: number): string {
  return `http://m${id}:2380`;
}

export function clientURL(id: number): string {
  return `http://m${id}:2379`;
}

/** The member id a peer URL names (`http://m<id>:<port>`), or null when it names no host. */
export function idOfPeerURL(url: string): number | null {
  const m = /^https?:\/\/m([1-9]\d{0,4}):\d{1,5}$/.exec(url);
  return m === null ? null : Number(m[1]);
}

/** etcd's message for each refusal, as its gRPC layer (rpctypes) words it. */
export const MEMBERSHIP_ERRORS = {
  IDRemoved: kvError('IDRemoved', 'etcdserver: member not found (membership: ID removed)'),
  MemberNotFound: kvError('MemberNotFound', 'etcdserver: member not found'),
  MemberExist: kvError('MemberExist', 'etcdserver: member ID already exist'),
  PeerURLExist: kvError('PeerURLExist', 'etcdserver: Peer URLs already exists'),
  MemberNotLearner: kvError('MemberNotLearner', 'etcdserver: can only promote a learner member'),
  TooManyLearners: kvError('TooManyLearners', 'etcdserver: too many learner members in cluster'),
  MemberNotEnoughStarted: kvError('MemberNotEnoughStarted', 'etcdserver: re-configuration failed due to not enough started members'),
  LearnerNotReady: kvError('LearnerNotReady', 'etcdserver: can only promote a learner member which is in sync with leader'),
  MemberBadURLs: kvError('MemberBadURLs', 'etcdserver: given member URLs are invalid'),
  Unhealthy: kvError('Unhealthy', 'etcdserver: unhealthy cluster'),
} as const satisfies Record<string, KvError>;

interface Record_ {
  id: number;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export interface MembershipJSON {
  readonly members: readonly MemberInfo[];
  readonly removed: readonly number[];
}

export class MembershipStore {
  private readonly members = new Map<number, Record_>();
  private readonly removed = new Set<number>();

  constructor(private readonly maxLearners: number) {}

  /** Members, by id (etcd's Members(), sorted by id). */
  list(): MemberInfo[] {
    return [...this.members.values()].sort((a, b) => a.id - b.id).map((m) => ({ id: m.id, name: m.name, peerURLs: [...m.peerURLs], clientURLs: [...m.clientURLs], isLearner: m.isLearner }));
  }

  member(id: number): MemberInfo | undefined {
    return this.list().find((m) => m.id === id);
  }

  isRemoved(id: number): boolean {
    return this.removed.has(id);
  }

  /** Voting members (etcd VotingMembers). */
  voters(): MemberInfo[] {
    return this.list().filter((m) => !m.isLearner);
  }

  /** etcd Member.IsStarted: the member published its name. */
  static started(m: MemberInfo): boolean {
    return m.name !== '';
  }

  /** etcd IsReadyToAddVotingMember: the started voters keep a quorum of the grown cluster. */
  readyToAddVoter(): boolean {
    const voters = this.voters();
    const members = voters.length + 1;
    const started = voters.filter(MembershipStore.started).length;
    // Adding a second member to a one-member cluster (restoring a cluster's data) is allowed.
    if (started === 1 && members === 2) return true;
    return started >= Math.floor(members / 2) + 1;
  }

  /** etcd IsReadyToRemoveVotingMember. */
  readyToRemoveVoter(id: number): boolean {
    const rest = this.voters().filter((m) => m.id !== id);
    const started = rest.filter(MembershipStore.started).length;
    return started >= Math.floor(rest.length / 2) + 1;
  }

  /** etcd IsReadyToPromoteMember: the learner counts as a started voter of the new configuration. */
  readyToPromote(): boolean {
    const voters = this.voters();
    const members = voters.length + 1;
    const started = voters.filter(MembershipStore.started).length + 1;
    return started >= Math.floor(members / 2) + 1;
  }

  /**
   * Validates and applies one conf change (etcd ValidateConfigurationChange, then
   * AddMember / PromoteMember / RemoveMember / UpdateRaftAttributes). An error leaves the store as it was.
   */
  apply(cc: ConfChangeV1, ctx: ConfChangeContext | null): KvResult<void> {
    const id = cc.nodeId as number;
    if (ctx === null) {
      // A bootstrap entry: an initial member, already named (it started with the cluster).
      if (cc.type === 'add-node' && !this.members.has(id)) this.members.set(id, { id, name: `m${id}`, peerURLs: [peerURL(id)], clientURLs: [clientURL(id)], isLearner: false });
      return OK;
    }
    if (this.removed.has(id)) return { ok: false, error: MEMBERSHIP_ERRORS.IDRemoved };
    switch (cc.type) {
      case 'add-node':
      case 'add-learner-node': {
        if (ctx.isPromote === true) {
          const m = this.members.get(id);
          if (m === undefined) return { ok: false, error: MEMBERSHIP_ERRORS.MemberNotFound };
          if (!m.isLearner) return { ok: false, error: MEMBERSHIP_ERRORS.MemberNotLearner };
          m.isLearner = false;
          return OK;
        }
        if (this.members.has(id)) return { ok: false, error: MEMBERSHIP_ERRORS.MemberExist };
        const urls = ctx.member?.peerURLs ?? [];
        if (this.urlInUse(urls, 0)) return { ok: false, error: MEMBERSHIP_ERRORS.PeerURLExist };
        const learner = ctx.member?.isLearner === true && cc.type === 'add-learner-node';
        if (learner && [...this.members.values()].filter((m) => m.isLearner).length + 1 > this.maxLearners) return { ok: false, error: MEMBERSHIP_ERRORS.TooManyLearners };
        this.members.set(id, { id, name: '', peerURLs: [...urls], clientURLs: [], isLearner: learner });
        return OK;
      }
      case 'remove-node':
        if (!this.members.has(id)) return { ok: false, error: MEMBERSHIP_ERRORS.MemberNotFound };
        this.members.delete(id);
        this.removed.add(id);
        return OK;
      case 'update-node': {
        const m = this.members.get(id);
        if (m === undefined) return { ok: false, error: MEMBERSHIP_ERRORS.MemberNotFound };
        const urls = ctx.member?.peerURLs ?? [];
        if (this.urlInUse(urls, id)) return { ok: false, error: MEMBERSHIP_ERRORS.PeerURLExist };
        m.peerURLs = [...urls];
        return OK;
      }
    }
  }

  /** etcd ClusterMemberAttrSet (publishV3): a member's name and client URLs; a removed or unknown id is skipped. */
  setAttributes(id: number, name: string, clientURLs: readonly string[]): boolean {
    const m = this.members.get(id);
    if (m === undefined) return false;
    m.name = name;
    m.clientURLs = [...clientURLs];
    return true;
  }

  /** Only the initial members, as bootstrapped: the snapshot's ConfState says it all. */
  bootstrapOnly(): boolean {
    if (this.removed.size > 0) return false;
    for (const m of this.members.values()) {
      if (m.isLearner || m.name !== `m${m.id}` || m.peerURLs.length !== 1 || m.peerURLs[0] !== peerURL(m.id) || m.clientURLs.length !== 1 || m.clientURLs[0] !== clientURL(m.id)) return false;
    }
    return true;
  }

  /** The store of a snapshot that carried no membership: the voters, as bootstrapped. */
  resetToBootstrap(voters: readonly number[]): void {
    this.members.clear();
    this.removed.clear();
    for (const id of voters) this.members.set(id, { id, name: `m${id}`, peerURLs: [peerURL(id)], clientURLs: [clientURL(id)], isLearner: false });
  }

  toJSON(): MembershipJSON {
    return { members: this.list(), removed: [...this.removed].sort((a, b) => a - b) };
  }

  replaceWith(j: MembershipJSON): void {
    this.members.clear();
    this.removed.clear();
    for (const m of j.members) this.members.set(m.id, { id: m.id, name: m.name, peerURLs: [...m.peerURLs], clientURLs: [...m.clientURLs], isLearner: m.isLearner });
    for (const id of j.removed) this.removed.add(id);
  }

  private urlInUse(urls: readonly string[], except: number): boolean {
    for (const m of this.members.values()) {
      if (m.id === except) continue;
      if (m.peerURLs.some((u) => urls.includes(u))) return true;
    }
    return false;
  }
}

const OK: KvResult<void> = { ok: true, value: undefined };
