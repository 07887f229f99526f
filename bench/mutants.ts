/**
 * `npm run mutants [-- --seeds N] [--workers W] [--only id,id] [--json]`: the fuzzer's own
 * mutation score. Each mutant is the smallest change that breaks one rule of the reference (commit,
 * voting, term handling, persistence order, WAL integrity, snapshot restore, MVCC compaction, watch
 * delivery, lease semantics, ReadIndex, log matching, txn semantics). The script never touches
 * the working tree: for each mutant it copies the tracked files (`git ls-files`) to a temporary
 * directory, applies the text replacement (which must match exactly once, else the mutant is
 * reported stale), builds the copy, and runs `raftsim fuzz swarm --seeds N` there (default 2000,
 * stopping at the first failure). A mutant is *caught* when some seed fails; it reports the first
 * failing seed's position (seeds to find), the check, and the CPU seconds of the campaign
 * (user + system of the child process, all its threads, from /usr/bin/time).
 *
 * Not part of `npm test`: a full run is minutes to hours of CPU. This file runs outside the
 * simulation (it reads files, spawns processes and the clock on purpose).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Mutant {
  readonly id: string;
  /** The rule of the reference it breaks. */
  readonly rule: string;
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

export const MUTANTS: readonly Mutant[] = [
  { id: 'commit-old-term', rule: 'commit: a leader commits by counting replicas only entries of its own term (§5.4.2, Figure 8)', file: 'raft/core/log.ts', find: 'if (index > this.committed && t !== 0 && this.termOrZero(index) === t) {', replace: 'if (index > this.committed && t !== 0) {' },
  { id: 'commit-minority', rule: 'commit: an index is committed once a majority has it', file: 'raft/core/quorum.ts', find: 'return srt[n - (Math.floor(n / 2) + 1)] as LogIndex;', replace: 'return srt[n - 1] as LogIndex;' },
  { id: 'vote-stale-log', rule: 'voting: a vote goes only to a candidate whose log is at least as up to date (§5.4.1)', file: 'raft/core/election.ts', find: 'const granted = canVote && r.log.isUpToDate({ index: m.index, term: m.logTerm });', replace: 'const granted = canVote;' },
  { id: 'vote-twice', rule: 'voting: one vote per term', file: 'raft/core/election.ts', find: '(r.vote === NONE && r.lead === NONE)', replace: '(r.lead === NONE)' },
  { id: 'candidate-same-term', rule: 'term handling: a candidate campaigns in a new term', file: 'raft/core/raft.ts', find: 'this.reset((this.term + 1) as Term);\n    this.tickFn = tickElection;\n    this.vote = this.id;', replace: 'this.reset(this.term);\n    this.tickFn = tickElection;\n    this.vote = this.id;' },
  { id: 'append-no-prev-check', rule: 'log matching: a follower appends only after the entry before matches (§5.3)', file: 'raft/core/log.ts', find: 'if (!this.matchTerm(prev)) return null;', replace: 'if (prev.index > this.lastIndex()) return null;' },
  { id: 'follower-commit-unverified', rule: 'commit: a follower commits no further than the entries the leader just matched', file: 'raft/core/log.ts', find: 'this.commitTo(Math.min(committed, lastNew) as LogIndex);', replace: 'this.commitTo(Math.min(committed, this.lastIndex()) as LogIndex);' },
  { id: 'wal-no-fsync', rule: 'persistence order: entries and votes are fsynced before they are acknowledged', file: 'raft/node/wal.ts', find: 'else if (mustSync) this.fsync(run, this.tailPath);', replace: 'else if (!mustSync) this.fsync(run, this.tailPath);' },
  { id: 'wal-crc-ignored', rule: 'WAL integrity: a record whose checksum does not match is not replayed', file: 'raft/node/wal-record.ts', find: 'if (next !== stored) return damaged(', replace: 'if (next !== stored && false) return damaged(' },
  { id: 'snapshot-not-restored', rule: 'snapshot restore: a follower that takes a snapshot replaces its state machine by it', file: 'raft/node/node.ts', find: 'this.o.stateMachine.restore(snap.data, snap.metadata.index, snap.metadata.term);\n    this.applied = snap.metadata.index;', replace: 'this.applied = snap.metadata.index;' },
  { id: 'compact-drops-live', rule: 'MVCC compaction keeps the version visible at the compaction revision', file: 'kv/mvcc/key-index.ts', find: 'if (revIdx > 0) this.generations[genIdx] = gen.slice(revIdx);', replace: 'if (revIdx >= 0) this.generations[genIdx] = gen.slice(revIdx + 1);' },
  { id: 'watch-skips-next', rule: 'watch delivery: a synced watcher gets every event from its next revision on', file: 'kv/watch/watchable-store.ts', find: 'if (rev < w.minRev) return; // a watcher that starts at a future revision', replace: 'if (rev <= w.minRev && rev % 7 === 0) return;' },
  { id: 'lease-revoke-keeps-keys', rule: 'lease semantics: revoking a lease deletes its keys', file: 'kv/lease/lessor.ts', find: 'const deleted = store.deleteKeys(keys);', replace: 'const deleted = 0; lease.keys.clear();' },
  { id: 'readindex-no-apply-wait', rule: 'ReadIndex: a read waits until the member applied the read index', file: 'kv/server/read-index.ts', find: 'this.applyWait.wait(rs.index,', replace: 'this.applyWait.wait(0,' },
  { id: 'readindex-no-quorum', rule: 'ReadIndex: the leader confirms its leadership with a quorum before answering', file: 'raft/core/read-index.ts', find: "    case 'safe':\n      r.readOnly.addRequest(r.log.committed, m);", replace: "    case 'safe':\n      respondToReadIndex(r, m, r.log.committed);\n      return;\n      r.readOnly.addRequest(r.log.committed, m);" },
  { id: 'txn-compare-inverted', rule: 'txn semantics: EQUAL means equal', file: 'kv/mvcc/txn.ts', find: "case 'EQUAL': return order === 0;", replace: "case 'EQUAL': return order !== 0;" },
];

