/**
 * The backend: etcd's bbolt database (server/storage/backend), as one file on the simulated disk.
 *
 * What it keeps: named buckets (`key`, `meta`, `lease`, `alarm`, `members`) of string keys to
 * string values, sorted by key (the `key` bucket's keys are revisions, so key order is revision
 * order, as bbolt's byte order is for etcd's 17-byte revision keys).
 *
 * **The file** (`member/snap/db`, etcd's path), in pages of `pageBytes` (4 KiB, bbolt's default):
 *
 *   page 0, page 1   two meta pages: magic, format version, txid, the end of the committed data
 *                    (in pages), the committed byte size of the live data, CRC-32C of the rest
 *   page 2 …         commit records, each starting on a page: header (magic, txid, payload bytes,
 *                    CRC-32C of the payload), then the payload — the puts and deletes of that
 *                    transaction — padded to whole pages
 *
 * A B+tree is not needed to model what matters here — what reaches the platter and in which order —
 * so the data is a log of transactions rather than a tree; the *commit protocol* is bbolt's:
 *   1. write the transaction's new pages (one `write` per page), fsync the file;
 *   2. write the meta page of this txid (page txid % 2, so the other one keeps the previous
 *      commit), fsync again.
 * A crash before 2's fsync leaves the previous meta page in charge: the previous committed state
 * exactly. A torn or rotten meta page fails its checksum and the other one is used; a committed
 * record that fails its checksum makes `open` try the older meta page (whose end lies before it),
 * and refuses the file when that does not help either. Nothing is ever overwritten that a valid
 * meta page still refers to: a new commit writes after the end of the meta it follows.
 *
 * The file only grows (bbolt's does too: freed pages are reused but the file never shrinks);
 * `defragment` copies the live data into a new file and renames it over the old one.
 *
 * **Batched commits** (batch_tx.go): writes go into the batch (`put`, `delete`) and are visible to
 * reads at once (etcd's read buffer; bbolt itself would not show them until the commit); `unlock`
 * ends a write transaction and commits when the batch holds `batchLimit` operations — or any
 * delete, as etcd does since PR #17119, since its read buffer holds no deletes; the owner calls
 * `commit` every `batchIntervalUs` and on demand (snapshot, defrag, compaction, shutdown). A crash
 * loses the whole uncommitted batch: reopening reads only what a meta page commits.
 *
 * **Hooks and crash points**: `preCommit` runs inside every commit, before its pages are written
 * (etcd's OnPreCommitUnsafe: the consistent index goes into `meta` there). The crash points are
 * etcd's failpoint names: `commitBeforePreCommitHook`, `commitAfterPreCommitHook`, `beforeCommit`,
 * `afterCommit`, `beforeStartDBTxn`, `afterStartDBTxn`, `beforeWritebackBuf`, `afterWritebackBuf`,
 * `defragBeforeCopy`, `defragBeforeRename`. When the hook says crash, the host is already down and
 * the call returns `{ ok: false, error: 'crashed' }`: the caller must stop at once.
 *
 * Every disk call's latency is summed into the result; failures (EIO, ENOSPC) are values, and etcd
 * treats them as fatal (`lg.Fatal("failed to commit tx")`): the owner fail-stops.
 */
import btree from 'sorted-btree';
import { assert } from '../../sim/assert.js';
import type { Disk } from '../../sim/disk.js';
import { crc32c, crc32cUpdate } from '../../raft/node/crc32c.js';

type BTreeClass = typeof btree.default;
const loaded = btree as unknown as BTreeClass | { default: BTreeClass };
const BTree: BTreeClass = typeof loaded === 'function' ? loaded : loaded.default;
type Tree = InstanceType<typeof BTree<string, string>>;

export const BUCKETS = ['key', 'meta', 'lease', 'alarm', 'members'] as const;
export type Bucket = (typeof BUCKETS)[number];

/** etcd's failpoints on the backend's paths (see the module comment). */
export const BACKEND_CRASH_POINTS = [
  'commitBeforePreCommitHook',
  'commitAfterPreCommitHook',
  'beforeCommit',
  'afterCommit',
  'beforeStartDBTxn',
  'afterStartDBTxn',
  'beforeWritebackBuf',
  'afterWritebackBuf',
  'defragBeforeCopy',
  'defragBeforeRename',
] as const;
export type BackendCrashPoint = (typeof BACKEND_CRASH_POINTS)[number];

