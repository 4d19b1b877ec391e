import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { QUICClient } from '@matrixai/quic';
import { createCertificate } from '../../src/net/certificate.js';
import { clientCrypto, quicConfig } from '../../src/net/quic-options.js';
import { peekRid } from '../../src/net/stream-pipeline.js';
import type { RequestHandler } from '../../src/net/transport.js';
import { Transports, answered, ask, echo, frameOf, newKey, ridFrame } from './quic-fixtures.js';

const transports = new Transports();
afterEach(() => transports.closeAll());
after(() => transports.closeAll());

describe('QuicTransport: pipelining (SPEC §3.1)', () => {
  it('reads the rid of a canonical frame without decoding it, and refuses anything else', () => {
    assert.equal(peekRid(ridFrame(0xdeadbeef, 1, 2)), 0xdeadbeef);
    assert.equal(
      peekRid(Uint8Array.of(0, 0, 0, 9, 0x82, 0xa1, 0x76, 1, 0xa3, 0x72, 0x69, 0x64, 7)),
      7,
    );
    assert.equal(
      peekRid(Uint8Array.of(0, 0, 0, 10, 0x82, 0xa1, 0x76, 1, 0xa3, 0x72, 0x69, 0x64, 0xcd, 1)),
      null,
    );
    assert.equal(peekRid(frameOf(1, 2, 3)), null);
  });

  it('carries 300 concurrent requests to one peer on one stream, each answered by its rid', async () => {
    const a = await transports.start();
    const b = await transports.start();
    b.listen(echo);
    const frames = Array.from({ length: 300 }, (_, i) => ridFrame(1_000 + i, i & 0xff));

    const outcomes = await Promise.all(frames.map((frame) => ask(a, b.localAddr, frame, 20_000)));

    outcomes.forEach((outcome, i) => assert.deepEqual(answered(outcome), frames[i]));
    assert.equal(a.connectionTo(b.localAddr)!.streams.streamsOpened, 1);
  });

  it('drops the late answer of a timed-out request without disturbing the others or the stream', async () => {
    const a = await transports.start();
    const b = await transports.start();
    const held: Array<() => void> = [];
    let holding = (): void => {};
    const holdingOne = new Promise<void>((resolve) => (holding = resolve));
    const slowEcho: RequestHandler = (input, remote, reply) => {
      if (input instanceof Uint8Array && peekRid(input) === 1) {
        held.push(() => reply(input));
        holding();
        return;
      }
      echo(input, remote, reply);
    };
    b.listen(slowEcho);

    const slow = ask(a, b.localAddr, ridFrame(1), 300);
    await holdingOne;
    // The server answers in order: the others wait behind the held one, then come back.
    const others = [2, 3, 4].map((rid) => ask(a, b.localAddr, ridFrame(rid), 5_000));
    const timedOut = await slow;
    held.shift()!();
    const answers = await Promise.all(others);
    const after = await ask(a, b.localAddr, ridFrame(5));

    assert.equal(!timedOut.ok && timedOut.failure, 'timeout');
    answers.forEach((outcome, i) => assert.deepEqual(answered(outcome), ridFrame(i + 2)));
    assert.deepEqual(answered(after), ridFrame(5));
    assert.equal(a.connectionTo(b.localAddr)!.streams.streamsOpened, 1);
  });

  it('leaves a request the server does not answer to time out, and matches the rest by rid', async () => {
    const a = await transports.start();
    const b = await transports.start();
    b.listen((input, remote, reply) =>
      input instanceof Uint8Array && peekRid(input) === 7
        ? reply(null)
        : echo(input, remote, reply),
    );

    const [unanswered, next] = await Promise.all([
      ask(a, b.localAddr, ridFrame(7), 500),
      ask(a, b.localAddr, ridFrame(8), 5_000),
    ]);

    assert.equal(!unanswered.ok && unanswered.failure, 'timeout');
    assert.deepEqual(answered(next), ridFrame(8));
  });

  it('serves a client that sends one request at a time on a fresh stream, as before', async () => {
    const b = await transports.start();
    b.listen(echo);
    const [host, port] = [b.localAddr.split(':')[0]!, Number(b.localAddr.split(':')[1])];
    const credentials = await createCertificate(newKey());
    const client = await QUICClient.createQUICClient({
      host,
      port,
      localHost: '127.0.0.1',
      crypto: clientCrypto(),
      config: quicConfig(credentials, 5_000),
    });
    try {
      for (const rid of [1, 2, 3]) {
        const stream = client.connection.newStream('bidi');
        const writer = stream.writable.getWriter();
        await writer.write(ridFrame(rid));
        await writer.close();
        const reader = stream.readable.getReader();
        const chunks: Uint8Array[] = [];
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          chunks.push(value);
        }
        assert.deepEqual(Buffer.concat(chunks), Buffer.from(ridFrame(rid)));
      }
    } finally {
      await client.destroy({ force: true });
    }
  });
});
