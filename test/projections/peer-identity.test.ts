import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Encoder } from '@msgpack/msgpack';
import { toHex } from '../../src/core/bytes.js';
import { idHexOf, IdentityInterner } from '../../src/projections/peer-identity.js';

/** The shared peer of a table carries what an answer listing it reads, beside its identity. */

const interner = new IdentityInterner();
const identity = interner.intern(
  toHex(new Uint8Array(20).fill(0xab)),
  toHex(new Uint8Array(32).fill(7)),
  12,
);

test('given a shared peer, then its ID hex is its identity ID hex, read from the peer itself', () => {
  const peer = interner.peer(identity, '198.18.5.1:4433', 1);
  assert.equal(peer.idHex, identity.idHex);
  assert.equal(idHexOf(peer), identity.idHex);
  assert.equal(
    idHexOf({ identity, addr: '198.18.5.1:4433', caps: 1 }),
    identity.idHex,
    'a plain peer too',
  );
});

test('given a shared peer, then its arena span holds exactly the MessagePack of its NodeInfo', () => {
  const peer = interner.peer(identity, '198.18.5.2:4433', 3);
  const bytes = peer.encChunk.subarray(peer.encAt, peer.encAt + peer.encLength);
  const { id, pk, nonce } = identity;
  assert.deepEqual(
    bytes,
    new Encoder().encode({ id, pk, nonce, addr: '198.18.5.2:4433', caps: 3 }),
  );
  const other = interner.peer(identity, '198.18.5.3:4433', 3);
  assert.notDeepEqual(
    other.encChunk.subarray(other.encAt, other.encAt + other.encLength),
    bytes,
    'another address, other bytes',
  );
});
