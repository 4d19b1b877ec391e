import type Database from 'better-sqlite3';
import { TesdError } from '../core/errors.js';

/** The result of `tesd sql`: column names and rows as arrays, in column order. */
export interface SqlResult {
  readonly columns: string[];
  readonly rows: unknown[][];
}

/**
 * Runs one read-only statement. Two locks: the connection is opened read-only, and a statement
 * that would write (SQLite's own `readonly` flag on the prepared statement) is refused before
 * it runs, with a message that says why instead of SQLITE_READONLY.
 */
export function runReadOnlySql(db: Database.Database, sql: string): SqlResult {
  let statement: Database.Statement;
  try {
    statement = db.prepare(sql);
  } catch (error) {
    throw new TesdError('bad_sql', `SQL error: ${(error as Error).message}`);
  }
  if (!statement.readonly)
    throw new TesdError(
      'sql_write_refused',
      'tesd sql is read-only: only statements that do not modify the database (SELECT, ' +
        'read-only PRAGMA, EXPLAIN) are allowed; the event log changes only through the node',
    );
  if (!statement.reader) {
    statement.run();
    return { columns: [], rows: [] };
  }
  const columns = statement.columns().map((c) => c.name);
  try {
    const rows = statement.raw(true).all() as unknown[][];
    return { columns, rows };
  } catch (error) {
    throw new TesdError('bad_sql', `SQL error: ${(error as Error).message}`);
  }
}
