/**
 * `npm run bench:idle`: what a node costs at rest (issue 12). Real `tesd run` processes, built
 * (dist/, as users run them), on 127.0.0.1:
 * - lone: one node with no peers; its CPU time (user + system, all threads, from /proc) and
 *   RSS over the sampling window, after a settling time;
 * - burst: 1,000 QUIC connections from short-lived client sockets, each sending one ping and
 *   closing, then the lone node's RSS once it is quiet again (rss_after_burst_mb);
 * - devnet: five nodes as `tesd devnet` starts them (node 0 the bootstrap of the others);
 *   their mean CPU and RSS over the same window.
 * Linux only (/proc). IDLE_S sets the sampling window (default 60 s; shorter while developing),
 * SETTLE_S the wait before sampling (default 75 s: after its first quiet minute the node
 * collects the heap start-up grew and its journal writer thread stops, a one-off ~0.1-0.2
 * CPU-s that the window would otherwise count as idle cost; src/cli/heap-release.ts),
 * AFTER_BURST_S the wait after the burst (default 130 s: the node collects the heap a burst
 * grew after its first quiet summary minute, src/cli/heap-release.ts), TESD_NODE_FLAGS node
 * flags for the tesd processes. Human summary, then one JSON line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateIdentity } from '../src/cli/identity-file.js';
import { planDevnet, runArgs, type DevnetNodePlan } from '../src/cli/devnet.js';
import { encodeFrame } from '../src/net/frame-codec.js';
import { QuicTransport } from '../src/net/quic-transport.js';
import { freeTcpPort, freeUdpPort } from '../test/e2e/tesd-process.js';

const IDLE_S = Number(process.env.IDLE_S ?? 60);
const SETTLE_S = Number(process.env.SETTLE_S ?? 75);
const AFTER_BURST_S = Number(process.env.AFTER_BURST_S ?? 130);
// Node flags for the tesd processes, e.g. --max-semi-space-size=2 (docs/event-log.md).
const NODE_FLAGS = (process.env.TESD_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
const BURST_CONNECTIONS = Number(process.env.BURST_CONNECTIONS ?? 1_000);
const BURST_PARALLEL = 25; // client sockets open at once during the burst
const DEVNET_NODES = Number(process.env.DEVNET_NODES ?? 5); // 0 skips the devnet
const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux
const PING_TIMEOUT_MS = 10_000;
const READY_TIMEOUT_MS = 60_000;
const REPO = resolve(fileURLToPath(import.meta.url), '../..');
const TESD = join(REPO, 'dist/src/cli/tesd.js');

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));
const round = (n: number, digits = 0): number => Number(n.toFixed(digits));

interface Running {
  readonly name: string;
  readonly admin: string;
  readonly bind: string;
  readonly metrics: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

/** CPU seconds (user + system, every thread) the process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** Anonymous memory (heaps, buffers), the part of RSS the node itself allocated. */
function anonMb(pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return Number(/Anonymous:\s+(\d+)/.exec(rollup)?.[1] ?? NaN) / 1024;
}

