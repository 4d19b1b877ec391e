import assert from 'node:assert/strict';
import { test } from 'node:test';
import { added, cached, evicted, failed, given, peerData, peerIn } from './given.js';

/**
 * The routing decisions at their edges (SPEC §2): the exact minute of the head's ping, an
 * eviction with nobody to promote, the /24 share an evicted peer frees, and the `peer`
 * column of every event (the log is queried by peer: `tesd inspect --peer`).
 */

const MINUTE = 60_000;
const T0 = 1_000_000;

test('given a full bucket whose head was seen exactly a minute ago, when a newcomer is seen, then the head is pinged', () => {
  const g = given({ k: 2 });
  const head = peerIn(g.self, 159, '127.1.0.1:1');
  const tail = peerIn(g.self, 159, '127.2.0.1:1');
  const early = peerIn(g.self, 159, '127.3.0.1:1');
  const onTime = peerIn(g.self, 159, '127.4.0.1:1');
  g.fold([added(head, 159), added(tail, 159)], T0)
    .when({ exchange: early, atMs: T0 + MINUTE - 1 })
    .then([['peer_cached', peerData(early, 159)]], [])
    .when({ exchange: onTime, atMs: T0 + MINUTE })
    .then([['peer_cached', peerData(onTime, 159)]], [head]);
});

test('given a third failure and an empty replacement cache, then the peer is evicted and nobody is promoted', () => {
  const g = given();
  const peer = peerIn(g.self, 159, '127.1.0.1:1');
  g.fold([added(peer, 159)], T0).strikeOut(peer, T0 + 1);
  assert.equal(g.view.state.routing.byId.size, 0);
});

test('given a failing peer holding half of its /24 share, when it is evicted, then a replacement of that /24 takes its slot', () => {
  const g = given({ k: 3 });
  const neighbour = peerIn(g.self, 159, '127.1.0.1:1');
  const failing = peerIn(g.self, 159, '127.1.0.2:1');
  const other = peerIn(g.self, 159, '127.2.0.1:1');
  const sameSubnet = peerIn(g.self, 159, '127.1.0.3:1');
  // While `failing` is in the bucket, 127.1.0.0/24 is at its cap of two: the replacement could
  // only have been cached before, so it is folded directly.
  g.fold([added(neighbour, 159), added(failing, 159), added(other, 159)], T0)
    .fold([cached(sameSubnet, 159)], T0)
    .strikeOut(failing, T0 + 1, [['peer_added', peerData(sameSubnet, 159)]]);
});

test('every routing event a decision records names its peer in the peer column', () => {
  const g = given({ k: 1 });
  const head = peerIn(g.self, 159, '127.1.0.1:1');
  const newcomer = peerIn(g.self, 159, '127.2.0.1:1');
  const refs = () => g.decision?.events.map((e) => [e.type, e.refs]);
  const of = (peer: typeof head) => ({ peer: peer.identity.idHex });

  g.when({ exchange: head, atMs: T0 }).then([['peer_added', peerData(head, 159)]]);
  assert.deepEqual(refs(), [['peer_added', of(head)]]);
  g.when({ exchange: newcomer, atMs: T0 + MINUTE }).then(
    [['peer_cached', peerData(newcomer, 159)]],
    [head],
  );
  assert.deepEqual(refs(), [['peer_cached', of(newcomer)]]);
  g.when({ exchange: head, atMs: T0 + 2 * MINUTE }).then([
    ['peer_seen', { id: head.identity.idHex, addr: head.addr }],
  ]);
  assert.deepEqual(refs(), [['peer_seen', of(head)]]);
  g.when({ rpcFailed: head, atMs: T0 + 3 * MINUTE }).then([failed(head, 1)]);
  assert.deepEqual(refs(), [['peer_failed', of(head)]]);
  g.when({ rpcFailed: head, atMs: T0 + 3 * MINUTE + 1 }).then([failed(head, 2)]);
  g.when({ rpcFailed: head, atMs: T0 + 3 * MINUTE + 2 }).then([
    failed(head, 3),
    evicted(head),
    ['peer_added', peerData(newcomer, 159)],
  ]);
  assert.deepEqual(refs(), [
    ['peer_failed', of(head)],
    ['peer_evicted', of(head)],
    ['peer_added', of(newcomer)],
  ]);
});
