/**
 * The nemesis: applies a fault timeline to a running cluster, on the kernel's clock.
 *
 * Each fault fires at its `at` (ms of virtual time), resolves its node references at that moment
 * (`leader` is whoever leads then), acts through the kernel's verbs (network partitions, host
 * lifecycle, disk faults and stalls, clocks, a link's delay) or the cluster's (crash points, leader transfer, membership),
 * traces a `nemesis.<type>` event, and keeps a `FaultRecord` for the report's fault bands. A fault
 * with `for` is undone that long after (heal its links, restart, resume, restore, clear the disk's
 * injected failures, end a disk's stall).
 *
 * Partitions compose: the nemesis counts, per directed link, how many active faults cut it, and
 * heals a link only when the last of them ends — so an `isolate 3 for 5s` inside a longer split
 * does not heal the split's links early.
 *
 * Randomness: `follower` and `any` are picked from a stream named after the fault itself
 * (`nemesis/pick/<type>@<at>`), so removing one fault from a timeline (the shrinker does) never
 * changes which node another fault picks.
 */
import { assert, unreachable } from '../sim/assert.js';
import type { ClockSettings, HostId, HostState } from '../sim/host.js';
import type { Network, NetworkOptions } from '../sim/network.js';
import type { Disk } from '../sim/disk.js';
import type { LatencyModel, Random } from '../sim/random.js';
import type { Scheduler } from '../sim/scheduler.js';
import { ms as msToUs } from '../sim/time.js';
import type { Trace } from '../sim/trace.js';
import type { FaultRecord } from '../record/run-record.js';
import { FAULTS_MAX, toLatencyModel, type DiskFaultKind, type Fault, type NodeRef } from './schema.js';

/** What the nemesis may do to the cluster: the runner's cluster implements it. */
export interface ClusterControl {
  /** Voting members now, ascending. */
  members(): readonly HostId[];
  /** Hosts that may be members (members and spares), ascending. */
  hostIds(): readonly HostId[];
  /** The workload's client and watcher hosts. */
  clientHosts(): readonly HostId[];
  /** The lock client that believes it holds the lock now, or null. */
  lockHolder(): HostId | null;
  /** The member that leads now (up or paused, role leader, highest term), or null. */
  leader(): HostId | null;
  state(id: HostId): HostState;
  crash(id: HostId): void;
  restart(id: HostId): void;
  pause(id: HostId): void;
  resume(id: HostId): void;
  /** The member's node stopped itself (fail-stop after a disk fault) and waits for a restart. */
  stopped(id: HostId): boolean;
  /** Crash `id` the next time its node passes `point`; `onCrash` is told when it did. */
  armCrashPoint(id: HostId, point: string, onCrash: () => void): void;
  /** Forgets every armed crash point (the liveness phase injects nothing). */
  disarmCrashPoints(): void;
  transferLeader(to: HostId): void;
  /** MemberAdd (as a learner, or a voter) through the leader's Cluster API; the host starts once it is accepted. */
  addMember(id: HostId, learner?: boolean): void;
  removeMember(id: HostId): void;
  promoteMember(id: HostId): void;
  clock(id: HostId): ClockSettings;
  setClockRate(id: HostId, rate: number): void;
  jumpClock(id: HostId, deltaUs: number): void;
  disk(id: HostId): Disk;
  readonly network: Network<unknown>;
}

export interface NemesisDeps {
  readonly scheduler: Scheduler;
  readonly trace: Trace;
  /** The nemesis stream (`nemesis`). */
  readonly random: Random;
  readonly control: ClusterControl;
  /** Told just before each fault is applied (the runner samples terms before the first). */
  readonly onFault?: (f: Fault) => void;
}

export interface Nemesis {
  /** Schedules every fault of `faults` (already sorted or not; ties keep their order). */
  schedule(faults: readonly Fault[]): void;
  /** The liveness phase begins: undo everything (heal, resume, restart, restore clocks, network, link delays, disks: capacity, injected failures and stalls). */
  healAll(): void;
  /** The faults applied so far, as the report draws them. */
  records(): FaultRecord[];
  /** When the first fault fired (µs), or null. */
  readonly firstFaultUs: number | null;
  /** When the last partition was healed or the last host resumed/restarted (µs), or null. */
  readonly lastHealUs: number | null;
}

