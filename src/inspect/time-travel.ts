import type Database from 'better-sqlite3';
import { TesdError } from '../core/errors.js';
import { parseNodeId } from '../core/node-id.js';
import type { StoredEvent } from '../events/event-types.js';
import { readAnchor } from '../events/log-meta.js';
import type { SqliteEventStore } from '../events/sqlite-event-store.js';
import { rebuildNodeState, type NodeState, type NodeStateJson } from '../projections/node-state.js';
import type { Moment } from './time-spec.js';

/**
 * Time travel (`tesd routing --at`, `tesd pointers --at`): the projections as they were right
 * after event `seq`, folded from the nearest snapshot at or before it plus the events up to it.
 * The same pure folds as a restart, so what is shown is what the node had in memory then.
 */
export interface StateAt {
  readonly state: NodeState;
  /** The last event folded in (0 for an empty log). */
  readonly seq: number;
  /** That event's time (unix ms), or null for an empty log. */
  readonly atMs: number | null;
  /** The snapshot the fold started from, if any. */
  readonly snapshotSeq: number | null;
  /** Events folded after the snapshot. */
  readonly foldedEvents: number;
}

interface SnapshotRow {
  seq: number;
  state: string;
}

/** The seq a moment names: a seq as given (checked), a time as the last event at or before it. */
export function resolveMoment(db: Database.Database, moment: Moment | null): number {
  const last = db.prepare('SELECT max(seq) AS seq FROM events').get() as { seq: number | null };
  const lastSeq = last.seq ?? readAnchor(db).seq;
  if (moment === null) return lastSeq;
  if ('seq' in moment) {
    if (moment.seq > lastSeq)
      throw new TesdError(
        'bad_moment',
        `seq ${moment.seq} is past the end of the log (${lastSeq})`,
      );
    return moment.seq;
  }
  // Scans back from the tail: recent moments, the common question, are found at once.
  const row = db
    .prepare('SELECT seq FROM events WHERE at <= ? ORDER BY seq DESC LIMIT 1')
    .get(moment.atMs) as { seq: number } | undefined;
  if (row === undefined)
    throw new TesdError(
      'bad_moment',
      `no event at or before ${new Date(moment.atMs).toISOString()} in the log`,
    );
  return row.seq;
}

/** The node's own ID at `seq`: its latest node_started up to then, else a snapshot's. */
function selfAt(db: Database.Database, seq: number, snapshot: NodeStateJson | null): string {
  const row = db
    .prepare(
      "SELECT data FROM events WHERE type = 'node_started' AND seq <= ? ORDER BY seq DESC LIMIT 1",
    )
    .get(seq) as { data: string } | undefined;
  if (row !== undefined) return (JSON.parse(row.data) as { id: string }).id;
  if (snapshot !== null) return snapshot.routing.self;
  const any = db
    .prepare("SELECT data FROM events WHERE type = 'node_started' ORDER BY seq LIMIT 1")
    .get() as { data: string } | undefined;
  if (any !== undefined) return (JSON.parse(any.data) as { id: string }).id;
  throw new TesdError('no_identity', 'the log records no node_started event and no snapshot');
}

function nearestSnapshot(db: Database.Database, seq: number): SnapshotRow | null {
  const row = db
    .prepare('SELECT seq, state FROM snapshots WHERE seq <= ? ORDER BY seq DESC LIMIT 1')
    .get(seq) as SnapshotRow | undefined;
  return row ?? null;
}

export function stateAt(store: SqliteEventStore, moment: Moment | null): StateAt {
  const { db } = store;
  const seq = resolveMoment(db, moment);
  const row = nearestSnapshot(db, seq);
  let snapshot: NodeStateJson | null = null;
  if (row !== null) {
    try {
      snapshot = JSON.parse(row.state) as NodeStateJson;
    } catch (error) {
      throw new TesdError(
        'bad_snapshot',
        `snapshot at seq ${row.seq} is unreadable: ${(error as Error).message}`,
      );
    }
  }
  const anchor = readAnchor(db);
  if (snapshot === null && anchor.seq > 0)
    throw new TesdError(
      'history_gone',
      `events up to seq ${anchor.seq} were deleted by retention and no snapshot at or before ` +
        `seq ${seq} remains: the oldest moment that can be shown is the oldest snapshot`,
    );
  const selfHex = selfAt(db, seq, snapshot);
  const selfId = parseNodeId(selfHex);
  if (selfId === null)
    throw new TesdError('no_identity', `recorded node ID "${selfHex}" is not hex`);
  const fromSeq = row?.seq ?? 0;
  let folded = 0;
  let atMs: number | null = null;
  const events = function* (): Iterable<StoredEvent> {
    for (const event of store.read({ afterSeq: fromSeq, untilSeq: seq })) {
      folded++;
      atMs = event.at;
      yield event;
    }
  };
  let state: NodeState;
  try {
    state = rebuildNodeState(selfId, selfHex, snapshot, events());
  } catch (error) {
    if (error instanceof TesdError) throw error;
    throw new TesdError('bad_snapshot', `cannot rebuild the state: ${(error as Error).message}`);
  }
  if (atMs === null) {
    const at = db.prepare('SELECT at FROM events WHERE seq = ?').get(seq) as
      { at: number } | undefined;
    atMs = at?.at ?? (seq > 0 ? state.lastEventAtMs : null);
  }
  return { state, seq, atMs, snapshotSeq: row?.seq ?? null, foldedEvents: folded };
}
