import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { peekRid } from '../../src/net/stream-pipeline.js';
import type { RequestHandler } from '../../src/net/transport.js';
import { answered, ask, echo, ridFrame, transportsWithFaults } from './quic-fixtures.js';

/**
 * A pooled connection whose peer went silent (a one-way firewall, a peer that restarted and
 * forgot it) is dropped once an RPC on it times out with nothing at all received on it
 * meanwhile, so that the next RPC dials afresh instead of waiting for QUIC's idle timeout
 * (~35 s). A peer that is heard from (it acknowledges at the QUIC level) keeps the connection,
 * however slow or silent its answers.
 */

// Datagrams from one local port to one remote port vanish, as behind a firewall that drops.
const { transports, faults } = transportsWithFaults();

describe('QuicTransport: a pooled connection that went dead', () => {
  it('is dropped when an RPC on it times out with nothing received, and the next RPC dials a peer that restarted', async () => {
    const a = await transports.start();
    const b = await transports.start();
    b.listen(echo);
    answered(await ask(a, b.localAddr, ridFrame(1)));
    const pooled = a.connectionTo(b.localAddr);
    // b restarts on the same port, and its goodbye never reaches a: a's connection is dead.
    faults.drop(b, a);
    await b.close();
    faults.clear();
    const restarted = await transports.start({ bind: b.localAddr });
    restarted.listen(echo);

    const onDead = await ask(a, b.localAddr, ridFrame(2), 300);
    const droppedAfterTimeout = a.connectionTo(b.localAddr);
    const fresh = await ask(a, b.localAddr, ridFrame(3), 3_000);

    assert.equal(onDead.ok || onDead.failure, 'timeout');
    assert.notEqual(pooled, undefined);
    assert.equal(droppedAfterTimeout, undefined, 'the dead connection left the pool');
    assert.deepEqual(answered(fresh), ridFrame(3));
    assert.notEqual(a.connectionTo(b.localAddr), pooled);
  });

  it('is dropped after a one-way blackhole, and RPCs succeed again once it is lifted', async () => {
    const a = await transports.start();
    const b = await transports.start();
    b.listen(echo);
    answered(await ask(a, b.localAddr, ridFrame(1)));
    faults.drop(b, a);

    const blackholed = await ask(a, b.localAddr, ridFrame(2), 300);
    const pooledAfterTimeout = a.connectionTo(b.localAddr);
    faults.clear();
    const lifted = await ask(a, b.localAddr, ridFrame(3), 3_000);

    assert.equal(blackholed.ok || blackholed.failure, 'timeout');
    assert.equal(pooledAfterTimeout, undefined, 'the silent connection left the pool');
    assert.deepEqual(answered(lifted), ridFrame(3));
  });

  it('is kept when an RPC on it times out while the peer is heard from, and serves the next', async () => {
    const a = await transports.start();
    const b = await transports.start();
    // The server reads rid 7 and chooses not to answer it (as an admission hook refusing a
    // flood does); its QUIC stack still acknowledges the datagram that carried it.
    const unanswering: RequestHandler = (input, remote, reply) => {
      if (input instanceof Uint8Array && peekRid(input) === 7) return reply(null);
      echo(input, remote, reply);
    };
    b.listen(unanswering);
    answered(await ask(a, b.localAddr, ridFrame(1)));
    const pooled = a.connectionTo(b.localAddr);

    const unanswered = await ask(a, b.localAddr, ridFrame(7), 300);
    const next = await ask(a, b.localAddr, ridFrame(8));

    assert.equal(unanswered.ok || unanswered.failure, 'timeout');
    assert.deepEqual(answered(next), ridFrame(8));
    assert.equal(a.connectionTo(b.localAddr), pooled, 'the same pooled connection');
    assert.equal(pooled!.streams.streamsOpened, 1, 'and the same pipelined stream');
  });
});
