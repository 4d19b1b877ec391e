import Database from 'better-sqlite3';
import { decodeStoredRow, STORED_EVENTS_SELECT, type StoredEventRow } from './compact-data.js';
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

/**
 * Where the rows are stored: `event_rows` since migration 0002 (compact rows behind the
 * `events` view), `events` itself in a log of the first format, which a damaged file opened
 * read-only may still be.
 */
export function storedEventsTable(db: Database.Database): 'event_rows' | 'events' {
  const compact = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'event_rows'")
    .get();
  return compact === undefined ? 'events' : 'event_rows';
}

const FIRST_FORMAT_SELECT = 'SELECT seq, at, type, peer, key, lookup, data, hash FROM events e';

export class DamagedRowReader {
  private readonly page: Database.Statement;
  private readonly one: Database.Statement;
  private readonly next: Database.Statement;
  private readonly decode: (row: StoredEventRow) => EventRow;
  /** Set when reading stopped at a row that cannot be read. */
  unreadable: UnreadableRow | null = null;

  constructor(
    db: Database.Database,
    private readonly pageRows: number,
  ) {
    const compact = storedEventsTable(db) === 'event_rows';
    const select = compact ? STORED_EVENTS_SELECT : FIRST_FORMAT_SELECT;
    this.decode = compact ? decodeStoredRow : (row) => row as EventRow;
    this.page = db.prepare(`${select} WHERE e.seq > ? AND e.seq < ? ORDER BY e.seq LIMIT ?`);
    this.one = db.prepare(`${select} WHERE e.seq = ?`);
    this.next = db.prepare(
      `SELECT seq FROM ${compact ? 'event_rows' : 'events'} WHERE seq > ? ORDER BY seq LIMIT 1`,
    );
  }

  /** Rows with afterSeq < seq < beforeSeq, in order, up to the first unreadable one. */
  *rows(afterSeq: number, beforeSeq = Number.MAX_SAFE_INTEGER): Generator<EventRow> {
    this.unreadable = null;
    let after = afterSeq;
    for (;;) {
      let rows: EventRow[];
      try {
        rows = (this.page.all(after, beforeSeq, this.pageRows) as StoredEventRow[]).map(
          this.decode,
        );
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
      const row = this.one.get(seq) as StoredEventRow | undefined;
      if (row !== undefined) return this.decode(row);
      const next = this.next.get(previous) as { seq: number } | undefined;
      if (next === undefined) return null;
      seq = next.seq;
      const found = this.one.get(seq) as StoredEventRow | undefined;
      return found === undefined ? null : this.decode(found);
    } catch (error) {
      this.unreadable = { seq, reason: (error as Error).message };
      return null;
    }
  }
}
