import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { QUICClient } from '@matrixai/quic';
import { isDecodeError, type DecodeError } from '../../src/net/frame-codec.js';
import { clientCrypto } from '../../src/net/quic-options.js';
import type { RequestHandler } from '../../src/net/transport.js';
import { Transports, answered, ask, echo, frameOf } from './quic-fixtures.js';

const transports = new Transports();
afterEach(() => transports.closeAll());
after(() => transports.closeAll());

/** Echo that also records the framing errors it was handed. */
function recordingEcho(errors: DecodeError[]): RequestHandler {
  return (input, remote, reply) => {
    if (isDecodeError(input)) errors.push(input);
    echo(input, remote, reply);
  };
}

describe('QuicTransport: misbehaving peers', () => {
  it('hands an oversized length prefix to the handler and keeps serving other streams and peers', async () => {
    const a = await transports.start();
    const b = await transports.start();
    const c = await transports.start();
    const errors: DecodeError[] = [];
    b.listen(recordingEcho(errors));
    answered(await ask(a, b.localAddr, frameOf(1))); // a stream that stays open meanwhile

    const bad = await ask(a, b.localAddr, Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 2, 3));

    assert.deepEqual(answered(bad), frameOf(0xee, 1));
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, 1);
    const concurrent = await Promise.all([
      ask(a, b.localAddr, frameOf(2)),
      ask(a, b.localAddr, frameOf(3)),
      ask(c, b.localAddr, frameOf(4)),
    ]);
    assert.deepEqual(concurrent.map(answered), [frameOf(2), frameOf(3), frameOf(4)]);
  });

  it('drops a frame that stalls mid-way after stallTimeoutMs, answering its DecodeError', async () => {
    const a = await transports.start();
    const b = await transports.start({ stallTimeoutMs: 200 });
    const errors: DecodeError[] = [];
    b.listen(recordingEcho(errors));

    // Declares 10 bytes, sends 2, then nothing.
    const stalled = await ask(a, b.localAddr, Uint8Array.of(0, 0, 0, 10, 1, 2));

    assert.deepEqual(answered(stalled), frameOf(0xee, 2));
    assert.match(errors[0]!.reason, /stalled/);
    assert.deepEqual(answered(await ask(a, b.localAddr, frameOf(5))), frameOf(5));
  });

  it('ignores random UDP datagrams and keeps answering', async () => {
    const a = await transports.start();
    const b = await transports.start();
    b.listen(echo);
    answered(await ask(a, b.localAddr, frameOf(1)));
    const [host, port] = [b.localAddr.split(':')[0]!, Number(b.localAddr.split(':')[1])];
    const noise = createSocket('udp4');
    const send = (bytes: Uint8Array) =>
      new Promise<void>((resolve) => noise.send(bytes, port, host, () => resolve()));
    try {
      for (let i = 0; i < 200; i++) {
        const bytes = randomBytes(1 + ((i * 37) % 1400));
        // Half of them look like QUIC long-header packets (Initial, version 1).
        if (i % 2 === 0 && bytes.length > 5) bytes.set([0xc0 | (i & 0x0f), 0, 0, 0, 1], 0);
        await send(bytes);
      }
    } finally {
      noise.close();
    }
    assert.deepEqual(answered(await ask(a, b.localAddr, frameOf(2))), frameOf(2));
  });

  it('never completes a connection with a client that has no certificate or the wrong ALPN, and keeps answering', async () => {
    const a = await transports.start();
    const b = await transports.start();
    b.listen(echo);
    const [host, port] = [b.localAddr.split(':')[0]!, Number(b.localAddr.split(':')[1])];
    for (const config of [
      { applicationProtos: ['not-tesseras'], verifyPeer: false, maxIdleTimeout: 2_000 },
      { applicationProtos: ['tesseras/1'], verifyPeer: false, maxIdleTimeout: 2_000 },
    ]) {
      const attempt = QUICClient.createQUICClient(
        { host, port, localHost: '127.0.0.1', crypto: clientCrypto(), config },
        { timer: 2_000 },
      );
      const client = await attempt.catch(() => null);
      if (client !== null) {
        // In TLS 1.3 a client finishes its handshake before the server has checked the
        // client's certificate; the server then refuses and closes: the connection never
        // completes, and nothing sent on it is answered.
        const stream = client.connection.newStream();
        const writer = stream.writable.getWriter();
        await writer.write(frameOf(9)).catch(() => {});
        const read = await stream.readable
          .getReader()
          .read()
          .catch(() => ({ done: true, value: undefined }));
        assert.equal(read.value, undefined);
        const closedInTime = await Promise.race([
          client.closedP.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3_000).unref()),
        ]);
        assert.ok(closedInTime, 'the server closed the connection');
        await client.destroy({ force: true }).catch(() => {});
      }
      // The server never accepted it as a connection.
      assert.equal(b.stats().incoming, 0);
    }
    assert.deepEqual(answered(await ask(a, b.localAddr, frameOf(3))), frameOf(3));
    assert.equal(b.stats().incoming, 1);
  });
});
