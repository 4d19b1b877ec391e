import type { EventRow } from '../events/hash-chain.js';
import type Database from 'better-sqlite3';
import { TesdError } from '../core/errors.js';
import { EVENT_TYPES, isEventType, type StoredEvent } from '../events/event-types.js';

/** `tesd events` filters. `peer` and `key` accept a hex prefix. */
export interface EventFilter {
  readonly types?: readonly string[];
  readonly peerPrefix?: string;
  readonly keyPrefix?: string;
  readonly lookup?: number;
  readonly sinceMs?: number;
  /** Only events after this seq (--follow polls with it). */
  readonly afterSeq?: number;
}

const HEX = /^[0-9a-f]*$/;

function hexPrefix(name: string, value: string): string {
  const prefix = value.toLowerCase();
  if (!HEX.test(prefix) || prefix.length === 0 || prefix.length > 64)
    throw new TesdError('bad_filter', `--${name} must be a hex ID or prefix, got "${value}"`);
  return prefix;
}

/**
 * The WHERE clause. A hex prefix is the range [prefix, prefix + "g"): every lowercase hex
 * string starting with the prefix sorts inside it, and a range (unlike LIKE) uses the index.
 */
function whereClause(filter: EventFilter): { sql: string; params: Array<string | number> } {
  const where: string[] = [];
  const params: Array<string | number> = [];
  if (filter.types !== undefined && filter.types.length > 0) {
    for (const type of filter.types)
      if (!isEventType(type))
        throw new TesdError(
          'bad_filter',
          `unknown event type "${type}"; known types: ${EVENT_TYPES.join(', ')}`,
        );
    where.push(`type IN (${filter.types.map(() => '?').join(', ')})`);
    params.push(...filter.types);
  }
  for (const [column, value] of [
    ['peer', filter.peerPrefix],
    ['key', filter.keyPrefix],
  ] as const) {
    if (value === undefined) continue;
    const prefix = hexPrefix(column, value);
    where.push(`${column} >= ? AND ${column} < ?`);
    params.push(prefix, prefix + 'g');
  }
  if (filter.lookup !== undefined) {
    where.push('lookup = ?');
    params.push(filter.lookup);
  }
  if (filter.sinceMs !== undefined) {
    where.push('at >= ?');
    params.push(filter.sinceMs);
  }
  if (filter.afterSeq !== undefined) {
    where.push('seq > ?');
    params.push(filter.afterSeq);
  }
  return { sql: where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`, params };
}

function toEvent(row: EventRow): StoredEvent {
  return { ...row, data: JSON.parse(row.data) as unknown } as StoredEvent;
}

/**
 * Matching events in seq order. With `limit`, the last `limit` of them (like `tail`), unless
 * `first` asks for the first ones (what --follow wants after its first page).
 */
export function queryEvents(
  db: Database.Database,
  filter: EventFilter,
  options: { limit?: number; first?: boolean } = {},
): StoredEvent[] {
  const { sql, params } = whereClause(filter);
  const columns = 'seq, at, type, peer, key, lookup, data, hash';
  if (options.limit === undefined) {
    const rows = db.prepare(`SELECT ${columns} FROM events ${sql} ORDER BY seq`).all(...params);
    return (rows as EventRow[]).map(toEvent);
  }
  const order = options.first === true ? 'ASC' : 'DESC';
  const rows = db
    .prepare(`SELECT ${columns} FROM events ${sql} ORDER BY seq ${order} LIMIT ?`)
    .all(...params, options.limit) as EventRow[];
  if (options.first !== true) rows.reverse();
  return rows.map(toEvent);
}

/** The columns `tesd events` prints. */
export const EVENT_COLUMNS = ['seq', 'at', 'type', 'peer', 'key', 'lookup', 'data'];

export function eventRow(event: StoredEvent): unknown[] {
  return [
    event.seq,
    new Date(event.at).toISOString(),
    event.type,
    event.peer === null ? null : event.peer.slice(0, 8),
    event.key === null ? null : event.key.slice(0, 8),
    event.lookup,
    JSON.stringify(event.data),
  ];
}

/** One event as a JSON object (the --json shape: the row with `data` parsed). */
export function eventJson(event: StoredEvent): Record<string, unknown> {
  const { seq, at, type, peer, key, lookup, data, hash } = event;
  return { seq, at, type, peer, key, lookup, data, hash };
}
