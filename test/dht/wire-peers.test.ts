import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IdentityCache, makeIdentity } from '../../src/core/identity.js';
import { seededRandom } from '../../src/core/random.js';
import { peerFromWire } from '../../src/dht/wire-peers.js';
import { decodeMsgpack } from '../../src/net/wire-decode.js';
import { DECODE_LIMITS } from '../../src/net/frame-codec.js';
import { Encoder } from '@msgpack/msgpack';
import { isTablePeer, sharedInterner } from '../../src/projections/peer-identity.js';

const identity = makeIdentity(seededRandom(77).bytes(32), 0);
const wireOf = (addr: string) => ({
  id: identity.id,
  pk: identity.pk,
  nonce: identity.nonce,
  addr,
  caps: 1,
});
const decoded = (addr: string): ReturnType<typeof wireOf> =>
  decodeMsgpack(new Encoder().encode(wireOf(addr)), DECODE_LIMITS) as ReturnType<typeof wireOf>;

test("a decoded NodeInfo's peer is the process's shared peer, the same object each time", () => {
  const identities = new IdentityCache();
  const first = peerFromWire(decoded('198.18.0.7:4433'), identities, 0);
  assert.ok(typeof first !== 'string' && isTablePeer(first));
  assert.equal(first, sharedInterner.peer(first.identity, '198.18.0.7:4433', 1));
  assert.equal(peerFromWire(decoded('198.18.0.7:4433'), identities, 0), first);
});

test('a NodeInfo not from the decoder, or given another address, gets a peer of its own', () => {
  const identities = new IdentityCache();
  const plain = peerFromWire(wireOf('198.18.0.8:4433'), identities, 0);
  assert.ok(typeof plain !== 'string' && !isTablePeer(plain));
  assert.deepEqual([plain.identity.idHex, plain.addr], [identity.idHex, '198.18.0.8:4433']);
  const observed = peerFromWire(decoded('198.18.0.8:4433'), identities, 0, '198.18.0.9:1');
  assert.ok(typeof observed !== 'string' && !isTablePeer(observed));
  assert.equal(observed.addr, '198.18.0.9:1');
});
