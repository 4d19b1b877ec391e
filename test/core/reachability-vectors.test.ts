import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { encode } from '@msgpack/msgpack';
import { fromHex, toHex } from '../../src/core/bytes.js';
import { signingKeyFromSecret } from '../../src/core/ed25519.js';
import { decodeFrame, encodeFrame, isDecodeError } from '../../src/net/frame-codec.js';
import type { Body } from '../../src/net/messages.js';

/** The reachability frames of docs/protocol.md §8 (issue 15), read from the document itself. */
function vectors(): Record<string, string> {
  const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
  const block = /```vectors\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
  return Object.fromEntries(
    block
      .trim()
      .split('\n')
      .map((line) => line.split(': ') as [string, string]),
  );
}

const v = vectors();
const key = signingKeyFromSecret(fromHex(v['secret_key'] ?? '')!);
const from = {
  id: fromHex(v['node_id'] ?? '')!,
  pk: key.pk,
  nonce: Number(v['nonce_difficulty_8']),
  addr: '127.0.0.1:4433',
  caps: 3,
};
const token = fromHex('101112131415161718191a1b1c1d1e1f')!;
const observed = '198.51.100.7:4433';

const cases: Array<[string, number, Body]> = [
  ['dial_back_frame', 8, { req: { op: 'dial_back', token } }],
  ['dialing_frame', 8, { res: { op: 'dialing', observed, asked: true } }],
  ['dial_frame', 9, { req: { op: 'dial', addr: observed, token } }],
  ['will_dial_frame', 9, { res: { op: 'will_dial', ok: true } }],
  ['probe_frame', 10, { req: { op: 'probe', token } }],
  ['probed_frame', 10, { res: { op: 'probed' } }],
];

for (const [name, rid, body] of cases) {
  test(`${name}: encodes byte for byte, is canonical MessagePack and decodes back`, () => {
    const frame = encodeFrame({ v: 1, rid, from, body });
    assert.equal(toHex(frame), v[name]);
    assert.deepEqual(frame.subarray(4), encode({ v: 1, rid, from, body }));
    const decoded = decodeFrame(fromHex(v[name] ?? '')!);
    assert.ok(!isDecodeError(decoded));
    assert.deepEqual(decoded.body, body);
  });
}

test('a dial_back with a short token is an invalid message (error 2)', () => {
  const short = token.subarray(0, 8);
  const body = encode({ v: 1, rid: 8, from, body: { req: { op: 'dial_back', token: short } } });
  const frame = Buffer.alloc(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.set(body, 4);
  const decoded = decodeFrame(frame);
  assert.ok(isDecodeError(decoded));
  assert.equal(decoded.code, 2);
});
