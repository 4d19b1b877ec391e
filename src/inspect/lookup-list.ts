import type Database from 'better-sqlite3';
import { TesdError } from '../core/errors.js';
import type { EventDataMap, LookupKind } from '../events/event-types.js';

/** One line of `tesd lookups`. */
export interface LookupSummary {
  id: number;
  target: string;
  kind: LookupKind;
  started_at_ms: number;
  /** Null while the lookup is still running, or if the node stopped before it finished. */
  duration_ms: number | null;
  hops: number | null;
  rpcs: number | null;
  results: number | null;
  pointers: number | null;
  /** converged, deadline, found, exhausted; `unfinished` without a lookup_finished event. */
  outcome: string;
}

export interface LookupFilter {
  readonly kind?: string;
  readonly sinceMs?: number;
  readonly limit?: number;
}

const KINDS = ['node', 'value', 'refresh', 'bootstrap'];

/** Recorded lookups, newest first. */
export function listLookups(db: Database.Database, filter: LookupFilter = {}): LookupSummary[] {
  const where = ["s.type = 'lookup_started'"];
  const params: Array<string | number> = [];
  if (filter.kind !== undefined) {
    if (!KINDS.includes(filter.kind))
      throw new TesdError('bad_filter', `--kind must be one of ${KINDS.join(', ')}`);
    where.push("json_extract(s.data, '$.kind') = ?");
    params.push(filter.kind);
  }
  if (filter.sinceMs !== undefined) {
    where.push('s.at >= ?');
    params.push(filter.sinceMs);
  }
  const rows = db
    .prepare(
      `SELECT s.seq AS id, s.at AS at, s.data AS started, f.data AS finished
       FROM events s
       LEFT JOIN events f ON f.lookup = s.seq AND f.type = 'lookup_finished'
       WHERE ${where.join(' AND ')}
       ORDER BY s.seq DESC LIMIT ?`,
    )
    .all(...params, filter.limit ?? -1) as Array<{
    id: number;
    at: number;
    started: string;
    finished: string | null;
  }>;
  return rows.map((row) => {
    const started = JSON.parse(row.started) as EventDataMap['lookup_started'];
    const finished =
      row.finished === null ? null : (JSON.parse(row.finished) as EventDataMap['lookup_finished']);
    return {
      id: row.id,
      target: started.target,
      kind: started.kind,
      started_at_ms: row.at,
      duration_ms: finished?.duration_ms ?? null,
      hops: finished?.hops ?? null,
      rpcs: finished?.rpcs ?? null,
      results: finished?.result.length ?? null,
      pointers: finished?.pointers ?? null,
      outcome: finished?.reason ?? 'unfinished',
    };
  });
}

export const LOOKUP_COLUMNS = [
  'id',
  'target',
  'kind',
  'started',
  'duration',
  'hops',
  'rpcs',
  'results',
  'pointers',
  'outcome',
];

export function lookupRow(s: LookupSummary): unknown[] {
  return [
    s.id,
    s.target.slice(0, 16),
    s.kind,
    new Date(s.started_at_ms).toISOString(),
    s.duration_ms === null ? null : `${s.duration_ms} ms`,
    s.hops,
    s.rpcs,
    s.results,
    s.pointers,
    s.outcome,
  ];
}
