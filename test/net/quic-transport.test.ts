import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import type { RemotePeer } from '../../src/net/transport.js';
import { Transports, answered, ask, echo, frameOf, newKey } from './quic-fixtures.js';

const transports = new Transports();
afterEach(() => transports.closeAll());
after(() => transports.closeAll());

describe('QuicTransport: requests and responses', () => {
  it('exchanges frames, each side bound to the other certificate pk and observed address', async () => {
    const keyA = newKey();
    const keyB = newKey();
    const a = await transports.start({ key: keyA });
    const b = await transports.start({ key: keyB });
    const seenByServer: RemotePeer[] = [];
    b.listen((input, remote, reply) => {
      seenByServer.push(remote);
      reply(input instanceof Uint8Array ? frameOf(...input.subarray(4), 0x99) : null);
    });

    const outcome = await ask(a, b.localAddr, frameOf(1, 2, 3));

    assert.ok(outcome.ok);
    assert.deepEqual(outcome.frame, frameOf(1, 2, 3, 0x99));
    assert.deepEqual(outcome.remote.certPk, keyB.pk);
    assert.equal(outcome.remote.addr, b.localAddr);
    assert.equal(seenByServer.length, 1);
    assert.deepEqual(seenByServer[0]!.certPk, keyA.pk);
    // One socket per node: the request came from the address A listens on.
    assert.equal(seenByServer[0]!.addr, a.localAddr);
  });

  it('resolves port 0 to the bound port', async () => {
    const a = await transports.start();
    assert.match(a.localAddr, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(a.localAddr, '127.0.0.1:0');
  });

  it('answers 300 concurrent requests over one connection, queueing past the stream limit', async () => {
    const a = await transports.start();
    const b = await transports.start();
    b.listen(echo);
    const frames = Array.from({ length: 300 }, (_, i) => frameOf(i >> 8, i & 0xff));

    const outcomes = await Promise.all(frames.map((frame) => ask(a, b.localAddr, frame, 20_000)));

    outcomes.forEach((outcome, i) => assert.deepEqual(answered(outcome), frames[i]));
    assert.deepEqual(a.stats(), { outgoing: 1, incoming: 0 });
    assert.deepEqual(b.stats(), { outgoing: 0, incoming: 1 });
    const opened = a.connectionTo(b.localAddr)!.streams.streamsOpened;
    assert.ok(opened <= 64, `${opened} streams opened`);
  });

  it('reuses one stream for sequential requests', async () => {
    const a = await transports.start();
    const b = await transports.start();
    b.listen(echo);
    for (let i = 0; i < 20; i++) {
      assert.deepEqual(answered(await ask(a, b.localAddr, frameOf(i))), frameOf(i));
    }
    assert.equal(a.connectionTo(b.localAddr)!.streams.streamsOpened, 1);
  });

  it('shares one dial between concurrent first requests to a peer', async () => {
    const a = await transports.start();
    const b = await transports.start();
    b.listen(echo);
    const outcomes = await Promise.all([1, 2, 3, 4, 5].map((i) => ask(a, b.localAddr, frameOf(i))));
    outcomes.forEach((outcome) => assert.ok(outcome.ok));
    assert.equal(b.stats().incoming, 1);
  });

  it('closes a stream whose request timed out instead of reusing it', async () => {
    const a = await transports.start();
    const b = await transports.start();
    let first = true;
    b.listen((input, remote, reply) => {
      if (first) {
        first = false;
        return; // never answers the first request
      }
      echo(input, remote, reply);
    });

    const late = await ask(a, b.localAddr, frameOf(1), 300);
    const next = await ask(a, b.localAddr, frameOf(2));

    assert.equal(late.ok, false);
    assert.equal(!late.ok && late.failure, 'timeout');
    assert.deepEqual(answered(next), frameOf(2));
    assert.equal(a.connectionTo(b.localAddr)!.streams.streamsOpened, 2);
  });
});

describe('QuicTransport: connections', () => {
  it('fails a request to a port where nobody answers within the handshake timeout', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const a = await transports.start({ handshakeTimeoutMs: 300 });
    try {
      const outcome = await ask(a, `127.0.0.1:${silent.address().port}`, frameOf(1), 10_000);
      assert.equal(outcome.ok, false);
      assert.equal(!outcome.ok && outcome.failure, 'unreachable');
    } finally {
      silent.close();
    }
  });

  it('fails with timeout when the request timeout comes before the handshake timeout', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const a = await transports.start({ handshakeTimeoutMs: 5_000 });
    try {
      const outcome = await ask(a, `127.0.0.1:${silent.address().port}`, frameOf(1), 200);
      assert.equal(!outcome.ok && outcome.failure, 'timeout');
    } finally {
      silent.close();
    }
  });

  it('fails an invalid address without dialling', async () => {
    const a = await transports.start();
    const outcome = await ask(a, 'not-an-address', frameOf(1));
    assert.equal(!outcome.ok && outcome.failure, 'unreachable');
  });

  it('closes an idle connection after idleTimeoutMs, and dials again when needed', async () => {
    const a = await transports.start({ idleTimeoutMs: 200 });
    const b = await transports.start();
    b.listen(echo);
    answered(await ask(a, b.localAddr, frameOf(1)));
    const connection = a.connectionTo(b.localAddr)!;

    await connection.closed;

    assert.equal(a.connectionTo(b.localAddr), undefined);
    assert.deepEqual(answered(await ask(a, b.localAddr, frameOf(2))), frameOf(2));
    assert.notEqual(a.connectionTo(b.localAddr), connection);
  });

  it('drops the pooled connection on disconnect', async () => {
    const a = await transports.start();
    const b = await transports.start();
    b.listen(echo);
    answered(await ask(a, b.localAddr, frameOf(1)));
    const connection = a.connectionTo(b.localAddr)!;

    a.disconnect(b.localAddr);

    await connection.closed;
    assert.equal(a.connectionTo(b.localAddr), undefined);
    assert.deepEqual(answered(await ask(a, b.localAddr, frameOf(2))), frameOf(2));
  });

  it('refuses a new connection past maxConnections when none is idle', async () => {
    const a = await transports.start({ maxConnections: 1 });
    const b = await transports.start();
    const c = await transports.start();
    c.listen(echo);
    let release: () => void = () => {};
    const arrived = new Promise<void>((resolve) =>
      b.listen((input, remote, reply) => {
        release = () => echo(input, remote, reply);
        resolve();
      }),
    );
    const held = ask(a, b.localAddr, frameOf(1));
    await arrived;

    const refused = await ask(a, c.localAddr, frameOf(2));
    release();

    assert.equal(!refused.ok && refused.failure, 'overloaded');
    assert.deepEqual(answered(await held), frameOf(1));
    // Now the connection to B is idle: it makes room for C.
    assert.deepEqual(answered(await ask(a, c.localAddr, frameOf(3))), frameOf(3));
    assert.equal(a.stats().outgoing, 1);
  });

  it('fails requests made after close', async () => {
    const a = await transports.start();
    await a.close();
    const outcome = await ask(a, '127.0.0.1:9', frameOf(1));
    assert.equal(!outcome.ok && outcome.failure, 'closed');
  });

  it('lets the process exit on its own after close', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/quic-close-exit.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // A guard only: a process that keeps a handle open never exits and fails the test.
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
      child.on('exit', (c, s) => resolve([c, s])),
    );
    clearTimeout(guard);
    assert.equal(signal, null, 'the process had to be killed: a handle was left open');
    assert.equal(code, 0);
    assert.equal(output, 'answered\n');
  });
});
