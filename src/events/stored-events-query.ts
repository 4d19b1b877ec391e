import type Database from 'better-sqlite3';
import { STORED_EVENTS_SELECT } from './compact-data.js';
import type { EventQuery } from './event-store.js';
import type { EventRow } from './hash-chain.js';

/**
 * An EventQuery in SQL over the stored rows (compact-data.ts), and the same filter on rows
 * still in memory, so `read()` serves committed and uncommitted events alike.
 */

/** Parameters: afterSeq, then `params`, then the page size (LIMIT). */
export function storedEventsQuery(
  db: Database.Database,
  query: EventQuery,
): { statement: Database.Statement; params: Array<string | number> } {
  const where: string[] = ['e.seq > ?'];
  const params: Array<string | number> = [];
  const filters: Array<[string, string | number | undefined]> = [
    ['e.seq <= ?', query.untilSeq],
    ['t.name = ?', query.type],
    ['p.id = ?', query.peer],
    ['k.id = ?', query.key],
    ['e.lookup = ?', query.lookup],
  ];
  for (const [condition, value] of filters) {
    if (value === undefined) continue;
    where.push(condition);
    params.push(value);
  }
  if (query.types !== undefined) {
    // Through the type index: restart reads the ~2% of rows that change state and never
    // touches the large RPC and lookup rows (measured: 10x faster than scanning by seq).
    where.push(`t.name IN (${query.types.map(() => '?').join(', ')})`);
    params.push(...query.types);
  }
  // The stored rows, decoded here rather than by the view (compact-data.ts).
  const statement = db.prepare(
    `${STORED_EVENTS_SELECT} WHERE ${where.join(' AND ')} ORDER BY e.seq LIMIT ?`,
  );
  return { statement, params };
}

/** The query's type, peer, key and lookup filters (seq bounds are the caller's). */
export function matchesQuery(row: EventRow, query: EventQuery): boolean {
  if (query.type !== undefined && row.type !== query.type) return false;
  if (query.types !== undefined && !(query.types as readonly string[]).includes(row.type))
    return false;
  if (query.peer !== undefined && row.peer !== query.peer) return false;
  if (query.key !== undefined && row.key !== query.key) return false;
  return query.lookup === undefined || row.lookup === query.lookup;
}
