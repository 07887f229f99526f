/**
 * A real, single-member etcd for the conformance harness: Debian's `etcd-server` binary started on
 * 127.0.0.1 with free ports and a fresh data directory on tmpfs, stopped by its pid.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EtcdProcess {
  readonly endpoint: string;
  readonly pid: number;
  /** Whether the process has exited (crashed, or was stopped). */
  exited(): boolean;
  /** The last lines etcd wrote (for a report when it crashes). */
  logTail(): string;
  stop(): Promise<void>;
}

/** The etcd binary, or undefined when it is not installed. */
export function findEtcd(): string | undefined {
  for (const p of ['/usr/bin/etcd', '/usr/local/bin/etcd']) if (existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path !== '' ? path : undefined;
}

/** `etcd --version`'s first line's version ("3.4.23"). */
export function etcdVersion(bin: string): string {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  const m = /etcd Version:\s*(\S+)/.exec(r.stdout);
  return m?.[1] ?? 'unknown';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** tmpfs when the machine has it (fast fsync), else the OS temp dir. */
function dataRoot(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

export async function startEtcd(bin: string, extraArgs: readonly string[] = []): Promise<EtcdProcess> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(dataRoot(), 'raftsim-conformance-'));
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 'conformance', '--data-dir', join(dir, 'data'),
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `conformance=${peer}`, '--initial-cluster-state', 'new',
    '--log-level', 'error', '--logger', 'zap',
    ...extraArgs,
  ];
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  let exited = false;
  const exitP = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  child.stderr?.on('data', (b: Buffer) => { tail = (tail + b.toString('utf8')).slice(-4000); });
  const pid = child.pid ?? -1;
  return {
    endpoint: `127.0.0.1:${clientPort}`,
    pid,
    exited: () => exited,
    logTail: () => tail,
    async stop() {
      if (!exited && pid > 0) process.kill(pid, 'SIGKILL');
      await exitP;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
