import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
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

/**
 * The durable copy of the latest checkpoint, next to events.db. SQLite keeps the snapshot row
 * and the events it covers in the same WAL, so losing the WAL (deleted, or a truncated file)
 * would lose both silently; this small file survives that and makes the loss visible.
 */
export const CHECKPOINT_FILE = 'events.checkpoint';

export function readCheckpointFile(dataDir: string): Checkpoint | null {
  let text: string;
  try {
    text = readFileSync(join(dataDir, CHECKPOINT_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<Checkpoint>;
    if (
      typeof parsed.seq === 'number' &&
      typeof parsed.hash === 'string' &&
      typeof parsed.signature === 'string'
    )
      return { seq: parsed.seq, hash: parsed.hash, signature: parsed.signature };
  } catch {
    // fall through: an unreadable checkpoint file is reported like a missing signature
  }
  return { seq: -1, hash: '', signature: '' };
}

/** Written atomically (temp file, fsync, rename, fsync of the folder). */
export function writeCheckpointFile(dataDir: string, checkpoint: Checkpoint | null): void {
  const path = join(dataDir, CHECKPOINT_FILE);
  if (checkpoint === null) {
    rmSync(path, { force: true });
    return;
  }
  const temp = `${path}.tmp`;
  const fd = openSync(temp, 'w', 0o644);
  try {
    writeSync(fd, JSON.stringify(checkpoint) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  const dir = openSync(dataDir, 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