interface Outcome {
  readonly mutant: string;
  readonly rule: string;
  readonly caught: boolean | null;
  readonly seedsToFind: number | null;
  readonly seedsRun: number | null;
  readonly check: string | null;
  readonly cpuSeconds: number | null;
  readonly problem?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** A copy of the tracked tree at `dir`, node_modules linked, with the mutant applied; null when it does not apply exactly once. */
function mutatedCopy(m: Mutant, dir: string): string | null {
  const files = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter((f) => f !== '');
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(root, f), join(dir, f));
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const path = join(dir, m.file);
  const text = readFileSync(path, 'utf8');
  const count = text.split(m.find).length - 1;
  if (count !== 1) return `the text to replace occurs ${count} times in ${m.file} (the mutant is stale)`;
  writeFileSync(path, text.replace(m.find, m.replace));
  return null;
}

function runMutant(m: Mutant, seeds: number, workers: number, from: number): Outcome {
  const dir = mkdtempSync(join(tmpdir(), `raftsim-mutant-${m.id}-`));
  const base = { mutant: m.id, rule: m.rule };
  try {
    const stale = mutatedCopy(m, dir);
    if (stale !== null) return { ...base, caught: null, seedsToFind: null, seedsRun: null, check: null, cpuSeconds: null, problem: stale };
    const build = spawnSync(process.execPath, ['bin/build.js'], { cwd: dir, encoding: 'utf8' });
    if (build.status !== 0) return { ...base, caught: null, seedsToFind: null, seedsRun: null, check: null, cpuSeconds: null, problem: `build failed: ${build.stderr.split('\n')[0] ?? ''}` };
    const timeFile = join(dir, 'cpu.txt');
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, process.execPath, 'build/cli.js', 'fuzz', 'swarm', '--seeds', String(seeds), '--from', String(from), '--workers', String(workers), '--shrink-runs', '0', '--json', '--out', dir], { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const [user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)?.split(' ').map(Number) ?? [NaN, NaN];
    const cpuSeconds = Math.round(((user ?? 0) + (sys ?? 0)) * 100) / 100;
    let summary: { ran: number; failures: { seed: number; failed: string[] }[] };
    try {
      summary = JSON.parse(r.stdout) as typeof summary;
    } catch {
      return { ...base, caught: true, seedsToFind: null, seedsRun: null, check: 'run', cpuSeconds, problem: `fuzz did not finish normally: ${(r.stderr || r.stdout).split('\n').find((l) => l.trim() !== '') ?? ''}` };
    }
    const first = [...summary.failures].sort((a, b) => a.seed - b.seed)[0];
    if (first === undefined) return { ...base, caught: false, seedsToFind: null, seedsRun: summary.ran, check: null, cpuSeconds };
    return { ...base, caught: true, seedsToFind: first.seed - from + 1, seedsRun: summary.ran, check: first.failed[0] ?? 'run', cpuSeconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const seeds = Number(arg('--seeds') ?? 2000);
  const workers = Number(arg('--workers') ?? 2);
  const from = Number(arg('--from') ?? 1);
  const only = arg('--only')?.split(',');
  const json = process.argv.includes('--json');
  const chosen = MUTANTS.filter((m) => only === undefined || only.includes(m.id));
  const outcomes: Outcome[] = [];
  for (const m of chosen) {
    const o = runMutant(m, seeds, workers, from);
    outcomes.push(o);
    const what = o.caught === null ? `NOT RUN: ${o.problem ?? ''}` : o.caught ? `caught by ${o.check} at seed ${o.seedsToFind ?? '?'} (${o.cpuSeconds} CPU s)${o.problem === undefined ? '' : `: ${o.problem}`}` : `NOT caught in ${o.seedsRun} seeds (${o.cpuSeconds} CPU s)`;
    process.stderr.write(`${m.id}: ${what}\n`);
    if (!json) console.log(`${m.id.padEnd(28)} ${what}`);
  }
  const ran = outcomes.filter((o) => o.caught !== null);
  const caught = ran.filter((o) => o.caught === true);
  const score = ran.length === 0 ? 0 : Math.round((caught.length / ran.length) * 1000) / 10;
  if (json) console.log(JSON.stringify({ seeds, from, workers, mutants: outcomes, caught: caught.length, ran: ran.length, score }, null, 1));
  else console.log(`mutation score: ${caught.length} of ${ran.length} mutants caught within ${seeds} seeds (${score} %)`);
}
