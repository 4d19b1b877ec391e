import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { QUICClient } from '@matrixai/quic';
import { signingKeyFromSecret } from '../../src/core/ed25519.js';
import { generateIdentity } from '../../src/cli/identity-file.js';
import { createCertificate } from '../../src/net/certificate.js';
import { decodeFrame, encodeFrame, isDecodeError } from '../../src/net/frame-codec.js';
import { ErrorCode, type WireMessage } from '../../src/net/messages.js';
import { clientCrypto, quicConfig, quicLogger } from '../../src/net/quic-options.js';
import { QuicTransport } from '../../src/net/quic-transport.js';
import { Cluster, type TesdNode } from './tesd-process.js';

/** SPEC §3.1-§3.4 against a real node: identity binding and malformed input. */

function pingFrom(identity: ReturnType<typeof generateIdentity>['identity']): Uint8Array {
  return encodeFrame({
    v: 1,
    rid: 7,
    from: { id: identity.id, pk: identity.pk, nonce: identity.nonce, addr: '127.0.0.1:9', caps: 3 },
    body: { req: { op: 'ping' } },
  });
}

function decoded(frame: Uint8Array): WireMessage {
  const message = decodeFrame(frame);
  assert.ok(!isDecodeError(message), `answer does not decode: ${JSON.stringify(message)}`);
  return message;
}

function errorCodeOf(frame: Uint8Array): number | null {
  const { body } = decoded(frame);
  return 'err' in body ? body.err.code : null;
}

function frameWithLength(length: number, body: Uint8Array): Uint8Array {
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setUint32(0, length);
  frame.set(body, 4);
  return frame;
}

/** A bare QUIC client: writes raw bytes on a new stream, ends it, reads everything back. */
async function rawExchange(client: QUICClient, bytes: Uint8Array): Promise<Uint8Array> {
  const stream = client.connection.newStream('bidi');
  const writer = stream.writable.getWriter();
  await writer.write(bytes);
  await writer.close();
  const chunks: Uint8Array[] = [];
  const reader = stream.readable.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function request(transport: QuicTransport, addr: string, frame: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    transport.request(addr, frame, 5_000, (outcome) =>
      outcome.ok
        ? resolve(outcome.frame)
        : reject(new Error(`${outcome.failure}: ${outcome.message}`)),
    ),
  );
}

describe('a real node facing a misbehaving peer', () => {
  const cluster = new Cluster();
  let node: TesdNode;
  let raw: QUICClient;
  const transports: QuicTransport[] = [];
  const port = (): number => Number(node.bind.split(':')[1]);

  before(async () => {
    node = await cluster.node('target');
    await cluster.start(node);
    const credentials = await createCertificate(signingKeyFromSecret(randomBytes(32)));
    raw = await QUICClient.createQUICClient({
      host: '127.0.0.1',
      port: port(),
      localHost: '127.0.0.1',
      crypto: clientCrypto(),
      config: quicConfig(credentials, 30_000),
      logger: quicLogger('silent'),
    });
  });
  after(async () => {
    await raw?.destroy({ force: true });
    await Promise.all(transports.map((t) => t.close()));
    await cluster.cleanup();
  });

  async function client(): Promise<{
    transport: QuicTransport;
    identity: ReturnType<typeof generateIdentity>['identity'];
  }> {
    const { key, identity } = generateIdentity(8);
    const transport = await QuicTransport.create({ bind: '127.0.0.1:0', key, logLevel: 'silent' });
    transports.push(transport);
    return { transport, identity };
  }

  it('answers error 5 to a `from` whose pk differs from the certificate key', async () => {
    const { transport } = await client(); // certificate of key X
    const other = generateIdentity(8).identity; // a valid identity Y of another key
    const answer = await request(transport, node.bind, pingFrom(other));
    assert.equal(errorCodeOf(answer), ErrorCode.INVALID_IDENTITY);
    assert.equal(decoded(answer).rid, 7);
  });

  it('answers a length prefix over 64 KiB with error 1', async () => {
    const answer = await rawExchange(raw, frameWithLength(1_000_000, new Uint8Array(16)));
    assert.equal(errorCodeOf(answer), ErrorCode.TOO_LARGE);
  });

  it('answers a frame that ends early with error 2', async () => {
    const answer = await rawExchange(raw, frameWithLength(100, new Uint8Array(10)));
    assert.equal(errorCodeOf(answer), ErrorCode.INVALID_MESSAGE);
  });

  it('answers garbage MessagePack with error 2', async () => {
    const answer = await rawExchange(raw, frameWithLength(3, Uint8Array.from([0xc1, 0xc1, 0xc1])));
    assert.equal(errorCodeOf(answer), ErrorCode.INVALID_MESSAGE);
  });

  it('answers 1000 nested arrays with error 2', async () => {
    const body = new Uint8Array(1_001).fill(0x91);
    body[1_000] = 0xc0;
    const answer = await rawExchange(raw, frameWithLength(body.length, body));
    assert.equal(errorCodeOf(answer), ErrorCode.INVALID_MESSAGE);
  });

  it('drops random UDP datagrams and keeps answering everyone', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((done) => socket.bind(0, '127.0.0.1', done));
    for (let i = 0; i < 200; i++) {
      const datagram = randomBytes(1 + ((i * 37) % 1_400));
      await new Promise<void>((done) => socket.send(datagram, port(), '127.0.0.1', () => done()));
    }
    await new Promise<void>((done) => socket.close(() => done()));

    const { transport, identity } = await client();
    const answer = decoded(await request(transport, node.bind, pingFrom(identity)));
    assert.ok('res' in answer.body && answer.body.res.op === 'pong', JSON.stringify(answer.body));
    assert.equal(node.child.exitCode, null, 'the node is still running');
  });
});
