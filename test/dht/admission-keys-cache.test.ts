import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admissionKeys } from '../../src/dht/rate-limiter.js';

/**
 * Admission keys are cached per address text, and the cache is fed by every request's source,
 * so it is bounded: 100,000 addresses, then it starts over. Alone in its file, so that the
 * cache starts empty.
 */

const CACHE_SIZE = 100_000;
const nth = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:1`;

test('an address seen again is not parsed again: the same keys object comes back', () => {
  const v4 = admissionKeys('198.51.100.8:1');
  const v6 = admissionKeys('[2001:db8::8]:1');
  assert.equal(admissionKeys('198.51.100.8:1'), v4);
  assert.equal(admissionKeys('[2001:db8::8]:1'), v6);
});

test('the cache holds 100,000 addresses and starts over with the next one', () => {
  // Two addresses are cached by the test before: 99,997 more fill it to 99,999.
  const first = admissionKeys('198.51.100.1:1');
  for (let i = 0; i < CACHE_SIZE - 3; i++) admissionKeys(nth(i));
  assert.equal(admissionKeys('198.51.100.1:1'), first, 'still cached at 100,000 entries');
  admissionKeys(nth(CACHE_SIZE));
  assert.notEqual(admissionKeys('198.51.100.1:1'), first, 'parsed again after the 100,001st');
  assert.deepEqual(admissionKeys('198.51.100.1:1'), first, 'to the same keys');
});
