/**
 * `npm run bench:hostile`: a node in its own process (bench/hostile-target.ts: the engine on
 * real QUIC with the SQLite journal and strict IP diversity, so loopback is not exempt) on
 * 127.0.0.1 under attack from one host, 127.0.0.2, while an honest peer on 127.0.0.3 pings it
 * (issue 11 targets).
 * - flood: valid pings from several sockets of one host; how many a second it gets served, the
 *   honest ping p99 against the unloaded p99, the node's RSS growth, and what the flood adds to
 *   the log per minute (the refusals recorded against those the attacker counted);
 * - rotate: one identity pinging from a new source port every few hundred ms: how many
 *   peer_seen rows it writes.
 * Prints a human summary, then one JSON line. Options: --flood-s 10 --quiet-s 5 --sockets 4
 * --inflight 16 --rotations 40 --quota 200 (requests per host per second; lower it on a loaded
 * machine whose node serves fewer than that, or the quota is never reached), --scenarios
 * flood,rotate,idle,stall,junk (the transport scenarios are in bench/hostile-transport.ts).
 * TESD_BENCH_CPU_PROF=<dir> writes a CPU profile of each target process there.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { generateIdentity } from '../src/cli/identity-file.js';
import { seededRandom } from '../src/core/random.js';
import { makeConfig } from '../src/dht/config.js';
import { DhtNode } from '../src/dht/dht-node.js';
import { MemoryEventStore } from '../src/events/memory-event-store.js';
import { encodeFrame } from '../src/net/frame-codec.js';
import type { RequestHandler, Transport } from '../src/net/transport.js';
import { realTimers } from '../src/net/real-timers.js';
import { PeerSocket, type Tally } from '../test/hostile/hostile-harness.js';
import {
  idleScenario,
  junkScenario,
  stallScenario,
  type TargetControl,
} from './hostile-transport.js';

const { values: options } = parseArgs({
  options: {
    'flood-s': { type: 'string', default: '10' },
    'quiet-s': { type: 'string', default: '5' },
    sockets: { type: 'string', default: '4' },
    inflight: { type: 'string', default: '16' },
    rotations: { type: 'string', default: '40' },
    quota: { type: 'string', default: '200' },
    scenarios: { type: 'string', default: 'flood,rotate,idle,stall,junk' },
  },
});
const SCENARIOS = new Set(options.scenarios.split(','));
const FLOOD_S = Number(options['flood-s']);
const QUIET_S = Number(options['quiet-s']);
const SOCKETS = Number(options.sockets);
const IN_FLIGHT = Number(options.inflight);
const ROTATIONS = Number(options.rotations);
const QUOTA = Number(options.quota);
const TARGET = join(dirname(fileURLToPath(import.meta.url)), 'hostile-target.ts');
const HONEST_INTERVAL_MS = 20;
const RSS_SAMPLE_MS = 250;

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (x: number, digits = 1): number => Number(x.toFixed(digits));

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** Pings one at a time with a pause, recording each latency, until `stop` says so. */
async function honestPings(socket: PeerSocket, to: string, stop: () => boolean) {
  const latencies: number[] = [];
  let failed = 0;
  while (!stop()) {
    const started = performance.now();
    const kind = await socket.ping(to, 5_000);
    if (kind === 'answered') latencies.push(performance.now() - started);
    else failed++;
    await sleep(HONEST_INTERVAL_MS);
  }
  return { latencies, failed };
}

/** Keeps IN_FLIGHT pings in flight on each socket; counts the answers per second of flood. */
async function flood(sockets: PeerSocket[], to: string, stop: () => boolean) {
  const started = performance.now();
  const perSecond: Tally[] = [];
  const totals: Tally = { answered: 0, refused: 0, failed: 0 };
  const loop = async (socket: PeerSocket): Promise<void> => {
    while (!stop()) {
      const kind = await socket.ping(to, 5_000);
      const second = Math.floor((performance.now() - started) / 1_000);
      perSecond[second] ??= { answered: 0, refused: 0, failed: 0 };
      perSecond[second][kind]++;
      totals[kind]++;
    }
  };
  await Promise.all(sockets.flatMap((s) => Array.from({ length: IN_FLIGHT }, () => loop(s))));
  return {
    perSecond: Array.from(perSecond, (t) => t ?? { answered: 0, refused: 0, failed: 0 }),
    totals,
  };
}

interface Target {
  readonly addr: string;
  readonly pid: number;
  readonly dir: string;
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: Interface;
}

const WORK_DIR = mkdtempSync(join(tmpdir(), 'tesd-bench-hostile-'));

