import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the commit
 * that crosses the threshold, copying thousands of pages back into events.db: measured here
 * as 60 to 130 ms stalls every few seconds under load (bench/journal.ts). A PASSIVE checkpoint
 * from a second connection in a worker thread runs concurrently with our commits instead.
 * The worker is plain CommonJS evaluated from a string, so it runs the same from src/ (tsx)
 * and from dist/.
 */

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // busy or I/O error: the main connection's own checkpoint is the safety net
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  Atomics.store(workerData.closed, 0, 1);
  Atomics.notify(workerData.closed, 0);
  parentPort.close();
});
`;

const STOP_WAIT_MS = 2_000; // a checkpoint in progress finishes first

export interface WalCheckpointer {
  /**
   * Stops the worker and waits (synchronously, briefly) until its connection is closed, so
   * the store's own close is the last one and folds the WAL back into events.db.
   */
  stop(): void;
}

export function startWalCheckpointer(path: string, intervalMs: number): WalCheckpointer {
  const closed = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path, intervalMs, closed },
  });
  worker.unref();
  let failed = false;
  // A failed worker only means checkpoints fall back to the main connection.
  worker.on('error', () => (failed = true));
  return {
    stop() {
      if (failed) return;
      worker.postMessage('stop');
      Atomics.wait(closed, 0, 0, STOP_WAIT_MS);
    },
  };
}
