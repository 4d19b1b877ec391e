import Database from 'better-sqlite3';
import type { EventRow } from './hash-chain.js';

/**
 * Reads the events table in seq order on a file that may be damaged. A page query that
 * touches one unreadable page fails as a whole, although the rows before that page can each
 * be read by primary key; so when a page fails, the same range is read again one row at a
 * time, and reading stops at the first row that cannot be read. Verify and repair both read
 * through this, so the first bad seq they name is the first unreadable row, and the rows
 * before it are kept (issue 16).
 */

export interface UnreadableRow {
  readonly seq: number;
  readonly reason: string;
}

/** Read-only, and tolerant of a file shorter than its header says (a truncated file). */
export function openDamaged(path: string): Database.Database {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  // SQLite refuses a file shorter than its header's page count unless writable_schema is on
  // (and defensive mode, better-sqlite3's default, off); the connection is read-only, so
  // nothing can be written through it.
  try {
    db.unsafeMode(true);
    db.pragma('writable_schema = ON');
  } catch {
    // not a database at all: the reads that follow say so
  }
  return db;
}

const COLUMNS = 'seq, at, type, peer, key, lookup, data, hash';

export class DamagedRowReader {
  private readonly page: Database.Statement;
  private readonly one: Database.Statement;
  private readonly next: Database.Statement;
  /** Set when reading stopped at a row that cannot be read. */
  unreadable: UnreadableRow | null = null;

  constructor(
    db: Database.Database,
    private readonly pageRows: number,
  ) {
    this.page = db.prepare(
      `SELECT ${COLUMNS} FROM events WHERE seq > ? AND seq < ? ORDER BY seq LIMIT ?`,
    );
    this.one = db.prepare(`SELECT ${COLUMNS} FROM events WHERE seq = ?`);
    this.next = db.prepare('SELECT seq FROM events WHERE seq > ? ORDER BY seq LIMIT 1');
  }

  /** Rows with afterSeq < seq < beforeSeq, in order, up to the first unreadable one. */
  *rows(afterSeq: number, beforeSeq = Number.MAX_SAFE_INTEGER): Generator<EventRow> {
    this.unreadable = null;
    let after = afterSeq;
    for (;;) {
      let rows: EventRow[];
      try {
        rows = this.page.all(after, beforeSeq, this.pageRows) as EventRow[];
      } catch {
        const last = yield* this.oneByOne(after, beforeSeq);
        if (last === null) return;
        after = last;
        continue;
      }
      yield* rows;
      if (rows.length < this.pageRows) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  /**
   * The page after `after`, row by row. Returns the last seq read when the whole page was
   * read (the caller goes back to page queries), null when reading ended or stopped.
   */
  private *oneByOne(after: number, beforeSeq: number): Generator<EventRow, number | null> {
    let previous = after;
    for (let i = 0; i < this.pageRows; i++) {
      const row = this.rowAfter(previous);
      if (row === null || row.seq >= beforeSeq) return null;
      yield row;
      previous = row.seq;
    }
    return previous;
  }

  /** The row after `previous`: previous + 1, or the next one after a gap (the walk reports it). */
  private rowAfter(previous: number): EventRow | null {
    let seq = previous + 1;
    try {
      const row = this.one.get(seq) as EventRow | undefined;
      if (row !== undefined) return row;
      const next = this.next.get(previous) as { seq: number } | undefined;
      if (next === undefined) return null;
      seq = next.seq;
      return (this.one.get(seq) as EventRow | undefined) ?? null;
    } catch (error) {
      this.unreadable = { seq, reason: (error as Error).message };
      return null;
    }
  }
}
