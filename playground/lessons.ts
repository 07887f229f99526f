/**
 * Guided lessons: a scenario and a seed, then steps. Each step has a prompt ("now cut n1 off —
 * watch its term"), the action it asks for (the page's "do it for me" performs it, the tests too),
 * and a checkpoint the page verifies as the run goes; the lesson ends with an explanation.
 *
 * A checkpoint reads the playground's state and what the lesson's listener collected from the
 * trace (`facts`): the learner acts by clicking, whenever they like, and the checkpoint judges
 * what happened — not a replay of a script. Where a step needs other settings (the same lesson
 * with PreVote off), it names them in `restart` and the page starts a fresh run with them.
 */
import type { HostId } from '../sim/host.js';
import type { Micros } from '../sim/time.js';
import type { TraceEvent } from '../sim/trace.js';
import type { ScenarioInput } from '../scenarios/schema.js';
import type { Action, Playground, PlaygroundOptions } from './session.js';

/** What a lesson's listener noted from the trace; a step's checkpoint reads it. */
export class LessonFacts {
  /** Members whose role is leader, with the term, in order of election. */
  readonly leaders: { id: HostId; term: number; atUs: Micros; commit: number; lastIndex: number; lastTerm: number }[] = [];
  /** Per member: times it started a (pre-)election. */
  readonly preElections = new Map<HostId, number>();
  readonly elections = new Map<HostId, number>();
  readonly stepDowns: { id: HostId; atUs: Micros; reason: string }[] = [];
  readonly snapshotsSent: { from: HostId; to: HostId; index: number }[] = [];
  readonly snapshotsRestored: { id: HostId; index: number }[] = [];
  /** WAL repairs at restart (raft/node/wal's `wal.repair`): where the valid records end, what was cut away, and why it counts as torn. */
  readonly walRepairs: { id: HostId; atUs: Micros; offset: number; droppedBytes: number; reason: string }[] = [];
  /** Crashes, and whether the disk tore the last pending write (sim/disk's `disk.crash`): the prefix it kept, from where. */
  readonly crashes: { id: HostId; atUs: Micros; torn: boolean; keptBytes: number; offset: number }[] = [];
  /** The size of each member's last WAL write (what a crash before its fsync may tear). */
  readonly lastWalWrite = new Map<HostId, number>();
  /** Commit advances on a leader: index reached, term of that entry, the leader's term. */
  readonly leaderCommits: { id: HostId; term: number; commit: number; entryTerm: number; from: number }[] = [];
  /** Anything a step wants to remember (the member it asked about, a term it saw). */
  readonly notes = new Map<string, number>();