interface OpenRecord {
  atUs: number;
  untilUs: number | null;
  readonly kind: string;
  readonly hosts: readonly HostId[];
  readonly groups?: readonly (readonly HostId[])[];
  readonly label: string;
}

/** Bounds on what one fault may touch: a limit on every loop. */
const LINKS_PER_FAULT_MAX = 64 * 64;
/** Disk faults injected as failures of the next operations (`failNext`): undone by `clearInjected`. */
const INJECTED_DISK_FAULTS: readonly DiskFaultKind[] = ['fsync-eio', 'read-eio', 'write-enospc'];
/** The disk files a bit flip may hit: raft/node's WAL segments. */
const WAL_FILE = /\.wal$/;

class NemesisImpl implements Nemesis {
  private readonly openRecords: OpenRecord[] = [];
  /** Active cuts per directed link (`from*65536+to`). */
  private readonly linkClaims = new Map<number, number>();
  private readonly capacityBefore = new Map<HostId, number>();
  /** Hosts whose disk was told to fail its next operations (failNext): healAll clears them. */
  private readonly injectedOn = new Set<HostId>();
  private networkBefore: Pick<NetworkOptions, 'delay' | 'lossRatio' | 'duplicateRatio'> | null = null;
  private readonly rateBefore = new Map<HostId, number>();
  /** Per directed link (`from*65536+to`), the delays the active link-delay faults set, oldest first: the newest holds. */
  private readonly linkDelays = new Map<number, { readonly model: LatencyModel }[]>();
  /** Per host, the ends (µs) of the active disk-stall faults: the disk stalls until the latest. */
  private readonly stalls = new Map<HostId, { readonly untilUs: number }[]>();
  firstFaultUs: number | null = null;
  lastHealUs: number | null = null;

  constructor(private readonly d: NemesisDeps) {}

  schedule(faults: readonly Fault[]): void {
    for (const f of faults) this.d.scheduler.scheduleAt(msToUs(f.at), (x: Fault) => this.apply(x), f);
  }

  records(): FaultRecord[] {
    return this.openRecords.map((r) => ({ ...r }));
  }

  healAll(): void {
    const c = this.d.control;
    const now = this.d.scheduler.now;
    c.disarmCrashPoints();
    if (c.network.cutLinks().length > 0) c.network.heal();
    this.linkClaims.clear();
    if (this.networkBefore !== null) c.network.update(this.networkBefore);
    for (const key of [...this.linkDelays.keys()].sort((a, b) => a - b)) c.network.setLinkDelay(Math.floor(key / 65536), key % 65536, null);
    this.linkDelays.clear();
    for (const [id, rate] of this.rateBefore) c.setClockRate(id, rate);
    this.rateBefore.clear();
    for (const [id, bytes] of this.capacityBefore) c.disk(id).setCapacity(bytes);
    this.capacityBefore.clear();
    // Before any restart below: a failure still pending would stop the member again at once.
    for (const id of [...this.injectedOn].sort((a, b) => a - b)) c.disk(id).clearInjected();
    this.injectedOn.clear();
    for (const id of [...this.stalls.keys()].sort((a, b) => a - b)) c.disk(id).stall(now);
    this.stalls.clear();
    for (const id of c.hostIds()) {
      if (c.state(id) === 'paused') c.resume(id);
      if (c.members().includes(id) && (c.state(id) === 'down' || c.stopped(id))) this.restartMember(id);
    }
    for (const r of this.openRecords) if (r.untilUs === null) r.untilUs = now;
    this.d.trace.emit(now, null, 'nemesis.heal-all', { members: c.members().join(',') });
    this.lastHealUs = now;
  }

  private apply(f: Fault): void {
    this.d.onFault?.(f);
    const pick = this.d.random.fork(`pick/${f.type}@${f.at}`);
    const picked: HostId[] = [];
    const resolve = (ref: NodeRef): HostId | null => {
      const id = resolveRef(ref, this.d.control, pick, picked);
      if (id !== null) picked.push(id);
      return id;
    };
    const rec = this.dispatch(f, resolve);
    if (rec === null) {
      this.d.trace.emit(this.d.scheduler.now, null, 'nemesis.skip', { type: f.type, reason: 'no such member now' });
      return;
    }
    if (this.firstFaultUs === null) this.firstFaultUs = this.d.scheduler.now;
    this.d.trace.emit(this.d.scheduler.now, null, `nemesis.${f.type}`, { hosts: rec.hosts.join(','), label: rec.label });
  }

