/**
 * Loopback echo benchmarks for the QUIC transport (SPEC §3.1), two processes: this one
 * measures, a child started from this same file serves. Exported so that the lead's
 * `bench:rpc` can call them in its own run; alone:
 *   node --import tsx bench/quic-echo.ts
 * prints a human summary, then one JSON line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect as tlsConnect, createServer as tlsServer, type TLSSocket } from 'node:tls';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { QUICClient, QUICServer, events, type QUICStream } from '@matrixai/quic';
import { signingKeyFromSecret } from '../src/core/ed25519.js';
import { createCertificate } from '../src/net/certificate.js';
import { clientCrypto, quicConfig, quicLogger, serverCrypto } from '../src/net/quic-options.js';

/**
 * The node's QUIC settings, with room for the echo's 64 streams in flight: the node grants a
 * peer 32 (PEER_STREAM_CREDIT) since it pipelines its requests on one stream.
 */
function echoConfig(credentials: Parameters<typeof quicConfig>[0]): ReturnType<typeof quicConfig> {
  return { ...quicConfig(credentials, 60_000), initialMaxStreamsBidi: 128 };
}
import { QuicTransport } from '../src/net/quic-transport.js';
import type { SendOutcome } from '../src/net/transport.js';

type ServerKind = 'udp' | 'quic' | 'transport' | 'tls';

const PAYLOAD_BYTES = 128; // about a ping's frame
const SELF = fileURLToPath(import.meta.url);

export interface LatencyResult {
  readonly p50Us: number;
  readonly p99Us: number;
}
export interface ThroughputResult {
  readonly perSecond: number;
  readonly inFlight: number;
}

export interface QuicEchoReport {
  readonly udpRtt: LatencyResult;
  readonly bareQuicReused: LatencyResult;
  readonly bareQuicStreamPerRpc: LatencyResult;
  readonly bareQuicThroughput: ThroughputResult;
  readonly transport: LatencyResult;
  readonly transportThroughput: ThroughputResult;
}

// ---------------------------------------------------------------- server side (child process)

