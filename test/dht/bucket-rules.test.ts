import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketIndex } from '../../src/core/distance.js';
import { IdentityCache, makeIdentity, type NodeIdentity } from '../../src/core/identity.js';
import type { PeerInfo } from '../../src/core/node-info.js';
import { seededRandom } from '../../src/core/random.js';
import { makeConfig, type DhtConfig } from '../../src/dht/config.js';
import type { Decision, EngineView, EventDraft } from '../../src/dht/node-context.js';
import { decideObserved, decideStrike } from '../../src/dht/routing-decisions.js';
import type { StoredEvent } from '../../src/events/event-types.js';
import { emptyNodeState, evolveNode, type NodeState } from '../../src/projections/node-state.js';

/**
 * The routing table's decisions (SPEC §2) as given / when / then, on the folded state: each
 * decision's events are folded as the driver would, so the next decision sees their effect.
 */

const MINUTE = 60_000;
const T0 = 1_700_000_000_000;
const random = seededRandom(16);
const self = makeIdentity(random.bytes(32), 0);

/** A peer whose ID falls in `bucket` of our table (the farthest one, 159, is half the space). */
function peerIn(bucket: number, addr: string): PeerInfo {
  for (;;) {
    const identity: NodeIdentity = makeIdentity(random.bytes(32), 0);
    if (bucketIndex(self.id, identity.id) === bucket) return { identity, addr, caps: 3 };
  }
}

class Table {
  readonly state: NodeState = emptyNodeState(self.id, self.idHex);
  private seq = 0;
  constructor(readonly config: DhtConfig = makeConfig()) {}

  get view(): EngineView {
    return {
      identity: self,
      config: this.config,
      state: this.state,
      identities: new IdentityCache(),
    };
  }

  /** Folds a decision's events at `nowMs`, as the driver records them. */
  apply(decision: Decision, nowMs: number): Decision {
    for (const draft of decision.events) this.fold(draft, nowMs);
    return decision;
  }

  observed(peer: PeerInfo, nowMs: number, lastSuccessAtMs = nowMs) {
    const decision = decideObserved(this.view, peer, { nowMs, lastSuccessAtMs });
    this.apply(decision, nowMs);
    return decision;
  }

  strike(peer: PeerInfo, nowMs: number, lastSuccessAtMs = nowMs): Decision {
    return this.apply(decideStrike(this.view, peer, 'timeout', { nowMs, lastSuccessAtMs }), nowMs);
  }

  entry(peer: PeerInfo) {
    return this.state.routing.byId.get(peer.identity.idHex);
  }

  bucket(index: number) {
    const bucket = this.state.routing.buckets[index];
    return {
      entries: (bucket?.entries ?? []).map((e) => e.peer.identity.idHex),
      replacements: (bucket?.replacements ?? []).map((p) => p.identity.idHex),
    };
  }

  private fold(draft: EventDraft, at: number): void {
    const event = {
      type: draft.type,
      data: draft.data,
      at,
      peer: draft.refs.peer ?? null,
      key: draft.refs.key ?? null,
      lookup: draft.refs.lookup ?? null,
      seq: ++this.seq,
      hash: '',
    } as StoredEvent;
    evolveNode(this.state, event);
  }
}

const types = (decision: Decision): string[] => decision.events.map((e) => e.type);
const ids = (peers: readonly PeerInfo[]): string[] => peers.map((p) => p.identity.idHex);

/** A table whose bucket 159 holds k peers from distinct /24s, added a minute apart from T0. */
function fullBucket(config = makeConfig()): { table: Table; peers: PeerInfo[] } {
  const table = new Table(config);
  const peers = Array.from({ length: config.k }, (_, i) => peerIn(159, `198.51.${i}.1:4433`));
  peers.forEach((p, i) => table.observed(p, T0 + i));
  assert.equal(table.bucket(159).entries.length, config.k);
  return { table, peers };
}

test('given a bucket with room, when a verified peer is observed, then it is added', () => {
  const table = new Table();
  const peer = peerIn(159, '198.51.100.1:4433');
  const decision = table.observed(peer, T0);
  assert.deepEqual(types(decision), ['peer_added']);
  assert.deepEqual(decision.pings, []);
  assert.deepEqual(table.bucket(159).entries, [peer.identity.idHex]);
});

test('a client (no DHT capability) and our own ID never enter the table', () => {
  const table = new Table();
  const client = { ...peerIn(159, '198.51.100.1:1'), caps: 2 };
  assert.deepEqual(table.observed(client, T0).events, []);
  assert.deepEqual(
    table.observed({ identity: self, addr: '198.51.100.2:1', caps: 3 }, T0).events,
    [],
  );
  assert.equal(table.state.routing.byId.size, 0);
});

