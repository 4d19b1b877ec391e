/**
 * `npm run bench:rpc`: RPCs through the real engine (DhtNode, QuicTransport, the event
 * journal) between two processes over loopback QUIC, next to the bare floors measured in the
 * same run (raw UDP, bare @matrixai/quic echo on reused streams, from bench/quic-echo.ts).
 * This process is the client node; a child started from this same file is the server node.
 * Prints a human summary, then one JSON line.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { PeerInfo } from '../src/core/node-info.js';
import { entropySeededRandom } from '../src/cli/entropy.js';
import { generateIdentity } from '../src/cli/identity-file.js';
import { createNode } from '../src/dht/create-node.js';
import type { DhtNode } from '../src/dht/dht-node.js';
import { sendRpc, type RpcResult } from '../src/dht/rpc-client.js';
import type { EventStore } from '../src/events/event-store.js';
import { MemoryEventStore } from '../src/events/memory-event-store.js';
import { SqliteEventStore } from '../src/events/sqlite-event-store.js';
import { QuicTransport } from '../src/net/quic-transport.js';
import { realTimers } from '../src/net/real-timers.js';
import { measureBareQuic, measureTls, measureUdpRtt, type LatencyResult } from './quic-echo.js';

type StoreKind = 'sqlite' | 'memory';

const SELF = fileURLToPath(import.meta.url);
const LATENCY_SAMPLES = 1_000;
const WARMUP = 200;
const THROUGHPUT_RPCS = 5_000;
const IN_FLIGHT = 64; // as bench/quic-echo.ts's throughput, so the figures compare
const ROUNDS = 2; // throughput rounds per store kind, alternated; the best of each is kept
const HANDSHAKES = 50; // fresh connections opened at once (issue 9: all within 1 s)

// Datagrams this process sends, counted for datagrams_per_rpc (both processes run this file).
let datagramsSent = 0;
type Send = (this: dgram.Socket, ...args: unknown[]) => void;
const socketProto = dgram.Socket.prototype as unknown as { send: Send };
const realSend = socketProto.send;
socketProto.send = function send(this: dgram.Socket, ...args: unknown[]) {
  datagramsSent++;
  return realSend.apply(this, args);
};

/** CPU time (user + system) this process has used, in microseconds. */
function cpuUs(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

interface Counters {
  readonly cpuUs: number;
  readonly datagrams: number;
}

interface BenchNode {
  readonly node: DhtNode;
  close(): Promise<void>;
}

async function startNode(kind: StoreKind): Promise<BenchNode> {
  const { key, identity } = generateIdentity(8);
  const dir = mkdtempSync(join(tmpdir(), 'tesd-bench-rpc-'));
  const transport = await QuicTransport.create({ bind: '127.0.0.1:0', key, logLevel: 'error' });
  const store: EventStore = kind === 'sqlite' ? SqliteEventStore.open(dir) : new MemoryEventStore();
  const node = createNode({
    key,
    identity,
    transport,
    timers: realTimers,
    random: entropySeededRandom(),
    store,
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
  // `counters` asks for this process's CPU time and datagrams so far.
  createInterface({ input: process.stdin }).on('line', () => {
    process.stdout.write(`COUNTERS ${cpuUs()} ${datagramsSent}\n`);
  });
  process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
}

interface ServerChild {
  readonly addr: string;
  counters(): Promise<Counters>;
  stop(): Promise<void>;
}

async function startServer(kind: StoreKind): Promise<ServerChild> {
  // TESD_BENCH_CPU_PROF=<dir> profiles the server node too (`--cpu-prof`), for the latency path.
  const profDir = process.env.TESD_BENCH_CPU_PROF;
  const prof =
    profDir === undefined
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=100'];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', SELF, 'serve', kind], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const addr = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve(line.split(' ')[1]!));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const replies: Array<(line: string) => void> = [];
  lines.on('line', (line) => replies.shift()?.(line));
  return {
    addr,
    counters: () =>
      new Promise((resolve) => {
        replies.push((line) => {
          const [, cpu, datagrams] = line.split(' ');
          resolve({ cpuUs: Number(cpu), datagrams: Number(datagrams) });
        });
        child.stdin.write('counters\n');
      }),
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
  run: (client: DhtNode, peer: PeerInfo, server: ServerChild) => Promise<T>,
): Promise<T> {
  const server = await startServer(kind);
  const client = await startNode(kind);
  try {
    const first = await ping(client.node, { identity: null, addr: server.addr });
    if (!first.ok) throw new Error('unreachable');
    return await run(client.node, first.peer, server);
  } finally {
    await client.close();
    await server.stop();
  }
}

interface LatencyRun extends LatencyResult {
  /** User + system CPU of both node processes per RPC, one request at a time. */
  readonly cpuUsPerRpc: number;
  /** Datagrams sent by both processes per RPC, one request at a time. */
  readonly datagramsPerRpc: number;
}

async function latency(
  client: DhtNode,
  peer: PeerInfo,
  server: ServerChild,
  samplesWanted = LATENCY_SAMPLES,
): Promise<LatencyRun> {
  for (let i = 0; i < WARMUP; i++) await ping(client, peer);
  const serverBefore = await server.counters();
  const cpuBefore = cpuUs();
  const datagramsBefore = datagramsSent;
  const samples: number[] = [];
  for (let i = 0; i < samplesWanted; i++) {
    const start = performance.now();
    await ping(client, peer);
    samples.push((performance.now() - start) * 1000);
  }
  const cpu = cpuUs() - cpuBefore;
  const datagrams = datagramsSent - datagramsBefore;
  const serverAfter = await server.counters();
  if (process.env.TESD_BENCH_SPLIT !== undefined) {
    process.stderr.write(
      `client ${Math.round(cpu / samplesWanted)} us, server ${Math.round((serverAfter.cpuUs - serverBefore.cpuUs) / samplesWanted)} us CPU per RPC\n`,
    );
  }
  return {
    ...percentiles(samples),
    cpuUsPerRpc: Math.round((cpu + serverAfter.cpuUs - serverBefore.cpuUs) / samplesWanted),
    datagramsPerRpc: Number(
      ((datagrams + serverAfter.datagrams - serverBefore.datagrams) / samplesWanted).toFixed(2),
    ),
  };
}

/**
 * `bench/rpc.ts latency [samples]`: only the UDP floor and one RPC at a time, with CPU per RPC;
 * quick enough to measure each change of the latency path (run it under `--cpu-prof` with
 * TESD_BENCH_CPU_PROF set to profile both processes).
 */
async function latencyOnly(samplesWanted: number, kind: StoreKind): Promise<void> {
  const udp = await measureUdpRtt();
  const run = await withPair(kind, (client, peer, server) =>
    latency(client, peer, server, samplesWanted),
  );
  const report = {
    bench: 'rpc-latency',
    store: kind,
    udp_rtt_p50_us: udp.p50Us,
    quic_rpc_p50_us: run.p50Us,
    quic_rpc_p99_us: run.p99Us,
    ratio: Number((run.p50Us / udp.p50Us).toFixed(1)),
    cpu_us_per_rpc_sequential: run.cpuUsPerRpc,
    datagrams_per_rpc_sequential: run.datagramsPerRpc,
  };
  process.stdout.write(JSON.stringify(report) + '\n');
}

interface ThroughputRun {
  readonly perSecond: number;
  /** User + system CPU of both node processes per RPC. */
  readonly cpuUsPerRpc: number;
  /** Datagrams sent by both processes per RPC. */
  readonly datagramsPerRpc: number;
  /** Pings that failed (timed out) during the run. */
  readonly failures: number;
}

async function throughput(
  client: DhtNode,
  peer: PeerInfo,
  server: ServerChild,
): Promise<ThroughputRun> {
  for (let i = 0; i < WARMUP; i++) await ping(client, peer);
  const serverBefore = await server.counters();
  const cpuBefore = cpuUs();
  const datagramsBefore = datagramsSent;
  let next = 0;
  const start = performance.now();
  let failures = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < THROUGHPUT_RPCS) await ping(client, peer).catch(() => failures++);
    }),
  );
  const elapsedMs = performance.now() - start;
  const cpu = cpuUs() - cpuBefore;
  const datagrams = datagramsSent - datagramsBefore;
  const serverAfter = await server.counters();
  return {
    perSecond: Math.round(THROUGHPUT_RPCS / (elapsedMs / 1000)),
    cpuUsPerRpc: Math.round((cpu + serverAfter.cpuUs - serverBefore.cpuUs) / THROUGHPUT_RPCS),
    datagramsPerRpc: Number(
      ((datagrams + serverAfter.datagrams - serverBefore.datagrams) / THROUGHPUT_RPCS).toFixed(2),
    ),
    failures,
  };
}

