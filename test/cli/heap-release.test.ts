import assert from 'node:assert/strict';
import { test } from 'node:test';
import { heapRelease } from '../../src/cli/heap-release.js';

const MB = 1024 * 1024;

test('after a quiet minute the heap is collected only if it grew 16 MB since the last time', () => {
  let heap = 20 * MB;
  let collections = 0;
  const release = heapRelease(
    () => heap,
    () => {
      collections++;
      heap = 24 * MB; // what the collection leaves
    },
  );
  heap = 30 * MB;
  assert.equal(release.afterQuietMinute(), false, '10 MB of growth is ordinary');
  heap = 40 * MB;
  assert.equal(release.afterQuietMinute(), true);
  assert.equal(collections, 2, 'two collections: the second returns what the first freed');
  heap = 36 * MB;
  assert.equal(release.afterQuietMinute(), false, 'measured from what the collection left');
  heap = 41 * MB;
  assert.equal(release.afterQuietMinute(), true);
});