  /** Applies one fault; null when a reference named nobody (no leader, say). */
  private dispatch(f: Fault, resolve: (r: NodeRef) => HostId | null): OpenRecord | null {
    switch (f.type) {
      case 'isolate':
      case 'split':
      case 'bridge':
      case 'cut-one-way':
        return this.partition(f, resolve);
      case 'heal':
        return this.heal();
      case 'crash':
        return this.crash(f, resolve);
      case 'restart':
        return this.lifecycleAll(f.node, resolve, 'restart');
      case 'pause':
        return this.pause(f, resolve);
      case 'resume':
        return this.lifecycleAll(f.node, resolve, 'resume');
      case 'disk-fault':
        return this.diskFault(f, resolve);
      case 'disk-stall':
        return this.diskStall(f, resolve);
      case 'clock':
        return this.clock(f, resolve);
      case 'crash-point':
        return this.crashPoint(f, resolve);
      case 'transfer-leader':
        return this.transfer(f, resolve);
      case 'add-member':
      case 'remove-member':
      case 'promote-member':
        return this.membership(f, resolve);
      case 'network':
        return this.degrade(f);
      case 'link-delay':
        return this.linkDelay(f, resolve);
      default:
        return unreachable(f, 'fault');
    }
  }

  private record(kind: string, hosts: readonly HostId[], label: string, forMs: number | undefined, undo: (() => void) | null, groups?: readonly (readonly HostId[])[]): OpenRecord {
    const r: OpenRecord = { atUs: this.d.scheduler.now, untilUs: null, kind, hosts, label, ...(groups === undefined ? {} : { groups }) };
    this.openRecords.push(r);
    if (forMs !== undefined && undo !== null) {
      this.d.scheduler.schedule(msToUs(forMs), () => {
        if (r.untilUs !== null) return; // already ended (a heal, the liveness phase)
        r.untilUs = this.d.scheduler.now;
        undo();
        this.d.trace.emit(this.d.scheduler.now, null, 'nemesis.undo', { label });
      });
    }
    return r;
  }

  private partition(f: Extract<Fault, { type: 'isolate' | 'split' | 'bridge' | 'cut-one-way' }>, resolve: (r: NodeRef) => HostId | null): OpenRecord | null {
    const plan = planPartition(f, this.d.control.members(), this.d.control.clientHosts(), resolve);
    if (plan === null) return null;
    const net = this.d.control.network;
    for (const [a, b] of plan.links) {
      const key = a * 65536 + b;
      this.linkClaims.set(key, (this.linkClaims.get(key) ?? 0) + 1);
    }
    plan.cut(net);
    const undo = (): void => this.releaseLinks(plan.links);
    return this.record('partition', plan.hosts, plan.label, f.for, undo, plan.groups);
  }

  private releaseLinks(links: readonly (readonly [HostId, HostId])[]): void {
    const net = this.d.control.network;
    for (const [a, b] of links) {
      const key = a * 65536 + b;
      const n = (this.linkClaims.get(key) ?? 0) - 1;
      if (n > 0) {
        this.linkClaims.set(key, n);
        continue;
      }
      this.linkClaims.delete(key);
      if (net.isCut(a, b)) net.healLink(a, b);
    }
    this.lastHealUs = this.d.scheduler.now;
  }

  private heal(): OpenRecord {
    const now = this.d.scheduler.now;
    this.d.control.network.heal();
    this.linkClaims.clear();
    for (const r of this.openRecords) if (r.kind === 'partition' && r.untilUs === null) r.untilUs = now;
    this.lastHealUs = now;
    const r: OpenRecord = { atUs: now, untilUs: now, kind: 'heal', hosts: [], label: 'heal every partition' };
    this.openRecords.push(r);
    return r;
  }

  private crash(f: Extract<Fault, { type: 'crash' }>, resolve: (r: NodeRef) => HostId | null): OpenRecord | null {
    const id = resolve(f.node);
    if (id === null || this.d.control.state(id) === 'down') return null;
    const label = `crash ${id}${f.node === 'leader' ? ' (the leader)' : ''}`;
    this.d.control.crash(id);
    return this.record('crash', [id], label, f.for, () => this.restartMember(id));
  }