test('given a full bucket, when a newcomer is observed, then it is cached and the head pinged, nobody evicted', () => {
  const { table, peers } = fullBucket();
  const newcomer = peerIn(159, '198.51.200.1:4433');
  const decision = table.observed(newcomer, T0 + 2 * MINUTE);
  assert.deepEqual(types(decision), ['peer_cached']);
  assert.deepEqual(ids(decision.pings), [peers[0]!.identity.idHex], 'the least recently seen');
  assert.deepEqual(table.bucket(159).entries, ids(peers), 'the head stays until it fails');
  assert.deepEqual(table.bucket(159).replacements, [newcomer.identity.idHex]);
  const again = table.observed(newcomer, T0 + 2 * MINUTE + 1);
  assert.deepEqual(again.events, [], 'the freshest replacement is not cached twice');
  assert.deepEqual(ids(again.pings), [peers[0]!.identity.idHex], 'but the head is pinged again');
});

test('a full bucket whose head was seen within the interval pings nobody', () => {
  const { table } = fullBucket();
  const decision = table.observed(peerIn(159, '198.51.200.1:4433'), T0 + 30_000);
  assert.deepEqual(types(decision), ['peer_cached']);
  assert.deepEqual(decision.pings, []);
});

test('given a head that answers the ping, then it moves to the tail and the newcomer stays cached', () => {
  const { table, peers } = fullBucket();
  const newcomer = peerIn(159, '198.51.200.1:4433');
  table.observed(newcomer, T0 + 2 * MINUTE);
  const pong = table.observed(peers[0]!, T0 + 2 * MINUTE + 50);
  assert.deepEqual(types(pong), ['peer_seen']);
  assert.deepEqual(table.bucket(159).entries, ids([...peers.slice(1), peers[0]!]));
  assert.deepEqual(table.bucket(159).replacements, [newcomer.identity.idHex]);
});

test('a known peer: peer_seen at most once per minute whatever its address does; the next one carries the new address', () => {
  const table = new Table();
  const peer = peerIn(159, '198.51.100.1:4433');
  table.observed(peer, T0);
  assert.deepEqual(table.observed(peer, T0 + 1_000).events, [], 'seen a second ago');
  assert.deepEqual(table.observed(peer, T0 + MINUTE - 1).events, [], 'not yet a minute');
  assert.deepEqual(types(table.observed(peer, T0 + MINUTE)), ['peer_seen'], 'a minute later');
  assert.equal(table.entry(peer)?.lastSeenAtMs, T0 + MINUTE);
  assert.deepEqual(table.observed(peer, T0 + MINUTE + 1).events, []);
  // SPEC §5: a peer rotating its source port must not write a row per port.
  const moved = { ...peer, addr: '198.51.100.1:5555' };
  assert.deepEqual(table.observed(moved, T0 + MINUTE + 2).events, [], 'a new address waits');
  const seen = table.observed(moved, T0 + 2 * MINUTE);
  assert.deepEqual(types(seen), ['peer_seen'], 'a minute after the last one');
  assert.deepEqual(seen.events[0]?.data, { id: peer.identity.idHex, addr: '198.51.100.1:5555' });
  assert.equal(table.entry(peer)?.peer.addr, '198.51.100.1:5555');
});

test('a successful exchange resets failures: three strikes must be consecutive', () => {
  const table = new Table();
  const peer = peerIn(159, '198.51.100.1:4433');
  table.observed(peer, T0);
  assert.deepEqual(types(table.strike(peer, T0 + 1_000)), ['peer_failed']);
  assert.deepEqual(types(table.strike(peer, T0 + 2_000)), ['peer_failed']);
  assert.equal(table.entry(peer)?.failures, 2);
  const answered = table.observed(peer, T0 + 3_000);
  assert.deepEqual(types(answered), ['peer_seen'], 'recorded at once: it had failures');
  assert.equal(table.entry(peer)?.failures, 0);
  const third = table.strike(peer, T0 + 4_000);
  assert.deepEqual(types(third), ['peer_failed']);
  assert.deepEqual(third.events[0]?.data, {
    id: peer.identity.idHex,
    addr: '198.51.100.1:4433',
    failures: 1,
    error: 'timeout',
  });
  assert.ok(table.entry(peer), 'still in the table');
});

test('the third consecutive failure evicts and promotes the freshest replacement', () => {
  const { table, peers } = fullBucket();
  const older = peerIn(159, '198.51.200.1:4433');
  const fresher = peerIn(159, '198.51.201.1:4433');
  table.observed(older, T0 + 2 * MINUTE);
  table.observed(fresher, T0 + 2 * MINUTE + 1);
  const head = peers[0]!;
  table.strike(head, T0 + 3 * MINUTE);
  table.strike(head, T0 + 3 * MINUTE + 1);
  const third = table.strike(head, T0 + 3 * MINUTE + 2);
  assert.deepEqual(types(third), ['peer_failed', 'peer_evicted', 'peer_added']);
  assert.deepEqual(third.events[1]?.data, { id: head.identity.idHex, reason: 'unresponsive' });
  assert.equal((third.events[2]?.data as { id: string }).id, fresher.identity.idHex);
  assert.equal(table.entry(head), undefined);
  assert.ok(table.entry(fresher));
  assert.deepEqual(table.bucket(159).replacements, [older.identity.idHex]);
});

