import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeFrame,
  encodeFrame,
  isDecodeError,
  LENGTH_PREFIX_BYTES,
  MAX_FRAME_BYTES,
  readFrameLength,
} from '../../src/net/frame-codec.js';
import { ErrorCode, type WireMessage } from '../../src/net/messages.js';

/**
 * SPEC §3.2 on the sending side: a node never writes a frame over 64 KiB, whatever it was
 * asked to send; exactly 64 KiB is still a frame. And the receiving side's limit is exact.
 */

const from = {
  id: new Uint8Array(20).fill(1),
  pk: new Uint8Array(32).fill(2),
  nonce: 7,
  addr: '127.0.0.1:4433',
  caps: 1,
};

/** An error answer whose reason is `reasonChars` long: its body grows byte for byte. */
function answer(reasonChars: number): WireMessage {
  return { v: 1, rid: 1, from, body: { err: { code: 4, reason: 'x'.repeat(reasonChars) } } };
}

/** The reason length that makes the body exactly `bodyBytes`. */
function reasonFor(bodyBytes: number): number {
  const overhead = encodeFrame(answer(1_000)).length - LENGTH_PREFIX_BYTES - 1_000;
  return bodyBytes - overhead;
}

test('encodeFrame refuses a body over 64 KiB and accepts exactly 64 KiB', () => {
  assert.equal(MAX_FRAME_BYTES, 65_536);
  const exact = encodeFrame(answer(reasonFor(MAX_FRAME_BYTES)));
  assert.equal(exact.length, LENGTH_PREFIX_BYTES + MAX_FRAME_BYTES);
  assert.equal(readFrameLength(exact), MAX_FRAME_BYTES);
  assert.throws(() => encodeFrame(answer(reasonFor(MAX_FRAME_BYTES + 1))), {
    name: 'RangeError',
    message: `frame of ${MAX_FRAME_BYTES + 1} bytes exceeds ${MAX_FRAME_BYTES}`,
  });
  assert.throws(() => encodeFrame(answer(200_000)), RangeError);
});

test('a frame declaring exactly 64 KiB is read; one byte more is error 1', () => {
  const header = (length: number): Uint8Array => {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, length);
    return bytes;
  };
  assert.equal(readFrameLength(header(MAX_FRAME_BYTES)), MAX_FRAME_BYTES);
  const over = readFrameLength(header(MAX_FRAME_BYTES + 1));
  assert.ok(isDecodeError(over));
  assert.equal(over.code, ErrorCode.TOO_LARGE);
  assert.equal(over.reason, `frame length ${MAX_FRAME_BYTES + 1} exceeds ${MAX_FRAME_BYTES}`);
  const decoded = decodeFrame(encodeFrame(answer(reasonFor(MAX_FRAME_BYTES))));
  assert.ok(isDecodeError(decoded), 'the 64 KiB reason is over the decoder’s string limit');
  assert.equal(decoded.code, ErrorCode.INVALID_MESSAGE, 'but the frame itself was accepted');
});
