import type { TimerHandle } from '../core/clock.js';
import type { SnapshotRecord } from './event-store.js';
import type { EventRow } from './hash-chain.js';
import { JournalWorker, type JournalWorkerOptions, type WorkerAnswer } from './journal-worker.js';

/**
 * The journal's writer thread as the store sees it: started when there is something to write,
 * and stopped once nothing was written for a while (issue 12, a node at rest). The thread is an
 * isolate of its own, ~10 MB of a resting node's memory; starting it again costs ~20 ms of CPU
 * in the new thread, once per quiet spell. A thread that died is replaced by the next write.
 */

export interface JournalThreadOptions extends Omit<JournalWorkerOptions, 'committedSeq'> {
  /** The last seq in the database, when a thread starts. */
  committedSeq: () => number;
  /** True when nothing is queued, in flight or waited for: the thread may stop. */
  isIdle: () => boolean;
  /** The thread stops after this long without an answer (and with the store idle). */
  restMs: number;
  setRestTimer: (fire: () => void, delayMs: number) => TimerHandle;
  /** How long stopping waits for the thread to close its connection. */
  closeTimeoutMs: number;
}

type Injected = { message: string; code: string } | null;

export class JournalThread {
  private worker: JournalWorker | null = null;
  private injected: Injected = null;
  private restTimer: TimerHandle | null = null;
  private lastAnswerAtMs = 0;

  constructor(private readonly options: JournalThreadOptions) {}

  /** Whether a thread runs now (tests and bench:idle). */
  get running(): boolean {
    return this.worker !== null;
  }

  /** Why the current thread died, if it did. */
  get failure(): string | null {
    return this.worker?.failure ?? null;
  }

  sendRows(rows: readonly EventRow[]): void {
    if (rows.length > 0) this.current().sendRows(rows);
  }

  sendSnapshot(id: number, snapshot: SnapshotRecord, keep: number): void {
    this.current().sendSnapshot(id, snapshot, keep);
  }

  /** Tests: every later write fails with this error (in this thread and any later one). */
  injectFailure(error: Injected): void {
    this.injected = error;
    this.current().injectFailure(error);
  }

  waitUntil(done: () => boolean, timeoutMs: number): boolean {
    return this.worker === null ? done() : this.worker.waitUntil(done, timeoutMs);
  }

  keepAlive(on: boolean): void {
    this.worker?.keepAlive(on);
  }

  close(): void {
    this.restTimer?.cancel();
    this.restTimer = null;
    this.worker?.close(this.options.closeTimeoutMs);
    this.worker = null;
  }

  private current(): JournalWorker {
    if (this.worker?.failure != null) this.worker = null;
    if (this.worker === null) {
      const { committedSeq, isIdle: _i, restMs: _r, setRestTimer: _s, ...rest } = this.options;
      this.worker = new JournalWorker({
        ...rest,
        committedSeq: committedSeq(),
        onAnswer: (answer) => this.answered(answer),
      });
      if (this.injected !== null) this.worker.injectFailure(this.injected);
    }
    return this.worker;
  }

  private answered(answer: WorkerAnswer): void {
    this.lastAnswerAtMs = performance.now();
    // Armed once per quiet spell, not per answer: a busy node pays one timer a restMs.
    if (this.restTimer === null) this.armRest(this.options.restMs);
    this.options.onAnswer(answer);
  }

  private armRest(delayMs: number): void {
    this.restTimer = this.options.setRestTimer(() => this.rest(), delayMs);
  }

  private rest(): void {
    this.restTimer = null;
    if (this.worker === null) return;
    const quietMs = performance.now() - this.lastAnswerAtMs;
    if (quietMs < this.options.restMs) this.armRest(this.options.restMs - quietMs);
    else if (!this.options.isIdle()) this.armRest(this.options.restMs);
    else this.close();
  }
}
