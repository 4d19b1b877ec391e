import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, runTesd, TESD, waitFor } from '../e2e/tesd-process.js';
import type { Host, NetBed } from './bed.js';

/**
 * A real `tesd` process inside a bed host's namespace. Its admin API listens on the
 * namespace's own loopback, so it is reached with curl run inside the same namespace.
 */

const ADMIN = '127.0.0.1:4480';
const METRICS = '127.0.0.1:9464';
const CURL_TIMEOUT_S = 20;
const JOIN_TIMEOUT_MS = 60_000;

export interface BedNode {
  readonly name: string;
  readonly host: Host;
  readonly bind: string;
  readonly dataDir: string;
  child: ChildProcess;
  output: string;
  exited: Promise<number | null>;
}

export interface NodeStatus {
  id: string;
  addr: string;
  peers: number;
  client: boolean;
  advertised_addr: string;
  reachability: {
    status: string;
    mode: string;
    reason: string;
    summary: string;
    agreed_addr: string | null;
  };
  bootstrap: { answered: number; table_size: number } | null;
  [field: string]: unknown;
}

export interface PeerRow {
  id: string;
  addr: string;
  caps: number;
}

export interface FindView {
  key: string;
  pointers: Array<{ publisher: string; holders: Array<{ id: string; addr: string }> }>;
  lookup: { duration_ms: number; rpcs: number; reason: string };
}

/** Starts tesd on `host`, bound to `bind`, and waits until it has joined (or exited). */
export async function startNode(
  bed: NetBed,
  host: Host,
  bind: string,
  bootstrap: readonly string[],
  extra: readonly string[] = [],
): Promise<BedNode> {
  const dataDir = join(bed.dir, host.role);
  const args = ['--import', 'tsx', TESD, 'run', '--bind', bind, '--data-dir', dataDir];
  args.push('--admin', ADMIN, '--metrics', METRICS, '--strict-ip-diversity');
  for (const seed of bootstrap) args.push('--bootstrap', seed);
  args.push(...extra);
  const child = bed.spawnIn(host.ns, process.execPath, args, REPO);
  const node: BedNode = {
    name: host.role,
    host,
    bind,
    dataDir,
    child,
    output: '',
    exited: new Promise((done) => child.once('exit', (code) => done(code))),
  };
  const append = (chunk: Buffer): void => void (node.output += chunk.toString());
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  await waitFor(
    `${host.role} to join`,
    async () => {
      if (child.exitCode !== null) throw new Error(`${host.role} exited: ${node.output}`);
      const status = await nodeStatus(bed, node);
      return status.bootstrap !== null;
    },
    JOIN_TIMEOUT_MS,
  );
  return node;
}

export function nodeStatus(bed: NetBed, node: BedNode): Promise<NodeStatus> {
  return admin<NodeStatus>(bed, node, 'GET', '/status');
}

export async function nodePeers(bed: NetBed, node: BedNode): Promise<PeerRow[]> {
  return (await admin<{ peers: PeerRow[] }>(bed, node, 'GET', '/peers')).peers;
}

export function findKey(
  bed: NetBed,
  node: BedNode,
  key: string,
  options: { all?: boolean } = {},
): Promise<FindView> {
  return admin<FindView>(bed, node, 'GET', `/find/${key}${options.all === true ? '?all=1' : ''}`);
}

/**
 * `count` finds of `key` at once: one shell in the namespace starts every curl, so they reach
 * the node together (an `ip netns exec` per find takes ~100 ms to start, longer than a find).
 * Each answer goes to its own file: parallel transfers of one curl interleave their output.
 */
export function findKeyTogether(
  bed: NetBed,
  node: BedNode,
  key: string,
  count: number,
): Promise<FindView[]> {
  const dir = mkdtempSync(join(tmpdir(), 'finds-'));
  const url = `http://${ADMIN}/find/${key}?all=1`;
  const curl = `curl -sS -m ${CURL_TIMEOUT_S} -o "${dir}/$i" -w '%{http_code}' '${url}' > "${dir}/$i.code"`;
  const script = `for i in $(seq ${count}); do ${curl} & done; wait`;
  const args = ['netns', 'exec', node.host.ns, 'sh', '-c', script];
  return new Promise<FindView[]>((resolve, reject) =>
    execFile('ip', args, { timeout: (CURL_TIMEOUT_S + 5) * 1000 }, (error, _stdout, stderr) => {
      if (error !== null)
        return reject(new Error(`${node.name} finds: ${stderr || error.message}`));
      const views: FindView[] = [];
      for (let i = 1; i <= count; i++) {
        const code = readFileSync(join(dir, `${i}.code`), 'utf8');
        const body = readFileSync(join(dir, String(i)), 'utf8');
        if (code !== '200') return reject(new Error(`${node.name} find: ${code} ${body}`));
        views.push(JSON.parse(body) as FindView);
      }
      resolve(views);
    }),
  ).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** Read-only SQL over a node's event log (`tesd sql`, which works while the node runs). */
export async function nodeSql<T>(node: BedNode, query: string): Promise<T[]> {
  const result = await runTesd(['sql', '--data-dir', node.dataDir, query, '--json']);
  if (result.code !== 0) throw new Error(`tesd sql: ${result.stderr}`);
  return JSON.parse(result.stdout) as T[];
}

export function publishTessera(
  bed: NetBed,
  node: BedNode,
  tesseraHex: string,
): Promise<{ ok: boolean; key: string; stored_at: number }> {
  return admin(bed, node, 'POST', '/publish', { tessera: tesseraHex });
}

/** One admin API call through curl inside the node's namespace. */
export function admin<T>(
  bed: NetBed,
  node: BedNode,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T> {
  const args = ['netns', 'exec', node.host.ns, 'curl', '-sS', '-m', String(CURL_TIMEOUT_S)];
  args.push('-X', method, '-w', '\n%{http_code}');
  if (body !== undefined) {
    const token = readFileSync(join(node.dataDir, 'admin.token'), 'utf8').trim();
    args.push('-H', `Authorization: Bearer ${token}`, '-H', 'Content-Type: application/json');
    args.push('--data-binary', JSON.stringify(body));
  }
  args.push(`http://${ADMIN}${path}`);
  return new Promise((resolve, reject) =>
    execFile('ip', args, { timeout: (CURL_TIMEOUT_S + 5) * 1000 }, (error, stdout, stderr) => {
      if (error !== null)
        return reject(new Error(`${node.name} ${path}: ${stderr || error.message}`));
      const cut = stdout.lastIndexOf('\n');
      const code = stdout.slice(cut + 1);
      if (code !== '200')
        return reject(new Error(`${node.name} ${path}: ${code} ${stdout.slice(0, cut)}`));
      resolve(JSON.parse(stdout.slice(0, cut)) as T);
    }),
  );
}

/** Stops a node: SIGTERM, then SIGKILL if it has not exited within the bound. */
export async function stopNode(node: BedNode, timeoutMs = 10_000): Promise<void> {
  if (node.child.exitCode !== null) return;
  node.child.kill('SIGTERM');
  const timer = setTimeout(() => node.child.kill('SIGKILL'), timeoutMs);
  await node.exited;
  clearTimeout(timer);
}
