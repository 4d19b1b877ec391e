import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fromHex, toHex } from '../../src/core/bytes.js';
import { signingKeyFromSecret } from '../../src/core/ed25519.js';
import {
  checkPointer,
  pointerKey,
  pointerSigningBytes,
  signPointer,
} from '../../src/core/pointer.js';
import { deriveNodeId, findNonce } from '../../src/core/proof-of-work.js';
import { decodeFrame, encodeFrame } from '../../src/net/frame-codec.js';

/** The vectors of docs/protocol.md §8, read from the document itself. */
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
const hex = (name: string): Uint8Array => fromHex(v[name] ?? '') ?? assert.fail(`vector ${name}`);

test('identity vectors: pk, first nonce at difficulty 8, node ID', () => {
  const key = signingKeyFromSecret(hex('secret_key'));
  assert.equal(toHex(key.pk), v['pk']);
  const nonce = findNonce(key.pk, 8);
  assert.equal(String(nonce), v['nonce_difficulty_8']);
  assert.equal(toHex(deriveNodeId(key.pk, nonce)), v['node_id']);
});

test('ping frame vector encodes and decodes byte for byte', () => {
  const key = signingKeyFromSecret(hex('secret_key'));
  const nonce = Number(v['nonce_difficulty_8']);
  const from = { id: hex('node_id'), pk: key.pk, nonce, addr: '127.0.0.1:4433', caps: 3 };
  const frame = encodeFrame({ v: 1, rid: 7, from, body: { req: { op: 'ping' } } });
  assert.equal(toHex(frame), v['ping_frame']);
  const decoded = decodeFrame(hex('ping_frame'));
  assert.ok(!('kind' in decoded));
  assert.deepEqual(decoded.body, { req: { op: 'ping' } });
});

test('pointer vectors: key, signing bytes and signature', () => {
  const key = signingKeyFromSecret(hex('secret_key'));
  const id = hex('node_id');
  const pointer = signPointer(
    {
      tessera: hex('tessera'),
      holders: [{ id, addr: '127.0.0.1:4433' }],
      fragments: [{ idx: 0, holder: id }],
      publisher: key.pk,
      seq: 1,
      expires: 1_800_000_000,
    },
    key,
  );
  assert.equal(toHex(pointerKey(hex('tessera'))), v['pointer_key']);
  assert.equal(toHex(pointerSigningBytes(pointer)), v['pointer_signing_bytes']);
  assert.equal(toHex(pointer.sig), v['pointer_sig']);
  assert.equal(checkPointer(pointer, 1_799_990_000_000), null);
});
