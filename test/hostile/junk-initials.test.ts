import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { PeerSocket, startTarget, type Target } from './hostile-harness.js';
import { junkInitial, parseRetry } from './quic-junk.js';

/**
 * Issue 11 item 3 over real QUIC on loopback: junk Initials cost the node no connection, a
 * Retry token is good for one attempt, and nothing is sent to an unverified address in answer
 * to less than a full-size Initial (RFC 9000 §8.1, §14.1). An honest ping after the junk is
 * the barrier: the node reads its socket in order, so the junk was handled before it.
 */
describe('junk Initials', () => {
  let target: Target;
  before(async () => {
    target = await startTarget({ strictIpDiversity: true });
  });
  after(() => target.close());

  // Connections the node's server side holds (accepted or being accepted).
  const accepted = (t: Target): number =>
    (
      t.node as unknown as {
        transport: { socket: { connectionMap: { serverConnections: Map<string, unknown> } } };
      }
    ).transport.socket.connectionMap.serverConnections.size;

  it('answers a full-size token-less Initial with one Retry, a short one with nothing', async () => {
    const junk = createSocket('udp4');
    await new Promise<void>((done) => junk.bind(0, '127.0.0.8', done));
    const received: Buffer[] = [];
    junk.on('message', (msg) => received.push(msg));
    const [host, port] = [target.addr.split(':')[0]!, Number(target.addr.split(':')[1])];
    const empty = new Uint8Array(0);
    junk.send(junkInitial(randomBytes(16), randomBytes(8), empty, 400), port, host);
    junk.send(junkInitial(randomBytes(16), randomBytes(8), empty), port, host);
    const honest = await PeerSocket.open('127.0.0.3');
    assert.equal(await honest.ping(target.addr), 'answered');
    assert.equal(received.length, 1);
    const retry = parseRetry(received[0]!);
    assert.notEqual(retry, null);
    const sent = 400 + 1_200;
    assert.ok(received[0]!.length < sent / 3, 'amplification under 3x');

    // Echo the token 200 times with junk payloads: no connection, no answer.
    const before = accepted(target);
    for (let i = 0; i < 200; i++) {
      junk.send(junkInitial(retry!.scid, randomBytes(8), retry!.token), port, host);
    }
    const late = await PeerSocket.open('127.0.0.4');
    assert.equal(await late.ping(target.addr), 'answered');
    assert.equal(received.length, 1);
    assert.equal(accepted(target), before + 1); // the late honest peer's
    junk.close();
    await Promise.all([honest.close(), late.close()]);
  });
});