  private restartMember(id: HostId): void {
    const c = this.d.control;
    if (c.state(id) !== 'down') c.crash(id); // a stopped node's process exits first
    c.restart(id);
    this.lastHealUs = this.d.scheduler.now;
  }

  private pause(f: Extract<Fault, { type: 'pause' }>, resolve: (r: NodeRef) => HostId | null): OpenRecord | null {
    const id = resolve(f.node);
    if (id === null || this.d.control.state(id) !== 'up') return null;
    this.d.control.pause(id);
    const label = `pause ${id}${f.node === 'leader' ? ' (the leader)' : f.node === 'lock-holder' ? ' (the lock holder)' : ''}`;
    return this.record('pause', [id], label, f.for, () => {
      if (this.d.control.state(id) === 'paused') this.d.control.resume(id);
      this.lastHealUs = this.d.scheduler.now;
    });
  }

  /** `restart`/`resume` of one member or of all: closes the matching open crash or pause records. */
  private lifecycleAll(ref: NodeRef | 'all', resolve: (r: NodeRef) => HostId | null, verb: 'restart' | 'resume'): OpenRecord | null {
    const c = this.d.control;
    const targets = ref === 'all' ? [...c.hostIds()] : [resolve(ref)].filter((x): x is HostId => x !== null);
    const acted: HostId[] = [];
    for (const id of targets) {
      if (verb === 'restart' && (c.state(id) === 'down' || c.stopped(id)) && c.members().includes(id)) {
        this.restartMember(id);
        acted.push(id);
      } else if (verb === 'resume' && c.state(id) === 'paused') {
        c.resume(id);
        acted.push(id);
      }
    }
    if (acted.length === 0) return null;
    const kind = verb === 'restart' ? 'crash' : 'pause';
    const now = this.d.scheduler.now;
    for (const r of this.openRecords) if (r.kind === kind && r.untilUs === null && r.hosts.some((h) => acted.includes(h))) r.untilUs = now;
    this.lastHealUs = now;
    const r: OpenRecord = { atUs: now, untilUs: now, kind: verb, hosts: acted, label: `${verb} ${acted.join(',')}` };
    this.openRecords.push(r);
    return r;
  }

  private diskFault(f: Extract<Fault, { type: 'disk-fault' }>, resolve: (r: NodeRef) => HostId | null): OpenRecord | null {
    const id = resolve(f.node);
    if (id === null) return null;
    const disk = this.d.control.disk(id);
    const count = f.count ?? 1;
    let label = `${f.fault} on ${id}`;
    switch (f.fault) {
      case 'fsync-eio':
        disk.failNext('fsync', 'EIO', count);
        this.injectedOn.add(id);
        break;
      case 'read-eio':
        disk.failNext('read', 'EIO', count);
        this.injectedOn.add(id);
        break;
      case 'write-enospc':
        disk.failNext('write', 'ENOSPC', count);
        this.injectedOn.add(id);
        break;
      case 'disk-full':
        if (!this.capacityBefore.has(id)) this.capacityBefore.set(id, Number.POSITIVE_INFINITY);
        disk.setCapacity(disk.usedBytes);
        break;
      case 'bit-flip': {
        const at = flipWalBit(disk, this.d.random.fork(`flip/${f.at}`));
        if (at === null) return null;
        label = `bit flip in ${at} on ${id}`;
        break;
      }
      default:
        return unreachable(f.fault, 'disk fault');
    }
    return this.record('disk-fault', [id], label, f.for, () => {
      const before = this.capacityBefore.get(id);
      if (f.fault === 'disk-full' && before !== undefined) {
        disk.setCapacity(before);
        this.capacityBefore.delete(id);
      }
      // The failures not yet hit (the member was down, or idle) go too: a restart must find a
      // healed disk, not stop again at its first fsync. Any other injected fault on this disk
      // still pending goes with them — one disk, one heal.
      if (INJECTED_DISK_FAULTS.includes(f.fault) && this.injectedOn.delete(id)) disk.clearInjected();
      if (this.d.control.stopped(id)) this.restartMember(id);
    });
  }

