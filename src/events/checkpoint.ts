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
import type { Checkpoint } from './checkpoint-signature.js';

// The signature itself is pure (the engine signs snapshots with it); this file adds the file.
export {
  checkpointBytes,
  signCheckpoint,
  verifyCheckpoint,
  type Checkpoint,
} from './checkpoint-signature.js';

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
