import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toHex } from '../../src/core/bytes.js';
import { compareDistance } from '../../src/core/distance.js';
import { seededRandom } from '../../src/core/random.js';
import { addressGroups } from '../../src/projections/network-groups.js';
import { IdentityInterner } from '../../src/projections/peer-identity.js';
import {
  BUCKET_SIZE,
  REPLACEMENT_CACHE_SIZE,
  bucketOf,
  prefix31,
  closestPeers,
  routingFromJson,
  routingToJson,
  tableGroupCount,
  tableGroupCounts,
  type RoutingState,
} from '../../src/projections/routing-table.js';
import { RoutingLog } from './routing-events.js';

/**
 * The routing table's fold (SPEC §2, §5) event by event, with exact expectations: what each
 * event changes, what it must leave alone, and the canonical JSON that snapshots and the
 * rebuild-equals-live checker compare.
 */

const self = seededRandom(4).bytes(20);
const hex = toHex;

test('an empty table has 160 buckets (SPEC §2), none of them created yet', () => {
  const log = new RoutingLog(self);
  assert.equal(log.state.buckets.length, 160);
  assert.deepEqual(Object.keys(log.state.buckets), []);
  assert.deepEqual(routingToJson(log.state), { self: hex(self), buckets: [] });
});

test('a bucket takes k = 20 entries; a 21st peer_added is a programmer error naming the bucket', () => {
  const log = new RoutingLog(self);
  for (let i = 0; i < BUCKET_SIZE; i++) log.added(log.idIn(159));
  assert.equal(log.bucket(159).entries.length, 20);
  assert.throws(() => log.added(log.idIn(159)), {
    message: 'invariant violated: bucket 159 exceeds k',
  });
});

test('peer_seen moves the peer to its bucket tail with the new address, no failures and the time', () => {
  const log = new RoutingLog(self);
  const [a, b, c] = [log.idIn(150), log.idIn(150), log.idIn(150)];
  for (const id of [a, b, c]) log.added(id, 1000);
  log.fold('peer_failed', { id: hex(b), addr: '127.0.0.1:1', failures: 2, error: 'timeout' });
  log.fold('peer_seen', { id: hex(b), addr: '127.0.0.9:9' }, 5000);
  assert.deepEqual(log.bucket(150).entries, [hex(a), hex(c), hex(b)], 'the middle one moved');
  const entry = log.state.byId.get(hex(b));
  assert.equal(entry?.peer.addr, '127.0.0.9:9');
  assert.equal(entry?.failures, 0);
  assert.equal(entry?.lastSeenAtMs, 5000);
  assert.equal(entry?.addedAtMs, 1000);
  assert.equal(log.state.buckets[150]?.lastActivityAtMs, 5000);
  assert.deepEqual(log.state.buckets[150]?.entries[2], entry, 'the bucket and the index agree');
});

test('a peer_seen or peer_failed for a peer not in the table changes nothing', () => {
  const log = new RoutingLog(self);
  log.added(log.idIn(159));
  const before = routingToJson(log.state);
  const stranger = hex(log.idIn(159));
  log.fold('peer_seen', { id: stranger, addr: '127.0.0.1:1' }, 9000);
  log.fold('peer_failed', { id: stranger, addr: '127.0.0.1:1', failures: 1, error: 'timeout' });
  assert.deepEqual(routingToJson(log.state), before);
});

test('peer_failed sets the failures of the peer at that address, in the bucket and the index', () => {
  const log = new RoutingLog(self);
  const [a, b] = [log.idIn(159), log.idIn(159)];
  log.added(a, 1000, '127.0.0.1:1');
  log.added(b, 1000, '127.0.0.2:1');
  log.fold('peer_failed', { id: hex(b), addr: '127.0.0.2:1', failures: 2, error: 'timeout' });
  log.fold('peer_failed', { id: hex(a), addr: '127.0.0.66:1', failures: 1, error: 'timeout' });
  const failures = routingToJson(log.state).buckets[0]?.entries.map((e) => [e.id, e.failures]);
  assert.deepEqual(failures, [
    [hex(a), 0],
    [hex(b), 2],
  ]);
  assert.equal(log.state.byId.get(hex(b))?.failures, 2);
  assert.equal(log.state.byId.get(hex(a))?.failures, 0, 'a strike at another address is not its');
});

