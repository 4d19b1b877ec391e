import type Database from 'better-sqlite3';
import type { EventQuery } from './event-store.js';
import type { StoredEvent } from './event-types.js';
import { decodeStoredRow, type StoredEventRow } from './compact-data.js';
import type { EventRow } from './hash-chain.js';
import { matchesQuery, storedEventsQuery } from './stored-events-query.js';

/**
 * The store's `read`: committed rows in pages, then the rows still in memory. No statement
 * stays open between yields, so the caller may append while iterating; while the journal is
 * paused, the uncommitted tail is how its events stay readable.
 */

const READ_PAGE_ROWS = 1_000;

function rowToEvent(row: EventRow): StoredEvent {
  return { ...row, data: JSON.parse(row.data) as unknown } as StoredEvent;
}

/** `uncommitted` gives the rows appended but not yet committed, in seq order. */
export function* readEvents(
  db: Database.Database,
  query: EventQuery,
  uncommitted: () => readonly EventRow[],
): Generator<StoredEvent> {
  const { statement, params } = storedEventsQuery(db, query);
  let remaining = query.limit ?? Infinity;
  let after = query.afterSeq ?? -1;
  let tail: EventRow[] = [];
  while (remaining > 0) {
    const rows = (
      statement.all(after, ...params, Math.min(remaining, READ_PAGE_ROWS)) as StoredEventRow[]
    ).map(decodeStoredRow);
    // Taken in the same turn as the last query: a row committed since is in the query's
    // result or still here, never in neither (commits are acknowledged between turns).
    const last = rows.length < READ_PAGE_ROWS;
    if (last) tail = uncommitted().slice();
    for (const row of rows) yield rowToEvent(row);
    remaining -= rows.length;
    if (rows.length > 0) after = rows[rows.length - 1]!.seq;
    if (last) break;
  }
  for (const row of tail) {
    if (remaining <= 0) return;
    if (row.seq <= after) continue;
    if (query.untilSeq !== undefined && row.seq > query.untilSeq) return;
    if (!matchesQuery(row, query)) continue;
    remaining--;
    yield rowToEvent(row);
  }
}
