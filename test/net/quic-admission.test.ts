import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RemotePeer } from '../../src/net/transport.js';
import { Transports, answered, ask, echo, frameOf } from './quic-fixtures.js';

const transports = new Transports();
afterEach(() => transports.closeAll());
after(() => transports.closeAll());

describe('QuicTransport: admission hook', () => {
  it('consults the request hook with the observed address before the handler, and answers its refusal frame', async () => {
    const a = await transports.start();
    const b = await transports.start();
    const server = await transports.start();
    const handled: number[] = [];
    const consulted: string[] = [];
    server.listen((input, remote, reply) => {
      if (input instanceof Uint8Array) handled.push(input[4]!);
      echo(input, remote, reply);
    });
    server.setAdmission({
      request: (frame, remote) => {
        consulted.push(remote.addr);
        return remote.addr === a.localAddr ? frameOf(0x04, frame[4]!) : 'admit';
      },
    });

    const refused = await ask(a, server.localAddr, frameOf(1));
    const admitted = await ask(b, server.localAddr, frameOf(2));

    assert.deepEqual(answered(refused), frameOf(0x04, 1));
    assert.deepEqual(answered(admitted), frameOf(2));
    assert.deepEqual(handled, [2]);
    assert.deepEqual(consulted, [a.localAddr, b.localAddr]);
  });

  it('answers nothing when the request hook says null, and admits when the hook throws', async () => {
    const a = await transports.start();
    const server = await transports.start();
    server.listen(echo);
    let mode: 'drop' | 'throw' = 'drop';
    server.setAdmission({
      request: () => {
        if (mode === 'throw') throw new Error('limiter bug');
        return null;
      },
    });

    const dropped = await ask(a, server.localAddr, frameOf(1), 500);
    mode = 'throw';
    const admitted = await ask(a, server.localAddr, frameOf(2));

    assert.equal(dropped.ok, false);
    assert.equal(!dropped.ok && dropped.failure, 'timeout');
    assert.deepEqual(answered(admitted), frameOf(2));
  });

  it('closes a connection the connection hook refuses, with the peer certificate pk, and serves others', async () => {
    const a = await transports.start();
    const b = await transports.start();
    const server = await transports.start();
    server.listen(echo);
    const seen: RemotePeer[] = [];
    server.setAdmission({
      connection: (remote) => {
        seen.push(remote);
        return remote.addr !== a.localAddr;
      },
    });

    const refused = await ask(a, server.localAddr, frameOf(1), 2_000);
    const admitted = await ask(b, server.localAddr, frameOf(2));

    assert.equal(refused.ok, false);
    assert.deepEqual(answered(admitted), frameOf(2));
    assert.equal(seen[0]!.addr, a.localAddr);
    assert.equal(seen[0]!.certPk.length, 32);
    assert.equal(server.stats().incoming, 1);
  });
});

describe('QuicTransport: connection policy', () => {
  it('at the cap evicts an idle connection of the host holding most, and keeps the newcomer', async () => {
    const server = await transports.start({ maxConnections: 3, newcomerGraceMs: 0 });
    server.listen(echo);
    const hoarders = [
      await transports.start({ bind: '127.0.0.2:0' }),
      await transports.start({ bind: '127.0.0.2:0' }),
    ];
    const lone = await transports.start({ bind: '127.0.0.3:0' });
    for (const peer of [...hoarders, lone]) answered(await ask(peer, server.localAddr, frameOf(1)));
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // all idle now

    const newcomer = await transports.start({ bind: '127.0.0.4:0' });
    const first = await ask(newcomer, server.localAddr, frameOf(2));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const again = await ask(newcomer, server.localAddr, frameOf(3));

    assert.deepEqual(answered(first), frameOf(2));
    assert.deepEqual(answered(again), frameOf(3));
    assert.equal(server.stats().incoming, 3);
    // The lone host kept its connection; one of the two from 127.0.0.2 went.
    assert.deepEqual(answered(await ask(lone, server.localAddr, frameOf(4))), frameOf(4));
    assert.equal(server.stats().incoming, 3);
  });

  it('refuses a host past its connection ceiling when none of its connections is idle', async () => {
    const server = await transports.start({ maxConnectionsPerHost: 1, loopbackExempt: false });
    server.listen(echo);
    const first = await transports.start({ bind: '127.0.0.2:0' });
    const second = await transports.start({ bind: '127.0.0.2:0' });
    const other = await transports.start({ bind: '127.0.0.3:0' });

    answered(await ask(first, server.localAddr, frameOf(1)));
    const refused = await ask(second, server.localAddr, frameOf(2), 2_000);

    assert.equal(refused.ok, false);
    assert.deepEqual(answered(await ask(other, server.localAddr, frameOf(3))), frameOf(3));
  });
});
