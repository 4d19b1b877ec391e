/**
 * `npm run bench:hostile`: a real `tesd` (with --strict-ip-diversity, so loopback is not
 * exempt) on 127.0.0.1 under attack from one host, 127.0.0.2, while an honest peer on
 * 127.0.0.3 pings it (issue 11 targets).
 * - flood: valid pings from several sockets of one host; how many a second it gets served, the
 *   honest ping p99 against the unloaded p99, the node's RSS growth, and what the flood adds to
 *   the log per minute (the refusals recorded against those the attacker counted);
 * - rotate: one identity pinging from a new source port every few hundred ms: how many
 *   peer_seen rows it writes.
 * Prints a human summary, then one JSON line. Options: --flood-s 10 --sockets 4 --inflight 16
 * --rotations 40.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { generateIdentity } from '../src/cli/identity-file.js';
import { Cluster, getJson, waitFor, type TesdNode } from '../test/e2e/tesd-process.js';
import { PeerSocket, type Tally } from '../test/hostile/hostile-harness.js';

const { values: options } = parseArgs({
  options: {
    'flood-s': { type: 'string', default: '10' },
    'quiet-s': { type: 'string', default: '5' },
    sockets: { type: 'string', default: '4' },
    inflight: { type: 'string', default: '16' },
    rotations: { type: 'string', default: '40' },
  },
});
const FLOOD_S = Number(options['flood-s']);
const QUIET_S = Number(options['quiet-s']);
const SOCKETS = Number(options.sockets);
const IN_FLIGHT = Number(options.inflight);
const ROTATIONS = Number(options.rotations);
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

async function lastSeq(node: TesdNode): Promise<number> {
  const text = await (await fetch(`http://${node.metrics}/metrics`)).text();
  return Number(/^tesd_events_last_seq (\d+)/m.exec(text)?.[1] ?? NaN);
}

async function rejectedMetric(node: TesdNode): Promise<number> {
  const text = await (await fetch(`http://${node.metrics}/metrics`)).text();
  return Number(/^tesd_peers_rejected_total\{reason="rate_limited"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

async function stopNode(node: TesdNode): Promise<void> {
  node.child.kill('SIGTERM');
  await Promise.race([node.exited, sleep(10_000)]);
}

function logDb(node: TesdNode): Database.Database {
  return new Database(join(node.dataDir, 'events.db'), { readonly: true });
}

async function floodScenario(cluster: Cluster) {
  const node = await cluster.node('flood-target');
  await cluster.start(node, [], ['--strict-ip-diversity']);
  const pid = node.child.pid!;
  const honest = await PeerSocket.open('127.0.0.3');
  const attacker = await Promise.all(
    Array.from({ length: SOCKETS }, () => PeerSocket.open('127.0.0.2')),
  );
  // Warm up the honest connection, then measure unloaded.
  await honest.pings(node.bind, 20);
  let quietOver = false;
  const quietTimer = sleep(QUIET_S * 1_000).then(() => (quietOver = true));
  const quiet = await honestPings(honest, node.bind, () => quietOver);
  await quietTimer;
  const rssBefore = rssMb(pid);
  let rssPeak = rssBefore;
  const seqBefore = await lastSeq(node);
  let floodOver = false;
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(pid))), RSS_SAMPLE_MS);
  const floodStarted = performance.now();
  const [loaded, attack] = await Promise.all([
    honestPings(honest, node.bind, () => floodOver),
    flood(attacker, node.bind, () => floodOver),
    sleep(FLOOD_S * 1_000).then(() => (floodOver = true)),
  ]);
  const floodMs = performance.now() - floodStarted;
  clearInterval(rssTimer);
  const rssAfter = rssMb(pid);
  const metricBeforeStop = await rejectedMetric(node);
  await Promise.all([honest.close(), ...attacker.map((s) => s.close())]);
  await stopNode(node);
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
  const dbBytes = statSync(join(node.dataDir, 'events.db')).size;
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
    attacker_requests: attack.totals.answered + attack.totals.refused + attack.totals.failed,
    attacker_refused: attack.totals.refused,
    attacker_failed: attack.totals.failed,
    refusals_logged: logged.refusals,
    refusals_metric_before_stop: metricBeforeStop,
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

async function rotateScenario(cluster: Cluster) {
  const node = await cluster.node('rotate-target');
  await cluster.start(node, [], ['--strict-ip-diversity']);
  const peer = generateIdentity(8);
  const started = performance.now();
  let answered = 0;
  for (let i = 0; i < ROTATIONS; i++) {
    const socket = await PeerSocket.open('127.0.0.4', peer);
    if ((await socket.ping(node.bind, 5_000)) === 'answered') answered++;
    void socket.close();
  }
  const seconds = (performance.now() - started) / 1_000;
  await waitFor('the rotating peer in the table', async () => {
    const peers = await getJson<Array<{ id: string }>>(node.admin, '/peers');
    return peers.some((p) => p.id === peer.identity.idHex);
  }).catch(() => undefined);
  await stopNode(node);
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

async function main(): Promise<void> {
  const cluster = new Cluster();
  try {
    const floodResult = await floodScenario(cluster);
    const rotate = await rotateScenario(cluster);
    console.log(
      [
        `flood: ${SOCKETS} sockets x ${IN_FLIGHT} in flight from 127.0.0.2 for ${FLOOD_S} s`,
        `  honest ping p50/p99: unloaded ${floodResult.quiet_p50_ms}/${floodResult.quiet_p99_ms} ms, ` +
          `under flood ${floodResult.loaded_p50_ms}/${floodResult.loaded_p99_ms} ms ` +
          `(p99 x${floodResult.p99_ratio}); honest failures ${floodResult.honest_failed}`,
        `  attacker served per second: ${floodResult.attacker_served_per_s.join(' ')}`,
        `  attacker refused: ${floodResult.attacker_refused} of ${floodResult.attacker_requests}; ` +
          `refusals in the log: ${floodResult.refusals_logged}; metric before stop: ` +
          `${floodResult.refusals_metric_before_stop}`,
        `  node RSS: ${floodResult.rss_before_mb} MB before, peak ${floodResult.rss_peak_mb} MB ` +
          `(+${floodResult.rss_growth_mb} MB)`,
        `  log during the flood: ${JSON.stringify(floodResult.log_rows_during_flood)}, ` +
          `~${floodResult.attacker_log_bytes_per_min} bytes/min from the attacker, of which ` +
          `refusals ${floodResult.refusal_log_bytes_per_min} bytes/min`,
        `rotate: one identity from ${rotate.rotations} source ports in ${rotate.rotation_s} s: ` +
          `peer_added ${rotate.peer_added}, peer_seen ${rotate.peer_seen}, ` +
          `rpc_received ${rotate.rpc_received}`,
        '(machine shared with parallel work: compare ratios within one run)',
      ].join('\n'),
    );
    console.log(JSON.stringify({ bench: 'hostile', flood: floodResult, rotate }));
  } finally {
    await cluster.cleanup();
  }
}

await main();