test('the replacement cache keeps the 8 newest, newest first; a peer cached again moves to the front', () => {
  const log = new RoutingLog(self);
  const ids = Array.from({ length: REPLACEMENT_CACHE_SIZE + 1 }, () => log.idIn(159));
  for (const id of ids.slice(0, 8)) log.cached(id);
  assert.deepEqual(log.bucket(159).replacements, ids.slice(0, 8).reverse().map(hex), 'all 8');
  log.cached(ids[8]!);
  assert.deepEqual(log.bucket(159).replacements, ids.slice(1).reverse().map(hex), 'oldest out');
  log.cached(ids[4]!);
  assert.deepEqual(
    log.bucket(159).replacements,
    [ids[4]!, ids[8]!, ids[7]!, ids[6]!, ids[5]!, ids[3]!, ids[2]!, ids[1]!].map(hex),
  );
});

test('peer_evicted removes a table peer from its bucket and the index, or a cached one from the cache', () => {
  const log = new RoutingLog(self);
  const [kept, evicted, cachedOnly, cachedElsewhere] = [
    log.idIn(159),
    log.idIn(159),
    log.idIn(159),
    log.idIn(158),
  ];
  log.added(kept);
  log.added(evicted);
  log.cached(cachedOnly);
  log.cached(cachedElsewhere);
  log.fold('peer_evicted', { id: hex(evicted), reason: 'unresponsive' });
  assert.deepEqual(log.bucket(159).entries, [hex(kept)]);
  assert.equal(log.state.byId.has(hex(evicted)), false);
  assert.equal(log.state.byId.size, 1, 'replacements are not in the table');
  log.fold('peer_evicted', { id: hex(cachedElsewhere), reason: 'unresponsive' });
  assert.deepEqual(log.bucket(158).replacements, []);
  assert.deepEqual(log.bucket(159).replacements, [hex(cachedOnly)]);
  assert.deepEqual(log.bucket(159).entries, [hex(kept)]);
});

test('a refresh or bootstrap lookup marks its target bucket active; node and value lookups do not', () => {
  const log = new RoutingLog(self);
  const started = (kind: 'node' | 'value' | 'refresh' | 'bootstrap', index: number, at: number) =>
    log.fold(
      'lookup_started',
      { target: hex(log.idIn(index)), kind, seeds: [], seed_addrs: [] },
      at,
    );
  started('refresh', 150, 1000);
  started('bootstrap', 151, 2000);
  started('node', 152, 3000);
  started('value', 153, 4000);
  const activity = (index: number) => log.state.buckets[index]?.lastActivityAtMs;
  assert.deepEqual(
    [activity(150), activity(151), activity(152), activity(153)],
    [1000, 2000, undefined, undefined],
  );
});

test('a refresh of our own ID or of a malformed target marks no bucket', () => {
  const log = new RoutingLog(self);
  for (const target of [hex(self), 'not hex', 'abc'])
    log.fold('lookup_started', { target, kind: 'refresh', seeds: [], seed_addrs: [] }, 1000);
  assert.deepEqual(Object.keys(log.state.buckets), []);
});

test('bucketOf: -1 for our own ID, else 159 minus the shared prefix bits', () => {
  const log = new RoutingLog(self);
  assert.equal(bucketOf(log.state, self), -1);
  for (const index of [0, 1, 80, 159]) assert.equal(bucketOf(log.state, log.idIn(index)), index);
});

