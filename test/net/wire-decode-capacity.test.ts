import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Encoder } from '@msgpack/msgpack';
import { DECODE_LIMITS } from '../../src/net/frame-codec.js';
import {
  decodeMsgpack,
  decodedNodeSlot,
  holdNodeInfosFor,
  nodeSlotArray,
} from '../../src/net/wire-decode.js';

/**
 * The decoder's NodeInfo cache grows for a simulation of many peers (its own file: the cache
 * is the process's, and growing it empties it for every other test).
 */

const encoder = new Encoder();

/** IDs that differ in their first byte alone: one set of the default 16,384, three of 2^18. */
function nodeWithFirstByte(first: number): object {
  const id = Uint8Array.from({ length: 20 }, (_, i) => (i === 0 ? first : 40 + i));
  const pk = Uint8Array.from({ length: 32 }, (_, i) => first + i);
  return { id, pk, nonce: 1, addr: '198.18.0.1:4433', caps: 1 };
}

const decode = (node: object): object =>
  decodeMsgpack(encoder.encode(node), DECODE_LIMITS) as object;

test('given three NodeInfos of one set, when the cache grows for 200,000 peers, then it starts empty with every per-slot array and holds all three', () => {
  const nodes = [0, 1, 2].map(nodeWithFirstByte);
  const marks = nodeSlotArray<string>();
  const before = nodes.map(decode);
  assert.equal(decodedNodeSlot(before[0]!), -1, 'two ways: the first gave way to the third');
  marks.items[decodedNodeSlot(before[1]!)] = 'seen';
  assert.equal(marks.items.length, 2 * 16_384);

  holdNodeInfosFor(200_000);

  assert.equal(decodedNodeSlot(before[1]!), -1, 'nothing decoded before is held');
  assert.equal(decodedNodeSlot(before[2]!), -1);
  assert.equal(marks.items.length, 2 * (1 << 18));
  assert.ok(
    marks.items.every((item) => item === null),
    'the per-slot array starts empty',
  );
  const after = nodes.map(decode);
  const slots = after.map(decodedNodeSlot);
  assert.ok(
    slots.every((slot) => slot >= 0),
    'all three held at once',
  );
  assert.equal(new Set(slots).size, 3);
});

test('given a grown cache, when a smaller network asks, then it keeps its size and what it holds', () => {
  holdNodeInfosFor(200_000);
  const held = decode(nodeWithFirstByte(7));
  const marks = nodeSlotArray<string>();

  holdNodeInfosFor(10);

  assert.ok(decodedNodeSlot(held) >= 0);
  assert.equal(marks.items.length, 2 * (1 << 18));
});
