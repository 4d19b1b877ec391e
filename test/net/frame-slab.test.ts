import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frameCopy } from '../../src/net/frame-slab.js';

const filled = (length: number, value: number): Uint8Array => new Uint8Array(length).fill(value);

test('frames copied one after another hold their own bytes and share a slab without overlapping', () => {
  const first = frameCopy(filled(100, 1), 100);
  const second = frameCopy(filled(50, 2), 30);
  assert.equal(first.buffer, second.buffer);
  assert.deepEqual([first.length, second.length], [100, 30]);
  assert.ok(second.byteOffset >= first.byteOffset + first.length);
  first.fill(9);
  assert.deepEqual(second, filled(30, 2));
});

test('a frame over 8 KB has a buffer of its own, sized to it', () => {
  const frame = frameCopy(filled(9_000, 3), 9_000);
  assert.equal(frame.buffer.byteLength, 9_000);
  assert.deepEqual(frame, filled(9_000, 3));
});

test('a full slab gives way to a new one, and frames of the old one keep their bytes', () => {
  const early = frameCopy(filled(8, 4), 8);
  let later = early;
  for (let i = 0; i < 20 && later.buffer === early.buffer; i++)
    later = frameCopy(filled(8_000, 5), 8_000);
  assert.notEqual(later.buffer, early.buffer);
  assert.deepEqual(early, filled(8, 4));
});
