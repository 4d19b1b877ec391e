/**
 * `npm run bench:rpc`: RPCs through the real engine (DhtNode, QuicTransport, the event
 * journal) between two processes over loopback QUIC, next to the bare floors measured in the
 * same run (raw UDP, bare @matrixai/quic echo on reused streams, from bench/quic-echo.ts).
 * This process is the client node; a child started from this same file is the server node.
 * Prints a human summary, then one JSON line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { PeerInfo } from '../src/core/node-info.js';
import { entropySeededRandom } from '../src/core/random.js';
import { generateIdentity } from '../src/cli/identity-file.js';
import { makeConfig } from '../src/dht/config.js';
import { DhtNode } from '../src/dht/dht-node.js';
import { sendRpc, type RpcResult } from '../src/dht/rpc-client.js';
import type { EventStore } from '../src/events/event-store.js';
import { MemoryEventStore } from '../src/events/memory-event-store.js';
import { SqliteEventStore } from '../src/events/sqlite-event-store.js';
import { QuicTransport } from '../src/net/quic-transport.js';
import { realTimers } from '../src/net/real-timers.js';
import { measureBareQuic, measureUdpRtt, type LatencyResult } from './quic-echo.js';

type StoreKind = 'sqlite' | 'memory';

const SELF = fileURLToPath(import.meta.url);
const LATENCY_SAMPLES = 1_000;
const WARMUP = 200;
const THROUGHPUT_RPCS = 5_000;
const IN_FLIGHT = 64; // as bench/quic-echo.ts's throughput, so the figures compare
const ROUNDS = 2; // throughput rounds per store kind, alternated; the best of each is kept

interface BenchNode {
  readonly node: DhtNode;
  close(): Promise<void>;
}

async function startNode(kind: StoreKind): Promise<BenchNode> {
  const { key, identity } = generateIdentity(8);
  const dir = mkdtempSync(join(tmpdir(), 'tesd-bench-rpc-'));
  const transport = await QuicTransport.create({ bind: '127.0.0.1:0', key, logLevel: 'error' });
  const store: EventStore = kind === 'sqlite' ? SqliteEventStore.open(dir) : new MemoryEventStore();
  const node = new DhtNode({
    key,
    identity,
    transport,
    timers: realTimers,
    random: entropySeededRandom(),
    store,
    config: makeConfig(),
  });
  node.start({ maintenance: false });
  return {
    node,
    async close() {
      await transport.close();
      node.stop('bench');
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- server (child process)

async function serve(kind: StoreKind): Promise<void> {
  const server = await startNode(kind);
  process.stdout.write(`READY ${server.node.self.addr}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
}

async function startServer(kind: StoreKind): Promise<{ addr: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, 'serve', kind], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const addr = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve(line.split(' ')[1]!));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    addr,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.stdin.end();
      }),
  };
}

// ---------------------------------------------------------------- client (this process)

function ping(
  node: DhtNode,
  target: PeerInfo | { identity: null; addr: string },
): Promise<RpcResult> {
  return new Promise((resolve, reject) =>
    sendRpc(node, target, { op: 'ping' }, null, (result) =>
      result.ok ? resolve(result) : reject(new Error(`ping failed: ${result.error}`)),
    ),
  );
}

function percentiles(samplesUs: number[]): LatencyResult {
  const sorted = [...samplesUs].sort((a, b) => a - b);
  const at = (q: number): number =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  return { p50Us: at(0.5), p99Us: at(0.99) };
}

async function withPair<T>(
  kind: StoreKind,
  run: (client: DhtNode, peer: PeerInfo) => Promise<T>,
): Promise<T> {
  const server = await startServer(kind);
  const client = await startNode(kind);
  try {
    const first = await ping(client.node, { identity: null, addr: server.addr });
    if (!first.ok) throw new Error('unreachable');
    return await run(client.node, first.peer);
  } finally {
    await client.close();
    await server.stop();
  }
}

async function latency(client: DhtNode, peer: PeerInfo): Promise<LatencyResult> {
  for (let i = 0; i < WARMUP; i++) await ping(client, peer);
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const start = performance.now();
    await ping(client, peer);
    samples.push((performance.now() - start) * 1000);
  }
  return percentiles(samples);
}

async function throughput(client: DhtNode, peer: PeerInfo): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await ping(client, peer);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < THROUGHPUT_RPCS) await ping(client, peer);
    }),
  );
  return Math.round(THROUGHPUT_RPCS / ((performance.now() - start) / 1000));
}

async function main(): Promise<void> {
  const udp = await measureUdpRtt();
  const bare = await measureBareQuic(LATENCY_SAMPLES, THROUGHPUT_RPCS, IN_FLIGHT);
  const rpcLatency = await withPair('sqlite', latency);
  const best: Record<StoreKind, number> = { sqlite: 0, memory: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of ['sqlite', 'memory'] as const) {
      best[kind] = Math.max(best[kind], await withPair(kind, throughput));
    }
  }
  const report = {
    bench: 'rpc',
    quic_rpc_p50_us: rpcLatency.p50Us,
    quic_rpc_p99_us: rpcLatency.p99Us,
    echo_p50_us: bare.bareQuicReused.p50Us,
    echo_p99_us: bare.bareQuicReused.p99Us,
    echo_per_s: bare.bareQuicThroughput.perSecond,
    udp_rtt_p50_us: udp.p50Us,
    rpc_per_s: best.sqlite,
    rpc_per_s_memory: best.memory,
    journal_overhead_ratio: Number((best.sqlite / best.memory).toFixed(3)),
    in_flight: IN_FLIGHT,
  };
  const lines = [
    'loopback, two processes; RPC = ping through DhtNode + QuicTransport + journal',
    `  raw UDP RTT                   p50 ${report.udp_rtt_p50_us} µs`,
    `  bare QUIC echo, reused stream p50 ${report.echo_p50_us} µs   p99 ${report.echo_p99_us} µs   ${report.echo_per_s}/s (${IN_FLIGHT} in flight)`,
    `  engine RPC (SQLite journal)   p50 ${report.quic_rpc_p50_us} µs   p99 ${report.quic_rpc_p99_us} µs   ` +
      `(${(report.quic_rpc_p50_us / report.echo_p50_us).toFixed(2)}x echo)`,
    `  engine RPC throughput         ${report.rpc_per_s}/s with SQLite, ${report.rpc_per_s_memory}/s in memory ` +
      `(${IN_FLIGHT} in flight; ${(report.rpc_per_s / report.echo_per_s).toFixed(2)}x echo)`,
    `  journal overhead ratio        ${report.journal_overhead_ratio}`,
  ];
  process.stdout.write(lines.join('\n') + '\n' + JSON.stringify(report) + '\n');
}

if (process.argv[1] === SELF) {
  if (process.argv[2] === 'serve') void serve(process.argv[3] as StoreKind);
  else void main();
}
