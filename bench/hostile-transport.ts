/**
 * The transport scenarios of bench:hostile (issue 11 items 2-3), against the target process of
 * bench/hostile-target.ts: idle connections hoarded by one host, streams stalled mid-frame on
 * one connection, and junk Initials that echo the node's Retry token. Each measures an honest
 * peer (127.0.0.3) meanwhile and the target's longest event-loop stall.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { QUICClient } from '@matrixai/quic';
import { signingKeyFromSecret } from '../src/core/ed25519.js';
import { createCertificate } from '../src/net/certificate.js';
import { clientCrypto, quicConfig, quicLogger } from '../src/net/quic-options.js';
import { PeerSocket } from '../test/hostile/hostile-harness.js';
import { junkInitial, parseRetry } from '../test/hostile/quic-junk.js';

export interface TargetControl {
  readonly addr: string;
  /** Sends a line to the target and, for `loop`, returns its JSON answer. */
  loop(): Promise<{ loop_delay_max_ms: number; loop_delay_p99_ms: number; incoming: number }>;
  reset(): void;
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (x: number, digits = 1): number => Number(x.toFixed(digits));

function hostPort(addr: string): { host: string; port: number } {
  const at = addr.lastIndexOf(':');
  return { host: addr.slice(0, at), port: Number(addr.slice(at + 1)) };
}

/** One honest ping every `intervalMs` until `stop`, on one pooled connection. */
async function honestPings(socket: PeerSocket, to: string, stop: () => boolean, intervalMs = 20) {
  const latencies: number[] = [];
  let failed = 0;
  while (!stop()) {
    const started = performance.now();
    const kind = await socket.ping(to, 5_000);
    if (kind === 'answered') latencies.push(performance.now() - started);
    else failed++;
    await sleep(intervalMs);
  }
  return { latencies, failed };
}

async function rawClient(addr: string, localHost: string): Promise<QUICClient | null> {
  const credentials = await sharedCredentials;
  const { host, port } = hostPort(addr);
  try {
    return await QUICClient.createQUICClient(
      {
        host,
        port,
        localHost,
        crypto: clientCrypto(),
        config: quicConfig(credentials, 60_000),
        logger: quicLogger('silent'),
      },
      { timer: 5_000 },
    );
  } catch {
    return null;
  }
}
const sharedCredentials = createCertificate(signingKeyFromSecret(randomBytes(32)));

/** 512 idle connections from one host, then an honest newcomer: does it keep its connection? */
export async function idleScenario(target: TargetControl, connections = 512) {
  const honest = await PeerSocket.open('127.0.0.3');
  await honest.pings(target.addr, 20);
  const quiet = await honestFor(honest, target.addr, 2_000);
  const clients: QUICClient[] = [];
  let established = 0;
  for (let i = 0; i < connections; i += 32) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(32, connections - i) }, () =>
        rawClient(target.addr, '127.0.0.6'),
      ),
    );
    for (const client of batch) {
      if (client === null) continue;
      clients.push(client);
      established++;
    }
  }
  await sleep(500);
  const held = clients.filter((c) => !c.connection.closed).length;
  const { incoming } = await target.loop();
  // The honest peer, already connected, and a newcomer that connects now.
  const newcomer = await PeerSocket.open('127.0.0.9');
  const before = honest.transport.connectionTo(target.addr);
  const [loaded, fresh] = await Promise.all([
    honestFor(honest, target.addr, 3_000),
    honestFor(newcomer, target.addr, 3_000),
  ]);
  const kept =
    before !== undefined &&
    honest.transport.connectionTo(target.addr) === before &&
    newcomer.transport.stats().outgoing === 1;
  await Promise.all(clients.map((c) => c.destroy({ force: true }).catch(() => {})));
  await Promise.all([honest.close(), newcomer.close()]);
  return {
    attacker_connections_tried: connections,
    attacker_handshakes_completed: established,
    attacker_connections_held: held,
    target_incoming: incoming,
    honest_kept_connection: kept,
    honest_p99_ms_before: round(percentile(quiet.latencies, 99), 2),
    honest_p99_ms_during: round(percentile(loaded.latencies, 99), 2),
    newcomer_p99_ms: round(percentile(fresh.latencies, 99), 2),
    honest_failed: quiet.failed + loaded.failed + fresh.failed,
  };
}

async function honestFor(socket: PeerSocket, to: string, ms: number) {
  let over = false;
  const timer = sleep(ms).then(() => (over = true));
  const result = await honestPings(socket, to, () => over);
  await timer;
  return result;
}

/**
 * Connections from one host (16: the per-host ceiling) open up to `streams` streams in all and
 * leave each mid-frame (2 bytes of a 4-byte length); the node drops them after its stall
 * timeout and grants new ones, until all were opened and dropped or `limitMs` passed. Each
 * connection holds at most the node's stream credit at once.
 */
