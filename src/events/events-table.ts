import type Database from 'better-sqlite3';
import type { NewEvent } from './event-types.js';
import { storedRow } from './compact-data.js';
import { chainHash, type EventRow } from './hash-chain.js';
import { readAnchor, type ChainAnchor } from './log-meta.js';

/**
 * The `events` table as the store writes it: each new row chained to the one before, inserted
 * in batches (one transaction per group commit), and the committed tail a store resumes from.
 */

/** The row for `event`, next after `previous` in seq and in the hash chain. */
export function chainedRow(previous: ChainAnchor, event: NewEvent): EventRow {
  const row: EventRow = {
    seq: previous.seq + 1,
    at: event.at,
    type: event.type,
    peer: event.peer,
    key: event.key,
    lookup: event.lookup,
    data: JSON.stringify(event.data),
    hash: '',
  };
  row.hash = chainHash(previous.hash, row);
  return row;
}

/** Inserts rows in one transaction. */
export function prepareInsertBatch(db: Database.Database): (rows: EventRow[]) => void {
  const insert = db.prepare(
    'INSERT INTO events (seq, at, type, peer, key, lookup, data, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  return db.transaction((rows: EventRow[]) => {
    for (const r of rows) insert.run(...storedRow(r));
  });
}

/** The last committed row, or the retention anchor when the table is empty. */
export function committedTail(db: Database.Database): ChainAnchor {
  const last = db.prepare('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1').get() as
    { seq: number; hash: string } | undefined;
  return last ?? readAnchor(db);
}

export function committedHashAt(db: Database.Database, seq: number): string | undefined {
  const row = db.prepare('SELECT hash FROM events WHERE seq = ?').get(seq) as
    { hash: string } | undefined;
  return row?.hash;
}
