import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { toHex } from '../../src/core/bytes.js';
import { chainHash, encodeRowV1, GENESIS_HASH } from '../../src/events/hash-chain.js';
import { referenceHash } from './reference-hash.js';

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
