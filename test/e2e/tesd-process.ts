import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Real `tesd` processes for end-to-end tests: spawned under tsx on 127.0.0.1 with free
 * ports, polled through the admin API (no fixed sleeps), killed and their directories removed
 * by `cleanup()` whatever happened.
 */

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const TESD = join(REPO, 'src/cli/tesd.ts');
const WAIT_TIMEOUT_MS = 20_000;
const POLL_MS = 50;

export interface TesdNode {
  readonly name: string;
  readonly dataDir: string;
  readonly bind: string;
  readonly admin: string;
  readonly metrics: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  output: string;
}

/** A free UDP port (QUIC) or TCP port (HTTP) on 127.0.0.1, by binding port 0. */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((done) => socket.bind(0, '127.0.0.1', done));
  const { port } = socket.address();
  await new Promise<void>((done) => socket.close(() => done()));
  return port;
}

export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/** Runs `tesd ARGS` to completion: exit code, stdout, stderr. */
export function runTesd(
  args: string[],
  timeoutMs = 60_000, // several tsx start-ups at once on a loaded 2-core machine
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', TESD, ...args], { cwd: REPO });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((done) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    }),
  );
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = WAIT_TIMEOUT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: Error | null = null;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== null && value !== undefined && value !== false) return value;
    } catch (error) {
      last = error instanceof Error ? error : new Error(String(error));
    }
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

export interface Status {
  id: string;
  peers: number;
  pointers: number;
  restored: { peers: number; pointers: number };
  bootstrap: { peers: number; restored: number; answered: number; table_size: number } | null;
}

export async function getJson<T>(admin: string, path: string): Promise<T> {
  const response = await fetch(`http://${admin}${path}`, { signal: AbortSignal.timeout(15_000) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Nodes and a temp directory; `cleanup()` kills every process and removes the directory. */
export class Cluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'tesd-e2e-'));
  private readonly nodes: TesdNode[] = [];

  async node(name: string): Promise<TesdNode> {
    const [udp, admin, metrics] = [await freeUdpPort(), await freeTcpPort(), await freeTcpPort()];
    return {
      name,
      dataDir: join(this.dir, name),
      bind: `127.0.0.1:${udp}`,
      admin: `127.0.0.1:${admin}`,
      metrics: `127.0.0.1:${metrics}`,
      child: null as unknown as ChildProcess,
      exited: Promise.resolve(null),
      output: '',
    };
  }

  /** Starts (or restarts) `node` and waits until its admin API answers and it has joined. */
  async start(node: TesdNode, bootstrap: TesdNode[] = [], extra: string[] = []): Promise<Status> {
    const args = ['run', '--bind', node.bind, '--admin', node.admin, '--metrics', node.metrics];
    args.push('--data-dir', node.dataDir);
    for (const seed of bootstrap) args.push('--bootstrap', seed.bind);
    args.push(...extra);
    node.child = spawn(process.execPath, ['--import', 'tsx', TESD, ...args], { cwd: REPO });
    node.output = '';
    const append = (chunk: Buffer): void => void (node.output += chunk.toString());
    node.child.stdout!.on('data', append);
    node.child.stderr!.on('data', append);
    const child = node.child;
    node.exited = new Promise((done) => child.once('exit', (code) => done(code)));
    if (!this.nodes.includes(node)) this.nodes.push(node);
    return waitFor(`${node.name} to join`, async () => {
      if (child.exitCode !== null) throw new Error(`${node.name} exited: ${node.output}`);
      const status = await getJson<Status>(node.admin, '/status');
      return status.bootstrap === null ? null : status;
    });
  }

  async cleanup(): Promise<void> {
    for (const node of this.nodes) if (node.child.exitCode === null) node.child.kill('SIGKILL');
    await Promise.all(this.nodes.map((n) => n.exited));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function adminToken(node: TesdNode): string {
  return readFileSync(join(node.dataDir, 'admin.token'), 'utf8').trim();
}