  /**
   * The member's disk hangs until `at + for`: its fsyncs meanwhile return at that end. Stalls on one
   * disk compose (it stalls until the latest active end); the undo ends this one, and an fsync
   * already in flight still returns when the stall it began under would have ended.
   */
  private diskStall(f: Extract<Fault, { type: 'disk-stall' }>, resolve: (r: NodeRef) => HostId | null): OpenRecord | null {
    const id = resolve(f.node);
    if (id === null) return null;
    const disk = this.d.control.disk(id);
    const claim = { untilUs: this.d.scheduler.now + msToUs(f.for) };
    const claims = this.stalls.get(id) ?? [];
    assert(claims.length < FAULTS_MAX, 'nemesis: more stalls on one disk than a timeline has faults');
    claims.push(claim);
    this.stalls.set(id, claims);
    disk.stall(Math.max(...claims.map((x) => x.untilUs)));
    const label = `stall the disk of ${id}${f.node === 'leader' ? ' (the leader)' : ''}: fsyncs wait ${f.for} ms`;
    return this.record('disk-stall', [id], label, f.for, () => {
      const left = (this.stalls.get(id) ?? []).filter((x) => x !== claim);
      if (left.length > 0) this.stalls.set(id, left);
      else this.stalls.delete(id);
      disk.stall(Math.max(this.d.scheduler.now, ...left.map((x) => x.untilUs)));
    });
  }

  private clock(f: Extract<Fault, { type: 'clock' }>, resolve: (r: NodeRef) => HostId | null): OpenRecord | null {
    const id = resolve(f.node);
    if (id === null) return null;
    const c = this.d.control;
    const parts: string[] = [];
    if (f.rate !== undefined) {
      if (!this.rateBefore.has(id)) this.rateBefore.set(id, c.clock(id).rate);
      c.setClockRate(id, f.rate);
      parts.push(`rate ${f.rate}`);
    }
    if (f.jumpMs !== undefined) {
      c.jumpClock(id, msToUs(f.jumpMs));
      parts.push(`jump ${f.jumpMs > 0 ? '+' : ''}${f.jumpMs}ms`);
    }
    const undo = f.rate === undefined ? null : (): void => {
      const before = this.rateBefore.get(id);
      if (before !== undefined) c.setClockRate(id, before);
      this.rateBefore.delete(id);
    };
    return this.record('clock', [id], `clock of ${id}: ${parts.join(', ')}`, f.for, undo);
  }

  private crashPoint(f: Extract<Fault, { type: 'crash-point' }>, resolve: (r: NodeRef) => HostId | null): OpenRecord | null {
    const id = resolve(f.node);
    if (id === null || this.d.control.state(id) === 'down') return null;
    const armed: OpenRecord = { atUs: this.d.scheduler.now, untilUs: null, kind: 'crash-point', hosts: [id], label: `crash ${id} at ${f.point}` };
    this.openRecords.push(armed);
    this.d.control.armCrashPoint(id, f.point, () => {
      if (armed.untilUs !== null) return; // closed (the liveness phase began) before it fired
      // The band starts when the node actually crashed there, not when the point was armed.
      armed.atUs = this.d.scheduler.now;
      if (f.for === undefined) return;
      this.d.scheduler.schedule(msToUs(f.for), () => {
        if (armed.untilUs !== null) return;
        armed.untilUs = this.d.scheduler.now;
        if (this.d.control.state(id) === 'down') this.restartMember(id);
      });
    });
    return armed;
  }

  private transfer(f: Extract<Fault, { type: 'transfer-leader' }>, resolve: (r: NodeRef) => HostId | null): OpenRecord | null {
    const lead = this.d.control.leader();
    if (lead === null) return null;
    const to = resolve(f.to);
    if (to === null || to === lead) return null;
    this.d.control.transferLeader(to);
    const r: OpenRecord = { atUs: this.d.scheduler.now, untilUs: this.d.scheduler.now, kind: 'transfer', hosts: [lead, to], label: `transfer leadership ${lead} → ${to}` };
    this.openRecords.push(r);
    return r;
  }