async function startTarget(name: string, quota: number): Promise<Target> {
  const dir = join(WORK_DIR, name);
  const child = spawn(process.execPath, [
    ...(process.env.TESD_BENCH_CPU_PROF === undefined
      ? []
      : [
          '--cpu-prof',
          `--cpu-prof-dir=${process.env.TESD_BENCH_CPU_PROF}`,
          '--cpu-prof-interval=200',
        ]),
    '--import',
    'tsx',
    TARGET,
    String(quota),
    dir,
  ]);
  child.stderr.pipe(process.stderr);
  const lines = createInterface({ input: child.stdout });
  const first = await nextLine(lines, child);
  const { addr, pid } = JSON.parse(first) as { addr: string; pid: number };
  return { addr, pid, dir, child, lines };
}

function nextLine(lines: Interface, child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('target did not answer in 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`target exited with ${code}`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
  });
}

/** Stops the target (it flushes its counted refusals) and returns its rejection metric. */
async function stopTarget(target: Target): Promise<{ metric: number; sent: number }> {
  const last = nextLine(target.lines, target.child);
  target.child.stdin.end();
  const figures = JSON.parse(await last) as { rejected_metric: number; refusals_sent: number };
  return { metric: figures.rejected_metric, sent: figures.refusals_sent };
}

function control(target: Target): TargetControl {
  return {
    addr: target.addr,
    reset: () => void target.child.stdin.write('reset\n'),
    loop: async () => {
      const answer = nextLine(target.lines, target.child);
      target.child.stdin.write('loop\n');
      return JSON.parse(await answer) as Awaited<ReturnType<TargetControl['loop']>>;
    },
  };
}

/** A fresh target for one transport scenario, stopped after it. */
async function onTarget<T>(name: string, run: (target: TargetControl) => Promise<T>): Promise<T> {
  const target = await startTarget(name, QUOTA);
  try {
    return await run(control(target));
  } finally {
    await stopTarget(target);
  }
}

function logDb(target: Target): Database.Database {
  return new Database(join(target.dir, 'events.db'), { readonly: true });
}

function lastSeq(target: Target): number {
  const db = logDb(target);
  const { seq } = db.prepare('SELECT coalesce(max(seq), 0) AS seq FROM events').get() as {
    seq: number;
  };
  db.close();
  return seq;
}

async function floodScenario() {
  const node = await startTarget('flood', QUOTA);
  const pid = node.pid;
  const honest = await PeerSocket.open('127.0.0.3');
  const attacker = await Promise.all(
    Array.from({ length: SOCKETS }, () => PeerSocket.open('127.0.0.2')),
  );
  // Warm up the honest connection, then measure unloaded.
  await honest.pings(node.addr, 20);
  let quietOver = false;
  const quietTimer = sleep(QUIET_S * 1_000).then(() => (quietOver = true));
  const quiet = await honestPings(honest, node.addr, () => quietOver);
  await quietTimer;
  const rssBefore = rssMb(pid);
  let rssPeak = rssBefore;
  const seqBefore = lastSeq(node);
  let floodOver = false;
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(pid))), RSS_SAMPLE_MS);
  const floodStarted = performance.now();
  const [loaded, attack] = await Promise.all([
    honestPings(honest, node.addr, () => floodOver),
    flood(attacker, node.addr, () => floodOver),
    sleep(FLOOD_S * 1_000).then(() => (floodOver = true)),
  ]);
  const floodMs = performance.now() - floodStarted;
  clearInterval(rssTimer);
  const rssAfter = rssMb(pid);
  await Promise.all([honest.close(), ...attacker.map((s) => s.close())]);
  const refusals = await stopTarget(node);
  const db = logDb(node);
  // Rows the attacker caused: those about its identities, and its aggregated refusals.
  const attackerIds = attacker.map((s) => s.identity.idHex);
  const rows = db
    .prepare(
      `SELECT type, count(*) AS n,
              sum(length(type) + length(data) + length(hash) + coalesce(length(peer), 0)
                  + coalesce(length(key), 0) + 16) AS bytes
         FROM events
        WHERE seq > ? AND (peer IN (SELECT value FROM json_each(?))
              OR (type = 'peer_rejected' AND json_extract(data, '$.addr') LIKE '127.0.0.2%'))
        GROUP BY type ORDER BY bytes DESC`,
    )
    .all(seqBefore, JSON.stringify(attackerIds)) as Array<{
    type: string;
    n: number;
    bytes: number;
  }>;
  const logged = db
    .prepare(
      `SELECT coalesce(sum(json_extract(data, '$.count')), 0) AS refusals FROM events
        WHERE type = 'peer_rejected' AND json_extract(data, '$.reason') = 'rate_limited'`,
    )
    .get() as { refusals: number };
  db.close();
  const dbBytes = statSync(join(node.dir, 'events.db')).size;
  const bytesOf = (type: string): number => rows.find((r) => r.type === type)?.bytes ?? 0;
  const logBytes = rows.reduce((sum, r) => sum + r.bytes, 0);
  const steady = attack.perSecond.slice(2, -1);
  return {
    quiet_p50_ms: round(percentile(quiet.latencies, 50), 2),
    quiet_p99_ms: round(percentile(quiet.latencies, 99), 2),
    loaded_p50_ms: round(percentile(loaded.latencies, 50), 2),
    loaded_p99_ms: round(percentile(loaded.latencies, 99), 2),
    p99_ratio: round(percentile(loaded.latencies, 99) / percentile(quiet.latencies, 99), 2),
    honest_failed: quiet.failed + loaded.failed,
    attacker_served_per_s: attack.perSecond.map((t) => t.answered),
    attacker_refused_per_s: attack.perSecond.map((t) => t.refused),
    attacker_served_steady_max: Math.max(0, ...steady.map((t) => t.answered)),
    attacker_served_avg_per_s: round((attack.totals.answered / floodMs) * 1_000),
    attacker_requests: attack.totals.answered + attack.totals.refused + attack.totals.failed,
    attacker_refused: attack.totals.refused,
    attacker_failed: attack.totals.failed,
    refusals_logged: logged.refusals,
    refusals_sent: refusals.sent,
    refusals_metric: refusals.metric,
    rss_before_mb: round(rssBefore),
    rss_peak_mb: round(rssPeak),
    rss_growth_mb: round(rssPeak - rssBefore),
    rss_after_mb: round(rssAfter),
    log_rows_during_flood: Object.fromEntries(rows.map((r) => [r.type, r.n])),
    attacker_log_bytes_per_min: Math.round((logBytes / floodMs) * 60_000),
    refusal_log_bytes_per_min: Math.round((bytesOf('peer_rejected') / floodMs) * 60_000),
    db_bytes: dbBytes,
  };
}

