import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { TimerHandle } from '../core/clock.js';
import { invariant, TesdError } from '../core/errors.js';
import { writeCheckpointFile } from './checkpoint.js';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js';
import {
  JournalUnavailableError,
  type EventQuery,
  type EventStore,
  type JournalStatus,
  type SnapshotRecord,
} from './event-store.js';
import type { NewEvent, StoredEvent } from './event-types.js';
import { decodeStoredRow, storedRow, type StoredEventRow } from './compact-data.js';
import { BUSY_TIMEOUT_MS, configure, openError, sqliteCode } from './sqlite-connection.js';
import { matchesQuery, storedEventsQuery } from './stored-events-query.js';
import { chainHash, type EventRow } from './hash-chain.js';
import { readAnchor } from './log-meta.js';
import { applyMigrations, checkMigrated } from './migrations.js';
import { verifyTail } from './verify-log.js';
import type { WorkerAnswer } from './journal-worker.js';
import { JournalThread } from './journal-thread.js';
import { startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer.js';

export const EVENTS_DB_FILE = 'events.db';
const DEFAULT_BATCH_SIZE = 1_000; // events per group commit at most: one commit of 1,000 rows takes a few ms
// Each commit rewrites every index page it touches, and peer and key inserts are scattered:
// a commit per turn of the event loop would write ~4 KB per event. Waiting a few ms groups the
// events of many turns into one commit; a process crash loses only uncommitted events, which
// nothing has been told about yet.
const DEFAULT_FLUSH_DELAY_MS = 10;
const DEFAULT_RETRY_INTERVAL_MS = 1_000; // a full disk is freed by a human: no need to hurry
const DEFAULT_CACHE_MIB = 32; // keeps the hot leaves of the peer and key indexes in memory
const DEFAULT_KEEP_SNAPSHOTS = 2; // the latest, and one to fall back to
const READ_PAGE_ROWS = 1_000;
const CHECKPOINT_INTERVAL_MS = 200; // often enough to stay under the WAL threshold at full load
// The writer thread checkpoints after this many rows (~10 MB of WAL with the indexes' pages)
// while busy, and once when writes stop for a second; never while nothing is written.
const THREAD_CHECKPOINT_ROWS = 20_000;
const THREAD_IDLE_CHECKPOINT_MS = 1_000;
const THREAD_BUSY_TIMEOUT_MS = 5_000; // the writer thread may wait for a lock: no one stalls
const THREAD_WAIT_MS = 10_000; // a synchronous flush gives up (and pauses) after this
// The writer thread stops after a quiet minute (journal-thread.ts); the next write starts one.
const THREAD_REST_MS = 60_000;

export interface SqliteEventStoreOptions {
  /** Commit when this many events are pending (group commit). */
  batchSize?: number;
  /** Runs the automatic flush soon after the first pending append (default: a timer). */
  schedule?: (flush: () => void) => void;
  /** Delay of the default automatic flush after the first pending append. */
  flushDelayMs?: number;
  /** Schedules a retry while paused (default: an unref'ed setTimeout). */
  setRetryTimer?: (retry: () => void, delayMs: number) => TimerHandle;
  retryIntervalMs?: number;
  /** Called when the journal pauses (a write failed) and when it resumes. */
  onStatusChange?: (status: JournalStatus) => void;
  /** Fault injection: wraps each batch write; a test throws from it to simulate a full disk. */
  wrapWrite?: (write: () => void) => void;
  /** Take the data directory lock (default true; false when the caller holds it). */
  lock?: boolean;
  /** Check the chain from the latest checkpoint to the tail at open (default true). */
  verifyOnOpen?: boolean;
  /**
   * Where commits run: 'thread' (default) in a worker thread, so no commit, snapshot or
   * checkpoint runs on the event loop; 'inline' on the caller's thread (tests that count
   * commits synchronously, fault injection through wrapWrite).
   */
  writer?: 'thread' | 'inline';
  /** Background WAL checkpoints (default true); false leaves every commit in the WAL. */
  checkpointInWorker?: boolean;
  /**
   * Tests (the crash test): the writer thread writes `committed <seq>\n` to this file
   * descriptor right after each commit, before anyone is told.
   */
  commitReportFd?: number;
  /** How long the writer thread waits for another connection's lock before pausing. */
  writerBusyTimeoutMs?: number;
  /** The writer thread stops after this long with nothing to write (default a minute). */
  writerRestMs?: number;
  /** Schedules the writer thread's rest check (default: an unref'ed setTimeout). */
  setRestTimer?: (fire: () => void, delayMs: number) => TimerHandle;
  /** Called when a snapshot written by the writer thread could not be saved. */
  onSnapshotError?: (error: string) => void;
  /** Hex node public key for checkpoint signatures at open (else taken from the log). */
  pk?: string;
  cacheMib?: number;
  keepSnapshots?: number;
}

function unrefTimer(fire: () => void, delayMs: number): TimerHandle {
  const timer = setTimeout(fire, delayMs).unref();
  return { cancel: () => clearTimeout(timer) };
}

function rowToEvent(row: EventRow): StoredEvent {
  return { ...row, data: JSON.parse(row.data) as unknown } as StoredEvent;
}

/** The SQLite adapter of the EventStore port: `<dataDir>/events.db`, WAL, group commit. */
export class SqliteEventStore implements EventStore {
  private pending: EventRow[] = [];
  private seq: number;
  private hash: string;
  private failure: string | null = null;
  private flushScheduled = false;
  private retryTimer: TimerHandle | null = null;
  private closed = false;
  private readonly insertBatch: (rows: EventRow[]) => void;
  private checkpointer: WalCheckpointer | null = null;
  /** The writer thread (thread mode), null inline. */
  private writer: JournalThread | null = null;
  /** How many of `pending` the writer thread has been sent (thread mode). */
  private sent = 0;
  /** Failed commits reported by the writer thread so far. */
  private failures = 0;
  private snapshotsInFlight = 0;
  private readonly settledWaiters: Array<() => void> = [];
  private nextSnapshotId = 0;
  /** Why the last snapshot the writer thread took could not be saved, if it failed. */
  lastSnapshotError: string | null = null;

  private constructor(
    readonly dataDir: string,
    /** The connection; retention, backup and verify in this folder use it. */
    readonly db: Database.Database,
    private readonly lock: DataDirLock | null,
    private readonly options: SqliteEventStoreOptions,
    /** Opened by openReadOnly: appends and snapshots are refused. */
    readonly readOnly: boolean,
  ) {
    const tail = this.committedTail();
    this.seq = tail.seq;
    this.hash = tail.hash;
    const insert = db.prepare(
      'INSERT INTO events (seq, at, type, peer, key, lookup, data, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertBatch = db.transaction((rows: EventRow[]) => {
      for (const r of rows) insert.run(...storedRow(r));
    });
  }

  /** Opens (creating if needed) `<dataDir>/events.db` for writing, migrated and verified. */
  static open(dataDir: string, options: SqliteEventStoreOptions = {}): SqliteEventStore {
    const path = join(dataDir, EVENTS_DB_FILE);
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (error) {
      throw new TesdError('data_dir_unwritable', `cannot create ${dataDir}: ${String(error)}`);
    }
    const lock = options.lock === false ? null : acquireDataDirLock(dataDir);
    let db: Database.Database | null = null;
    try {
      db = new Database(path);
      const threaded = options.writer !== 'inline';
      configure(db, options.cacheMib ?? DEFAULT_CACHE_MIB, threaded);
      applyMigrations(db);
      if (options.verifyOnOpen !== false) {
        const report = verifyTail(db, { dataDir, ...(options.pk ? { pk: options.pk } : {}) });
        if (!report.ok)
          throw new TesdError(
            'journal_corrupt',
            `event log in ${dataDir} is broken at seq ${report.firstBadSeq}: ` +
              `${report.problems[0]}; see tesd verify, or start with --repair`,
          );
      }
      const store = new SqliteEventStore(dataDir, db, lock, options, false);
      if (threaded) store.startWriter(path);
      else if (options.checkpointInWorker !== false)
        store.checkpointer = startWalCheckpointer(path, CHECKPOINT_INTERVAL_MS);
      return store;
    } catch (error) {
      db?.close();
      lock?.release();
      throw openError(path, error);
    }
  }

  /**
   * For inspection commands: opened with SQLite's read-only flag, so it never writes, and it
   * works whether or not the node runs (lastSeq follows the writer's commits).
   */
  static openReadOnly(dataDir: string): SqliteEventStore {
    const path = join(dataDir, EVENTS_DB_FILE);
    let db: Database.Database | null = null;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      checkMigrated(db);
      return new SqliteEventStore(dataDir, db, null, {}, true);
    } catch (error) {
      db?.close();
      throw openError(path, error);
    }
  }

  private committedTail(): { seq: number; hash: string } {
    const last = this.db.prepare('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1').get() as
      { seq: number; hash: string } | undefined;
    return last ?? readAnchor(this.db);
  }

  get lastSeq(): number {
    return this.readOnly ? this.committedTail().seq : this.seq;
  }

  get lastHash(): string {
    return this.readOnly ? this.committedTail().hash : this.hash;
  }

  private refuseIfReadOnly(what: string): void {
    if (this.readOnly)
      throw new TesdError('journal_read_only', `${what}: events.db was opened read-only`);
  }

  get status(): JournalStatus {
    return { paused: this.failure !== null, error: this.failure };
  }

  /** Events appended but not yet committed. */
  get pendingCount(): number {
    return this.pending.length;
  }

  append(event: NewEvent): StoredEvent {
    this.refuseIfReadOnly('append');
    if (this.failure !== null) throw new JournalUnavailableError(this.failure);
    invariant(!this.closed, 'append after close');
    const seq = this.seq + 1;
    const data = JSON.stringify(event.data);
    const row: EventRow = {
      seq,
      at: event.at,
      type: event.type,
      peer: event.peer,
      key: event.key,
      lookup: event.lookup,
      data,
      hash: '',
    };
    row.hash = chainHash(this.hash, row);
    this.pending.push(row);
    this.seq = seq;
    this.hash = row.hash;
    if (this.pending.length - this.sent >= (this.options.batchSize ?? DEFAULT_BATCH_SIZE))
      this.commitSoon();
    else this.scheduleFlush();
    return { ...event, seq, hash: row.hash };
  }

  /** Commits the pending batch; throws JournalUnavailableError (and pauses) if it cannot. */
  flush(): void {
    if (!this.tryFlush()) throw new JournalUnavailableError(this.failure ?? 'write failed');
    this.waitForSnapshots();
  }

  /** Starts committing what is pending: in the writer thread, or here (inline). */
  private commitSoon(): void {
    if (this.writer === null) {
      this.tryFlush();
      return;
    }
    this.writer.sendRows(this.pending.slice(this.sent));
    this.sent = this.pending.length;
  }

  /** Returns false, paused with the pending batch kept, when the write fails. */
  private tryFlush(): boolean {
    if (this.pending.length === 0 || this.closed) return true;
    if (this.writer !== null) return this.commitAndWait();
    try {
      const write = (): void => this.insertBatch(this.pending);
      if (this.options.wrapWrite) this.options.wrapWrite(write);
      else write();
    } catch (error) {
      this.pause(error);
      return false;
    }
    this.pending = [];
    if (this.failure !== null) this.resume();
    return true;
  }

  /**
   * Thread mode: sends every uncommitted row (all of them again after a failure: the thread
   * ignores rows that do not follow its last commit) and waits for the answer.
   */
  private commitAndWait(): boolean {
    const writer = this.writer!;
    if (this.failure !== null) this.sent = 0;
    const failuresBefore = this.failures;
    const target = this.seq;
    // Answers may resume the journal, whose listener appends again: those events are not
    // waited for here.
    const committed = (): boolean => this.pending.length === 0 || this.pending[0]!.seq > target;
    this.commitSoon();
    const answered = writer.waitUntil(
      () => committed() || this.failures > failuresBefore,
      THREAD_WAIT_MS,
    );
    if (!answered && !committed())
      this.pause(new Error(writer.failure ?? 'the journal writer thread did not answer'));
    return committed();
  }

  private startWriter(path: string): void {
    const background = this.options.checkpointInWorker !== false;
    this.writer = new JournalThread({
      file: path,
      dataDir: this.dataDir,
      cacheMib: this.options.cacheMib ?? DEFAULT_CACHE_MIB,
      busyTimeoutMs: this.options.writerBusyTimeoutMs ?? THREAD_BUSY_TIMEOUT_MS,
      committedSeq: () => (this.pending.length > 0 ? this.pending[0]!.seq - 1 : this.seq),
      checkpointRows: background ? THREAD_CHECKPOINT_ROWS : Number.MAX_SAFE_INTEGER,
      idleCheckpointMs: background ? THREAD_IDLE_CHECKPOINT_MS : 2 ** 31 - 1,
      commitReportFd: this.options.commitReportFd ?? null,
      onAnswer: (answer) => this.onWriterAnswer(answer),
      isIdle: () =>
        this.pending.length === 0 && this.isSettled() && this.settledWaiters.length === 0,
      restMs: this.options.writerRestMs ?? THREAD_REST_MS,
      setRestTimer: this.options.setRestTimer ?? unrefTimer,
      closeTimeoutMs: THREAD_WAIT_MS,
    });
  }

  private onWriterAnswer(answer: WorkerAnswer): void {
    if (answer.kind === 'committed') {
      let done = 0;
      while (done < this.pending.length && this.pending[done]!.seq <= answer.seq) done++;
      this.pending.splice(0, done);
      this.sent = Math.max(0, this.sent - done);
      if (this.failure !== null && !this.closed) this.resume();
    } else if (answer.kind === 'failed') {
      this.failures++;
      this.sent = 0;
      this.pause(Object.assign(new Error(answer.error), { code: '' }));
    } else if (answer.kind === 'snapshot') {
      this.snapshotsInFlight--;
      if (answer.error !== null) {
        this.lastSnapshotError = answer.error;
        this.options.onSnapshotError?.(answer.error);
      }
    }
    this.wakeSettled();
  }

  /**
   * Resolves once the writer thread has answered everything handed to it so far (commits and
   * snapshots), so a writer on the main connection (retention) does not wait for its lock.
   */
  settled(): Promise<void> {
    if (this.isSettled()) return Promise.resolve();
    this.writer?.keepAlive(true);
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  private isSettled(): boolean {
    return this.writer === null || (this.snapshotsInFlight === 0 && this.sent === 0);
  }

  private wakeSettled(): void {
    if (this.settledWaiters.length === 0 || !this.isSettled()) return;
    this.writer?.keepAlive(false);
    for (const resolve of this.settledWaiters.splice(0)) resolve();
  }

  /** Whether the writer thread runs now (it stops at rest; inline: false). */
  get writerRunning(): boolean {
    return this.writer?.running ?? false;
  }

  /** Fault injection for tests of the writer thread: its writes fail until called with null. */
  injectWriteFailure(error: { message: string; code: string } | null): void {
    invariant(this.writer !== null, 'injectWriteFailure needs the writer thread');
    this.writer.injectFailure(error);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const run = (): void => {
      this.flushScheduled = false;
      if (this.failure === null && !this.closed) this.commitSoon();
    };
    if (this.options.schedule) this.options.schedule(run);
    else setTimeout(run, this.options.flushDelayMs ?? DEFAULT_FLUSH_DELAY_MS).unref();
  }

  private pause(error: unknown): void {
    const code = sqliteCode(error);
    const message = `${code ? code + ': ' : ''}${(error as Error).message ?? String(error)}`;
    const wasPaused = this.failure !== null;
    this.failure = message;
    if (!wasPaused) this.options.onStatusChange?.(this.status);
    this.armRetry();
  }

  private resume(): void {
    this.failure = null;
    this.retryTimer?.cancel();
    this.retryTimer = null;
    this.options.onStatusChange?.(this.status);
  }

  private armRetry(): void {
    if (this.retryTimer !== null || this.closed) return;
    const retry = (): void => {
      this.retryTimer = null;
      if (!this.tryFlush()) this.armRetry();
    };
    const delayMs = this.options.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS;
    this.retryTimer = (this.options.setRetryTimer ?? unrefTimer)(retry, delayMs);
  }

  /**
   * Events in seq order. Reads in pages (no statement stays open between yields, so the caller
   * may append while iterating). While paused, the uncommitted tail is served from memory.
   */
  *read(query: EventQuery = {}): Iterable<StoredEvent> {
    if (this.failure === null && this.writer === null) this.tryFlush();
    const { statement, params } = storedEventsQuery(this.db, query);
    let remaining = query.limit ?? Infinity;
    let after = query.afterSeq ?? -1;
    let uncommitted: EventRow[] = [];
    while (remaining > 0) {
      const rows = (
        statement.all(after, ...params, Math.min(remaining, READ_PAGE_ROWS)) as StoredEventRow[]
      ).map(decodeStoredRow);
      // Taken in the same turn as the last query: a row committed since is in the query's
      // result or still here, never in neither (commits are acknowledged between turns).
      const last = rows.length < READ_PAGE_ROWS;
      if (last) uncommitted = this.pending.slice();
      for (const row of rows) yield rowToEvent(row);
      remaining -= rows.length;
      if (rows.length > 0) after = rows[rows.length - 1]!.seq;
      if (last) break;
    }
    for (const row of uncommitted) {
      if (remaining <= 0) return;
      if (row.seq <= after) continue;
      if (query.untilSeq !== undefined && row.seq > query.untilSeq) return;
      if (!matchesQuery(row, query)) continue;
      remaining--;
      yield rowToEvent(row);
    }
  }

  latestSnapshot(): SnapshotRecord | null {
    this.waitForSnapshots();
    const row = this.db
      .prepare(
        'SELECT seq, hash, at, version, state, signature FROM snapshots ORDER BY seq DESC LIMIT 1',
      )
      .get() as SnapshotRecord | undefined;
    return row ?? null;
  }

  /**
   * Stores a snapshot after the events it covers are committed, fsynced (the one FULL commit:
   * it is the point a later loss is detected against), then mirrored to events.checkpoint.
   */
  saveSnapshot(snapshot: SnapshotRecord): void {
    this.refuseIfReadOnly('saveSnapshot');
    if (this.failure !== null) throw new JournalUnavailableError(this.failure);
    const logged = this.hashAt(snapshot.seq);
    invariant(
      logged === snapshot.hash,
      `snapshot at seq ${snapshot.seq} does not match the log (hash ${logged ?? 'missing'})`,
    );
    const keep = this.options.keepSnapshots ?? DEFAULT_KEEP_SNAPSHOTS;
    if (this.writer !== null) {
      // After the rows it covers, in the writer thread: the FULL commit and the fsync of
      // events.checkpoint never stall the event loop. A failure is reported, not thrown.
      this.commitSoon();
      this.snapshotsInFlight++;
      this.writer.sendSnapshot(this.nextSnapshotId++, snapshot, keep);
      return;
    }
    this.flush();
    try {
      this.db.pragma('synchronous = FULL');
      this.db.transaction(() => {
        this.db
          .prepare(
            `INSERT OR REPLACE INTO snapshots (seq, hash, at, version, state, signature)
             VALUES (@seq, @hash, @at, @version, @state, @signature)`,
          )
          .run(snapshot);
        this.db
          .prepare(
            'DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?)',
          )
          .run(keep);
      })();
    } catch (error) {
      throw new JournalUnavailableError(`snapshot not saved: ${(error as Error).message}`);
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
    const { seq, hash, signature } = snapshot;
    writeCheckpointFile(this.dataDir, { seq, hash, signature });
  }

  private hashAt(seq: number): string | undefined {
    const first = this.pending[0];
    if (first !== undefined && seq >= first.seq) return this.pending[seq - first.seq]?.hash;
    const row = this.db.prepare('SELECT hash FROM events WHERE seq = ?').get(seq) as
      { hash: string } | undefined;
    return row?.hash;
  }

  private waitForSnapshots(): void {
    if (this.writer === null || this.snapshotsInFlight === 0) return;
    this.writer.waitUntil(() => this.snapshotsInFlight === 0, THREAD_WAIT_MS);
  }

  /** Flushes, closes and releases the data directory. Throws if pending events are lost. */
  close(): void {
    if (this.closed) return;
    const flushed = this.tryFlush();
    this.waitForSnapshots();
    const lost = this.pending.length;
    this.closed = true;
    this.retryTimer?.cancel();
    this.retryTimer = null;
    this.checkpointer?.stop();
    this.writer?.close();
    this.db.close();
    this.lock?.release();
    if (!flushed)
      throw new JournalUnavailableError(
        `${lost} events after seq ${this.seq - lost} were never written: ${this.failure}`,
      );
  }
}
