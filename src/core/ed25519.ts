import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/** Ed25519 through node:crypto (native; about 13x faster to verify than pure JS here). */

const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
const SPKI_PREFIX = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
]);

export const PUBLIC_KEY_BYTES = 32;
export const SECRET_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

/** A node's signing key. `secretKey` is the 32-byte Ed25519 seed (RFC 8032). */
export interface SigningKey {
  readonly secretKey: Uint8Array;
  readonly pk: Uint8Array;
  readonly privateKey: KeyObject;
}

export function signingKeyFromSecret(secretKey: Uint8Array): SigningKey {
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, secretKey]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return {
    secretKey: Uint8Array.from(secretKey),
    pk: new Uint8Array(spki.subarray(12)),
    privateKey,
  };
}

export function signBytes(key: SigningKey, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, key.privateKey));
}

export function publicKeyObject(pk: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pk]), format: 'der', type: 'spki' });
}

/** False for a malformed key or signature as well as a wrong one: callers only need yes or no. */
export function verifySignature(
  pk: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (pk.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  try {
    return verify(null, message, publicKeyObject(pk), signature);
  } catch {
    return false;
  }
}