async function rotateScenario() {
  const node = await startTarget('rotate', QUOTA);
  const peer = generateIdentity(8);
  const started = performance.now();
  let answered = 0;
  for (let i = 0; i < ROTATIONS; i++) {
    const socket = await PeerSocket.open('127.0.0.4', peer);
    if ((await socket.ping(node.addr, 5_000)) === 'answered') answered++;
    void socket.close();
  }
  const seconds = (performance.now() - started) / 1_000;
  await stopTarget(node);
  const db = logDb(node);
  const count = (type: string): number =>
    (
      db
        .prepare('SELECT count(*) AS n FROM events WHERE type = ? AND peer = ?')
        .get(type, peer.identity.idHex) as { n: number }
    ).n;
  const result = {
    rotations: ROTATIONS,
    rotation_s: round(seconds),
    answered,
    peer_added: count('peer_added'),
    peer_seen: count('peer_seen'),
    rpc_received: count('rpc_received'),
  };
  db.close();
  return result;
}

/**
 * What the engine spends on a served ping and on a refused one (the QUIC stream around it
 * is not included: bench:rpc measures that floor), in one process with the journal in memory.
 */
function engineCost() {
  const measure = (quota: number): number => {
    const { key, identity } = generateIdentity(8);
    let handler: RequestHandler | null = null;
    const transport: Transport = {
      localAddr: '127.0.0.1:4433',
      listen: (h) => void (handler = h),
      request: () => undefined,
      disconnect: () => undefined,
      close: () => Promise.resolve(),
    };
    const node = new DhtNode({
      key,
      identity,
      transport,
      timers: realTimers,
      random: seededRandom(5),
      store: new MemoryEventStore(),
      config: makeConfig({ strictIpDiversity: true, requestsPerSecondPerSource: quota }),
    });
    node.start({ maintenance: false });
    const peer = generateIdentity(8);
    const { id, pk, nonce } = peer.identity;
    const remote = { addr: '127.0.0.2:5000', certPk: pk };
    const frame = encodeFrame({
      v: 1,
      rid: 9,
      from: { id, pk, nonce, addr: remote.addr, caps: 3 },
      body: { req: { op: 'ping' } },
    });
    const serve = handler as RequestHandler | null;
    if (serve === null) throw new Error('the node did not listen');
    const reply = (): void => undefined;
    for (let i = 0; i < 2_000; i++) serve(frame, remote, reply);
    const rounds = 20_000;
    const started = performance.now();
    for (let i = 0; i < rounds; i++) serve(frame, remote, reply);
    const us = ((performance.now() - started) * 1_000) / rounds;
    node.cancelMaintenance();
    return us;
  };
  const served = measure(1e12);
  const refused = measure(0);
  return {
    served_us: round(served, 2),
    refused_us: round(refused, 2),
    refused_over_served: round(refused / served, 3),
  };
}

