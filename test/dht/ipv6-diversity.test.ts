import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toHex } from '../../src/core/bytes.js';
import { signingKeyFromSecret } from '../../src/core/ed25519.js';
import { signPointer, type Pointer } from '../../src/core/pointer.js';
import type { ObserveDecision } from '../../src/dht/routing-decisions.js';
import { pointerToData } from '../../src/projections/pointer-data.js';
import { tableGroupCounts } from '../../src/projections/routing-table.js';
import { added, given, peerData, peerIn } from './given.js';

/**
 * IP diversity for IPv6 (SPEC §2, issue 15): a bucket holds at most 2 peers of one /64 (one
 * machine or subnet), the table at most 10 of one /48 (one site's allocation), and the
 * pointer store's per-source quota counts a /48 as one source.
 */

const T0 = 1_000_000;

test('given a bucket holding two peers of one IPv6 /64, when a third of that /64 is seen, then it is refused; one of another /64 of the same /48 is added', () => {
  const g = given();
  const a = peerIn(g.self, 159, '[2001:db8:1:1::1]:4433');
  const b = peerIn(g.self, 159, '[2001:db8:1:1::2]:4433');
  const third = peerIn(g.self, 159, '[2001:db8:1:1:ffff::3]:4433');
  const neighbour = peerIn(g.self, 159, '[2001:db8:1:2::1]:4433');
  g.fold([added(a, 159), added(b, 159)], T0)
    .when({ exchange: third, atMs: T0 })
    .then([]);
  assert.equal((g.decision as ObserveDecision).rejected, 'ip_diversity');
  g.when({ exchange: neighbour, atMs: T0 }).then([['peer_added', peerData(neighbour, 159)]]);
});

/** Ten peers of 2001:db8:7::/48, two per bucket from 159 down, each in its own /64. */
function tableOfTenFromOneSite() {
  const g = given();
  const peers = Array.from({ length: 10 }, (_, i) =>
    peerIn(g.self, 159 - Math.floor(i / 2), `[2001:db8:7:${i + 1}::1]:4433`),
  );
  g.fold(
    peers.map((p, i) => added(p, 159 - Math.floor(i / 2))),
    T0,
  );
  return { g, peers };
}

test('given ten peers of one IPv6 /48 in the table, when an eleventh of it is seen, then it is refused; one of another /48 is added', () => {
  const { g } = tableOfTenFromOneSite();
  const eleventh = peerIn(g.self, 154, '[2001:db8:7:ff::1]:4433');
  const elsewhere = peerIn(g.self, 154, '[2001:db8:8:ff::1]:4433');
  g.when({ exchange: eleventh, atMs: T0 }).then([]);
  assert.equal((g.decision as ObserveDecision).rejected, 'ip_diversity');
  g.when({ exchange: elsewhere, atMs: T0 }).then([['peer_added', peerData(elsewhere, 154)]]);
});

test('given ten peers of one IPv6 /48, when one of them is evicted or moves to another /48, then the table has room for one more of it', () => {
  const { g, peers } = tableOfTenFromOneSite();
  const first = peerIn(g.self, 154, '[2001:db8:7:ff::1]:4433');
  const second = peerIn(g.self, 154, '[2001:db8:7:fe::1]:4433');
  g.fold(
    [
      {
        type: 'peer_evicted',
        data: { id: peers[0]!.identity.idHex, reason: 'unresponsive' },
        refs: {},
      },
    ],
    T0,
  )
    .when({ exchange: first, atMs: T0 })
    .then([['peer_added', peerData(first, 154)]])
    .when({ exchange: second, atMs: T0 })
    .then([]);
  g.fold(
    [
      {
        type: 'peer_seen',
        data: { id: peers[1]!.identity.idHex, addr: '[2001:db8:9::1]:4433' },
        refs: {},
      },
    ],
    T0,
  )
    .when({ exchange: second, atMs: T0 })
    .then([['peer_added', peerData(second, 154)]]);
});

test('given an IPv4 table, the /24 is both the bucket group and the table group', () => {
  const g = given();
  const a = peerIn(g.self, 159, '198.51.100.1:1');
  const b = peerIn(g.self, 158, '198.51.100.2:1');
  g.fold([added(a, 159), added(b, 158)], T0);
  assert.deepEqual([...tableGroupCounts(g.view.state.routing)], [['198.51.100.0/24', 2]]);
});

const publisherKeys = [1, 2, 3].map((n) => signingKeyFromSecret(new Uint8Array(32).fill(n)));

function pointerBy(n: number): Pointer {
  return signPointer(
    {
      tessera: new Uint8Array(32).fill(n),
      holders: [],
      fragments: [],
      publisher: publisherKeys[n]!.pk,
      seq: 1,
      expires: T0 / 1000 + 3600,
    },
    publisherKeys[n]!,
  );
}

test('given a source /48 at its pointer quota, when another /64 of it stores, then it is refused as quota_per_source; another /48 is stored', () => {
  const g = given({ maxPointersPerSourceGroup: 1 });
  const [first, second, third] = [0, 1, 2].map(pointerBy) as [Pointer, Pointer, Pointer];
  g.when({ store: first, from: '[2001:db8:5:1::1]:4433', atMs: T0 })
    .then([['pointer_stored', { ...pointerToData(first), from: '[2001:db8:5:1::1]:4433' }]])
    .when({ store: second, from: '[2001:db8:5:2::1]:4433', atMs: T0 })
    .then([
      [
        'pointer_refused',
        { key: toHex(second.key), publisher: toHex(second.publisher), reason: 'quota_per_source' },
      ],
    ]);
  assert.deepEqual(g.outcome, { ok: false, reason: 'quota_per_source', errorCode: 4 });
  g.when({ store: third, from: '[2001:db8:6:1::1]:4433', atMs: T0 }).then([
    ['pointer_stored', { ...pointerToData(third), from: '[2001:db8:6:1::1]:4433' }],
  ]);
});
