import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFrame, isDecodeError, MAX_FRAME_BYTES } from '../../src/net/frame-codec.js';
import { FrameReader } from '../../src/net/frame-reader.js';

function frameOf(body: number[]): Uint8Array {
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setUint32(0, body.length);
  frame.set(body, 4);
  return frame;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

describe('FrameReader', () => {
  it('reassembles a frame whose header and body are split across chunks', () => {
    const frame = frameOf([1, 2, 3, 4, 5]);
    const reader = new FrameReader();
    assert.deepEqual(reader.push(frame.subarray(0, 1)), []);
    assert.equal(reader.midFrame, true);
    assert.deepEqual(reader.push(frame.subarray(1, 3)), []);
    assert.deepEqual(reader.push(frame.subarray(3, 6)), []);
    assert.deepEqual(reader.push(frame.subarray(6)), [frame]);
    assert.equal(reader.midFrame, false);
    assert.equal(reader.end(), null);
  });

  it('returns every frame of a chunk holding several, and keeps a trailing partial one', () => {
    const a = frameOf([1]);
    const b = frameOf([]);
    const c = frameOf([7, 8, 9]);
    const reader = new FrameReader();
    assert.deepEqual(reader.push(concat(a, b, c, c.subarray(0, 2))), [a, b, c]);
    assert.equal(reader.midFrame, true);
    assert.deepEqual(reader.push(c.subarray(2)), [c]);
  });

  it('returns frames prefix included, ready for decodeFrame', () => {
    const reader = new FrameReader();
    const [frame] = reader.push(frameOf([0xc0])); // MessagePack nil: decodes, fails the schema
    assert.ok(frame instanceof Uint8Array);
    const decoded = decodeFrame(frame);
    assert.ok(isDecodeError(decoded) && decoded.code === 2);
  });

  it('accepts a frame of exactly the limit and refuses one byte more from the header alone', () => {
    const header = new Uint8Array(4);
    new DataView(header.buffer).setUint32(0, MAX_FRAME_BYTES);
    const ok = new FrameReader();
    assert.deepEqual(ok.push(header), []);
    const [frame] = ok.push(new Uint8Array(MAX_FRAME_BYTES));
    assert.equal((frame as Uint8Array).length, 4 + MAX_FRAME_BYTES);

    const big = new FrameReader();
    new DataView(header.buffer).setUint32(0, MAX_FRAME_BYTES + 1);
    const [error] = big.push(header);
    assert.ok(isDecodeError(error));
    assert.equal(error.code, 1);
  });

  it('stops at an oversized length: frames before it are returned, bytes after it ignored', () => {
    const good = frameOf([1, 2]);
    const reader = new FrameReader();
    const items = reader.push(concat(good, Uint8Array.of(0xff, 0xff, 0xff, 0xff), good));
    assert.equal(items.length, 2);
    assert.deepEqual(items[0], good);
    assert.ok(isDecodeError(items[1]) && items[1].code === 1);
    assert.deepEqual(reader.push(good), []);
    assert.equal(reader.end(), null);
  });

  it('reports a stream that ends mid-header or mid-body as truncated (code 2)', () => {
    const midHeader = new FrameReader();
    midHeader.push(Uint8Array.of(0, 0));
    const headerError = midHeader.end();
    assert.ok(headerError !== null && headerError.code === 2);

    const midBody = new FrameReader();
    midBody.push(frameOf([1, 2, 3, 4]).subarray(0, 6));
    const bodyError = midBody.end();
    assert.ok(bodyError !== null && bodyError.code === 2);
    assert.match(bodyError.reason, /2 of 4|6 of 8/);
  });

  it('ends cleanly on a frame boundary and on an empty stream', () => {
    const reader = new FrameReader();
    reader.push(frameOf([1]));
    assert.equal(reader.end(), null);
    assert.equal(new FrameReader().end(), null);
  });
});