async function main(): Promise<void> {
  try {
    const engine = engineCost();
    const floodResult = SCENARIOS.has('flood') ? await floodScenario() : null;
    const rotate = SCENARIOS.has('rotate') ? await rotateScenario() : null;
    const idle = SCENARIOS.has('idle') ? await onTarget('idle', idleScenario) : null;
    const stall = SCENARIOS.has('stall') ? await onTarget('stall', stallScenario) : null;
    const junk = SCENARIOS.has('junk') ? await onTarget('junk', junkScenario) : null;
    const lines: string[] = [];
    if (floodResult !== null && rotate !== null) lines.push(...floodLines(floodResult, rotate));
    if (idle !== null) {
      lines.push(
        `idle: ${idle.attacker_connections_tried} connections from 127.0.0.6: ` +
          `${idle.attacker_handshakes_completed} handshakes, ${idle.attacker_connections_held} held ` +
          `(node holds ${idle.target_incoming}); honest kept its connection: ` +
          `${idle.honest_kept_connection}; honest p99 ${idle.honest_p99_ms_before} -> ` +
          `${idle.honest_p99_ms_during} ms, newcomer p99 ${idle.newcomer_p99_ms} ms`,
      );
    }
    if (stall !== null) {
      lines.push(
        `stall: ${stall.streams_opened} streams left mid-frame on ${stall.connections} connections from one host ` +
          `(${stall.peak_open_streams} open at once), ${stall.streams_dropped} dropped in ` +
          `${stall.seconds} s; honest p99 ${stall.honest_p99_ms_before} -> ` +
          `${stall.honest_p99_ms_during} ms; longest loop stall ${stall.loop_delay_max_ms} ms`,
      );
    }
    if (junk !== null) {
      lines.push(
        `junk: ${junk.junk_initials} Initials echoing a Retry token; honest handshake+ping p50 ` +
          `${junk.honest_handshake_ms_before_p50} -> ${junk.honest_handshake_ms_during_p50} ms ` +
          `(max ${junk.honest_handshake_ms_during_max}, failed ${junk.honest_handshakes_failed}); ` +
          `amplification ${junk.amplification}x; longest loop stall ${junk.loop_delay_max_ms} ms`,
      );
    }
    lines.push(
      `engine cost per request (no QUIC): served ${engine.served_us} us, refused ` +
        `${engine.refused_us} us (x${engine.refused_over_served})`,
      '(machine shared with parallel work: compare ratios within one run)',
    );
    console.log(lines.join('\n'));
    console.log(
      JSON.stringify({
        bench: 'hostile',
        quota: QUOTA,
        engine,
        flood: floodResult,
        rotate,
        idle,
        stall,
        junk,
      }),
    );
  } finally {
    rmSync(WORK_DIR, { recursive: true, force: true });
  }
}

function floodLines(
  floodResult: Awaited<ReturnType<typeof floodScenario>>,
  rotate: Awaited<ReturnType<typeof rotateScenario>>,
): string[] {
  return [
    `flood: ${SOCKETS} sockets x ${IN_FLIGHT} in flight from 127.0.0.2 for ${FLOOD_S} s, ` +
      `quota ${QUOTA}/s per host`,
    `  honest ping p50/p99: unloaded ${floodResult.quiet_p50_ms}/${floodResult.quiet_p99_ms} ms, ` +
      `under flood ${floodResult.loaded_p50_ms}/${floodResult.loaded_p99_ms} ms ` +
      `(p99 x${floodResult.p99_ratio}); honest failures ${floodResult.honest_failed}`,
    `  attacker served per second: ${floodResult.attacker_served_per_s.join(' ')}`,
    `  attacker refused: ${floodResult.attacker_refused} of ${floodResult.attacker_requests}; ` +
      `the node sent ${floodResult.refusals_sent} refusals (a client retries a request ` +
      `whose stream broke); in the log: ${floodResult.refusals_logged}; in ` +
      `tesd_peers_rejected_total: ${floodResult.refusals_metric}`,
    `  node RSS: ${floodResult.rss_before_mb} MB before, peak ${floodResult.rss_peak_mb} MB ` +
      `(+${floodResult.rss_growth_mb} MB)`,
    `  log during the flood: ${JSON.stringify(floodResult.log_rows_during_flood)}, ` +
      `~${floodResult.attacker_log_bytes_per_min} bytes/min from the attacker, of which ` +
      `refusals ${floodResult.refusal_log_bytes_per_min} bytes/min`,
    `rotate: one identity from ${rotate.rotations} source ports in ${rotate.rotation_s} s: ` +
      `peer_added ${rotate.peer_added}, peer_seen ${rotate.peer_seen}, ` +
      `rpc_received ${rotate.rpc_received}`,
  ];
}

await main();
