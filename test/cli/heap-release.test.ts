import assert from 'node:assert/strict';
import { test } from 'node:test';
import { heapRelease } from '../../src/cli/heap-release.js';

const MB = 1024 * 1024;

test('the first quiet minute collects what start-up grew; later ones only after 16 MB of growth', () => {
  let heap = 50 * MB;
  let collections = 0;
  const release = heapRelease(
    () => heap,
    () => {
      collections++;
      heap = 24 * MB; // what the collection leaves
    },
  );
  assert.equal(release.afterQuietMinute(), true, 'the first quiet minute after start');
  assert.equal(collections, 2, 'two collections: the second returns what the first freed');
  heap = 34 * MB;
  assert.equal(release.afterQuietMinute(), false, '10 MB of growth is ordinary');
  heap = 40 * MB;
  assert.equal(release.afterQuietMinute(), true);
  assert.equal(collections, 4);
  heap = 36 * MB;
  assert.equal(release.afterQuietMinute(), false, 'measured from what the collection left');
  heap = 41 * MB;
  assert.equal(release.afterQuietMinute(), true);
});
