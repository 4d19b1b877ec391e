/**
 * `npm run bench:churn-real`: issue 11's churn targets with real `tesd` processes over QUIC on
 * loopback (bench:churn is the same story on the simulated network). N nodes (default 60) join
 * through node 0 in waves; P pointers are published; a quarter of the nodes (never node 0) are
 * killed with SIGKILL; F finds run from random survivors for random published keys; then the
 * killed nodes restart together on their logs. Their logs then say how the rejoin went: the
 * restored peers they pinged, which answered, and whether any live peer got a strike
 * (`peer_failed`) from it.
 * Prints a human summary, then one JSON line. Needs `npm run build` (it runs dist/, as users do).
 * Options: --nodes 60 --kill 0.25 --pointers 10 --finds 100 --settle-s 20 --seed 1, and --keep
 * to keep the nodes' data directories (their logs) for inspection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openLog, type NodeEvent } from '../src/api/index.js';
import { seededRandom } from '../src/core/random.js';

const { values: options } = parseArgs({
  options: {
    nodes: { type: 'string', default: '60' },
    kill: { type: 'string', default: '0.25' },
    pointers: { type: 'string', default: '10' },
    finds: { type: 'string', default: '100' },
    'settle-s': { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
});
const NODES = Number(options.nodes);
const KILLED = Math.round(NODES * Number(options.kill));
const POINTERS = Number(options.pointers);
const FINDS = Number(options.finds);
const SETTLE_MS = Number(options['settle-s']) * 1000;
const QUIC_BASE = 24_433;
const ADMIN_BASE = 25_433;
const METRICS_BASE = 26_433;
const JOIN_WAVE = 10;
const READY_TIMEOUT_MS = 60_000;
const FIND_TIMEOUT_MS = 15_000;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tesd = join(root, 'dist/src/cli/tesd.js');
const random = seededRandom(Number(options.seed));
const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

interface Node {
  readonly index: number;
  readonly dataDir: string;
  child: ChildProcess | null;
  exited: Promise<void>;
}

const admin = (n: Node): string => `127.0.0.1:${ADMIN_BASE + n.index}`;
const quicAddr = (index: number): string => `127.0.0.1:${QUIC_BASE + index}`;

function start(node: Node): void {
  const args = [tesd, 'run', '--bind', quicAddr(node.index), '--admin', admin(node)];
  args.push('--metrics', `127.0.0.1:${METRICS_BASE + node.index}`, '--data-dir', node.dataDir);
  if (node.index !== 0) args.push('--bootstrap', quicAddr(0));
  // With --keep, each node's own account (stderr) is kept beside its data directory.
  const stderr = options.keep ? openSync(`${node.dataDir}.stderr`, 'a') : 'ignore';
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', stderr] });
  if (typeof stderr === 'number') closeSync(stderr);
  node.child = child;
  node.exited = new Promise((done) => child.once('exit', () => done()));
}

async function getJson(node: Node, path: string, timeoutMs = 2_000): Promise<unknown> {
  const response = await fetch(`http://${admin(node)}${path}`, {
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

/**
 * Ready = the join finished and someone answered it (`bootstrap` in /status; node 0, which has
 * nobody to ask, once its join is done). A join nobody answered is retried by tesd itself.
 */
async function waitJoined(node: Node): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      const status = (await getJson(node, '/status')) as { bootstrap: { answered: number } | null };
      if (status.bootstrap !== null && (node.index === 0 || status.bootstrap.answered > 0)) return;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  throw new Error(`node ${node.index} did not finish its join in ${READY_TIMEOUT_MS} ms`);
}