  /** A Cluster API call on the leader: the server's checks may refuse it (its `kv.error` / `kv.member` events say so). */
  private membership(f: Extract<Fault, { type: 'add-member' | 'remove-member' | 'promote-member' }>, resolve: (r: NodeRef) => HostId | null): OpenRecord | null {
    const c = this.d.control;
    const id = f.type === 'remove-member' ? resolve(f.node) : f.node;
    if (id === null) return null;
    let label: string;
    if (f.type === 'add-member') {
      if (c.members().includes(id)) return null;
      c.addMember(id, f.learner === true);
      label = `add ${f.learner === true ? 'learner' : 'member'} ${id}`;
    } else if (f.type === 'promote-member') {
      c.promoteMember(id);
      label = `promote member ${id}`;
    } else {
      if (!c.members().includes(id) || c.members().length === 1) return null;
      c.removeMember(id);
      label = `remove member ${id}`;
    }
    const now = this.d.scheduler.now;
    const r: OpenRecord = { atUs: now, untilUs: now, kind: 'membership', hosts: [id], label };
    this.openRecords.push(r);
    return r;
  }

  /** One directed link slowed down: the newest active fault on a link sets its delay; when the last ends, the network's own. */
  private linkDelay(f: Extract<Fault, { type: 'link-delay' }>, resolve: (r: NodeRef) => HostId | null): OpenRecord | null {
    const from = resolve(f.from);
    const to = resolve(f.to);
    if (from === null || to === null || from === to) return null;
    const net = this.d.control.network;
    const key = from * 65536 + to;
    const claim = { model: toLatencyModel(f.delay) };
    const claims = this.linkDelays.get(key) ?? [];
    assert(claims.length < FAULTS_MAX, 'nemesis: more delays on one link than a timeline has faults');
    claims.push(claim);
    this.linkDelays.set(key, claims);
    net.setLinkDelay(from, to, claim.model);
    return this.record('link-delay', [from, to], `delay ${from} → ${to}: ${describeLatency(claim.model)}`, f.for, () => {
      const left = (this.linkDelays.get(key) ?? []).filter((x) => x !== claim);
      if (left.length > 0) this.linkDelays.set(key, left);
      else this.linkDelays.delete(key);
      net.setLinkDelay(from, to, left.at(-1)?.model ?? null);
    });
  }

  private degrade(f: Extract<Fault, { type: 'network' }>): OpenRecord {
    const net = this.d.control.network;
    if (this.networkBefore === null) this.networkBefore = { delay: net.options.delay, lossRatio: net.options.lossRatio, duplicateRatio: net.options.duplicateRatio };
    const patch: { -readonly [K in keyof Pick<NetworkOptions, 'delay' | 'lossRatio' | 'duplicateRatio'>]?: NetworkOptions[K] } = {};
    if (f.lossRatio !== undefined) patch.lossRatio = f.lossRatio;
    if (f.duplicateRatio !== undefined) patch.duplicateRatio = f.duplicateRatio;
    if (f.delay !== undefined) patch.delay = toLatencyModel(f.delay);
    net.update(patch);
    const label = `network: ${Object.entries(patch).map(([k, v]) => `${k}=${typeof v === 'object' ? v.kind : v}`).join(' ')}`;
    return this.record('network', [], label, f.for, () => {
      if (this.networkBefore !== null) net.update(this.networkBefore);
      this.networkBefore = null;
    });
  }
}

/** `fixed 4000 ms`, `uniform 1–5 ms`, `log-normal median 2 ms`: a latency model in a label. */
export function describeLatency(l: LatencyModel): string {
  const msOf = (us: number): string => `${Math.round(us) / 1000}`;
  switch (l.kind) {
    case 'fixed':
      return `fixed ${msOf(l.us)} ms`;
    case 'uniform':
      return `uniform ${msOf(l.minUs)}–${msOf(l.maxUs)} ms`;
    case 'log-normal':
      return `log-normal median ${msOf(l.medianUs)} ms`;
    default:
      return unreachable(l, 'latency model');
  }
}

/** Which member a reference names now; `exclude` are members this fault already picked. */
export function resolveRef(ref: NodeRef, c: ClusterControl, r: Random, exclude: readonly HostId[]): HostId | null {
  if (typeof ref === 'number') return ref;
  if (ref === 'lock-holder') {
    const h = c.lockHolder();
    return h !== null && !exclude.includes(h) ? h : null;
  }
  const lead = c.leader();
  if (ref === 'leader') return lead !== null && !exclude.includes(lead) ? lead : null;
  const pool = c.members().filter((m) => !exclude.includes(m) && c.state(m) !== 'down' && (ref === 'any' || m !== lead));
  return pool.length === 0 ? null : r.pick(pool);
}

