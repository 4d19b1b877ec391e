import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { wireMessageSchema } from '../../src/net/messages.js';
import { validateWireMessage } from '../../src/net/wire-validate.js';
import { DECODE_LIMITS } from '../../src/net/frame-codec.js';
import { decodeMsgpack } from '../../src/net/wire-decode.js';
import { Encoder } from '@msgpack/msgpack';
import { encodeMessageFrame } from '../../src/net/wire-encode.js';

const library = new Encoder({ ignoreUndefined: true });

/**
 * The hot path's hand-written validator must accept and refuse exactly what the zod schema
 * does, and produce the same value. Inputs are near-valid messages with fields swapped for
 * junk, limits crossed and extra keys added, so both sides of every check are exercised.
 */

const junk = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -5, max: 70_000 }),
  fc.constantFrom(1.5, -0, 2 ** 53, 2 ** 32, 0xffff_ffff, 0x1_0000, Number.NaN),
  fc.string({ maxLength: 70 }),
  fc.uint8Array({ minLength: 19, maxLength: 33 }),
  fc.constant([]),
  fc.constant({}),
);
const maybe = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 20, arbitrary: valid }, { weight: 1, arbitrary: junk });
const bytes = (n: number) => maybe(fc.uint8Array({ minLength: n, maxLength: n }));
const uint = (max: number) => maybe(fc.integer({ min: 0, max }));
const address = maybe(fc.string({ minLength: 3, maxLength: 64 }));
const withExtra = (record: fc.Arbitrary<Record<string, unknown>>) =>
  fc
    .tuple(record, fc.option(fc.dictionary(fc.constantFrom('x', 'op2', 'zz'), junk)))
    .map(([r, extra]) => ({ ...r, ...(extra ?? {}) }));
/** Lists of mixed items, and lists of valid items at the length limit and one past it. */
const list = <T>(valid: fc.Arbitrary<T>, max: number) =>
  maybe(
    fc.oneof(
      fc.array(maybe(valid), { maxLength: 3 }),
      fc.array(valid, { minLength: max, maxLength: max + 1 }),
    ),
  );

const validNodeInfo = withExtra(
  fc.record({
    id: bytes(20),
    pk: bytes(32),
    nonce: uint(2 ** 53 - 1),
    addr: address,
    caps: uint(0xffff),
  }),
);
const nodeInfo = maybe(validNodeInfo);
const validPointer = withExtra(
  fc.record({
    key: bytes(20),
    tessera: bytes(32),
    holders: list(fc.record({ id: bytes(20), addr: address }), 16),
    fragments: list(fc.record({ idx: uint(0xffff_ffff), holder: bytes(20) }), 64),
    publisher: bytes(32),
    seq: uint(1000),
    expires: uint(2 ** 40),
    sig: bytes(64),
  }),
);
const pointer = maybe(validPointer);
const request = maybe(
  withExtra(
    fc.oneof(
      fc.record({ op: fc.constantFrom('ping', 'teleport') }),
      fc.record({ op: fc.constant('find_node'), target: bytes(20) }),
      fc.record({ op: fc.constant('find_value'), key: bytes(20) }),
      fc.record({ op: fc.constant('store'), pointer }),
    ),
  ),
);
const response = maybe(
  withExtra(
    fc.oneof(
      fc.record({ op: fc.constantFrom('pong', 'bogus'), observed: address }),
      fc.record({ op: fc.constant('nodes'), nodes: list(validNodeInfo, 20) }),
      fc.record({
        op: fc.constant('value'),
        pointers: list(validPointer, 20),
        nodes: list(validNodeInfo, 20),
        more: maybe(fc.boolean()),
      }),
      fc.record(
        {
          op: fc.constant('stored'),
          ok: maybe(fc.boolean()),
          reason: maybe(fc.string({ maxLength: 201 })),
        },
        { requiredKeys: ['op', 'ok'] },
      ),
    ),
  ),
);
const errorBody = maybe(
  withExtra(fc.record({ code: uint(0xffff), reason: maybe(fc.string({ maxLength: 501 })) })),
);
const body = maybe(
  fc.oneof(
    fc.record({ req: request }),
    fc.record({ res: response }),
    fc.record({ err: errorBody }),
    fc.record({ req: request, res: response }),
  ),
);
const message = maybe(
  withExtra(fc.record({ v: maybe(fc.constant(1)), rid: uint(0xffff_ffff), from: nodeInfo, body })),
);

test('the hand-written validator and encoder agree with the zod schema and the MessagePack library', () => {
  let accepted = 0;
  fc.assert(
    fc.property(message, (value) => {
      const expected = wireMessageSchema.safeParse(value);
      const actual = validateWireMessage(value);
      assert.equal(actual !== undefined, expected.success);
      if (expected.success) {
        accepted++;
        assert.deepEqual(actual, expected.data);
        // The hand-written encoder writes the library's bytes for every valid message.
        const frame = encodeMessageFrame(expected.data, Infinity) as Uint8Array;
        assert.deepEqual(frame.subarray(4), library.encode(expected.data));
      }
    }),
    { numRuns: 1_500, seed: 7 },
  );
  assert.ok(accepted > 100, `only ${accepted} valid messages generated`);
});

