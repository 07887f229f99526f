/**
 * Kernel throughput, in-process, on one core (`npm run bench -- --filter sim`).
 *
 * - `sim.scheduler.events_per_s`: schedule and pop timers with 1024 pending (each event schedules
 *   the next, at a pseudo-random delay).
 * - `sim.network.msgs_per_s`: ping-pong between 4 hosts through the network model (log-normal
 *   delays, per-link streams, the hosts' gates), 256 messages in flight, trace hashing on.
 * - `sim.channels.stream_msgs_per_s`: the same over FIFO streams.
 * - `sim.trace.events_per_s`: hash-only emits of a 4-field event.
 * - `sim.disk.appends_per_s`: 100-byte appends with an fsync every 10.
 * Each figure is the best of 3 timed runs after a warm-up run. Time is this process's CPU time
 * (user + system, `process.cpuUsage`), not wall time: the machine is shared, and wall time would
 * measure the neighbours. CPU time includes V8's GC helper threads, so the figures are if anything
 * low for one core. Clocks are read here on purpose: this is a benchmark, not the simulation.
 */
import type { Benchmark, Figure } from './run.js';
import { bestRate } from './measure.js';
import { createChannels } from '../sim/channels.js';
import { createDisks } from '../sim/disk.js';
import { createHosts } from '../sim/host.js';
import { createNetwork } from '../sim/network.js';
import { createScheduler } from '../sim/scheduler.js';
import { createTrace } from '../sim/trace.js';
import { createKernel } from '../sim/kernel.js';

function schedulerRun(): number {
  const events = 3_000_000;
  const s = createScheduler();
  const delays = new Int32Array(4096);
  let x = 12345;
  for (let i = 0; i < delays.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    delays[i] = x % 10_000;
  }
  let k = 0;
  let remaining = events;
  const fire = (): void => {
    if (--remaining >= 1024) s.schedule(delays[k++ & 4095] as number, fire);
  };
  for (let i = 0; i < 1024; i++) s.schedule(delays[k++ & 4095] as number, fire);
  s.runUntilQuiescent();
  return s.eventsRun;
}

function kernel() {
  const k = createKernel({ seed: 'bench', trace: { mode: 'hash-only' } });
  const hosts = createHosts(k);
  for (let id = 1; id <= 4; id++) hosts.add(id);
  return { k, hosts };
}

function networkRun(): number {
  const target = 1_000_000;
  const { k, hosts } = kernel();
  const net = createNetwork<number>(k, hosts);
  let delivered = 0;
  for (let id = 1; id <= 4; id++) {
    hosts.start(id, () =>
      net.listen(id, (from, msg) => {
        if (++delivered <= target - 256) net.send(id, from, msg + 1);
      }),
    );
  }
  for (let i = 0; i < 256; i++) net.send((i % 4) + 1, ((i + 1) % 4) + 1, 0);
  k.scheduler.runUntilQuiescent();
  return delivered;
}

function streamRun(): number {
  const target = 500_000;
  const { k, hosts } = kernel();
  const net = createNetwork<number>(k, hosts);
  const chans = createChannels<number>(k, hosts, net);
  let delivered = 0;
  const streams = new Map<number, ReturnType<typeof chans.openStream>>();
  for (let id = 1; id <= 4; id++) hosts.start(id, () => net.listen(id, (from) => (++delivered <= target - 256 ? streams.get(id * 16 + from)?.send(0) : undefined)));
  for (let a = 1; a <= 4; a++) for (let b = 1; b <= 4; b++) if (a !== b) streams.set(a * 16 + b, chans.openStream(a, b));
  for (let i = 0; i < 256; i++) streams.get(((i % 4) + 1) * 16 + (((i + 1) % 4) + 1))?.send(0);
  k.scheduler.runUntilQuiescent();
  return delivered;
}

function traceRun(): number {
  const n = 2_000_000;
  const t = createTrace({ mode: 'hash-only' });
  for (let i = 0; i < n; i++) t.emit(i, i & 3, 'net.deliver', { from: 2, id: i, via: 'datagram', sentUs: i - 500 });
  return t.count;
}

function diskRun(): number {
  const n = 200_000;
  const { k, hosts } = kernel();
  hosts.start(1, () => null);
  const disk = createDisks(k, hosts, { traceOps: true }).of(1);
  const record = new Uint8Array(100).fill(7);
  disk.create('wal/0.wal');
  for (let i = 0; i < n; i++) {
    disk.append('wal/0.wal', record);
    if (i % 10 === 9) disk.fsync('wal/0.wal');
    // Segment rollover keeps the file (and the bench's memory) bounded.
    if (i % 100_000 === 99_999) disk.truncate('wal/0.wal', 0);
  }
  return n;
}

function figure(bench: string, value: number, unit: string): Figure {
  return { bench, value, unit };
}

export const benchmarks: Benchmark[] = [
  { name: 'sim.scheduler', run: () => [figure('sim.scheduler.events_per_s', bestRate(schedulerRun), 'events/s')] },
  { name: 'sim.network', run: () => [figure('sim.network.msgs_per_s', bestRate(networkRun), 'msgs/s')] },
  { name: 'sim.channels', run: () => [figure('sim.channels.stream_msgs_per_s', bestRate(streamRun), 'msgs/s')] },
  { name: 'sim.trace', run: () => [figure('sim.trace.events_per_s', bestRate(traceRun), 'events/s')] },
  { name: 'sim.disk', run: () => [figure('sim.disk.appends_per_s', bestRate(diskRun), 'appends/s')] },
];
