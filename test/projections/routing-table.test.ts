import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toHex } from '../../src/core/bytes.js';
import { bucketIndex, compareDistance } from '../../src/core/distance.js';
import { seededRandom } from '../../src/core/random.js';
import type { NewEvent, StoredEvent } from '../../src/events/event-types.js';
import { IdentityInterner } from '../../src/projections/peer-identity.js';
import {
  closestPeers,
  emptyRouting,
  evolveRouting,
  routingFromJson,
  routingToJson,
} from '../../src/projections/routing-table.js';

const random = seededRandom(3);
const self = random.bytes(20);
let seq = 0;
const stored = (
  event: Omit<NewEvent, 'peer' | 'key' | 'lookup' | 'at'> & { at?: number },
): StoredEvent =>
  ({
    peer: null,
    key: null,
    lookup: null,
    at: 1000,
    ...event,
    seq: ++seq,
    hash: '',
  }) as StoredEvent;

function added(id: Uint8Array, at = 1000): StoredEvent {
  return stored({
    type: 'peer_added',
    at,
    data: {
      id: toHex(id),
      addr: '127.0.0.1:1',
      caps: 1,
      bucket: bucketIndex(self, id),
      pk: '00'.repeat(32),
      nonce: 0,
    },
  });
}

test('given peers added, closestPeers equals a brute-force sort', () => {
  const state = emptyRouting(self, toHex(self), new IdentityInterner());
  const ids: Uint8Array[] = [];
  for (let i = 0; i < 300; i++) {
    const id = random.bytes(20);
    const index = bucketIndex(self, id);
    if ((state.buckets[index]?.entries.length ?? 0) >= 20) continue;
    ids.push(id);
    evolveRouting(state, added(id));
  }
  for (let round = 0; round < 20; round++) {
    const target = round % 2 === 0 ? random.bytes(20) : ids[round]!;
    const expected = [...ids]
      .sort((a, b) => compareDistance(target, a, b))
      .slice(0, 20)
      .map(toHex);
    assert.deepEqual(
      closestPeers(state, target, 20).map((p) => p.identity.idHex),
      expected,
    );
  }
});

test('given peers sharing their first 32 bits with us, closestPeers of any count equals a brute-force sort', () => {
  const state = emptyRouting(self, toHex(self), new IdentityInterner());
  const ids: Uint8Array[] = [];
  for (let i = 0; i < 300; i++) {
    // Half share 4 bytes with us (buckets below 128: equal 32-bit distance prefixes), half random.
    const id = random.bytes(20);
    if (i % 2 === 0) id.set(self.subarray(0, 4));
    const index = bucketIndex(self, id);
    if ((state.buckets[index]?.entries.length ?? 0) >= 20) continue;
    ids.push(id);
    evolveRouting(state, added(id));
  }
  for (const count of [0, 1, 7, 20, 21, 400]) {
    for (let round = 0; round < 10; round++) {
      const target = round % 2 === 0 ? Uint8Array.from(self) : random.bytes(20);
      // Near us: the deeper buckets' order follows the bits of self⊕target (all set, mixed).
      if (round % 4 === 2) target[19] = target[19]! ^ 0xff;
      if (round === 4 || round === 8) target[18] = target[18]! ^ (round === 4 ? 0xa5 : 0x5a);
      const expected = [...ids]
        .sort((a, b) => compareDistance(target, a, b))
        .slice(0, count)
        .map(toHex);
      assert.deepEqual(
        closestPeers(state, target, count).map((p) => p.identity.idHex),
        expected,
        `count ${count}, round ${round}`,
      );
    }
  }
});

test('seen moves a peer to the tail; failures count; evicted removes; JSON round-trips', () => {
  const state = emptyRouting(self, toHex(self), new IdentityInterner());
  const a = Uint8Array.from(self);
  a[19] = a[19]! ^ 1;
  const b = Uint8Array.from(self);
  b[19] = b[19]! ^ 2;
  const c = Uint8Array.from(self);
  c[19] = c[19]! ^ 3;
  for (const id of [b, c]) evolveRouting(state, added(id));
  evolveRouting(
    state,
    stored({ type: 'peer_seen', at: 2000, data: { id: toHex(b), addr: '127.0.0.1:1' } }),
  );
  assert.deepEqual(
    state.buckets[1]?.entries.map((e) => e.peer.identity.idHex),
    [toHex(c), toHex(b)],
  );
  evolveRouting(
    state,
    stored({
      type: 'peer_failed',
      data: { id: toHex(c), addr: '127.0.0.1:1', failures: 2, error: 'timeout' },
    }),
  );
  assert.equal(state.byId.get(toHex(c))?.failures, 2);
  evolveRouting(state, added(a));
  evolveRouting(
    state,
    stored({ type: 'peer_evicted', data: { id: toHex(c), reason: 'unresponsive' } }),
  );
  assert.equal(state.byId.has(toHex(c)), false);
  const copy = routingFromJson(routingToJson(state), self, new IdentityInterner());
  assert.deepEqual(routingToJson(copy), routingToJson(state));
});

test('a peer_added for our own ID is a programmer error', () => {
  const state = emptyRouting(self, toHex(self), new IdentityInterner());
  assert.throws(
    () =>
      evolveRouting(
        state,
        stored({
          type: 'peer_added',
          data: { id: toHex(self), addr: 'x', caps: 1, bucket: 0, pk: '', nonce: 0 },
        }),
      ),
    /own ID/,
  );
});
