import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createChannels, type ChannelOptions, type StreamState } from './channels.js';
import { createHosts } from './host.js';
import { createNetwork, type NetworkOptions, type Via } from './network.js';
import { createKernel } from './kernel.js';

interface Got {
  readonly at: number;
  readonly from: number;
  readonly to: number;
  readonly msg: number;
  readonly via: Via;
}

function world(options: { net?: Partial<NetworkOptions>; chan?: Partial<ChannelOptions>; seed?: number } = {}) {
  const k = createKernel({ seed: options.seed ?? 1 });
  const hosts = createHosts(k);
  const net = createNetwork<number>(k, hosts, options.net ?? {});
  const chans = createChannels<number>(k, hosts, net, options.chan ?? {});
  const got: Got[] = [];
  const listen = (id: number): void => net.listen(id, (from, msg, via) => void got.push({ at: k.scheduler.now, from, to: id, msg, via }));
  for (const id of [1, 2, 3]) {
    hosts.add(id);
    hosts.start(id, () => listen(id));
  }
  const kinds = (kind: string) => k.trace.events().filter((e) => e.kind === kind);
  return { k, hosts, net, chans, got, listen, kinds };
}

describe('stream', () => {
  it('keeps FIFO order per connection even with a wide delay jitter', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(fc.nat(2000), { minLength: 1, maxLength: 200 }), (seed, gaps) => {
        const { k, chans, got } = world({ seed, net: { delay: { kind: 'log-normal', medianUs: 1000, sigma: 1.5, minUs: 10, maxUs: 50_000 } } });
        const s = chans.openStream(1, 2);
        let t = 0;
        gaps.forEach((gap, i) => {
          t += gap;
          k.scheduler.scheduleAt(t, () => expect(s.send(i)).toBe(true));
        });
        k.scheduler.runUntilQuiescent();
        expect(got.map((g) => g.msg)).toEqual(gaps.map((_, i) => i));
        expect(got.every((g) => g.via === 'stream')).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('a cut breaks it: in-flight messages are lost, send returns false, it redials with backoff and reconnects after heal', () => {
    const { k, net, chans, got, kinds } = world({ net: { delay: { kind: 'fixed', us: 1000 } } });
    const states: StreamState[] = [];
    const s = chans.openStream(1, 2, { onState: (st) => states.push(st) });
    expect(s.state).toBe('connected');
    for (let i = 0; i < 5; i++) s.send(i);
    k.scheduler.runUntil(500);
    net.cutOneWay(2, 1); // even the reverse direction breaks a TCP connection
    k.scheduler.runUntil(1000);
    expect(got).toEqual([]);
    expect(s.state).toBe('broken');
    expect(kinds('chan.break')[0]?.fields).toEqual({ to: 2, label: 'message', reason: 'cut', lost: 5 });
    expect(k.trace.events().filter((e) => e.kind === 'net.drop').map((e) => e.fields.reason)).toEqual(['cut', 'conn-broken', 'conn-broken', 'conn-broken', 'conn-broken']);
    expect(s.send(99)).toBe(false);
    k.scheduler.runUntil(1_000 + 100_000 + 200_000 + 400_000);
    expect(kinds('chan.dial-fail').map((e) => e.fields.retryUs)).toEqual([100_000, 200_000, 400_000, 800_000]);
    net.heal();
    k.scheduler.runUntil(1_000 + 1_500_000);
    expect(s.state).toBe('connected');
    expect(states).toEqual(['broken', 'connected']);
    expect(s.send(7)).toBe(true);
    k.scheduler.runUntilQuiescent(3_000_000);
    expect(got.map((g) => g.msg)).toEqual([7]);
  });

  it('a peer crash breaks it; a sender crash closes it for good', () => {
    const { k, hosts, chans, got, listen } = world({ net: { delay: { kind: 'fixed', us: 1000 } } });
    const s12 = chans.openStream(1, 2);
    const s21 = chans.openStream(2, 1);
    s12.send(1);
    s21.send(2);
    k.scheduler.runUntil(10);
    hosts.crash(2);
    expect(s12.state).toBe('broken');
    expect(s21.state).toBe('closed');
    expect(s12.send(3)).toBe(false);
    k.scheduler.runUntil(50_000);
    hosts.restart(2, () => listen(2));
    k.scheduler.runUntil(300_000);
    expect(s12.state).toBe('connected');
    s12.send(4);
    k.scheduler.runUntilQuiescent(400_000);
    expect(got.map((g) => g.msg)).toEqual([4]);
    // The restarted incarnation opens its own streams.
    expect(chans.openStream(2, 1).state).toBe('connected');
  });

  it('a paused peer keeps the connection; its messages wait and arrive in order at resume', () => {
    const { k, hosts, chans, got } = world();
    const s = chans.openStream(1, 2);
    hosts.pause(2);
    for (let i = 0; i < 10; i++) s.send(i);
    k.scheduler.runUntil(200_000);
    expect(s.state).toBe('connected');
    expect(got).toEqual([]);
    hosts.resume(2);
    k.scheduler.runUntil(200_000);
    expect(got.map((g) => g.msg)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a full buffer makes send return false with a traced drop', () => {
    const { k, chans, kinds } = world({ chan: { streamBufferMax: 2 } });
    const s = chans.openStream(1, 3);
    expect([s.send(1), s.send(2), s.send(3)]).toEqual([true, true, false]);
    expect(kinds('net.drop').map((e) => e.fields.reason)).toEqual(['buffer-full']);
    k.scheduler.runUntilQuiescent();
    expect(s.inFlight).toBe(0);
    expect(s.send(4)).toBe(true);
  });

  it('dials a peer that is down until it comes up', () => {
    const { k, hosts, chans, listen } = world();
    hosts.crash(3);
    const s = chans.openStream(1, 3);
    expect(s.state).toBe('broken');
    k.scheduler.runUntil(150_000);
    hosts.restart(3, () => listen(3));
    k.scheduler.runUntil(400_000);
    expect(s.state).toBe('connected');
  });
});

describe('pipeline', () => {
  it('delay grows with size, transfers are serialised, and onDone reports success after the reply', () => {
    const { k, chans, got } = world({ net: { delay: { kind: 'fixed', us: 1000 } }, chan: { pipelineBandwidthBytesPerS: 1_000_000 } });
    const p = chans.openPipeline(1, 2);
    const done: [number, boolean][] = [];
    p.send(1, 10_000, (ok) => done.push([k.scheduler.now, ok])); // 10 ms on the wire
    p.send(2, 0, (ok) => done.push([k.scheduler.now, ok])); // waits for the first
    expect(p.queued).toBe(2);
    k.scheduler.runUntilQuiescent();
    expect(got.map((g) => [g.msg, g.at, g.via])).toEqual([
      [1, 11_000, 'pipeline'],
      [2, 11_000, 'pipeline'],
    ]);
    expect(done).toEqual([
      [12_000, true],
      [12_000, true],
    ]);
  });

  it('fails when the link is cut at arrival, or when the reply cannot come back', () => {
    const { k, net, chans, got, kinds } = world({ net: { delay: { kind: 'fixed', us: 1000 } } });
    const p = chans.openPipeline(1, 2);
    const done: boolean[] = [];
    net.cutOneWay(1, 2);
    p.send(1, 100, (ok) => done.push(ok));
    k.scheduler.runUntilQuiescent();
    net.heal();
    net.cutOneWay(2, 1);
    p.send(2, 100, (ok) => done.push(ok));
    k.scheduler.runUntilQuiescent();
    // The second reached the peer, but the sender never heard back.
    expect(got.map((g) => g.msg)).toEqual([2]);
    expect(done).toEqual([false, false]);
    expect(kinds('chan.transfer').map((e) => e.fields.ok)).toEqual([false, false]);
  });

  it('bounds its queue, fails transfers to a crashed peer, and forgets them when the sender crashes', () => {
    const { k, hosts, chans, listen } = world({ chan: { pipelineQueueMax: 2 } });
    const p = chans.openPipeline(1, 2);
    const done: boolean[] = [];
    expect([p.send(1, 1), p.send(2, 1), p.send(3, 1)]).toEqual([true, true, false]);
    hosts.crash(2);
    k.scheduler.runUntilQuiescent();
    expect(done).toEqual([]);
    hosts.restart(2, () => listen(2));
    p.send(4, 1, (ok) => done.push(ok));
    hosts.crash(2);
    k.scheduler.runUntilQuiescent();
    expect(done).toEqual([false]);
    hosts.restart(2, () => listen(2));
    p.send(5, 1, (ok) => done.push(ok));
    hosts.crash(1);
    expect(p.closed).toBe(true);
    k.scheduler.runUntilQuiescent();
    expect(done).toEqual([false]);
  });
});