  observe(e: TraceEvent, p: Playground): void {
    const h = e.host;
    if (h === null) return;
    if (e.kind === 'raft.role' && e.fields.role === 'leader') {
      const m = p.memberView(h);
      const last = m.log.at(-1);
      this.leaders.push({ id: h, term: Number(e.fields.term), atUs: e.timeUs, commit: m.commit, lastIndex: m.lastIndex, lastTerm: last?.term ?? 0 });
    } else if (e.kind === 'raft.event') {
      const text = String(e.fields.text);
      if (e.fields.kind === 'campaign') {
        const map = text.includes('pre-election') ? this.preElections : this.elections;
        map.set(h, (map.get(h) ?? 0) + 1);
      } else if (e.fields.kind === 'step-down') {
        this.stepDowns.push({ id: h, atUs: e.timeUs, reason: text.replace(/^.*: /, '') });
      } else if (e.fields.kind === 'snapshot-sent') {
        const m = /sent snapshot \[index: (\d+)\] to (\d+)/.exec(text);
        if (m !== null) this.snapshotsSent.push({ from: h, to: Number(m[2]), index: Number(m[1]) });
      } else if (e.fields.kind === 'snapshot-restored') {
        const m = /restored snapshot \[index: (\d+)/.exec(text);
        if (m !== null) this.snapshotsRestored.push({ id: h, index: Number(m[1]) });
      } else if (e.fields.kind === 'commit') {
        const m = /committed (\d+) -> (\d+) at term (\d+)/.exec(text);
        if (m !== null && p.roleOf(h).role === 'leader') {
          const v = p.memberView(h);
          const to = Number(m[2]);
          const entry = v.log.find((x) => x.index === to);
          this.leaderCommits.push({ id: h, term: Number(m[3]), commit: to, entryTerm: entry?.term ?? -1, from: Number(m[1]) });
        }
      }
    } else if (e.kind === 'disk.crash') {
      this.crashes.push({ id: h, atUs: e.timeUs, torn: e.fields.torn === true, keptBytes: Number(e.fields.keptBytes), offset: Number(e.fields.offset) });
    } else if (e.kind === 'wal.repair') {
      this.walRepairs.push({ id: h, atUs: e.timeUs, offset: Number(e.fields.offset), droppedBytes: Number(e.fields.droppedBytes), reason: String(e.fields.reason) });
    } else if (e.kind === 'disk.write' && String(e.fields.path).includes('/wal/')) {
      this.lastWalWrite.set(h, Number(e.fields.bytes));
    }
  }

  count(map: Map<HostId, number>, id: HostId): number {
    return map.get(id) ?? 0;
  }
}

export interface LessonContext {
  readonly p: Playground;
  readonly facts: LessonFacts;
  /** When the current step began (virtual µs). */
  readonly stepStartUs: Micros;
}

export interface LessonStep {
  /** What the learner is asked to do or watch. */
  prompt(c: LessonContext): string;
  /** The action it asks for, if any (null: just watch). "Do it for me" and the tests perform it. */
  action(c: LessonContext): Action | null;
  /** The checkpoint: true once the step is done. */
  check(c: LessonContext): boolean;
  /** Shown once the checkpoint holds. */
  explain(c: LessonContext): string;
  /** Start a fresh run with these switches before this step (same scenario and seed). */
  readonly restart?: Partial<PlaygroundOptions>;
  /** Virtual time the tests allow for the checkpoint after the action. */
  readonly withinUs: Micros;
}

export interface Lesson {
  readonly id: string;
  readonly title: string;
  readonly intro: string;
  /** A scenario input (resolved with the defaults by the page and the tests). */
  readonly scenario: ScenarioInput;
  readonly seed: number;
  readonly steps: readonly LessonStep[];
  readonly closing: string;
}

const n = (id: number): string => `n${id}`;
const leaderOf = (p: Playground): HostId | null => p.view().members.find((m) => m.role === 'leader' && m.state === 'up')?.id ?? null;
/** The member a step picked earlier (noted under `key`), else the first follower now. */
function picked(c: LessonContext, key: string): HostId {
  const id = c.facts.notes.get(key);
  if (id !== undefined) return id;
  const f = c.p.view().members.find((m) => m.role === 'follower' && m.state === 'up')?.id ?? 1;
  return f;
}
function pick(c: LessonContext, key: string, id: HostId): HostId {
  if (!c.facts.notes.has(key)) c.facts.notes.set(key, id);
  return c.facts.notes.get(key) as HostId;
}
function pickLeader(c: LessonContext, key: string): HostId {
  const known = c.facts.notes.get(key);
  if (known !== undefined) return known;
  const l = leaderOf(c.p);
  return l === null ? 1 : pick(c, key, l);
}
function pickFollower(c: LessonContext, key: string): HostId {
  const known = c.facts.notes.get(key);
  if (known !== undefined) return known;
  return pick(c, key, picked(c, key));
}

/** Wait for the first leader: every lesson starts here. */
const WAIT_FOR_LEADER: LessonStep = {
  prompt: () => 'Press play and watch the members elect a leader: one of them times out first, asks the others, and wins a majority.',
  action: () => null,
  check: (c) => leaderOf(c.p) !== null && c.p.nowUs > 1_200_000,
  explain: (c) => `${n(leaderOf(c.p) ?? 0)} leads term ${c.p.view().members.find((m) => m.role === 'leader')?.term ?? 0}. Its heartbeats reset the others' election timers (the bars under each member).`,
  withinUs: 3_000_000,
};

const HEAL: (key: string, what: string) => LessonStep = (key, what) => ({
  prompt: (c) => `Now heal the network (click “heal”, or press h) and watch ${n(c.facts.notes.get(key) ?? 0)} come back. ${what}`,
  action: () => ({ kind: 'heal' }),
  check: (c) => c.p.view().cutLinks.length === 0 && c.p.nowUs - c.stepStartUs > 1_500_000,
  explain: () => '',
  withinUs: 2_500_000,
});

const REJOIN_QUIET = { durationMs: 60_000, workload: { ratePerS: 20 } } as const;

const termInflationPreVote: Lesson = {
  id: 'prevote',
  title: 'Term inflation, with PreVote',
  intro: 'A follower cut off from the others hears no heartbeats and campaigns, again and again. Does its term climb?',
  scenario: { ...REJOIN_QUIET, cluster: { size: 3, preVote: true, checkQuorum: true } },
  seed: 11,
  steps: [
    WAIT_FOR_LEADER,
    {
      prompt: (c) => `Cut ${n(pickFollower(c, 'cut'))} off from the other members: click it and choose “isolate” (or select it and press i). Then watch its term.`,
      action: (c) => ({ kind: 'isolate', node: pickFollower(c, 'cut') }),
      check: (c) => {
        const id = pickFollower(c, 'cut');
        if (!c.p.view().cutLinks.some(([a, b]) => a === id || b === id)) return false;
        if (!c.facts.notes.has('termAtCut')) c.facts.notes.set('termAtCut', c.p.memberView(id).term);
        return c.facts.count(c.facts.preElections, id) >= 2;
      },
      explain: (c) => {
        const id = pickFollower(c, 'cut');
        return `${n(id)} started ${c.facts.count(c.facts.preElections, id)} pre-elections and its term is still ${c.p.memberView(id).term}: a pre-vote asks “would you vote for me?” without raising the term, and nobody answers.`;
      },
      withinUs: 6_000_000,
    },
    { ...HEAL('cut', 'Does the leader keep leading?'), explain: (c) => `The leader ${n(c.facts.leaders.at(-1)?.id ?? 0)} still leads term ${c.facts.leaders.at(-1)?.term ?? 0}: the follower rejoined at the term it left with, so nothing was disturbed.` },
  ],
  closing: 'With PreVote (etcd\'s --pre-vote, on by default since 3.4) a member first asks whether it could win before it raises its term. An isolated member can never win, so its term stays put, and when it comes back it simply follows the leader again: no needless election.',
};

const termInflationNoPreVote: Lesson = {
  id: 'no-prevote',
  title: 'Term inflation, without PreVote',
  intro: 'The same cut, with PreVote off. Watch the term of the cut-off member, then what happens when it returns.',
  scenario: { ...REJOIN_QUIET, cluster: { size: 3, preVote: false, checkQuorum: false } },
  seed: 11,
  steps: [
    WAIT_FOR_LEADER,
    {
      prompt: (c) => `Cut ${n(pickFollower(c, 'cut'))} off (click it, “isolate”) and watch its term climb with every election it starts.`,
      action: (c) => ({ kind: 'isolate', node: pickFollower(c, 'cut') }),
      check: (c) => {
        const id = pickFollower(c, 'cut');
        const lead = c.facts.leaders.at(-1);
        return c.p.view().cutLinks.some(([a, b]) => a === id || b === id) && lead !== undefined && c.p.memberView(id).term >= lead.term + 3;
      },
      explain: (c) => `${n(pickFollower(c, 'cut'))} is at term ${c.p.memberView(pickFollower(c, 'cut')).term}, far above the leader's ${c.facts.leaders.at(-1)?.term ?? 0}: each election timeout it raised its term and voted for itself, in vain.`,
      withinUs: 8_000_000,
    },
    {
      ...HEAL('cut', 'Watch the leader.'),
      check: (c) => {
        const id = pickFollower(c, 'cut');
        const first = c.facts.leaders[0];
        return c.p.view().cutLinks.length === 0 && first !== undefined && c.facts.leaders.some((l) => l.term > (first.term ?? 0) + 2) && c.p.memberView(id).state === 'up';
      },
      explain: (c) => `The returning member's high term reached the leader, which had to step down: a new election at term ${c.facts.leaders.at(-1)?.term ?? 0}. The cluster was unavailable for writes meanwhile, for no reason.`,
      withinUs: 4_000_000,
    },
  ],
  closing: 'Without PreVote, a member that cannot reach the others inflates its term. When it returns, its term forces the healthy leader to step down (a higher term always wins) — a disruption caused by a member that was never going to win. PreVote removes it; CheckQuorum\'s lease also makes members ignore vote requests while they hear from a leader.',
};

const staleRead: Lesson = {
  id: 'stale-read',
  title: 'A stale read with leader-local reads, and why ReadIndex prevents it',
  intro: 'The leader answers reads from its own state without checking that it still leads (read mode leader-local, CheckQuorum off). Cut it off from the other members while clients still reach it.',
  scenario: { durationMs: 60_000, readMode: 'leader-local', cluster: { checkQuorum: false }, workload: { clients: 4, keys: 3, mix: { get: 60, put: 35, delete: 0, txn: 5, range: 0, watch: 0 }, ratePerS: 100 } },
  seed: 3,
  steps: [
    WAIT_FOR_LEADER,
    {
      prompt: (c) => `Isolate the leader ${n(pickLeader(c, 'old'))} (click it, “isolate”). Clients can still talk to it. Wait for the live checker.`,
      action: (c) => ({ kind: 'isolate', node: pickLeader(c, 'old') }),
      check: (c) => c.p.view().staleReads.length > 0,
      explain: (c) => `${c.p.view().staleReads[0]?.text ?? ''} The old leader did not know a new leader had been elected on the other side.`,
      withinUs: 8_000_000,
    },
    {
      restart: { readMode: 'readindex' },
      prompt: (c) => `The same run again with read mode ReadIndex. Wait for a leader, then isolate it (${n(leaderOf(c.p) ?? 0)}) and watch the reads it gets.`,
      action: (c) => {
        const l = leaderOf(c.p);
        return l === null ? null : { kind: 'isolate', node: pick(c, 'old2', l) };
      },
      check: (c) => c.facts.notes.has('old2') && c.p.nowUs - c.stepStartUs > 5_000_000 && c.p.view().staleReads.length === 0,
      explain: () => 'No stale read: before serving a read the leader sends a heartbeat round and waits for a majority to answer at its term (ReadIndex). Cut off, it cannot get them, so the reads it receives wait and time out instead of returning old values.',
      withinUs: 6_000_000,
    },
  ],
  closing: 'A leader cannot know by itself that it is still the leader: another may have been elected behind a partition. ReadIndex (etcd\'s default for linearizable reads) confirms leadership with a quorum for every batch of reads; leader-local reads skip that and can return values a newer leader has already overwritten.',
};

const checkQuorum: Lesson = {
  id: 'check-quorum',
  title: 'CheckQuorum and a leader in a minority',
  intro: 'Five members. Split the leader and one follower from the other three: what does the old leader do?',
  scenario: { durationMs: 60_000, cluster: { size: 5, checkQuorum: true }, workload: { ratePerS: 50 } },
  seed: 5,
  steps: [
    WAIT_FOR_LEADER,
    {
      prompt: (c) => {
        const l = pickLeader(c, 'old');
        const f = c.p.view().members.find((m) => m.id !== l)?.id ?? 1;
        return `Split {${n(l)}, ${n(f)}} from the rest: select both (click, or drag a box around them) and press “split” (or s).`;
      },
      action: (c) => {
        const l = pickLeader(c, 'old');
        const ids = c.p.view().members.map((m) => m.id);
        const f = ids.find((x) => x !== l) ?? 1;
        return { kind: 'split', groups: [[l, f], ids.filter((x) => x !== l && x !== f)] };
      },
      check: (c) => {
        const old = pickLeader(c, 'old');
        return c.facts.stepDowns.some((s) => s.id === old && s.reason === 'quorum-inactive') && c.facts.leaders.some((x) => x.id !== old && x.atUs > c.stepStartUs);
      },
      explain: (c) => {
        const old = pickLeader(c, 'old');
        const sd = c.facts.stepDowns.find((s) => s.id === old);
        const nl = c.facts.leaders.at(-1);
        return `${n(old)} stepped down at t=${((sd?.atUs ?? 0) / 1e6).toFixed(2)} s: CheckQuorum found that it had heard from only 2 of 5 members in an election timeout. The majority side elected ${n(nl?.id ?? 0)} in term ${nl?.term ?? 0}.`;
      },
      withinUs: 4_000_000,
    },
  ],
  closing: 'Without CheckQuorum a leader cut off in a minority keeps believing it leads: it accepts requests it can never commit, and with leader-local reads it answers them from old state. With CheckQuorum it steps down after an election timeout without a majority, so clients go elsewhere. The two leaders overlap at most for that timeout — which is why lease reads need bounded clock drift.',
};

const figure8: Lesson = {
  id: 'figure-8',
  title: "Raft's Figure 8: a leader commits only entries of its own term",
  intro: 'Under a steady stream of writes, followers always hold a few entries they do not yet know are committed. Crash the leader and look at the new leader\'s log.',
  scenario: { durationMs: 60_000, cluster: { size: 3 }, workload: { ratePerS: 100, mix: { get: 10, put: 90, delete: 0, txn: 0, range: 0, watch: 0 } } },
  seed: 8,
  steps: [
    WAIT_FOR_LEADER,
    {
      prompt: (c) => `Crash the leader ${n(pickLeader(c, 'old'))} (click it, “crash”, or press c).`,
      action: (c) => ({ kind: 'crash', node: pickLeader(c, 'old') }),
      check: (c) => {
        const old = pickLeader(c, 'old');
        const nl = c.facts.leaders.find((l) => l.id !== old && l.atUs > c.stepStartUs);
        return c.p.memberView(old).state === 'down' && nl !== undefined;
      },
      explain: (c) => {
        const old = pickLeader(c, 'old');
        const nl = c.facts.leaders.find((l) => l.id !== old && l.atUs > c.stepStartUs);
        if (nl === undefined) return '';
        const inherited = nl.lastIndex - nl.commit;
        return `${n(nl.id)} leads term ${nl.term}. When it won, its log ended at index ${nl.lastIndex} (term ${nl.lastTerm}) but it knew only ${nl.commit} committed: ${inherited} entr${inherited === 1 ? 'y' : 'ies'} of the old term that it may not count as committed even when a majority holds them.`;
      },
      withinUs: 4_000_000,
    },
    {
      prompt: () => 'Step on (press n for the next interesting event) and watch the new leader\'s first commit.',
      action: () => null,
      check: (c) => {
        const old = pickLeader(c, 'old');
        const nl = c.facts.leaders.find((l) => l.id !== old);
        return nl !== undefined && c.facts.leaderCommits.some((x) => x.id === nl.id && x.term === nl.term);
      },
      explain: (c) => {
        const old = pickLeader(c, 'old');
        const nl = c.facts.leaders.find((l) => l.id !== old);
        const first = c.facts.leaderCommits.find((x) => nl !== undefined && x.id === nl.id && x.term === nl.term);
        if (nl === undefined || first === undefined) return '';
        return `Its first commit went from ${first.from} straight to ${first.commit}, an entry of its own term ${first.entryTerm}: the old-term entries ${nl.commit + 1}…${nl.lastIndex} became committed only then, together with it, never by counting their replicas.`;
      },
      withinUs: 2_000_000,
    },
  ],
  closing: "Figure 8 of the Raft paper shows why: an entry of an old term stored on a majority can still be overwritten, if a member that lacks it wins a later term with a newer last entry. So a leader counts replicas only for entries of its own term (its first is the empty entry it appends on winning); committing one commits everything before it, by the log matching property.",
};

const snapshotCatchUp: Lesson = {
  id: 'snapshot',
  title: 'A follower catching up by snapshot',
  intro: 'Members compact their logs after every few hundred applied entries (a snapshot of the store replaces them). A follower that was away longer cannot be sent the entries it missed.',
  scenario: { durationMs: 60_000, cluster: { size: 3, snapshotCount: 100, snapshotCatchUpEntries: 10 }, workload: { ratePerS: 100, mix: { get: 20, put: 80, delete: 0, txn: 0, range: 0, watch: 0 } } },
  seed: 4,
  steps: [
    WAIT_FOR_LEADER,
    {
      prompt: (c) => `Crash the follower ${n(pickFollower(c, 'f'))} (click it, “crash”), then wait while the leader's log moves on and is compacted.`,
      action: (c) => ({ kind: 'crash', node: pickFollower(c, 'f') }),
      check: (c) => {
        const f = pickFollower(c, 'f');
        const v = c.p.view();
        const lead = v.members.find((m) => m.role === 'leader');
        if (v.members.find((m) => m.id === f)?.state !== 'down' || lead === undefined) return false;
        if (!c.facts.notes.has('fLast')) c.facts.notes.set('fLast', lead.commit);
        return lead.firstIndex > (c.facts.notes.get('fLast') ?? 0) + 1;
      },
      explain: (c) => `The leader's log now starts at index ${c.p.view().members.find((m) => m.role === 'leader')?.firstIndex ?? 0}: the entries after ${n(pickFollower(c, 'f'))}'s last one are gone from it, folded into a snapshot.`,
      withinUs: 8_000_000,
    },
    {
      prompt: (c) => `Restart ${n(pickFollower(c, 'f'))} (click it, “restart”, or press r).`,
      action: (c) => ({ kind: 'restart', node: pickFollower(c, 'f') }),
      check: (c) => {
        const f = pickFollower(c, 'f');
        const r = c.facts.snapshotsRestored.find((x) => x.id === f);
        const lead = c.p.view().members.find((m) => m.role === 'leader');
        return r !== undefined && lead !== undefined && c.p.memberView(f).applied >= r.index;
      },
      explain: (c) => {
        const f = pickFollower(c, 'f');
        const sent = c.facts.snapshotsSent.find((x) => x.to === f);
        return `The leader sent ${n(f)} a snapshot at index ${sent?.index ?? '?'}; ${n(f)} replaced its store with it, and ordinary appends carried it the rest of the way.`;
      },
      withinUs: 6_000_000,
    },
  ],
  closing: 'A log cannot grow forever: etcd snapshots the store every --snapshot-count applied entries and keeps only --snapshot-catchup-entries behind it. A follower that falls further behind gets the state itself (MsgSnap) instead of the entries, then continues from the snapshot\'s index.',
};

const SECTOR_BYTES = 512;

const tornWal: Lesson = {
  id: 'torn-wal',
  title: 'A torn WAL write, and its repair',
  intro: 'This cluster has a slow disk (every fsync takes 50 ms), so each WAL write carries many entries and spans several 512-byte sectors. Cut a member\'s power between its WAL write and the fsync that would make it durable.',
  scenario: {
    durationMs: 60_000,
    cluster: { size: 3 },
    // Every crash that finds a write still pending tears it (the disk keeps a sector-aligned prefix).
    disk: { latency: { fsync: { kind: 'fixed', us: 50_000 } }, faults: { tornWriteRate: 1 } },
    workload: { clients: 40, ratePerS: 1_000, mix: { get: 10, put: 90, delete: 0, txn: 0, range: 0, watch: 0 } },
  },
  seed: 6,
  steps: [
    WAIT_FOR_LEADER,
    {
      prompt: (c) => `Select the follower ${n(pickFollower(c, 'f'))} and choose “crash while writing” (or press w): its power fails just after it hands its next WAL record to the disk, before the fsync returns.`,
      action: (c) => ({ kind: 'crash-writing', node: pickFollower(c, 'f') }),
      check: (c) => c.facts.crashes.some((x) => x.id === pickFollower(c, 'f') && x.atUs >= c.stepStartUs),
      explain: (c) => {
        const f = pickFollower(c, 'f');
        const cr = c.facts.crashes.filter((x) => x.id === f).at(-1);
        const wrote = c.facts.lastWalWrite.get(f) ?? 0;
        if (cr === undefined || !cr.torn) return `${n(f)} lost power with its last WAL write of ${wrote} bytes unsynced; the disk kept none of it (it did not cross a sector boundary, and sectors are written whole).`;
        return `${n(f)} lost power with a WAL write of ${wrote} bytes in flight at offset ${cr.offset}. Disks write whole ${SECTOR_BYTES}-byte sectors, so only a prefix of it reached the platter: ${cr.keptBytes} bytes, ending on a sector boundary; the rest never got there.`;
      },
      withinUs: 2_000_000,
    },
    {
      prompt: (c) => {
        const f = pickFollower(c, 'f');
        if (c.p.memberView(f).state === 'down') return `Restart ${n(f)} (select it, “restart”, or press r) and watch what it finds at the end of its WAL.`;
        return `That crash left no torn record to repair (the kept prefix ended exactly on a record, or nothing was kept). Crash ${n(f)} while it writes again (w), then restart it (r).`;
      },
      action: (c) => {
        const f = pickFollower(c, 'f');
        return c.p.memberView(f).state === 'down' ? { kind: 'restart', node: f } : { kind: 'crash-writing', node: f };
      },
      check: (c) => {
        const f = pickFollower(c, 'f');
        const rep = c.facts.walRepairs.find((x) => x.id === f && x.atUs >= c.stepStartUs);
        return rep !== undefined && c.p.memberView(f).state === 'up' && c.p.memberView(f).applied > 0 && c.p.nowUs - rep.atUs > 300_000;
      },
      explain: (c) => {
        const f = pickFollower(c, 'f');
        const rep = c.facts.walRepairs.filter((x) => x.id === f).at(-1);
        if (rep === undefined) return '';
        return `On restart ${n(f)} read its WAL record by record and stopped at offset ${rep.offset}: ${rep.reason}. That is the signature of a torn write in the last segment, so it copied the segment aside (.broken), cut the ${rep.droppedBytes} bytes after the last whole record away, and started from there. It is now at index ${c.p.memberView(f).lastIndex}, caught up by the leader.`;
      },
      withinUs: 4_000_000,
    },
  ],
  closing: "A crash between a WAL write and its fsync may leave part of that write on disk. etcd tells such a torn tail from real damage (its decoder's isTornEntry): only in the last segment, only after the last record that decodes, and only when the broken record runs past the end of the file or one of the sectors it spans is all zeros — a sector that was never written. Then it repairs (truncates to the last whole record) and goes on; nothing lost was ever acknowledged, because the entries were not fsynced. Any other damage — a bad checksum in a fully written record, a torn record in an older segment — is refused, not repaired.",
};

export const LESSONS: readonly Lesson[] = [termInflationPreVote, termInflationNoPreVote, staleRead, checkQuorum, figure8, snapshotCatchUp, tornWal];

export function findLesson(id: string): Lesson | undefined {
  return LESSONS.find((l) => l.id === id);
}

/** Where a lesson is: the step, its start, the facts so far, and the run (a fresh one when a step restarts). */
export class LessonRun {
  step = 0;
  stepStartUs: Micros = 0;
  facts = new LessonFacts();
  /** Explanations of the steps passed so far. */
  readonly passed: string[] = [];
  p: Playground;

