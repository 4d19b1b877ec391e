import type Database from 'better-sqlite3';
import { invariant, TesdError } from '../core/errors.js';
import type { DataDirLock } from './data-dir-lock.js';
import {
  JournalUnavailableError,
  type EventQuery,
  type EventStore,
  type JournalStatus,
  type SnapshotRecord,
} from './event-store.js';
import type { NewEvent, StoredEvent } from './event-types.js';
import { chainedRow, committedHashAt, committedTail, prepareInsertBatch } from './events-table.js';
import type { EventRow } from './hash-chain.js';
import { JournalPause } from './journal-pause.js';
import type { WorkerAnswer } from './journal-worker.js';
import { openEventsDb, openEventsDbReadOnly } from './open-events-db.js';
import { readEvents } from './paged-read.js';
import { readLatestSnapshot, saveSnapshotDurably } from './snapshot-table.js';
import type { SqliteEventStoreOptions } from './sqlite-event-store-options.js';
import { startWriterThread, THREAD_WAIT_MS } from './store-writer-thread.js';
import { WriterBacklog } from './writer-backlog.js';
import { startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer.js';

export { EVENTS_DB_FILE } from './open-events-db.js';
export type { SqliteEventStoreOptions } from './sqlite-event-store-options.js';

const DEFAULT_BATCH_SIZE = 1_000; // events per group commit at most: one commit of 1,000 rows takes a few ms
// Each commit rewrites every index page it touches, and peer and key inserts are scattered:
// a commit per turn of the event loop would write ~4 KB per event. Waiting a few ms groups the
// events of many turns into one commit; a process crash loses only uncommitted events, which
// nothing has been told about yet.
const DEFAULT_FLUSH_DELAY_MS = 10;
const DEFAULT_CACHE_MIB = 32; // keeps the hot leaves of the peer and key indexes in memory
const DEFAULT_KEEP_SNAPSHOTS = 2; // the latest, and one to fall back to
const CHECKPOINT_INTERVAL_MS = 200; // often enough to stay under the WAL threshold at full load

/** The SQLite adapter of the EventStore port: `<dataDir>/events.db`, WAL, group commit. */
export class SqliteEventStore implements EventStore {
  private pending: EventRow[] = [];
  private seq: number;
  private hash: string;
  /** Why the journal is paused, and the retry of the batch that failed. */
  private readonly pause: JournalPause;
  private flushScheduled = false;
  private closed = false;
  private readonly insertBatch: (rows: EventRow[]) => void;
  private checkpointer: WalCheckpointer | null = null;
  /** How many of `pending` the writer thread has been sent (thread mode). */
  private sent = 0;
  /** Failed commits reported by the writer thread so far. */
  private failures = 0;
  /** The writer thread and what it has not answered yet (thread mode), null inline. */
  private backlog: WriterBacklog | null = null;
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
    const tail = committedTail(db);
    this.seq = tail.seq;
    this.hash = tail.hash;
    this.insertBatch = prepareInsertBatch(db);
    this.pause = new JournalPause(options, () => this.tryFlush());
  }

  /** Opens (creating if needed) `<dataDir>/events.db` for writing, migrated and verified. */
  static open(dataDir: string, options: SqliteEventStoreOptions = {}): SqliteEventStore {
    const threaded = options.writer !== 'inline';
    const settings = {
      lock: options.lock !== false,
      threaded,
      cacheMib: options.cacheMib ?? DEFAULT_CACHE_MIB,
      verify: options.verifyOnOpen !== false,
      pk: options.pk,
    };
    return openEventsDb(dataDir, settings, (db, lock, path) => {
      const store = new SqliteEventStore(dataDir, db, lock, options, false);
      if (threaded) store.startWriter(path);
      else if (options.checkpointInWorker !== false)
        store.checkpointer = startWalCheckpointer(path, CHECKPOINT_INTERVAL_MS);
      return store;
    });
  }

  /**
   * For inspection commands: opened with SQLite's read-only flag, so it never writes, and it
   * works whether or not the node runs (lastSeq follows the writer's commits).
   */
  static openReadOnly(dataDir: string): SqliteEventStore {
    return openEventsDbReadOnly(dataDir, (db) => new SqliteEventStore(dataDir, db, null, {}, true));
  }

  get lastSeq(): number {
    return this.readOnly ? committedTail(this.db).seq : this.seq;
  }

  get lastHash(): string {
    return this.readOnly ? committedTail(this.db).hash : this.hash;
  }

  private refuseIfReadOnly(what: string): void {
    if (this.readOnly)
      throw new TesdError('journal_read_only', `${what}: events.db was opened read-only`);
  }

  get status(): JournalStatus {
    return this.pause.status;
  }

  /** Events appended but not yet committed. */
  get pendingCount(): number {
    return this.pending.length;
  }

  append(event: NewEvent): StoredEvent {
    this.refuseIfReadOnly('append');
    if (this.pause.failure !== null) throw new JournalUnavailableError(this.pause.failure);
    invariant(!this.closed, 'append after close');
    const row = chainedRow({ seq: this.seq, hash: this.hash }, event);
    const seq = row.seq;
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
    if (!this.tryFlush()) throw new JournalUnavailableError(this.pause.failure ?? 'write failed');
    this.backlog?.waitForSnapshots();
  }

  /** Starts committing what is pending: in the writer thread, or here (inline). */
  private commitSoon(): void {
    if (this.backlog === null) {
      this.tryFlush();
      return;
    }
    this.backlog.writer.sendRows(this.pending.slice(this.sent));
    this.sent = this.pending.length;
  }

  /** Returns false, paused with the pending batch kept, when the write fails. */
  private tryFlush(): boolean {
    if (this.pending.length === 0 || this.closed) return true;
    if (this.backlog !== null) return this.commitAndWait();
    try {
      const write = (): void => this.insertBatch(this.pending);
      if (this.options.wrapWrite) this.options.wrapWrite(write);
      else write();
    } catch (error) {
      this.pause.enter(error);
      return false;
    }
    this.pending = [];
    if (this.pause.failure !== null) this.pause.leave();
    return true;
  }

  /**
   * Thread mode: sends every uncommitted row (all of them again after a failure: the thread
   * ignores rows that do not follow its last commit) and waits for the answer.
   */
  private commitAndWait(): boolean {
    const writer = this.backlog!.writer;
    if (this.pause.failure !== null) this.sent = 0;
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
      this.pause.enter(new Error(writer.failure ?? 'the journal writer thread did not answer'));
    return committed();
  }

  private startWriter(path: string): void {
    const cacheMib = this.options.cacheMib ?? DEFAULT_CACHE_MIB;
    const writer = startWriterThread(path, this.dataDir, cacheMib, this.options, {
      committedSeq: () => (this.pending.length > 0 ? this.pending[0]!.seq - 1 : this.seq),
      onAnswer: (answer) => this.onWriterAnswer(answer),
      isIdle: () => this.pending.length === 0 && (this.backlog?.idle ?? true),
    });
    this.backlog = new WriterBacklog(writer, () => this.sent);
  }

  private onWriterAnswer(answer: WorkerAnswer): void {
    if (answer.kind === 'committed') {
      let done = 0;
      while (done < this.pending.length && this.pending[done]!.seq <= answer.seq) done++;
      this.pending.splice(0, done);
      this.sent = Math.max(0, this.sent - done);
      if (this.pause.failure !== null && !this.closed) this.pause.leave();
    } else if (answer.kind === 'failed') {
      this.failures++;
      this.sent = 0;
      this.pause.enter(Object.assign(new Error(answer.error), { code: '' }));
    } else if (answer.kind === 'snapshot') {
      this.backlog?.snapshotAnswered();
      if (answer.error !== null) {
        this.lastSnapshotError = answer.error;
        this.options.onSnapshotError?.(answer.error);
      }
    }
    this.backlog?.wake();
  }

  /**
   * Resolves once the writer thread has answered everything handed to it so far (commits and
   * snapshots), so a writer on the main connection (retention) does not wait for its lock.
   */
  settled(): Promise<void> {
    return this.backlog?.whenSettled() ?? Promise.resolve();
  }

  /** Whether the writer thread runs now (it stops at rest; inline: false). */
  get writerRunning(): boolean {
    return this.backlog?.writer.running ?? false;
  }

  /** Fault injection for tests of the writer thread: its writes fail until called with null. */
  injectWriteFailure(error: { message: string; code: string } | null): void {
    invariant(this.backlog !== null, 'injectWriteFailure needs the writer thread');
    this.backlog.writer.injectFailure(error);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const run = (): void => {
      this.flushScheduled = false;
      if (this.pause.failure === null && !this.closed) this.commitSoon();
    };
    if (this.options.schedule) this.options.schedule(run);
    else setTimeout(run, this.options.flushDelayMs ?? DEFAULT_FLUSH_DELAY_MS).unref();
  }

  /**
   * Events in seq order. Reads in pages (no statement stays open between yields, so the caller
   * may append while iterating). While paused, the uncommitted tail is served from memory.
   */
  *read(query: EventQuery = {}): Iterable<StoredEvent> {
    if (this.pause.failure === null && this.backlog === null) this.tryFlush();
    yield* readEvents(this.db, query, () => this.pending);
  }

  latestSnapshot(): SnapshotRecord | null {
    this.backlog?.waitForSnapshots();
    return readLatestSnapshot(this.db);
  }

  /**
   * Stores a snapshot after the events it covers are committed, fsynced (the one FULL commit:
   * it is the point a later loss is detected against), then mirrored to events.checkpoint.
   */
  saveSnapshot(snapshot: SnapshotRecord): void {
    this.refuseIfReadOnly('saveSnapshot');
    if (this.pause.failure !== null) throw new JournalUnavailableError(this.pause.failure);
    const logged = this.hashAt(snapshot.seq);
    invariant(
      logged === snapshot.hash,
      `snapshot at seq ${snapshot.seq} does not match the log (hash ${logged ?? 'missing'})`,
    );
    const keep = this.options.keepSnapshots ?? DEFAULT_KEEP_SNAPSHOTS;
    if (this.backlog !== null) {
      // After the rows it covers, in the writer thread: the FULL commit and the fsync of
      // events.checkpoint never stall the event loop. A failure is reported, not thrown.
      this.commitSoon();
      this.backlog.sendSnapshot(snapshot, keep);
      return;
    }
    this.flush();
    saveSnapshotDurably(this.db, this.dataDir, snapshot, keep);
  }

  private hashAt(seq: number): string | undefined {
    const first = this.pending[0];
    if (first !== undefined && seq >= first.seq) return this.pending[seq - first.seq]?.hash;
    return committedHashAt(this.db, seq);
  }

  /** Flushes, closes and releases the data directory. Throws if pending events are lost. */
  close(): void {
    if (this.closed) return;
    const flushed = this.tryFlush();
    this.backlog?.waitForSnapshots();
    const lost = this.pending.length;
    this.closed = true;
    this.pause.stop();
    this.checkpointer?.stop();
    this.backlog?.writer.close();
    this.db.close();
    this.lock?.release();
    if (!flushed)
      throw new JournalUnavailableError(
        `${lost} events after seq ${this.seq - lost} were never written: ${this.pause.failure}`,
      );
  }
}
