import type { TimerHandle } from '../core/clock.js';
import type { JournalStatus } from './event-store.js';

/**
 * What a caller may set on a SqliteEventStore, in a file of its own so the modules the store
 * is built from (the writer thread's settings) can read it without importing the store.
 */

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
