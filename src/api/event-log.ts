import type Database from 'better-sqlite3';
import { TesdError } from '../core/errors.js';
import { backupEventLog } from '../events/backup.js';
import { verifyLog } from '../events/verify-log.js';
import { queryEvents } from '../inspect/event-query.js';
import { listLookups } from '../inspect/lookup-list.js';
import { loadLookup } from '../inspect/lookup-record.js';
import { replayLookup } from '../inspect/lookup-replay.js';
import { openLog as openReadOnly, type OpenedLog } from '../inspect/open-log.js';
import { pointersView } from '../inspect/pointers-view.js';
import { checkReplay } from '../inspect/replay-check.js';
import { renderReplayHtml } from '../inspect/replay-html.js';
import { routingView } from '../inspect/routing-view.js';
import { parseMoment, parseTime, type Moment } from '../inspect/time-spec.js';
import { stateAt } from '../inspect/time-travel.js';
import { asApiError } from './errors.js';
import type {
  BackupResult,
  CheckOptions,
  CheckReport,
  EventLog,
  EventsQuery,
  LookupSummary,
  LookupsQuery,
  MomentInput,
  PointersView,
  Replay,
  ReplayOptions,
  RoutingView,
  VerifyReport,
} from './log-types.js';
import type { NodeEvent } from './node-types.js';

/** Opens `<dataDir>/events.db` read-only. Throws DataDirError when there is no log to open. */
export function openLog(dataDir: string): EventLog {
  let opened: OpenedLog;
  try {
    if (typeof dataDir !== 'string' || dataDir === '')
      throw new TesdError('bad_option', 'openLog needs a data directory path');
    opened = openReadOnly(dataDir);
  } catch (error) {
    throw asApiError(error);
  }
  return new ReadOnlyLog(dataDir, opened);
}

class ReadOnlyLog implements EventLog {
  private closed = false;

  constructor(
    readonly dataDir: string,
    private readonly log: OpenedLog,
  ) {}

  get lastSeq(): number {
    return this.use(() => this.log.store.lastSeq);
  }

  sql(
    query: string,
    params: readonly unknown[] | Readonly<Record<string, unknown>> = [],
  ): Array<Record<string, unknown>> {
    return this.use(() => runSql(this.log.db, query, params));
  }

  events(query: EventsQuery = {}): NodeEvent[] {
    return this.use(() =>
      queryEvents(
        this.log.db,
        {
          ...(query.types !== undefined && { types: query.types }),
          ...(query.peer !== undefined && { peerPrefix: query.peer }),
          ...(query.key !== undefined && { keyPrefix: query.key }),
          ...(query.lookup !== undefined && { lookup: query.lookup }),
          ...(query.since !== undefined && { sinceMs: timeMs(query.since) }),
          ...(query.afterSeq !== undefined && { afterSeq: query.afterSeq }),
        },
        query.limit === undefined ? {} : { limit: count('limit', query.limit) },
      ),
    );
  }

  lookups(query: LookupsQuery = {}): LookupSummary[] {
    return this.use(() =>
      listLookups(this.log.db, {
        ...(query.kind !== undefined && { kind: query.kind }),
        ...(query.since !== undefined && { sinceMs: timeMs(query.since) }),
        ...(query.limit !== undefined && { limit: count('limit', query.limit) }),
      }),
    );
  }

  routingAt(moment?: MomentInput): RoutingView {
    return this.use(() => routingView(stateAt(this.log.store, toMoment(moment))));
  }

  pointersAt(moment?: MomentInput): PointersView {
    return this.use(() => pointersView(stateAt(this.log.store, toMoment(moment))));
  }

  replay(lookupId: number, options: ReplayOptions = {}): Replay {
    return this.use(() => replayLookup(this.record(lookupId, options.k), options.k));
  }

  checkReplay(lookupId: number, options: CheckOptions = {}): CheckReport {
    return this.use(() => checkReplay(this.record(lookupId, options.k), options));
  }

  replayHtml(lookupId: number, options: ReplayOptions = {}): string {
    return this.use(() =>
      renderReplayHtml(replayLookup(this.record(lookupId, options.k), options.k)),
    );
  }

  verify(): VerifyReport {
    return this.use(() => verifyLog(this.dataDir));
  }

  async backup(outFile: string): Promise<BackupResult> {
    this.use(() => null);
    try {
      return await backupEventLog(this.dataDir, outFile);
    } catch (error) {
      throw asApiError(error);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.log.close();
  }

  private record(lookupId: number, k: number | undefined) {
    if (!Number.isSafeInteger(lookupId) || lookupId < 1)
      throw new TesdError(
        'no_lookup',
        `lookup ids are positive integers (the seq of lookup_started), got ${lookupId}`,
      );
    if (k !== undefined) count('k', k);
    return loadLookup(this.log.store, lookupId, k);
  }

  private use<T>(run: () => T): T {
    try {
      if (this.closed) throw new TesdError('log_closed', `the log of ${this.dataDir} is closed`);
      return run();
    } catch (error) {
      throw asApiError(error);
    }
  }
}

/** Like `tesd sql`, with parameters, rows as objects in column order. */
function runSql(
  db: Database.Database,
  query: string,
  params: readonly unknown[] | Readonly<Record<string, unknown>>,
): Array<Record<string, unknown>> {
  let statement: Database.Statement;
  try {
    statement = db.prepare(query);
  } catch (error) {
    throw new TesdError('bad_sql', `SQL error: ${(error as Error).message}`);
  }
  if (!statement.readonly)
    throw new TesdError(
      'sql_write_refused',
      'the event log is read-only here: only statements that do not modify the database ' +
        '(SELECT, read-only PRAGMA, EXPLAIN) are allowed',
    );
  const args: unknown[] = Array.isArray(params) ? [...(params as unknown[])] : [params];
  try {
    if (!statement.reader) {
      statement.run(...args);
      return [];
    }
    return statement.all(...args) as Array<Record<string, unknown>>;
  } catch (error) {
    throw new TesdError('bad_sql', `SQL error: ${(error as Error).message}`);
  }
}

function toMoment(moment: MomentInput | undefined): Moment | null {
  if (moment === undefined) return null;
  if (typeof moment === 'number') return { seq: count('seq', moment) };
  if (moment instanceof Date) {
    if (Number.isNaN(moment.getTime())) throw new TesdError('bad_moment', 'the Date is invalid');
    return { atMs: moment.getTime() };
  }
  if (typeof moment === 'string') return parseMoment(moment, Date.now());
  throw new TesdError(
    'bad_moment',
    'a moment is a seq, a Date, or text such as "10m" or an ISO time',
  );
}

function timeMs(value: Date | number | string): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  return parseTime(value, Date.now());
}

function count(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new TesdError('bad_option', `${name} must be a non-negative integer, got ${value}`);
  return value;
}
