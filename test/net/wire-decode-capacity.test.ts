import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Encoder } from '@msgpack/msgpack';
import { DECODE_LIMITS } from '../../src/net/frame-codec.js';
import {
  decodeMsgpack,
  decodedNodeSlot,
  holdNodeInfosFor,
  nodeSlotField,
  setSlotField,
  slotFieldOf,
} from '../../src/net/wire-decode.js';

/**
 * The decoder's NodeInfo cache and the per-slot fields later stages keep beside each NodeInfo
 * (its own file: the cache is the process's, and growing it empties it for every other test).
 */

const encoder = new Encoder();
const MARK = nodeSlotField<string>();

/** IDs that differ in their first byte alone: one set of the default 16,384, three of 2^18. */
function nodeWithFirstByte(first: number): object {
  const id = Uint8Array.from({ length: 20 }, (_, i) => (i === 0 ? first : 40 + i));
  const pk = Uint8Array.from({ length: 32 }, (_, i) => first + i);
  return { id, pk, nonce: 1, addr: '198.18.0.1:4433', caps: 1 };
}

const decode = (node: object): object =>
  decodeMsgpack(encoder.encode(node), DECODE_LIMITS) as object;

test('given a field set for a held NodeInfo, when another NodeInfo takes its slot, then the field is empty for the newcomer', () => {
  const [first, second, third] = [10, 11, 12].map((byte) => decode(nodeWithFirstByte(byte)));
  assert.equal(decodedNodeSlot(first!), -1, 'two ways: the first gave way to the third');
  const slot = decodedNodeSlot(second!);
  setSlotField(MARK, slot, 'second');
  assert.equal(slotFieldOf(MARK, slot), 'second');

  decode(nodeWithFirstByte(13)); // the second, used less lately than the third, gives way

  assert.equal(decodedNodeSlot(second!), -1);
  assert.equal(decodedNodeSlot(third!) >= 0, true);
  assert.equal(slotFieldOf(MARK, slot), null, 'the newcomer in the slot carries no mark');
});

test('given three NodeInfos of one set, when the cache grows for 200,000 peers, then it starts empty with every field and holds all three', () => {
  const nodes = [0, 1, 2].map(nodeWithFirstByte);
  const before = nodes.map(decode);
  assert.equal(decodedNodeSlot(before[0]!), -1, 'two ways: the first gave way to the third');
  const markedSlot = decodedNodeSlot(before[1]!);
  setSlotField(MARK, markedSlot, 'seen');

  holdNodeInfosFor(200_000);

  assert.equal(decodedNodeSlot(before[1]!), -1, 'nothing decoded before is held');
  assert.equal(decodedNodeSlot(before[2]!), -1);
  assert.equal(slotFieldOf(MARK, markedSlot), null, 'the field starts empty');
  const slots = nodes.map(decode).map(decodedNodeSlot);
  assert.ok(
    slots.every((slot) => slot >= 0),
    'all three held at once',
  );
  assert.equal(new Set(slots).size, 3);
  assert.ok(Math.max(...slots) >= 2 * 16_384, 'slots past the default ones are in use');
});

test('given a grown cache, when a smaller network asks, then it keeps its size and what it holds', () => {
  holdNodeInfosFor(200_000);
  const held = decode(nodeWithFirstByte(7));
  setSlotField(MARK, decodedNodeSlot(held), 'kept');

  holdNodeInfosFor(10);

  assert.ok(decodedNodeSlot(held) >= 0);
  assert.equal(slotFieldOf(MARK, decodedNodeSlot(held)), 'kept');
});
