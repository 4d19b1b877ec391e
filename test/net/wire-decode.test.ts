import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Decoder, Encoder } from '@msgpack/msgpack';
import { DECODE_LIMITS, MAX_NESTING_DEPTH } from '../../src/net/frame-codec.js';
import {
  decodeMsgpack,
  decodedItemSlot,
  decodedNodeSlot,
  MsgpackError,
  NestingError,
} from '../../src/net/wire-decode.js';

/**
 * The hot path's MessagePack decoder against the library it replaced (with the same limits,
 * and the nesting check that ran after it): on valid values, values near the limits and
 * random corruptions of them, both accept the same bytes into the same value or both refuse.
 * Ours refuses two more things, both invalid MessagePack: text that is not UTF-8 and
 * extension types (the library's limit of 0 bytes still let an empty one through).
 */

const library = new Decoder({
  maxStrLength: DECODE_LIMITS.maxStrBytes,
  maxBinLength: DECODE_LIMITS.maxBinBytes,
  maxArrayLength: DECODE_LIMITS.maxArrayLength,
  maxMapLength: DECODE_LIMITS.maxMapLength,
  maxExtLength: 0,
});
const encoder = new Encoder();

function depth(value: unknown, level = 0): number {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return level;
  let deepest = level + 1;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depth(child, level + 1));
  return deepest;
}

type Outcome = { ok: true; value: unknown } | { ok: false; reason: string };

function viaLibrary(bytes: Uint8Array): Outcome {
  try {
    const value = library.decode(bytes);
    if (depth(value) > MAX_NESTING_DEPTH) return { ok: false, reason: 'nesting' };
    return { ok: true, value };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

function viaOurs(bytes: Uint8Array): Outcome {
  try {
    return { ok: true, value: decodeMsgpack(bytes, DECODE_LIMITS) };
  } catch (error) {
    assert.ok(error instanceof MsgpackError || error instanceof NestingError, String(error));
    return { ok: false, reason: error instanceof NestingError ? 'nesting' : error.message };
  }
}

const leaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.constantFrom(0, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1),
  fc.constantFrom(-1, -32, -33, -128, -129, -32_768, -32_769, -(2 ** 31), -(2 ** 31) - 1),
  fc.double(),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.string({ minLength: 1_020, maxLength: 1_030 }),
  fc.uint8Array({ maxLength: 40 }),
  fc.uint8Array({ minLength: 1_020, maxLength: 1_030 }),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(
        fc.string({ maxLength: 6 }),
        fc.constantFrom('v', 'rid', 'from', 'addr', 'nodes', 'fragments', 'publisher', 'id', 'ie'),
      ),
      tie('value'),
      { maxKeys: 4 },
    ),
  ),
}));
/** NodeInfos as our encoder writes them, and near misses (the decoder's fast path for them). */
const nodeInfo = fc.record({
  id: fc.oneof(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.uint8Array({ maxLength: 21 })),
  pk: fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 33 })),
  nonce: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.constant(2 ** 40)),
  addr: fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 5 })),
  caps: fc.oneof(fc.nat({ max: 0xffff }), fc.constant(-1), fc.constant('x')),
});
const wide = fc.oneof(
  fc.array(nodeInfo, { maxLength: 3 }),
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1_020, maxLength: 1_030 }),
  fc
    .integer({ min: 30, max: 34 })
    .map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))),
);
const nested = fc
  .integer({ min: 1, max: 12 })
  .map((levels) => Array.from({ length: levels }).reduce<unknown>((inner) => [inner], 1));

function agree(bytes: Uint8Array): void {
  const ours = viaOurs(bytes);
  const theirs = viaLibrary(bytes);
  if (theirs.ok && !ours.ok) {
    assert.match(ours.reason, /not UTF-8|type byte 0xc[789]|type byte 0xd[45678]/, ours.reason);
    return;
  }
  assert.equal(
    ours.ok,
    theirs.ok,
    `ours ${JSON.stringify(ours)}, library's ${JSON.stringify(theirs)}`,
  );
  if (ours.ok && theirs.ok) assert.deepEqual(ours.value, theirs.value);
}