  constructor(
    readonly lesson: Lesson,
    private readonly make: (scenario: ScenarioInput, seed: number, options: Partial<PlaygroundOptions>) => Playground,
  ) {
    this.p = this.fresh({});
  }

  get done(): boolean {
    return this.step >= this.lesson.steps.length;
  }

  get current(): LessonStep | null {
    return this.lesson.steps[this.step] ?? null;
  }

  context(): LessonContext {
    return { p: this.p, facts: this.facts, stepStartUs: this.stepStartUs };
  }

  prompt(): string {
    return this.current?.prompt(this.context()) ?? this.lesson.closing;
  }

  /** Performs the current step's action ("do it for me"); returns whether something was done. */
  doIt(): boolean {
    const a = this.current?.action(this.context()) ?? null;
    return a !== null && this.p.act(a) !== null;
  }

  /** Verifies the current checkpoint; on success moves to the next step (restarting the run if it asks). Returns whether it passed. */
  verify(): boolean {
    const st = this.current;
    if (st === null) return false;
    const c = this.context();
    if (!st.check(c)) return false;
    this.passed.push(st.explain(c));
    this.step++;
    const next = this.current;
    if (next?.restart !== undefined) {
      this.p = this.fresh(next.restart);
    }
    this.stepStartUs = this.p.nowUs;
    return true;
  }

  private fresh(options: Partial<PlaygroundOptions>): Playground {
    const p = this.make(this.lesson.scenario, this.lesson.seed, options);
    // A restart keeps nothing from the old run but the lesson's place.
    this.facts = new LessonFacts();
    p.listen((e, pg) => this.facts.observe(e, pg));
    return p;
  }
}
