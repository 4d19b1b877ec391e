import type { SnapshotRecord } from './event-store.js';
import type { JournalThread } from './journal-thread.js';
import { THREAD_WAIT_MS } from './store-writer-thread.js';

/**
 * The writer thread, and what it still owes the store an answer for: the snapshots handed to
 * it, and the rows sent (the store counts those). Waiting until it owes nothing lets a writer
 * on the main connection (retention) run without waiting for the thread's lock. A store in
 * thread mode holds one of these; inline, none.
 */
export class WriterBacklog {
  private snapshotsInFlight = 0;
  private nextSnapshotId = 0;
  private readonly waiters: Array<() => void> = [];

  /** `rowsInFlight` is how many rows were sent and not yet answered. */
  constructor(
    readonly writer: JournalThread,
    private readonly rowsInFlight: () => number,
  ) {}

  /** Everything sent is answered. */
  get settled(): boolean {
    return this.snapshotsInFlight === 0 && this.rowsInFlight() === 0;
  }

  /** Settled, and no one waits for it: the thread may rest. */
  get idle(): boolean {
    return this.settled && this.waiters.length === 0;
  }

  sendSnapshot(snapshot: SnapshotRecord, keep: number): void {
    this.snapshotsInFlight++;
    this.writer.sendSnapshot(this.nextSnapshotId++, snapshot, keep);
  }

  snapshotAnswered(): void {
    this.snapshotsInFlight--;
  }

  /** Blocks until every snapshot sent is answered, or the thread's wait gives up. */
  waitForSnapshots(): void {
    if (this.snapshotsInFlight === 0) return;
    this.writer.waitUntil(() => this.snapshotsInFlight === 0, THREAD_WAIT_MS);
  }

  /** Resolves once settled; the thread's port keeps the process alive meanwhile. */
  whenSettled(): Promise<void> {
    if (this.settled) return Promise.resolve();
    this.writer.keepAlive(true);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** After each answer: resolves the waiters if it settled the backlog. */
  wake(): void {
    if (this.waiters.length === 0 || !this.settled) return;
    this.writer.keepAlive(false);
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