test('valid values, values near the limits and nested ones decode as the library decodes them', () => {
  fc.assert(
    fc.property(fc.oneof(value, wide, nested), (input) => agree(encoder.encode(input))),
    { numRuns: 2_000 },
  );
});

test('corrupted and truncated encodings are refused or accepted as the library does', () => {
  fc.assert(
    fc.property(
      fc.oneof(value, fc.array(nodeInfo, { maxLength: 2 })),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 3,
      }),
      fc.nat(),
      (input, flips, cut) => {
        const bytes = encoder.encode(input).slice();
        for (const [at, byte] of flips) bytes[at % bytes.length] = byte;
        agree(bytes);
        agree(bytes.subarray(0, cut % (bytes.length + 1)));
      },
    ),
    { numRuns: 3_000 },
  );
});

test('keys: __proto__, a map as a key and a number key', () => {
  const proto = Uint8Array.from([0x81, 0xa9, ...Buffer.from('__proto__'), 0x01]);
  assert.throws(() => decodeMsgpack(proto, DECODE_LIMITS), MsgpackError);
  const mapKey = Uint8Array.from([0x81, 0x80, 0x01]);
  assert.throws(() => decodeMsgpack(mapKey, DECODE_LIMITS), /a map key that is an array or map/);
  assert.deepEqual(decodeMsgpack(Uint8Array.from([0x81, 0x07, 0x01]), DECODE_LIMITS), { 7: 1 });
  // A bomb of maps nested through their keys is refused at once, not by exhausting the stack.
  assert.throws(
    () => decodeMsgpack(new Uint8Array(60_000).fill(0x81), DECODE_LIMITS),
    MsgpackError,
  );
});

test('the same NodeInfo bytes decode to one frozen object that owns its bytes; other bytes do not', () => {
  const node = {
    id: Uint8Array.from({ length: 20 }, (_, i) => i + 1),
    pk: Uint8Array.from({ length: 32 }, (_, i) => 100 + i),
    nonce: 7,
    addr: '198.18.0.1:4433',
    caps: 1,
  };
  const frame = encoder.encode([node, node]);
  const [first, second] = decodeMsgpack(frame, DECODE_LIMITS) as unknown[];
  assert.equal(first, second, 'one object for the same bytes');
  assert.ok(Object.isFrozen(first));
  frame.fill(0);
  assert.deepEqual(first, node, 'its bytes are not views into the frame');
  const moved = decodeMsgpack(encoder.encode({ ...node, addr: '198.18.0.2:4433' }), DECODE_LIMITS);
  assert.notEqual(moved, first);
  assert.deepEqual(moved, { ...node, addr: '198.18.0.2:4433' });
});

test('NodeInfos of one ID prefix: two are held at once, and a third replaces the one used less lately', () => {
  const node = {
    id: Uint8Array.from({ length: 20 }, (_, i) => 200 - i),
    pk: Uint8Array.from({ length: 32 }, (_, i) => 50 + i),
    nonce: 9,
    addr: '198.18.0.1:4433',
    caps: 1,
  };
  const at = (addr: string): unknown =>
    decodeMsgpack(encoder.encode({ ...node, addr }), DECODE_LIMITS);
  const first = at('198.18.0.1:4433');
  const second = at('198.18.0.2:4433');
  assert.equal(at('198.18.0.1:4433'), first, 'the first is still held beside the second');
  assert.equal(at('198.18.0.2:4433'), second, 'and the second beside the first');
  assert.equal(at('198.18.0.1:4433'), first);
  const third = at('198.18.0.3:4433');
  assert.deepEqual(third, { ...node, addr: '198.18.0.3:4433' });
  assert.equal(at('198.18.0.1:4433'), first, 'the one used last stays');
  const secondAgain = at('198.18.0.2:4433');
  assert.notEqual(secondAgain, second, 'the one used less lately gave way, and is decoded afresh');
  assert.deepEqual(secondAgain, { ...node, addr: '198.18.0.2:4433' });
});

