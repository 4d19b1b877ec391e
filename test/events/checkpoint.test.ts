import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toHex } from '../../src/core/bytes.js';
import { checkpointBytes, signCheckpoint, verifyCheckpoint } from '../../src/events/checkpoint.js';
import { nodeKey } from './store-fixtures.js';

const HASH = '5d18e4c42869005357c9fd9c18dcdc8b631cea50c82f4df2cbe907c052ac6ffd';

test('checkpoint bytes: domain, u64 big-endian seq, hash bytes', () => {
  assert.equal(
    toHex(checkpointBytes(258, HASH)),
    toHex(new TextEncoder().encode('tesseras-checkpoint-v1')) + '0000000000000102' + HASH,
  );
  assert.throws(() => checkpointBytes(1, 'abcd'), { code: 'bad_checkpoint' });
});

test('a signed checkpoint verifies, and not with another seq, hash or key', () => {
  const signature = signCheckpoint(nodeKey, 7, HASH);
  assert.ok(verifyCheckpoint(nodeKey.pk, { seq: 7, hash: HASH, signature }));
  assert.ok(!verifyCheckpoint(nodeKey.pk, { seq: 8, hash: HASH, signature }));
  assert.ok(!verifyCheckpoint(nodeKey.pk, { seq: 7, hash: '00'.repeat(32), signature }));
  assert.ok(!verifyCheckpoint(new Uint8Array(32), { seq: 7, hash: HASH, signature }));
  assert.ok(!verifyCheckpoint(nodeKey.pk, { seq: 7, hash: HASH, signature: 'zz' }));
});
