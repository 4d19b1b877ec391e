import assert from 'node:assert/strict';
import { test } from 'node:test';
import { utf8 } from '../../src/core/bytes.js';
import { chainHash, GENESIS_HASH, type ChainRow } from '../../src/events/hash-chain.js';
import { referenceHash } from './reference-hash.js';

/**
 * Edges of the hash chain's fast encoder that random rows rarely reach: its shared buffer
 * (4 KiB at first) must grow exactly when a field needs more room, keeping what it already
 * holds, and the previous hash must be exactly 64 hex digits. The order of these tests
 * matters: the first one runs on the fresh 4 KiB buffer.
 */

const PREVIOUS = 'ab'.repeat(32);
const row = (data: string): ChainRow => ({
  seq: 1,
  at: 1,
  type: 't',
  peer: null,
  key: null,
  lookup: null,
  data,
});

test('a data field a few bytes past the fresh 4 KiB buffer is hashed whole', () => {
  // 32 bytes of previous hash + six short fields put `data` at byte 53; 1,347 three-byte
  // characters need 53 + 5 + 4,041 = 4,099 bytes: 3 past the buffer, within 10 of its end.
  const data = '€'.repeat(1_347);
  assert.equal(utf8(data).length, 4_041);
  assert.equal(chainHash(PREVIOUS, row(data)), referenceHash(PREVIOUS, row(data)));
});

test('a field many times the buffer is hashed whole, after the fields before it', () => {
  const data = '€'.repeat(30_000) + 'tail';
  const big: ChainRow = { ...row(data), peer: 'cd'.repeat(32), key: 'k'.repeat(5_000) };
  assert.equal(chainHash(PREVIOUS, big), referenceHash(PREVIOUS, big));
  const after = row('{}');
  assert.equal(chainHash(PREVIOUS, after), referenceHash(PREVIOUS, after), 'and after it');
});

test('multi-byte text counts its UTF-8 bytes in the length prefix, not UTF-16 units', () => {
  const data = '{"x":"é€😀"}';
  assert.equal(chainHash(GENESIS_HASH, row(data)), referenceHash(GENESIS_HASH, row(data)));
});

test('a previous hash with anything before or after its 64 hex digits is refused', () => {
  const r = row('{}');
  const message = /previous hash must be 32 bytes hex/;
  assert.throws(() => chainHash(`x${GENESIS_HASH}`, r), { name: 'RangeError', message });
  assert.throws(() => chainHash(`${GENESIS_HASH}00`, r), { name: 'RangeError', message });
  assert.throws(() => chainHash(`${GENESIS_HASH}x`, r), { name: 'RangeError', message });
  assert.equal(chainHash(GENESIS_HASH.toUpperCase(), r), chainHash(GENESIS_HASH, r));
});