test('a held NodeInfo is found by its slot; one that gave way and a copy of it are not', () => {
  const node = {
    id: Uint8Array.from({ length: 20 }, (_, i) => 90 + i),
    pk: Uint8Array.from({ length: 32 }, (_, i) => 30 + i),
    nonce: 3,
    addr: '198.18.0.1:4433',
    caps: 1,
  };
  const at = (addr: string): object =>
    decodeMsgpack(encoder.encode({ ...node, addr }), DECODE_LIMITS) as object;
  const first = at('198.18.0.1:4433');
  const second = at('198.18.0.2:4433');
  assert.ok(decodedNodeSlot(first) >= 0 && decodedNodeSlot(second) >= 0);
  assert.notEqual(decodedNodeSlot(first), decodedNodeSlot(second), 'two ways, two slots');
  assert.equal(decodedNodeSlot({ ...first }), -1, 'a copy is not held');
  at('198.18.0.3:4433');
  assert.equal(decodedNodeSlot(first), -1, 'the one used less lately gave way');
  assert.ok(decodedNodeSlot(second) >= 0);
});

test("given an array of NodeInfos just decoded, then each item's slot is found by its index, as by the item", () => {
  const node = (n: number): object => ({
    id: Uint8Array.from({ length: 20 }, (_, i) => 40 + n + i),
    pk: Uint8Array.from({ length: 32 }, (_, i) => n + i),
    nonce: n,
    addr: `198.18.1.${n}:4433`,
    caps: 1,
  });
  const items = decodeMsgpack(
    encoder.encode([node(1), 'not a NodeInfo', node(2)]),
    DECODE_LIMITS,
  ) as object[];
  assert.ok(decodedItemSlot(items, 0) >= 0);
  assert.equal(decodedItemSlot(items, 0), decodedNodeSlot(items[0]!));
  assert.equal(decodedItemSlot(items, 1), -1, 'a text is held nowhere');
  assert.equal(decodedItemSlot(items, 2), decodedNodeSlot(items[2]!));
  assert.equal(decodedItemSlot(items, 3), -1, 'past the end');
  const copy = [...items];
  assert.equal(decodedItemSlot(copy, 2), decodedNodeSlot(items[2]!), 'another array: by the item');
  copy[0] = { ...items[0]! };
  assert.equal(decodedItemSlot(copy, 0), -1, 'a copy of an item is not held');
});

test("given an array decoded, when a later array takes its items' slots, then the first array's items are not found", () => {
  const node = (addr: string): object => ({
    id: Uint8Array.from({ length: 20 }, (_, i) => 7 + i),
    pk: Uint8Array.from({ length: 32 }, (_, i) => 9 + i),
    nonce: 1,
    addr,
    caps: 1,
  });
  const first = decodeMsgpack(encoder.encode([node('198.18.2.1:4433')]), DECODE_LIMITS) as object[];
  assert.ok(decodedItemSlot(first, 0) >= 0);
  // Same ID prefix, two other addresses: both ways of the set are taken by the later array.
  const later = decodeMsgpack(
    encoder.encode([node('198.18.2.2:4433'), node('198.18.2.3:4433')]),
    DECODE_LIMITS,
  ) as object[];
  assert.equal(decodedItemSlot(first, 0), -1);
  assert.ok(decodedItemSlot(later, 0) >= 0 && decodedItemSlot(later, 1) >= 0);
});

test('given a map holding an array of NodeInfos, then the map itself is no held item of an outer array', () => {
  const inner = {
    id: new Uint8Array(20).fill(3),
    pk: new Uint8Array(32).fill(4),
    nonce: 2,
    addr: '198.18.3.1:4433',
    caps: 1,
  };
  const outer = decodeMsgpack(
    encoder.encode([{ nodes: [inner] }, [inner]]),
    DECODE_LIMITS,
  ) as Array<{ nodes: object[] } | object[]>;
  assert.equal(decodedItemSlot(outer, 0), -1);
  assert.equal(decodedItemSlot(outer, 1), -1);
});
