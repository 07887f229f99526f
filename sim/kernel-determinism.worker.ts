/**
 * A kernel workload for the determinism checks (sim/kernel-determinism.test.ts): hosts that talk
 * over datagrams, streams and pipelines, write and fsync their disks and arm timers, while a plan
 * of steps partitions, crashes, restarts, pauses and skews them. `runKernelWorkload(seed, plan)`
 * returns the trace hash; the same (seed, plan) must give the same hash in any process.
 *
 * Loaded in a worker thread (after tsx's `register()`, see the test) it runs the workload given in
 * `workerData` (a list of jobs) and posts their `{ hash, events }` back: the cross-process check.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Channels, Pipeline, Stream } from './channels.js';
import type { Disk } from './disk.js';
import type { HostContext, HostRegistry } from './host.js';
import { createKernel, createWorld } from './kernel.js';
import type { Network } from './network.js';

export const STEP_KINDS = ['datagram', 'stream', 'pipeline', 'timer', 'isolate', 'split', 'bridge', 'cut-one-way', 'heal', 'crash', 'restart', 'pause', 'resume', 'write', 'fsync', 'jump'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** One nemesis or client action at virtual time `at`; `a`, `b`, `n` are its host indexes and size. */
export interface Step {
  readonly at: number;
  readonly kind: StepKind;
  readonly a: number;
  readonly b: number;
  readonly n: number;
}

export interface WorkloadPlan {
  /** 2 to 5 hosts, ids 1..hosts. */
  readonly hosts: number;
  readonly durationUs: number;
  readonly steps: readonly Step[];
}

export interface WorkloadResult {
  readonly hash: string;
  readonly events: number;
  /** Events per kind (`net.deliver/stream`, `net.drop/cut`, …): shows what the workload exercised. */
  readonly kinds: Readonly<Record<string, number>>;
}

interface Msg {
  readonly hop: number;
  readonly body: number;
}

/** The program every host runs: it answers, persists what it hears, and ticks. */
interface Node {
  readonly ctx: HostContext;
  readonly streams: Map<number, Stream<Msg>>;
  readonly pipelines: Map<number, Pipeline<Msg>>;
}

const HOP_MAX = 3;
const FILE = 'data/log';

export function runKernelWorkload(seed: number | string, plan: WorkloadPlan): WorkloadResult {
  const kernel = createKernel({ seed, scheduler: { eventBudget: 5_000_000 }, trace: { mode: 'hash-only' } });
  const ids = Array.from({ length: plan.hosts }, (_, i) => i + 1);
  const { hosts, network: net, channels: chans, disks } = createWorld<Node, Msg>(kernel, {
    hosts: ids,
    hostOptions: (id) => ({ clock: { rate: 1 - 0.05 * (id - 1), offsetUs: 0 } }),
    network: { lossRatio: 0.05, duplicateRatio: 0.05 },
    channels: { reconnectBackoffMinUs: 5_000 },
    disks: { faults: { tornWriteRate: 0.5, fsyncErrorRate: 0.05, bitFlipRate: 0.05 } },
  });

  const factory = (ctx: HostContext): Node => boot(ctx, ids, net, chans, disks.of(ctx.id));
  for (const id of ids) hosts.start(id, factory);
  for (const s of plan.steps) kernel.scheduler.scheduleAt(s.at, () => apply(s, ids, hosts, net, disks.of(ids[s.a % ids.length] as number), factory));
  const kinds: Record<string, number> = {};
  kernel.trace.tap((e) => {
    const k = e.kind === 'net.deliver' ? `net.deliver/${e.fields.via}` : e.kind === 'net.drop' ? `net.drop/${e.fields.reason}` : e.kind;
    kinds[k] = (kinds[k] ?? 0) + 1;
  });
  kernel.scheduler.runUntil(plan.durationUs);
  return { hash: kernel.trace.hash(), events: kernel.trace.count, kinds };
}