/** The JS heap in use, from the node's own metrics (prom-client's default metrics). */
async function heapUsedMb(metrics: string): Promise<number> {
  const response = await fetch(`http://${metrics}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  const line = /^tesd_process_nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
  return Number(line?.[1] ?? NaN) / 1e6;
}

function startNode(name: string, args: string[]): Running {
  const child = spawn(process.execPath, [...NODE_FLAGS, TESD, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const exited = new Promise<void>((done) =>
    child.once('exit', (code) => {
      if (code !== 0 && code !== null) process.stderr.write(`${name} exited ${code}: ${stderr}\n`);
      done();
    }),
  );
  const admin = args[args.indexOf('--admin') + 1]!;
  const bind = args[args.indexOf('--bind') + 1]!;
  const metrics = args[args.indexOf('--metrics') + 1]!;
  return { name, admin, bind, metrics, child, exited };
}

async function waitReady(node: Running): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (node.child.exitCode !== null) throw new Error(`${node.name} exited before it was ready`);
    try {
      const response = await fetch(`http://${node.admin}/status`, {
        signal: AbortSignal.timeout(1_000),
      });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${node.name} not ready after ${READY_TIMEOUT_MS} ms`);
}

async function stop(nodes: readonly Running[]): Promise<void> {
  for (const node of nodes) if (node.child.exitCode === null) node.child.kill('SIGTERM');
  const timer = setTimeout(() => nodes.forEach((n) => n.child.kill('SIGKILL')), 10_000);
  await Promise.all(nodes.map((n) => n.exited));
  clearTimeout(timer);
}

interface Window {
  cpuSPerMin: number;
  rssMb: number;
  rssMaxMb: number;
  anonMb: number;
}

/** Samples every node once a second for `seconds`; CPU per minute and RSS, per node. */
async function sample(nodes: readonly Running[], seconds: number): Promise<Window[]> {
  const pids = nodes.map((n) => n.child.pid!);
  const cpuBefore = pids.map(cpuSeconds);
  const started = performance.now();
  const rssMax = pids.map(rssMb);
  for (let s = 0; s < seconds; s++) {
    await sleep(1_000);
    pids.forEach((pid, i) => (rssMax[i] = Math.max(rssMax[i]!, rssMb(pid))));
  }
  const minutes = (performance.now() - started) / 60_000;
  return pids.map((pid, i) => ({
    cpuSPerMin: (cpuSeconds(pid) - cpuBefore[i]!) / minutes,
    rssMb: rssMb(pid),
    rssMaxMb: rssMax[i]!,
    anonMb: anonMb(pid),
  }));
}

/** One connection that comes and goes: a fresh client socket, one ping, closed. */
async function connectOnce(to: string): Promise<boolean> {
  const { key, identity } = generateIdentity(8);
  const transport = await QuicTransport.create({ bind: '127.0.0.1:0', key, logLevel: 'silent' });
  try {
    const frame = encodeFrame({
      v: 1,
      rid: 1,
      // caps 0: a client, never added to the node's routing table, so what stays after the
      // burst is what the connections themselves left behind.
      from: { ...identity, addr: transport.localAddr, caps: 0 },
      body: { req: { op: 'ping' } },
    });
    return await new Promise<boolean>((done) =>
      transport.request(to, frame, PING_TIMEOUT_MS, (outcome) => done(outcome.ok)),
    );
  } finally {
    await transport.close();
  }
}

async function burst(to: string, count: number): Promise<{ ok: number; failed: number }> {
  let next = 0;
  let ok = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      if (await connectOnce(to).catch(() => false)) ok++;
    }
  };
  await Promise.all(Array.from({ length: BURST_PARALLEL }, worker));
  return { ok, failed: count - ok };
}

async function loneNode(dir: string): Promise<Running> {
  const [udp, admin, metrics] = [await freeUdpPort(), await freeTcpPort(), await freeTcpPort()];
  return startNode('lone', [
    'run',
    '--bind',
    `127.0.0.1:${udp}`,
    '--admin',
    `127.0.0.1:${admin}`,
    '--metrics',
    `127.0.0.1:${metrics}`,
    '--data-dir',
    join(dir, 'lone'),
  ]);
}

async function devnet(dir: string): Promise<Running[]> {
  // Like `tesd devnet`, on ports clear of the defaults and of other benches.
  const basePort = 20_000 + Math.floor(Math.random() * 20_000);
  const plans: DevnetNodePlan[] = planDevnet({
    nodes: DEVNET_NODES,
    basePort,
    dir: join(dir, 'devnet'),
  });
  const first = startNode('devnet-0', runArgs(plans[0]!));
  await waitReady(first);
  const rest = plans.slice(1).map((plan) => startNode(`devnet-${plan.index}`, runArgs(plan)));
  await Promise.all(rest.map(waitReady));
  return [first, ...rest];
}

const mean = (values: readonly number[]): number =>
  values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;

async function main(): Promise<void> {
  if (!existsSync(TESD)) throw new Error(`${TESD} is missing: run npm run build first`);
  const dir = mkdtempSync(join(tmpdir(), 'tesd-idle-'));
  const started: Running[] = [];
  try {
    const lone = await loneNode(dir);
    started.push(lone);
    await waitReady(lone);
    await sleep(SETTLE_S * 1_000);
    const [alone] = await sample([lone], IDLE_S);
    const heapAlone = await heapUsedMb(lone.metrics);
    const load = loadavg()[0]!;

    const connections = await burst(lone.bind, BURST_CONNECTIONS);
    const rssAtBurstEnd = rssMb(lone.child.pid!);
    await sleep(AFTER_BURST_S * 1_000);
    const [afterBurst] = await sample([lone], Math.min(IDLE_S, 10));
    const heapAfterBurst = await heapUsedMb(lone.metrics);
    await stop([lone]);

    let inDevnet: Window[] = [];
    if (DEVNET_NODES > 0) {
      const nodes = await devnet(dir);
      started.push(...nodes);
      await sleep(SETTLE_S * 1_000);
      inDevnet = await sample(nodes, IDLE_S);
      await stop(nodes);
    }
    const loadEnd = loadavg()[0]!;

    console.log(
      `idle bench: ${IDLE_S} s windows after ${SETTLE_S} s of settling (load ${round(load, 2)} / ${round(loadEnd, 2)})`,
    );
    console.log(
      `  lone node: ${round(alone!.cpuSPerMin, 3)} CPU-s per minute, RSS ${round(alone!.rssMb)} MB (max ${round(alone!.rssMaxMb)}; ${round(alone!.anonMb)} anonymous, JS heap ${round(heapAlone)} used)`,
    );
    console.log(
      `  burst of ${BURST_CONNECTIONS} connections (${connections.ok} answered): RSS ${round(rssAtBurstEnd)} MB at its end, ${round(afterBurst!.rssMb)} MB ${AFTER_BURST_S} s later (${round(afterBurst!.anonMb)} anonymous, JS heap ${round(heapAfterBurst)} used)`,
    );
    console.log(
      `  ${DEVNET_NODES}-node devnet: ${round(mean(inDevnet.map((w) => w.cpuSPerMin)), 3)} CPU-s per minute per node, RSS ${inDevnet.map((w) => round(w.rssMb)).join(' / ')} MB`,
    );
    console.log(
      JSON.stringify({
        bench: 'idle',
        idle_s: IDLE_S,
        idle_cpu_s_per_min: round(alone!.cpuSPerMin, 3),
        rss_mb: round(alone!.rssMb),
        rss_max_mb: round(alone!.rssMaxMb),
        rss_anon_mb: round(alone!.anonMb),
        heap_used_mb: round(heapAlone),
        burst_connections: BURST_CONNECTIONS,
        burst_answered: connections.ok,
        rss_burst_end_mb: round(rssAtBurstEnd),
        rss_after_burst_mb: round(afterBurst!.rssMb),
        rss_anon_after_burst_mb: round(afterBurst!.anonMb),
        heap_used_after_burst_mb: round(heapAfterBurst),
        devnet_idle_cpu_s_per_min: round(mean(inDevnet.map((w) => w.cpuSPerMin)), 3),
        devnet_rss_mb: round(mean(inDevnet.map((w) => w.rssMb))),
        devnet_rss_max_mb: round(Math.max(...inDevnet.map((w) => w.rssMaxMb))),
        load_avg_1m: [round(load, 2), round(loadEnd, 2)],
        node_flags: NODE_FLAGS.join(' '),
      }),
    );
  } finally {
    await stop(started);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
