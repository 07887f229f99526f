/**
 * A member host's program: a raft node + the kv server + the demultiplexer between them and the
 * network. Built by a factory so the host registry can crash it and start it again on the same
 * disk (the node recovers from its WAL and snapshot; the server's state is rebuilt by the node's
 * restore and re-apply).
 *
 *   const factory = memberFactory(env, { server: { readMode: 'readindex' }, node: realRaftNode(…) });
 *   hosts.start(1, factory);            // and hosts.restart(1) after hosts.crash(1)
 *
 * Demultiplexing (one listener per host, sim/network): `raft` messages go to the node; `call`s to
 * the server, whose replies travel back on a stream to the calling client (opened on first use,
 * gRPC's response direction); `watch` messages to the server's watch streams; `ping` is answered
 * `pong` on the reply stream (gRPC keepalive). Lease calls the server forwards to the leader go
 * on member-to-member streams labelled `leasehttp` (etcd's peer HTTP, apart from raft's streams):
 * `lease-forward` to the server's `leaseForwarded`, whose answer goes back as `lease-forward-reply`
 * to the server's `leaseForwardReply`; a broken peer stream is reported as `peerGone`.
 *
 * The raft node is built by `MemberConfig.node` (a `NodeBuilder`), so tests can run members on the
 * fake node of kv/server and the cluster on the real one (`raft/node/node.ts`).
 */
import type { Channels, Stream } from '../sim/channels.js';
import type { Factory, HostContext, HostId } from '../sim/host.js';
import type { Network } from '../sim/network.js';
import type { HashKVResponse, KvResult } from './api.js';
import type { NodeObserver, NodeStatus, RaftNodeHandle, StateMachine } from '../raft/node/api.js';
import type { Disks } from '../sim/disk.js';
import type { NodeId } from '../raft/core/types.js';
import type { Message } from '../raft/core/messages.js';
import type { CrashPoint } from '../raft/node/crash-points.js';
import { createRaftNode, type RaftNodeOptions } from '../raft/node/node.js';
import type { ReadMode } from './server/options.js';
import type { ServerOptions } from './server/options.js';
import { createKvServer, type KvServer, type ServerStats, type ServerStorage } from './server/server.js';
import type { AppliedWrite } from './server/state-machine.js';
import { assert, unreachable } from '../sim/assert.js';
import { CLIENT_STREAM_LABEL, LEASE_FORWARD_STREAM_LABEL, wrapRaft, type KvReply, type Wire } from './wire.js';

/** A node's `receive` that also takes the message's trace id (raft/node's RaftNode has it). */
interface PeerReceiver {
  receive(from: NodeId, message: Message, id?: string): void;
}

/** Builds this incarnation's raft node around the server's state machine and observer. */
export type NodeBuilder = (ctx: HostContext, stateMachine: StateMachine, observer: NodeObserver) => RaftNodeHandle;

/** What the real raft node needs from the simulation, besides the host context. */
export interface RaftNodeEnv {
  readonly disks: Disks;
  readonly channels: Channels<Wire>;
  /** Kills a host (a crash point fired): the composer's `hosts.crash`. */
  readonly crashHost: (id: HostId) => void;
}

/** The raft node's options a member chooses (the env and the server supply the rest). */
export type MemberNodeOptions = Partial<Pick<RaftNodeOptions<Wire>, 'raft' | 'tickUs' | 'snapshotCount' | 'catchUpEntries' | 'walSegmentBytes' | 'snapshotsKept' | 'unsafeNoFsync' | 'traceMessages' | 'clusterId'>> & {
  /** The initial members (node ids = host ids). */
  readonly peers: readonly number[];
  /** Asked at each crash point of this member. */
  readonly crashPoint?: (id: HostId, name: CrashPoint) => boolean;
  /** False: join an existing cluster (learn the configuration from its leader). Default true. */
  readonly bootstrap?: boolean;
};

/**
 * Builds the real raft node (raft/node) for a member. The read mode decides the core's ReadIndex
 * option: `lease` runs raft in lease-based mode, which needs CheckQuorum (asserted), every other
 * mode keeps etcd's `safe`.
 */
export function raftNodeBuilder(env: RaftNodeEnv, readMode: ReadMode, o: MemberNodeOptions): NodeBuilder {
  const readOnly = readMode === 'lease' ? 'lease-based' : 'safe';
  assert(readOnly === 'safe' || o.raft?.checkQuorum !== false, 'member: the lease read mode needs raft checkQuorum on');
  return (ctx, stateMachine, observer) => {
    const { peers, crashPoint, ...rest } = o;
    return createRaftNode<Wire>({
      ...rest,
      raft: { ...o.raft, readOnly },
      ctx,
      disk: env.disks.of(ctx.id),
      channels: env.channels,
      wrap: wrapRaft,
      peers: peers as readonly NodeId[],
      stateMachine,
      observer,
      crash: () => env.crashHost(ctx.id),
      ...(crashPoint === undefined ? {} : { crashPoint: (name: CrashPoint) => crashPoint(ctx.id, name) }),
    });
  };
}

export interface MemberEnv {
  readonly network: Network<Wire>;
  readonly channels: Channels<Wire>;
}

