import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { answered, ask, echo, frameOf, transportsWithFaults } from './quic-fixtures.js';

/**
 * Local send errors (SPEC §3.1, issue 15 item 5): a socket that refuses to send towards one
 * peer (a firewall's EPERM, an unreachable network or host, no buffer space) or a QUIC
 * connection that fails internally costs that peer's RPCs only; the node goes on serving.
 * Failures are injected in dgram's send, which the QUIC library reaches through the socket
 * it shares between server and clients; the real EPERM of a firewall is in
 * quic-send-eperm.test.ts.
 */

// Sends from one local port to one remote port fail with an errno, as sendto(2) would.
const { transports, faults } = transportsWithFaults();
const uncaught: unknown[] = [];
const onUncaught = (error: unknown): void => {
  uncaught.push(error);
};
process.on('uncaughtException', onUncaught);
process.on('unhandledRejection', onUncaught);
after(() => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
});

describe('QuicTransport: local send errors cost only the RPCs they concern', () => {
  for (const code of ['EPERM', 'ENETUNREACH', 'EHOSTUNREACH', 'EACCES', 'EINVAL']) {
    it(`fails RPCs towards a peer refused with ${code} and keeps serving and reaching others`, async () => {
      const a = await transports.start({ handshakeTimeoutMs: 1_000 });
      const b = await transports.start();
      const c = await transports.start({ handshakeTimeoutMs: 1_000 });
      a.listen(echo);
      b.listen(echo);
      c.listen(echo);
      answered(await ask(a, c.localAddr, frameOf(1))); // a pooled connection a -> c
      answered(await ask(c, a.localAddr, frameOf(2))); // and one c -> a

      faults.refuse(a, c, code);
      const onPooled = await ask(a, c.localAddr, frameOf(3), 3_000);
      const replyRefused = await ask(c, a.localAddr, frameOf(4), 500);

      assert.equal(onPooled.ok, false);
      assert.equal(replyRefused.ok, false);
      const fresh = await ask(a, c.localAddr, frameOf(5), 3_000);
      assert.equal(fresh.ok, false);
      assert.deepEqual(answered(await ask(b, a.localAddr, frameOf(6))), frameOf(6));
      assert.deepEqual(answered(await ask(a, b.localAddr, frameOf(7))), frameOf(7));
      faults.clear();
      assert.deepEqual(answered(await ask(a, c.localAddr, frameOf(8))), frameOf(8));
      assert.deepEqual(uncaught, []);
    });
  }

  it('treats ENOBUFS as a lost datagram: the RPC is answered once sends succeed again', async () => {
    const a = await transports.start();
    const b = await transports.start();
    b.listen(echo);
    answered(await ask(a, b.localAddr, frameOf(1)));

    faults.refuse(a, b, 'ENOBUFS');
    const pending = ask(a, b.localAddr, frameOf(2), 5_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    faults.clear();

    assert.deepEqual(answered(await pending), frameOf(2));
    assert.deepEqual(uncaught, []);
  });

  it('closes only the connection whose QUIC state fails internally, and keeps serving', async () => {
    const a = await transports.start();
    const b = await transports.start();
    const c = await transports.start();
    a.listen(echo);
    b.listen(echo);
    answered(await ask(a, b.localAddr, frameOf(1)));
    answered(await ask(c, a.localAddr, frameOf(2)));
    // The native connection's send throws: the library's own "internal" error.
    const pooled = a.connectionTo(b.localAddr) as unknown as {
      client: { connection: { conn: { send: (buffer: Uint8Array) => unknown } } };
    };
    const native = pooled.client.connection.conn;
    const realNativeSend = native.send;
    native.send = () => {
      throw new Error('injected internal failure');
    };

    const broken = await ask(a, b.localAddr, frameOf(3), 2_000);
    native.send = realNativeSend; // lets the closed connection drain and the test end quickly

    assert.equal(broken.ok, false);
    assert.deepEqual(answered(await ask(c, a.localAddr, frameOf(4))), frameOf(4));
    assert.deepEqual(uncaught, []);
  });
});