test('a replacement that would break the /24 cap is passed over for one that fits', () => {
  const config = makeConfig({ strictIpDiversity: true });
  const table = new Table(config);
  // Bucket 159: two peers of 198.51.7.0/24 (its cap), the rest from distinct /24s.
  const peers = Array.from({ length: config.k }, (_, i) =>
    peerIn(159, i < 2 ? `198.51.7.${i + 1}:4433` : `198.51.${i + 20}.1:4433`),
  );
  peers.forEach((p, i) => table.observed(p, T0 + i));
  const fitting = peerIn(159, '198.51.99.1:4433');
  table.observed(fitting, T0 + 2 * MINUTE);
  // A third 198.51.7.x could only have been cached while the cap had room: fold it directly.
  const sybil = peerIn(159, '198.51.7.9:4433');
  table.apply(
    {
      events: [
        {
          type: 'peer_cached',
          data: {
            id: sybil.identity.idHex,
            addr: sybil.addr,
            caps: 3,
            bucket: 159,
            pk: Buffer.from(sybil.identity.pk).toString('hex'),
            nonce: 0,
          },
          refs: { peer: sybil.identity.idHex },
        },
      ],
      pings: [],
    },
    T0 + 2 * MINUTE + 1,
  );
  assert.deepEqual(table.bucket(159).replacements, ids([sybil, fitting]));
  const victim = peers[2]!; // not of 198.51.7.0/24: its leaving frees no room in that group
  for (let i = 0; i < 2; i++) table.strike(victim, T0 + 3 * MINUTE + i);
  const third = table.strike(victim, T0 + 3 * MINUTE + 2);
  assert.deepEqual(types(third), ['peer_failed', 'peer_evicted', 'peer_added']);
  assert.equal(
    (third.events[2]?.data as { id: string }).id,
    fitting.identity.idHex,
    'not the Sybil',
  );
});

test('IP diversity: a third peer of one /24 in a bucket, or an eleventh in the table, is rejected', () => {
  const strict = makeConfig({ strictIpDiversity: true });
  const table = new Table(strict);
  table.observed(peerIn(159, '198.51.7.1:1'), T0);
  table.observed(peerIn(159, '198.51.7.2:1'), T0);
  const third = table.observed(peerIn(159, '198.51.7.3:1'), T0);
  assert.deepEqual(third, { events: [], pings: [], rejected: 'ip_diversity' });
  const elsewhere = table.observed(peerIn(158, '198.51.7.3:1'), T0);
  assert.deepEqual(types(elsewhere), ['peer_added'], 'another bucket has its own two');

  const wide = new Table(strict);
  let added = 0;
  for (let bucket = 159; bucket > 150; bucket--)
    for (let i = 0; i < 2 && added < 10; i++) {
      assert.deepEqual(types(wide.observed(peerIn(bucket, `198.51.8.${added + 1}:1`), T0)), [
        'peer_added',
      ]);
      added++;
    }
  assert.equal(wide.state.routing.byId.size, 10);
  const eleventh = wide.observed(peerIn(145, '198.51.8.99:1'), T0);
  assert.equal(eleventh.rejected, 'ip_diversity', 'the table-wide cap of 10');

  const lenient = new Table();
  for (let i = 1; i <= 3; i++)
    assert.deepEqual(types(lenient.observed(peerIn(159, `127.0.0.${i}:1`), T0)), ['peer_added']);
  const strictLoopback = new Table(strict);
  for (let i = 1; i <= 2; i++) strictLoopback.observed(peerIn(159, `127.0.0.${i}:1`), T0);
  assert.equal(strictLoopback.observed(peerIn(159, '127.0.0.3:1'), T0).rejected, 'ip_diversity');
});

test('strikes count per (id, address) and not while our own network is down', () => {
  const table = new Table();
  const peer = peerIn(159, '198.51.100.1:4433');
  table.observed(peer, T0);
  const forged = { ...peer, addr: '198.51.100.66:4433' };
  assert.deepEqual(table.strike(forged, T0 + 1_000).events, [], 'another address: no strike');
  const offline = table.strike(peer, T0 + 5 * MINUTE, T0 + 5 * MINUTE - MINUTE - 1);
  assert.deepEqual(offline.events, [], 'no success for over a minute: our outage, not theirs');
  const online = table.strike(peer, T0 + 5 * MINUTE, T0 + 5 * MINUTE - MINUTE);
  assert.deepEqual(types(online), ['peer_failed'], 'a success exactly a minute ago still counts');
  const unknown = peerIn(159, '198.51.100.9:1');
  assert.deepEqual(table.strike(unknown, T0).events, [], 'a peer not in the table');
});
