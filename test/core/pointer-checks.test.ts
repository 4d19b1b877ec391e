import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signingKeyFromSecret } from '../../src/core/ed25519.js';
import {
  checkPointer,
  MAX_FRAGMENTS,
  MAX_HOLDERS,
  MAX_POINTER_LIFETIME_S,
  pointersEqual,
  signPointer,
  type Pointer,
  type UnsignedPointer,
} from '../../src/core/pointer.js';

/**
 * SPEC §4.1 at its edges: each check on its own, at the exact limits, with the reason it
 * names. Every pointer here is signed over what it carries, so a check that let a bad field
 * through would be caught by no other (the signature would still verify).
 */

const key = signingKeyFromSecret(new Uint8Array(32).fill(3));
const nowMs = 1_750_000_000_500;
const nowS = Math.floor(nowMs / 1000);
const id = (byte: number, length = 20): Uint8Array => new Uint8Array(length).fill(byte);

const unsigned: UnsignedPointer = {
  tessera: new Uint8Array(32).fill(9),
  holders: [{ id: id(1), addr: '127.0.0.1:4433' }],
  fragments: [{ idx: 0, holder: id(1) }],
  publisher: key.pk,
  seq: 1,
  expires: nowS + 3_600,
};
const sign = (changes: Partial<UnsignedPointer>): Pointer =>
  signPointer({ ...unsigned, ...changes }, key);

test('the lifetime limit is 24 h + 5 min', () => {
  assert.equal(MAX_POINTER_LIFETIME_S, 86_700);
});

test('expiry: now is expired, a second later is valid, 24 h + 5 min ahead is the last valid', () => {
  assert.equal(checkPointer(sign({ expires: nowS }), nowMs), 'expired');
  assert.equal(checkPointer(sign({ expires: nowS + 1 }), nowMs), null);
  assert.equal(checkPointer(sign({ expires: nowS + 86_700 }), nowMs), null);
  assert.equal(checkPointer(sign({ expires: nowS + 86_701 }), nowMs), 'expires_too_far');
});

test('16 holders and 64 fragments pass; one more of either is refused with its reason', () => {
  const holders = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ id: id(i), addr: '127.0.0.1:1' }));
  const fragments = (n: number) => Array.from({ length: n }, (_, i) => ({ idx: i, holder: id(i) }));
  assert.equal(MAX_HOLDERS, 16);
  assert.equal(MAX_FRAGMENTS, 64);
  assert.equal(checkPointer(sign({ holders: holders(16) }), nowMs), null);
  assert.equal(checkPointer(sign({ holders: holders(17) }), nowMs), 'too_many_holders');
  assert.equal(checkPointer(sign({ fragments: fragments(64) }), nowMs), null);
  assert.equal(checkPointer(sign({ fragments: fragments(65) }), nowMs), 'too_many_fragments');
});

test('a key, tessera, holder id or fragment holder of the wrong length is a bad field', () => {
  const good = sign({});
  assert.equal(checkPointer(good, nowMs), null);
  assert.equal(checkPointer({ ...good, key: id(0, 19) }, nowMs), 'bad_field');
  assert.equal(checkPointer({ ...good, tessera: id(9, 31) }, nowMs), 'bad_field');
  const shortHolder = sign({ holders: [{ id: id(1, 19), addr: '127.0.0.1:1' }] });
  assert.equal(checkPointer(shortHolder, nowMs), 'bad_field');
  const shortFragment = sign({ fragments: [{ idx: 0, holder: id(1, 21) }] });
  assert.equal(checkPointer(shortFragment, nowMs), 'bad_field');
  const second = sign({
    holders: [
      { id: id(1), addr: '127.0.0.1:1' },
      { id: id(2, 19), addr: '127.0.0.1:2' },
    ],
  });
  assert.equal(checkPointer(second, nowMs), 'bad_field', 'any holder, not only the first');
});

test('the signature covers holders and fragments: changing either after signing breaks it', () => {
  const signed = sign({});
  const moved = { ...signed, holders: [{ id: id(1), addr: '127.0.0.1:4434' }] };
  assert.equal(checkPointer(moved, nowMs), 'bad_signature');
  const otherHolder = { ...signed, holders: [{ id: id(2), addr: '127.0.0.1:4433' }] };
  assert.equal(checkPointer(otherHolder, nowMs), 'bad_signature');
  const noHolders = { ...signed, holders: [] };
  assert.equal(checkPointer(noHolders, nowMs), 'bad_signature');
  const otherFragment = { ...signed, fragments: [{ idx: 1, holder: id(1) }] };
  assert.equal(checkPointer(otherFragment, nowMs), 'bad_signature');
  const otherExpiry = { ...signed, expires: signed.expires + 1 };
  assert.equal(checkPointer(otherExpiry, nowMs), 'bad_signature');
  const otherTessera = sign({ tessera: new Uint8Array(32).fill(8) });
  assert.equal(checkPointer({ ...otherTessera, sig: signed.sig }, nowMs), 'bad_signature');
});

test('pointersEqual needs both the same signature and the same signed bytes', () => {
  const a = sign({});
  assert.equal(pointersEqual(a, sign({})), true);
  const sameBytesOtherSig = { ...a, sig: Uint8Array.from(a.sig, (b, i) => (i === 0 ? b ^ 1 : b)) };
  assert.equal(pointersEqual(a, sameBytesOtherSig), false);
  const otherBytesSameSig = { ...sign({ seq: 2 }), sig: a.sig };
  assert.equal(pointersEqual(a, otherBytesSameSig), false);
  assert.equal(pointersEqual(a, sign({ seq: 2 })), false);
});
