import { createRequire } from 'node:module';
import {
  MessageChannel,
  receiveMessageOnPort,
  Worker,
  type MessagePort,
} from 'node:worker_threads';
import type { SnapshotRecord } from './event-store.js';
import { handedRow } from './compact-data.js';
import type { EventRow } from './hash-chain.js';
import { JOURNAL_WORKER_SOURCE } from './journal-worker-source.js';

/**
 * The main thread's side of the journal writer thread (journal-worker-source.ts). Posting
 * never blocks; `waitUntil` blocks, briefly and only where the port promises durability
 * (flush, close, a retry while paused), reading the answers synchronously.
 */

export type WorkerAnswer =
  | { kind: 'committed'; seq: number }
  | { kind: 'failed'; seq: number; error: string }
  | { kind: 'snapshot'; id: number; error: string | null }
  | { kind: 'closed' };

export interface JournalWorkerOptions {
  file: string;
  dataDir: string;
  cacheMib: number;
  /** How long a commit waits for a lock held by another connection before it fails. */
  busyTimeoutMs: number;
  /** The last seq already in the database. */
  committedSeq: number;
  /** A PASSIVE checkpoint after this many committed rows (the WAL's size while busy). */
  checkpointRows: number;
  /** A checkpoint once writes stop for this long. */
  idleCheckpointMs: number;
  /** Tests: `committed <seq>` is written here right after each commit, in the thread. */
  commitReportFd: number | null;
  onAnswer: (answer: WorkerAnswer) => void;
}

const sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');
// The thread's garbage is a batch of rows at a time (~0.5 MB for 1,000): a small young
// generation is enough, and a burst cannot grow it to V8's default of tens of MB.
const YOUNG_GENERATION_MB = 6;

export class JournalWorker {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private crashed: string | null = null;
  private closed = false;
  private handle: (answer: WorkerAnswer) => void;

  constructor(options: JournalWorkerOptions) {
    this.handle = options.onAnswer;
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const { onAnswer: _, ...data } = options;
    this.worker = new Worker(JOURNAL_WORKER_SOURCE, {
      eval: true,
      workerData: { ...data, port: port2, signal: this.signal, sqlitePath },
      transferList: [port2],
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    this.worker.unref();
    this.worker.on('error', (error) => {
      if (this.closed) return;
      this.crashed = `journal writer thread failed: ${error.message}`;
      this.handle({ kind: 'failed', seq: -1, error: this.crashed });
    });
    this.port.on('message', (answer: WorkerAnswer) => this.handle(answer));
    this.port.unref();
  }

  /** Why the thread is gone, if it is. */
  get failure(): string | null {
    return this.crashed;
  }

  /** Keeps the process alive while someone awaits an answer (the port is unref'ed otherwise). */
  keepAlive(on: boolean): void {
    if (on) this.port.ref();
    else this.port.unref();
  }

  sendRows(rows: readonly EventRow[]): void {
    if (rows.length > 0) this.port.postMessage({ kind: 'rows', rows: rows.map(handedRow) });
  }

  sendSnapshot(id: number, snapshot: SnapshotRecord, keep: number): void {
    this.port.postMessage({ kind: 'snapshot', id, snapshot: { ...snapshot }, keep });
  }

  /** Tests: every later write fails with this error, until called with null. */
  injectFailure(error: { message: string; code: string } | null): void {
    this.port.postMessage({ kind: 'inject', error });
  }

  /**
   * Handles answers synchronously until `done()` holds; false on timeout or if the thread
   * died. Only for the rare paths that must be durable before they return.
   */
  waitUntil(done: () => boolean, timeoutMs: number): boolean {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      for (
        let m = receiveMessageOnPort(this.port);
        m !== undefined;
        m = receiveMessageOnPort(this.port)
      )
        this.handle(m.message as WorkerAnswer);
      if (done()) return true;
      const left = deadline - performance.now();
      if (left <= 0 || this.crashed !== null) return false;
      Atomics.wait(this.signal, 0, seen, Math.min(left, 100));
    }
  }

  /** Closes the writer's connection (waiting for it), so the caller's close is the last one. */
  close(timeoutMs: number): void {
    if (this.closed) return;
    this.closed = true;
    if (this.crashed !== null) return;
    let finished = false;
    const handle = this.handle;
    this.handle = (answer) => {
      if (answer.kind === 'closed') finished = true;
      else handle(answer);
    };
    this.port.postMessage({ kind: 'close' });
    this.waitUntil(() => finished, timeoutMs);
    this.port.close();
  }
}