async function publish(node: Node): Promise<string> {
  const token = readFileSync(join(node.dataDir, 'admin.token'), 'utf8').trim();
  const tessera = Buffer.from(random.bytes(32)).toString('hex');
  const response = await fetch(`http://${admin(node)}/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tessera }),
    signal: AbortSignal.timeout(FIND_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`publish on node ${node.index}: HTTP ${response.status}`);
  return ((await response.json()) as { key: string }).key;
}

interface FindResult {
  readonly ms: number;
  readonly found: boolean;
  readonly from: number;
  readonly key: string;
  readonly error?: string;
}

async function find(node: Node, key: string): Promise<FindResult> {
  const started = performance.now();
  try {
    const answer = (await getJson(node, `/find/${key}`, FIND_TIMEOUT_MS)) as {
      pointers: unknown[];
    };
    const found = answer.pointers.length > 0;
    return { ms: performance.now() - started, found, from: node.index, key };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ms: performance.now() - started, found: false, from: node.index, key, error: message };
  }
}

async function stop(nodes: readonly Node[]): Promise<void> {
  for (const n of nodes) n.child?.kill('SIGTERM');
  const force = setTimeout(() => nodes.forEach((n) => n.child?.kill('SIGKILL')), 8_000);
  await Promise.all(nodes.map((n) => n.exited));
  clearTimeout(force);
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Rejoin {
  readonly pingedLive: number;
  readonly answeredLive: number;
  readonly pingedAll: number;
  readonly answeredAll: number;
  readonly strikesOnLive: number;
  readonly reported: { restored: number; answered: number } | null;
}

/**
 * What one restarted node's log says of its rejoin: the restored peers it pinged between its
 * last `node_started` and its `bootstrap_finished` and which of them answered (a peer pinged
 * twice counts once, as answered if either ping was), and the strikes it gave.
 * `live` are the addresses of nodes that were never killed.
 */
function readRejoin(node: Node, live: ReadonlySet<string>): Rejoin {
  const log = openLog(node.dataDir);
  try {
    const events: NodeEvent[] = log.events();
    let from = 0;
    events.forEach((e, i) => (e.type === 'node_started' ? (from = i) : undefined));
    const sent = new Map<number, string>();
    const pinged = new Set<string>();
    const answered = new Set<string>();
    let strikesOnLive = 0;
    let reported: Rejoin['reported'] = null;
    for (const event of events.slice(from)) {
      const data = event.data as Record<string, unknown>;
      if (event.type === 'bootstrap_finished') {
        reported = { restored: data['restored'] as number, answered: data['answered'] as number };
        break;
      }
      if (event.type === 'rpc_sent' && data['op'] === 'ping')
        sent.set(data['rid'] as number, data['addr'] as string);
      const addr = sent.get(data['rid'] as number);
      if (event.type === 'rpc_completed' && addr !== undefined) {
        pinged.add(addr);
        if (data['outcome'] === 'ok') answered.add(addr);
      }
      if (event.type === 'peer_failed' && live.has(data['addr'] as string)) strikesOnLive++;
    }
    const isLive = (addr: string): boolean => live.has(addr);
    return {
      pingedAll: pinged.size,
      answeredAll: answered.size,
      pingedLive: [...pinged].filter(isLive).length,
      answeredLive: [...answered].filter(isLive).length,
      strikesOnLive,
      reported,
    };
  } finally {
    log.close();
  }
}

async function main(): Promise<void> {
  if (!existsSync(tesd)) throw new Error('run `npm run build` first: this bench runs dist/');
  const dir = mkdtempSync(join(tmpdir(), 'churn-real-'));
  const nodes: Node[] = Array.from({ length: NODES }, (_, index) => ({
    index,
    dataDir: join(dir, `node-${index}`),
    child: null,
    exited: Promise.resolve(),
  }));
  const onSignal = (): void => void stop(nodes).then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  try {
    const startedAt = performance.now();
    start(nodes[0]!);
    await waitJoined(nodes[0]!);
    for (let i = 1; i < NODES; i += JOIN_WAVE) {
      const wave = nodes.slice(i, i + JOIN_WAVE);
      wave.forEach(start);
      await Promise.all(wave.map(waitJoined));
    }
    const joinS = (performance.now() - startedAt) / 1000;
    console.log(`${NODES} nodes joined in ${joinS.toFixed(1)} s; settling ${SETTLE_MS / 1000} s`);
    await sleep(SETTLE_MS);

    const keys: string[] = [];
    for (let p = 0; p < POINTERS; p++) keys.push(await publish(nodes[1 + random.int(NODES - 1)]!));

    const candidates = nodes.slice(1);
    const killed: Node[] = [];
    while (killed.length < KILLED) {
      const pick = candidates.splice(random.int(candidates.length), 1)[0]!;
      killed.push(pick);
    }
    for (const n of killed) n.child?.kill('SIGKILL');
    await Promise.all(killed.map((n) => n.exited));
    const survivors = nodes.filter((n) => !killed.includes(n));
    console.log(`killed ${killed.length} nodes; ${FINDS} finds from survivors`);

    const finds: FindResult[] = [];
    for (let f = 0; f < FINDS; f++) {
      const from = survivors[random.int(survivors.length)]!;
      finds.push(await find(from, keys[random.int(keys.length)]!));
    }
    const ms = finds.map((f) => f.ms);
    if (options.keep) {
      for (const f of finds.filter((f) => !f.found))
        console.log(
          `  missed: from node ${f.from} key ${f.key.slice(0, 16)} in ${f.ms.toFixed(0)} ms ${f.error ?? ''}`,
        );
    }
    const success = finds.filter((f) => f.found).length / finds.length;
    console.log(
      `finds: success ${success}, p50 ${percentile(ms, 50).toFixed(0)} ms, p95 ${percentile(ms, 95).toFixed(0)} ms`,
    );

    const restartAt = performance.now();
    killed.forEach(start);
    // A node that does not finish its rejoin is a figure of the run, not the end of it.
    const joined = await Promise.allSettled(killed.map(waitJoined));
    const unfinished = killed
      .filter((_, i) => joined[i]!.status === 'rejected')
      .map((n) => n.index);
    const rejoinS = (performance.now() - restartAt) / 1000;
    if (unfinished.length > 0)
      console.log(`rejoin not finished in 60 s: nodes ${unfinished.join(', ')}`);
    await stop(nodes);

    const live = new Set(survivors.map((n) => quicAddr(n.index)));
    const rejoins = killed.map((n) => readRejoin(n, live));
    const sum = (pick: (r: Rejoin) => number): number => rejoins.reduce((s, r) => s + pick(r), 0);
    const answeredLive =
      sum((r) => r.answeredLive) /
      Math.max(
        1,
        sum((r) => r.pingedLive),
      );
    const answeredAll =
      sum((r) => r.answeredAll) /
      Math.max(
        1,
        sum((r) => r.pingedAll),
      );
    const strikes = sum((r) => r.strikesOnLive);
    const fellBack = rejoins.filter((r) => r.reported === null).length;
    console.log(
      `rejoin of ${killed.length} nodes together in ${rejoinS.toFixed(1)} s: ` +
        `${sum((r) => r.answeredLive)} of ${sum((r) => r.pingedLive)} live restored peers answered ` +
        `(${(answeredLive * 100).toFixed(1)}%), ${sum((r) => r.answeredAll)} of ${sum((r) => r.pingedAll)} ` +
        `of all restored peers; strikes on live peers: ${strikes}; logs without bootstrap_finished: ${fellBack}`,
    );
    console.log(
      JSON.stringify({
        nodes: NODES,
        killed: killed.length,
        join_s: Number(joinS.toFixed(1)),
        finds: finds.length,
        find_success: success,
        find_p50_ms: Math.round(percentile(ms, 50)),
        find_p95_ms: Math.round(percentile(ms, 95)),
        rejoin_s: Number(rejoinS.toFixed(1)),
        rejoin_answered_live: Number(answeredLive.toFixed(3)),
        rejoin_answered_all: Number(answeredAll.toFixed(3)),
        rejoin_strikes_on_live: strikes,
        rejoin_unfinished: unfinished.length,
      }),
    );
  } finally {
    await stop(nodes);
    if (options.keep) console.log(`data directories kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
