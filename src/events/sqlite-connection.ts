import type Database from 'better-sqlite3';
import { TesdError } from '../core/errors.js';

/**
 * The event log's SQLite connections: their settings (WAL, synchronous, cache, checkpoints)
 * and the one-line errors a user sees when events.db cannot be opened.
 */

export const BUSY_TIMEOUT_MS = 50; // a writer never waits long: the event loop would stall
const WAL_AUTOCHECKPOINT_PAGES = 10_000;
const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024; // the WAL shrinks back after a burst

export function sqliteCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : '';
}

/** One clear line for the CLI instead of a stack trace. */
export function openError(path: string, error: unknown): TesdError {
  if (error instanceof TesdError) return error;
  const code = sqliteCode(error);
  const message = (error as Error).message;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return new TesdError('journal_locked', `${path} is locked by another process (${message})`);
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT'))
    return new TesdError(
      'journal_corrupt',
      `${path} is damaged (${message}): run tesd verify, restore a backup or start with --repair`,
    );
  return new TesdError('journal_unreadable', `cannot open ${path}: ${message}`);
}

export function configure(db: Database.Database, cacheMib: number, threaded: boolean): void {
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  // In WAL mode NORMAL syncs only at checkpoints: a commit survives a crash of the process
  // (the WAL is in the OS cache), and a power cut can only lose the last commits, never
  // corrupt the file. FULL would fsync every group commit, which an SD card pays dearly for;
  // snapshots, the points a loss would be detected against, are committed with FULL.
  db.pragma('synchronous = NORMAL');
  db.pragma(`cache_size = ${-cacheMib * 1024}`);
  // The peer and key indexes take scattered inserts: each group commit dirties ~one leaf page
  // per distinct peer. Checkpointing every 40 MB of WAL instead of every 4 MB writes each hot
  // page to the database once per checkpoint rather than ten times: 2x the append rate here
  // (bench/journal.ts), and fewer bytes written to an SD card. Checkpoints normally run in a
  // worker (wal-checkpointer.ts); this threshold is the safety net if the worker falls behind.
  // With the writer thread, this connection only reads (and deletes for retention): it must
  // never run a checkpoint inside the event loop; the thread runs them.
  db.pragma(`wal_autocheckpoint = ${threaded ? 0 : WAL_AUTOCHECKPOINT_PAGES}`);
  db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
}
