import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode } from '@msgpack/msgpack';
import { decodeFrame, MAX_NESTING_DEPTH } from '../../src/net/frame-codec.js';
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

function nestedArrays(depth: number): unknown {
  let value: unknown = 1;
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