test('closestPeers walks the target bucket, every deeper one down to bucket 0, then shallower ones: a brute-force sort for every count', () => {
  const log = new RoutingLog(self);
  const ids = [0, 0, 1, 2, 2, 3, 5, 5, 7, 40].map((index) => log.idIn(index));
  for (const id of ids) log.added(id);
  const targets = [self, log.idIn(0), log.idIn(3), log.idIn(4), log.idIn(6), log.idIn(159)];
  for (const target of targets)
    for (let count = 0; count <= ids.length + 1; count++) {
      const expected = [...ids]
        .sort((a, b) => compareDistance(target, a, b))
        .slice(0, count)
        .map(hex);
      const found = closestPeers(log.state, target, count).map((p) => p.identity.idHex);
      assert.deepEqual(found, expected, `target ${hex(target)}, count ${count}`);
    }
});

test('routingToJson lists buckets holding entries or replacements, in index order, and skips emptied ones', () => {
  const log = new RoutingLog(self);
  const [gone, cachedOnly, entry] = [log.idIn(10), log.idIn(20), log.idIn(30)];
  log.added(gone, 1000, '127.0.0.1:1');
  log.fold('peer_evicted', { id: hex(gone), reason: 'unresponsive' });
  log.cached(cachedOnly, 2000, '127.0.0.2:2');
  log.added(entry, 3000, '127.0.0.3:3');
  log.fold(
    'lookup_started',
    { target: hex(log.idIn(40)), kind: 'refresh', seeds: [], seed_addrs: [] },
    4000,
  );
  const peer = (id: Uint8Array, addr: string) => ({
    id: hex(id),
    pk: '00'.repeat(32),
    nonce: 0,
    addr,
    caps: 1,
  });
  assert.deepEqual(routingToJson(log.state), {
    self: hex(self),
    buckets: [
      {
        index: 20,
        last_activity_at_ms: 0,
        entries: [],
        replacements: [peer(cachedOnly, '127.0.0.2:2')],
      },
      {
        index: 30,
        last_activity_at_ms: 3000,
        entries: [
          { ...peer(entry, '127.0.0.3:3'), added_at_ms: 3000, last_seen_at_ms: 3000, failures: 0 },
        ],
        replacements: [],
      },
    ],
  });
});

test('routingFromJson restores entries, replacements and activity: its JSON is the same', () => {
  const log = new RoutingLog(self);
  const [a, b, c] = [log.idIn(159), log.idIn(159), log.idIn(100)];
  log.added(a, 1000);
  log.cached(b, 2000, '127.0.0.2:2');
  log.added(c, 3000);
  log.fold('peer_failed', { id: hex(c), addr: '127.0.0.1:1', failures: 1, error: 'timeout' });
  const json = routingToJson(log.state);
  const copy = routingFromJson(json, self, new IdentityInterner());
  assert.deepEqual(routingToJson(copy), json);
  assert.deepEqual(
    copy.buckets[159]?.replacements.map((p) => [p.identity.idHex, p.addr]),
    [[hex(b), '127.0.0.2:2']],
  );
  assert.deepEqual([...copy.byId.keys()].sort(), [hex(a), hex(c)].sort());
});

test('a snapshot that put a peer in the wrong bucket fails loudly when it is read', () => {
  const log = new RoutingLog(self);
  const [a, b] = [log.idIn(159), log.idIn(159)];
  log.added(a);
  log.added(b);
  const json = routingToJson(log.state);
  json.buckets[0]!.index = 5;
  assert.throws(() => routingFromJson(json, self, new IdentityInterner()), {
    message: `invariant violated: snapshot puts peer ${hex(a)} in bucket 5, not its own`,
  });
});

test("an event that puts a peer in another bucket than its ID's fails loudly", () => {
  const log = new RoutingLog(self);
  const a = log.idIn(159);
  const data = { id: hex(a), addr: '127.0.0.1:1', caps: 1, pk: '00'.repeat(32), nonce: 0 };
  assert.throws(() => log.fold('peer_added', { ...data, bucket: 158 }), {
    message: `invariant violated: peer ${hex(a)} not in bucket 158`,
  });
});

