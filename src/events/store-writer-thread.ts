import { JournalThread } from './journal-thread.js';
import type { WorkerAnswer } from './journal-worker.js';
import type { SqliteEventStoreOptions } from './sqlite-event-store-options.js';
import { unrefTimer } from './unref-timer.js';

/**
 * The writer thread's settings for a store in thread mode: how often it checkpoints, how long
 * it waits for a lock, when it rests. The store hands it what only the store knows.
 */

// The writer thread checkpoints after this many rows (~10 MB of WAL with the indexes' pages)
// while busy, and once when writes stop for a second; never while nothing is written.
const THREAD_CHECKPOINT_ROWS = 20_000;
const THREAD_IDLE_CHECKPOINT_MS = 1_000;
const THREAD_BUSY_TIMEOUT_MS = 5_000; // the writer thread may wait for a lock: no one stalls
export const THREAD_WAIT_MS = 10_000; // a synchronous flush gives up (and pauses) after this
// The writer thread stops after a quiet minute (journal-thread.ts); the next write starts one.
const THREAD_REST_MS = 60_000;

export interface StoreHooks {
  /** The last seq in the database. */
  committedSeq: () => number;
  onAnswer: (answer: WorkerAnswer) => void;
  /** Nothing pending, in flight or waited for. */
  isIdle: () => boolean;
}

export function startWriterThread(
  file: string,
  dataDir: string,
  cacheMib: number,
  options: SqliteEventStoreOptions,
  hooks: StoreHooks,
): JournalThread {
  const background = options.checkpointInWorker !== false;
  return new JournalThread({
    file,
    dataDir,
    cacheMib,
    busyTimeoutMs: options.writerBusyTimeoutMs ?? THREAD_BUSY_TIMEOUT_MS,
    committedSeq: hooks.committedSeq,
    checkpointRows: background ? THREAD_CHECKPOINT_ROWS : Number.MAX_SAFE_INTEGER,
    idleCheckpointMs: background ? THREAD_IDLE_CHECKPOINT_MS : 2 ** 31 - 1,
    commitReportFd: options.commitReportFd ?? null,
    onAnswer: hooks.onAnswer,
    isIdle: hooks.isIdle,
    restMs: options.writerRestMs ?? THREAD_REST_MS,
    setRestTimer: options.setRestTimer ?? unrefTimer,
    closeTimeoutMs: THREAD_WAIT_MS,
  });
}