export interface BackendOptions {
  /** The database file. Default `member/snap/db`. */
  readonly path: string;
  /** Default 4096 (bbolt's page size on most systems). */
  readonly pageBytes: number;
  /** Operations after which `unlock` commits. Default 10,000 (etcd's defaultBatchLimit). */
  readonly batchLimit: number;
  /** The owner's commit interval (µs). Default 100 ms (etcd's defaultBatchInterval). */
  readonly batchIntervalUs: number;
  /** Commit at `unlock` whenever the batch holds a delete (etcd PR #17119). Default true. */
  readonly commitOnDelete: boolean;
  /** Skip the fsyncs (etcd --unsafe-no-fsync). Default false. */
  readonly unsafeNoFsync: boolean;
  /** Asked at each crash point; true means the host was crashed there. Default never. */
  readonly crashPoint: ((name: BackendCrashPoint) => boolean) | null;
  /** Trace hook (kind, fields). */
  readonly emit: ((kind: string, fields: Readonly<Record<string, string | number | boolean>>) => void) | null;
}

export const BACKEND_DEFAULTS: BackendOptions = {
  path: 'member/snap/db',
  pageBytes: 4096,
  batchLimit: 10_000,
  batchIntervalUs: 100_000,
  commitOnDelete: true,
  unsafeNoFsync: false,
  crashPoint: null,
  emit: null,
};

/** The outcome of a call that touches the disk. */
export type BackendResult = { readonly ok: true; readonly latencyUs: number } | { readonly ok: false; readonly error: string; readonly latencyUs: number };

export type OpenResult =
  | { readonly ok: true; readonly backend: Backend; readonly latencyUs: number; readonly created: boolean; readonly fellBack: boolean }
  | { readonly ok: false; readonly error: string; readonly latencyUs: number };

const META_MAGIC = 0x5253424d; // "RSBM"
const RECORD_MAGIC = 0x52534252; // "RSBR"
const FORMAT_VERSION = 1;
const META_PAGES = 2;
const RECORD_HEADER = 20;
const OP_PUT = 1;
const OP_DELETE = 2;

interface Meta {
  readonly txid: number;
  /** First page after the committed records. */
  readonly endPage: number;
}