test('the index finds entries by ID hex in their bucket, and nothing for our own ID or a non-ID', () => {
  const log = new RoutingLog(self);
  const [a, b, c] = [log.idIn(159), log.idIn(3), log.idIn(3)];
  log.added(a);
  log.added(b);
  const { byId } = log.state;
  assert.equal(byId.get(hex(a))?.peer.identity.idHex, hex(a));
  assert.equal(byId.get(hex(b))?.peer.identity.idHex, hex(b));
  assert.equal(byId.has(hex(c)), false, 'same bucket, not in the table');
  assert.equal(byId.has(hex(self)), false);
  assert.equal(byId.has(hex(b).toUpperCase()), false);
  assert.equal(byId.has(hex(b).slice(2)), false);
  assert.equal(byId.has('zz' + hex(b).slice(2)), false);
  assert.equal(byId.size, 2);
  assert.deepEqual([...byId.keys()], [hex(b), hex(a)], 'bucket by bucket, from bucket 0');
});

test('the table counts its peers per IPv4 /24 and IPv6 /48 as they are added, move and leave', () => {
  const log = new RoutingLog(self);
  const [a, b, c, d] = [log.idIn(159), log.idIn(158), log.idIn(157), log.idIn(156)];
  log.added(a, 1000, '198.51.100.1:1');
  log.added(b, 1000, '198.51.100.2:1');
  log.added(c, 1000, '[2001:db8:1:2::1]:1');
  log.added(d, 1000, '[2001:db8:1:3::1]:1');
  // What the diversity cap reads (one count per group key) and the view by group text.
  const counted = (state: RoutingState) =>
    ['198.51.100.9:1', '198.51.101.9:1', '[2001:db8:1:ffff::9]:1'].map((addr) =>
      tableGroupCount(state, addressGroups(addr).tableKey),
    );
  const groups = () => Object.fromEntries(tableGroupCounts(log.state));
  assert.deepEqual(counted(log.state), [2, 0, 2]);
  assert.deepEqual(groups(), { '198.51.100.0/24': 2, '2001:db8:1::/48': 2 });
  log.fold('peer_seen', { id: hex(a), addr: '198.51.101.1:1' }, 2000);
  assert.deepEqual(counted(log.state), [1, 1, 2]);
  assert.deepEqual(groups(), {
    '198.51.100.0/24': 1,
    '198.51.101.0/24': 1,
    '2001:db8:1::/48': 2,
  });
  log.fold('peer_evicted', { id: hex(c), reason: 'unresponsive' });
  log.fold('peer_evicted', { id: hex(b), reason: 'unresponsive' });
  assert.deepEqual(counted(log.state), [0, 1, 1]);
  assert.deepEqual(groups(), { '198.51.101.0/24': 1, '2001:db8:1::/48': 1 });
  const copy = routingFromJson(routingToJson(log.state), self, new IdentityInterner());
  assert.deepEqual(counted(copy), [0, 1, 1], 'a snapshot restores them');
  assert.deepEqual(Object.fromEntries(tableGroupCounts(copy)), groups());
  assert.equal(copy.tableKeys.length, 2);
});

test('a peer missing from its table group count is a programmer error when it leaves', () => {
  const log = new RoutingLog(self);
  const a = log.idIn(159);
  log.added(a, 1000, '198.51.100.1:1');
  log.state.tableKeys.length = 0;
  assert.throws(() => log.fold('peer_evicted', { id: hex(a), reason: 'unresponsive' }), {
    message: `invariant violated: peer ${hex(a)} not counted in its table group`,
  });
});

test('prefix31: the first 31 bits of an ID as a non-negative integer', () => {
  const id = new Uint8Array(20).fill(0xff);
  id.set([0xde, 0xad, 0xbe, 0xef]);
  assert.equal(prefix31(id), 0xdeadbeef >>> 1);
  assert.equal(prefix31(new Uint8Array(20)), 0);
  assert.equal(prefix31(new Uint8Array(20).fill(0xff)), 0x7fffffff);
});