interface HandshakeRun {
  /** Wall time until HANDSHAKES fresh connections, opened at once, all answered a ping. */
  readonly allMs: number;
  /** CPU of both processes per handshake (with its first ping). */
  readonly cpuMsPerHandshake: number;
}

/** HANDSHAKES fresh client nodes (made beforehand, not timed) ping the server at once. */
async function handshakes(kind: StoreKind): Promise<HandshakeRun> {
  const server = await startServer(kind);
  const clients: BenchNode[] = [];
  try {
    for (let i = 0; i < HANDSHAKES; i++) clients.push(await startNode('memory'));
    const serverBefore = await server.counters();
    const cpuBefore = cpuUs();
    const start = performance.now();
    const outcomes = await Promise.all(
      clients.map((c) =>
        ping(c.node, { identity: null, addr: server.addr }).then(
          () => true,
          () => false,
        ),
      ),
    );
    const allMs = performance.now() - start;
    const failed = outcomes.filter((ok) => !ok).length;
    if (failed > 0) process.stderr.write(`handshakes: ${failed} of ${HANDSHAKES} pings failed\n`);
    const cpu = cpuUs() - cpuBefore;
    const serverAfter = await server.counters();
    const totalCpuUs = cpu + serverAfter.cpuUs - serverBefore.cpuUs;
    return {
      allMs: Math.round(allMs),
      cpuMsPerHandshake: Number((totalCpuUs / 1000 / HANDSHAKES).toFixed(2)),
    };
  } finally {
    for (const c of clients) await c.close();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const stage = (name: string): void => void process.stderr.write(`bench:rpc: ${name}\n`);
  stage('udp');
  const udp = await measureUdpRtt();
  stage('tls');
  const tls = await measureTls(LATENCY_SAMPLES, THROUGHPUT_RPCS, IN_FLIGHT);
  stage('bare quic echo');
  const bare = await measureBareQuic(LATENCY_SAMPLES, THROUGHPUT_RPCS, IN_FLIGHT).catch(
    (error: unknown) => {
      // The bare library's stream-per-echo run can fail on a loaded machine; the engine
      // figures do not depend on it.
      stage(`bare quic echo failed: ${error instanceof Error ? error.name : String(error)}`);
      return null;
    },
  );
  stage('engine rpc latency');
  const rpcLatency = await withPair('sqlite', latency);
  const best: Record<StoreKind, ThroughputRun | null> = { sqlite: null, memory: null };
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of ['sqlite', 'memory'] as const) {
      stage(`engine rpc throughput (${kind})`);
      const run = await withPair(kind, throughput);
      if (best[kind] === null || run.perSecond > best[kind].perSecond) best[kind] = run;
    }
  }
  const journal = best.sqlite!;
  const memory = best.memory!;
  stage('handshakes');
  const shake = await handshakes('sqlite');
  const report = {
    bench: 'rpc',
    udp_rtt_p50_us: udp.p50Us,
    tls_rtt_p50_us: tls.tlsRtt.p50Us,
    tls_per_s: tls.tlsThroughput.perSecond,
    quic_rpc_p50_us: rpcLatency.p50Us,
    quic_rpc_p99_us: rpcLatency.p99Us,
    cpu_us_per_rpc_sequential: rpcLatency.cpuUsPerRpc,
    rpc_per_s: journal.perSecond,
    rpc_per_s_memory: memory.perSecond,
    cpu_us_per_rpc: journal.cpuUsPerRpc,
    datagrams_per_rpc: journal.datagramsPerRpc,
    handshake_cpu_ms: shake.cpuMsPerHandshake,
    handshakes_50_ms: shake.allMs,
    journal_overhead_ratio: Number((journal.perSecond / memory.perSecond).toFixed(3)),
    echo_p50_us: bare?.bareQuicReused.p50Us ?? null,
    echo_p99_us: bare?.bareQuicReused.p99Us ?? null,
    echo_per_s: bare?.bareQuicThroughput.perSecond ?? null,
    rpc_failures: journal.failures + memory.failures,
    in_flight: IN_FLIGHT,
  };
  const lines = [
    'loopback, two processes; RPC = ping through DhtNode + QuicTransport + journal',
    `  raw UDP RTT                   p50 ${report.udp_rtt_p50_us} µs`,
    `  TLS over TCP (same certs)     p50 ${report.tls_rtt_p50_us} µs   ${report.tls_per_s}/s (${IN_FLIGHT} in flight)`,
    `  bare QUIC echo, reused stream p50 ${report.echo_p50_us} µs   p99 ${report.echo_p99_us} µs   ${report.echo_per_s}/s (${IN_FLIGHT} in flight)`,
    `  engine RPC (SQLite journal)   p50 ${report.quic_rpc_p50_us} µs   p99 ${report.quic_rpc_p99_us} µs   ` +
      `(${(report.quic_rpc_p50_us / report.udp_rtt_p50_us).toFixed(1)}x UDP; ` +
      `${report.cpu_us_per_rpc_sequential} µs CPU per RPC, one at a time)`,
    `  engine RPC throughput         ${report.rpc_per_s}/s with SQLite, ${report.rpc_per_s_memory}/s in memory (${IN_FLIGHT} in flight)`,
    `  per RPC (both processes)      ${report.cpu_us_per_rpc} µs CPU, ${report.datagrams_per_rpc} datagrams`,
    `  handshakes                    ${report.handshake_cpu_ms} ms CPU each; ${HANDSHAKES} at once in ${report.handshakes_50_ms} ms`,
    `  journal overhead ratio        ${report.journal_overhead_ratio}`,
  ];
  process.stdout.write(lines.join('\n') + '\n' + JSON.stringify(report) + '\n');
}

