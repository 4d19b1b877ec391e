import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blake3 } from '@noble/hashes/blake3.js';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex, utf8 } from '../../src/core/bytes.js';
import {
  chainHash,
  encodeRowV1,
  GENESIS_HASH,
  type ChainRow,
} from '../../src/events/hash-chain.js';

/** The v1 encoding written out the slow, obvious way, hashed with a second BLAKE3. */
function referenceHash(previous: string, row: ChainRow): string {
  const field = (value: string | number | null): Uint8Array => {
    if (value === null) return Uint8Array.of(0);
    const bytes = utf8(String(value));
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, bytes.length);
    return concatBytes(Uint8Array.of(1), length, bytes);
  };
  const encoded = [row.seq, row.at, row.type, row.peer, row.key, row.lookup, row.data].map(field);
  return toHex(blake3(concatBytes(fromHex(previous)!, ...encoded)));
}

test('the worked example of docs/event-log.md', () => {
  const row = {
    seq: 1,
    at: 1_700_000_000_000,
    type: 'node_stopped',
    peer: null,
    key: null,
    lookup: null,
    data: '{"reason":"shutdown"}',
  };
  assert.equal(
    toHex(encodeRowV1(row)),
    '0100000001' +
      '31' +
      '010000000d' +
      '31373030303030303030303030' +
      '010000000c' +
      '6e6f64655f73746f70706564' +
      '00' +
      '00' +
      '00' +
      '0100000015' +
      '7b22726561736f6e223a2273687574646f776e227d',
  );
  assert.equal(
    chainHash(GENESIS_HASH, row),
    '5d18e4c42869005357c9fd9c18dcdc8b631cea50c82f4df2cbe907c052ac6ffd',
  );
});

test('property: the fast chain hash equals the reference encoding', () => {
  const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
  fc.assert(
    fc.property(
      hex,
      fc.record({
        seq: fc.nat(),
        at: fc.nat(),
        type: fc.string(),
        peer: fc.option(hex),
        key: fc.option(fc.string({ unit: 'grapheme', maxLength: 3000 })),
        lookup: fc.option(fc.nat()),
        data: fc.string({ unit: 'grapheme', maxLength: 3000 }),
      }),
      (previous, row) => assert.equal(chainHash(previous, row), referenceHash(previous, row)),
    ),
    { numRuns: 300 },
  );
});

test('a malformed previous hash is refused', () => {
  const row = { seq: 1, at: 1, type: 't', peer: null, key: null, lookup: null, data: '{}' };
  assert.throws(() => chainHash('00', row), RangeError);
  assert.throws(() => chainHash('0g'.repeat(32), row), RangeError);
});
