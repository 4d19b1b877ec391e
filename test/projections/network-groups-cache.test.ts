import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressGroups } from '../../src/projections/network-groups.js';

/**
 * The groups cache is fed from the network (every address in every answer), so it is bounded:
 * 100,000 addresses, then it starts over. Alone in its file, so that the cache starts empty.
 */

const CACHE_SIZE = 100_000;
const nth = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:1`;

test('the cache holds 100,000 addresses and starts over with the next one', () => {
  const first = addressGroups('198.51.100.1:1');
  for (let i = 0; i < CACHE_SIZE - 1; i++) addressGroups(nth(i));
  assert.equal(addressGroups('198.51.100.1:1'), first, 'still cached at 100,000 entries');
  addressGroups(nth(CACHE_SIZE));
  assert.notEqual(addressGroups('198.51.100.1:1'), first, 'parsed again after the 100,001st');
  assert.deepEqual(addressGroups('198.51.100.1:1'), first, 'to the same groups');
});
