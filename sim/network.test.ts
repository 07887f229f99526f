import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHosts } from './host.js';
import { createNetwork, type NetworkOptions } from './network.js';
import { createKernel } from './kernel.js';

interface Got {
  readonly at: number;
  readonly from: number;
  readonly to: number;
  readonly msg: number;
}

function world(ids: readonly number[], options: Partial<NetworkOptions> = {}, seed: number | string = 1) {
  const k = createKernel({ seed });
  const hosts = createHosts(k);
  const net = createNetwork<number>(k, hosts, options);
  const got: Got[] = [];
  const listen = (id: number): void => net.listen(id, (from, msg) => void got.push({ at: k.scheduler.now, from, to: id, msg }));
  for (const id of ids) {
    hosts.add(id);
    hosts.start(id, () => listen(id));
  }
  const drops = (reason?: string) => k.trace.events().filter((e) => e.kind === 'net.drop' && (reason === undefined || e.fields.reason === reason));
  return { k, hosts, net, got, listen, drops };
}

/** Every directed link among `ids`, as 'a>b' strings, minus the given ones. */
function links(ids: readonly number[]): string[] {
  return ids.flatMap((a) => ids.filter((b) => b !== a).map((b) => `${a}>${b}`));
}

function cutSet(net: { cutLinks(): readonly (readonly [number, number])[] }): string[] {
  return net.cutLinks().map(([a, b]) => `${a}>${b}`);
}

