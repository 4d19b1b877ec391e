import type Database from 'better-sqlite3';
import { SqliteEventStore } from '../events/sqlite-event-store.js';

/**
 * The inspection commands' view of a data directory: `events.db` opened with SQLite's
 * read-only flag (and fileMustExist), so they never write and work while the node runs (WAL)
 * or is stopped. Errors are TesdErrors with one clear line for the CLI.
 */
export interface OpenedLog {
  readonly db: Database.Database;
  readonly store: SqliteEventStore;
  close(): void;
}

export function openLog(dataDir: string): OpenedLog {
  const store = SqliteEventStore.openReadOnly(dataDir);
  return { db: store.db, store, close: () => store.close() };
}

/** Opens, runs `use`, and closes even when `use` throws. */
export function withLog<T>(dataDir: string, use: (log: OpenedLog) => T): T {
  const log = openLog(dataDir);
  try {
    return use(log);
  } finally {
    log.close();
  }
}