export async function stallScenario(
  target: TargetControl,
  streams = 500,
  limitMs = 40_000,
  connections = 16,
) {
  const honest = await PeerSocket.open('127.0.0.3');
  await honest.pings(target.addr, 20);
  const quiet = await honestFor(honest, target.addr, 2_000);
  const clients = (
    await Promise.all(
      Array.from({ length: connections }, () => rawClient(target.addr, '127.0.0.7')),
    )
  ).filter((client): client is QUICClient => client !== null);
  if (clients.length === 0) throw new Error('stall scenario: cannot connect');
  target.reset();
  let opened = 0;
  let reset = 0;
  let peakOpen = 0;
  let open = 0;
  let over = false;
  const started = performance.now();
  const room = (client: QUICClient): number =>
    client.connection.closed
      ? 0
      : (
          client.connection as unknown as { conn: { peerStreamsLeftBidi(): number } }
        ).conn.peerStreamsLeftBidi();
  const attack = (async () => {
    while (opened < streams && performance.now() - started < limitMs) {
      const client = clients.find((c) => room(c) > 0);
      if (client === undefined) {
        await sleep(100);
        continue;
      }
      const stream = client.connection.newStream('bidi');
      opened++;
      open++;
      peakOpen = Math.max(peakOpen, open);
      const writer = stream.writable.getWriter();
      void writer.write(Uint8Array.of(0, 0)).catch(() => {});
      void stream.readable
        .getReader()
        .read()
        .catch(() => {})
        .finally(() => {
          open--;
          reset++;
        });
      if (opened % 25 === 0) await sleep(1);
    }
    while (reset < opened && performance.now() - started < limitMs) await sleep(100);
    over = true;
  })();
  const loaded = await honestPings(honest, target.addr, () => over);
  await attack;
  const loop = await target.loop();
  await Promise.all(clients.map((c) => c.destroy({ force: true }).catch(() => {})));
  await honest.close();
  return {
    connections: clients.length,
    streams_opened: opened,
    streams_dropped: reset,
    peak_open_streams: peakOpen,
    seconds: round((performance.now() - started) / 1_000),
    honest_p99_ms_before: round(percentile(quiet.latencies, 99), 2),
    honest_p99_ms_during: round(percentile(loaded.latencies, 99), 2),
    honest_failed: quiet.failed + loaded.failed,
    loop_delay_max_ms: loop.loop_delay_max_ms,
  };
}

// ---------------------------------------------------------------- junk Initials

/**
 * `count` junk Initials that echo a valid Retry token from one socket (127.0.0.8), while fresh
 * honest peers connect and ping once each. Reports the honest handshake+ping times, how many
 * bytes the node sent the junk socket per byte received from it (amplification), and the loop.
 */
export async function junkScenario(target: TargetControl, count = 5_000) {
  const { host, port } = hostPort(target.addr);
  // Hosts of their own: one host past 16 connections would be refused by the ceiling.
  const fresh = await Promise.all(
    Array.from({ length: 30 }, (_, i) => PeerSocket.open(`127.0.1.${10 + i}`)),
  );
  const firstPing = async (socket: PeerSocket): Promise<number | null> => {
    const started = performance.now();
    return (await socket.ping(target.addr, 5_000)) === 'answered'
      ? performance.now() - started
      : null;
  };
  const quiet: number[] = [];
  for (const socket of fresh.slice(0, 10)) quiet.push((await firstPing(socket)) ?? NaN);
  const junk: Socket = createSocket('udp4');
  await new Promise<void>((done) => junk.bind(0, '127.0.0.8', done));
  let bytesIn = 0;
  let retry: { token: Buffer; scid: Buffer } | null = null;
  junk.on('message', (msg) => {
    bytesIn += msg.length;
    retry ??= parseRetry(msg);
  });
  let bytesOut = 0;
  const send = (datagram: Buffer): void => {
    bytesOut += datagram.length;
    junk.send(datagram, port, host);
  };
  send(junkInitial(randomBytes(16), randomBytes(8), new Uint8Array(0)));
  for (let i = 0; i < 50 && retry === null; i++) await sleep(20);
  const echo = retry as { token: Buffer; scid: Buffer } | null;
  if (echo === null) throw new Error('junk scenario: no Retry from the node');
  target.reset();
  let sent = 0;
  const flood = (async () => {
    while (sent < count) {
      for (let i = 0; i < 100 && sent < count; i++, sent++) {
        send(junkInitial(echo.scid, randomBytes(8), echo.token));
      }
      await sleep(20);
    }
  })();
  const during: Array<number | null> = [];
  for (const socket of fresh.slice(10)) {
    during.push(await firstPing(socket));
    await sleep(40);
  }
  await flood;
  await sleep(500);
  const loop = await target.loop();
  junk.close();
  await Promise.all(fresh.map((s) => s.close()));
  const answered = during.filter((ms): ms is number => ms !== null);
  return {
    junk_initials: sent,
    honest_handshake_ms_before_p50: round(percentile(quiet, 50), 1),
    honest_handshake_ms_during_p50: round(percentile(answered, 50), 1),
    honest_handshake_ms_during_max: round(Math.max(...answered), 1),
    honest_handshakes_failed: during.length - answered.length,
    junk_bytes_sent: bytesOut,
    node_bytes_to_junk: bytesIn,
    amplification: round(bytesIn / bytesOut, 4),
    loop_delay_max_ms: loop.loop_delay_max_ms,
  };
}
