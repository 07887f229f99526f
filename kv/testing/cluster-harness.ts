/**
 * A small simulated kv cluster for tests: the kernel (scheduler, trace, random), hosts, a network
 * and channels carrying `Wire`, member hosts 1..n running `kv/member.ts` on a given raft node
 * builder, and client hosts (100, 101, …) running `kv/client`, all recording into one history.
 *
 *   const c = createTestCluster({ members: 3, node: fakeNodeBuilder() });
 *   const client = c.addClient();
 *   client.call('put', { key: 'a', value: '1' }, (o) => …);
 *   c.run(10_000);
 *
 * It is a test fixture, not the scenario runner: no nemesis, no checks of its own beyond what a
 * test asks. Time is virtual µs.
 */
import { HistoryRecorder, type Operation } from '../../sim/history.js';
import type { ChannelOptions, Channels } from '../../sim/channels.js';
import type { Disks } from '../../sim/disk.js';
import type { HostContext, HostId, HostRegistry } from '../../sim/host.js';
import { createKernel, createWorld } from '../../sim/kernel.js';
import type { Network, NetworkOptions } from '../../sim/network.js';
import type { Random } from '../../sim/random.js';
import type { Scheduler } from '../../sim/scheduler.js';
import type { Trace } from '../../sim/trace.js';
import type { Micros } from '../../sim/time.js';
import { createKvClient, type ClientEnv, type ClientOptions, type KvClient } from '../client/client.js';
import { WatchLog } from '../client/watch-client.js';
import { memberFactory, raftNodeBuilder, type Member, type MemberNodeOptions, type NodeBuilder, type RaftNodeEnv } from '../member.js';
import { createFakeRaftNode } from './fake-raft-node.js';
import type { ReadMode, ServerOptions } from '../server/options.js';
import type { Wire } from '../wire.js';
import type { DisksOptions } from '../../sim/disk.js';
import type { ServerStorage } from '../server/server.js';
import type { StorageCrashPoint } from '../backend/member-backend.js';

/** Builds the members' node builder from what the harness made (disks, channels, ids). */
export type NodeChoice = (env: RaftNodeEnv & { readonly memberIds: readonly HostId[]; readonly joining?: boolean }) => NodeBuilder;

export interface TestClusterOptions {
  readonly members: number;
  readonly node: NodeChoice;
  readonly server?: Partial<ServerOptions> | ((id: HostId) => Partial<ServerOptions>);
  readonly seed?: number | string;
  readonly network?: Partial<NetworkOptions>;
  readonly channels?: Partial<ChannelOptions>;
  /** Trace mode: keep events (default, for assertions) or hash only (faster). */
  readonly keepTrace?: boolean;
  /** Hosts after the members (ids members+1, …), down until `startJoiner` (real raft nodes only). */
  readonly spares?: number;
  /** Disk options of the members (default: no per-operation trace). */
  readonly disk?: DisksOptions;
  /** Asked at each storage crash point of a member with `server.backend` on (default never). */
  readonly storageCrashPoint?: (id: HostId, name: StorageCrashPoint) => boolean;
}

export type Program = Member | KvClient | object;

export interface TestCluster {
  readonly scheduler: Scheduler;
  readonly trace: Trace;
  readonly hosts: HostRegistry<Program>;
  readonly network: Network<Wire>;
  readonly channels: Channels<Wire>;
  readonly disks: Disks;
  readonly history: HistoryRecorder;
  readonly watchLog: WatchLog;
  readonly memberIds: readonly HostId[];
  /** The member program now on host `id` (undefined while it is down). */
  member(id: HostId): Member | undefined;
  /** Members that are up. */
  liveMembers(): Member[];
  /** Starts a client host (ids from 100) talking to every member. */
  addClient(options?: Partial<ClientOptions>): KvClient;
  /** Starts another client-side host (ids from 100) running `build` with the cluster's client env. */
  addProgram<P extends object>(build: (ctx: HostContext, env: ClientEnv) => P): P;
  /** The root random stream of the run (fork named streams from it). */
  readonly random: Random;
  /** Runs for `us` of virtual time. */
  run(us: Micros): void;
  /** Runs until `pred` holds (checked after each event), at most `limitUs` more; true if it held. */
  runUntil(pred: () => boolean, limitUs: Micros): boolean;
  crash(id: HostId): void;
  restart(id: HostId): Member;
  /** Starts spare `id` as a new member joining the cluster (empty disk, no bootstrap; etcd --initial-cluster-state existing). */
  startJoiner(id: HostId): Member;
  /** The member that is up and believes it leads, if exactly one does. */
  leader(): Member | undefined;
  operations(): readonly Operation[];
}

export const FIRST_CLIENT_ID = 100;