test('every limit of the schema is held at its edge, the same way by both validators', () => {
  const b = (n: number) => new Uint8Array(n);
  const from = { id: b(20), pk: b(32), nonce: 1, addr: '10.0.0.1:4433', caps: 3 };
  const ptr = (over: Record<string, unknown> = {}) => ({
    key: b(20),
    tessera: b(32),
    holders: [],
    fragments: [],
    publisher: b(32),
    seq: 1,
    expires: 2,
    sig: b(64),
    ...over,
  });
  const msg = (body: unknown, over: Record<string, unknown> = {}) => ({
    v: 1,
    rid: 1,
    from,
    body,
    ...over,
  });
  const store = (over: Record<string, unknown>) =>
    msg({ req: { op: 'store', pointer: ptr(over) } });
  const holder = { id: b(20), addr: '10.0.0.2:1' };
  const fragment = { idx: 0, holder: b(20) };
  const nodes = (n: number) => msg({ res: { op: 'nodes', nodes: new Array(n).fill(from) } });
  const values = (n: number) =>
    msg({ res: { op: 'value', pointers: new Array(n).fill(ptr()), nodes: [], more: false } });
  const cases: Array<[string, unknown, boolean]> = [
    ['16 holders', store({ holders: new Array(16).fill(holder) }), true],
    ['17 holders', store({ holders: new Array(17).fill(holder) }), false],
    ['64 fragments', store({ fragments: new Array(64).fill(fragment) }), true],
    ['65 fragments', store({ fragments: new Array(65).fill(fragment) }), false],
    ['idx 2^32-1', store({ fragments: [{ ...fragment, idx: 2 ** 32 - 1 }] }), true],
    ['idx 2^32', store({ fragments: [{ ...fragment, idx: 2 ** 32 }] }), false],
    ['seq 2^53-1', store({ seq: 2 ** 53 - 1 }), true],
    ['seq 2^53', store({ seq: 2 ** 53 }), false],
    ['seq 1.5', store({ seq: 1.5 }), false],
    ['expires -1', store({ expires: -1 }), false],
    ['sig of 63', store({ sig: b(63) }), false],
    ['20 nodes', nodes(20), true],
    ['21 nodes', nodes(21), false],
    ['20 pointers', values(20), true],
    ['21 pointers', values(21), false],
    ['caps 0xffff', msg({ req: { op: 'ping' } }, { from: { ...from, caps: 0xffff } }), true],
    ['caps 0x10000', msg({ req: { op: 'ping' } }, { from: { ...from, caps: 0x10000 } }), false],
    ['nonce 2^53', msg({ req: { op: 'ping' } }, { from: { ...from, nonce: 2 ** 53 } }), false],
    ['addr of 3', msg({ req: { op: 'ping' } }, { from: { ...from, addr: 'a:1' } }), true],
    ['addr of 2', msg({ req: { op: 'ping' } }, { from: { ...from, addr: 'a:' } }), false],
    ['addr of 64', msg({ req: { op: 'ping' } }, { from: { ...from, addr: 'a'.repeat(64) } }), true],
    [
      'addr of 65',
      msg({ req: { op: 'ping' } }, { from: { ...from, addr: 'a'.repeat(65) } }),
      false,
    ],
    ['rid 2^32-1', msg({ req: { op: 'ping' } }, { rid: 2 ** 32 - 1 }), true],
    ['rid 2^32', msg({ req: { op: 'ping' } }, { rid: 2 ** 32 }), false],
    ['v 2', msg({ req: { op: 'ping' } }, { v: 2 }), false],
    ['extra keys everywhere', msg({ req: { op: 'ping', x: 1 } }, { x: 2 }), true],
    ['two body keys', msg({ req: { op: 'ping' }, err: { code: 1, reason: '' } }), false],
    ['an extra body key', msg({ req: { op: 'ping' }, x: 1 }), false],
    [
      'stored reason of 200',
      msg({ res: { op: 'stored', ok: false, reason: 'r'.repeat(200) } }),
      true,
    ],
    [
      'stored reason of 201',
      msg({ res: { op: 'stored', ok: false, reason: 'r'.repeat(201) } }),
      false,
    ],
    ['stored reason null', msg({ res: { op: 'stored', ok: false, reason: null } }), false],
    ['err reason of 500', msg({ err: { code: 0xffff, reason: 'r'.repeat(500) } }), true],
    ['err reason of 501', msg({ err: { code: 1, reason: 'r'.repeat(501) } }), false],
    ['err code 0x10000', msg({ err: { code: 0x10000, reason: '' } }), false],
    ['value without more', msg({ res: { op: 'value', pointers: [], nodes: [] } }), false],
    ['unknown response op', msg({ res: { op: 'bogus' } }), false],
    ['unknown request op', msg({ req: { op: 'teleport' } }), false],
    ['an array as body', msg([{ req: { op: 'ping' } }]), false],
  ];
  for (const [name, value, valid] of cases) {
    assert.equal(wireMessageSchema.safeParse(value).success, valid, `zod: ${name}`);
    assert.equal(validateWireMessage(value) !== undefined, valid, `hand-written: ${name}`);
  }
});

test('a decoded NodeInfo is checked each time it comes back until it passes, then is itself', () => {
  const from = {
    id: Uint8Array.from({ length: 20 }, (_, i) => 150 + i),
    pk: Uint8Array.from({ length: 32 }, (_, i) => 10 + i),
    nonce: 4,
    addr: '198.18.0.9:4433',
    caps: 1,
  };
  const validated = (node: typeof from) =>
    validateWireMessage(
      decodeMsgpack(
        library.encode({ v: 1, rid: 1, from: node, body: { req: { op: 'ping' } } }),
        DECODE_LIMITS,
      ),
    );
  const tooManyCaps = { ...from, caps: 0x1_0000 }; // the decoder reads it; the schema refuses it
  assert.equal(validated(tooManyCaps), undefined);
  assert.equal(validated(tooManyCaps), undefined, 'refused again, not remembered as checked');
  const first = validated(from);
  assert.ok(first !== undefined);
  assert.deepEqual(first.from, from);
  assert.equal(validated(from)?.from, first.from, 'the same frozen object, checked once');
});