/**
 * `bench/rpc.ts throughput [rounds]`: only the throughput stage, SQLite and memory alternated,
 * with the CPU per RPC of each: the journal's cost in one quick run.
 */
async function throughputOnly(rounds: number): Promise<void> {
  const runs: Record<StoreKind, ThroughputRun[]> = { sqlite: [], memory: [] };
  for (let round = 0; round < rounds; round++)
    for (const kind of ['sqlite', 'memory'] as const)
      runs[kind].push(await withPair(kind, throughput));
  const figures = (kind: StoreKind): object => ({
    per_s: runs[kind].map((r) => r.perSecond),
    cpu_us_per_rpc: runs[kind].map((r) => r.cpuUsPerRpc),
  });
  const best = (kind: StoreKind): number => Math.max(...runs[kind].map((r) => r.perSecond));
  const report = {
    bench: 'rpc-throughput',
    sqlite: figures('sqlite'),
    memory: figures('memory'),
    journal_overhead_ratio: Number((best('sqlite') / best('memory')).toFixed(3)),
  };
  process.stdout.write(JSON.stringify(report) + '\n');
}

if (process.argv[1] === SELF) {
  if (process.argv[2] === 'serve') void serve(process.argv[3] as StoreKind);
  else if (process.argv[2] === 'throughput') void throughputOnly(Number(process.argv[3] ?? ROUNDS));
  else if (process.argv[2] === 'latency')
    void latencyOnly(
      Number(process.argv[3] ?? LATENCY_SAMPLES),
      (process.argv[4] as StoreKind | undefined) ?? 'sqlite',
    );
  else void main();
}