export function createTestCluster(o: TestClusterOptions): TestCluster {
  const kernel = createKernel({ seed: o.seed ?? 1, trace: { mode: o.keepTrace === false ? 'hash-only' : 'keep' } });
  const memberIds = Array.from({ length: o.members }, (_, i) => i + 1);
  const { hosts, network, channels, disks } = createWorld<Program, Wire>(kernel, {
    hosts: [...memberIds, ...Array.from({ length: o.spares ?? 0 }, (_, i) => o.members + i + 1)],
    network: { delay: { kind: 'uniform', minUs: 300, maxUs: 1_500 }, ...o.network },
    channels: o.channels ?? {},
    disks: { traceOps: false, ...o.disk },
  });
  const node = o.node({ disks, channels, crashHost: (id) => hosts.crash(id), memberIds });
  const history = new HistoryRecorder();
  const watchLog = new WatchLog();
  const serverOptions = (id: HostId): Partial<ServerOptions> => (typeof o.server === 'function' ? o.server(id) : (o.server ?? {}));
  const storageCrashPoint = o.storageCrashPoint;
  const storage = (ctx: HostContext): ServerStorage => ({
    disk: disks.of(ctx.id),
    crash: () => hosts.crash(ctx.id),
    ...(storageCrashPoint === undefined ? {} : { crashPoint: (name: StorageCrashPoint) => storageCrashPoint(ctx.id, name) }),
  });
  for (const id of memberIds) hosts.start(id, memberFactory({ network, channels }, { node, server: serverOptions(id), storage }));
  let nextClient = FIRST_CLIENT_ID;
  const member = (id: HostId): Member | undefined => (hosts.isUp(id) ? (hosts.program(id) as Member) : undefined);
  return {
    scheduler: kernel.scheduler,
    trace: kernel.trace,
    hosts,
    network,
    channels,
    disks,
    history,
    watchLog,
    memberIds,
    member,
    liveMembers: () => memberIds.map(member).filter((m): m is Member => m !== undefined),
    addClient(options = {}) {
      const id = nextClient++;
      hosts.add(id);
      return hosts.start(id, (ctx) => createKvClient(ctx, { network, channels, history, watchLog }, { endpoints: memberIds, process: id - FIRST_CLIENT_ID, ...options })) as KvClient;
    },
    addProgram<P extends object>(build: (ctx: HostContext, env: ClientEnv) => P): P {
      const id = nextClient++;
      hosts.add(id);
      return hosts.start(id, (ctx) => build(ctx, { network, channels, history, watchLog })) as P;
    },
    random: kernel.random,
    run: (us) => kernel.scheduler.runUntil(kernel.scheduler.now + us),
    runUntil: (pred, limitUs) => kernel.scheduler.runUntilHolds(pred, kernel.scheduler.now + limitUs),
    crash: (id) => hosts.crash(id),
    restart: (id) => hosts.restart(id) as Member,
    startJoiner(id) {
      const joiner = o.node({ disks, channels, crashHost: (h) => hosts.crash(h), memberIds: [...memberIds, id], joining: true });
      return hosts.start(id, memberFactory({ network, channels }, { node: joiner, server: serverOptions(id) })) as Member;
    },
    leader() {
      const leaders = memberIds.map(member).filter((m): m is Member => m !== undefined && hosts.state(m.id) === 'up' && m.node.status().role === 'leader');
      return leaders.length === 1 ? leaders[0] : undefined;
    },
    operations: () => history.completed(),
  };
}

/** Members on the fake raft node (each its own leader, no replication): for client and server tests. */
export function fakeNodeBuilder(): NodeChoice {
  return () => (ctx, sm, observer) => createFakeRaftNode(ctx, sm, observer);
}

/** Members on the real raft node (raft/node), bootstrapping one cluster of all members. */
export function realNodeBuilder(readMode: ReadMode = 'readindex', options: Omit<MemberNodeOptions, 'peers'> = {}): NodeChoice {
  return (env) => raftNodeBuilder(env, readMode, { ...options, peers: env.memberIds, ...(env.joining === true ? { bootstrap: false } : {}) });
}

/**
 * `wait(f)` calls `f` with a callback and runs the cluster until it is called (at most
 * `limitUs` of virtual time), returning what it was called with; no answer is an error.
 */
export function answerWaiter(c: TestCluster, limitUs = 20_000_000): <T>(f: (done: (o: T) => void) => void) => T {
  return <T,>(f: (done: (o: T) => void) => void): T => {
    let got: T | undefined;
    f((o) => (got = o));
    c.runUntil(() => got !== undefined, limitUs);
    if (got === undefined) throw new Error('no answer');
    return got;
  };
}
