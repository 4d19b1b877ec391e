import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PeerSocket, startTarget, total, type Target } from './hostile-harness.js';

/**
 * Issue 11 item 1 over real QUIC on loopback: admission is per source host, with a ceiling
 * per /24, and loopback counts only under strict IP diversity. The node's clock is frozen, so
 * each burst falls in one rate window and the counts are exact.
 */

// Requests per host per second: smaller than the default 200 so the suite stays quick.
const QUOTA = 20;

describe('admission by source host under --strict-ip-diversity', () => {
  let target: Target;
  const sockets: PeerSocket[] = [];
  const open = async (host: string, peer?: Parameters<typeof PeerSocket.open>[1]) => {
    const socket = await PeerSocket.open(host, peer);
    sockets.push(socket);
    return socket;
  };

  before(async () => {
    target = await startTarget({ strictIpDiversity: true, requestsPerSecondPerSource: QUOTA });
  });
  after(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await target.close();
  });

  it('holds one host to its quota however many sockets it floods from', async () => {
    const attacker = await Promise.all([1, 2, 3, 4].map(() => open('127.0.0.2')));
    const honest = await open('127.0.0.3');
    const [flood, served] = await Promise.all([
      Promise.all(attacker.map((s) => s.pings(target.addr, 15))).then(total),
      honest.pings(target.addr, 10),
    ]);
    assert.deepEqual(flood, { answered: QUOTA, refused: 4 * 15 - QUOTA, failed: 0 });
    assert.deepEqual(served, { answered: 10, refused: 0, failed: 0 });
  });

  it('gives the host a fresh quota in the next second', async () => {
    target.timers.advance(1_000);
    const attacker = await open('127.0.0.2');
    assert.deepEqual(await attacker.pings(target.addr, QUOTA + 5), {
      answered: QUOTA,
      refused: 5,
      failed: 0,
    });
  });

  it('caps a /24 at four hosts’ quota, all its hosts together', async () => {
    target.timers.advance(1_000);
    const hosts = ['127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7', '127.0.0.8'];
    const network = await Promise.all(hosts.map((host) => open(host)));
    const tally = total(await Promise.all(network.map((s) => s.pings(target.addr, QUOTA))));
    assert.deepEqual(tally, { answered: 4 * QUOTA, refused: QUOTA, failed: 0 });
  });

  it('serves a host of another /24 while its neighbours are over the ceiling', async () => {
    const other = await open('127.0.1.2');
    assert.deepEqual(await other.pings(target.addr, 5), { answered: 5, refused: 0, failed: 0 });
  });
});

describe('admission without --strict-ip-diversity', () => {
  let target: Target;
  let socket: PeerSocket;

  before(async () => {
    target = await startTarget({ strictIpDiversity: false, requestsPerSecondPerSource: QUOTA });
    socket = await PeerSocket.open('127.0.0.2');
  });
  after(async () => {
    await socket.close();
    await target.close();
  });

  it('exempts loopback: a local devnet is never rate limited', async () => {
    assert.deepEqual(await socket.pings(target.addr, 3 * QUOTA), {
      answered: 3 * QUOTA,
      refused: 0,
      failed: 0,
    });
  });
});