async function serve(kind: ServerKind): Promise<void> {
  let stop: () => Promise<void>;
  let port: number;
  if (kind === 'udp') {
    const socket = createSocket('udp4');
    socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    port = socket.address().port;
    stop = () => new Promise((resolve) => socket.close(() => resolve()));
  } else if (kind === 'tls') {
    // TLS 1.3 over TCP with the same kind of certificate (self-signed Ed25519), both sides
    // presenting one: the reference for what a request/response over an encrypted,
    // authenticated channel costs on this machine.
    const credentials = await createCertificate(signingKeyFromSecret(randomBytes(32)));
    const server = tlsServer(
      {
        key: credentials.keyPem,
        cert: credentials.certPem,
        requestCert: true,
        rejectUnauthorized: false,
        minVersion: 'TLSv1.3',
      },
      (socket) => {
        socket.setNoDelay(true);
        socket.on('data', (chunk: Buffer) => socket.write(chunk));
        socket.on('error', () => {});
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    stop = () => new Promise((resolve) => server.close(() => resolve()));
  } else if (kind === 'quic') {
    const credentials = await createCertificate(signingKeyFromSecret(randomBytes(32)));
    const server = new QUICServer({
      crypto: serverCrypto(),
      config: echoConfig(credentials),
      logger: quicLogger('error'),
    });
    server.addEventListener(
      events.EventQUICConnectionStream.name,
      (evt: Event) => void echoStream((evt as events.EventQUICConnectionStream).detail),
    );
    await server.start({ host: '127.0.0.1', port: 0 });
    port = server.port;
    stop = () => server.stop({ force: true });
  } else {
    const transport = await QuicTransport.create({
      bind: '127.0.0.1:0',
      key: signingKeyFromSecret(randomBytes(32)),
      logLevel: 'error',
    });
    transport.listen((input, _remote, reply) => reply(input instanceof Uint8Array ? input : null));
    port = Number(transport.localAddr.split(':')[1]);
    stop = () => transport.close();
  }
  process.stdout.write(`READY ${port}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void stop().then(() => process.exit(0)));
}

/** Bare echo: every chunk back as it comes; closes its side when the client closes its. */
async function echoStream(stream: QUICStream): Promise<void> {
  const reader = stream.readable.getReader();
  const writer = stream.writable.getWriter();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      await writer.write(value);
    }
    await writer.close();
  } catch {
    // Reset at shutdown.
  }
}

// ---------------------------------------------------------------- client side (this process)

interface Child {
  readonly port: number;
  stop(): Promise<void>;
}

async function startServer(kind: ServerKind): Promise<Child> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SELF, 'serve', kind], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (line) => resolve(Number(line.split(' ')[1])));
    child.once('exit', (code) => reject(new Error(`echo server exited with ${code}`)));
  });
  return {
    port,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.stdin!.end();
      }),
  };
}

function latency(samplesUs: number[]): LatencyResult {
  const sorted = [...samplesUs].sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  return { p50Us: at(0.5), p99Us: at(0.99) };
}

async function timeEach(count: number, once: () => Promise<void>): Promise<LatencyResult> {
  for (let i = 0; i < Math.min(200, count); i++) await once(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await once();
    samples.push((performance.now() - start) * 1000);
  }
  return latency(samples);
}

async function throughput(
  total: number,
  inFlight: number,
  once: (lane: number) => Promise<void>,
): Promise<ThroughputResult> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async (_, lane) => {
      while (next++ < total) await once(lane);
    }),
  );
  return { perSecond: Math.round(total / ((performance.now() - start) / 1000)), inFlight };
}

/** Raw UDP echo round trip: the floor under any QUIC number. */
export async function measureUdpRtt(count = 2_000): Promise<LatencyResult> {
  const server = await startServer('udp');
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const payload = randomBytes(PAYLOAD_BYTES);
  let waiting: (() => void) | null = null;
  socket.on('message', () => waiting?.());
  try {
    return await timeEach(
      count,
      () =>
        new Promise<void>((resolve) => {
          waiting = resolve;
          socket.send(payload, server.port, '127.0.0.1');
        }),
    );
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    await server.stop();
  }
}

async function bareClient(port: number): Promise<QUICClient> {
  const credentials = await createCertificate(signingKeyFromSecret(randomBytes(32)));
  return QUICClient.createQUICClient({
    host: '127.0.0.1',
    port,
    localHost: '127.0.0.1',
    crypto: clientCrypto(),
    config: echoConfig(credentials),
    logger: quicLogger('error'),
  });
}

/** One echo on an open stream: write, then read until as many bytes came back. */
function echoOn(
  stream: {
    reader: ReadableStreamDefaultReader<Uint8Array>;
    writer: WritableStreamDefaultWriter<Uint8Array>;
  },
  payload: Uint8Array,
) {
  return async (): Promise<void> => {
    await stream.writer.write(payload);
    let got = 0;
    while (got < payload.length) {
      const { value, done } = await stream.reader.read();
      if (done) throw new Error('stream closed');
      got += value.length;
    }
  };
}

function openStream(client: QUICClient) {
  const stream = client.connection.newStream('bidi');
  return { reader: stream.readable.getReader(), writer: stream.writable.getWriter() };
}

/** Bare @matrixai/quic: reused stream vs a stream per echo, and throughput over 64 streams. */
export async function measureBareQuic(
  count = 2_000,
  total = 20_000,
  inFlight = 64,
): Promise<Pick<QuicEchoReport, 'bareQuicReused' | 'bareQuicStreamPerRpc' | 'bareQuicThroughput'>> {
  const server = await startServer('quic');
  const client = await bareClient(server.port);
  const payload = randomBytes(PAYLOAD_BYTES);
  try {
    const bareQuicReused = await timeEach(count, echoOn(openStream(client), payload));
    const bareQuicStreamPerRpc = await timeEach(count, async () => {
      const stream = openStream(client);
      await echoOn(stream, payload)();
      await stream.writer.close();
      await stream.reader.read(); // the server's close
    });
    const lanes = Array.from({ length: inFlight }, () => echoOn(openStream(client), payload));
    const bareQuicThroughput = await throughput(total, inFlight, (lane) => lanes[lane]!());
    return { bareQuicReused, bareQuicStreamPerRpc, bareQuicThroughput };
  } finally {
    await client.destroy({ force: true });
    await server.stop();
  }
}

/**
 * TLS over TCP, same certificates: request/response round trip, and throughput with
 * `inFlight` requests pipelined on one connection (the server echoes in order).
 */
export async function measureTls(
  count = 2_000,
  total = 20_000,
  inFlight = 64,
): Promise<{ tlsRtt: LatencyResult; tlsThroughput: ThroughputResult }> {
  const server = await startServer('tls');
  const credentials = await createCertificate(signingKeyFromSecret(randomBytes(32)));
  const socket: TLSSocket = await new Promise((resolve, reject) => {
    const s = tlsConnect(
      {
        host: '127.0.0.1',
        port: server.port,
        key: credentials.keyPem,
        cert: credentials.certPem,
        rejectUnauthorized: false,
        minVersion: 'TLSv1.3',
      },
      () => resolve(s),
    );
    s.once('error', reject);
  });
  socket.setNoDelay(true);
  const payload = randomBytes(PAYLOAD_BYTES);
  // Responses come back in order: each waiter completes when its bytes have arrived.
  const waiters: Array<() => void> = [];
  let pendingBytes = 0;
  socket.on('data', (chunk: Buffer) => {
    pendingBytes += chunk.length;
    while (pendingBytes >= PAYLOAD_BYTES && waiters.length > 0) {
      pendingBytes -= PAYLOAD_BYTES;
      waiters.shift()!();
    }
  });
  const once = () =>
    new Promise<void>((resolve) => {
      waiters.push(resolve);
      socket.write(payload);
    });
  try {
    const tlsRtt = await timeEach(count, once);
    const tlsThroughput = await throughput(total, inFlight, once);
    return { tlsRtt, tlsThroughput };
  } finally {
    socket.destroy();
    await server.stop();
  }
}

/** QuicTransport end to end (pools, framing, handler), raw frames, no MessagePack. */
export async function measureTransport(
  count = 2_000,
  total = 20_000,
  inFlight = 64,
): Promise<Pick<QuicEchoReport, 'transport' | 'transportThroughput'>> {
  const server = await startServer('transport');
  const client = await QuicTransport.create({
    bind: '127.0.0.1:0',
    key: signingKeyFromSecret(randomBytes(32)),
    logLevel: 'error',
  });
  const frame = new Uint8Array(4 + PAYLOAD_BYTES);
  new DataView(frame.buffer).setUint32(0, PAYLOAD_BYTES);
  const addr = `127.0.0.1:${server.port}`;
  const once = () =>
    new Promise<void>((resolve, reject) =>
      client.request(addr, frame, 10_000, (outcome: SendOutcome) =>
        outcome.ok ? resolve() : reject(new Error(`${outcome.failure}: ${outcome.message}`)),
      ),
    );
  try {
    const transport = await timeEach(count, once);
    const transportThroughput = await throughput(total, inFlight, once);
    return { transport, transportThroughput };
  } finally {
    await client.close();
    await server.stop();
  }
}

export async function runQuicEcho(): Promise<QuicEchoReport> {
  const udpRtt = await measureUdpRtt();
  const bare = await measureBareQuic();
  const transport = await measureTransport();
  return { udpRtt, ...bare, ...transport };
}

async function main(): Promise<void> {
  const report = await runQuicEcho();
  const ratio = report.bareQuicStreamPerRpc.p50Us / report.bareQuicReused.p50Us;
  const lines = [
    `loopback echo, ${PAYLOAD_BYTES}-byte payload, two processes`,
    `  raw UDP RTT                p50 ${report.udpRtt.p50Us} µs   p99 ${report.udpRtt.p99Us} µs`,
    `  bare QUIC, reused stream   p50 ${report.bareQuicReused.p50Us} µs   p99 ${report.bareQuicReused.p99Us} µs`,
    `  bare QUIC, stream per RPC  p50 ${report.bareQuicStreamPerRpc.p50Us} µs   (${ratio.toFixed(1)}x reused)`,
    `  bare QUIC throughput       ${report.bareQuicThroughput.perSecond} echoes/s, ${report.bareQuicThroughput.inFlight} in flight`,
    `  QuicTransport              p50 ${report.transport.p50Us} µs   p99 ${report.transport.p99Us} µs`,
    `  QuicTransport throughput   ${report.transportThroughput.perSecond} req/s, ${report.transportThroughput.inFlight} in flight`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  process.stdout.write(
    JSON.stringify({ bench: 'quic-echo', ...report, streamPerRpcRatio: ratio }) + '\n',
  );
}

if (process.argv[1] === SELF) {
  if (process.argv[2] === 'serve') void serve(process.argv[3] as ServerKind);
  else void main();
}
