import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Encoder } from '@msgpack/msgpack';
import {
  decodeFrame,
  encodeFrame,
  isDecodeError,
  MAX_FRAME_BYTES,
} from '../../src/net/frame-codec.js';
import type { WireMessage } from '../../src/net/messages.js';
import { noteListedSpans, spanOf, withEncoding } from '../../src/net/wire-encode.js';

const from = {
  id: new Uint8Array(20).fill(1),
  pk: new Uint8Array(32).fill(2),
  nonce: 5,
  addr: '127.0.0.1:4433',
  caps: 3,
};
const ping: WireMessage = { v: 1, rid: 9, from, body: { req: { op: 'ping' } } };
const frameOf = (value: unknown): Uint8Array => {
  const body = new Encoder().encode(value);
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
};
const codeOf = (frame: Uint8Array): number | null => {
  const decoded = decodeFrame(frame);
  return isDecodeError(decoded) ? decoded.code : null;
};

test('every message kind round-trips', () => {
  const bodies: WireMessage['body'][] = [
    { req: { op: 'find_node', target: new Uint8Array(20) } },
    { req: { op: 'find_value', key: new Uint8Array(20).fill(3) } },
    { res: { op: 'pong', observed: '127.0.0.2:9' } },
    { res: { op: 'nodes', nodes: [from, from] } },
    { res: { op: 'value', pointers: [], nodes: [from], more: false } },
    { res: { op: 'stored', ok: false, reason: 'stale_seq' } },
    { err: { code: 4, reason: 'overloaded' } },
  ];
  for (const body of bodies)
    assert.deepEqual(decodeFrame(encodeFrame({ ...ping, body })), { ...ping, body });
});

test('a length over 64 KiB is error 1, checked from the header alone', () => {
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, MAX_FRAME_BYTES + 1);
  assert.equal(codeOf(header), 1);
});

test('truncated frames, trailing bytes, garbage and schema violations are error 2', () => {
  const frame = encodeFrame(ping);
  assert.equal(codeOf(frame.subarray(0, 2)), 2);
  assert.equal(codeOf(frame.subarray(0, frame.length - 3)), 2);
  assert.equal(codeOf(Uint8Array.from([...frame, 0])), 2);
  assert.equal(codeOf(frameOf('not a map')), 2);
  const garbage = Uint8Array.from([0, 0, 0, 3, 0xc1, 0xc1, 0xc1]);
  assert.equal(codeOf(garbage), 2);
  assert.equal(codeOf(frameOf({ ...ping, rid: -1 })), 2);
  assert.equal(codeOf(frameOf({ ...ping, from: { ...from, id: new Uint8Array(19) } })), 2);
  assert.equal(codeOf(frameOf({ ...ping, body: { req: { op: 'ping' }, res: { op: 'pong' } } })), 2);
});

test('deep nesting is refused before validation', () => {
  // 1,000 nested one-element arrays (0x91), written by hand: the encoder itself refuses them.
  const body = Uint8Array.from([...new Array<number>(1000).fill(0x91), 0x01]);
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setUint32(0, body.length);
  frame.set(body, 4);
  const decoded = decodeFrame(frame);
  assert.ok(isDecodeError(decoded) && decoded.code === 2 && decoded.reason.includes('nesting'));
});

test('unknown version or op is error 3, and the rid is kept for the answer', () => {
  const badVersion = decodeFrame(frameOf({ ...ping, v: 2 }));
  assert.ok(isDecodeError(badVersion) && badVersion.code === 3 && badVersion.rid === 9);
  assert.equal(codeOf(frameOf({ ...ping, body: { req: { op: 'teleport' } } })), 3);
});

test('huge declared strings inside a small frame are refused by the decoder limits', () => {
  const bomb = Uint8Array.from([0, 0, 0, 6, 0xdb, 0xff, 0xff, 0xff, 0xff, 0x41]);
  assert.equal(codeOf(bomb), 2);
});

test('encodeFrame refuses a message over 64 KiB instead of sending it', () => {
  const huge: WireMessage = { ...ping, body: { err: { code: 2, reason: 'x'.repeat(70_000) } } };
  assert.throws(() => encodeFrame(huge), RangeError);
  const fits: WireMessage = { ...ping, body: { err: { code: 2, reason: 'x'.repeat(65_000) } } };
  assert.ok(encodeFrame(fits).length <= MAX_FRAME_BYTES + 4);
});

test('bytes decoded from a frame own their memory: overwriting the frame changes none of them', () => {
  const target = new Uint8Array(20).fill(7);
  const frame = encodeFrame({ ...ping, body: { req: { op: 'find_node', target } } });
  const decoded = decodeFrame(frame);
  assert.ok(
    !isDecodeError(decoded) && 'req' in decoded.body && decoded.body.req.op === 'find_node',
  );
  const { req } = decoded.body;
  assert.notEqual(req.target.buffer, frame.buffer);
  frame.fill(0);
  assert.deepEqual(req.target, target);
});

test('a NodeInfo carrying its own bytes is frozen, equal to the plain one, and encodes the same', () => {
  const carrying = withEncoding({ ...from });
  assert.ok(Object.isFrozen(carrying));
  assert.deepEqual(carrying, from, 'the bytes it carries are not one of its fields');
  const body: WireMessage['body'] = { res: { op: 'nodes', nodes: [carrying, from] } };
  assert.deepEqual(
    encodeFrame({ ...ping, from: carrying, body }),
    encodeFrame({ ...ping, body: { res: { op: 'nodes', nodes: [from, from] } } }),
  );
});

test('given a list noted with its spans, when encoded, then its bytes are those of the plain list', () => {
  const other = { ...from, addr: '198.18.0.7:4433', nonce: 70_000 };
  const spans = [spanOf(withEncoding({ ...from })), spanOf(withEncoding({ ...other }))];
  const nodes = spans.map((span) => span.wire);
  noteListedSpans(nodes, spans);
  const body: WireMessage['body'] = { res: { op: 'nodes', nodes } };
  assert.deepEqual(
    encodeFrame({ ...ping, body }),
    encodeFrame({ ...ping, body: { res: { op: 'nodes', nodes: [from, other] } } }),
  );
});

test('given a noted list whose item was replaced since, when encoded, then the new item is written', () => {
  const spans = [spanOf(withEncoding({ ...from })), spanOf(withEncoding({ ...from, caps: 1 }))];
  const nodes = spans.map((span) => span.wire);
  noteListedSpans(nodes, spans);
  const replacement = { ...from, addr: '198.18.0.9:4433' };
  nodes[1] = replacement;
  nodes.push(from);
  const body: WireMessage['body'] = { res: { op: 'nodes', nodes } };
  assert.deepEqual(
    encodeFrame({ ...ping, body }),
    encodeFrame({ ...ping, body: { res: { op: 'nodes', nodes: [from, replacement, from] } } }),
  );
});