export interface MemberConfig {
  readonly server?: Partial<ServerOptions>;
  readonly node: NodeBuilder;
  /** The backend's disk and crash points for this incarnation (needed with `server.backend`). */
  readonly storage?: (ctx: HostContext) => ServerStorage;
}

export interface MemberStatus {
  readonly id: HostId;
  readonly incarnation: number;
  readonly node: NodeStatus;
  /** The store's revision and the last index the kv state machine applied. */
  readonly revision: number;
  readonly kvAppliedIndex: number;
}

export interface Member {
  readonly id: HostId;
  readonly node: RaftNodeHandle;
  readonly server: KvServer;
  status(): MemberStatus;
  stats(): ServerStats;
  hashKV(revision?: number): KvResult<HashKVResponse>;
  /** What each entry applied by this incarnation did to the store (the checkers' write sequence). */
  appliedWrites(): readonly AppliedWrite[];
}

export function memberFactory(env: MemberEnv, config: MemberConfig): Factory<Member> {
  return (ctx) => new MemberProgram(ctx, env, config);
}

class MemberProgram implements Member {
  readonly id: HostId;
  readonly node: RaftNodeHandle;
  readonly server: KvServer;
  /** Reply streams to clients, by client host. */
  private readonly toClients = new Map<HostId, Stream<Wire>>();
  /** Streams to other members for forwarded lease calls and their answers, by member host. */
  private readonly toPeers = new Map<HostId, Stream<Wire>>();

  constructor(
    private readonly ctx: HostContext,
    private readonly env: MemberEnv,
    config: MemberConfig,
  ) {
    this.id = ctx.id;
    this.server = createKvServer(ctx, {
      memberId: ctx.id,
      ...(config.server === undefined ? {} : { options: config.server }),
      ...(config.storage === undefined ? {} : { storage: config.storage(ctx) }),
    });
    // Listen before the node starts: its first messages' answers must find us.
    env.network.listen(ctx.id, (from, msg) => this.receive(from, msg));
    this.node = config.node(ctx, this.server.stateMachine, this.server.observer);
    this.server.bind(this.node);
    this.server.bindLeaseForwarding((to, forwardId, call) => this.toPeer(to, { kind: 'lease-forward', forwardId, call }));
  }

  status(): MemberStatus {
    const st = this.server.state.stats();
    return { id: this.id, incarnation: this.ctx.incarnation, node: this.node.status(), revision: st.revision, kvAppliedIndex: st.appliedIndex };
  }

  stats(): ServerStats {
    return this.server.stats();
  }

  hashKV(revision = 0): KvResult<HashKVResponse> {
    return this.server.hashKV(revision);
  }

  appliedWrites(): readonly AppliedWrite[] {
    return this.server.appliedWrites();
  }

  private receive(from: HostId, msg: Wire): void {
    switch (msg.kind) {
      case 'raft': {
        // The real node traces the message's id on `raft.recv`; a node that takes no id ignores it.
        const node: PeerReceiver = this.node;
        return node.receive(msg.message.from, msg.message, msg.id);
      }
      case 'call':
        return this.server.call(msg.call, (reply) => this.reply(from, msg.callId, reply), msg.token);
      case 'watch':
        return this.server.watchRequest(from, msg.streamId, msg.request, (response) => this.toClient(from, { kind: 'watch-response', streamId: msg.streamId, response }));
      case 'ping':
        this.toClient(from, { kind: 'pong', seq: msg.seq });
        return;
      case 'lease-forward':
        return this.server.leaseForwarded(from, msg.call, (reply) => this.toPeer(from, { kind: 'lease-forward-reply', forwardId: msg.forwardId, reply }));
      case 'lease-forward-reply':
        return this.server.leaseForwardReply(from, msg.forwardId, msg.reply);
      case 'reply':
      case 'watch-response':
      case 'pong':
        return assert(false, () => `member ${this.id}: unexpected ${msg.kind} from ${from}`);
      default:
        return unreachable(msg, 'member wire message');
    }
  }

  private reply(client: HostId, callId: number, reply: KvReply): void {
    this.toClient(client, { kind: 'reply', callId, reply });
  }

  /** Sends to another member on the `leasehttp` stream (opened on first use); false when it refused. */
  private toPeer(peer: HostId, msg: Wire): boolean {
    if (!this.ctx.alive) return false;
    let s = this.toPeers.get(peer);
    if (s === undefined || s.state === 'closed') {
      s = this.env.channels.openStream(this.id, peer, { label: LEASE_FORWARD_STREAM_LABEL, onState: (st) => { if (st !== 'connected') this.server.peerGone(peer); } });
      this.toPeers.set(peer, s);
    }
    return s.send(msg);
  }

  /** Sends on the reply stream to `client`; a broken stream loses it (the client's deadline covers it). */
  private toClient(client: HostId, msg: Wire): boolean {
    if (!this.ctx.alive) return false;
    let s = this.toClients.get(client);
    if (s === undefined || s.state === 'closed') {
      s = this.env.channels.openStream(this.id, client, { label: CLIENT_STREAM_LABEL, onState: (st) => { if (st === 'broken') this.server.clientGone(client); } });
      this.toClients.set(client, s);
    }
    return s.send(msg);
  }
}
