import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PeerInfo } from '../../src/core/node-info.js';
import { makeConfig } from '../../src/dht/config.js';
import { groupOf } from '../../src/dht/diversity.js';
import { added, cached, given, peerData, peerIn, type Given } from './given.js';

/**
 * IP diversity (SPEC §2) at the eviction that promotes a replacement: the peer leaving frees
 * its place in the table-wide cap of its own /24 only. And the group a lookup or admission
 * counts an address in (`groupOf`).
 */

const T0 = 1_000_000;

/** Ten peers of 198.51.7.0/24 (the table-wide cap), two per bucket from 159 down to 155. */
function tableAtTheCap(): { g: Given; site: PeerInfo[] } {
  const g = given();
  const site = Array.from({ length: 10 }, (_, i) =>
    peerIn(g.self, 159 - Math.floor(i / 2), `198.51.7.${i + 1}:4433`),
  );
  g.fold(
    site.map((p, i) => added(p, 159 - Math.floor(i / 2))),
    T0,
  );
  return { g, site };
}

test('given ten peers of one /24 in the table, when one of them is evicted, then a cached peer of that /24 takes its place', () => {
  const { g, site } = tableAtTheCap();
  const leaving = site[0]!;
  const successor = peerIn(g.self, 159, '198.51.7.50:4433');
  g.fold([cached(successor, 159)], T0);
  g.strikeOut(leaving, T0 + 1, [['peer_added', peerData(successor, 159)]]);
});

test('given ten peers of one /24 in the table, when a peer of another /24 is evicted, then a cached peer of the full /24 is not promoted', () => {
  const { g } = tableAtTheCap();
  const leaving = peerIn(g.self, 150, '198.51.8.1:4433');
  const sybil = peerIn(g.self, 150, '198.51.7.50:4433');
  g.fold([added(leaving, 150), cached(sybil, 150)], T0);
  g.strikeOut(leaving, T0 + 1);
  assert.equal(g.view.state.routing.byId.has(sybil.identity.idHex), false);
});

test('groupOf: the per-bucket group, or null for loopback unless strict IP diversity', () => {
  const lenient = makeConfig({ strictIpDiversity: false });
  const strict = makeConfig({ strictIpDiversity: true });
  assert.equal(groupOf('127.0.0.5:1', lenient), null);
  assert.equal(groupOf('[::1]:1', lenient), null);
  assert.equal(groupOf('127.0.0.5:1', strict), '127.0.0.0/24');
  assert.equal(groupOf('198.51.100.5:1', lenient), '198.51.100.0/24');
  assert.equal(groupOf('[2001:db8:1:2::5]:1', lenient), '2001:db8:1:2::/64');
  assert.equal(groupOf('junk', lenient), 'invalid');
});
