import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode } from '@msgpack/msgpack';
import {
  decodeFrame,
  encodedSize,
  isDecodeError,
  MAX_NESTING_DEPTH,
} from '../../src/net/frame-codec.js';
import { ErrorCode } from '../../src/net/messages.js';

/**
 * SPEC §3.2-§3.4 decode errors, exactly: the code, the reason a peer is told, and the rid kept
 * only when it is a valid one (so the error answer can carry it). Built from raw MessagePack,
 * since none of these could come out of our own encoder.
 */

function frame(value: unknown): Uint8Array {
  const body = encode(value);
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
}

const from = {
  id: new Uint8Array(20).fill(1),
  pk: new Uint8Array(32).fill(2),
  nonce: 7,
  addr: '127.0.0.1:4433',
  caps: 1,
};

function nestedArrays(depth: number, leaf: unknown = 1): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

function nestedMaps(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

test('an unknown version is error 3 with the version in the reason, and the rid kept', () => {
  const error = decodeFrame(frame({ v: 2, rid: 9, from, body: { req: { op: 'ping' } } }));
  assert.deepEqual(error, {
    kind: 'decode_error',
    code: ErrorCode.UNSUPPORTED,
    reason: 'unsupported version 2',
    rid: 9,
  });
  const long = decodeFrame(frame({ v: 'x'.repeat(100), rid: 0, from, body: {} }));
  assert.deepEqual(long, {
    kind: 'decode_error',
    code: ErrorCode.UNSUPPORTED,
    reason: `unsupported version "${'x'.repeat(31)}`,
    rid: 0,
  });
});

test('an unknown op is error 3 naming it (cut to 32 characters); rid 0 is a rid', () => {
  const error = decodeFrame(frame({ v: 1, rid: 0, from, body: { req: { op: 'frobnicate' } } }));
  assert.deepEqual(error, {
    kind: 'decode_error',
    code: ErrorCode.UNSUPPORTED,
    reason: 'unsupported op frobnicate',
    rid: 0,
  });
  const long = decodeFrame(frame({ v: 1, rid: 3, from, body: { req: { op: 'o'.repeat(40) } } }));
  assert.equal((long as { reason: string }).reason, `unsupported op ${'o'.repeat(32)}`);
});

test('an invalid rid is not echoed: negative, fractional, text or absent', () => {
  for (const rid of [-1, 1.5, '7', undefined]) {
    const value = { v: 1, rid, from, body: { req: { op: 'frobnicate' } } };
    const error = decodeFrame(frame(value));
    assert.deepEqual(
      error,
      { kind: 'decode_error', code: ErrorCode.UNSUPPORTED, reason: 'unsupported op frobnicate' },
      `rid ${String(rid)}`,
    );
  }
});

test('a body without a request is error 2, not a crash', () => {
  for (const body of [{}, { res: 1 }, { req: null }, null, 'text']) {
    const error = decodeFrame(frame({ v: 1, rid: 4, from, body }));
    assert.equal((error as { code: number }).code, ErrorCode.INVALID_MESSAGE, JSON.stringify(body));
    assert.match((error as { reason: string }).reason, /^invalid message at /);
    assert.equal((error as { rid?: number }).rid, 4);
  }
});

test(`nesting: ${MAX_NESTING_DEPTH} levels reach validation, one more is refused before it`, () => {
  assert.equal(MAX_NESTING_DEPTH, 8);
  const nesting = `nesting deeper than ${MAX_NESTING_DEPTH}`;
  for (const nested of [nestedArrays, nestedMaps]) {
    const allowed = decodeFrame(frame(nested(MAX_NESTING_DEPTH)));
    assert.equal((allowed as { code: number }).code, ErrorCode.INVALID_MESSAGE);
    assert.notEqual((allowed as { reason: string }).reason, nesting, nested.name);
    const withNull = decodeFrame(frame(nestedArrays(MAX_NESTING_DEPTH, null)));
    assert.notEqual((withNull as { reason: string }).reason, nesting, 'a nil leaf adds no level');
    const refused = decodeFrame(frame(nested(MAX_NESTING_DEPTH + 1)));
    assert.deepEqual(refused, {
      kind: 'decode_error',
      code: ErrorCode.INVALID_MESSAGE,
      reason: nesting,
    });
    const deepInside = decodeFrame(
      frame({ v: 1, rid: 1, from, body: { req: { op: 'ping', x: nested(MAX_NESTING_DEPTH) } } }),
    );
    assert.equal(
      (deepInside as { reason: string }).reason,
      nesting,
      `${nested.name} inside a message`,
    );
  }
});

test('a nesting bomb filling a whole frame is refused without exhausting the stack', () => {
  const body = new Uint8Array(60_000).fill(0x91); // fixarray of one element, 60,000 deep
  body[body.length - 1] = 0xc0;
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  const error = decodeFrame(out);
  assert.equal((error as { code: number }).code, ErrorCode.INVALID_MESSAGE);
});

/** A frame whose header declares `declared` bytes, followed by `body`. */
function framed(declared: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, declared);
  out.set(body, 4);
  return out;
}

test('framing errors say what was wrong, with the byte counts', () => {
  const error = (code: number, reason: string) => ({ kind: 'decode_error', code, reason });
  assert.deepEqual(decodeFrame(new Uint8Array(2)), error(2, 'truncated length prefix'));
  assert.deepEqual(decodeFrame(new Uint8Array(0)), error(2, 'truncated length prefix'));
  const body = encode({ v: 1 });
  assert.deepEqual(
    decodeFrame(framed(body.length + 5, body)),
    error(2, `truncated frame: ${body.length} of ${body.length + 5} bytes`),
  );
  assert.deepEqual(
    decodeFrame(framed(body.length - 2, body)),
    error(2, '2 trailing bytes after frame'),
  );
});

test('bytes that are not MessagePack, or over its limits, are refused by the decoder', () => {
  const garbage = decodeFrame(framed(3, Uint8Array.from([0xc1, 0xc1, 0xc1])));
  assert.equal((garbage as { code: number }).code, ErrorCode.INVALID_MESSAGE);
  assert.match((garbage as { reason: string }).reason, /^invalid MessagePack: /);
  const longText = decodeFrame(frame({ v: 1, rid: 1, from: { ...from, addr: 'a'.repeat(1_025) } }));
  assert.match((longText as { reason: string }).reason, /^invalid MessagePack: /);
  const manyKeys = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i]));
  const wideMap = decodeFrame(frame(manyKeys));
  assert.match((wideMap as { reason: string }).reason, /^invalid MessagePack: /);
  const longBin = decodeFrame(
    frame({ v: 1, rid: 1, from: { ...from, id: new Uint8Array(1_025) } }),
  );
  assert.match((longBin as { reason: string }).reason, /^invalid MessagePack: /);
  const longArray = decodeFrame(frame(Array.from({ length: 1_025 }, () => 0)));
  assert.match((longArray as { reason: string }).reason, /^invalid MessagePack: /);
});

test('isDecodeError tells decode errors from anything else, null included', () => {
  assert.equal(isDecodeError(decodeFrame(new Uint8Array(1))), true);
  assert.equal(isDecodeError(null), false);
  assert.equal(isDecodeError(undefined), false);
  assert.equal(isDecodeError({ kind: 'other' }), false);
});

test('encodedSize leaves absent optional keys out, as the canonical encoding does', () => {
  assert.equal(encodedSize({ a: 1, b: undefined }), encodedSize({ a: 1 }));
  assert.equal(encodedSize({ a: 1 }), 4);
});