type Op = { readonly bucket: number; readonly key: string; readonly value: string | null };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class Backend {
  private readonly trees: Tree[];
  private batch: Op[] = [];
  private deletesInBatch = 0;
  private meta: Meta;
  private commits = 0;
  private preCommit: (() => void) | null = null;
  private stopped = false;

  private constructor(
    private readonly disk: Disk,
    readonly options: BackendOptions,
    trees: Tree[],
    meta: Meta,
  ) {
    this.trees = trees;
    this.meta = meta;
  }

  /** Opens the file at `options.path`, creating an empty database when there is none. */
  static open(disk: Disk, options: Partial<BackendOptions> = {}): OpenResult {
    const o: BackendOptions = { ...BACKEND_DEFAULTS, ...options };
    assert(Number.isInteger(o.pageBytes) && o.pageBytes >= 512, () => `backend.pageBytes must be an integer ≥ 512, got ${o.pageBytes}`);
    assert(Number.isInteger(o.batchLimit) && o.batchLimit > 0, () => `backend.batchLimit must be a positive integer, got ${o.batchLimit}`);
    assert(Number.isInteger(o.batchIntervalUs) && o.batchIntervalUs > 0, () => `backend.batchIntervalUs must be a positive integer, got ${o.batchIntervalUs}`);
    let latencyUs = 0;
    // A defragmentation that crashed before its rename left its copy: etcd removes it at start.
    const stray = disk.open(`${o.path}.tmp`);
    latencyUs += stray.latencyUs;
    if (stray.ok) latencyUs += disk.remove(`${o.path}.tmp`).latencyUs;
    const opened = disk.open(o.path);
    latencyUs += opened.latencyUs;
    if (!opened.ok) {
      if (opened.error !== 'ENOENT') return { ok: false, error: `backend: open ${o.path}: ${opened.error}`, latencyUs };
      const created = Backend.createFile(disk, o, o.path, [], { txid: 0, endPage: META_PAGES });
      latencyUs += created.latencyUs;
      if (!created.ok) return { ok: false, error: created.error, latencyUs };
      return { ok: true, backend: new Backend(disk, o, emptyTrees(), { txid: 0, endPage: META_PAGES }), latencyUs, created: true, fellBack: false };
    }
    const read = disk.readAll(o.path);
    latencyUs += read.latencyUs;
    if (!read.ok) return { ok: false, error: `backend: read ${o.path}: ${read.error}`, latencyUs };
    const loadedFile = loadFile(read.bytes, o.pageBytes);
    if (!loadedFile.ok) return { ok: false, error: `backend: ${o.path}: ${loadedFile.error}`, latencyUs };
    if (loadedFile.fellBack) o.emit?.('backend.meta-fallback', { path: o.path, txid: loadedFile.meta.txid });
    return { ok: true, backend: new Backend(disk, o, loadedFile.trees, loadedFile.meta), latencyUs, created: false, fellBack: loadedFile.fellBack };
  }

  /** Writes a fresh file at `path`: both meta pages (txid−1 and txid) and one record with `ops`; fsyncs file and directory. */
  private static createFile(disk: Disk, o: BackendOptions, path: string, ops: readonly Op[], meta: Meta): BackendResult & { readonly endPage?: number } {
    let latencyUs = 0;
    const fail = (what: string, error: string): BackendResult => ({ ok: false, error: `backend: ${what} ${path}: ${error}`, latencyUs });
    const c = disk.create(path);
    latencyUs += c.latencyUs;
    if (!c.ok) return fail('create', c.error);
    let endPage = META_PAGES;
    if (ops.length > 0) {
      const w = writeRecord(disk, path, o.pageBytes, META_PAGES, meta.txid, ops);
      latencyUs += w.latencyUs;
      if (!w.ok) return fail('write', w.error);
      endPage = w.endPage;
    }
    // Both meta pages describe the same data (txids one apart), so either can be fallen back to.
    for (const txid of [meta.txid - 1, meta.txid]) {
      const m = disk.write(path, (((txid % 2) + 2) % 2) * o.pageBytes, encodeMeta({ txid: Math.max(txid, 0), endPage }, o.pageBytes));
      latencyUs += m.latencyUs;
      if (!m.ok) return fail('write meta of', m.error);
    }
    if (!o.unsafeNoFsync) {
      const f = disk.fsync(path);
      latencyUs += f.latencyUs;
      if (!f.ok) return fail('fsync', f.error);
      const d = disk.fsyncDir(dirOf(path));
      latencyUs += d.latencyUs;
      if (!d.ok) return fail('fsync dir of', d.error);
    }
    return { ok: true, latencyUs, endPage };
  }

  // ---- reads (the committed data plus the batch: etcd's read buffer) ------------------------------

  get(bucket: Bucket, key: string): string | undefined {
    return this.tree(bucket).get(key);
  }

  /** Pairs of [from, to) in key order (`to` undefined: to the end), at most `limit` (0 = all). */
  range(bucket: Bucket, from: string, to: string | undefined, limit = 0): [string, string][] {
    const out: [string, string][] = [];
    const t = this.tree(bucket);
    const hi = to ?? t.maxKey();
    if (hi === undefined) return out;
    t.forRange(from, hi, to === undefined, (k, v) => {
      if (limit > 0 && out.length >= limit) return { break: true };
      out.push([k, v]);
      return undefined;
    });
    return out;
  }

  forEach(bucket: Bucket, visit: (key: string, value: string) => void): void {
    this.tree(bucket).forEachPair((k, v) => { visit(k, v); });
  }

  count(bucket: Bucket): number {
    return this.tree(bucket).size;
  }

  // ---- writes -----------------------------------------------------------------------------------

  put(bucket: Bucket, key: string, value: string): void {
    this.assertOpen();
    this.tree(bucket).set(key, value);
    this.batch.push({ bucket: bucketId(bucket), key, value });
  }

  delete(bucket: Bucket, key: string): void {
    this.assertOpen();
    this.tree(bucket).delete(key);
    this.batch.push({ bucket: bucketId(bucket), key, value: null });
    this.deletesInBatch++;
  }

  /** Operations waiting in the batch. */
  get pending(): number {
    return this.batch.length;
  }

  /** Commits so far (this incarnation). */
  get commitCount(): number {
    return this.commits;
  }

  /** The last committed transaction id. */
  get txid(): number {
    return this.meta.txid;
  }

  /** The file's size: pages up to the committed end. */
  get sizeBytes(): number {
    return this.meta.endPage * this.options.pageBytes;
  }

  /** What a defragmented file would hold (the live pairs), in bytes. */
  sizeInUseBytes(): number {
    let bytes = META_PAGES * this.options.pageBytes + RECORD_HEADER;
    for (const t of this.trees) t.forEachPair((k, v) => { bytes += 10 + utf8Length(k) + utf8Length(v); });
    return bytes;
  }

  /** Runs inside every commit before its pages are written (etcd's OnPreCommitUnsafe). */
  setPreCommitHook(hook: (() => void) | null): void {
    this.preCommit = hook;
  }

  /**
   * Ends a write transaction (etcd's batchTxBuffered.Unlock): the batch's writes were already
   * visible (the read buffer's write-back, between its two crash points); commits when the batch
   * reached `batchLimit`, or holds a delete.
   */
  unlock(): BackendResult {
    if (this.batch.length === 0) return OK0;
    if (this.crashAt('beforeWritebackBuf') || this.crashAt('afterWritebackBuf')) return CRASHED;
    if (this.batch.length >= this.options.batchLimit || (this.options.commitOnDelete && this.deletesInBatch > 0)) return this.commit('limit');
    return OK0;
  }

  /**
   * Commits the batch (with the pre-commit hook's writes) the way bbolt does: new pages, fsync,
   * then the meta page, fsync. Nothing to commit and no hook ⇒ no disk work.
   */
  commit(reason: string): BackendResult {
    this.assertOpen();
    if (this.batch.length === 0 && !(reason === 'force' && this.preCommit !== null)) return OK0;
    if (this.crashAt('commitBeforePreCommitHook')) return CRASHED;
    this.preCommit?.();
    if (this.crashAt('commitAfterPreCommitHook')) return CRASHED;
    if (this.batch.length === 0) return OK0;
    if (this.crashAt('beforeCommit')) return CRASHED;
    const path = this.options.path;
    const txid = this.meta.txid + 1;
    const ops = this.batch;
    const w = writeRecord(this.disk, path, this.options.pageBytes, this.meta.endPage, txid, ops);
    let latencyUs = w.latencyUs;
    const fail = (what: string, error: string): BackendResult => ({ ok: false, error: `backend: commit ${txid}: ${what}: ${error}`, latencyUs });
    if (!w.ok) return fail('write', w.error);
    if (!this.options.unsafeNoFsync) {
      const f = this.disk.fsync(path);
      latencyUs += f.latencyUs;
      if (!f.ok) return fail('fsync data', f.error);
    }
    const meta: Meta = { txid, endPage: w.endPage };
    const m = this.disk.write(path, (txid % 2) * this.options.pageBytes, encodeMeta(meta, this.options.pageBytes));
    latencyUs += m.latencyUs;
    if (!m.ok) return fail('write meta', m.error);
    if (!this.options.unsafeNoFsync) {
      const f = this.disk.fsync(path);
      latencyUs += f.latencyUs;
      if (!f.ok) return fail('fsync meta', f.error);
    }
    this.meta = meta;
    this.batch = [];
    this.deletesInBatch = 0;
    this.commits++;
    this.options.emit?.('backend.commit', { txid, ops: ops.length, pages: w.endPage - w.startPage, reason });
    if (this.crashAt('afterCommit')) return CRASHED;
    // bbolt's next write transaction begins (backend.begin).
    if (this.crashAt('beforeStartDBTxn') || this.crashAt('afterStartDBTxn')) return CRASHED;
    return { ok: true, latencyUs };
  }

  /**
   * etcd's Defrag: commit, copy the live data into a new file (`<path>.tmp`; etcd's is
   * `db.tmp.*`), fsync it, rename it over the database, fsync the directory. A crash before the
   * rename leaves the old file (and a stray temporary one, removed at the next open); after it,
   * the new one.
   */
  defragment(): BackendResult {
    const c = this.commit('defrag');
    if (!c.ok) return c;
    let latencyUs = c.latencyUs;
    if (this.crashAt('defragBeforeCopy')) return CRASHED;
    const tmp = `${this.options.path}.tmp`;
    if (this.disk.open(tmp).ok) {
      const r = this.disk.remove(tmp);
      latencyUs += r.latencyUs;
    }
    const ops: Op[] = [];
    this.trees.forEach((t, bucket) => t.forEachPair((key, value) => { ops.push({ bucket, key, value }); }));
    const txid = this.meta.txid + 1;
    const created = Backend.createFile(this.disk, this.options, tmp, ops, { txid, endPage: 0 });
    latencyUs += created.latencyUs;
    if (!created.ok) return { ok: false, error: created.error, latencyUs };
    if (this.crashAt('defragBeforeRename')) return CRASHED;
    const r = this.disk.rename(tmp, this.options.path);
    latencyUs += r.latencyUs;
    if (!r.ok) return { ok: false, error: `backend: defrag rename: ${r.error}`, latencyUs };
    if (!this.options.unsafeNoFsync) {
      const d = this.disk.fsyncDir(dirOf(this.options.path));
      latencyUs += d.latencyUs;
      if (!d.ok) return { ok: false, error: `backend: defrag fsync dir: ${d.error}`, latencyUs };
    }
    this.meta = { txid, endPage: created.endPage ?? META_PAGES };
    this.options.emit?.('backend.defrag', { txid, bytes: this.sizeBytes });
    return { ok: true, latencyUs };
  }

  /** The committed database as bytes (etcd's backend.Snapshot, for a `.snap.db`): commits first. */
  snapshotImage(): { readonly ok: true; readonly bytes: Uint8Array; readonly latencyUs: number } | { readonly ok: false; readonly error: string; readonly latencyUs: number } {
    const c = this.commit('snapshot');
    if (!c.ok) return c;
    const r = this.disk.read(this.options.path, 0, this.sizeBytes);
    if (!r.ok) return { ok: false, error: `backend: snapshot read: ${r.error}`, latencyUs: c.latencyUs + r.latencyUs };
    return { ok: true, bytes: r.bytes, latencyUs: c.latencyUs + r.latencyUs };
  }

  /** No more writes in this incarnation (after a crash point fired, or a fatal disk error). */
  close(): void {
    this.stopped = true;
  }

  private tree(bucket: Bucket): Tree {
    return this.trees[bucketId(bucket)] as Tree;
  }

  private assertOpen(): void {
    assert(!this.stopped, 'backend: used after close');
  }

  private crashAt(name: BackendCrashPoint): boolean {
    const hook = this.options.crashPoint;
    if (hook === null || !hook(name)) return false;
    this.stopped = true;
    return true;
  }
}

