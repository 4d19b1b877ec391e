import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diversityGroup, normalizeAddress, parseAddress } from '../../src/core/address.js';
import {
  bucketIndex,
  commonPrefixBits,
  compareDistance,
  randomIdInBucket,
  xorDistance,
} from '../../src/core/distance.js';
import { signingKeyFromSecret } from '../../src/core/ed25519.js';
import { checkIdentity, IdentityCache, makeIdentity } from '../../src/core/identity.js';
import { checkPointer, MAX_POINTER_LIFETIME_S, signPointer } from '../../src/core/pointer.js';
import { findNonce, powBits } from '../../src/core/proof-of-work.js';
import { seededRandom } from '../../src/core/random.js';

const random = seededRandom(11);
const key = signingKeyFromSecret(random.bytes(32));

test('distance: XOR order, shared prefix and bucket index', () => {
  const self = new Uint8Array(20);
  const far = new Uint8Array(20);
  far[0] = 0x80;
  const near = new Uint8Array(20);
  near[19] = 1;
  assert.equal(bucketIndex(self, far), 159);
  assert.equal(bucketIndex(self, near), 0);
  assert.equal(commonPrefixBits(self, self), 160);
  assert.equal(compareDistance(self, near, far), -1);
  assert.deepEqual(xorDistance(far, near).subarray(0, 1), Uint8Array.of(0x80));
  for (let index = 0; index < 160; index += 7) {
    const id = randomIdInBucket(far, index, random.bytes(20));
    assert.equal(bucketIndex(far, id), index);
  }
});

test('proof of work and ID derivation are checked, with the first problem named', () => {
  const nonce = findNonce(key.pk, 8);
  const identity = makeIdentity(key.pk, nonce);
  assert.ok(powBits(key.pk, nonce) >= 8);
  assert.equal(checkIdentity(identity.id, key.pk, nonce, 8), null);
  assert.equal(checkIdentity(new Uint8Array(20), key.pk, nonce, 8), 'id_mismatch');
  assert.equal(checkIdentity(identity.id, key.pk, nonce, 30), 'insufficient_work');
  assert.equal(checkIdentity(identity.id, key.pk, 2 ** 53, 8), 'bad_nonce');
  const cache = new IdentityCache();
  const first = cache.verify(identity.id, key.pk, nonce, 8);
  assert.equal(
    cache.verify(Uint8Array.from(identity.id), Uint8Array.from(key.pk), nonce, 8),
    first,
    'shared object',
  );
  assert.equal(cache.verify(identity.id, key.pk, nonce, 30), 'insufficient_work');
});

test('addresses: canonical form, IPv4-mapped IPv6 as IPv4, /24 and /64 groups', () => {
  assert.equal(normalizeAddress('[::ffff:10.1.2.3]:4433'), '10.1.2.3:4433');
  assert.equal(normalizeAddress('[2001:DB8::1]:4433'), '[2001:db8::1]:4433');
  assert.equal(parseAddress('example.org:4433'), null);
  assert.equal(parseAddress('1.2.3.4:70000'), null);
  assert.equal(diversityGroup('203.0.113.77'), '203.0.113.0/24');
  assert.equal(diversityGroup('2001:db8:1:2:3::1'), '2001:db8:1:2::/64');
});

test('pointers: signature, key, expiry window and size limits', () => {
  const nowMs = 1_800_000_000_000;
  const nowS = nowMs / 1000;
  const unsigned = {
    tessera: random.bytes(32),
    holders: [],
    fragments: [],
    publisher: key.pk,
    seq: 1,
    expires: nowS + 3600,
  };
  const pointer = signPointer(unsigned, key);
  assert.equal(checkPointer(pointer, nowMs), null);
  assert.equal(checkPointer({ ...pointer, seq: 2 }, nowMs), 'bad_signature');
  assert.equal(checkPointer({ ...pointer, key: new Uint8Array(20) }, nowMs), 'bad_key');
  assert.equal(
    checkPointer(signPointer({ ...unsigned, expires: nowS - 1 }, key), nowMs),
    'expired',
  );
  assert.equal(
    checkPointer(
      signPointer({ ...unsigned, expires: nowS + MAX_POINTER_LIFETIME_S + 1 }, key),
      nowMs,
    ),
    'expires_too_far',
  );
  const holders = Array.from({ length: 17 }, () => ({
    id: new Uint8Array(20),
    addr: '127.0.0.1:1',
  }));
  assert.equal(checkPointer(signPointer({ ...unsigned, holders }, key), nowMs), 'too_many_holders');
  const fragments = Array.from({ length: 65 }, (_, idx) => ({ idx, holder: new Uint8Array(20) }));
  assert.equal(
    checkPointer(signPointer({ ...unsigned, fragments }, key), nowMs),
    'too_many_fragments',
  );
});