describe('network partitions: each verb cuts exactly the links it should', () => {
  const ids = [1, 2, 3, 4, 5];

  it('isolate cuts the node from every other host, both ways, and nothing else', () => {
    const { net } = world(ids);
    net.isolate(3);
    expect(cutSet(net)).toEqual(['1>3', '2>3', '3>1', '3>2', '3>4', '3>5', '4>3', '5>3']);
    for (const l of links(ids)) {
      const [a, b] = l.split('>').map(Number) as [number, number];
      expect(net.isCut(a, b)).toBe(a === 3 || b === 3);
    }
    expect(net.describePartition()).toBe('1<->3,2<->3,3<->4,3<->5');
  });

  it('split cuts every link between groups and none inside a group; unnamed hosts keep their links', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 5, maxLength: 5 }), (assign) => {
        const { net } = world(ids);
        // Group index per host; 3 means "in no group".
        const groups = [0, 1, 2].map((g) => ids.filter((_, i) => assign[i] === g)).filter((g) => g.length > 0);
        net.split(groups);
        for (const [i, a] of ids.entries()) {
          for (const [j, b] of ids.entries()) {
            if (a === b) continue;
            const ga = assign[i] as number;
            const gb = assign[j] as number;
            expect(net.isCut(a, b)).toBe(ga !== 3 && gb !== 3 && ga !== gb);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('bridge cuts the halves from each other but not from the bridge node', () => {
    const { net } = world(ids);
    net.bridge(3, [1, 2], [4, 5]);
    expect(cutSet(net)).toEqual(['1>4', '1>5', '2>4', '2>5', '4>1', '4>2', '5>1', '5>2']);
    expect(net.isCut(3, 1) || net.isCut(1, 3) || net.isCut(3, 5) || net.isCut(5, 3)).toBe(false);
  });

  it('cutOneWay cuts one direction only; heal and healLink remove cuts', () => {
    const { net } = world(ids);
    net.cutOneWay(1, 2);
    expect(cutSet(net)).toEqual(['1>2']);
    expect(net.isCut(2, 1)).toBe(false);
    expect(net.describePartition()).toBe('1->2');
    net.isolate(5);
    net.healLink(1, 2);
    expect(cutSet(net)).toEqual(['1>5', '2>5', '3>5', '4>5', '5>1', '5>2', '5>3', '5>4']);
    net.heal();
    expect(cutSet(net)).toEqual([]);
    expect(net.describePartition()).toBe('none');
  });

  it('verbs compose, and each is traced with the resulting partition', () => {
    const { k, net } = world(ids);
    net.cutOneWay(4, 5);
    net.isolate(1, [2]);
    expect(cutSet(net)).toEqual(['1>2', '2>1', '4>5']);
    const ev = k.trace.events().filter((e) => e.kind === 'net.partition');
    expect(ev.map((e) => e.fields)).toEqual([
      { verb: 'cut-one-way', args: '4->5', cut: '4->5' },
      { verb: 'isolate', args: '1|2', cut: '1<->2,4->5' },
    ]);
  });
});

describe('network delivery', () => {
  it('a message whose link is cut when it would arrive is dropped; healed in time, it arrives', () => {
    const { k, net, got, drops } = world([1, 2], { delay: { kind: 'fixed', us: 1000 } });
    net.send(1, 2, 10);
    k.scheduler.schedule(500, () => net.isolate(2));
    k.scheduler.runUntil(2000);
    expect(got).toEqual([]);
    expect(drops('cut')).toHaveLength(1);
    net.isolate(2);
    net.send(1, 2, 11);
    k.scheduler.schedule(999, () => net.heal());
    k.scheduler.runUntil(4000);
    expect(got).toEqual([{ at: 3000, from: 1, to: 2, msg: 11 }]);
  });

  it('a message to a crashed host is lost, even if the host restarts before it lands', () => {
    const { k, hosts, net, got, listen, drops } = world([1, 2], { delay: { kind: 'fixed', us: 1000 } });
    net.send(1, 2, 1);
    k.scheduler.schedule(100, () => hosts.crash(2));
    k.scheduler.schedule(200, () => void hosts.restart(2, () => listen(2)));
    k.scheduler.runUntil(5000);
    expect(got).toEqual([]);
    expect(drops('host-down')).toHaveLength(1);
    net.send(1, 2, 2);
    k.scheduler.runUntil(7000);
    expect(got.map((g) => g.msg)).toEqual([2]);
  });

  it('a message to a paused host waits and arrives at resume', () => {
    const { k, hosts, net, got } = world([1, 2], { delay: { kind: 'fixed', us: 1000 } });
    hosts.pause(2);
    net.send(1, 2, 1);
    net.send(1, 2, 2);
    k.scheduler.runUntil(5000);
    expect(got).toEqual([]);
    hosts.resume(2);
    k.scheduler.runUntil(5000);
    expect(got).toEqual([
      { at: 5000, from: 1, to: 2, msg: 1 },
      { at: 5000, from: 1, to: 2, msg: 2 },
    ]);
  });

  it('loss and duplicate ratios hold within tolerance', () => {
    const n = 20_000;
    const { k, net, got } = world([1, 2], { lossRatio: 0.2, duplicateRatio: 0.1, linkQueueMax: n * 2 }, 'ratios');
    let accepted = 0;
    for (let i = 0; i < n; i++) if (net.send(1, 2, i)) accepted++;
    k.scheduler.runUntilQuiescent();
    const stats = net.stats();
    expect(Math.abs(1 - accepted / n - 0.2)).toBeLessThan(0.015);
    expect(stats.dropped.loss).toBe(n - accepted);
    expect(Math.abs(stats.duplicated / accepted - 0.1)).toBeLessThan(0.012);
    expect(got).toHaveLength(accepted + stats.duplicated);
    expect(new Set(got.map((g) => g.msg)).size).toBe(accepted);
  });

  it('delays stay within the model bounds, and jitter reorders', () => {
    const { k, net, got } = world([1, 2], { delay: { kind: 'log-normal', medianUs: 1000, sigma: 0.8, minUs: 300, maxUs: 4000 } });
    const sentAt = new Map<number, number>();
    for (let i = 0; i < 2000; i++) {
      k.scheduler.scheduleAt(i * 10, () => {
        sentAt.set(i, k.scheduler.now);
        net.send(1, 2, i);
      });
    }
    k.scheduler.runUntilQuiescent();
    const delays = got.map((g) => g.at - (sentAt.get(g.msg) as number));
    expect(Math.min(...delays)).toBe(300);
    expect(Math.max(...delays)).toBe(4000);
    const sorted = [...delays].sort((a, b) => a - b);
    expect(Math.abs((sorted[1000] as number) - 1000)).toBeLessThan(100);
    const inversions = got.filter((g, i) => i > 0 && g.msg < (got[i - 1] as Got).msg).length;
    expect(inversions).toBeGreaterThan(100);
  });

  it('a full link drops and traces; a host that listens to nothing drops with a reason', () => {
    const { k, hosts, net, drops } = world([1, 2], { linkQueueMax: 3 });
    for (let i = 0; i < 5; i++) net.send(1, 2, i);
    expect(drops('queue-full')).toHaveLength(2);
    hosts.add(3);
    hosts.start(3, () => null);
    net.send(1, 3, 9);
    k.scheduler.runUntilQuiescent();
    expect(drops('no-listener')).toHaveLength(1);
    expect(net.stats()).toMatchObject({ sent: 6, delivered: 3, dropped: { 'queue-full': 2, 'no-listener': 1 } });
  });

  it('per-link delay overrides and update() take effect from then on', () => {
    const { k, net, got } = world([1, 2, 3], { delay: { kind: 'fixed', us: 100 } });
    net.setLinkDelay(1, 3, { kind: 'fixed', us: 5000 });
    net.send(1, 2, 1);
    net.send(1, 3, 2);
    k.scheduler.runUntilQuiescent();
    expect(got.map((g) => [g.msg, g.at])).toEqual([
      [1, 100],
      [2, 5000],
    ]);
    net.update({ delay: { kind: 'uniform', minUs: 7, maxUs: 7 } });
    net.send(2, 1, 3);
    k.scheduler.runUntilQuiescent();
    expect(got[2]).toEqual({ at: 5007, from: 2, to: 1, msg: 3 });
    expect(() => net.update({ lossRatio: 2 })).toThrow(/lossRatio/);
    expect(() => createNetwork(createKernel({ seed: 1 }), createHosts(createKernel({ seed: 1 })), { delay: { kind: 'uniform', minUs: 5, maxUs: 1 } })).toThrow(/minUs/);
  });

  it('the same seed gives the same deliveries; traffic on one link does not shift another link’s delays', () => {
    const run = (extraTraffic: boolean): number[] => {
      const { k, net, got } = world([1, 2, 3], {}, 'links');
      for (let i = 0; i < 50; i++) {
        net.send(1, 2, i);
        if (extraTraffic) net.send(1, 3, i);
      }
      k.scheduler.runUntilQuiescent();
      return got.filter((g) => g.to === 2).map((g) => g.at);
    };
    expect(run(false)).toEqual(run(true));
  });
});
