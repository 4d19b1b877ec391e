import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TesdError } from '../core/errors.js';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js';
import { BUSY_TIMEOUT_MS, configure, openError } from './sqlite-connection.js';
import { applyMigrations, checkMigrated } from './migrations.js';
import { verifyTail } from './verify-log.js';

/**
 * Opening `<dataDir>/events.db` before a store exists: the directory, its lock, the settings,
 * migrations and the check of the tail. Whatever fails on the way (including the caller's
 * `build`) closes what was opened and becomes one line for the CLI (openError).
 */

export const EVENTS_DB_FILE = 'events.db';

export interface OpenSettings {
  /** Take the data directory lock (false when the caller holds it). */
  lock: boolean;
  /** Connection settings for a store whose commits run in the writer thread. */
  threaded: boolean;
  cacheMib: number;
  /** Check the chain from the latest checkpoint to the tail. */
  verify: boolean;
  /** Hex node public key for checkpoint signatures (else taken from the log). */
  pk: string | undefined;
}

/** `build` gets the migrated, verified connection, the lock (if taken) and the file's path. */
export function openEventsDb<T>(
  dataDir: string,
  settings: OpenSettings,
  build: (db: Database.Database, lock: DataDirLock | null, path: string) => T,
): T {
  const path = join(dataDir, EVENTS_DB_FILE);
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new TesdError('data_dir_unwritable', `cannot create ${dataDir}: ${String(error)}`);
  }
  const lock = settings.lock ? acquireDataDirLock(dataDir) : null;
  let db: Database.Database | null = null;
  try {
    db = new Database(path);
    configure(db, settings.cacheMib, settings.threaded);
    applyMigrations(db);
    if (settings.verify) verifyOrThrow(db, dataDir, settings.pk);
    return build(db, lock, path);
  } catch (error) {
    db?.close();
    lock?.release();
    throw openError(path, error);
  }
}

function verifyOrThrow(db: Database.Database, dataDir: string, pk: string | undefined): void {
  const report = verifyTail(db, { dataDir, ...(pk ? { pk } : {}) });
  if (!report.ok)
    throw new TesdError(
      'journal_corrupt',
      `event log in ${dataDir} is broken at seq ${report.firstBadSeq}: ` +
        `${report.problems[0]}; see tesd verify, or start with --repair`,
    );
}

/** With SQLite's read-only flag: no lock, no migrations (it refuses an unmigrated file). */
export function openEventsDbReadOnly<T>(dataDir: string, build: (db: Database.Database) => T): T {
  const path = join(dataDir, EVENTS_DB_FILE);
  let db: Database.Database | null = null;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    checkMigrated(db);
    return build(db);
  } catch (error) {
    db?.close();
    throw openError(path, error);
  }
}
