import type { TimerHandle } from '../core/clock.js';
import type { JournalStatus } from './event-store.js';
import { sqliteCode } from './sqlite-connection.js';
import type { SqliteEventStoreOptions } from './sqlite-event-store-options.js';
import { unrefTimer } from './unref-timer.js';

/**
 * The journal's paused state: why the last write failed, and the timer that retries it until
 * a write succeeds. The store refuses appends while paused and keeps the batch that failed.
 */

const DEFAULT_RETRY_INTERVAL_MS = 1_000; // a full disk is freed by a human: no need to hurry

type PauseOptions = Pick<
  SqliteEventStoreOptions,
  'onStatusChange' | 'setRetryTimer' | 'retryIntervalMs'
>;

export class JournalPause {
  private reason: string | null = null;
  private retryTimer: TimerHandle | null = null;
  private stopped = false;

  /** `retry` writes the kept batch again; false while it still fails. */
  constructor(
    private readonly options: PauseOptions,
    private readonly retry: () => boolean,
  ) {}

  /** Why the journal is paused, or null while it writes. */
  get failure(): string | null {
    return this.reason;
  }

  get status(): JournalStatus {
    return { paused: this.reason !== null, error: this.reason };
  }

  /** A write failed: tells the listener (once per pause) and arms the retry. */
  enter(error: unknown): void {
    const code = sqliteCode(error);
    const message = `${code ? code + ': ' : ''}${(error as Error).message ?? String(error)}`;
    const wasPaused = this.reason !== null;
    this.reason = message;
    if (!wasPaused) this.options.onStatusChange?.(this.status);
    this.armRetry();
  }

  /** A write succeeded. */
  leave(): void {
    this.reason = null;
    this.retryTimer?.cancel();
    this.retryTimer = null;
    this.options.onStatusChange?.(this.status);
  }

  /** The store closed: no retry runs from now on. */
  stop(): void {
    this.stopped = true;
    this.retryTimer?.cancel();
    this.retryTimer = null;
  }

  private armRetry(): void {
    if (this.retryTimer !== null || this.stopped) return;
    const retry = (): void => {
      this.retryTimer = null;
      if (!this.retry()) this.armRetry();
    };
    const delayMs = this.options.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS;
    this.retryTimer = (this.options.setRetryTimer ?? unrefTimer)(retry, delayMs);
  }
}