function boot(ctx: HostContext, ids: readonly number[], net: Network<Msg>, chans: Channels<Msg>, disk: Disk): Node {
  const node: Node = { ctx, streams: new Map(), pipelines: new Map() };
  const r = ctx.random.fork('workload');
  if (!disk.open(FILE).ok) {
    disk.create(FILE);
    disk.fsyncDir('data');
  }
  const read = disk.readAll(FILE);
  ctx.emit('w.boot', { bytes: read.ok ? read.bytes.length : -1 });
  net.listen(ctx.id, (from, msg, via) => {
    disk.append(FILE, new Uint8Array([from, msg.hop, msg.body & 255]));
    if (msg.hop < HOP_MAX && r.chance(0.5)) node.streams.get(from)?.send({ hop: msg.hop + 1, body: msg.body + 1 });
    ctx.emit('w.recv', { from, via, hop: msg.hop });
  });
  for (const peer of ids) {
    if (peer === ctx.id) continue;
    node.streams.set(peer, chans.openStream(ctx.id, peer));
    node.pipelines.set(peer, chans.openPipeline(ctx.id, peer));
  }
  const tick = (): void => {
    const peer = r.pick(ids);
    if (peer !== ctx.id) net.send(ctx.id, peer, { hop: 0, body: r.int(0, 1000) });
    if (r.chance(0.3)) disk.fsync(FILE);
    ctx.setTimer(r.int(1_000, 20_000), tick);
  };
  ctx.setTimer(r.int(1_000, 20_000), tick);
  return node;
}

function apply(s: Step, ids: readonly number[], hosts: HostRegistry<Node>, net: Network<Msg>, disk: Disk, factory: (ctx: HostContext) => Node): void {
  const a = ids[s.a % ids.length] as number;
  const b = ids[s.b % ids.length] as number;
  const node = hosts.program(a);
  const up = hosts.state(a) === 'up';
  switch (s.kind) {
    case 'datagram':
      if (up && a !== b) net.send(a, b, { hop: 0, body: s.n });
      return;
    case 'stream':
      if (up && node !== undefined) node.streams.get(b)?.send({ hop: 0, body: s.n });
      return;
    case 'pipeline':
      if (up && node !== undefined) node.pipelines.get(b)?.send({ hop: HOP_MAX, body: s.n }, s.n * 1000, (ok) => node.ctx.emit('w.snap', { to: b, ok }));
      return;
    case 'timer':
      if (up && node !== undefined) node.ctx.setTimer(s.n * 100, () => node.ctx.emit('w.timer', { n: s.n }));
      return;
    case 'isolate':
      return net.isolate(a);
    case 'split':
      return net.split([ids.filter((id) => id % 2 === s.n % 2), ids.filter((id) => id % 2 !== s.n % 2)]);
    case 'bridge':
      return net.bridge(a, ids.filter((id) => id < a), ids.filter((id) => id > a));
    case 'cut-one-way':
      return a === b ? undefined : net.cutOneWay(a, b);
    case 'heal':
      return net.heal();
    case 'crash':
      return hosts.state(a) === 'down' ? undefined : hosts.crash(a);
    case 'restart':
      return hosts.state(a) === 'down' ? void hosts.restart(a, factory) : undefined;
    case 'pause':
      return up ? hosts.pause(a) : undefined;
    case 'resume':
      return hosts.state(a) === 'paused' ? hosts.resume(a) : undefined;
    case 'write':
      if (up) disk.write(FILE, s.n * 7, new Uint8Array(s.n * 100 + 1).fill(s.n & 255));
      return;
    case 'fsync':
      if (up) disk.fsync(FILE);
      return;
    case 'jump':
      return hosts.jumpClock(a, (s.n - 50) * 1000);
  }
}

/** What the test hands a worker: workloads to run, in order. */
export interface WorkerJob {
  readonly seed: number | string;
  readonly plan: WorkloadPlan;
}

if (!isMainThread && parentPort !== null) {
  const jobs = workerData as readonly WorkerJob[];
  parentPort.postMessage(jobs.map((j) => runKernelWorkload(j.seed, j.plan)));
}
