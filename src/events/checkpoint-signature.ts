import { fromHex, toHex, utf8 } from '../core/bytes.js';
import { signBytes, verifySignature, type SigningKey } from '../core/ed25519.js';
import { TesdError } from '../core/errors.js';

/**
 * Checkpoints (SPEC §5): a snapshot's (seq, hash) signed with the node key, so an edit,
 * deletion, reordering or truncation of the log before it is detected even if the attacker
 * rehashes everything after the change.
 *
 *   checkpointBytes = UTF-8 "tesseras-checkpoint-v1" || u64 big-endian seq || 32 hash bytes
 */

const DOMAIN = utf8('tesseras-checkpoint-v1');
const HASH_BYTES = 32;

export interface Checkpoint {
  readonly seq: number;
  /** Hex hash of the event at `seq`. */
  readonly hash: string;
  /** Hex Ed25519 signature over `checkpointBytes(seq, hash)`. */
  readonly signature: string;
}

export function checkpointBytes(seq: number, hash: string): Uint8Array {
  const hashBytes = fromHex(hash);
  if (hashBytes === null || hashBytes.length !== HASH_BYTES)
    throw new TesdError('bad_checkpoint', `checkpoint hash must be 32 bytes hex, got ${hash}`);
  if (!Number.isSafeInteger(seq) || seq < 0)
    throw new TesdError('bad_checkpoint', `checkpoint seq must be a non-negative integer: ${seq}`);
  const out = new Uint8Array(DOMAIN.length + 8 + HASH_BYTES);
  out.set(DOMAIN, 0);
  new DataView(out.buffer).setBigUint64(DOMAIN.length, BigInt(seq));
  out.set(hashBytes, DOMAIN.length + 8);
  return out;
}

/** Hex signature of the checkpoint (seq, hash) by `key`. */
export function signCheckpoint(key: SigningKey, seq: number, hash: string): string {
  return toHex(signBytes(key, checkpointBytes(seq, hash)));
}

/** False for a malformed hash, key or signature as well as a wrong one. */
export function verifyCheckpoint(pk: Uint8Array, checkpoint: Checkpoint): boolean {
  const signature = fromHex(checkpoint.signature);
  if (signature === null) return false;
  let message: Uint8Array;
  try {
    message = checkpointBytes(checkpoint.seq, checkpoint.hash);
  } catch {
    return false;
  }
  return verifySignature(pk, message, signature);
}
