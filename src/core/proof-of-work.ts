import { blake3 } from '@noble/hashes/blake3.js';
import { concatBytes, nonce8, utf8 } from './bytes.js';
import { ID_BYTES, type NodeId } from './node-id.js';

/** SPEC §1: default minimum difficulty, about 256 hashes per identity. */
export const DEFAULT_DIFFICULTY = 8;
/** SPEC §1: nonces are below 2^53 so they survive a JavaScript number and MessagePack. */
export const MAX_NONCE = 2 ** 53 - 1;

const ID_PREFIX = utf8('tesseras-node-id');

/** Leading zero bits of BLAKE3(pk || nonce8)[0..20], from the most significant bit of byte 0. */
export function powBits(pk: Uint8Array, nonce: number): number {
  const digest = blake3(concatBytes(pk, nonce8(nonce)), { dkLen: ID_BYTES });
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/** Node ID = BLAKE3("tesseras-node-id" || pk || nonce8)[0..20] (SPEC §1). */
export function deriveNodeId(pk: Uint8Array, nonce: number): NodeId {
  return blake3(concatBytes(ID_PREFIX, pk, nonce8(nonce)), { dkLen: ID_BYTES });
}

/** The first nonce at or after `start` whose proof of work meets `difficulty`. */
export function findNonce(pk: Uint8Array, difficulty: number, start = 0): number {
  for (let nonce = start; nonce <= MAX_NONCE; nonce++) {
    if (powBits(pk, nonce) >= difficulty) return nonce;
  }
  throw new RangeError('no nonce below 2^53 meets the difficulty');
}
