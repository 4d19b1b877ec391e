import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { TesdError } from '../core/errors.js';

/**
 * One writer per data directory: a second node on the same directory would interleave its
 * appends with ours and break the gap-free seq and the hash chain. The lock is a file holding
 * the owner's pid, created exclusively; a lock whose pid is dead is stale and taken over.
 */

export const LOCK_FILE = 'tesd.lock';

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock file (only if it is still ours). Idempotent. */
  release(): void;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new TesdError(
      'data_dir_unwritable',
      `cannot create ${path}: ${(error as Error).message}`,
    );
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Takes the data directory's lock or throws a TesdError naming the pid that holds it. */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const path = join(dataDir, LOCK_FILE);
  // Two rounds: the second after removing a stale lock (another starter may win that race).
  for (let attempt = 0; attempt < 2; attempt++) {
    if (tryCreate(path)) {
      let held = true;
      return {
        path,
        release() {
          if (!held) return;
          held = false;
          if (readOwner(path) === process.pid) unlinkSync(path);
        },
      };
    }
    const owner = readOwner(path);
    if (owner !== null && processAlive(owner))
      throw new TesdError(
        'data_dir_locked',
        `data directory ${dataDir} is in use by another tesd (pid ${owner}); ` +
          `stop it first, or remove ${path} if no tesd runs there`,
      );
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new TesdError('data_dir_locked', `data directory ${dataDir}: could not take ${path}`);
}