const OK0: BackendResult = { ok: true, latencyUs: 0 };
const CRASHED: BackendResult = { ok: false, error: 'crashed', latencyUs: 0 };

function bucketId(b: Bucket): number {
  const i = BUCKETS.indexOf(b);
  assert(i >= 0, () => `backend: no bucket ${b}`);
  return i;
}

function emptyTrees(): Tree[] {
  return BUCKETS.map(() => new BTree<string, string>(undefined, (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)));
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c < 0xdc00 ? (i++, 4) : 3;
  }
  return n;
}

function encodeMeta(m: Meta, pageBytes: number): Uint8Array {
  const page = new Uint8Array(pageBytes);
  const v = new DataView(page.buffer);
  v.setUint32(0, META_MAGIC);
  v.setUint32(4, FORMAT_VERSION);
  v.setFloat64(8, m.txid);
  v.setFloat64(16, m.endPage);
  v.setUint32(24, pageBytes);
  v.setUint32(28, crc32c(page.subarray(0, 28)));
  return page;
}

function decodeMeta(bytes: Uint8Array, at: number, pageBytes: number): Meta | null {
  if (at + pageBytes > bytes.length) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset + at, pageBytes);
  if (v.getUint32(0) !== META_MAGIC || v.getUint32(4) !== FORMAT_VERSION || v.getUint32(24) !== pageBytes) return null;
  if (v.getUint32(28) !== crc32c(bytes.subarray(at, at + 28))) return null;
  const txid = v.getFloat64(8);
  const endPage = v.getFloat64(16);
  if (!Number.isSafeInteger(txid) || !Number.isSafeInteger(endPage) || endPage < META_PAGES) return null;
  return { txid, endPage };
}

