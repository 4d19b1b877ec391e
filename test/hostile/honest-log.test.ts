import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateIdentity } from '../../src/cli/identity-file.js';
import { metricValue, PeerSocket, startTarget, total, type Target } from './hostile-harness.js';

/**
 * Issue 11 item 4 over real QUIC on loopback: the log stays honest under attack. Refusals are
 * recorded per host and reason by a timed flush, so the log and tesd_peers_rejected_total
 * count every one; a peer rotating its source port writes peer_seen at most once a minute.
 */

const QUOTA = 20;
const FLUSH_MS = 300; // rejectionWindowMs, shortened from a minute so the test is quick
const WAIT_MS = 15_000;

async function until(what: string, probe: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 20));
  }
}

describe('refusals in the log and the metric', () => {
  let target: Target;
  const sockets: PeerSocket[] = [];

  before(async () => {
    target = await startTarget({
      strictIpDiversity: true,
      requestsPerSecondPerSource: QUOTA,
      rejectionWindowMs: FLUSH_MS,
    });
  });
  after(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await target.close();
  });

  it('records aggregates per host and reason whose counts add up to the refusals made', async () => {
    for (let i = 0; i < 4; i++) sockets.push(await PeerSocket.open('127.0.0.2'));
    const flood = total(await Promise.all(sockets.map((s) => s.pings(target.addr, 15))));
    assert.equal(flood.refused, 4 * 15 - QUOTA);
    const rejections = () => target.events.filter((e) => e.type === 'peer_rejected');
    const counted = () =>
      rejections().reduce((sum, e) => sum + (e.type === 'peer_rejected' ? e.data.count : 0), 0);
    await until('the refusals to be flushed', () => counted() >= flood.refused);
    assert.equal(counted(), flood.refused);
    // One host, however many sockets: every aggregate names the host, not an address and port.
    for (const event of rejections())
      assert.deepEqual(
        { ...event.data, count: 0 },
        { addr: '127.0.0.2', reason: 'rate_limited', count: 0 },
      );
    const series = 'tesd_peers_rejected_total{reason="rate_limited"}';
    assert.equal(await metricValue(target.metrics, series), flood.refused);
    assert.equal(target.events.filter((e) => e.type === 'rpc_received').length, QUOTA);
  });
});

describe('a peer rotating its source port', () => {
  let target: Target;
  const sockets: PeerSocket[] = [];
  const peer = generateIdentity(8);
  const seen = () =>
    target.events.filter((e) => e.type === 'peer_seen' && e.peer === peer.identity.idHex);

  before(async () => {
    target = await startTarget({ strictIpDiversity: true, peerSeenIntervalMs: 60_000 });
  });
  after(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await target.close();
  });

  it('is added once and not seen again within the minute, from 6 ports', async () => {
    for (let i = 0; i < 6; i++) {
      const socket = await PeerSocket.open('127.0.2.1', peer);
      sockets.push(socket);
      assert.equal(await socket.ping(target.addr), 'answered');
    }
    const added = target.events.filter(
      (e) => e.type === 'peer_added' && e.peer === peer.identity.idHex,
    );
    assert.equal(added.length, 1);
    assert.deepEqual(seen(), []);
  });

  it('is seen once at its newest address when the minute has passed', async () => {
    target.timers.advance(60_000);
    const socket = await PeerSocket.open('127.0.2.1', peer);
    sockets.push(socket);
    assert.equal(await socket.ping(target.addr), 'answered');
    assert.equal(await socket.ping(target.addr), 'answered');
    assert.deepEqual(
      seen().map((e) => e.data),
      [{ id: peer.identity.idHex, addr: socket.addr }],
    );
    const entry = target.node.state.routing.byId.get(peer.identity.idHex);
    assert.equal(entry?.peer.addr, socket.addr);
  });
});
