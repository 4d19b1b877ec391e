import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toHex } from '../../src/core/bytes.js';
import { signingKeyFromSecret } from '../../src/core/ed25519.js';
import { signPointer } from '../../src/core/pointer.js';
import { pointerToData } from '../../src/projections/pointer-data.js';
import type { ObserveDecision } from '../../src/dht/routing-decisions.js';
import { added, cached, given, peerData, peerIn } from './given.js';

const MINUTE = 60_000;
const T0 = 1_000_000;

test('given a full bucket, when a newcomer is seen, then it is cached and the head is pinged, nobody evicted', () => {
  const g = given({ k: 2 });
  const head = peerIn(g.self, 159, '127.1.0.1:1');
  const tail = peerIn(g.self, 159, '127.2.0.1:1');
  const newcomer = peerIn(g.self, 159, '127.3.0.1:1');
  g.fold([added(head, 159), added(tail, 159)], T0)
    .when({ exchange: newcomer, atMs: T0 + 2 * MINUTE })
    .then([['peer_cached', peerData(newcomer, 159)]], [head]);
  assert.equal(g.view.state.routing.byId.has(head.identity.idHex), true);
});

test('given a full bucket whose head answered within the minute, when a newcomer is seen, then it is cached and nobody is pinged', () => {
  const g = given({ k: 2 });
  const head = peerIn(g.self, 159, '127.1.0.1:1');
  const tail = peerIn(g.self, 159, '127.2.0.1:1');
  const newcomer = peerIn(g.self, 159, '127.3.0.1:1');
  g.fold([added(head, 159), added(tail, 159)], T0)
    .when({ exchange: newcomer, atMs: T0 + 10_000 })
    .then([['peer_cached', peerData(newcomer, 159)]], []);
});

test('given a peer with a failure, when it answers, then peer_seen resets its failures', () => {
  const g = given();
  const peer = peerIn(g.self, 159, '127.1.0.1:1');
  const at = T0 + 1_000;
  g.fold([added(peer, 159)], T0)
    .when({ rpcFailed: peer, atMs: at })
    .then([
      ['peer_failed', { id: peer.identity.idHex, addr: peer.addr, failures: 1, error: 'timeout' }],
    ])
    .when({ exchange: peer, atMs: at + 1_000 })
    .then([['peer_seen', { id: peer.identity.idHex, addr: peer.addr }]]);
  assert.equal(g.view.state.routing.byId.get(peer.identity.idHex)?.failures, 0);
  g.when({ rpcFailed: peer, atMs: at + 2_000 }).then([
    ['peer_failed', { id: peer.identity.idHex, addr: peer.addr, failures: 1, error: 'timeout' }],
  ]);
});

test('given a known peer, when it answers again within the minute, then nothing is recorded; after it, peer_seen', () => {
  const g = given();
  const peer = peerIn(g.self, 159, '127.1.0.1:1');
  g.fold([added(peer, 159)], T0)
    .when({ exchange: peer, atMs: T0 + 30_000 })
    .then([])
    .when({ exchange: peer, atMs: T0 + MINUTE - 1 })
    .then([])
    .when({ exchange: peer, atMs: T0 + MINUTE })
    .then([['peer_seen', { id: peer.identity.idHex, addr: peer.addr }]])
    .when({ exchange: peer, atMs: T0 + MINUTE + 5_000 })
    .then([]);
});

test('given a third failure, then the peer is evicted and the freshest replacement the /24 caps allow takes its slot', () => {
  const g = given({ k: 3 });
  // Two peers of 127.1.0.0/24 fill that /24's share of the bucket.
  const a = peerIn(g.self, 159, '127.1.0.1:1');
  const b = peerIn(g.self, 159, '127.1.0.2:1');
  const failing = peerIn(g.self, 159, '127.2.0.1:1');
  const diverse = peerIn(g.self, 159, '127.3.0.1:1');
  const sameSubnet = peerIn(g.self, 159, '127.1.0.3:1');
  // sameSubnet is the freshest replacement (cached last), but a third 127.1.0.x is over the cap.
  g.fold([added(a, 159), added(b, 159), added(failing, 159)], T0)
    .fold([cached(diverse, 159), cached(sameSubnet, 159)], T0)
    .strikeOut(failing, T0 + 1, [['peer_added', peerData(diverse, 159)]]);
});

test('given our own network is down, when a peer fails, then it gets no strike', () => {
  const g = given();
  const peer = peerIn(g.self, 159, '127.1.0.1:1');
  g.fold([added(peer, 159)], T0)
    .when({ rpcFailed: peer, atMs: T0 + 5 * MINUTE, lastSuccessAtMs: T0 + 3 * MINUTE })
    .then([]);
});

test('given a bucket holding two peers of one /24, when a third of it is seen, then it is refused for ip_diversity', () => {
  const g = given();
  const a = peerIn(g.self, 159, '127.1.0.1:1');
  const b = peerIn(g.self, 159, '127.1.0.2:1');
  const third = peerIn(g.self, 159, '127.1.0.3:1');
  g.fold([added(a, 159), added(b, 159)], T0)
    .when({ exchange: third, atMs: T0 })
    .then([]);
  assert.equal((g.decision as ObserveDecision).rejected, 'ip_diversity');
});

test('given a stored pointer, when the same seq arrives with other bytes, then it is refused as conflicting_seq', () => {
  const key = signingKeyFromSecret(new Uint8Array(32).fill(9));
  const nowS = T0 / 1000;
  const sign = (addr: string) =>
    signPointer(
      {
        tessera: new Uint8Array(32).fill(1),
        holders: [{ id: new Uint8Array(20), addr }],
        fragments: [],
        publisher: key.pk,
        seq: 4,
        expires: nowS + 3600,
      },
      key,
    );
  const first = sign('127.1.0.1:1');
  const other = sign('127.1.0.2:1');
  const g = given().when({ store: first, from: '127.5.0.1:1', atMs: T0 });
  assert.deepEqual(g.outcome, { ok: true, change: 'stored' });
  g.then([['pointer_stored', { ...pointerToData(first), from: '127.5.0.1:1' }]])
    .when({ store: first, from: '127.5.0.1:1', atMs: T0 + 1 })
    .then([]);
  assert.deepEqual(g.outcome, { ok: true, change: 'unchanged' });
  const keyHex = toHex(first.key);
  const publisher = toHex(key.pk);
  g.when({ store: other, from: '127.5.0.1:1', atMs: T0 + 2 }).then([
    ['pointer_refused', { key: keyHex, publisher, reason: 'conflicting_seq' }],
  ]);
  assert.deepEqual(g.outcome, { ok: false, reason: 'conflicting_seq' });
});