function encodeOps(ops: readonly Op[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let len = 0;
  for (const op of ops) {
    const k = encoder.encode(op.key);
    const val = op.value === null ? null : encoder.encode(op.value);
    const head = new Uint8Array(10);
    const hv = new DataView(head.buffer);
    hv.setUint8(0, op.bucket);
    hv.setUint8(1, val === null ? OP_DELETE : OP_PUT);
    hv.setUint32(2, k.length);
    hv.setUint32(6, val === null ? 0 : val.length);
    parts.push(head, k);
    len += 10 + k.length;
    if (val !== null) {
      parts.push(val);
      len += val.length;
    }
  }
  const out = new Uint8Array(len);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function applyOps(trees: Tree[], payload: Uint8Array): boolean {
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  let at = 0;
  while (at < payload.length) {
    if (at + 10 > payload.length) return false;
    const bucket = v.getUint8(at);
    const op = v.getUint8(at + 1);
    const kl = v.getUint32(at + 2);
    const vl = v.getUint32(at + 6);
    at += 10;
    const tree = trees[bucket];
    if (tree === undefined || (op !== OP_PUT && op !== OP_DELETE) || at + kl + vl > payload.length) return false;
    const key = decoder.decode(payload.subarray(at, at + kl));
    at += kl;
    if (op === OP_PUT) {
      tree.set(key, decoder.decode(payload.subarray(at, at + vl)));
      at += vl;
    } else tree.delete(key);
  }
  return true;
}

/**
 * Writes a record at page `startPage`, one write per page; the page after it. Record header:
 * magic u32, txid f64, payload bytes u32, CRC-32C u32 of the first 16 header bytes and the payload.
 */
function writeRecord(disk: Disk, path: string, pageBytes: number, startPage: number, txid: number, ops: readonly Op[]):
  ({ ok: true; endPage: number; startPage: number } | { ok: false; error: string }) & { latencyUs: number } {
  const payload = encodeOps(ops);
  const pages = Math.ceil((RECORD_HEADER + payload.length) / pageBytes);
  const buf = new Uint8Array(pages * pageBytes);
  const v = new DataView(buf.buffer);
  v.setUint32(0, RECORD_MAGIC);
  v.setFloat64(4, txid);
  v.setUint32(12, payload.length);
  buf.set(payload, RECORD_HEADER);
  v.setUint32(16, recordCrc(buf, 0, payload.length));
  let latencyUs = 0;
  for (let p = 0; p < pages; p++) {
    const w = disk.write(path, (startPage + p) * pageBytes, buf.subarray(p * pageBytes, (p + 1) * pageBytes));
    latencyUs += w.latencyUs;
    if (!w.ok) return { ok: false, error: w.error, latencyUs };
  }
  return { ok: true, endPage: startPage + pages, startPage, latencyUs };
}

function recordCrc(bytes: Uint8Array, at: number, payloadBytes: number): number {
  return crc32cUpdate(crc32cUpdate(0, bytes, at, at + 16), bytes, at + RECORD_HEADER, at + RECORD_HEADER + payloadBytes);
}

/** Reads the records of [META_PAGES, meta.endPage) into fresh trees; null when one fails its checks. */
function loadRecords(bytes: Uint8Array, pageBytes: number, meta: Meta): Tree[] | null {
  const trees = emptyTrees();
  let page = META_PAGES;
  let lastTxid = -1;
  while (page < meta.endPage) {
    const at = page * pageBytes;
    if (at + RECORD_HEADER > bytes.length) return null;
    const v = new DataView(bytes.buffer, bytes.byteOffset + at, RECORD_HEADER);
    if (v.getUint32(0) !== RECORD_MAGIC) return null;
    const txid = v.getFloat64(4);
    const len = v.getUint32(12);
    if (!Number.isSafeInteger(txid) || txid <= lastTxid || txid > meta.txid) return null;
    const pages = Math.ceil((RECORD_HEADER + len) / pageBytes);
    if (page + pages > meta.endPage || at + RECORD_HEADER + len > bytes.length) return null;
    if (v.getUint32(16) !== recordCrc(bytes, at, len)) return null;
    if (!applyOps(trees, bytes.subarray(at + RECORD_HEADER, at + RECORD_HEADER + len))) return null;
    lastTxid = txid;
    page += pages;
  }
  return trees;
}

function loadFile(bytes: Uint8Array, pageBytes: number): { ok: true; trees: Tree[]; meta: Meta; fellBack: boolean } | { ok: false; error: string } {
  const metas = [decodeMeta(bytes, 0, pageBytes), decodeMeta(bytes, pageBytes, pageBytes)]
    .filter((m): m is Meta => m !== null)
    .sort((a, b) => b.txid - a.txid);
  if (metas.length === 0) return { ok: false, error: 'both meta pages are invalid (checksum, magic or version)' };
  for (let i = 0; i < metas.length; i++) {
    const meta = metas[i] as Meta;
    const trees = loadRecords(bytes, pageBytes, meta);
    if (trees !== null) return { ok: true, trees, meta, fellBack: i > 0 || metas.length < 2 };
  }
  return { ok: false, error: `a committed page fails its checksum (meta txids ${metas.map((m) => m.txid).join(', ')})` };
}
