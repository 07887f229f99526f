/**
 * A run's kernel and the simulated world on it, wired in one place: the scheduler, the trace and
 * the root random stream (the kernel); then the hosts, the network between them, the channels
 * over the network and a disk per host (the world), each made from the kernel by its own
 * `createX` with its options filled in and validated there.
 *
 *   const kernel = createKernel({ seed: 7, trace: { mode: 'hash-only' } });
 *   const world = createWorld<Program, Wire>(kernel, { hosts: [1, 2, 3], network: { lossRatio: 0.01 } });
 *
 * The order is fixed here — hosts registered first, then network, channels, disks (the disks
 * listen to the hosts' lifecycle, as the channels do, in that order) — so every builder of a
 * cluster (the scenario runner, the kv and raft test clusters) gets the same wiring. More hosts
 * may be added to `world.hosts` later; randomness is forked by stream name, so when they are
 * added shifts no draw.
 */
import { createChannels, type ChannelOptions, type Channels } from './channels.js';
import { createDisks, type Disks, type DisksOptions } from './disk.js';
import { createHosts, type HostId, type HostOptions, type HostRegistry, type Kernel } from './host.js';
import { createNetwork, type Network, type NetworkOptions } from './network.js';
import { createRandom } from './random.js';
import { createScheduler, type SchedulerOptions } from './scheduler.js';
import { createTrace, type TraceOptions } from './trace.js';

export interface KernelOptions {
  /** The run's root seed: every stream is forked off it by name. */
  readonly seed: number | string;
  /** Default: sim/scheduler's defaults. */
  readonly scheduler?: Partial<SchedulerOptions>;
  /** Default: sim/trace's defaults (`keep`, every event). */
  readonly trace?: Partial<TraceOptions>;
}

export function createKernel(o: KernelOptions): Kernel {
  return { scheduler: createScheduler(o.scheduler), trace: createTrace(o.trace), random: createRandom(o.seed) };
}

export interface WorldOptions {
  /** Hosts registered at once, in this order. */
  readonly hosts: readonly HostId[];
  /** Options of host `id` (its clock); default none. */
  readonly hostOptions?: (id: HostId) => Partial<HostOptions>;
  readonly network?: Partial<NetworkOptions>;
  readonly channels?: Partial<ChannelOptions>;
  readonly disks?: DisksOptions;
}

/** What runs on the kernel: `P` is the hosts' program type, `M` the message type on the network. */
export interface World<P, M> {
  readonly hosts: HostRegistry<P>;
  readonly network: Network<M>;
  readonly channels: Channels<M>;
  readonly disks: Disks;
}

export function createWorld<P, M>(kernel: Kernel, o: WorldOptions): World<P, M> {
  const hosts = createHosts<P>(kernel);
  for (const id of o.hosts) hosts.add(id, o.hostOptions?.(id) ?? {});
  const network = createNetwork<M>(kernel, hosts, o.network ?? {});
  const channels = createChannels<M>(kernel, hosts, network, o.channels ?? {});
  const disks = createDisks(kernel, hosts, o.disks ?? {});
  return { hosts, network, channels, disks };
}