interface PartitionPlan {
  readonly hosts: readonly HostId[];
  readonly groups?: readonly (readonly HostId[])[];
  readonly label: string;
  /** The directed links it cuts. */
  readonly links: readonly (readonly [HostId, HostId])[];
  cut(net: Network<unknown>): void;
}

/** Works out which links a partition cuts (for the claims) and how to tell the network. */
function planPartition(f: Extract<Fault, { type: 'isolate' | 'split' | 'bridge' | 'cut-one-way' }>, members: readonly HostId[], clients: readonly HostId[], resolve: (r: NodeRef) => HostId | null): PartitionPlan | null {
  switch (f.type) {
    case 'isolate': {
      const n = resolve(f.node);
      if (n === null) return null;
      const others = members.filter((m) => m !== n);
      const cutFrom = f.clients === true ? [...others, ...clients] : others;
      const links = cutFrom.flatMap((o) => [[n, o], [o, n]] as const);
      const label = `isolate ${n}${f.node === 'leader' ? ' (the leader)' : ''}${f.clients === true ? ' from everyone' : ''}`;
      return { hosts: [n], groups: [[n], others], label, links, cut: (net) => net.isolate(n, [n, ...cutFrom]) };
    }
    case 'split': {
      const named = f.groups.map((g) => (g === 'rest' ? null : g.map(resolve)));
      if (named.some((g) => g !== null && g.some((x) => x === null))) return null;
      const used = new Set(named.flatMap((g) => g ?? []));
      const groups = named.map((g) => (g === null ? members.filter((m) => !used.has(m as HostId)) : g)) as HostId[][];
      const links: [HostId, HostId][] = [];
      groups.forEach((g, i) => groups.forEach((o, j) => i !== j && g.forEach((a) => o.forEach((b) => links.push([a, b])))));
      assert(links.length <= LINKS_PER_FAULT_MAX, 'nemesis: a split cuts too many links');
      return { hosts: groups.flat(), groups, label: `split ${groups.map((g) => g.join(',')).join(' | ')}`, links, cut: (net) => net.split(groups) };
    }
    case 'bridge': {
      const node = resolve(f.node);
      const a = f.groups[0].map(resolve);
      const b = f.groups[1].map(resolve);
      if (node === null || a.includes(null) || b.includes(null)) return null;
      const ga = a as HostId[];
      const gb = b as HostId[];
      const links = ga.flatMap((x) => gb.filter((y) => x !== y && x !== node && y !== node).flatMap((y) => [[x, y], [y, x]] as const));
      return { hosts: [node, ...ga, ...gb], groups: [ga, gb], label: `bridge ${node} between ${ga.join(',')} and ${gb.join(',')}`, links, cut: (net) => net.bridge(node, ga, gb) };
    }
    case 'cut-one-way': {
      const from = resolve(f.from);
      const to = resolve(f.to);
      if (from === null || to === null || from === to) return null;
      return { hosts: [from, to], label: `cut ${from} → ${to}`, links: [[from, to]], cut: (net) => net.cutOneWay(from, to) };
    }
  }
}

/**
 * Flips one bit inside the records of a WAL segment: between its header and the last 512 bytes
 * of data (a flip in the torn-tail zone, or in preallocated zeros, would test something else).
 */
function flipWalBit(disk: Disk, r: Random): string | null {
  const files = disk.names().filter((p) => WAL_FILE.test(p));
  if (files.length === 0) return null;
  const path = r.pick(files);
  const bytes = disk.peek(path) ?? new Uint8Array(0);
  let dataEnd = bytes.length;
  while (dataEnd > 0 && bytes[dataEnd - 1] === 0) dataEnd--;
  const end = dataEnd - 512;
  if (end <= 64) return null;
  const byte = r.int(64, end - 1);
  disk.flipBit(path, byte, r.int(0, 7));
  return `${path}@${byte}`;
}

export function createNemesis(deps: NemesisDeps): Nemesis {
  return new NemesisImpl(deps);
}
